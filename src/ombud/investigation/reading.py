"""The investigation's records, opened. Like ``ombud.access.reading``, the only
module here that decrypts: a staff page gets the case and its key from
``case_open_to_read`` (which checks her right and writes the read entry first) and
opens its records with the helpers below; the reporter's page opens those meant for
her with the key her receipt derives. Writers seal with ``ombud.investigation.records``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from ombud.access.reading import ReporterAccess, case_open_to_read
from ombud.access.selectors import case_get_for_user
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.cases.records import record_context
from ombud.crypto import aead
from ombud.deadlines.models import Deadline
from ombud.directory.models import User
from ombud.investigation.evidence import ADDED, custody_record, fingerprint
from ombud.investigation.measures import FOR_REPORTER, review_deadline
from ombud.investigation.models import CustodyEntry, Evidence, Measure
from ombud.investigation.records import kind_of

# The read entries (the auditors' "who looked at this case" lists them).
INVESTIGATION_READ = "investigation.case.read"
EVIDENCE_LISTED = "investigation.evidence.listed"
EVIDENCE_VIEWED = "investigation.evidence.viewed"
EVIDENCE_DOWNLOADED = "investigation.evidence.downloaded"
EVIDENCE_EXPORTED = "investigation.evidence.exported"
MEASURES_READ = "investigation.measures.read"


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


# Evidence ------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceView:
    id: uuid.UUID
    description: str
    source: str
    name: str
    mime: str
    size: int
    sha256: str
    attachment: str
    added_by: str
    created_at: dt.datetime
    has_file: bool
    # A check of its file failed at least once (from the custody log, nothing opened).
    flagged: bool
    # False when the record itself does not open: everything above but the dates is empty.
    opened: bool = True


@dataclass(frozen=True)
class EvidenceCheck:
    """The file against the SHA-256 recorded when it arrived. ``problem`` says what
    failed: "changed" (it opens, but is not the file that arrived), "damaged" (it does
    not open: its stored copy was altered), "record" (the item's own record does not
    open) or "" when it passed; "" with ``checked`` False for an item without a file."""

    checked: bool
    problem: str
    actual_sha256: str = ""

    @property
    def passed(self) -> bool:
        return self.checked and not self.problem

    @property
    def failed(self) -> bool:
        return bool(self.problem)


@dataclass(frozen=True)
class EvidenceItemReading:
    case: Case
    item: EvidenceView
    check: EvidenceCheck
    custody: list[CustodyEntry]


@dataclass(frozen=True)
class EvidenceFile:
    item: EvidenceView
    check: EvidenceCheck
    data: bytes | None  # None when the check failed: a changed file is never handed out


def _evidence_view(
    case: Case, case_key: bytes, item: Evidence, flagged: bool, has_file: bool | None = None
) -> EvidenceView:
    try:
        meta = record_open_json(case=case, case_key=case_key, record=item, field="meta")
    except (aead.DecryptionFailed, ValueError):
        meta, opened = {}, False
    else:
        opened = True
    return EvidenceView(
        id=item.id,
        description=meta.get("description", ""),
        source=meta.get("source", ""),
        name=meta.get("name", ""),
        mime=meta.get("mime", ""),
        size=int(meta.get("size", 0)),
        sha256=meta.get("sha256", ""),
        attachment=meta.get("attachment", ""),
        added_by=item.added_by.display_name(),
        created_at=item.created_at,
        has_file=item.file is not None if has_file is None else has_file,
        flagged=flagged,
        opened=opened,
    )


def _recorded_fingerprint(case: Case, item: Evidence) -> str:
    """The keyed fingerprint the hash-chained audit log kept when the item was added."""
    entry = (
        AuditEntry.objects.filter(
            action=ADDED,
            object_type="cases.case",
            object_id=str(case.pk),
            details__contains=str(item.id),
        )
        .order_by("seq")
        .first()
    )
    if entry is None:
        return ""
    return str(json.loads(entry.details).get("fingerprint", ""))


def _checked_file(
    case: Case, case_key: bytes, item: Evidence, view: EvidenceView
) -> tuple[EvidenceCheck, bytes | None]:
    if not view.opened:
        return EvidenceCheck(checked=True, problem="record"), None
    if item.file is None:
        return EvidenceCheck(checked=False, problem=""), None
    try:
        data = record_open(case=case, case_key=case_key, record=item, field="file")
    except aead.DecryptionFailed:
        return EvidenceCheck(checked=True, problem="damaged"), None
    actual = hashlib.sha256(data).hexdigest()
    recorded = _recorded_fingerprint(case, item)
    expected = fingerprint(case_key=case_key, item_id=item.id, sha256=actual)
    if not hmac.compare_digest(actual, view.sha256) or (
        recorded and not hmac.compare_digest(recorded, expected)
    ):
        return EvidenceCheck(checked=True, problem="changed", actual_sha256=actual), None
    return EvidenceCheck(checked=True, problem="", actual_sha256=actual), data


def _flagged(case: Case) -> set[uuid.UUID]:
    return set(
        CustodyEntry.objects.filter(
            evidence__case=case, action=CustodyEntry.Action.CHECK_FAILED
        ).values_list("evidence_id", flat=True)
    )


def _evidence_item(user: User, public_id: str, evidence_id: uuid.UUID) -> None:
    """Http404 before any entry is written, for an item that is not the case's."""
    case = case_get_for_user(user=user, public_id=public_id)
    if not Evidence.objects.filter(case=case, pk=evidence_id).exists():
        raise Http404


