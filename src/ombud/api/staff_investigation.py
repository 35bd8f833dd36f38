"""The investigation in the staff JSON API (issue 13 item 8): a case's allegations with
their notices and findings, its minutes, its evidence list and its interim measures,
read through the same reading functions as their pages (so each read is the same
entry in the audit log), and minutes and evidence added through the same services,
checks and errors as the pages' forms.

What the pages do, the API does: 404 for a case that is missing, forbidden or
conflicted alike; 409 before its reader said she has no conflict, or while her key
does not open it; only the case's current level and its investigators write
(``WRITERS``: a break-glass reader reads and writes nothing), and anyone else is
told the same 404 as the evidence page tells her. A field refused is a 422 that
names it, and nothing is written. An evidence file's bytes are never sent back:
its download stays a page, with its own custody line."""

# No "from __future__ import annotations": django-ninja reads the annotations at import.

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from ninja import File, Form, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from ombud.access.reading import (
    CaseLocked,
    CaseNotConfirmed,
    case_open_for_action,
    case_open_to_read,
)
from ombud.access.selectors import reading_permission
from ombud.api.schemas import Error, Strict
from ombud.api.staff import StaffAccess, locked_detail, not_confirmed_detail, router
from ombud.cases.models import Case
from ombud.cases.report import FILE_BYTES_MAX
from ombud.investigation.evidence import evidence_add
from ombud.investigation.minutes import minutes_add
from ombud.investigation.models import CustodyEntry, Minutes
from ombud.investigation.reading import (
    MINUTES_READ,
    allegations_read,
    evidence_list_read,
    measures_read,
    minutes_list,
)
from ombud.web.intake.views import files_accepted
from ombud.web.investigation.evidence import WRITERS
from ombud.web.investigation.minutes import MinutesForm

T = TypeVar("T")

DOOR = (
    " 404 for a case that does not exist, that you may not read, or that you are "
    "conflicted on, alike; 409 before you have said, on the case page, that you have no "
    "conflict, or while your key does not open the case yet."
)


def _access(request: HttpRequest) -> StaffAccess:
    return request.auth  # type: ignore[attr-defined]


def _through_door(opening: Callable[[], T]) -> T | Status[Any]:
    """What ``opening`` returns, or the 409 the case page's redirect or locked page
    stands for (Http404 goes through: ninja answers it)."""
    try:
        return opening()
    except CaseNotConfirmed:
        return Status(409, {"detail": not_confirmed_detail()})
    except CaseLocked:
        return Status(409, {"detail": locked_detail()})


def _for_action(request: HttpRequest, public_id: str) -> tuple[Case, bytes] | Status[Any]:
    """The case and its key to write with, for its level and its investigators; the
    same 404 as a forbidden case for anyone else (as the evidence page)."""
    access = _access(request)
    opened = _through_door(
        lambda: case_open_for_action(user=access.user, public_id=public_id, private=access.private)
    )
    if isinstance(opened, Status):
        return opened
    if reading_permission(user=access.user, case=opened[0]) not in WRITERS:
        raise Http404
    return opened


def _field_errors(errors: Mapping[str, Iterable[Any]], where: list[str]) -> Status[Any]:
    """A 422 in the shape of ninja's own validation errors: one entry per message,
    naming its field (``__all__`` for the form as a whole)."""
    return Status(
        422,
        {
            "detail": [
                {"loc": [*where, name], "msg": str(message), "type": "invalid"}
                for name, messages in errors.items()
                for message in messages
            ]
        },
    )


# Allegations, the accused's notices and findings ----------------------------------


class NoticeOut(Schema):
    id: str
    state: str
    state_label: str
    version: int
    disclosed: str
    response: str
    drafted_by: str
    reviewed_by: str
    reviewed_at: datetime.datetime | None
    told_at: datetime.datetime | None
    respond_by: datetime.datetime | None
    answered_at: datetime.datetime | None


class FindingOut(Schema):
    outcome: str
    outcome_label: str
    standard: str
    standard_label: str
    reasoning: str
    evidence: list[str] = Field(description="ids of the items of evidence relied on")
    sanctions: str
    changes: str = Field(description="organisational changes")
    author: str
    updated_at: datetime.datetime


class AllegationOut(Schema):
    id: str
    state: str
    state_label: str
    category: str
    category_label: str
    version: int
    accused: str
    person_name: str = Field(description="the accused, when he is in the directory")
    employee_id: str
    outsider: str = Field(description="the accused, when he is not in the directory")
    summary: str
    reasons: list[dict[str, str]]
    created_by: str
    created_at: datetime.datetime
    notices: list[NoticeOut]
    finding: FindingOut | None


