"""The organisation's recovery key: made once, held as Shamir shares by officers."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ombud.access.models import CaseRecoverySeal, RecoveryKey
from ombud.access.services import ConflictedReader, case_key_grant, case_key_refusal
from ombud.audit.services import audit_record
from ombud.cases.models import Case
from ombud.crypto import boxes, shamir
from ombud.crypto.errors import CryptoError, SharesInvalid
from ombud.directory.models import User


class RecoveryRefused(Exception):
    pass


@dataclass(frozen=True)
class NewRecoveryKey:
    fingerprint: str
    shares: list[str]
    threshold: int


def recovery_key_exists() -> bool:
    """Whether `ombud recovery init` has run: no report can be stored before."""
    return RecoveryKey.objects.filter(pk=1).exists()


@transaction.atomic
def recovery_key_create(*, actor: User | str, shares: int, threshold: int) -> NewRecoveryKey:
    """Make the key pair, keep only its public half, and return the private half as
    shares (shown once). Refuses when one exists: replacing it would orphan every
    case sealed to it."""
    if RecoveryKey.objects.select_for_update().filter(pk=1).exists():
        raise RecoveryRefused(
            "a recovery key exists already; replacing it would lock out every case sealed to it"
        )
    if not 2 <= threshold <= shares <= 20:
        raise RecoveryRefused("use at least 2 shares, a threshold of at least 2, and K <= N <= 20")
    pair = boxes.keypair()
    points = shamir.split(pair.private, shares=shares, threshold=threshold)
    fingerprint = boxes.fingerprint(pair.public)
    RecoveryKey.objects.create(
        pk=1, public_key=pair.public, fingerprint=fingerprint, shares=shares, threshold=threshold
    )
    audit_record(
        actor=actor,
        action="access.recovery_key.created",
        object_type="access.recoverykey",
        object_id="1",
        details={"fingerprint": fingerprint, "shares": shares, "threshold": threshold},
    )
    return NewRecoveryKey(fingerprint, [shamir.encode(point) for point in points], threshold)


def recovery_private_key(share_texts: list[str]) -> bytes:
    """Put the shares together; refuse unless they open the stored recovery key."""
    recovery = RecoveryKey.objects.filter(pk=1).first()
    if recovery is None:
        raise RecoveryRefused("there is no recovery key: ombud recovery init")
    points = [shamir.decode(text) for text in share_texts]
    if len(points) < recovery.threshold:
        raise RecoveryRefused(
            f"{len(points)} shares given; this recovery key needs {recovery.threshold}"
        )
    try:
        private = shamir.combine(points)
        matches = boxes.public_of(private) == bytes(recovery.public_key)
    except (SharesInvalid, CryptoError):
        matches = False
    if not matches:
        raise RecoveryRefused("these shares do not open the recovery key")
    return private


def recovery_grant(*, actor: User | str, case: Case, user: User, share_texts: list[str]) -> None:
    """The ceremony for a case nobody can open: K officers' shares give ``user`` the key.
    Raises ConflictedReader (the refusal audited) when ``user`` may not hold it."""
    refusal = case_key_refusal(case=case, user=user)
    if refusal is not None:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="access.case_key.refused",
                obj=case,
                details={"case": case.ref, "to": user.get_username(), "reason": refusal},
            )
        raise ConflictedReader(f"{user.get_username()}: {refusal}")
    with transaction.atomic():
        granted = _recovery_grant(actor=actor, case=case, user=user, share_texts=share_texts)
    if not granted:
        # Refused at sealing (the reporter's own managers, seen with the key): audited.
        raise ConflictedReader(f"{user.get_username()}: refused when the key was sealed")


def _recovery_grant(*, actor: User | str, case: Case, user: User, share_texts: list[str]) -> bool:
    if not hasattr(user, "staff_key"):
        raise RecoveryRefused(
            f"{user.get_username()} has no key pair yet: they must sign in once first"
        )
    if not user.is_active:
        raise RecoveryRefused(f"{user.get_username()} is not active")
    private = recovery_private_key(share_texts)
    seal = CaseRecoverySeal.objects.get(case=case)
    case_key = boxes.unseal(private, bytes(seal.sealed_case_key))
    granted = case_key_grant(actor=actor, case=case, user=user, case_key=case_key) is not None
    audit_record(
        actor=actor,
        action="access.recovery_key.used",
        obj=case,
        details={
            "case": case.ref,
            "to": user.get_username(),
            "shares": len(share_texts),
            "granted": granted,
        },
    )
    return granted
