"""The campaign file: TOML, validated with pydantic into a typed definition.

Errors name the key at fault (``funding_sources[2].committed_yuan``) or the line of a TOML
syntax error, so the person editing the file knows where to look.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from huiquan.core.clock import SHANGHAI
from huiquan.core.money import MoneyFormatError, parse_yuan

TimeOfDay = time  # a field below is called `time`

WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
            "saturday": 5, "sunday": 6}


class CampaignFileError(ValueError):
    """The campaign file cannot be loaded; the message says where and why."""


def yuan_to_fen(value: Any, *, allow_zero: bool = False) -> int:
    if isinstance(value, float):
        raise ValueError("金额请写整数或带引号的两位小数（如 \"1234.50\"），不要写浮点数")
    if not isinstance(value, (int, str)) or isinstance(value, bool):
        raise ValueError("金额必须是数字")
    if isinstance(value, int) and value < 0:
        raise ValueError("金额不能为负数")
    try:
        return int(parse_yuan(value, allow_zero=allow_zero))
    except MoneyFormatError as exc:
        raise ValueError(str(exc)) from exc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CampaignMeta(_Strict):
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    name: Annotated[str, Field(min_length=1, max_length=128)]
    title: str = ""
    owner: Annotated[str, Field(min_length=1)]
    operator: Annotated[str, Field(min_length=1)]
    region: str = ""
    plan_document: str = ""


class FundingSourceDef(_Strict):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    name: Annotated[str, Field(min_length=1)]
    committed_yuan: Any
    received_yuan: Any = 0
    received_at: datetime | None = None
    reference: str = ""

    @property
    def committed_fen(self) -> int:
        return yuan_to_fen(self.committed_yuan)

    @property
    def received_fen(self) -> int:
        return yuan_to_fen(self.received_yuan, allow_zero=True)

    @field_validator("committed_yuan")
    @classmethod
    def _committed(cls, value: Any) -> Any:
        yuan_to_fen(value)
        return value

    @field_validator("received_yuan")
    @classmethod
    def _received(cls, value: Any) -> Any:
        yuan_to_fen(value, allow_zero=True)
        return value

    @model_validator(mode="after")
    def _amounts(self) -> FundingSourceDef:
        committed = yuan_to_fen(self.committed_yuan)
        received = yuan_to_fen(self.received_yuan, allow_zero=True)
        if received > committed:
            raise ValueError("received_yuan 不能大于 committed_yuan")
        if received and self.received_at is None:
            raise ValueError("已到位金额需要写明到位时间 received_at")
        if self.received_at is not None and self.received_at.tzinfo is None:
            raise ValueError("received_at 需要带时区，例如 2024-06-14T09:00:00+08:00")
        return self


class SubsidyDef(_Strict):
    rate_percent: Annotated[int, Field(gt=0, le=100, strict=True)]
    cap_yuan: Any
    uses_per_person: Annotated[int, Field(ge=1, strict=True)] = 1
    expected_subsidy_yuan: Any = None

    @field_validator("cap_yuan", "expected_subsidy_yuan")
    @classmethod
    def _money(cls, value: Any) -> Any:
        if value is not None:
            yuan_to_fen(value)
        return value


class ReleaseRuleDef(_Strict):
    cadence: Literal["weekly"]
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    time: TimeOfDay
    valid_until_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday",
                                 "saturday", "sunday"]
    valid_until_time: TimeOfDay
    valid_max_days: Annotated[int, Field(ge=1, le=60, strict=True)]
    first_amount_yuan: Any
    proposal_rule: Literal["last_week_redeemed"] = "last_week_redeemed"

    @field_validator("first_amount_yuan")
    @classmethod
    def _money(cls, value: Any) -> Any:
        yuan_to_fen(value)
        return value


class PeriodDef(_Strict):
    number: Annotated[int, Field(ge=1, strict=True)]
    name: Annotated[str, Field(min_length=1)]
    note: str = ""
    starts: date | None = None
    ends: date | None = None
    releases: ReleaseRuleDef | None = None

    @model_validator(mode="after")
    def _dates(self) -> PeriodDef:
        if (self.starts is None) != (self.ends is None):
            raise ValueError("starts 和 ends 要么都写，要么都不写（另行确定）")
        if self.starts and self.ends and self.ends < self.starts:
            raise ValueError("ends 不能早于 starts")
        if self.releases is not None and self.starts is None:
            raise ValueError("有发放规则的周期必须写明 starts 和 ends")
        return self


class GeofenceDef(_Strict):
    adcode: Annotated[str, Field(pattern=r"^\d{6}$")]
    name: str


class GeofencesDef(_Strict):
    claim: GeofenceDef
    merchant: GeofenceDef


class CategoryDef(_Strict):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    name: str
    kinds: Annotated[list[str], Field(min_length=1)]
    requires_gtin13: bool = False
    min_efficiency_grade: Annotated[int, Field(ge=1, le=5)] | None = None


class MerchantDef(_Strict):
    name: Annotated[str, Field(min_length=1)]
    address: Annotated[str, Field(min_length=1)]


class DocumentsDef(_Strict):
    due_days_after_round: Annotated[int, Field(ge=1, le=365, strict=True)]
    required: list[str]
    confirmation_form_title: str
    # Four-eyes (issue 14): a sale whose subsidy is above this needs a second reviewer.
    four_eyes_above_subsidy_yuan: Any = None

    @field_validator("four_eyes_above_subsidy_yuan")
    @classmethod
    def _four_eyes(cls, value: Any) -> Any:
        if value is not None:
            yuan_to_fen(value, allow_zero=True)
        return value


class CampaignDef(_Strict):
    campaign: CampaignMeta
    funding_sources: Annotated[list[FundingSourceDef], Field(min_length=1)]
    subsidy: SubsidyDef
    periods: Annotated[list[PeriodDef], Field(min_length=1)]
    geofences: GeofencesDef
    categories: Annotated[list[CategoryDef], Field(min_length=1)]
    merchants: list[MerchantDef] = []
    documents: DocumentsDef

    @model_validator(mode="after")
    def _unique(self) -> CampaignDef:
        codes = [s.code for s in self.funding_sources]
        if len(set(codes)) != len(codes):
            raise ValueError("funding_sources 的 code 重复")
        numbers = [p.number for p in self.periods]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("periods 的 number 必须从 1 开始连续编号")
        return self

    # --- derived values in fen -----------------------------------------------------------------
    @property
    def cap_fen(self) -> int:
        return yuan_to_fen(self.subsidy.cap_yuan)

    @property
    def expected_subsidy_fen(self) -> int:
        if self.subsidy.expected_subsidy_yuan is None:
            return self.cap_fen  # R-SCHED-7: the safe default is the cap
        return yuan_to_fen(self.subsidy.expected_subsidy_yuan)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(文件顶层)"


def parse_campaign(text: str) -> CampaignDef:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CampaignFileError(f"TOML 语法错误：{exc}") from exc
    try:
        return CampaignDef.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"  {_loc(err['loc'])}: {msg}")
        raise CampaignFileError("活动文件有误：\n" + "\n".join(problems)) from exc


def read_campaign_file(path: Path) -> tuple[CampaignDef, str]:
    """Parse a campaign file; return the definition and the file's sha256."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CampaignFileError(f"无法读取活动文件 {path}：{exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CampaignFileError("活动文件必须是 UTF-8 编码") from exc
    return parse_campaign(text), hashlib.sha256(data).hexdigest()


