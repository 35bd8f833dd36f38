"""Sign-in that also unlocks the user's private key (the password is at hand only here)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.http import HttpRequest

from ombud.access.services import (
    KeyMismatch,
    PepperMismatch,
    staff_key_create,
    staff_key_unlock,
)
from ombud.audit.services import audit_record
from ombud.crypto.errors import WrongPassword
from ombud.directory.models import User


class KeyUnlockingBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or password is None:
            return None
        assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL is ours
        try:
            private = staff_key_unlock(user=user, password=password)
        except PepperMismatch:
            return None  # logged: an operator must restore the pepper file
        except KeyMismatch:
            return None  # a substituted public key: refused, and audited by the unlock
        except WrongPassword:
            # The right password no longer opens the key: a changed pepper, or a
            # password stored without its key. Refused, and said in the log.
            with transaction.atomic():
                audit_record(actor=user, action="access.staff_key.does_not_open", obj=user)
            return None
        if private is None:
            private = staff_key_create(actor=user, user=user, password=password)
        if request is not None:
            request._ombud_unlocked_key = private  # type: ignore[attr-defined]
        return user

    def get_user(self, user_id: Any) -> User | None:
        # The key pair comes in the same query: every request checks the session's key
        # against it (access.session.SessionKeyRequired).
        user = User.objects.select_related("staff_key").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
