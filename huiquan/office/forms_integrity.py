"""Forms of market supervision's pages (R-INT-1..2): signal filters, a complaint, a note with
an evidence image, a decision. The services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from huiquan.integrity.files import MAX_BYTES
from huiquan.integrity.models import CaseDecision, CaseState, Severity, SignalKind
from huiquan.office.forms import PlainLabels


class SignalFilterForm(PlainLabels, forms.Form):
    kind = forms.ChoiceField(label="类型", required=False,
                             choices=[("", "全部"), *SignalKind.choices])
    merchant = forms.TypedChoiceField(label="商户", required=False, coerce=int, empty_value=None)
    severity = forms.ChoiceField(label="严重程度", required=False,
                                 choices=[("", "全部"), *Severity.choices])

    def __init__(self, *args: Any, merchants: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["merchant"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "全部"), *[(str(pk), name) for pk, name in merchants]]


class CaseFilterForm(PlainLabels, forms.Form):
    state = forms.ChoiceField(label="状态", required=False,
                              choices=[("", "全部"), *CaseState.choices])


class OpenFromSignalForm(PlainLabels, forms.Form):
    title = forms.CharField(label="案由（可不填）", required=False, max_length=255,
                            help_text="不填则用信号摘要；信号的证据会原样存入案件")


class ComplaintForm(PlainLabels, forms.Form):
    merchant = forms.TypedChoiceField(label="被投诉商户", coerce=int)
    complaint = forms.CharField(label="投诉内容", max_length=2000, required=False,
                                widget=forms.Textarea(attrs={"rows": 4}),
                                help_text="投诉人反映的情况、时间、涉及的核销；第一行作为案由")

    def __init__(self, *args: Any, merchants: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["merchant"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "请选择"), *[(str(pk), name) for pk, name in merchants]]


class EntryForm(PlainLabels, forms.Form):
    text = forms.CharField(label="记录内容", max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="调查经过、约谈、现场核查情况")
    file = forms.FileField(label="证据文件（可不填）", required=False,
                           help_text="照片（JPG、PNG、WebP）或 PDF，最大 10 MB；按内容检查，"
                                     "照片去除拍摄信息后保存",
                           widget=forms.ClearableFileInput(
                               attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}))

    def clean_file(self) -> bytes | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("证据文件不能超过 10 MB")
        return bytes(upload.read())


class DecisionForm(PlainLabels, forms.Form):
    decision = forms.ChoiceField(label="处理决定", choices=CaseDecision.choices,
                                 widget=forms.RadioSelect)
    reason = forms.CharField(label="处理理由", max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="必填；写明认定的事实和依据（R-INT-2：留存证据）")
    referred_to = forms.CharField(label="移送部门", max_length=128, required=False,
                                  help_text="选择「移送有关部门」时必填，如：隰县公安局")
