"""The campaign file: the shipped plan parses into its schedule; a malformed file is refused
with the key (or line) at fault and changes nothing. R-SCHED-2, R-SCHED-3."""

from datetime import timedelta

import pytest

from huiquan.campaigns.config import CampaignFileError, parse_campaign, weekly_releases
from huiquan.campaigns.models import Campaign, FundingSource, Period, Release
from huiquan.cli import main as cli
from huiquan.core.clock import parse_instant
from huiquan.ledger.models import LedgerTransaction
from tests.conftest import CAMPAIGN_FILE

SHIPPED = CAMPAIGN_FILE.read_text(encoding="utf-8")


def test_the_shipped_plan_has_six_friday_releases_valid_to_the_next_wednesday():
    d = parse_campaign(SHIPPED)
    assert [s.committed_fen for s in d.funding_sources] == [240_000_00, 360_000_00]
    assert d.cap_fen == 2_000_00 and d.expected_subsidy_fen == 2_000_00
    releases = weekly_releases(d.periods[0])
    assert [o.strftime("%m-%d %a %H:%M") for o, _ in releases] == [
        "06-21 Fri 10:00", "06-28 Fri 10:00", "07-05 Fri 10:00",
        "07-12 Fri 10:00", "07-19 Fri 10:00", "07-26 Fri 10:00"]
    for opens, expires in releases:
        assert expires.strftime("%a %H:%M") == "Wed 22:00"
        assert expires - opens == timedelta(days=5, hours=12)  # R-SCHED-3
    assert releases[-1][1] == parse_instant("2024-07-31T22:00:00+08:00")
    assert weekly_releases(d.periods[1]) == []  # period 2: defined later


@pytest.mark.parametrize("old, new, where", [
    ("committed_yuan = 240000", "committed_yuan = -240000", "funding_sources[0].committed_yuan"),
    ("committed_yuan = 240000", "committed_yuan = 240000.5", "funding_sources[0]"),
    ("committed_yuan = 360000", "committed_yuan = \"abc\"", "funding_sources[1]"),
    ("received_yuan = 240000\n", "received_yuan = 250000\n", "funding_sources[0]"),
    ('code = "city"', 'code = "county"', "funding_sources 的 code 重复"),
    ("rate_percent = 10", "rate_percent = 10\nbonus = 1", "subsidy.bonus"),
    ('operator = "中国建设银行股份有限公司隰县支行"', "", "campaign.operator"),
    ('weekday = "friday"', 'weekday = "freitag"', "periods[0].releases.weekday"),
    ('ends = "2024-07-31"', 'ends = "2024-06-01"', "periods[0]"),
    ('adcode = "141000"', 'adcode = "1410"', "geofences.claim.adcode"),
])
def test_a_malformed_file_names_the_key_at_fault(old, new, where):
    assert old in SHIPPED
    with pytest.raises(CampaignFileError) as refused:
        parse_campaign(SHIPPED.replace(old, new, 1))
    assert where in str(refused.value)


def test_a_toml_syntax_error_names_the_line():
    broken = SHIPPED.replace('name = "县级财政"', 'name = "县级财政', 1)
    with pytest.raises(CampaignFileError) as refused:
        parse_campaign(broken)
    line = SHIPPED.splitlines().index('name = "县级财政"') + 1
    assert "TOML 语法错误" in str(refused.value) and f"line {line}" in str(refused.value)


def _counts():
    return (Campaign.objects.count(), FundingSource.objects.count(), Period.objects.count(),
            Release.objects.count(), LedgerTransaction.objects.count())


@pytest.mark.django_db
def test_the_cli_refuses_a_bad_file_and_changes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(SHIPPED.replace("cap_yuan = 2000", "cap_yuan = -1"), encoding="utf-8")
    assert cli(["campaign", "load", str(bad)]) == 2
    assert "subsidy.cap_yuan" in capsys.readouterr().err
    assert _counts() == (0, 0, 0, 0, 0)
    assert cli(["campaign", "load", str(tmp_path / "missing.toml")]) == 2
    assert "无法读取" in capsys.readouterr().err


@pytest.mark.django_db
def test_loading_twice_creates_nothing_twice(capsys):
    assert cli(["campaign", "load", str(CAMPAIGN_FILE)]) == 0
    first = _counts()
    assert first == (1, 2, 2, 6, 1)
    assert cli(["campaign", "load", str(CAMPAIGN_FILE)]) == 0
    assert "未做任何改动" in capsys.readouterr().out
    assert _counts() == first


@pytest.mark.django_db
def test_a_changed_commitment_in_the_file_is_refused(tmp_path, campaign, capsys):
    edited = tmp_path / "edited.toml"
    edited.write_text(SHIPPED.replace("committed_yuan = 360000", "committed_yuan = 400000"),
                      encoding="utf-8")
    before = _counts()
    assert cli(["campaign", "load", str(edited)]) == 2
    assert "不能改写" in capsys.readouterr().err
    assert _counts() == before
    assert FundingSource.objects.get(code="city").committed_fen == 360_000_00
