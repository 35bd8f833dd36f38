"""The key vault. These functions are the only code that seals a case key to
anyone or deletes a sealed one; each records its audit entry.

Permissions decide *when* someone may read a case; these keys decide *who ever
can*. An administrator, a database dump or a backup hold only ciphertext.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.dispatch import Signal
from django.views.decorators.debug import sensitive_variables

from ombud import config
from ombud.access.models import (
    CaseKeyGrant,
    CaseRecoverySeal,
    Conflict,
    PendingGrant,
    PepperCheck,
    RecoveryKey,
    StaffKey,
)
from ombud.audit.services import audit_record
from ombud.cases.figures import figures_add
from ombud.cases.models import Case
from ombud.cases.services import case_ref_next
from ombud.crypto import aead, boxes, passwords
from ombud.crypto.errors import CryptoError
from ombud.directory.models import Person, User
from ombud.integrity import (
    RowTampered,
    row_check,
    row_tag,
    row_valid,
    rows_retag,
    rows_valid,
)

logger = logging.getLogger("ombud.access")


class KeyMismatch(Exception):
    """A stored public key does not belong to the private key it should: substituted."""


class NoRecoveryKey(Exception):
    """No case can be opened before the organisation's recovery key exists."""


class CaseKeyUnavailable(Exception):
    """This user holds no usable key to this case."""


class ConflictedReader(Exception):
    """Someone with a conflict of interest on a case is never given its key."""


class PepperMismatch(Exception):
    """The pepper file is not the one the staff keys were wrapped with."""


@functools.cache
def _pepper() -> bytes:
    return config.pepper(settings.CONFIG)


def _pepper_checked() -> bytes:
    """The pepper, after checking it is this database's (recorded on first use)."""
    pepper = _pepper()
    value = hashlib.blake2b(b"ombud-pepper-check", key=pepper[:64], digest_size=32).digest()
    check, _created = PepperCheck.objects.get_or_create(pk=1, defaults={"check_value": value})
    if not hmac.compare_digest(bytes(check.check_value), value):
        logger.error(
            "the pepper file (%s) is not the one this database's staff keys were wrapped "
            "with: restore it; nobody can sign in until then",
            settings.CONFIG.pepper_file,
        )
        raise PepperMismatch("the pepper file does not belong to this database")
    return pepper


def kdf_cost() -> passwords.Cost:
    return passwords.Cost(
        opslimit=settings.OMBUD_ARGON2_PASSES,
        memlimit=settings.OMBUD_ARGON2_MEMORY_MIB * 1024 * 1024,
    )


def _staff_context(user: User) -> bytes:
    return f"ombud-staff-key:{user.pk}".encode()


def _case_private_context(case: Case) -> bytes:
    return aead.record_context(
        case_id=case.public_id, kind="case-private-key", record_id=case.public_id, version=1
    )


# Staff keys ---------------------------------------------------------------


def _store_staff_key(user: User, pair: boxes.KeyPair, password: str) -> StaffKey:
    wrapped = passwords.wrap(
        pair.private, password, _pepper_checked(), kdf_cost(), _staff_context(user)
    )
    staff_key, _created = StaffKey.objects.update_or_create(
        user=user,
        defaults={
            "public_key": pair.public,
            "salt": wrapped.salt,
            "wrapped_private_key": wrapped.ciphertext,
            "opslimit": wrapped.cost.opslimit,
            "memlimit": wrapped.cost.memlimit,
        },
    )
    return staff_key


@transaction.atomic
def staff_key_create(*, actor: User | str, user: User, password: str) -> bytes:
    """A first key pair for ``user``; returns the private key (for this sign-in only)."""
    pair = boxes.keypair()
    _store_staff_key(user, pair, password)
    audit_record(
        actor=actor,
        action="access.staff_key.created",
        obj=user,
        details={"fingerprint": boxes.fingerprint(pair.public)},
    )
    return pair.private


