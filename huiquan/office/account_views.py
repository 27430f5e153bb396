"""Setting one's password from the link `huiquan staff add` / `staff link` prints.

Django's PasswordResetConfirmView does the token work: it moves the token from the URL into the
session at once (so it never leaks through a Referer header), checks it again on the form, and
the token dies when the password changes. Only active office accounts can use a link.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponse
from django.urls import reverse_lazy

from huiquan.core.models import User
from huiquan.office.forms import PlainLabels
from huiquan.staff import services as staff


class ChoosePasswordForm(PlainLabels, SetPasswordForm):  # type: ignore[misc]
    pass


class SetPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "office/set_password.html"
    form_class = ChoosePasswordForm
    success_url = reverse_lazy("office:login")

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        if user is None or not user.is_office_staff:
            return None
        return user  # type: ignore[no-any-return]

    def form_valid(self, form: Any) -> HttpResponse:
        staff.set_password_from_link(user=self.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, "密码已设置：请用用户名和新密码登录。")
        return super(auth_views.PasswordResetConfirmView, self).form_valid(form)
