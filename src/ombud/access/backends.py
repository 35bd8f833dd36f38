"""Sign-in that also unlocks the user's private key (the password is at hand only here).

The password's check is opening the staff key: the key is wrapped under
Argon2id(password keyed with the pepper), so one derivation both proves the
password and gives the key. The stored Django hash is not consulted (it is
peppered too: see ``ombud.signin.hashers``), except for an account that has a
password but no key pair yet.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
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

SIGN_IN_ACTOR = "anonymous:sign-in"  # who tried is not known: only the account named


def sign_in_failed(user: User, reason: str) -> None:
    with transaction.atomic():
        audit_record(
            actor=SIGN_IN_ACTOR,
            action="access.sign_in.failed",
            obj=user,
            details={"reason": reason},
        )


def verifier_refresh(user: User, password: str) -> None:
    """After the password proved itself: store the peppered verifier if the stored one
    is a stock or outdated hash (or none). In place: it is the same password, so the
    key pair stays."""
    hasher = get_hasher()
    try:
        stored = identify_hasher(user.password)
    except ValueError:  # none, or unusable
        stored = None
    outdated = getattr(hasher, "outdated", lambda encoded: False)
    if stored is not None and stored.algorithm == hasher.algorithm and not outdated(user.password):
        return
    user.password = make_password(password)
    User.objects.filter(pk=user.pk).update(password=user.password)


class KeyUnlockingBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None or not self.user_can_authenticate(user):
            make_password(password)  # the same cost: the time taken tells nobody who exists
            return None
        private = self.open_key(user, password)
        if private is None:
            return None
        verifier_refresh(user, password)
        if request is not None:
            request._ombud_unlocked_key = private  # type: ignore[attr-defined]
        return user

    @staticmethod
    def open_key(user: User, password: str) -> bytes | None:
        """The user's private key if ``password`` opens it (making a first key pair for
        an account that has none yet), else None."""
        try:
            private = staff_key_unlock(user=user, password=password)
        except PepperMismatch:
            return None  # logged: an operator must restore the pepper file
        except KeyMismatch:
            return None  # a substituted public key: refused, and audited by the unlock
        except WrongPassword:
            sign_in_failed(user, "password")
            return None
        if private is None:
            # A password but no key pair yet: the stored verifier decides, once.
            if not user.check_password(password):
                sign_in_failed(user, "password")
                return None
            private = staff_key_create(actor=user, user=user, password=password)
        return private

    def get_user(self, user_id: Any) -> User | None:
        # The key pair comes in the same query: every request checks the session's key
        # against it (access.session.SessionKeyRequired).
        user = User.objects.select_related("staff_key").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
