"""Merchant onboarding, review, training and the dishonesty list (R-MER-1..5, R-INT-1).

States: draft → submitted → approved | rejected; approved → suspended → approved (reinstated);
any → disqualified (final). Only ``approved`` with at least one training record may use the
till (``selectors.till_refusal``).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from huiquan.audit.services import record
from huiquan.campaigns.errors import CampaignCode
from huiquan.consumers.errors import ConsumerCode
from huiquan.core import clock, geo
from huiquan.core.errors import CoreCode
from huiquan.core.geo import LocationError
from huiquan.core.locks import lock_one
from huiquan.core.roles import Role, require_role
from huiquan.core.tabular import Row
from huiquan.merchants import checks
from huiquan.merchants.errors import (
    Blacklisted,
    MerchantCode,
    MerchantError,
    OutsideCounty,
    StateConflict,
)
from huiquan.merchants.models import (
    BlacklistEntry,
    IntegrityCase,
    Merchant,
    MerchantStaff,
    MerchantState,
    Scale,
    Training,
    TrainingMode,
)

REVIEW_ROLES = (Role.REVIEWER,)  # R-PLAT-1: the bank's reviewers decide
TRAINING_ROLES = (Role.REVIEWER, Role.BUREAU)
INTEGRITY_ROLES = (Role.MARKET, Role.BUREAU)  # market supervision: merchant integrity
BLACKLIST_ROLES = (Role.MARKET, Role.BUREAU, Role.REVIEWER)
EDITABLE = (MerchantState.DRAFT, MerchantState.REJECTED)
MAX_LICENCE_BYTES = 5 * 1024 * 1024

BLACKLIST_COLUMNS = {
    "uscc": ("统一社会信用代码", "USCC", "uscc", "信用代码"),
    "name": ("名称", "name", "企业名称", "主体名称"),
    "source": ("来源", "source", "认定机关"),
    "listed_on": ("列入日期", "date", "listed_on", "日期"),
}


def _audit(actor: Any, action: str, merchant: Merchant, summary: str, **after: Any) -> None:
    record(actor=actor, action=action, obj_type="merchant", obj_id=merchant.pk,
           summary=f"{merchant}：{summary}", after=after or None)


def _required_reason(reason: str, message: str) -> str:
    text = _clean_text(reason, 255)
    if not text:
        raise MerchantError(message, code=CampaignCode.REASON_REQUIRED)
    return text


def _staff_merchant(actor: Any, merchant: Merchant) -> None:
    require_role(actor, (Role.MERCHANT,), action="填写商户申请")
    if not MerchantStaff.objects.filter(user=actor, merchant=merchant, is_owner=True).exists():
        raise MerchantError("只能修改本商户的申请", code=CoreCode.FORBIDDEN, status=403)


@transaction.atomic(durable=True)
def start_application(*, campaign: Any, actor: Any, legal_name: str) -> Merchant:
    """A merchant account opens its (single) application, as a draft."""
    require_role(actor, (Role.MERCHANT,), action="申请成为参与商户")
    if MerchantStaff.objects.filter(user=actor).exists():
        raise StateConflict("该账号已关联商户，不能重复申请")
    name = (legal_name or "").strip()
    if not 2 <= len(name) <= 128:
        raise MerchantError("请填写营业执照上的名称", code=ConsumerCode.NAME_INVALID)
    merchant = Merchant.objects.create(campaign=campaign, legal_name=name,
                                       contact_phone=getattr(actor, "phone", "")[:11],
                                       created_at=clock.now())
    MerchantStaff.objects.create(merchant=merchant, user=actor, is_owner=True,
                                 name=getattr(actor, "display_name", ""))
    _audit(actor, "merchant.start", merchant, "创建商户申请（草稿）")
    return merchant


def _licence(upload: tuple[str, bytes]) -> tuple[ContentFile, str]:
    """A real JPEG/PNG photo of the licence, at most 5 MB: decoded by Pillow, not trusted by
    its file name."""
    from PIL import Image, UnidentifiedImageError

    _, data = upload
    if len(data) > MAX_LICENCE_BYTES:
        raise MerchantError("营业执照照片不能超过 5 MB", code=MerchantCode.UPLOAD_TOO_LARGE, status=413)
    try:
        # A small file may declare a huge image (a decompression bomb): Pillow refuses it with an
        # error above twice its limit and only warns below; both are the form's error here.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                image.verify()
                if (image.width < 200 or image.height < 200
                        or image.width * image.height > 50_000_000):
                    raise MerchantError("营业执照照片尺寸不合适（至少 200×200 像素，最多 5000 万像素）",
                                        code=MerchantCode.UPLOAD_INVALID)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MerchantError("营业执照照片像素过大（最多 5000 万像素）：请缩小后重新上传",
                            code=MerchantCode.UPLOAD_INVALID) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MerchantError("上传的文件不是有效的 JPG/PNG 图片", code=MerchantCode.UPLOAD_INVALID) from exc
    if kind not in {"JPEG", "PNG"}:
        raise MerchantError("营业执照照片只接受 JPG 或 PNG", code=MerchantCode.UPLOAD_INVALID)
    digest = hashlib.sha256(data).hexdigest()
    return ContentFile(data, name=f"{digest[:16]}.{'jpg' if kind == 'JPEG' else 'png'}"), digest


def _clean_text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


@transaction.atomic(durable=True)
def save_application(*, merchant: Merchant, actor: Any, data: dict[str, Any],
                     licence: tuple[str, bytes] | None = None) -> Merchant:
    """Save what the applicant typed. Fields are checked as they come (USCC check character,
    point inside the county), so the applicant sees a mistake at once."""
    _staff_merchant(actor, merchant)
    merchant = lock_one(Merchant, merchant.pk)
    if merchant.state not in EDITABLE:
        raise StateConflict(f"申请状态为「{merchant.get_state_display()}」，不能修改")
    if "legal_name" in data:
        merchant.legal_name = _clean_text(data["legal_name"], 128) or merchant.legal_name
    if data.get("uscc"):
        merchant.uscc = checks.normalise_uscc(data["uscc"])
        if Merchant.objects.filter(campaign=merchant.campaign, uscc=merchant.uscc).exclude(
                pk=merchant.pk).exists():
            raise StateConflict("该统一社会信用代码已有商户申请", code=MerchantCode.USCC_TAKEN)
    for key, limit in (("address", 255), ("bank_name", 64), ("bank_account_name", 128)):
        if key in data:
            setattr(merchant, key, _clean_text(data[key], limit))
    if data.get("bank_account"):
        account = "".join(str(data["bank_account"]).split())
        if not account.isdigit() or not 8 <= len(account) <= 32:
            raise MerchantError("结算账号应为 8–32 位数字", code=MerchantCode.BANK_ACCOUNT_INVALID)
        merchant.bank_account = account
    if data.get("lat") not in (None, "") or data.get("lng") not in (None, ""):
        try:
            lat, lng, system = geo.parse_point(data.get("lat"), data.get("lng"),
                                                    data.get("coord_system") or "gcj02")
        except LocationError as exc:
            raise MerchantError(exc.message, code=CoreCode.LOCATION_INVALID) from exc
        if not geo.contains(checks.county_adcode(merchant.campaign), lat=lat, lng=lng,
                                 coord_system=system):
            raise OutsideCounty(f"经营地点不在{checks.county_name(merchant.campaign)}行政区域内"
                                "（只有县域内商户可以参与，R-MER-2）")
        merchant.lat, merchant.lng, merchant.coord_system = lat, lng, system
    if "categories" in data:
        allowed = checks.eligible_categories(merchant.campaign)
        cats = [c for c in dict.fromkeys(data["categories"] or [])]
        bad = [c for c in cats if c not in allowed]
        if bad:
            raise MerchantError("经营类别不在补贴范围内：" + "、".join(map(str, bad)),
                                code=MerchantCode.CATEGORY_INVALID)
        merchant.categories = cats
    if data.get("scale"):
        if data["scale"] not in Scale.values:
            raise MerchantError("经营规模选项不正确", code=MerchantCode.SCALE_INVALID)
        merchant.scale = data["scale"]
    if licence is not None:
        content, digest = _licence(licence)
        merchant.licence.save(content.name or "licence", content, save=False)
        merchant.licence_sha256 = digest
    try:
        with transaction.atomic():
            merchant.save()
    except IntegrityError as exc:
        raise StateConflict("该统一社会信用代码已有商户申请", code=MerchantCode.USCC_TAKEN) from exc
    _audit(actor, "merchant.save", merchant, "保存申请资料")
    return merchant


def _blacklist_hit(uscc: str) -> BlacklistEntry | None:
    if not uscc:
        return None
    return BlacklistEntry.objects.filter(uscc=uscc).order_by("-listed_on").first()


MISSING_LABELS = {"uscc": "统一社会信用代码", "address": "经营地址", "lat": "地图位置",
                  "categories": "经营类别", "scale": "经营规模", "bank_name": "开户银行",
                  "bank_account_name": "账户名称", "bank_account": "结算账号",
                  "licence": "营业执照照片"}


def missing_fields(merchant: Merchant) -> list[str]:
    return [label for key, label in MISSING_LABELS.items() if not getattr(merchant, key)
            and getattr(merchant, key) != 0]


@transaction.atomic(durable=True)
def submit_application(*, merchant: Merchant, actor: Any) -> Merchant:
    """Hand the application to the reviewers; the automatic checks run now and are kept."""
    _staff_merchant(actor, merchant)
    merchant = lock_one(Merchant, merchant.pk)
    if merchant.state not in EDITABLE:
        raise StateConflict(f"申请状态为「{merchant.get_state_display()}」，不能提交")
    missing = missing_fields(merchant)
    if missing:
        raise MerchantError("请先填写：" + "、".join(missing), code=MerchantCode.APPLICATION_INCOMPLETE)
    merchant.checks = {"at": clock.now().isoformat(),
                       "results": checks.run_checks(merchant, _blacklist_hit(merchant.uscc))}
    merchant.state = MerchantState.SUBMITTED
    merchant.submitted_at = clock.now()
    merchant.save()
    _audit(actor, "merchant.submit", merchant, "提交申请", checks=merchant.checks)
    return merchant


@transaction.atomic(durable=True)
def approve_merchant(*, merchant: Merchant, actor: Any, note: str = "") -> Merchant:
    """R-MER-3: a reviewer approves; every automatic check must pass at this moment."""
    require_role(actor, REVIEW_ROLES, action="审核商户")
    merchant = lock_one(Merchant, merchant.pk)
    if merchant.state != MerchantState.SUBMITTED:
        raise StateConflict(f"只能审核「待审核」的申请（当前：{merchant.get_state_display()}）")
    hit = _blacklist_hit(merchant.uscc)
    results = checks.run_checks(merchant, hit)
    merchant.checks = {"at": clock.now().isoformat(), "results": results}
    if hit is not None:
        raise Blacklisted(f"该商户在失信名单中（{hit.source}），不能通过（R-MER-4）")
    failed = [checks.CHECK_LABELS[k] for k, r in results.items() if not r["ok"]]
    if failed:
        raise MerchantError("自动核验未通过：" + "、".join(failed), code=MerchantCode.CHECKS_FAILED,
                            status=409)
    merchant.state = MerchantState.APPROVED
    merchant.decided_at, merchant.decided_by = clock.now(), actor
    merchant.decision_reason = _clean_text(note, 255) or "审核通过"
    merchant.save()
    _audit(actor, "merchant.approve", merchant, "审核通过", checks=results)
    return merchant


@transaction.atomic(durable=True)
def reject_merchant(*, merchant: Merchant, actor: Any, reason: str) -> Merchant:
    require_role(actor, REVIEW_ROLES, action="审核商户")
    reason = _required_reason(reason, "驳回必须写明原因，商户会看到")
    merchant = lock_one(Merchant, merchant.pk)
    if merchant.state != MerchantState.SUBMITTED:
        raise StateConflict(f"只能审核「待审核」的申请（当前：{merchant.get_state_display()}）")
    merchant.state = MerchantState.REJECTED
    merchant.decided_at, merchant.decided_by, merchant.decision_reason = clock.now(), actor, reason
    merchant.save()
    _audit(actor, "merchant.reject", merchant, f"驳回：{reason}")
    return merchant


@transaction.atomic(durable=True)
def record_training(*, merchant: Merchant, actor: Any, trainee_name: str, mode: str,
                    trained_at: datetime | None = None, topics: str = "") -> Training:
    """R-MER-5: who was trained, when, online or offline."""
    require_role(actor, TRAINING_ROLES, action="登记商户培训")
    name = _clean_text(trainee_name, 64)
    if not name:
        raise MerchantError("请填写受训人员姓名", code=MerchantCode.TRAINEE_REQUIRED)
    if mode not in TrainingMode.values:
        raise MerchantError("培训方式只能是线上或线下", code=MerchantCode.TRAINING_MODE_INVALID)
    now = clock.now()
    when = trained_at or now
    if when > now:
        raise MerchantError("培训时间不能晚于现在", code=MerchantCode.TRAINING_TIME_INVALID)
    merchant = lock_one(Merchant, merchant.pk)
    if merchant.state in (MerchantState.DRAFT, MerchantState.DISQUALIFIED):
        raise StateConflict("该商户当前状态不能登记培训")
    training = Training.objects.create(merchant=merchant, trainee_name=name, mode=mode,
                                       trained_at=when, topics=_clean_text(topics, 255)
                                       or "活动规则、核销流程、申报材料",
                                       recorded_by=actor, recorded_at=now)
    _audit(actor, "merchant.training", merchant, f"登记培训：{name}（{training.get_mode_display()}）",
           trained_at=when.isoformat())
    return training


def _inside_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("suspend_within/disqualify_within run inside the caller's transaction")


def _set_state(merchant: Merchant, state: str, reason: str) -> None:
    merchant.state, merchant.state_reason = state, reason
    merchant.save(update_fields=["state", "state_reason"])


@transaction.atomic(durable=True)
def suspend_merchant(*, merchant: Merchant, actor: Any, reason: str) -> Merchant:
    """Stop a merchant's till at once (R-INT-1: pending work is frozen for review)."""
    return suspend_within(merchant=merchant, actor=actor, reason=reason)


