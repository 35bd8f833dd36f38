"""Sign-in that also unlocks the user's private key (the password is at hand only here).

Two factors, in one request: a code from the account's authenticator (or a
recovery code), then the password. The code is checked first because it is
cheap: a wrong one costs no Argon2 and opens nothing. The password's check is
opening the staff key: the key is wrapped under Argon2id(password keyed with the
pepper), so one derivation both proves the password and gives the key. Only when
both pass is the code spent, the key kept for the session and pending grants
fulfilled (by the user_logged_in receiver). The stored Django hash is not
consulted (it is peppered too: see ``ombud.signin.hashers``), except for an
account that has a password but no key pair yet.

An account without an authenticator yet (its first sign-in) proves its password
and is sent to enrol one (EnrolmentRequired); it is signed in when the enrolment
page gets the password again and the app's first code.
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
from ombud.signin.services import (
    confirmed_device,
    pending_device,
    second_factor_check,
    totp_confirm,
)

SIGN_IN_ACTOR = "anonymous:sign-in"  # who tried is not known: only the account named


class EnrolmentRequired(Exception):
    """The password is right and the account has no authenticator yet: set one up."""

    def __init__(self, user: User) -> None:
        super().__init__(f"{user.get_username()} has no second factor yet")
        self.user = user


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
        otp_token: str | None = None,
        enrol: bool = False,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None or not self.user_can_authenticate(user):
            return None  # as fast as a wrong code: no Argon2 for anyone without one
        if enrol:
            device = pending_device(user)
            if device is None:
                return None
        else:
            device = confirmed_device(user)
            if device is None:
                if self.open_key(user, password) is None:
                    return None
                raise EnrolmentRequired(user)
        proof = second_factor_check(device=device, token=otp_token)
        if proof is None:
            sign_in_failed(user, "code")
            return None
        private = self.open_key(user, password)
        if private is None:
            return None
        with transaction.atomic():
            if not proof.spend(actor=user):
                sign_in_failed(user, "code already used")
                return None
            if enrol:
                codes = totp_confirm(actor=user, device=device)
                if request is not None:
                    request._ombud_recovery_codes = codes  # type: ignore[attr-defined]
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
