"""Minutes of interviews and of meetings with the reporter (EU directive Art. 18:
an oral report, by phone or in person, is documented by minutes she may check,
correct and agree by signing).

Staff write them (:func:`minutes_add`, :func:`minutes_edit`); every edit raises the
version, and an edit made on an older page is refused, not lost. Those of her own
meetings (``Minutes.FOR_REPORTER``) open a deadline for her answer and give her
news. She confirms them (:func:`minutes_confirm`: an Ed25519 signature by the key
her receipt derives, over the case, the minutes, their version and the SHA-256 of
exactly what she was shown) or asks for corrections (:func:`minutes_correct`).
Whether a confirmation holds is decided when staff read (``investigation.reading``)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.debug import sensitive_variables

from ombud.access.reading import ReporterAccess
from ombud.audit.services import audit_record
from ombud.cases.models import Case, TimelineEvent
from ombud.cases.signals import reporter_news
from ombud.crypto import signing
from ombud.deadlines.services import deadline_close, deadline_open
from ombud.directory.models import User
from ombud.intake.services import REPORTER
from ombud.investigation.models import Minutes, MinutesReply
from ombud.investigation.reading import reporter_minutes
from ombud.investigation.records import seal_json

# How long the reporter has to answer minutes of her meeting.
ANSWER_DAYS = 10
TEXT_MAX = 50_000
ATTENDEES_MAX = 2_000
CORRECTIONS_MAX = 10_000


class MinutesStale(Exception):
    """The minutes changed since the page was shown: nothing was written."""


def deadline_name(minutes: Minutes) -> str:
    return f"minutes:{minutes.id.hex[:24]}"


@sensitive_variables()
def minutes_add(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    kind: str,
    held_at: dt.datetime,
    text: str,
    attendees: str = "",
) -> Minutes:
    with transaction.atomic():
        minutes = Minutes(case=case, kind=kind, held_at=held_at, author=actor)
        minutes.body = seal_json(
            case=case,
            case_key=case_key,
            record=minutes,
            field="body",
            data={"text": text, "attendees": attendees},
        )
        _to_reporter(actor, case, minutes)
        minutes.save(force_insert=True)
        audit_record(
            actor=actor,
            action="investigation.minutes.added",
            obj=case,
            details={"case": case.ref, "minutes": str(minutes.id), "kind": kind},
        )
    return minutes


@sensitive_variables()
def minutes_edit(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    minutes_id: uuid.UUID,
    version: int,
    kind: str,
    held_at: dt.datetime,
    text: str,
    attendees: str = "",
) -> Minutes:
    """A new version (``version`` is the one the page showed; MinutesStale if it is
    no longer the current one). A confirmation of the old version no longer counts:
    minutes of her meeting go back to her with a new deadline."""
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().get(case=case, pk=minutes_id)
        if minutes.version != version:
            raise MinutesStale
        was_hers = minutes.kind in Minutes.FOR_REPORTER
        if was_hers != (kind in Minutes.FOR_REPORTER):
            # A witness's statement put on the reporter's page by a change of kind, or
            # her meeting taken from her: neither is an edit, and both need their own.
            raise ValidationError(
                {
                    "kind": _(
                        "Minutes of a meeting with the reporter stay hers, and other "
                        "minutes never become hers: write new minutes instead."
                    )
                }
            )
        minutes.version += 1
        minutes.kind, minutes.held_at = kind, held_at
        minutes.body = seal_json(
            case=case,
            case_key=case_key,
            record=minutes,
            field="body",
            data={"text": text, "attendees": attendees},
        )
        if minutes.kind not in Minutes.FOR_REPORTER:
            minutes.confirm_by = None
            if was_hers:
                deadline_close(actor=actor, case=case, name=deadline_name(minutes), met=False)
        _to_reporter(actor, case, minutes)
        minutes.save()
        audit_record(
            actor=actor,
            action="investigation.minutes.edited",
            obj=case,
            details={
                "case": case.ref,
                "minutes": str(minutes.id),
                "kind": kind,
                "version": str(minutes.version),
            },
        )
    return minutes


def _to_reporter(actor: User, case: Case, minutes: Minutes) -> None:
    """Minutes of her meeting: a deadline for her answer, a line on her timeline and
    news (an e-mail, if she left an address)."""
    if minutes.kind not in Minutes.FOR_REPORTER:
        return
    now = timezone.now()
    minutes.confirm_by = now + dt.timedelta(days=ANSWER_DAYS)
    deadline_open(
        actor=actor,
        case=case,
        name=deadline_name(minutes),
        label=gettext_noop("The reporter's answer to minutes"),
        due_at=minutes.confirm_by,
    )
    TimelineEvent.objects.create(case=case, kind=TimelineEvent.Kind.MINUTES_TO_CONFIRM, at=now)
    reporter_news.send(sender=Case, case=case)


@sensitive_variables()
def minutes_confirm(
    *, access: ReporterAccess, minutes_id: uuid.UUID, version: int, sha256: str, seed: bytes
) -> MinutesReply:
    """Her confirmation of the version she was shown, whose document had ``sha256``,
    signed with the key her receipt derives (``seed``). MinutesStale if the minutes
    changed since (nothing is signed that she did not see)."""
    with transaction.atomic():
        minutes = _current(access, minutes_id, version, sha256)
        message = signing.confirmation_message(
            case_id=access.case.public_id,
            record_id=str(minutes.id),
            version=minutes.version,
            sha256=sha256,
        )
        return _reply(
            access,
            minutes,
            MinutesReply.Answer.CONFIRMED,
            {"sha256": sha256, "signature": signing.sign(seed, message)},
        )


@sensitive_variables()
def minutes_correct(
    *, access: ReporterAccess, minutes_id: uuid.UUID, version: int, sha256: str, corrections: str
) -> MinutesReply:
    """She asks for corrections to the version she was shown."""
    with transaction.atomic():
        minutes = _current(access, minutes_id, version, sha256)
        return _reply(
            access,
            minutes,
            MinutesReply.Answer.CORRECTIONS,
            {"sha256": sha256, "corrections": corrections},
        )


def _current(access: ReporterAccess, minutes_id: uuid.UUID, version: int, sha256: str) -> Minutes:
    minutes = (
        Minutes.objects.select_for_update()
        .filter(case=access.case, pk=minutes_id, kind__in=Minutes.FOR_REPORTER)
        .first()
    )
    if minutes is None:
        raise Minutes.DoesNotExist
    if minutes.version != version:
        raise MinutesStale
    shown = {view.id: view.sha256 for view in reporter_minutes(access)}
    if shown.get(minutes.id) != sha256:
        raise MinutesStale
    return minutes


def _reply(
    access: ReporterAccess, minutes: Minutes, answer: str, content: dict[str, str]
) -> MinutesReply:
    case = access.case
    reply = MinutesReply(minutes=minutes, minutes_version=minutes.version, answer=answer)
    reply.content = seal_json(case=case, case_key=access.case_key, record=reply, data=content)
    reply.save(force_insert=True)
    deadline_close(actor=REPORTER, case=case, name=deadline_name(minutes))
    audit_record(
        actor=REPORTER,
        action=(
            "investigation.minutes.confirmed"
            if answer == MinutesReply.Answer.CONFIRMED
            else "investigation.minutes.corrections_asked"
        ),
        obj=case,
        details={
            "case": case.ref,
            "minutes": str(minutes.id),
            "version": str(minutes.version),
        },
    )
    return reply