def suspend_within(*, merchant: Merchant, actor: Any, reason: str) -> Merchant:
    """``suspend_merchant`` inside the caller's transaction: market supervision's case decision
    (huiquan.integrity) changes the shop and the case together, or neither."""
    _inside_transaction()
    require_role(actor, INTEGRITY_ROLES + REVIEW_ROLES, action="暂停商户")
    reason = _required_reason(reason, "请写明暂停原因")
    merchant = lock_one(Merchant, merchant.pk)
    if merchant.state != MerchantState.APPROVED:
        raise StateConflict("只能暂停已通过的商户")
    _set_state(merchant, MerchantState.SUSPENDED, reason)
    _audit(actor, "merchant.suspend", merchant, f"暂停：{reason}")
    return merchant


@transaction.atomic(durable=True)
def reinstate_merchant(*, merchant: Merchant, actor: Any, reason: str) -> Merchant:
    require_role(actor, INTEGRITY_ROLES, action="恢复商户")
    reason = _required_reason(reason, "请写明恢复原因")
    merchant = lock_one(Merchant, merchant.pk)
    if merchant.state != MerchantState.SUSPENDED:
        raise StateConflict("只能恢复已暂停的商户")
    hit = _blacklist_hit(merchant.uscc)
    if hit is not None:
        raise Blacklisted("该商户仍在失信名单中，不能恢复（R-MER-4）")
    _set_state(merchant, MerchantState.APPROVED, "")
    IntegrityCase.objects.filter(merchant=merchant, closed_at__isnull=True).update(
        closed_at=clock.now(), resolution=f"恢复参与：{reason}")
    _audit(actor, "merchant.reinstate", merchant, f"恢复：{reason}")
    return merchant