@sensitive_variables()
def evidence_list_read(
    *, user: User, public_id: str, private: bytes | None
) -> tuple[Case, list[EvidenceView]]:
    """The case's evidence, described (no file is opened), after its read entry."""
    case, case_key = case_open_to_read(
        user=user, public_id=public_id, private=private, action=EVIDENCE_LISTED
    )
    flagged = _flagged(case)
    items = (
        Evidence.objects.filter(case=case)
        .defer("file")
        .annotate(with_file=ExpressionWrapper(Q(file__isnull=False), BooleanField()))
        .select_related("added_by__person")
    )
    return case, [
        _evidence_view(case, case_key, item, item.id in flagged, item.with_file) for item in items
    ]


def _one(case: Case, evidence_id: uuid.UUID) -> Evidence:
    return Evidence.objects.select_related("added_by__person").get(case=case, pk=evidence_id)


@sensitive_variables()
def evidence_item_read(
    *, user: User, public_id: str, private: bytes | None, evidence_id: uuid.UUID
) -> EvidenceItemReading:
    """One item, its file checked against its SHA-256, and its custody log. The view is
    a line of the log, written with its read entry; a failed check another, with an
    audit entry of its own."""
    _evidence_item(user, public_id, evidence_id)
    with transaction.atomic():
        case, case_key = case_open_to_read(
            user=user,
            public_id=public_id,
            private=private,
            action=EVIDENCE_VIEWED,
            evidence=str(evidence_id),
        )
        item = _one(case, evidence_id)
        custody_record(actor=user, case=case, item=item, action=CustodyEntry.Action.VIEWED)
        view = _evidence_view(case, case_key, item, False)
        check, _data = _checked_file(case, case_key, item, view)
        if check.failed:
            custody_record(
                actor=user,
                case=case,
                item=item,
                action=CustodyEntry.Action.CHECK_FAILED,
                problem=check.problem,
            )
    flagged = CustodyEntry.objects.filter(
        evidence=item, action=CustodyEntry.Action.CHECK_FAILED
    ).exists()
    return EvidenceItemReading(
        case=case,
        item=EvidenceView(**{**view.__dict__, "flagged": flagged}),
        check=check,
        custody=list(CustodyEntry.objects.filter(evidence=item).select_related("user__person")),
    )


@sensitive_variables()
def evidence_file_read(
    *, user: User, public_id: str, private: bytes | None, evidence_id: uuid.UUID
) -> EvidenceFile:
    """An item's file, downloaded: checked first; a file that fails is not given."""
    _evidence_item(user, public_id, evidence_id)
    with transaction.atomic():
        case, case_key = case_open_to_read(
            user=user,
            public_id=public_id,
            private=private,
            action=EVIDENCE_DOWNLOADED,
            evidence=str(evidence_id),
        )
        item = _one(case, evidence_id)
        custody_record(actor=user, case=case, item=item, action=CustodyEntry.Action.DOWNLOADED)
        view = _evidence_view(case, case_key, item, False)
        check, data = _checked_file(case, case_key, item, view)
        if check.failed:
            custody_record(
                actor=user,
                case=case,
                item=item,
                action=CustodyEntry.Action.CHECK_FAILED,
                problem=check.problem,
            )
    return EvidenceFile(item=view, check=check, data=data)


