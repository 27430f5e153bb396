"""Back-office forms. Amounts are typed in yuan and become integer fen here, nowhere else."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet

from huiquan.core import identifiers
from huiquan.core.errors import DomainError, PermissionRefused
from huiquan.core.money import FEN_PER_YUAN, MoneyFormatError, parse_yuan
from huiquan.core.tabular import MAX_BYTES
from huiquan.merchants.models import TrainingMode
from huiquan.office.access import NOT_STAFF_MESSAGE, is_staff
from huiquan.office.labels import action_label, object_label


def show_refusal(form: forms.Form, error: DomainError, fields: dict[str, str]) -> int:
    """Show a service's refusal on the form (next to the field its code belongs to, else above
    the form); the page is answered with the error's status."""
    if isinstance(error, PermissionRefused):
        raise error  # a role problem is a 403 page, not a form message
    form.add_error(fields.get(error.code), error.message)
    return error.status


def yuan_input(value_fen: int) -> str:
    """Fen as a person would type it back: 30000000 -> "300000", 12345 -> "123.45"."""
    whole, cents = divmod(int(value_fen), FEN_PER_YUAN)
    return str(whole) if cents == 0 else f"{whole}.{cents:02d}"


class PlainLabels:
    """Chinese labels carry no ASCII colon after them (Django's default label suffix)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class YuanField(forms.CharField):
    """A yuan amount as people type it ("300000", "1,234.50"); cleans to integer fen."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value: Any) -> int:  # type: ignore[override]
        text = super().clean(value)
        try:
            return int(parse_yuan(text))
        except MoneyFormatError as exc:
            raise forms.ValidationError(str(exc), code="money") from exc


class OfficeAuthenticationForm(PlainLabels, AuthenticationForm):
    """Django's log-in form; an account without a staff role gets no office session at all."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not is_staff(user):
            raise forms.ValidationError(NOT_STAFF_MESSAGE, code="not_staff")


class ReceiveFundsForm(PlainLabels, forms.Form):
    source: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="资金来源", queryset=None, empty_label=None)
    amount = YuanField(label="到位金额（元）", help_text="例如 360000 或 1234.50，最多两位小数")
    reference = forms.CharField(label="到账凭证号 / 文件号", max_length=128,
                                help_text="如 临财〔2024〕18号，记入审计日志")

    def __init__(self, *args: Any, sources: QuerySet[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        source_field = self.fields["source"]
        assert isinstance(source_field, forms.ModelChoiceField)
        source_field.queryset = sources


class ConfirmReleaseForm(PlainLabels, forms.Form):
    amount = YuanField(label="投放金额（元）")
    voucher_count = forms.IntegerField(label="券数量（张）", min_value=1, max_value=10_000_000)
    reason = forms.CharField(label="调整理由（金额或张数与建议不同时必填）", max_length=255,
                             required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ListDateField(forms.DateField):
    """A date typed into a list's filter: fullwidth digits read as digits (NFKC), and only years
    the system's times can hold a day either side of (a year 9999 or 0001 would overflow when
    turned into a time range: a 500 before, hostile input second round F2)."""

    FIRST, LAST = date(2000, 1, 1), date(2099, 12, 31)

    def __init__(self, **kwargs: Any):
        super().__init__(required=False, widget=forms.DateInput(attrs={
            "type": "date", "min": self.FIRST.isoformat(), "max": self.LAST.isoformat()}),
            error_messages={"invalid": "请输入有效的日期，例如 2024-06-21"}, **kwargs)

    def to_python(self, value: Any) -> date | None:
        text = identifiers.nfkc(value)[:32] if isinstance(value, str) else value
        day = super().to_python(text)
        if day is not None and not self.FIRST <= day <= self.LAST:
            raise forms.ValidationError(
                f"日期超出范围：请输入 {self.FIRST:%Y-%m-%d} 至 {self.LAST:%Y-%m-%d} 之间的日期",
                code="out_of_range")
        return day


class AuditFilterForm(PlainLabels, forms.Form):
    action = forms.ChoiceField(label="动作", required=False)
    object_type = forms.ChoiceField(label="对象类型", required=False)
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    day_from = ListDateField(label="从（日期）")
    day_to = ListDateField(label="到（日期）")

    def __init__(self, *args: Any, actions: list[str], object_types: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        action_field, type_field = self.fields["action"], self.fields["object_type"]
        assert isinstance(action_field, forms.ChoiceField)
        assert isinstance(type_field, forms.ChoiceField)
        action_field.choices = [("", "全部"), *[(a, action_label(a)) for a in actions]]
        type_field.choices = [("", "全部"), *[(t, object_label(t)) for t in object_types]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("day_from"), data.get("day_to")
        if start and end and start > end:
            self.add_error("day_to", "结束日期不能早于开始日期")
        return data


# --- merchants -----------------------------------------------------------------------------
# Reasons are not required here: the service decides (and words the refusal), the form only
# carries what was typed.

def _reason_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, max_length=255, required=False, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(PlainLabels, forms.Form):
    note = _reason_field("审核意见（可不填）", "不填则记为“审核通过”")


class ReasonForm(PlainLabels, forms.Form):
    """驳回、暂停、恢复、取消资格: one reason, whose label the action gives."""

    reason = _reason_field("原因")

    def __init__(self, *args: Any, reason_label: str = "原因", reason_help: str = "",
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = reason_label
        self.fields["reason"].help_text = reason_help


class TrainingForm(PlainLabels, forms.Form):
    trainee_name = forms.CharField(label="受训人员姓名", max_length=64, required=False)
    mode = forms.ChoiceField(label="培训方式", choices=TrainingMode.choices,
                             initial=TrainingMode.OFFLINE)
    trained_at = forms.DateTimeField(
        label="培训时间（可不填）", required=False, help_text="北京时间；不填则记为现在",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


# --- spreadsheets --------------------------------------------------------------------------

class TableUploadForm(PlainLabels, forms.Form):
    file = forms.FileField(label="文件（CSV 或 xlsx）", help_text="第一行为列名；CSV 可为 UTF-8 或 GBK 编码",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）",
                                        code="too_large")
        return upload


class BlacklistUploadForm(TableUploadForm):
    default_source = forms.CharField(label="默认来源（可不填）", max_length=128, required=False,
                                     help_text="文件中没有“来源”列或该格为空时使用，如 信用中国（山西临汾）")


# --- catalogue -----------------------------------------------------------------------------

class _SwitchForm(PlainLabels, forms.Form):
    """Turn one row of the catalogue on or off. The target state is posted, not toggled, so a
    form sent twice is refused ("已是这个状态") instead of undoing itself."""

    on = forms.TypedChoiceField(choices=[("1", "恢复"), ("0", "停用")],
                                coerce=lambda v: v == "1", widget=forms.HiddenInput)
    reason = _reason_field("调整原因")


class KindSwitchForm(_SwitchForm):
    kind: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None,
                                                                widget=forms.HiddenInput)

    def __init__(self, *args: Any, kinds: QuerySet[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = kinds


class ProductSwitchForm(_SwitchForm):
    product: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None,
                                                                   widget=forms.HiddenInput)

    def __init__(self, *args: Any, products: QuerySet[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = products