class AllegationsOut(Schema):
    reporter_mode: str = Field(
        description="anonymous, confidential or named: nothing in a notice to the "
        "accused may reveal an anonymous or confidential reporter"
    )
    allegations: list[AllegationOut]


@router.get(
    "/cases/{public_id}/allegations",
    response={200: AllegationsOut, 401: Error, 404: Error, 409: Error},
    summary="A case's allegations, each with its state, the accused's notices and its finding",
    description="Read through the same door as the allegations page, with the same read "
    "entry in the audit log." + DOOR,
)
@sensitive_variables()
def staff_allegations(request: HttpRequest, public_id: str) -> Status[Any] | dict[str, Any]:
    access = _access(request)
    reading = _through_door(
        lambda: allegations_read(user=access.user, public_id=public_id, private=access.private)
    )
    if isinstance(reading, Status):
        return reading
    return {
        "reporter_mode": reading.reporter_mode,
        "allegations": [
            {
                "id": str(view.id),
                "state": view.state,
                "state_label": str(view.state_label),
                "category": view.category,
                "category_label": str(view.category_label),
                "version": view.version,
                "accused": view.accused,
                "person_name": view.person_name,
                "employee_id": view.employee_id,
                "outsider": view.outsider,
                "summary": view.summary,
                "reasons": view.reasons,
                "created_by": view.created_by,
                "created_at": view.created_at,
                "notices": [
                    {
                        "id": str(notice.id),
                        "state": notice.state,
                        "state_label": str(notice.state_label),
                        "version": notice.version,
                        "disclosed": notice.disclosed,
                        "response": notice.response,
                        "drafted_by": notice.drafted_by,
                        "reviewed_by": notice.reviewed_by,
                        "reviewed_at": notice.reviewed_at,
                        "told_at": notice.told_at,
                        "respond_by": notice.respond_by,
                        "answered_at": notice.answered_at,
                    }
                    for notice in view.notices
                ],
                "finding": None
                if view.finding is None
                else {
                    **view.finding.__dict__,
                    "outcome_label": str(view.finding.outcome_label),
                    "standard_label": str(view.finding.standard_label),
                },
            }
            for view in reading.allegations
        ],
    }


# Minutes -------------------------------------------------------------------------


class MinutesOut(Schema):
    id: str
    kind: str
    version: int
    held_at: datetime.datetime
    attendees: str
    text: str
    author: str
    sha256: str = Field(description="of the document the reporter is shown and signs")
    status: str = Field(
        description="for the reporter's own meetings: confirmed, corrections, waiting or "
        "not_verified (a stored confirmation that does not hold); empty otherwise"
    )
    reason: str
    corrections: str
    answered_at: datetime.datetime | None
    confirm_by: datetime.datetime | None
    opens: bool


class MinutesListOut(Schema):
    minutes: list[MinutesOut]


KINDS = ", ".join(Minutes.Kind.values)


class MinutesIn(Strict):
    kind: str = Field(description=f"one of {KINDS}")
    held_at: str = Field(
        description="when it was held: ISO 8601 (YYYY-MM-DDTHH:MM, with seconds and an "
        "offset if you like; without an offset, in the organisation's time zone)"
    )
    attendees: str = Field(default="", description="who was there")
    text: str = Field(
        description="the minutes; those of a meeting with the reporter, or of her oral "
        "report, are shown to her exactly as written, for her to confirm or correct"
    )


class MinutesCreated(Schema):
    id: str
    version: int
    kind: str
    held_at: datetime.datetime
    confirm_by: datetime.datetime | None = Field(
        description="the reporter's deadline to answer, for minutes of her own meeting"
    )


@router.get(
    "/cases/{public_id}/minutes",
    response={200: MinutesListOut, 401: Error, 404: Error, 409: Error},
    summary="A case's minutes of interviews and meetings, with the reporter's answer to each",
    description="Read through the same door as the minutes page, with the same read entry; "
    "a confirmation by the reporter is checked on every read." + DOOR,
)
@sensitive_variables()
def staff_minutes(request: HttpRequest, public_id: str) -> Status[Any] | dict[str, Any]:
    access = _access(request)
    opened = _through_door(
        lambda: case_open_to_read(
            user=access.user, public_id=public_id, private=access.private, action=MINUTES_READ
        )
    )
    if isinstance(opened, Status):
        return opened
    case, case_key = opened
    return {
        "minutes": [
            {
                "id": str(view.id),
                "kind": view.kind,
                "version": view.version,
                "held_at": view.held_at,
                "attendees": view.attendees,
                "text": view.text,
                "author": view.minutes.author.display_name(),
                "sha256": view.sha256,
                "status": view.status,
                "reason": str(view.reason),
                "corrections": view.corrections,
                "answered_at": view.answered_at,
                "confirm_by": view.confirm_by,
                "opens": view.opens,
            }
            for view in minutes_list(case=case, case_key=case_key)
        ]
    }


