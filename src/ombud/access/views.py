"""Passwords: changing one's own without losing one's key, and the forgotten-password
path, which alone may give a key holder a new key pair."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.contrib.auth.views import PasswordChangeView, PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombud.access.services import KeyMismatch, reset_by_owner, staff_key_unlock
from ombud.crypto.errors import WrongPassword
from ombud.directory.models import User


class KeyKeepingPasswordChangeForm(PasswordChangeForm):
    """The old password unlocks the private key, so the new one can wrap the same key."""

    def clean_old_password(self) -> str:
        old: str = super().clean_old_password()
        try:
            private = staff_key_unlock(user=self.user, password=old)
        except (WrongPassword, KeyMismatch):
            raise ValidationError(
                _("Your key does not open with this password. Use “Forgotten password” instead."),
                code="key_locked",
            ) from None
        self.user._ombud_previous_private = private  # type: ignore[attr-defined]
        return old


class PasswordChange(PasswordChangeView):
    form_class = KeyKeepingPasswordChangeForm
    template_name = "registration/password_change_form.html"
    title = gettext_lazy("Change your password")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():  # the password and its key change together
            form.save()
        # The key kept for this sign-in belongs to the old session: sign in afresh.
        logout(self.request)
        messages.success(self.request, _("Your password was changed. Sign in with the new one."))
        return HttpResponseRedirect(reverse("login"))


class FirstOrForgottenPasswordForm(PasswordResetForm):
    """Also for accounts that never had a password (made by an administrator)."""

    def get_users(self, email: str) -> Iterator[User]:
        return iter(User.objects.filter(email__iexact=email, is_active=True))


class OwnerPasswordReset(PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic(), reset_by_owner():
            return super().form_valid(form)