def staff_key_unlock(*, user: User, password: str) -> bytes | None:
    """The user's private key, or None when they have no key pair yet.

    Raises WrongPassword when the password does not open it (the pepper changed,
    say) and KeyMismatch, audited, when the stored public key was substituted.
    """
    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is None:
        return None
    private = passwords.unwrap(
        staff_key.wrapped(), password, _pepper_checked(), _staff_context(user)
    )
    if boxes.public_of(private) != bytes(staff_key.public_key):
        with transaction.atomic():
            audit_record(
                actor=user,
                action="access.staff_key.substituted",
                obj=user,
                details={"stored_fingerprint": boxes.fingerprint(bytes(staff_key.public_key))},
            )
        raise KeyMismatch(f"the public key stored for {user.get_username()} is not theirs")
    return private


@transaction.atomic
def staff_key_rewrap(*, actor: User | str, user: User, private: bytes, password: str) -> None:
    """After a password change: the same key pair, wrapped under the new password."""
    _store_staff_key(
        user, boxes.KeyPair(public=boxes.public_of(private), private=private), password
    )
    audit_record(actor=actor, action="access.staff_key.rewrapped", obj=user)


@transaction.atomic
def staff_key_replace(*, actor: User | str, user: User, password: str) -> int:
    """A reset (forgotten password): a new key pair. The old one is gone, so every
    case key sealed to it is deleted and owed again as a pending grant.
    Returns the number of pending grants created."""
    old = StaffKey.objects.select_for_update().filter(user=user).first()
    pair = boxes.keypair()
    _store_staff_key(user, pair, password)
    owed = 0
    orphans: list[str] = []
    for grant in CaseKeyGrant.objects.filter(user=user).select_related("case"):
        case_key_revoke(actor=actor, case=grant.case, user=user, reason="key pair replaced")
        _pending(actor=actor, case=grant.case, user=user, reason="key pair replaced")
        owed += 1
        if not _other_active_holders(grant.case, user):
            orphans.append(grant.case.ref)
    # Whoever reset the password (the owner, or someone who read her mail) gets
    # nothing until a second ladder member has checked the new key with her.
    # Only rows Ombud wrote are re-tagged: a forged one must not be blessed here.
    trusted = [pending.pk for pending in rows_valid(PendingGrant.objects.filter(user=user))]
    PendingGrant.objects.filter(user=user).exclude(pk__in=trusted).delete()
    PendingGrant.objects.filter(pk__in=trusted).update(held_for_key=True)
    rows_retag(PendingGrant.objects.filter(pk__in=trusted))
    if PendingGrant.objects.filter(user=user).exists() and "key_replaced" in HOOKS:
        HOOKS["key_replaced"](actor=actor, user=user, fingerprint=boxes.fingerprint(pair.public))
    orphans_alarm(orphans)
    audit_record(
        actor=actor,
        action="access.staff_key.replaced",
        obj=user,
        details={
            "old_fingerprint": boxes.fingerprint(bytes(old.public_key)) if old else None,
            "fingerprint": boxes.fingerprint(pair.public),
            "pending_grants": owed,
        },
    )
    return owed


@transaction.atomic
def staff_key_approve(*, actor: User | str, user: User, fingerprint: str) -> int:
    """A second ladder member checked ``user``'s new key with her: the grants she is
    owed for it may now be fulfilled. Refused when the key changed again since."""
    from django.core.exceptions import ValidationError

    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is None or boxes.fingerprint(bytes(staff_key.public_key)) != fingerprint:
        raise ValidationError("This key was replaced again since: approve the newest one.")
    held = PendingGrant.objects.filter(user=user, held_for_key=True)
    ids = [pending.pk for pending in rows_valid(held)]  # a forged row is never blessed
    held.exclude(pk__in=ids).delete()
    released = PendingGrant.objects.filter(pk__in=ids).update(held_for_key=False)
    rows_retag(PendingGrant.objects.filter(pk__in=ids))
    audit_record(
        actor=actor,
        action="access.staff_key.approved",
        obj=user,
        details={"fingerprint": fingerprint, "pending_grants": released},
    )
    return released