def _moment(text: str) -> datetime.datetime | str:
    """An ISO 8601 moment (naive: the organisation's time zone); what was typed, for
    the form to refuse with its own message, when it is not one."""
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@router.post(
    "/cases/{public_id}/minutes",
    response={201: MinutesCreated, 401: Error, 403: Error, 404: Error, 409: Error, 422: Any},
    summary="Add minutes of an interview or a meeting",
    description="The minutes page's form, checked the same way: a refused field is a 422 "
    "naming it, and nothing is written. Minutes of a meeting with the reporter, or of "
    "her oral report, go to her page to be confirmed, with a deadline. Only the case's "
    "current level and its investigators add minutes." + DOOR,
)
@sensitive_variables()
def staff_minutes_add(
    request: HttpRequest, public_id: str, payload: MinutesIn
) -> Status[Any] | dict[str, Any]:
    opened = _for_action(request, public_id)
    if isinstance(opened, Status):
        return opened
    case, case_key = opened
    form = MinutesForm(
        {
            "kind": payload.kind,
            "held_at": _moment(payload.held_at),
            "attendees": payload.attendees,
            "text": payload.text,
        }
    )
    if not form.is_valid():
        return _field_errors(form.errors, ["body", "payload"])
    minutes = minutes_add(
        actor=_access(request).user,
        case=case,
        case_key=case_key,
        kind=form.cleaned_data["kind"],
        held_at=form.cleaned_data["held_at"],
        attendees=form.cleaned_data["attendees"],
        text=form.cleaned_data["text"],
    )
    return Status(
        201,
        {
            "id": str(minutes.id),
            "version": minutes.version,
            "kind": minutes.kind,
            "held_at": minutes.held_at,
            "confirm_by": minutes.confirm_by,
        },
    )


# Evidence ------------------------------------------------------------------------


class CustodyOut(Schema):
    action: str
    label: str
    by: str
    at: datetime.datetime


class EvidenceOut(Schema):
    id: str
    description: str
    source: str
    name: str = Field(description="the file's name; empty for a physical item")
    mime: str
    size: int
    sha256: str = Field(description="taken when the file arrived")
    has_file: bool
    flagged: bool = Field(description="a check of its file against its SHA-256 failed")
    opened: bool = Field(description="false when the item's own record does not open")
    from_reporters_file: bool
    added_by: str
    added_at: datetime.datetime
    custody: list[CustodyOut]


class EvidenceListOut(Schema):
    items: list[EvidenceOut]


class EvidenceCreated(Schema):
    id: str
    sha256: str
    name: str
    size: int


@router.get(
    "/cases/{public_id}/evidence",
    response={200: EvidenceListOut, 401: Error, 404: Error, 409: Error},
    summary="A case's evidence list, with each item's custody log",
    description="Read through the same door as the evidence page, with the same read "
    "entry ('listed'); no file is opened or sent. A file is checked and downloaded on "
    "its item's page, which writes its custody line." + DOOR,
)
@sensitive_variables()
def staff_evidence(request: HttpRequest, public_id: str) -> Status[Any] | dict[str, Any]:
    access = _access(request)
    opened = _through_door(
        lambda: evidence_list_read(user=access.user, public_id=public_id, private=access.private)
    )
    if isinstance(opened, Status):
        return opened
    case, items = opened
    custody: dict[Any, list[dict[str, Any]]] = {}
    for entry in CustodyEntry.objects.filter(evidence__case=case).select_related("user__person"):
        custody.setdefault(entry.evidence_id, []).append(
            {
                "action": entry.action,
                "label": str(entry.get_action_display()),
                "by": entry.user.display_name() if entry.user else "",
                "at": entry.at,
            }
        )
    return {
        "items": [
            {
                "id": str(item.id),
                "description": item.description,
                "source": item.source,
                "name": item.name,
                "mime": item.mime,
                "size": item.size,
                "sha256": item.sha256,
                "has_file": item.has_file,
                "flagged": item.flagged,
                "opened": item.opened,
                "from_reporters_file": bool(item.attachment),
                "added_by": item.added_by,
                "added_at": item.created_at,
                "custody": custody.get(item.id, []),
            }
            for item in items
        ]
    }


