from __future__ import annotations

from django import forms

from huiquan.consumers.privacy import NOTICE_VERSION


class _ResidentForm(forms.Form):
    """Chinese typography: no half-width colon after a label (Django's default label suffix)."""

    def __init__(self, *args: object, **kwargs: object):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class PhoneForm(_ResidentForm):
    phone = forms.CharField(label="手机号", max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "tel",
                                                          "placeholder": "11 位手机号"}))


class CodeForm(PhoneForm):
    code = forms.CharField(label="验证码", max_length=8,
                           widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                         "autocomplete": "one-time-code",
                                                         "placeholder": "6 位验证码"}))


class IdentityForm(_ResidentForm):
    name = forms.CharField(label="姓名", max_length=32,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(label="身份证号", max_length=24,
                                widget=forms.TextInput(attrs={"autocomplete": "off",
                                                              "placeholder": "18 位身份证号"}))
    # Separate consent to the notice shown above the form (PIPL art. 29); the notice's version
    # travels with the form, so the consent names the text the person actually saw.
    consent = forms.BooleanField(label="我已阅读并同意《实名信息处理说明》", required=False)
    consent_version = forms.CharField(max_length=32, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["consent_version"].initial = NOTICE_VERSION
