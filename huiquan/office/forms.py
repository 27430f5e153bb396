"""Back-office forms. Amounts are typed in yuan and become integer fen here, nowhere else."""

from __future__ import annotations

from typing import Any

from django import forms

from huiquan.core.money import MoneyFormatError, parse_yuan


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
            raise forms.ValidationError(str(exc)) from exc


class ReceiveFundsForm(forms.Form):
    source = forms.TypedChoiceField(label="资金来源", coerce=int)
    amount = YuanField(label="到位金额（元）")
    reference = forms.CharField(label="到账凭证号 / 文件号", max_length=128)

    def __init__(self, *args: Any, sources: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        source_field = self.fields["source"]
        assert isinstance(source_field, forms.ChoiceField)
        source_field.choices = [(s.pk, s.name) for s in sources]


class ConfirmReleaseForm(forms.Form):
    amount = YuanField(label="投放金额（元）")
    voucher_count = forms.IntegerField(label="券数量（张）", min_value=1, max_value=10_000_000)
    reason = forms.CharField(label="调整理由（与建议不同时必填）", max_length=255, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="动作", required=False)
    object_type = forms.CharField(label="对象类型", required=False, max_length=64)
    actor = forms.CharField(label="操作人", required=False, max_length=150)
    day_from = forms.DateField(label="从", required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(label="到", required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ChoiceField)
        action_field.choices = [("", "全部"), *[(a, a) for a in actions]]