@sensitive_variables()
def evidence_export_read(
    *, user: User, public_id: str, private: bytes | None
) -> tuple[Case, list[EvidenceFile]]:
    """Every item, for an outside authority: each checked, and each a line "exported"
    of its custody log, with one read entry for the export."""
    with transaction.atomic():
        case, case_key = case_open_to_read(
            user=user, public_id=public_id, private=private, action=EVIDENCE_EXPORTED
        )
        exported = []
        for item in Evidence.objects.filter(case=case).select_related("added_by__person"):
            custody_record(actor=user, case=case, item=item, action=CustodyEntry.Action.EXPORTED)
            view = _evidence_view(case, case_key, item, False)
            check, data = _checked_file(case, case_key, item, view)
            if check.failed:
                custody_record(
                    actor=user,
                    case=case,
                    item=item,
                    action=CustodyEntry.Action.CHECK_FAILED,
                    problem=check.problem,
                )
            exported.append(EvidenceFile(item=view, check=check, data=data))
    return case, exported


# Interim measures ------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureView:
    measure: Measure
    content: dict[str, Any]  # empty when it does not open
    review: Deadline | None  # its review deadline, the latest

    @property
    def opened(self) -> bool:
        return bool(self.content)

    @property
    def ended(self) -> bool:
        return bool(self.content.get("end"))


def _measure_views(case: Case, case_key: bytes, measures: list[Measure]) -> list[MeasureView]:
    names = {review_deadline(measure): measure for measure in measures}
    reviews: dict[str, Deadline] = {}
    for deadline in Deadline.objects.filter(case=case, name__in=names).order_by("created_at", "pk"):
        reviews[deadline.name] = deadline  # the latest wins
    views = []
    for measure in measures:
        try:
            content = record_open_json(case=case, case_key=case_key, record=measure)
        except (aead.DecryptionFailed, ValueError):
            content = {}
        views.append(MeasureView(measure, content, reviews.get(review_deadline(measure))))
    return views


@sensitive_variables()
def measures_read(
    *, user: User, public_id: str, private: bytes | None, measure_id: uuid.UUID | None = None
) -> tuple[Case, bytes, list[MeasureView]]:
    """The case's interim measures (or the one ``measure_id``), after their read entry;
    with the key, for a review or an end written from the same page."""
    if measure_id is not None:
        case = case_get_for_user(user=user, public_id=public_id)
        if not Measure.objects.filter(case=case, pk=measure_id).exists():
            raise Http404
    details = {"measure": str(measure_id)} if measure_id else {}
    case, case_key = case_open_to_read(
        user=user, public_id=public_id, private=private, action=MEASURES_READ, **details
    )
    measures = Measure.objects.filter(case=case).select_related("decided_by__person")
    if measure_id is not None:
        measures = measures.filter(pk=measure_id)
    return case, case_key, _measure_views(case, case_key, list(measures))


@dataclass(frozen=True)
class ReporterMeasure:
    """A measure as the reporter reads it: what kind, in plain words, what was written
    for her, and its dates. Whom it applies to and the details are never here."""

    what: str
    words: str
    starts_on: dt.date
    ends_on: dt.date | None
    ended: bool


@sensitive_variables()
def reporter_measures(access: ReporterAccess) -> list[ReporterMeasure]:
    """The measures that affect the reporter, opened with her receipt's key (not
    logged, like the rest of her page)."""
    shown = []
    for measure in Measure.objects.filter(case=access.case, affects_reporter=True):
        try:
            content = record_open_json(case=access.case, case_key=access.case_key, record=measure)
        except (aead.DecryptionFailed, ValueError):
            continue
        shown.append(
            ReporterMeasure(
                what=_(
                    FOR_REPORTER.get(Measure.Kind(measure.kind), FOR_REPORTER[Measure.Kind.OTHER])
                ),
                words=content.get("words_for_reporter", ""),
                starts_on=measure.starts_on,
                ends_on=measure.ends_on,
                ended=bool(content.get("end")),
            )
        )
    return shown