@transaction.atomic(durable=True)
def disqualify_merchant(*, merchant: Merchant, actor: Any, reason: str) -> Merchant:
    """R-INT-1: 发现一户取消一户 — final."""
    return disqualify_within(merchant=merchant, actor=actor, reason=reason)


def disqualify_within(*, merchant: Merchant, actor: Any, reason: str) -> Merchant:
    """``disqualify_merchant`` inside the caller's transaction (see ``suspend_within``)."""
    _inside_transaction()
    require_role(actor, INTEGRITY_ROLES, action="取消商户资格")
    reason = _required_reason(reason, "请写明取消资格的原因")
    merchant = lock_one(Merchant, merchant.pk)
    if merchant.state == MerchantState.DISQUALIFIED:
        raise StateConflict("该商户已被取消资格")
    _set_state(merchant, MerchantState.DISQUALIFIED, reason)
    IntegrityCase.objects.create(merchant=merchant, opened_at=clock.now(), reason=reason)
    _audit(actor, "merchant.disqualify", merchant, f"取消资格：{reason}")
    return merchant


@dataclass
class BlacklistReport:
    added: int = 0
    already: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    hits: list[tuple[Merchant, str]] = field(default_factory=list)  # (merchant, what happened)


def _parse_date(text: str) -> date:
    cleaned = text.strip().replace("/", "-").replace(".", "-").split(" ")[0]
    for sep_text in (cleaned, cleaned.replace("年", "-").replace("月", "-").rstrip("日")):
        try:
            return date.fromisoformat(sep_text if len(sep_text) != 8 else
                                      f"{sep_text[:4]}-{sep_text[4:6]}-{sep_text[6:]}")
        except ValueError:
            continue
    raise MerchantError(f"日期「{text}」看不懂，请写成 2024-06-01", code=MerchantCode.DATE_INVALID)