def staff_key_awaiting_approval(*, user: User) -> str | None:
    """The fingerprint of ``user``'s key when cases she is owed wait for its approval."""
    if not PendingGrant.objects.filter(user=user, held_for_key=True).exists():
        return None
    staff_key = StaffKey.objects.filter(user=user).first()
    return boxes.fingerprint(bytes(staff_key.public_key)) if staff_key else None


# Set by the access app's four-eyes module (above this one): what happens when a key
# pair is replaced, so that its approval is proposed.
HOOKS: dict[str, Callable[..., Any]] = {}


class KeyHolderPasswordRefused(Exception):
    """Only its owner may give a key holder a new password: whoever chose it could
    sign in as them and be handed their cases through pending grants."""


_reset_by_owner: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "ombud_reset_by_owner", default=False
)


@contextlib.contextmanager
def reset_by_owner() -> Iterator[None]:
    """Passwords set in this block were chosen by their owner proving control of
    their e-mail (the forgotten-password link): a new key pair is allowed."""
    token = _reset_by_owner.set(True)
    try:
        yield
    finally:
        _reset_by_owner.reset(token)


def password_set_allowed(*, user: User, previous_private: bytes | None) -> None:
    """Raise KeyHolderPasswordRefused unless this new password may be set."""
    if previous_private is not None or _reset_by_owner.get() or user.pk is None:
        return
    if StaffKey.objects.filter(user=user).exists():
        raise KeyHolderPasswordRefused(
            f"{user.get_username()} holds a key: only they can choose a new password, "
            "with their old one or with the forgotten-password e-mail"
        )


def staff_keys_password_set(*, user: User, password: str, previous_private: bytes | None) -> None:
    """Called whenever a password is set: first key pair, re-wrap, or reset."""
    if not StaffKey.objects.filter(user=user).exists():
        staff_key_create(actor=user, user=user, password=password)
    elif previous_private is not None:
        staff_key_rewrap(actor=user, user=user, private=previous_private, password=password)
    else:
        password_set_allowed(user=user, previous_private=None)
        staff_key_replace(actor=user, user=user, password=password)


# The one door for case keys -----------------------------------------------


def _pending(*, actor: User | str, case: Case, user: User, reason: str) -> PendingGrant:
    pending, created = PendingGrant.objects.get_or_create(
        case=case, user=user, defaults={"reason": reason}
    )
    if created:
        audit_record(
            actor=actor,
            action="access.case_key.pending",
            obj=case,
            details={"case": case.ref, "to": user.get_username(), "reason": reason},
        )
    return pending


def case_key_refusal(
    *,
    case: Case,
    user: User,
    conflicted: dict[int, str] | None = None,
    case_key: bytes | None = None,
) -> str | None:
    """Why ``user`` may not be sealed ``case``'s key now, or None. The directory is
    asked again at this moment: an account made, relinked or moved since the case
    was routed is caught here even if nothing else noticed."""
    from ombud.access.conflicts import conflicted_people
    from ombud.access.models import Conflict

    if user.person_id is None:
        return "account not linked to the directory"
    if not user.is_active:
        return "account deactivated"
    if not row_valid(user):
        return "the account failed its integrity check"
    if any(row_valid(row) for row in Conflict.objects.filter(case=case, user=user)):
        return "conflict of interest"
    try:
        row_check(user.person)  # type: ignore[arg-type]
        if conflicted is not None:
            people = conflicted
        else:
            # With the key at hand, the reporter's own managers are checked too.
            reporter = _reporter_of(case, case_key) if case_key is not None else None
            people = conflicted_people(case, reporter)
    except RowTampered:
        return "a directory row failed its integrity check"
    reason = people.get(user.person_id)
    if reason is not None:
        Conflict.objects.get_or_create(case=case, user=user, reason=reason)
        return "conflict of interest"
    return None


