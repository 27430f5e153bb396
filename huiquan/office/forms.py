"""Back-office forms. Amounts are typed in yuan and become integer fen here, nowhere else."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet

from huiquan.core.money import FEN_PER_YUAN, MoneyFormatError, parse_yuan
from huiquan.office.access import NOT_STAFF_MESSAGE, is_staff
from huiquan.office.labels import action_label, object_label


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


class AuditFilterForm(PlainLabels, forms.Form):
    action = forms.ChoiceField(label="动作", required=False)
    object_type = forms.ChoiceField(label="对象类型", required=False)
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    day_from = forms.DateField(label="从（日期）", required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(label="到（日期）", required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))

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
