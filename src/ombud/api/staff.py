"""The staff JSON API, under ``/api/v1/staff/``: thin views over the same selector
and the same door as the staff pages (``cases_for_user``, ``case_read``), so a case
read here writes the same read entry as its page, and a missing, forbidden or
conflicted case is the same 404.

Who calls: ``Authorization: Bearer ombud_pat_…`` (a personal access token, made on
``/accounts/tokens/``: ``ombud.investigation.tokens``), or a signed-in staff session
(its key cookie opens her key, as on the pages). A request that names a token is
judged by the token alone; a bad one is never saved by a session beside it. A
session's writes must carry the CSRF token, as the pages' forms do; a token's need
none (no browser sends it on its own).

The investigation's endpoints (allegations with their findings, minutes, evidence,
measures) join ``router`` from ``ombud.api.staff_investigation``."""

# No "from __future__ import annotations": django-ninja reads the annotations at import.

import datetime
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security.http import HttpAuthBase
from ninja.utils import check_csrf

from ombud.access.reading import CaseLocked, CaseNotConfirmed, case_read
from ombud.access.selectors import cases_for_user
from ombud.access.session import session_private_key
from ombud.api.schemas import Error
from ombud.directory.models import User
from ombud.investigation.tokens import TokenRefused, token_authenticate
from ombud.web.cases.views import INBOX_PAGE, SEALED, InboxKey

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def not_confirmed_detail() -> str:
    """The 409 before she said, on the case page, that she has no conflict."""
    return _("say on the case page whether you have a conflict before reading it")


def locked_detail() -> str:
    """The 409 while her key does not open the case."""
    return _("your key does not open this case yet")


@dataclass(frozen=True)
class StaffAccess:
    """Who calls, her private key for this request, and how she came in."""

    user: User
    private: bytes
    via: str  # "token" or "session"


class CsrfRefused(Exception):
    """A session's write without its CSRF token."""


class StaffAuth(HttpAuthBase):
    """``Authorization: Bearer <token>``, or a signed-in staff session."""

    openapi_scheme = "bearer"
    openapi_bearerFormat = "ombud_pat_ and 43 characters"  # noqa: N815 - OpenAPI's name
    openapi_description = (
        "A personal access token, made on /accounts/tokens/ (password and second factor "
        "again), shown once, living at most 90 days. It reads what its owner reads, "
        "through the same door and audit as her pages. A missing, unknown, expired or "
        "revoked token gets 401. A signed-in staff session is accepted too (writes then "
        "need the CSRF token)."
    )

    @sensitive_variables()
    def __call__(self, request: HttpRequest) -> StaffAccess:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _space, value = header.partition(" ")
            if scheme.lower() != "bearer":
                raise TokenRefused
            access = token_authenticate(value)
            return StaffAccess(user=access.user, private=access.private, via="token")
        user = request.user
        private = session_private_key(request)
        if not isinstance(user, User) or not user.is_authenticated or private is None:
            raise TokenRefused
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfRefused
        return StaffAccess(user=user, private=private, via="session")


router = Router(auth=StaffAuth(), tags=["staff"])


def _access(request: HttpRequest) -> StaffAccess:
    return request.auth  # type: ignore[attr-defined]


class CaseRow(Schema):
    public_id: str
    ref: str
    state: str
    category: str
    context: str
    level: str | None
    received_at: datetime.datetime
    next_due: datetime.datetime | None
    overdue: bool
    at_top: bool


class CasePage(Schema):
    cases: list[CaseRow]
    next: str | None


class StaffAttachmentOut(Schema):
    id: str
    name: str
    mime: str
    size: int
    sha256: str


class StaffMessageOut(Schema):
    id: str
    direction: str
    author: str
    body: str
    information: bool
    created_at: datetime.datetime
    attachments: list[StaffAttachmentOut]


class NoteOut(Schema):
    author: str
    body: str
    created_at: datetime.datetime


class StaffDeadlineOut(Schema):
    name: str
    label: str
    due: datetime.datetime
    state: str
    statutory: bool


class StaffTimelineOut(Schema):
    at: datetime.datetime
    event: str
    detail: str