def _refused(actor: User | str, case: Case, user: User, reason: str) -> None:
    audit_record(
        actor=actor,
        action="access.case_key.refused",
        obj=case,
        details={"case": case.ref, "to": user.get_username(), "reason": reason},
    )


@transaction.atomic(savepoint=False)  # inside the caller's transaction if there is one
def case_key_grant(
    *,
    actor: User | str,
    case: Case,
    user: User,
    case_key: bytes,
    conflicted: dict[int, str] | None = None,
) -> CaseKeyGrant | PendingGrant | None:
    """Seal ``case_key`` to ``user``; a pending grant when they have no key pair yet;
    None, audited, when they may not have it (see case_key_refusal). ``conflicted``
    is the case's conflicted people when the caller has just computed them."""
    return case_key_grant_many(
        actor=actor, case=case, users=[user], case_key=case_key, conflicted=conflicted
    ).outcomes[0]


@dataclass(frozen=True)
class Sealed:
    """What :func:`case_key_grant_many` did: for each user given, in order, the grant,
    the pending grant, or None (refused, audited); and who holds a key pair."""

    outcomes: list[CaseKeyGrant | PendingGrant | None]
    keyed: set[int]


_UNREAD: Any = object()


@transaction.atomic(savepoint=False)  # inside the caller's transaction if there is one
@sensitive_variables()
def case_key_grant_many(
    *,
    actor: User | str,
    case: Case,
    users: Sequence[User],
    case_key: bytes,
    conflicted: dict[int, str] | None = None,
    conflicts: set[int] | None = None,
) -> Sealed:
    """:func:`case_key_grant` for each of ``users`` in turn (routing's readers), in a
    constant number of queries: their conflicts, their key pairs (locked together,
    in the order of their ids, so that a reset cannot replace one between reading
    and sealing) and their pending grants are read at once; the grants are written
    in one statement (inserted, or re-sealed where held) and the pending grants they
    fulfil cleared in one more. Every
    check, refusal and audit entry is the single grant's, in the same order; a user
    given twice is sealed once and audited twice, as two single grants would be.
    ``conflicts``: the users with a (valid) conflict on ``case``, when the caller
    has just read them in this transaction."""
    ids = list(dict.fromkeys(user.pk for user in users))
    if conflicts is None:
        conflicts = {
            conflict.user_id
            for conflict in rows_valid(Conflict.objects.filter(case=case, user__in=ids))
        }
    # Locked, so a reset cannot replace a key pair between reading and sealing; one
    # statement, ordered, so two routings cannot lock each other's holders crosswise.
    staff_keys = {
        staff_key.user_id: staff_key
        for staff_key in StaffKey.objects.select_for_update().filter(user__in=ids).order_by("pk")
    }
    pending_of = set(
        PendingGrant.objects.filter(case=case, user__in=ids).values_list("user_id", flat=True)
    )
    people: Any = conflicted if conflicted is not None else _UNREAD

    def refusal(user: User) -> str | None:
        # case_key_refusal, on what was read above
        nonlocal people
        if user.person_id is None:
            return "account not linked to the directory"
        if not user.is_active:
            return "account deactivated"
        if not row_valid(user):
            return "the account failed its integrity check"
        if user.pk in conflicts:
            return "conflict of interest"
        try:
            row_check(user.person)  # type: ignore[arg-type]
            if people is _UNREAD:
                # With the key at hand, the reporter's own managers are checked too.
                people = _conflicted_people(case, _reporter_of(case, case_key))
        except RowTampered:
            return "a directory row failed its integrity check"
        reason = people.get(user.person_id)
        if reason is not None:
            Conflict.objects.get_or_create(case=case, user=user, reason=reason)
            return "conflict of interest"
        return None

    outcomes: list[CaseKeyGrant | PendingGrant | None] = []
    sealed: dict[int, CaseKeyGrant] = {}
    clear: set[int] = set()
    for user in users:
        reason = refusal(user)
        if reason is not None:
            _refused(actor, case, user, reason)
            clear.add(user.pk)
            outcome: CaseKeyGrant | PendingGrant | None = None
        elif (staff_key := staff_keys.get(user.pk)) is None:
            outcome = _pending(actor=actor, case=case, user=user, reason="no key pair yet")
        elif not row_valid(staff_key):
            # A public key written around Ombud: sealing to it would hand the case over.
            _refused(actor, case, user, "the public key failed its integrity check")
            outcome = None
        else:
            grant = sealed.get(user.pk) or CaseKeyGrant(case=case, user=user)
            grant.sealed_case_key = boxes.seal(bytes(staff_key.public_key), case_key)
            grant.public_key = bytes(staff_key.public_key)
            grant.mac = row_tag(grant)  # written in bulk, around save()
            sealed[user.pk] = grant
            clear.add(user.pk)
            audit_record(
                actor=actor,
                action="access.case_key.granted",
                obj=case,
                details={"case": case.ref, "to": user.get_username()},
            )
            outcome = grant
        outcomes.append(outcome)
    # A refusal after a grant (the same user twice, refused the second time) took
    # nothing back before either: the grant stands.
    if sealed:
        # One statement: a new grant inserted, one held already re-sealed in place
        # (its granted_at kept). The key pairs' locks serialise grants to these users.
        CaseKeyGrant.objects.bulk_create(
            list(sealed.values()),
            update_conflicts=True,
            unique_fields=["case", "user"],
            update_fields=["sealed_case_key", "public_key", "mac"],
        )
    if clear & pending_of:
        PendingGrant.objects.filter(case=case, user__in=clear & pending_of).delete()
    return Sealed(outcomes=outcomes, keyed=set(staff_keys))


