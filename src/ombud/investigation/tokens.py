"""Personal access tokens for the staff API (the maths: ``ombud.crypto.tokens``).

A token carries no password, so its secret wraps its own copy of its owner's private
key: it opens exactly the cases her key opens, through the same door and with the
same read entries as her pages. Its text is shown once and never stored; the
database keeps a lookup keyed with a key derived from the pepper, and the wrapped
key (bound to its user, its row and its expiry). It lives at most ``MAX_DAYS``.

A token dies, revoked with its reason, when its owner revokes it, when she loses a
role, when her key pair is replaced (a forgotten password) and when she leaves or
her account is switched off (the receivers in ``ombud.investigation.signals``).
A revoked token's wrapped key is erased, so its text opens nothing even in an
older copy of the database. Whatever the receivers miss, the check at each use
catches: the key a token opens must be the one stored for its owner now, and the
owner still active.

Use is audited once per token and per day, not per request: every case a token
reads already writes its own read entry (the same as the page's), so a use entry
per request would only bury those, in a log every auditor reads, under the calls
of a script that polls. The day's entry says the token is alive and who holds it;
``last_used_at`` is kept to the same day (one write a day, not one a request).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from ombud import config
from ombud.access.models import StaffKey
from ombud.audit.services import audit_record
from ombud.crypto import boxes, tokens
from ombud.crypto.errors import DecryptionFailed
from ombud.directory.models import User
from ombud.integrity import row_valid
from ombud.investigation.models import ApiToken

MAX_DAYS = 90
NAME_MAX = 80

CREATED = "access.api_token.created"
REVOKED = "access.api_token.revoked"
USED = "access.api_token.used"
EXPIRED_ERASED = "access.api_token.expired_erased"


class TokenRefused(Exception):
    """Unknown, malformed, expired or revoked: one answer for all, so nobody learns
    which tokens exist."""


@dataclass(frozen=True)
class TokenAccess:
    """Who a token acts for, and her private key for this request only."""

    token: ApiToken
    user: User
    private: bytes


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    text: str  # shown once, never stored


@functools.cache
def _subkeys() -> tuple[bytes, bytes]:
    return tokens.subkeys(config.pepper(settings.CONFIG))


def _expires(token: ApiToken) -> int:
    return int(token.expires_at.timestamp())


def _context(token: ApiToken) -> bytes:
    return tokens.token_context(user_id=token.user_id, lookup=token.lookup, expires=_expires(token))


def token_is_live(token: ApiToken, now: datetime.datetime | None = None) -> bool:
    return token.revoked_at is None and token.expires_at > (now or timezone.now())


@sensitive_variables()
@transaction.atomic
def token_create(*, actor: User, name: str, days: int, private: bytes) -> CreatedToken:
    """A token for ``actor`` herself, living ``days`` (1 to MAX_DAYS), wrapping
    ``private``, which must be her current key (the page opens it with her password
    after checking her second factor). Returns the token's text, once."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise ValidationError(
            _("Give the token a name of at most %(count)d characters.") % {"count": NAME_MAX},
            code="name",
        )
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(
            _("A token lives from 1 to %(days)d days.") % {"days": MAX_DAYS}, code="days"
        )
    staff_key = StaffKey.objects.filter(user=actor).first()
    if (
        not actor.is_active
        or staff_key is None
        or boxes.public_of(private) != bytes(staff_key.public_key)
    ):
        raise PermissionDenied("a token wraps its owner's current key only")
    lookup_key, wrap_key = _subkeys()
    text = tokens.token_new()
    now = timezone.now().replace(microsecond=0)  # the expiry is bound in whole seconds
    token = ApiToken(
        user=actor,
        name=name,
        lookup=tokens.token_lookup(text, lookup_key),
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    token.wrapped_private_key = tokens.private_key_wrap(text, wrap_key, private, _context(token))
    token.save()
    audit_record(
        actor=actor,
        action=CREATED,
        obj=actor,
        details={
            "token": token.pk,
            "name": name,
            "expires": token.expires_at.date().isoformat(),
        },
    )
    return CreatedToken(token=token, text=text)


def _revoke(*, actor: User | str, token: ApiToken, reason: str) -> bool:
    now = timezone.now()
    # Guarded: revoked once, by whoever comes first; the wrapped key is erased with it.
    done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason[:120], wrapped_private_key=b""
    )
    if not done:
        return False
    token.revoked_at, token.revoked_reason, token.wrapped_private_key = now, reason[:120], b""
    audit_record(
        actor=actor,
        action=REVOKED,
        obj=token.user,
        details={"token": token.pk, "name": token.name, "reason": reason[:120]},
    )
    return True


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken, reason: str = "revoked by its owner") -> bool:
    """Its owner revokes it. False when it was revoked already."""
    if token.user_id != actor.pk:
        raise PermissionDenied("only its owner revokes a token")
    return _revoke(actor=actor, token=token, reason=reason)


