"""How the campaign page says dates, times and money to residents (issue 16, item 4).

Chinese typography, as residents read it in a bank app: "6月21日（周五）10:00", "2000 元",
"二级". No rule IDs, no jargon. Everything the page says about the schedule is derived from the
campaign's own data (its releases and periods, loaded from the campaign file), never written
into a template for one county.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from huiquan.core import clock

WEEKDAYS = "一二三四五六日"
NUMERALS = "〇一二三四五六七八九十"


def day(value: datetime) -> str:
    """"6月21日" (no leading zeros)."""
    local = clock.local(value)
    return f"{local.month}月{local.day}日"


def weekday(value: datetime) -> str:
    return "周" + WEEKDAYS[clock.local(value).weekday()]


def hour(value: datetime) -> str:
    return f"{clock.local(value):%H:%M}"


def when(value: datetime) -> str:
    """"6月21日（周五）10:00"."""
    return f"{day(value)}（{weekday(value)}）{hour(value)}"


def money(fen: int) -> str:
    """"2000 元", "1234.50 元": whole yuan without decimals, no thousands separator."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}{f'.{cents:02d}' if cents else ''} 元"


def grade(number: int) -> str:
    """2 → "二级" (energy/water efficiency grades are 1–5)."""
    return f"{NUMERALS[number]}级" if 0 <= number <= 10 else f"{number} 级"


def distance(metres: float) -> str:
    """"约 850 米", "约 1.2 公里"."""
    if metres < 1000:
        return f"约 {max(10, round(metres, -1)):.0f} 米"
    return f"约 {metres / 1000:.1f} 公里"


def weekly_rule(opens: Iterable[datetime]) -> str | None:
    """"每周五 10:00" when every release of a period opens on the same weekday and time, else
    None (the page then lists the next release's time only)."""
    slots = {(clock.local(o).weekday(), hour(o)) for o in opens}
    if len(slots) != 1:
        return None
    (wday, at), = slots
    return f"每{'周' + WEEKDAYS[wday]} {at}"


def validity_rule(opens_at: datetime, expires_at: datetime) -> str:
    """When a release's vouchers expire, said the way a resident counts from the opening day:
    "当天 22:00", "本周周日 22:00", "次周周三 22:00", or the date when further away."""
    start, end = clock.local(opens_at), clock.local(expires_at)
    weeks = ((end.date() - start.date()).days + start.weekday()) // 7  # calendar weeks later
    if end.date() == start.date():
        return f"当天 {hour(end)}"
    if weeks == 0:
        return f"本周{weekday(end)} {hour(end)}"
    if weeks == 1:
        return f"次周{weekday(end)} {hour(end)}"
    return when(end)


def outside_fence(area: str, km: float, lat: float, lng: float) -> str:
    """Why a claim from outside the claim area was refused: where the phone was located, and
    what to try when the resident is in fact inside (R-CON-2)."""
    far = f"约 {km:.0f} 公里" if km >= 1 else "不到 1 公里"
    ns, ew = ("北纬", "东经")
    if lat < 0:
        ns = "南纬"
    if lng < 0:
        ew = "西经"
    return (f"您的手机定位在{area}范围外（离{area}边界{far}；定位点{ns} {abs(lat):.3f}°，"
            f"{ew} {abs(lng):.3f}°），所以领不了。如果您人在{area}：请打开手机的定位服务和"
            "“精确位置”，到室外或窗边等定位稳定后再点领取；开着 VPN、代理或模拟定位软件时定位会出错，"
            "请先关闭。")
