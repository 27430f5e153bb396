"""What a resident types to be one person: phone, resident ID number, name (R-CLAIM-1).

Each is made canonical at the edge (``huiquan.core.identifiers``: NFKC, separators dropped, then
ASCII only) before it is checked, hashed or stored, so the same person typed in any script is
the same value or a clear refusal — never a second account (issue 11, item 1).
"""

from __future__ import annotations

import unicodedata

from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from huiquan.consumers.errors import AuthError, ConsumerCode, IdentityError
from huiquan.core import identifiers

PHONE_PREFIX = "+86"
# For the staff who check ID documents, never shown to the resident: stdnum's table lacks many
# codes for the years before they were assigned (Xi County's 141031 dates from 2000, yet people
# born earlier carry it), so for most local adults this says nothing about the person.
AREA_NOTE = "地区码不在行政区划表中（或出生当年尚未启用）：核对身份证原件时留意"
NAME_MAX = 32  # Consumer.real_name


def phone_invalid() -> AuthError:
    return AuthError("手机号格式不正确：请输入 11 位中国大陆手机号", code=ConsumerCode.PHONE_INVALID,
                     status=422)


def normalise_phone(phone: object) -> str:
    """An 11-digit mainland mobile number in ASCII digits (``+86`` and separators dropped;
    fullwidth and other compatibility digits read as the digits they are; Arabic-Indic,
    Devanagari … refused), or PHONE_INVALID."""
    text = identifiers.compact(phone).removeprefix(PHONE_PREFIX)
    if len(text) != 11 or not identifiers.is_ascii_digits(text) or text[0] != "1" \
            or text[1] not in "3456789":
        raise phone_invalid()
    return text


def validate_id_number(number: object) -> tuple[str, list[str]]:
    """The canonical resident ID (17 ASCII digits, then an ASCII digit or X) and warnings.

    python-stdnum cn.ric checks the check digit and the birth date, on the canonical text only
    (given anything else, stdnum raised a bare ValueError quoting 17 of the 18 characters: a 500
    and the number in the server log). An unknown area code (or one not yet assigned in the birth
    year — numbers keep the code of registration) is a warning, not a refusal: stdnum's own
    validate() would refuse it."""
    text = identifiers.compact(number).upper()
    if len(text) != 18:
        raise IdentityError("身份证号应为 18 位")
    if not identifiers.is_ascii_digits(text[:17]) or not (
            text[17] == "X" or identifiers.is_ascii_digits(text[17])):
        raise IdentityError("身份证号格式不正确：前 17 位是数字，最后一位是数字或 X")
    if text[-1] != ric.calc_check_digit(text):
        raise IdentityError("身份证号有误：请对照身份证逐位核对（最后一位可能是 X）")
    try:
        ric.get_birth_date(text)
    except (InvalidComponent, ValueError):
        raise IdentityError("身份证号中的出生日期不正确") from None
    warnings = []
    try:
        ric.get_birth_place(text)
    except InvalidComponent:
        warnings.append(AREA_NOTE)
    return text, warnings


# Han ideographs as code point ranges, so the rare extensions count whatever Unicode version the
# Python at hand knows (3.11 knows Unicode 14: not extension H or I).
HAN_RANGES = (
    (0x3007, 0x3007),    # 〇
    (0x3400, 0x4DBF),    # extension A
    (0x4E00, 0x9FFF),    # unified ideographs
    (0xF900, 0xFAFF),    # compatibility ideographs
    (0x20000, 0x2A6DF),  # extension B (𠮷 U+20BB7)
    (0x2A700, 0x2EE5F),  # extensions C, D, E, F, I
    (0x2F800, 0x2FA1F),  # compatibility ideographs supplement
    (0x30000, 0x323AF),  # extensions G, H
)
# Between the parts of a name: the middle dots of minority names (阿依古丽·买买提) as IMEs type
# them, and for Latin names a space, hyphen, apostrophe or full stop.
NAME_SEPARATORS = frozenset("·・･•‧∙⋅ -'.")


def is_han(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in HAN_RANGES)


def is_latin_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L") and \
        unicodedata.name(char, "").startswith("LATIN ")


def clean_name(real_name: object) -> str:
    """The name as on the ID card: letters (Han ideographs of any extension, or Latin), with
    single separators between its parts; at least one letter. Kept as typed otherwise (no NFKC:
    it would turn a compatibility ideograph into another character than the card shows)."""
    name = " ".join(str(real_name or "").split())
    if not name or len(name) > NAME_MAX or name[0] in NAME_SEPARATORS \
            or name[-1] in NAME_SEPARATORS:
        raise _name_invalid()
    previous_separator = False
    for char in name:
        if char in NAME_SEPARATORS:
            if previous_separator:
                raise _name_invalid()
            previous_separator = True
        elif is_han(char) or is_latin_letter(char):
            previous_separator = False
        else:
            raise _name_invalid()
    return name


def _name_invalid() -> IdentityError:
    return IdentityError("请填写与身份证一致的姓名（汉字或拉丁字母，可含间隔号“·”）",
                         code=ConsumerCode.NAME_INVALID)
