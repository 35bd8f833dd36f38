"""Changing one's own password without losing one's keys."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombud.access.services import KeyMismatch, staff_key_unlock
from ombud.crypto.errors import WrongPassword


class KeyKeepingPasswordChangeForm(PasswordChangeForm):
    """The old password unlocks the private key, so the new one can wrap the same key."""

    def clean_old_password(self) -> str:
        old: str = super().clean_old_password()
        try:
            self.user._ombud_previous_private = staff_key_unlock(user=self.user, password=old)  # type: ignore[attr-defined]
        except (WrongPassword, KeyMismatch):
            self.user._ombud_previous_private = None  # type: ignore[attr-defined]
        return old


class PasswordChange(PasswordChangeView):
    form_class = KeyKeepingPasswordChangeForm
    template_name = "registration/password_change_form.html"
    title = gettext_lazy("Change your password")

    def form_valid(self, form: Any) -> HttpResponse:
        form.save()
        # The key kept for this sign-in was wrapped for the old session: sign in afresh.
        logout(self.request)
        messages.success(self.request, _("Your password was changed. Sign in with the new one."))
        return HttpResponseRedirect(reverse("login"))