class StaffCaseOut(Schema):
    public_id: str
    ref: str
    state: str
    category: str
    context: str
    severity: str
    outcome: str
    level: str | None
    at_top: bool
    received_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    permission: str
    report: dict[str, object]
    attachments: list[StaffAttachmentOut]
    messages: list[StaffMessageOut]
    notes: list[NoteOut]
    deadlines: list[StaffDeadlineOut]
    timeline: list[StaffTimelineOut]


def _level(case: Any) -> str | None:
    return case.level.role.code if case.level_id else None


@router.get(
    "/cases",
    response={200: CasePage, 401: Error},
    summary="The cases you may read now, a page at a time",
    description="In the order of the staff case list: those at the top of the ladder "
    "first, then by the next deadline. Pass `next` back as `after` for the next page. "
    "Nothing sealed is listed, so no read entry is written.",
)
def staff_cases(request: HttpRequest, after: str = "") -> dict[str, Any]:
    user = _access(request).user
    now = timezone.now()
    cases = (
        cases_for_user(user, narrow=True)
        .defer(*SEALED)
        .order_by("-top_first", "undated", "next_due", "created_at", "pk")
    )
    key = InboxKey.parse(after)
    if key is not None:
        cases = cases.filter(key.following())
    shown = list(cases[: INBOX_PAGE + 1])
    more = len(shown) > INBOX_PAGE
    shown = shown[:INBOX_PAGE]
    return {
        "cases": [
            {
                "public_id": case.public_id,
                "ref": case.ref,
                "state": case.state,
                "category": case.category,
                "context": case.context,
                "level": _level(case),
                "received_at": case.created_at,
                "next_due": case.next_due,
                "overdue": case.next_due is not None and case.next_due < now,
                "at_top": bool(case.top_first),
            }
            for case in shown
        ],
        "next": InboxKey.of(shown[-1]).encoded() if more else None,
    }


def _attachment(view: Any) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        "mime": view.mime,
        "size": view.size,
        "sha256": view.sha256,
    }


@router.get(
    "/cases/{public_id}",
    response={200: StaffCaseOut, 401: Error, 404: Error, 409: Error},
    summary="One case: its report, messages, notes, state and deadlines",
    description="Read through the same door as the case page, with the same read entry "
    "in the audit log. 404 for a case that does not exist, that you may not read, or "
    "that you are conflicted on, alike. 409 before you have said, on the case page, "
    "that you have no conflict, or while your key does not open the case yet.",
)
@sensitive_variables()
def staff_case(request: HttpRequest, public_id: str) -> Status[Any] | dict[str, Any]:
    access = _access(request)
    try:
        reading = case_read(user=access.user, public_id=public_id, private=access.private)
    except CaseNotConfirmed:
        return Status(409, {"detail": not_confirmed_detail()})
    except CaseLocked:
        return Status(409, {"detail": locked_detail()})
    case, content = reading.case, reading.content
    return {
        "public_id": case.public_id,
        "ref": case.ref,
        "state": case.state,
        "category": case.category,
        "context": case.context,
        "severity": case.severity,
        "outcome": case.outcome,
        "level": _level(case),
        "at_top": case.at_top,
        "received_at": case.created_at,
        "acknowledged_at": case.acknowledged_at,
        "closed_at": case.closed_at,
        "permission": getattr(case, "permission", ""),
        "report": content.report.as_dict(),
        "attachments": [_attachment(view) for view in content.attachments],
        "messages": [
            {
                "id": str(message.id),
                "direction": message.direction,
                "author": message.author,
                "body": message.body,
                "information": message.information,
                "created_at": message.created_at,
                "attachments": [_attachment(view) for view in message.attachments],
            }
            for message in content.messages
        ],
        "notes": [
            {"author": note.author, "body": note.body, "created_at": note.created_at}
            for note in reading.notes
        ],
        "deadlines": [
            {
                "name": deadline.name,
                "label": deadline.label,
                "due": deadline.due_at,
                "state": deadline.state,
                "statutory": deadline.statutory,
            }
            for deadline in case.deadlines.order_by("due_at", "pk")
        ],
        "timeline": [
            {"at": event.at, "event": event.kind, "detail": event.detail}
            for event in content.timeline
        ],
    }