# --- the schedule ---------------------------------------------------------------------------


def period_bounds(period: PeriodDef) -> tuple[datetime, datetime] | None:
    """[start of the first day, start of the day after the last day) in Asia/Shanghai."""
    if period.starts is None or period.ends is None:
        return None
    start = datetime.combine(period.starts, time.min, tzinfo=SHANGHAI)
    end = datetime.combine(period.ends + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    return start, end


def weekly_releases(period: PeriodDef) -> list[tuple[datetime, datetime]]:
    """(opens_at, expires_at) of each weekly release of a period (R-SCHED-2, R-SCHED-3).

    A release opens every ``weekday`` at ``time`` inside the period; its vouchers expire at the
    next ``valid_until_weekday`` ``valid_until_time`` after opening (for Friday 10:00 that is
    Wednesday 22:00, 5 days 12 hours later), never after the period's end.
    """
    rule = period.releases
    bounds = period_bounds(period)
    if rule is None or bounds is None:
        return []
    start, end = bounds
    day = start.date()
    while day.weekday() != WEEKDAYS[rule.weekday]:
        day += timedelta(days=1)
    out = []
    while True:
        opens = datetime.combine(day, rule.time, tzinfo=SHANGHAI)
        if opens >= end:
            break
        until_day = day + timedelta(days=1)
        while until_day.weekday() != WEEKDAYS[rule.valid_until_weekday]:
            until_day += timedelta(days=1)
        expires = min(datetime.combine(until_day, rule.valid_until_time, tzinfo=SHANGHAI), end)
        out.append((opens, expires))
        day += timedelta(days=7)
    return out