@transaction.atomic
def tokens_revoke_for(*, actor: User | str, user_id: int, reason: str) -> int:
    """Every token of the user still standing (expired ones too: their wrapped keys
    go), with ``reason``. Returns how many."""
    standing = ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True).select_related(
        "user"
    )
    return sum(_revoke(actor=actor, token=token, reason=reason) for token in standing)


def tokens_expired_erase(now: datetime.datetime | None = None) -> int:
    """The wrapped keys of tokens that have expired are erased (a duty of the worker):
    an old token's text and a later copy of the database, with the pepper, must not
    unwrap its owner's key. The rows stay, so the page still lists them as expired.
    Returns how many were erased."""
    now = now or timezone.now()
    with transaction.atomic():
        erased = (
            ApiToken.objects.filter(expires_at__lte=now)
            .exclude(wrapped_private_key=b"")
            .update(wrapped_private_key=b"")
        )
        if erased:
            audit_record(
                actor="system:worker",
                action=EXPIRED_ERASED,
                object_type="investigation.apitoken",
                object_id="",
                details={"tokens": erased},
            )
    return erased


@sensitive_variables()
def token_authenticate(text: str) -> TokenAccess:
    """The user a token acts for and her private key, or TokenRefused (the same for
    a malformed, unknown, expired or revoked token, or one whose owner's key, account
    or standing changed)."""
    lookup_key, wrap_key = _subkeys()
    try:
        lookup = tokens.token_lookup(text, lookup_key)
    except tokens.TokenMalformed:
        raise TokenRefused from None
    token = ApiToken.objects.select_related("user").filter(lookup=lookup).first()
    now = timezone.now()
    if token is None or not token_is_live(token, now) or not token.wrapped_private_key:
        raise TokenRefused
    user = token.user
    if not user.is_active or user.person_id is None:
        raise TokenRefused
    try:
        private = tokens.private_key_unwrap(
            text, wrap_key, bytes(token.wrapped_private_key), _context(token)
        )
    except DecryptionFailed:
        raise TokenRefused from None
    staff_key = StaffKey.objects.filter(user=user).first()
    if (
        staff_key is None
        or boxes.public_of(private) != bytes(staff_key.public_key)
        or not row_valid(staff_key)
    ):
        raise TokenRefused
    _use_recorded(token, user, now)
    return TokenAccess(token=token, user=user, private=private)


def _use_recorded(token: ApiToken, user: User, now: datetime.datetime) -> None:
    """The day's use entry, written by the first request of the day only."""
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        first_today = (
            ApiToken.objects.filter(pk=token.pk)
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=day_start))
            .update(last_used_at=now)
        )
        if first_today:
            token.last_used_at = now
            audit_record(
                actor=user,
                action=USED,
                obj=user,
                details={"token": token.pk, "name": token.name},
            )


def tokens_of(user: User) -> list[ApiToken]:
    """Her tokens, newest first, for her page."""
    return list(
        ApiToken.objects.filter(user=user)
        .defer("wrapped_private_key", "lookup")
        .order_by("-created_at", "-pk")
    )
