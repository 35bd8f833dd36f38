"""Creating cases. Content arrives with the intake; this is the key material."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone

from ombud.access.services import (
    case_key_grant,
    case_key_seal_to_recovery,
    case_keys_new,
    case_readers_missing,
)
from ombud.audit.services import audit_record
from ombud.cases.models import Case, CaseLink, CaseNote, CaseRefCounter
from ombud.cases.records import record_seal_json
from ombud.directory.models import User


def case_ref_highest(year: int) -> int:
    """The highest number among the year's references ("OMB-2026-000123" is 123),
    read by the database: a longer number is a larger one past 999999."""
    last = (
        Case.objects.filter(ref__startswith=f"OMB-{year}-")
        .annotate(length=Length("ref"))
        .order_by("-length", "-ref")
        .values_list("ref", flat=True)
        .first()
    )
    return int(last.rsplit("-", 1)[1]) if last else 0


def _next_ref() -> str:
    """The year's next reference, from its counter; called inside the transaction
    that makes the case. Raising the counter first locks its row (PostgreSQL) or
    takes the write lock (SQLite, whose transactions begin IMMEDIATE) until the
    case's transaction ends: a second report waits for the first instead of reading
    the same number, and a rolled-back report gives its number back, so the
    references have neither a duplicate nor a gap."""
    year = timezone.localdate().year
    counter = CaseRefCounter.objects.filter(year=year)
    while not counter.update(last=F("last") + 1):
        # The year's first case: its row, seeded from cases made before the counter.
        try:
            with transaction.atomic():
                CaseRefCounter.objects.create(year=year, last=case_ref_highest(year))
        except IntegrityError:
            pass  # another report made the row meanwhile: raise that one
    return f"OMB-{year}-{counter.values_list('last', flat=True).get():06d}"


def case_create(
    *, actor: User | str, readers: Iterable[User], check_readers: bool = True
) -> tuple[Case, bytes]:
    """A new case, its key sealed to ``readers`` and to the recovery key.
    Returns the case and its key; the key is never stored in clear."""
    # No savepoint when called inside a transaction (the report's): an error
    # rolls back the whole of it anyway.
    with transaction.atomic(savepoint=False):
        case = Case(ref=_next_ref())
        case_key = case_keys_new(case)
        case.save()
        case_key_seal_to_recovery(actor=actor, case=case, case_key=case_key)
        audit_record(actor=actor, action="cases.case.created", obj=case, details={"case": case.ref})
        for reader in readers:
            case_key_grant(actor=actor, case=case, user=reader, case_key=case_key)
        if check_readers:  # otherwise routing, which follows, checks
            case_readers_missing(actor=actor, case=case)
        return case, case_key


def case_note_add(*, actor: User, case: Case, case_key: bytes, body: str) -> CaseNote:
    """An internal note, encrypted with the case key; the reporter never sees it."""
    with transaction.atomic():
        note = CaseNote(case=case, author=actor)
        note.body = record_seal_json(
            case_key=case_key, case=case, kind="note", record_id=note.id, data={"body": body}
        )
        note.save(force_insert=True)
        audit_record(actor=actor, action="cases.note.added", obj=case, details={"case": case.ref})
    return note


def case_link(*, actor: User, case: Case, other: Case, kind: str) -> CaseLink:
    """Link two cases the actor may both read; each stays behind its own door."""
    if other.pk == case.pk:
        raise ValueError("a case is not linked to itself")
    with transaction.atomic():
        link, _created = CaseLink.objects.update_or_create(
            case=case, other=other, defaults={"kind": kind, "by": actor}
        )
        audit_record(
            actor=actor,
            action="cases.case.linked",
            obj=case,
            details={"case": case.ref, "other": other.ref, "kind": kind},
        )
    return link
