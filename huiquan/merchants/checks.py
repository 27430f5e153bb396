"""The automatic checks of an application (R-MER-1, R-MER-2, R-MER-4), shown to the reviewer."""

from __future__ import annotations

from typing import Any

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError

from huiquan.core import geo, identifiers
from huiquan.merchants.errors import UsccInvalid


def normalise_uscc(text: object) -> str:
    """18 ASCII characters, GB 32100-2015 check character (python-stdnum cn.uscc). Canonical
    first (NFKC, separators dropped, upper case), so one licence is one application and one
    dishonesty-list entry; digits of other scripts are refused."""
    value = identifiers.compact(text).upper()
    if len(value) != 18:
        raise UsccInvalid(f"统一社会信用代码应为 18 位（收到 {len(value)} 位）")
    if not (value.isascii() and value.isalnum()):
        raise UsccInvalid("统一社会信用代码只含数字和大写字母，请对照营业执照核对")
    try:
        stdnum_uscc.validate(value)
    except ValidationError as exc:
        if "checksum" in type(exc).__name__.lower():
            raise UsccInvalid("统一社会信用代码校验位不正确，请对照营业执照核对") from exc
        raise UsccInvalid("统一社会信用代码格式不正确，请对照营业执照核对") from exc
    return value


def county_adcode(campaign: Any) -> str:
    return str(campaign.config.get("geofences", {}).get("merchant", {}).get("adcode", "141031"))


def county_name(campaign: Any) -> str:
    return str(campaign.config.get("geofences", {}).get("merchant", {}).get("name", "隰县"))


def eligible_categories(campaign: Any) -> dict[str, str]:
    return {c["code"]: c["name"] for c in campaign.config.get("categories", [])}


def run_checks(merchant: Any, blacklisted: Any) -> dict[str, dict[str, Any]]:
    """{check: {ok, detail}} for the reviewer. ``blacklisted`` is the matching entry or None."""
    out: dict[str, dict[str, Any]] = {}
    try:
        normalise_uscc(merchant.uscc)
        out["uscc"] = {"ok": True, "detail": "统一社会信用代码校验通过（GB 32100-2015）"}
    except UsccInvalid as exc:
        out["uscc"] = {"ok": False, "detail": exc.message}
    if merchant.lat is None or merchant.lng is None:
        out["location"] = {"ok": False, "detail": "未标注经营地点"}
    else:
        inside = geo.contains(county_adcode(merchant.campaign), lat=merchant.lat,
                                   lng=merchant.lng, coord_system=merchant.coord_system)
        out["location"] = {"ok": inside, "detail": f"经营地点{'在' if inside else '不在'}"
                           f"{county_name(merchant.campaign)}行政区域内"}
    if blacklisted is None:
        out["blacklist"] = {"ok": True, "detail": "未在失信名单中"}
    else:
        out["blacklist"] = {"ok": False, "detail": f"命中失信名单：{blacklisted.name}（来源："
                            f"{blacklisted.source}，列入日期 {blacklisted.listed_on:%Y-%m-%d}）"}
    allowed = eligible_categories(merchant.campaign)
    cats = list(merchant.categories or [])
    bad = [c for c in cats if c not in allowed]
    out["categories"] = {"ok": bool(cats) and not bad,
                         "detail": "经营类别：" + "、".join(allowed.get(c, c) for c in cats)
                         if cats and not bad else ("未选择经营类别" if not cats else
                                                   "含不在补贴范围的类别：" + "、".join(bad))}
    return out


CHECK_LABELS = {"uscc": "统一社会信用代码", "location": "经营地点", "blacklist": "失信名单",
                "categories": "经营类别"}
