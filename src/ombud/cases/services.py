"""Case references, notes and links. A new case is made with its key material by
`ombud.access.services.case_create`, which takes its reference from here."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ombud.audit.services import audit_record
from ombud.cases.models import Case, CaseLink, CaseNote, CaseRefCounter, Message, TimelineEvent
from ombud.cases.records import record_seal_json
from ombud.cases.signals import case_event, reporter_news
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


def case_ref_next() -> str:
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


@sensitive_variables()
def message_to_reporter(
    *, actor: User, case: Case, case_key: bytes, body: str, counts_as_news: bool = True
) -> Message:
    """A message to the reporter. It meets the "news" deadlines unless it is the
    acknowledgement itself (the directive's feedback must be more than that)."""
    with transaction.atomic():
        message = Message(case=case, direction=Message.Direction.TO_REPORTER, author=actor)
        message.body = record_seal_json(
            case_key=case_key,
            case=case,
            kind="message",
            record_id=message.id,
            data={"body": body, "information": False},
        )
        message.save(force_insert=True)
        TimelineEvent.objects.create(
            case=case, kind=TimelineEvent.Kind.MESSAGE_TO_REPORTER, at=message.created_at
        )
        if counts_as_news:
            case_event.send(sender=Case, case=case, event="update", at=message.created_at)
        reporter_news.send(sender=Case, case=case)
        audit_record(
            actor=actor, action="cases.message.to_reporter", obj=case, details={"case": case.ref}
        )
    return message
