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
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from ombud.access.reading import ReporterAccess, case_open_to_read, case_reporter_mode
from ombud.access.selectors import case_get_for_user
from ombud.audit.models import AuditEntry
from ombud.cases.models import Case, Party
from ombud.cases.records import record_context
from ombud.cases.reporter_key import reporter_sign_key_of
from ombud.crypto import aead, signing
from ombud.crypto.errors import CryptoError, DecryptionFailed
from ombud.deadlines.models import Deadline
from ombud.directory.models import Person, User
from ombud.investigation.evidence import ADDED, custody_record, fingerprint
from ombud.investigation.measures import FOR_REPORTER, review_deadline
from ombud.investigation.models import (
    AccessRequest,
    AccusedNotice,
    Allegation,
    Appeal,
    CustodyEntry,
    Evidence,
    Finding,
    Measure,
    Minutes,
    MinutesReply,
    WrittenOutcome,
)
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


# The written outcome ----------------------------------------------------------

OUTCOME_READ = "investigation.outcome.read"


@dataclass(frozen=True)
class OutcomeView:
    text: str
    version: int
    language: str
    drafted_by: str
    reviewed_by: str
    reviewed_at: dt.datetime | None
    published_at: dt.datetime | None


def outcome_open(*, case: Case, case_key: bytes) -> OutcomeView | None:
    """The case's written outcome, for a reader who came through the door."""
    outcome = (
        WrittenOutcome.objects.filter(case=case).select_related("drafted_by", "reviewed_by").first()
    )
    if outcome is None:
        return None
    text = record_open_json(case=case, case_key=case_key, record=outcome)["text"]
    return OutcomeView(
        text=text,
        version=outcome.version,
        language=outcome.language,
        drafted_by=outcome.drafted_by.get_username(),
        reviewed_by=outcome.reviewed_by.get_username() if outcome.reviewed_by else "",
        reviewed_at=outcome.reviewed_at,
        published_at=outcome.published_at,
    )


def reporter_outcome(access: ReporterAccess) -> OutcomeView | None:
    """The reporter's written outcome, once published, opened with her receipt's key
    (not logged, as her other reads)."""
    view = outcome_open(case=access.case, case_key=access.case_key)
    return view if view is not None and view.published_at is not None else None


# The accused's rights -----------------------------------------------------------

RIGHTS_READ = "investigation.rights.read"


@dataclass(frozen=True)
class AppealView:
    id: str
    finding_id: str
    allegation: str  # its category and the person, as the page names it
    outcome: str
    filed_on: dt.date
    grounds: str
    reasoning: str
    version: int
    above_position: int
    decision: str
    decided_by: str
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class AccessRequestView:
    id: str
    person: str
    received_on: dt.date
    respond_by: dt.datetime
    state: str
    state_label: str
    text: str
    version: int
    drafted_by: str
    reviewed_by: str
    released_at: dt.datetime | None


def _allegation_label(allegation: Allegation) -> str:
    who = allegation.person.name if allegation.person else gettext("someone outside the directory")
    return f"{allegation.get_category_display()} · {who}"


def appeals_open(*, case: Case, case_key: bytes) -> list[AppealView]:
    """The case's appeals, for a reader who came through the door."""
    appeals = Appeal.objects.filter(finding__allegation__case=case).select_related(
        "finding__allegation__person", "decided_by"
    )
    views = []
    for appeal in appeals:
        content = record_open_json(case=case, case_key=case_key, record=appeal)
        views.append(
            AppealView(
                id=str(appeal.id),
                finding_id=str(appeal.finding_id),
                allegation=_allegation_label(appeal.finding.allegation),
                outcome=appeal.finding.get_outcome_display(),
                filed_on=appeal.filed_on,
                grounds=content.get("grounds", ""),
                reasoning=content.get("reasoning", ""),
                version=appeal.version,
                above_position=appeal.above_position,
                decision=appeal.get_decision_display() if appeal.decision else "",
                decided_by=appeal.decided_by.get_username() if appeal.decided_by else "",
                decided_at=appeal.decided_at,
            )
        )
    return views


def access_requests_open(*, case: Case, case_key: bytes) -> list[AccessRequestView]:
    requests = AccessRequest.objects.filter(case=case).select_related(
        "person", "drafted_by", "reviewed_by"
    )
    return [
        AccessRequestView(
            id=str(request.id),
            person=request.person.name,
            received_on=request.received_on,
            respond_by=request.respond_by,
            state=request.state,
            state_label=request.get_state_display(),
            text=record_open_json(case=case, case_key=case_key, record=request)["text"],
            version=request.version,
            drafted_by=request.drafted_by.get_username(),
            reviewed_by=request.reviewed_by.get_username() if request.reviewed_by else "",
            released_at=request.released_at,
        )
        for request in requests
    ]