def _conflicted_people(case: Case, reporter: Person | None) -> dict[int, str]:
    from ombud.access.conflicts import conflicted_people

    return conflicted_people(case, reporter)


@transaction.atomic
def case_key_revoke(*, actor: User | str, case: Case, user: User, reason: str) -> bool:
    deleted, _rows = CaseKeyGrant.objects.filter(case=case, user=user).delete()
    PendingGrant.objects.filter(case=case, user=user).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="access.case_key.revoked",
            obj=case,
            details={"case": case.ref, "from": user.get_username(), "reason": reason},
        )
    return bool(deleted)


def case_key_seal_to_recovery(
    *, actor: User | str, case: Case, case_key: bytes
) -> CaseRecoverySeal:
    recovery = RecoveryKey.objects.filter(pk=1).first()
    if recovery is None:
        raise NoRecoveryKey("create the organisation's recovery key first: ombud recovery init")
    if not row_valid(recovery):
        raise NoRecoveryKey("the recovery key's row failed its integrity check: nothing is sealed")
    seal = CaseRecoverySeal.objects.create(
        case=case,
        recovery_key=recovery,
        sealed_case_key=boxes.seal(bytes(recovery.public_key), case_key),
    )
    audit_record(
        actor=actor,
        action="access.case_key.sealed_to_recovery",
        obj=case,
        details={"case": case.ref, "fingerprint": recovery.fingerprint},
    )
    return seal


def _reporter_context(case: Case) -> bytes:
    return aead.record_context(
        case_id=case.public_id, kind="reporter-case-key", record_id=case.public_id, version=1
    )


