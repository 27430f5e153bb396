from __future__ import annotations

from django import forms

from huiquan.merchants.models import Scale


class StartForm(forms.Form):
    legal_name = forms.CharField(label="营业执照名称", max_length=128)


class ApplicationForm(forms.Form):
    legal_name = forms.CharField(label="营业执照名称", max_length=128)
    uscc = forms.CharField(label="统一社会信用代码", max_length=24, required=False,
                           widget=forms.TextInput(attrs={"placeholder": "18 位，见营业执照"}))
    address = forms.CharField(label="经营地址", max_length=255, required=False)
    lat = forms.CharField(label="纬度", max_length=20, required=False)
    lng = forms.CharField(label="经度", max_length=20, required=False)
    coord_system = forms.ChoiceField(label="坐标系", choices=[("gcj02", "GCJ-02（高德/腾讯地图）"),
                                                            ("wgs84", "WGS-84（手机定位/GPS）")],
                                     required=False)
    categories = forms.MultipleChoiceField(label="经营类别", required=False,
                                           widget=forms.CheckboxSelectMultiple)
    scale = forms.ChoiceField(label="经营规模", choices=[("", "请选择"), *Scale.choices],
                              required=False)
    bank_name = forms.CharField(label="开户银行", max_length=64, required=False)
    bank_account_name = forms.CharField(label="账户名称", max_length=128, required=False)
    bank_account = forms.CharField(label="结算账号", max_length=40, required=False)
    licence = forms.FileField(label="营业执照照片（JPG/PNG，≤5 MB）", required=False)

    def __init__(self, *args: object, categories: dict[str, str], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["categories"].choices = list(categories.items())  # type: ignore[attr-defined]
