"""The short notice a resident agrees to, separately, before giving an ID number.

A resident ID number is sensitive personal information under PIPL (个人信息保护法 art. 28): its
processing needs the person's separate consent (art. 29) after being told what is collected, why,
how long it is kept and who sees it (arts. 17, 30). The notice has a version; the version agreed
to and the time are stored with each consent (``IdentityConsent``). Changing the text means a new
version: people verified under an older one keep their consent to that one.
"""

from __future__ import annotations

from dataclasses import dataclass

from huiquan.consumers.errors import ConsumerCode
from huiquan.core.errors import DomainError

NOTICE_VERSION = "2024-06-v1"
NOTICE_TITLE = "实名信息处理说明"


@dataclass(frozen=True)
class NoticeItem:
    heading: str
    text: str


NOTICE_ITEMS = (
    NoticeItem("收集什么", "您的姓名和居民身份证号码（敏感个人信息），以及已验证的手机号。"),
    NoticeItem("为什么收集", "活动要求实名参与：核实“一人一个账号、一人限用一张券”，并在商户申报补贴时"
                            "核对购买人身份，防止重复领取和套取财政补贴资金。不用于其他目的。"),
    NoticeItem("怎么保存、保存多久", "身份证号加密保存，页面上只显示首尾几位；另存一个不可还原的校验值，"
                                "用于“一证一号”。活动结算和审计完成后保存 3 年，期满删除或匿名化。"),
    NoticeItem("谁能看到", "只有本活动的审核人员、县工信和科技局、财政局、审计局依职责查阅；商户只看到"
                         "脱敏后的号码。不向其他任何人提供，法律法规另有规定的除外。"),
    NoticeItem("您的权利", "可以查阅、更正您的信息；不同意则无法参加本次实名活动。撤回同意或注销账号请"
                         "联系客服，已发生的领券和用券记录按财政资金管理规定保存。"),
)


class ConsentRequired(DomainError):
    code = ConsumerCode.CONSENT_REQUIRED
    status = 422


def require_consent(agreed_version: object) -> str:
    """The notice version the person agreed to, if it is the current one; else CONSENT_REQUIRED
    (missing, refused, or agreed to an older text than the one in force)."""
    if agreed_version is None or agreed_version is False or agreed_version == "":
        raise ConsentRequired(f"请先阅读并同意《{NOTICE_TITLE}》，再提交身份证号")
    if agreed_version != NOTICE_VERSION:
        raise ConsentRequired(f"《{NOTICE_TITLE}》已更新（当前版本 {NOTICE_VERSION}），请阅读后重新同意")
    return NOTICE_VERSION


def notice() -> dict[str, object]:
    return {"version": NOTICE_VERSION, "title": NOTICE_TITLE,
            "items": [{"heading": i.heading, "text": i.text} for i in NOTICE_ITEMS]}