@sensitive_variables()
def case_key_seal_to_reporter(
    *,
    actor: User | str,
    case: Case,
    case_key: bytes,
    lookup_id: str,
    reporter_key: bytes,
    save: bool = True,
) -> None:
    """Give the reporter the case key: encrypted under the key her receipt derives,
    found by the lookup id her receipt derives. Neither reveals the receipt.
    ``save=False``: the caller saves the case next, in the same transaction."""
    case.receipt_lookup = lookup_id
    case.reporter_sealed_key = aead.encrypt(reporter_key, case_key, _reporter_context(case))
    if save:
        case.save(update_fields=["receipt_lookup", "reporter_sealed_key", "updated_at"])
    audit_record(
        actor=actor,
        action="access.case_key.sealed_to_reporter",
        obj=case,
        details={"case": case.ref},
    )


@sensitive_variables()
def case_key_open_by_reporter(*, case: Case, reporter_key: bytes) -> bytes:
    if case.reporter_sealed_key is None:
        raise CaseKeyUnavailable(f"{case.ref} has no reporter key")
    try:
        return aead.decrypt(reporter_key, bytes(case.reporter_sealed_key), _reporter_context(case))
    except CryptoError as exc:
        raise CaseKeyUnavailable(f"the reporter's key does not open {case.ref}") from exc


def case_key_open(*, case: Case, user: User, private: bytes) -> bytes:
    """The case key, for a user holding a grant and their unlocked private key."""
    grant = CaseKeyGrant.objects.filter(case=case, user=user).first()
    if grant is None or not row_valid(grant):
        raise CaseKeyUnavailable(f"{user.get_username()} holds no key to {case.ref}")
    try:
        return boxes.unseal(private, bytes(grant.sealed_case_key))
    except CryptoError as exc:
        raise CaseKeyUnavailable(f"the key held for {case.ref} does not open") from exc


def case_private_key(*, case: Case, case_key: bytes) -> bytes:
    """The case's own private key, to open what was sealed to the case."""
    return aead.decrypt(case_key, bytes(case.encrypted_private_key), _case_private_context(case))


def case_keys_new(case: Case) -> bytes:
    """Give a new case its key pair; returns the case key (never stored in clear)."""
    case_key = aead.random_key()
    pair = boxes.keypair()
    case.public_key = pair.public
    case.encrypted_private_key = aead.encrypt(case_key, pair.private, _case_private_context(case))
    return case_key


# Pending grants, fulfilled by any holder who signs in ------------------------


def _reporter_of(case: Case, case_key: bytes) -> Person | None:
    """A named or confidential reporter's directory entry (only a key holder can
    see who she is); None for an anonymous one."""
    from ombud.access.reading import case_reporter_for_conflicts

    return case_reporter_for_conflicts(case=case, case_key=case_key)


def pending_grants_fulfil(*, holder: User, private: bytes) -> int:
    """Re-seal to their new owners the case keys ``holder`` holds and others are owed.
    Each is checked again now: conflicts from the directory, the reporter's own
    managers (the holder can see who she is), an unlinked or deactivated account,
    and a replaced key that no second ladder member has approved yet."""
    from ombud.access.conflicts import conflicted_people
    from ombud.access.routing import entitled_cases

    held = CaseKeyGrant.objects.filter(user=holder)
    owed = (
        PendingGrant.objects.filter(
            case__in=held.values("case"),
            user__is_active=True,
            user__staff_key__isnull=False,
            held_for_key=False,
        )
        .exclude(user__case_conflicts__case=F("case"))
        .select_related("case", "user")
    )
    done = 0
    # What each new owner is entitled to, read once per owner rather than once per
    # grant owed: a new head of ethics is owed a key for every case below her.
    entitled: dict[int, set[int]] = {}
    for pending in owed:
        if not row_valid(pending):
            pending.delete()  # written around Ombud: reported, never fulfilled
            continue
        try:
            case_key = case_key_open(case=pending.case, user=holder, private=private)
        except CaseKeyUnavailable:
            continue
        if pending.user_id not in entitled:
            entitled[pending.user_id] = entitled_cases(pending.user)
        if pending.case_id not in entitled[pending.user_id]:
            continue  # owed for a role it no longer holds: user_access_reconcile clears it
        with transaction.atomic():
            try:
                people = conflicted_people(pending.case, _reporter_of(pending.case, case_key))
            except RowTampered:
                _refused(holder, pending.case, pending.user, "a directory row failed its check")
                continue
            if (
                case_key_grant(
                    actor=holder,
                    case=pending.case,
                    user=pending.user,
                    case_key=case_key,
                    conflicted=people,
                )
                is None
            ):
                continue
            audit_record(
                actor=holder,
                action="access.case_key.pending_fulfilled",
                obj=pending.case,
                details={"case": pending.case.ref, "to": pending.user.get_username()},
            )
        done += 1
    return done


