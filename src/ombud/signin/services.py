"""Second factors: enrolment, checking a code, recovery codes. Each change is audited."""

from __future__ import annotations

import base64
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP

from ombud.access.four_eyes import APPLIERS, bound_user, rule_change_propose
from ombud.access.models import RuleChange
from ombud.audit.services import audit_record
from ombud.crypto import aead
from ombud.crypto.errors import DecryptionFailed
from ombud.directory.models import User
from ombud.signin.keys import keyed_hash, subkey
from ombud.signin.models import RecoveryCode, TOTPDevice

logger = logging.getLogger("ombud.signin")
STEP = 30
DIGITS = 6
TOLERANCE = 1  # a code of the step before or after is accepted too (clocks drift)
SEED_BYTES = 20
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _seed_context(user: User) -> bytes:
    return f"ombud-totp-seed:{user.pk}".encode()


def seed_of(device: TOTPDevice) -> bytes:
    """The device's seed, opened with the pepper-derived key (bound to its user)."""
    return aead.decrypt(subkey("totp-seed"), bytes(device.sealed_key), _seed_context(device.user))


def seed_text(seed: bytes) -> str:
    """The seed as authenticator apps take it typed: base32, in groups of four."""
    text = base64.b32encode(seed).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(device: TOTPDevice, issuer: str) -> str:
    from urllib.parse import quote, urlencode

    label = quote(f"{issuer}:{device.user.get_username()}")
    query = urlencode(
        {
            "secret": base64.b32encode(seed_of(device)).decode().rstrip("="),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).select_related("user").first()


def pending_device(user: User) -> TOTPDevice | None:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=False)
        .select_related("user")
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def totp_enrol_start(*, user: User) -> TOTPDevice:
    """A new seed for ``user`` to scan, not yet in use (confirmed by a first code)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    seed = secrets.token_bytes(SEED_BYTES)
    return TOTPDevice.objects.create(
        user=user,
        name="authenticator",
        confirmed=False,
        sealed_key=aead.encrypt(subkey("totp-seed"), seed, _seed_context(user)),
    )


@transaction.atomic
def totp_confirm(*, actor: User | str, device: TOTPDevice) -> list[str]:
    """The device becomes the account's second factor (replacing any other); returns
    new recovery codes, shown once."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.confirmed = True
    audit_record(actor=actor, action="access.second_factor.enrolled", obj=device.user)
    return recovery_codes_new(actor=actor, user=device.user)


def totp_device_create(*, actor: User | str, user: User) -> str:
    """Enrol ``user`` at once (the demo's accounts, test fixtures); returns the seed as
    typed into an authenticator."""
    device = totp_enrol_start(user=user)
    totp_confirm(actor=actor, device=device)
    return seed_text(seed_of(device))


def second_factor_reset_propose(*, actor: User | str, user: User) -> RuleChange:
    """A lost authenticator: taking it away waits for a second ladder member, who
    checks with its owner first. Whoever could take it away alone, and read her mail,
    could reset her password."""
    return rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.SECOND_FACTOR,
        summary=_("take away the second factor of %(user)s (a lost phone)")
        % {"user": user.get_username()},
        payload={"user_id": user.pk, "username": user.get_username()},
        user=user,
    )


def _second_factor_reset_approved(payload: dict[str, Any], actor: User) -> None:
    second_factor_reset(actor=actor, user=bound_user(payload))


APPLIERS[RuleChange.Kind.SECOND_FACTOR] = _second_factor_reset_approved


@transaction.atomic
def second_factor_reset(*, actor: User | str, user: User) -> None:
    """A lost authenticator: the account sets up a new one at its next sign-in (which
    still needs the password)."""
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(actor=actor, action="access.second_factor.reset", obj=user)


def _normal(code: str) -> str:
    return "".join(code.lower().split()).replace("-", "")


def _digest(user: User, code: str) -> bytes:
    return keyed_hash("recovery-code", f"{user.pk}:{_normal(code)}".encode())


@transaction.atomic
def recovery_codes_new(*, actor: User | str, user: User) -> list[str]:
    """Ten new single-use codes; the old ones stop working."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _number in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_digest(user, code)) for code in codes
    )
    audit_record(actor=actor, action="access.second_factor.recovery_codes_made", obj=user)
    return codes


@dataclass
class Proof:
    """A second factor that checked out, not yet spent: ``spend`` uses it up, so
    the same code never serves twice (False if another request spent it first)."""

    device: TOTPDevice
    step: int | None = None
    recovery: RecoveryCode | None = None

    def spend(self, *, actor: User | str) -> bool:
        if self.recovery is not None:
            used = RecoveryCode.objects.filter(pk=self.recovery.pk, used_at__isnull=True).update(
                used_at=timezone.now()
            )
            if used:
                audit_record(
                    actor=actor,
                    action="access.second_factor.recovery_code_used",
                    obj=self.device.user,
                )
            return bool(used)
        assert self.step is not None  # noqa: S101 - one of the two is set
        return bool(
            TOTPDevice.objects.filter(pk=self.device.pk)
            .filter(Q(last_t__lt=self.step))
            .update(last_t=self.step, throttling_failure_count=0, throttling_failure_timestamp=None)
        )


def second_factor_check(*, device: TOTPDevice, token: str | None) -> Proof | None:
    """Whether ``token`` is a current code of ``device`` (not used before) or one of
    its user's unused recovery codes. Wrong codes slow the next tries down."""
    token = (token or "").strip()
    if not token:
        return None  # forgotten, not guessed: no back-off
    allowed, _why = device.verify_is_allowed()
    if not allowed:
        return None
    if token.isdigit() and len(token) == DIGITS:
        try:
            seed = seed_of(device)
        except DecryptionFailed:
            logger.error(
                "the authenticator seed of %s does not open: is the pepper file (%s) the "
                "one it was sealed with?",
                device.user.get_username(),
                settings.CONFIG.pepper_file,
            )
            return None
        totp = TOTP(seed, STEP, 0, DIGITS, 0)
        totp.time = time.time()
        if totp.verify(int(token), tolerance=TOLERANCE, min_t=device.last_t + 1):
            return Proof(device=device, step=totp.t())
    else:
        recovery = RecoveryCode.objects.filter(
            user=device.user, digest=_digest(device.user, token), used_at__isnull=True
        ).first()
        if recovery is not None:
            return Proof(device=device, recovery=recovery)
    device.throttle_increment()
    return None
