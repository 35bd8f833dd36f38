"""Keeping a user's unlocked private key for the length of a sign-in.

The session store holds the private key encrypted under a random key; that key
lives only in a separate HttpOnly, SameSite=Strict cookie. Neither the session
store nor the cookie alone opens it. Signing out, expiry (of the session or
the cookie) and a password change destroy it.

Every signed-in request must open that key, and it must be the account's (its
public half is the one stored for the account): otherwise the session ends. So a
session id alone, from a copy of the database or a stolen cookie, opens nothing.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from ombud.crypto import aead, boxes
from ombud.crypto.errors import DecryptionFailed

logger = logging.getLogger("ombud.access")

SESSION_FIELD = "ombud_private_key"
COOKIE_NAME = "ombud_key"


def _context(user_id: object) -> bytes:
    return f"ombud-session-key:{user_id}".encode()


def session_key_store(request: HttpRequest, private: bytes) -> None:
    cookie_key = aead.random_key()
    sealed = aead.encrypt(cookie_key, private, _context(request.user.pk))
    request.session[SESSION_FIELD] = base64.b64encode(sealed).decode()
    request._ombud_key_cookie = base64.urlsafe_b64encode(cookie_key).decode()  # type: ignore[attr-defined]


def session_private_key(request: HttpRequest) -> bytes | None:
    """The signed-in user's private key, or None (not signed in, or the key is gone)."""
    sealed = request.session.get(SESSION_FIELD)
    cookie = getattr(request, "_ombud_key_cookie", None) or request.COOKIES.get(COOKIE_NAME)
    if not sealed or not cookie or not request.user.is_authenticated:
        return None
    try:
        cookie_key = base64.urlsafe_b64decode(cookie)
        return aead.decrypt(cookie_key, base64.b64decode(sealed), _context(request.user.pk))
    except (ValueError, DecryptionFailed):
        return None


def session_key_forget(request: HttpRequest) -> None:
    if hasattr(request, "session"):
        request.session.pop(SESSION_FIELD, None)
    request._ombud_key_cookie_delete = True  # type: ignore[attr-defined]


class KeyCookieMiddleware:
    """Sets or deletes the cookie that holds the session key's key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "_ombud_key_cookie_delete", False):
            response.delete_cookie(COOKIE_NAME, samesite="Strict")
        elif value := getattr(request, "_ombud_key_cookie", None):
            response.set_cookie(
                COOKIE_NAME,
                value,
                max_age=settings.SESSION_COOKIE_AGE,  # never outlives the session
                httponly=True,
                samesite="Strict",
                secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
            )
        return response


def session_key_problem(request: HttpRequest) -> str | None:
    """Why this signed-in session may not go on, or None when its key is the account's."""
    private = session_private_key(request)
    if private is None:
        return "no key"
    staff_key = getattr(request.user, "staff_key", None)  # joined by the backend's get_user
    if staff_key is None:
        return "no key pair"
    if boxes.public_of(private) != bytes(staff_key.public_key):
        return "not the account's key"
    from ombud.integrity import row_valid

    if not row_valid(staff_key):
        return "the account's key failed its integrity check"
    return None


class SessionKeyRequired:
    """Ends any signed-in session whose sealed key does not open with its ``ombud_key``
    cookie or is not the account's key. After AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and (problem := session_key_problem(request)):
            from ombud.audit.services import audit_record

            with transaction.atomic():
                audit_record(
                    actor=user,
                    action="access.session.ended",
                    obj=user,
                    details={"reason": problem},
                )
            logger.info("a session of %s ended: %s", user.get_username(), problem)
            logout(request)
        return self.get_response(request)
