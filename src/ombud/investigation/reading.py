"""The investigation's records, opened. Like ``ombud.access.reading``, the only
module here that decrypts: a staff page gets the case and its key from
``case_open_to_read`` (which checks her right and writes the read entry first) and
opens its records with the helpers below; the reporter's page opens those meant for
her with the key her receipt derives. Writers seal with ``ombud.investigation.records``."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from ombud.access.reading import ReporterAccess
from ombud.cases.models import Case
from ombud.cases.records import record_context
from ombud.cases.reporter_key import reporter_sign_key_of
from ombud.crypto import aead, signing
from ombud.crypto.errors import CryptoError, DecryptionFailed
from ombud.investigation.models import Minutes, MinutesReply
from ombud.investigation.records import kind_of

# The read entries (the auditors' "who looked at this case" lists them).
INVESTIGATION_READ = "investigation.case.read"


def record_open(
    *, case: Case, case_key: bytes, record: models.Model, field: str = "content"
) -> bytes:
    """One encrypted field of an investigation record, checked against its case,
    kind, id and version (a moved or replayed ciphertext fails)."""
    context = record_context(case, kind_of(record, field), record.pk, record.version)  # type: ignore[attr-defined]
    return aead.decrypt(case_key, bytes(getattr(record, field)), context)


def record_open_json(
    *, case: Case, case_key: bytes, record: models.Model, field: str = "content"
) -> Any:
    return json.loads(record_open(case=case, case_key=case_key, record=record, field=field))


# Minutes and the reporter's answers ----------------------------------------------

MINUTES_READ = "investigation.minutes.read"


class MinutesStatus:
    """What the case page says of one set of minutes."""

    CONFIRMED = "confirmed"  # her signature verifies, on this version and this text
    CORRECTIONS = "corrections"  # she asked for corrections to this version
    WAITING = "waiting"  # hers to answer, not answered yet
    NOT_VERIFIED = "not_verified"  # a confirmation is stored, but it does not hold
    NOT_HERS = ""  # an interview of someone else: not shown to her


@dataclass(frozen=True)
class MinutesView:
    minutes: Minutes
    kind: str
    held_at: dt.datetime
    attendees: str
    text: str
    sha256: str  # of the document she is shown (``minutes_document``)
    status: str
    reason: str = ""  # why a confirmation does not hold
    corrections: str = ""
    answered_at: dt.datetime | None = None
    opens: bool = True  # False: the text was written around Ombud and does not open

    @property
    def id(self) -> uuid.UUID:
        return self.minutes.id

    @property
    def version(self) -> int:
        return self.minutes.version

    @property
    def confirm_by(self) -> dt.datetime | None:
        return self.minutes.confirm_by

    @property
    def for_reporter(self) -> bool:
        return self.minutes.kind in Minutes.FOR_REPORTER


def minutes_document(*, kind: str, held_at: dt.datetime, attendees: str, text: str) -> str:
    """What her confirmation covers: everything her page shows of the minutes (the
    kind, when, who was there and the text, exactly), as canonical JSON."""
    return json.dumps(
        {
            "attendees": attendees,
            "held_at": held_at.astimezone(dt.UTC).isoformat(),
            "kind": kind,
            "text": text,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def minutes_list(*, case: Case, case_key: bytes) -> list[MinutesView]:
    """Every set of minutes of the case with the reporter's answer, checked: for a
    staff page after ``case_open_to_read(action=MINUTES_READ)``."""
    minutes = (
        Minutes.objects.filter(case=case)
        .select_related("author__person")
        .prefetch_related("replies")
    )
    return [_minutes_view(case, case_key, one) for one in minutes]


def reporter_minutes(access: ReporterAccess) -> list[MinutesView]:
    """The minutes of her own meetings, opened with her receipt's key (not logged,
    as her other reads are not: ``ombud.access.reading``)."""
    minutes = Minutes.objects.filter(
        case=access.case, kind__in=Minutes.FOR_REPORTER
    ).prefetch_related("replies")
    shown = [_minutes_view(access.case, access.case_key, one) for one in minutes]
    return [view for view in shown if view.opens]  # never ask her to sign what fails


def _minutes_view(case: Case, case_key: bytes, minutes: Minutes) -> MinutesView:
    try:
        body = record_open_json(case=case, case_key=case_key, record=minutes, field="body")
    except DecryptionFailed:
        return MinutesView(
            minutes=minutes,
            kind=minutes.get_kind_display(),
            held_at=minutes.held_at,
            attendees="",
            text="",
            sha256="",
            status=MinutesStatus.NOT_VERIFIED,
            reason=_("These minutes do not open: they were moved or written around Ombud."),
            opens=False,
        )
    attendees, text = body.get("attendees", ""), body["text"]
    sha256 = signing.text_sha256(
        minutes_document(kind=minutes.kind, held_at=minutes.held_at, attendees=attendees, text=text)
    )
    view = {
        "minutes": minutes,
        "kind": minutes.get_kind_display(),
        "held_at": minutes.held_at,
        "attendees": attendees,
        "text": text,
        "sha256": sha256,
    }
    if minutes.kind not in Minutes.FOR_REPORTER:
        return MinutesView(**view, status=MinutesStatus.NOT_HERS)
    replies = [r for r in minutes.replies.all() if r.minutes_version == minutes.version]
    if not replies:
        return MinutesView(**view, status=MinutesStatus.WAITING)
    reply = replies[-1]  # her latest answer to this version
    try:
        content = record_open_json(case=case, case_key=case_key, record=reply)
    except DecryptionFailed:
        return MinutesView(
            **view,
            status=MinutesStatus.NOT_VERIFIED,
            reason=_("Her answer does not open: it was moved or written around Ombud."),
            answered_at=reply.created_at,
        )
    if reply.answer == MinutesReply.Answer.CORRECTIONS:
        return MinutesView(
            **view,
            status=MinutesStatus.CORRECTIONS,
            corrections=content.get("corrections", ""),
            answered_at=reply.created_at,
        )
    reason = _confirmation_fault(case, minutes, sha256, content)
    return MinutesView(
        **view,
        status=MinutesStatus.NOT_VERIFIED if reason else MinutesStatus.CONFIRMED,
        reason=reason,
        answered_at=reply.created_at,
    )


def _confirmation_fault(case: Case, minutes: Minutes, sha256: str, content: Any) -> str:
    """Why her confirmation does not hold, or "" when it does: the stored public key
    carries its MAC, the text now is the text she confirmed, and her signature over
    the case, the minutes, their version and that text verifies."""
    public_key = reporter_sign_key_of(case)
    if public_key is None:
        return _(
            "Her public key is missing or fails its integrity check: it was written around Ombud."
        )
    if content.get("sha256") != sha256:
        return _("The text changed after she confirmed it.")
    try:
        message = signing.confirmation_message(
            case_id=case.public_id,
            record_id=str(minutes.id),
            version=minutes.version,
            sha256=sha256,
        )
        signing.verify(public_key.hex(), message, str(content.get("signature", "")))
    except CryptoError:
        return _("Her signature does not verify.")
    return ""
