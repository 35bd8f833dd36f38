"""Throttling sign-ins and password-reset requests, never storing an address.

Sign-ins are throttled by django-axes, counting failures in Django's cache by
account and by address: AXES_CLIENT_IP_CALLABLE gives axes a keyed hash of the
address (under a key derived from the pepper, shared by every process) instead
of the address itself, so neither the cache nor a log holds one. A lockout is
audited once per cool-off, with the account's name only.

The forgotten-password page counts requests in the cache too, by address and by
the address typed, under keyed hashes: every input, known or not, counts alike.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from ombud.audit.services import audit_record
from ombud.intake.ratelimit import client_address
from ombud.signin.keys import keyed_hash

SIGN_IN_ACTOR = "anonymous:sign-in"


def address_hash(request: HttpRequest) -> str:
    """What axes counts instead of the address (AXES_CLIENT_IP_CALLABLE)."""
    return keyed_hash("signin-address", client_address(request).encode(), size=16).hex()


def client_str(
    username: str | None, ip_address: str, user_agent: str, path_info: str, request: Any
) -> str:
    """How axes names a client in its log lines: the account only (no address, no
    browser) (AXES_CLIENT_STR_CALLABLE)."""
    return f"{{username: {username!r}}}"


def _once(key: str, window: int) -> bool:
    """True the first time ``key`` is seen in ``window`` seconds (an atomic cache add)."""
    return bool(cache.add(f"ombud-once:{key}", 1, timeout=window))


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


@receiver(user_locked_out)
def _locked_out(sender: Any, request: HttpRequest, username: str | None, **kwargs: Any) -> None:
    account = username or ""
    window = lockout_seconds()
    if not _once(
        f"lockout:{keyed_hash('signin-lockout', account.encode(), size=16).hex()}", window
    ):
        return
    with transaction.atomic():
        audit_record(
            actor=SIGN_IN_ACTOR,
            action="access.sign_in.locked_out",
            details={"username": account[:150], "minutes": window // 60},
        )


# The forgotten-password page ------------------------------------------------------


RESET_WINDOW = 60 * 60


def _counted(bucket: str, limit: int, window: int) -> bool:
    """Count one request in ``bucket``; True while within ``limit`` per ``window``.
    Each request takes a numbered slot with an atomic add, so concurrent processes
    never share a count (the database cache's incr is a read then a write)."""
    for slot in range(limit):
        if cache.add(f"ombud-reset:{bucket}:{slot}", 1, timeout=window):
            return True
    return False


def reset_allowed(request: HttpRequest, typed_address: str) -> bool:
    """Count a request for a reset mail; False when this address (where the request
    comes from) or this typed e-mail address has used up its requests this hour."""
    limit = settings.OMBUD_RESET_LIMIT
    source = keyed_hash("reset-source", client_address(request).encode(), size=16).hex()
    target = keyed_hash("reset-target", typed_address.strip().lower().encode(), size=16).hex()
    allowed = _counted(f"from:{source}", limit, RESET_WINDOW)
    allowed = _counted(f"to:{target}", limit, RESET_WINDOW) and allowed
    if not allowed and _once(f"reset-limited:{source}", RESET_WINDOW):
        with transaction.atomic():
            audit_record(actor=SIGN_IN_ACTOR, action="access.password_reset.limited")
    return allowed
