"""Office touches of issue 16 (item 6): a sold-out release reads 已抢完; the overview shows, per
release, vouchers claimed, used and expired unused, and the money redeemed; `huiquan campaign
show` totals its sources; `huiquan campaign load` on a never-migrated database migrates it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from huiquan.campaigns import selectors
from huiquan.cli import main as cli
from huiquan.vouchers.services import claim_voucher
from tests.conftest import INSIDE_LINFEN
from tests.merchant_fixtures import redeem_at, sofa_line
from tests.processes import ROOT

pytestmark = pytest.mark.django_db


def _release_row(html: str, number: int) -> str:
    return html.split(f">第{number}批</a>")[1].split("</tr>")[0]


def test_a_sold_out_release_reads_sold_out_not_issuing(client, bureau, open_release):
    client.force_login(bureau)
    assert "发放中" in _release_row(client.get("/office/").content.decode(), 1)
    open_release.remaining_count = 0
    open_release.save(update_fields=["remaining_count"])
    row = _release_row(client.get("/office/").content.decode(), 1)
    assert "已抢完" in row and "发放中" not in row
    assert "已抢完" in client.get(f"/office/releases/{open_release.pk}/").content.decode()
    assert selectors.release_state(open_release) == "open"  # decisions still see it open


def test_the_overview_counts_claimed_used_expired_and_redeemed_per_release(
        client, bureau, open_release, make_consumer, shop, clock):
    people = [make_consumer() for _ in range(3)]
    vouchers = [claim_voucher(consumer=p.consumer, release_id=open_release.pk, **INSIDE_LINFEN)
                for p in people]
    redeem_at(shop, vouchers[0], [sofa_line(shop.campaign, price_fen=500_000)])
    clock.set("2024-06-27T09:00:00+08:00")  # the other two expired unused
    client.force_login(bureau)
    row = _release_row(client.get("/office/").content.decode(), 1)
    cells = [c.split(">", 1)[1].split("<")[0] for c in row.split('<td class="num')[1:]]
    # 投放金额, 券数量, 剩余券, 已领, 已用, 过期未用, 批次余额, 已核券
    assert cells[3:6] == ["3", "1", "2"]
    assert "500.00" in cells[7]


def test_campaign_show_ends_its_sources_with_a_total(campaign, capsys):
    assert cli(["campaign", "show"]) == 0
    out = capsys.readouterr().out
    total = next(line for line in out.splitlines() if line.strip().startswith("合计"))
    assert total.split()[1:3] == ["600,000.00", "240,000.00"]


def test_campaign_load_on_a_never_migrated_database_migrates_it(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "HUIQUAN_VAR_DIR": str(tmp_path),
           "HUIQUAN_MODE": "sandbox", "PATH": "/usr/bin:/bin", "HUIQUAN_TESTING": "1",
           "REDIS_URL": ""}
    huiquan = [sys.executable, "-m", "huiquan.cli"]
    shown = subprocess.run([*huiquan, "campaign", "show"], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 2
    assert shown.stderr.strip().splitlines() == [
        "错误：数据库还没有初始化：请先运行 huiquan migrate，再 huiquan campaign load 活动文件"]
    loaded = subprocess.run([*huiquan, "campaign", "load", "campaigns/xixian-2024-home.toml"],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    assert "Traceback" not in loaded.stderr
    assert loaded.stdout.splitlines()[0] == "数据库还没有初始化：先执行迁移（huiquan migrate）……"
    assert "已新建活动「畅享家居·乐购隰州」" in loaded.stdout
