"""A reporter's signed-in state, kept like staff's: the session store holds her
reporter key and case id encrypted under a random key that lives only in her
HttpOnly, SameSite=Strict cookie. Neither alone opens her case.

With them, the seed of her signing key (``crypto.receipts.receipt_signing_seed``):
her pages work without JavaScript, so the server signs her confirmation of minutes
for her. The server thus sees her receipt and holds her signing key while she is
signed in (docs/threat-model.md: an operator who runs it could forge)."""

from __future__ import annotations

import base64
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables

from ombud.access.reading import ReporterAccess
from ombud.access.services import CaseKeyUnavailable, case_key_open_by_reporter
from ombud.cases.models import Case
from ombud.crypto import aead
from ombud.crypto.errors import DecryptionFailed

SESSION_FIELD = "ombud_reporter"
COOKIE_NAME = "ombud_reporter"
IDLE_SECONDS = 30 * 60
_CONTEXT = b"ombud-reporter-session"


@sensitive_variables()
def reporter_sign_in(
    request: HttpRequest,
    response: HttpResponse,
    case: Case,
    key: bytes,
    sign_seed: bytes | None = None,
) -> None:
    cookie_key = aead.random_key()
    fields = {"case": case.public_id, "key": base64.b64encode(key).decode()}
    if sign_seed is not None:
        fields["sign"] = base64.b64encode(sign_seed).decode()
    payload = json.dumps(fields)
    request.session.cycle_key()
    request.session[SESSION_FIELD] = base64.b64encode(
        aead.encrypt(cookie_key, payload.encode(), _CONTEXT)
    ).decode()
    request.session.set_expiry(IDLE_SECONDS)
    # A browser-session cookie: the server's session ends after IDLE_SECONDS without
    # activity (renewed on every page), and the cookie alone opens nothing.
    response.set_cookie(
        COOKIE_NAME,
        base64.urlsafe_b64encode(cookie_key).decode(),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
    )


@sensitive_variables()
def _payload(request: HttpRequest) -> dict[str, str] | None:
    sealed = request.session.get(SESSION_FIELD)
    cookie = request.COOKIES.get(COOKIE_NAME)
    if not sealed or not cookie:
        return None
    try:
        payload: dict[str, str] = json.loads(
            aead.decrypt(base64.urlsafe_b64decode(cookie), base64.b64decode(sealed), _CONTEXT)
        )
    except (ValueError, DecryptionFailed):
        return None
    return payload


@sensitive_variables()
def reporter_signing_seed(request: HttpRequest) -> bytes | None:
    """The seed of her signing key, kept since she signed in with her receipt (None
    for a session begun before reporters signed: she signs in again)."""
    payload = _payload(request)
    if payload is None or "sign" not in payload:
        return None
    try:
        return base64.b64decode(payload["sign"])
    except ValueError:
        return None


@sensitive_variables()
def reporter_access(request: HttpRequest) -> ReporterAccess | None:
    payload = _payload(request)
    if payload is None:
        return None
    try:
        key = base64.b64decode(payload["key"])
    except (ValueError, KeyError):
        return None
    case = Case.objects.filter(public_id=payload["case"]).first()
    if case is None:
        return None
    try:
        access = ReporterAccess(
            case=case, case_key=case_key_open_by_reporter(case=case, reporter_key=key)
        )
    except CaseKeyUnavailable:
        return None
    request.session.set_expiry(IDLE_SECONDS)  # 30 minutes from now: idle, not total
    return access


def reporter_sign_out(request: HttpRequest, response: HttpResponse) -> None:
    """End her reporter session. A staff sign-in sharing the browser's session is kept
    (only the reporter's part goes): leaving a report never signs staff out."""
    if request.user.is_authenticated:
        request.session.pop(SESSION_FIELD, None)
    else:
        request.session.flush()
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
    response.delete_cookie(COOKIE_NAME, samesite="Strict")