@router.post(
    "/cases/{public_id}/evidence",
    response={201: EvidenceCreated, 401: Error, 403: Error, 404: Error, 409: Error, 422: Any},
    summary="Add an item of evidence, with its file or as a physical item",
    description="A multipart form, checked as the evidence page's: the file's type is "
    f"read from its content (JPEG, PNG, PDF or UTF-8 text, {FILE_BYTES_MAX // 2**20} MB), "
    "it must open in the confined cleaner, and the original is kept encrypted with the "
    "SHA-256 taken as it arrived. Without a file, say `physical=true`. A refused field "
    "is a 422 naming it, and nothing is written. Only the case's current level and its "
    "investigators add evidence." + DOOR,
)
@sensitive_variables()
def staff_evidence_add(
    request: HttpRequest,
    public_id: str,
    description: str = Form(""),  # noqa: B008 - ninja's way
    source: str = Form(""),  # noqa: B008
    physical: bool = Form(False),  # noqa: B008
    file: UploadedFile | None = File(None),  # noqa: B008
) -> Status[Any] | dict[str, Any]:
    opened = _for_action(request, public_id)
    if isinstance(opened, Status):
        return opened
    case, case_key = opened
    files, file_errors = files_accepted(request, field="file")
    if len(files) > 1:
        file_errors.append(_("Add one file per item: each gets its own description."))
    if file_errors:
        return _field_errors({"file": file_errors}, ["form"])
    try:
        item = evidence_add(
            actor=_access(request).user,
            case=case,
            case_key=case_key,
            description=description,
            source=source,
            upload=files[0] if files else None,
            physical=physical,
        )
    except ValidationError as refused:
        return _field_errors(refused.message_dict, ["form"])
    return Status(
        201,
        {
            "id": str(item.id),
            "sha256": files[0].sha256 if files else "",
            "name": files[0].name if files else "",
            "size": files[0].size if files else 0,
        },
    )


# Interim measures ------------------------------------------------------------------


class MeasureReviewOut(Schema):
    by: str
    at: str
    note: str
    review_on: str
    ends_on: str


class MeasureEndOut(Schema):
    by: str
    at: str
    reason: str


class MeasureOut(Schema):
    id: str
    kind: str
    kind_label: str
    version: int
    decided_by: str
    starts_on: datetime.date
    review_on: datetime.date | None
    review_due: datetime.datetime | None = Field(description="its review deadline")
    review_state: str = Field(description="open, met, missed… of its latest review deadline")
    ends_on: datetime.date | None
    affects_reporter: bool
    opened: bool = Field(description="false when its record does not open")
    applies_to: str
    details: str
    words_for_reporter: str
    reviews: list[MeasureReviewOut]
    end: MeasureEndOut | None


class MeasuresOut(Schema):
    measures: list[MeasureOut]


@router.get(
    "/cases/{public_id}/measures",
    response={200: MeasuresOut, 401: Error, 404: Error, 409: Error},
    summary="A case's interim measures, with their reviews and review deadlines",
    description="Read through the same door as the measures page, with the same read entry." + DOOR,
)
@sensitive_variables()
def staff_measures(request: HttpRequest, public_id: str) -> Status[Any] | dict[str, Any]:
    access = _access(request)
    opened = _through_door(
        lambda: measures_read(user=access.user, public_id=public_id, private=access.private)
    )
    if isinstance(opened, Status):
        return opened
    _case, _key, views = opened
    shown = []
    for view in views:
        measure, content = view.measure, view.content
        shown.append(
            {
                "id": str(measure.id),
                "kind": measure.kind,
                "kind_label": str(measure.get_kind_display()),
                "version": measure.version,
                "decided_by": measure.decided_by.display_name(),
                "starts_on": measure.starts_on,
                "review_on": measure.review_on,
                "review_due": view.review.due_at if view.review else None,
                "review_state": view.review.state if view.review else "",
                "ends_on": measure.ends_on,
                "affects_reporter": measure.affects_reporter,
                "opened": view.opened,
                "applies_to": content.get("applies_to", ""),
                "details": content.get("details", ""),
                "words_for_reporter": content.get("words_for_reporter", ""),
                "reviews": content.get("reviews", []),
                "end": content.get("end"),
            }
        )
    return {"measures": shown}