@transaction.atomic(durable=True)
def import_blacklist(*, rows: list[Row], actor: Any, default_source: str = "") -> BlacklistReport:
    """R-MER-4: add the list's lines, then re-check every applicant and approved merchant: a hit
    suspends an approved merchant and opens an integrity case (an applicant's check turns red
    and approval is refused)."""
    require_role(actor, BLACKLIST_ROLES, action="导入失信名单")
    now = clock.now()
    report = BlacklistReport()
    for row in rows:
        v = row.values
        try:
            uscc = checks.normalise_uscc(v.get("uscc"))
            name = _clean_text(v.get("name"), 128)
            if not name:
                raise MerchantError("名称不能为空")
            source = _clean_text(v.get("source") or default_source, 128)
            if not source:
                raise MerchantError("来源不能为空")
            listed_on = _parse_date(v.get("listed_on", ""))
        except MerchantError as exc:
            report.rejected.append((row.number, exc.message))
            continue
        _, created = BlacklistEntry.objects.get_or_create(
            uscc=uscc, source=source, listed_on=listed_on,
            defaults={"name": name, "imported_at": now,
                      "imported_by": actor if getattr(actor, "pk", None) else None})
        if created:
            report.added += 1
        else:
            report.already += 1
    live = (MerchantState.SUBMITTED, MerchantState.APPROVED, MerchantState.SUSPENDED)
    for merchant in Merchant.objects.filter(state__in=live).exclude(uscc="").order_by("pk"):
        hit = _blacklist_hit(merchant.uscc)
        if hit is None:
            continue
        merchant = lock_one(Merchant, merchant.pk)
        merchant.checks = {"at": now.isoformat(),
                           "results": checks.run_checks(merchant, hit)}
        merchant.save(update_fields=["checks"])
        case, opened = IntegrityCase.objects.get_or_create(
            merchant=merchant, blacklist_entry=hit, closed_at=None,
            defaults={"opened_at": now, "reason": f"命中失信名单（{hit.source}）"})
        what = "申请核验未通过" if merchant.state == MerchantState.SUBMITTED else "已有案件"
        if merchant.state == MerchantState.APPROVED:
            _set_state(merchant, MerchantState.SUSPENDED, f"命中失信名单（{hit.source}）")
            what = "已暂停"
        elif opened and merchant.state == MerchantState.SUSPENDED:
            what = "已暂停（新开案件）"
        report.hits.append((merchant, what))
        _audit(actor, "merchant.blacklist_hit", merchant, f"命中失信名单：{what}",
               entry=hit.pk, case=case.pk)
    record(actor=actor, action="blacklist.import", obj_type="blacklist",
           summary=f"导入失信名单：新增 {report.added} 条，命中 {len(report.hits)} 户",
           after={"added": report.added, "already": report.already,
                  "rejected": report.rejected[:100],
                  "hits": [m.pk for m, _ in report.hits]})
    return report