# Leavers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Orphan:
    case_ref: str
    leaver: str


@transaction.atomic
def holder_left(*, actor: User | str, users: Iterable[User]) -> list[Orphan]:
    """Delete a leaver's case keys where someone else still holds the case; where
    nobody would, keep them and raise an alarm (case reference only, no content)."""
    orphans: list[Orphan] = []
    for user in users:
        PendingGrant.objects.filter(user=user).delete()
        grants = CaseKeyGrant.objects.filter(user=user)
        # Lock the cases: two leavers at once must not each count on the other.
        list(Case.objects.select_for_update().filter(pk__in=grants.values("case")).order_by("pk"))
        for grant in grants.select_related("case"):
            if _other_active_holders(grant.case, user):
                case_key_revoke(actor=actor, case=grant.case, user=user, reason="left")
            else:
                orphans.append(Orphan(grant.case.ref, user.get_username()))
                audit_record(
                    actor=actor,
                    action="access.case.no_other_holder",
                    obj=grant.case,
                    details={"case": grant.case.ref, "leaver": user.get_username()},
                )
    orphans_alarm([orphan.case_ref for orphan in orphans])
    return orphans


def _other_active_holders(case: Case, user: User) -> bool:
    return CaseKeyGrant.objects.filter(case=case, user__is_active=True).exclude(user=user).exists()


# Sent inside the transaction that left cases with nobody else to open them; the
# operations app queues the alarm in its outbox, like every other mail.
cases_orphaned = Signal()


def orphans_alarm(case_refs: list[str]) -> None:
    """Tell the head of ethics and the administrators that these cases have nobody
    else who can open them (references only), through the outbox."""
    if not case_refs:
        return
    cases_orphaned.send(sender=Case, case_refs=sorted(set(case_refs)))


def case_readers_missing(*, actor: User | str, case: Case) -> bool:
    """After a case is made: raise the alarm when no reader could be given its key."""
    if CaseKeyGrant.objects.filter(case=case, user__is_active=True).exists():
        return False
    audit_record(
        actor=actor, action="access.case.no_other_holder", obj=case, details={"case": case.ref}
    )
    orphans_alarm([case.ref])
    return True


def key_holders(case: Case) -> QuerySet[User]:
    return User.objects.filter(case_key_grants__case=case)


def case_create(
    *, actor: User | str, readers: Iterable[User], check_readers: bool = True
) -> tuple[Case, bytes]:
    """A new case, its key sealed to ``readers`` and to the recovery key.
    Returns the case and its key; the key is never stored in clear."""
    # No savepoint when called inside a transaction (the report's): an error
    # rolls back the whole of it anyway.
    with transaction.atomic(savepoint=False):
        case = Case(ref=case_ref_next())
        case_key = case_keys_new(case)
        case.save()
        figures_add(case.pk, open_cases=1)
        case_key_seal_to_recovery(actor=actor, case=case, case_key=case_key)
        audit_record(actor=actor, action="cases.case.created", obj=case, details={"case": case.ref})
        for reader in readers:
            case_key_grant(actor=actor, case=case, user=reader, case_key=case_key)
        if check_readers:  # otherwise routing, which follows, checks
            case_readers_missing(actor=actor, case=case)
        return case, case_key