def _lines(value: Any, label: str = "") -> list[str]:
    """A record's content as lines "Label: text", whatever its shape; ids (of
    evidence, of records) are left out: they mean nothing to him."""
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if key == "id" or key.endswith(("_id", "_ids")):
                continue
            found += _lines(item, key.replace("_", " ").capitalize())
        return found
    if isinstance(value, list):
        return [line for item in value for line in _lines(item, label)]
    if isinstance(value, str) and value.strip():
        return [f"{label}: {value.strip()}" if label else value.strip()]
    return []


def access_answer_proposal(
    *, case: Case, case_key: bytes, person: Person, hide: dict[str, str]
) -> str:
    """A first draft of the answer to ``person``'s data-access request: every
    allegation against him, what he was told and answered, and what was found, with
    the names in ``hide`` (the reporter's, the witnesses') replaced. The second
    reader still reads it all: a name can hide in a paraphrase."""
    from ombud.investigation.rights import redacted

    out = [
        gettext("What the case %(ref)s holds about %(name)s")
        % {"ref": case.ref, "name": person.name},
        "",
    ]
    allegations = Allegation.objects.filter(case=case, person=person).order_by("created_at")
    for allegation in allegations:
        out.append(
            gettext("Allegation: %(category)s (%(state)s)")
            % {
                "category": allegation.get_category_display(),
                "state": allegation.get_state_display(),
            }
        )
        out += _lines(record_open_json(case=case, case_key=case_key, record=allegation))
        for notice in AccusedNotice.objects.filter(allegation=allegation).order_by("created_at"):
            out.append(gettext("What you were told, and your response"))
            out += _lines(record_open_json(case=case, case_key=case_key, record=notice))
        finding = Finding.objects.filter(allegation=allegation).first()
        if finding is not None:
            out.append(
                gettext("Finding: %(outcome)s (standard of proof: %(standard)s)")
                % {
                    "outcome": finding.get_outcome_display(),
                    "standard": finding.get_standard_display(),
                }
            )
            out += _lines(record_open_json(case=case, case_key=case_key, record=finding))
        out.append("")
    if not allegations:
        out.append(gettext("No allegation in this case names you."))
    return redacted("\n".join(out).strip() + "\n", hide)


def record_carried_json(
    *, case: Case, case_key: bytes, record: models.Model, field: str = "content"
) -> Any:
    """A record's content, opened by the service that changes it so it can be sealed
    again at the record's next version with the change added. Nothing of it leaves
    the service or is shown to anyone, so no read entry (the change has its own
    audit entry), as ``ombud.access.reading.case_reporter_for_conflicts``."""
    return record_open_json(case=case, case_key=case_key, record=record, field=field)


# Allegations, the accused's side and findings --------------------------------------

ALLEGATIONS_READ = "investigation.allegations.read"


@dataclass(frozen=True)
class NoticeView:
    id: uuid.UUID
    state: str
    state_label: str
    version: int
    disclosed: str
    response: str
    drafted_by_id: int
    drafted_by: str
    reviewed_by: str
    reviewed_at: dt.datetime | None
    told_at: dt.datetime | None
    respond_by: dt.datetime | None
    answered_at: dt.datetime | None


@dataclass(frozen=True)
class FindingView:
    outcome: str
    outcome_label: str
    standard: str
    standard_label: str
    reasoning: str
    evidence: list[str]
    sanctions: str
    changes: str
    author: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class AllegationView:
    id: uuid.UUID
    state: str
    state_label: str
    category: str
    category_label: str
    version: int
    # The accused: a directory person (name, employee id) or an outsider's description.
    person_name: str
    employee_id: str
    outsider: str
    summary: str
    reasons: list[dict[str, str]]
    created_by: str
    created_at: dt.datetime
    notices: list[NoticeView] = field(default_factory=list)
    finding: FindingView | None = None

    @property
    def accused(self) -> str:
        return f"{self.person_name} ({self.employee_id})" if self.employee_id else self.outsider

    @property
    def is_open(self) -> bool:
        return self.state in ("open", "under_investigation")


@dataclass(frozen=True)
class EvidenceChoice:
    id: uuid.UUID
    description: str
    created_at: dt.datetime


@dataclass(frozen=True)
class AllegationsReading:
    """The case's allegations, each with its notices and its finding, opened after
    the read entry; with what their forms offer: the reporter's mode (a notice must
    not reveal an anonymous or confidential reporter), the directory people the case
    is linked to, and its evidence."""

    case: Case
    allegations: list[AllegationView]
    reporter_mode: str
    parties: list[Person]
    evidence: list[EvidenceChoice]


