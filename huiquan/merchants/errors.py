from __future__ import annotations

from huiquan.core.errors import DomainError, ErrorCode


class MerchantCode(ErrorCode):
    """Codes of applications, review, training, the till's standing
    (code, HTTP status, default message; docs/api.md)."""

    APPLICATION_INCOMPLETE = "APPLICATION_INCOMPLETE", 422, "申请信息不完整"
    BANK_ACCOUNT_INVALID = "BANK_ACCOUNT_INVALID", 422, "结算账号应为 8–32 位数字"
    CATEGORY_INVALID = "CATEGORY_INVALID", 422, "经营品类不正确"
    CHECKS_FAILED = "CHECKS_FAILED", 409, "自动核验未通过，不能通过审核"
    DATE_INVALID = "DATE_INVALID", 422, "日期不正确"
    MERCHANT_BLACKLISTED = "MERCHANT_BLACKLISTED", 409, "该商户在失信名单上"
    MERCHANT_INVALID = "MERCHANT_INVALID", 422, "商户信息不正确"
    MERCHANT_NOT_APPROVED = "MERCHANT_NOT_APPROVED", 403, "只有参与商户的收银人员可以核销"
    MERCHANT_NOT_TRAINED = ("MERCHANT_NOT_TRAINED", 403,
                            "商户人员尚未完成培训，收银台已锁定（R-MER-5）：请联系平台登记培训")
    MERCHANT_STATE = "MERCHANT_STATE", 409, "当前申请状态不允许此操作"
    MERCHANT_SUSPENDED = "MERCHANT_SUSPENDED", 403, "商户已被暂停，收银台已锁定"
    OUTSIDE_COUNTY = "OUTSIDE_COUNTY", 422, "店铺位置不在活动县域内"
    SCALE_INVALID = "SCALE_INVALID", 422, "经营规模选项不正确"
    TRAINEE_REQUIRED = "TRAINEE_REQUIRED", 422, "请填写受训人员姓名"
    TRAINING_MODE_INVALID = "TRAINING_MODE_INVALID", 422, "培训方式只能是线上或线下"
    TRAINING_TIME_INVALID = "TRAINING_TIME_INVALID", 422, "培训时间不能晚于现在"
    UPLOAD_INVALID = "UPLOAD_INVALID", 422, "营业执照照片只接受 JPG 或 PNG"
    UPLOAD_TOO_LARGE = "UPLOAD_TOO_LARGE", 413, "营业执照照片不能超过 5 MB"
    USCC_INVALID = "USCC_INVALID", 422, "统一社会信用代码不正确"
    USCC_TAKEN = "USCC_TAKEN", 409, "该统一社会信用代码已有商户申请"


class MerchantError(DomainError):
    code = MerchantCode.MERCHANT_INVALID
    status = 422


class UsccInvalid(MerchantError):
    code = MerchantCode.USCC_INVALID


class OutsideCounty(MerchantError):
    code = MerchantCode.OUTSIDE_COUNTY


class Blacklisted(MerchantError):
    code = MerchantCode.MERCHANT_BLACKLISTED
    status = 409


class StateConflict(MerchantError):
    code = MerchantCode.MERCHANT_STATE
    status = 409