def allegations_read(*, user: User, public_id: str, private: bytes | None) -> AllegationsReading:
    """Http404, CaseNotConfirmed or CaseLocked as ``case_open_to_read``; otherwise
    everything the allegations page shows, after its read entry."""
    case, case_key = case_open_to_read(
        user=user, public_id=public_id, private=private, action=ALLEGATIONS_READ
    )
    allegations = list(
        Allegation.objects.filter(case=case).select_related("person", "created_by__person")
    )
    notices: dict[uuid.UUID, list[NoticeView]] = {}
    for notice in AccusedNotice.objects.filter(allegation__case=case).select_related(
        "drafted_by__person", "reviewed_by__person"
    ):
        data = record_open_json(case=case, case_key=case_key, record=notice)
        notices.setdefault(notice.allegation_id, []).append(
            NoticeView(
                id=notice.id,
                state=notice.state,
                state_label=notice.get_state_display(),
                version=notice.version,
                disclosed=data.get("disclosed", ""),
                response=data.get("response", ""),
                drafted_by_id=notice.drafted_by_id,
                drafted_by=notice.drafted_by.display_name(),
                reviewed_by=notice.reviewed_by.display_name() if notice.reviewed_by else "",
                reviewed_at=notice.reviewed_at,
                told_at=notice.told_at,
                respond_by=notice.respond_by,
                answered_at=notice.answered_at,
            )
        )
    findings: dict[uuid.UUID, FindingView] = {}
    for finding in Finding.objects.filter(allegation__case=case).select_related("author__person"):
        data = record_open_json(case=case, case_key=case_key, record=finding)
        findings[finding.allegation_id] = FindingView(
            outcome=finding.outcome,
            outcome_label=finding.get_outcome_display(),
            standard=finding.standard,
            standard_label=finding.get_standard_display(),
            reasoning=data.get("reasoning", ""),
            evidence=list(data.get("evidence", [])),
            sanctions=data.get("sanctions", ""),
            changes=data.get("changes", ""),
            author=finding.author.display_name(),
            updated_at=finding.updated_at,
        )
    views = []
    for allegation in allegations:
        data = record_open_json(case=case, case_key=case_key, record=allegation)
        views.append(
            AllegationView(
                id=allegation.id,
                state=allegation.state,
                state_label=allegation.get_state_display(),
                category=allegation.category,
                category_label=allegation.get_category_display(),
                version=allegation.version,
                person_name=allegation.person.name if allegation.person else "",
                employee_id=allegation.person.employee_id if allegation.person else "",
                outsider=data.get("accused", ""),
                summary=data.get("summary", ""),
                reasons=list(data.get("reasons", [])),
                created_by=allegation.created_by.display_name(),
                created_at=allegation.created_at,
                notices=notices.get(allegation.id, []),
                finding=findings.get(allegation.id),
            )
        )
    evidence = []
    for item in Evidence.objects.filter(case=case).defer("file"):
        meta = record_open_json(case=case, case_key=case_key, record=item, field="meta")
        description = meta.get("description", "") if isinstance(meta, dict) else ""
        evidence.append(
            EvidenceChoice(id=item.id, description=description, created_at=item.created_at)
        )
    parties = [
        party.person
        for party in Party.objects.filter(case=case).select_related("person").order_by("pk")
    ]
    return AllegationsReading(
        case=case,
        allegations=views,
        reporter_mode=case_reporter_mode(case=case, case_key=case_key),
        parties=list({person.pk: person for person in parties}.values()),
        evidence=evidence,
    )


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
    not open: its stored copy was altered), "missing" (a file arrived and is gone),
    "record" (the item's own record does not open) or "" when it passed; "" with
    ``checked`` False for an item without a file."""

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
        if view.sha256 or _recorded_fingerprint(case, item):
            # Its record (or the audit log) says a file arrived: it was removed where
            # it is kept, which needs no key, and must not pass for a physical item.
            return EvidenceCheck(checked=True, problem="missing"), None
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


@sensitive_variables()
def _item_opened(
    user: User,
    public_id: str,
    private: bytes | None,
    evidence_id: uuid.UUID,
    action: str,
    custody: str,
) -> tuple[Case, Evidence, EvidenceView, EvidenceCheck, bytes | None]:
    """One item opened for a view or a download: its read entry and custody line, its
    file checked, and a failed check recorded, in one transaction."""
    _evidence_item(user, public_id, evidence_id)
    with transaction.atomic():
        case, case_key = case_open_to_read(
            user=user,
            public_id=public_id,
            private=private,
            action=action,
            evidence=str(evidence_id),
        )
        item = _one(case, evidence_id)
        custody_record(actor=user, case=case, item=item, action=custody)
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
    return case, item, view, check, data


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
    case, item, view, check, _data = _item_opened(
        user, public_id, private, evidence_id, EVIDENCE_VIEWED, CustodyEntry.Action.VIEWED
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
    _case, _item, view, check, data = _item_opened(
        user, public_id, private, evidence_id, EVIDENCE_DOWNLOADED, CustodyEntry.Action.DOWNLOADED
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
