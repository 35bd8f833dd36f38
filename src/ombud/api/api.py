"""The JSON API (django-ninja), described at /api/v1/openapi.json.

Reporters authenticate with ``Authorization: Receipt <receipt>``; the receipt is
never part of a URL. An unknown and a malformed receipt get the same 401 after
the same work. Staff use ``/api/v1/staff/`` (``ombud.api.staff``) with
``Authorization: Bearer <personal access token>`` or their signed-in session."""

# No "from __future__ import annotations": django-ninja reads the annotations at import.

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables
from ninja import File, NinjaAPI
from ninja.errors import AuthenticationError, Throttled
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security.http import HttpAuthBase

from ombud.access.reading import reporter_case_content
from ombud.access.recovery import recovery_key_exists
from ombud.api import schemas as s
from ombud.api import staff_investigation  # noqa: F401 - adds its routes to the staff router
from ombud.api.staff import CsrfRefused
from ombud.api.staff import router as staff_router
from ombud.cases.models import Message
from ombud.cases.report import FILE_BYTES_MAX, FILES_MAX, Accused, Identity, PriorReport, Report
from ombud.deadlines.models import OutsideChannel
from ombud.deadlines.selectors import outside_channels_for
from ombud.directory.models import Person
from ombud.intake import ratelimit
from ombud.intake.attachments import AttachmentRefused, accept
from ombud.intake.ratelimit import CountedThrottle
from ombud.intake.services import (
    REPORTER,
    ReceiptUnknown,
    ReporterAccess,
    case_open_by_receipt,
    message_from_reporter,
    report_submit,
)
from ombud.intake.uploads import cleaning_limits, draft_bytes_max
from ombud.investigation.deadlines import kept_from_reporter
from ombud.investigation.tokens import TokenRefused

logger = logging.getLogger(__name__)


class RateLimited(Exception):
    pass


class ReceiptAuth(HttpAuthBase):
    """``Authorization: Receipt <receipt>``."""

    openapi_scheme = "receipt"

    @sensitive_variables()
    def __call__(self, request: HttpRequest) -> ReporterAccess | None:
        attempt = ratelimit.attempt("receipt", request)  # before any work on the receipt
        if attempt is None:
            raise RateLimited
        scheme, _space, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "receipt":
            value = ""  # still do the same work as for a wrong receipt
        try:
            access = case_open_by_receipt(value)
        except ReceiptUnknown:
            return None
        attempt.refund()  # only receipts that open nothing count: polling is not guessing
        return access


api = NinjaAPI(
    title="Ombud",
    version="1",
    description="Confidential misconduct reporting. Reporters authenticate with "
    "`Authorization: Receipt <receipt>`; staff (under /staff/) with "
    "`Authorization: Bearer <personal access token>` or their signed-in session.",
    docs_url=None,  # the interactive docs load scripts from elsewhere; the schema is enough
    urls_namespace="api",
)


api.add_router("/staff", staff_router)


@api.exception_handler(TokenRefused)
def _token_refused(request: HttpRequest, exc: TokenRefused) -> HttpResponse:
    response = api.create_response(
        request,
        {
            "detail": "no valid token: it is missing, unknown, expired or revoked; "
            "make a new one on /accounts/tokens/"
        },
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="ombud-staff"'
    return response


@api.exception_handler(CsrfRefused)
def _csrf_refused(request: HttpRequest, exc: CsrfRefused) -> HttpResponse:
    return api.create_response(
        request, {"detail": "a signed-in session's change needs its CSRF token"}, status=403
    )


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "too many attempts from here; try again later"}, status=429
    )
    response["Retry-After"] = str(ratelimit.limits("receipt")[1])
    return response


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # ninja adds Retry-After from the throttle's window.
    return api.create_response(
        request, {"detail": "too many attempts from here; try again later"}, status=429
    )


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "no report answers to this receipt"}, status=401
    )
    response["WWW-Authenticate"] = "Receipt"
    return response


def _report(data: s.ReportIn) -> Report:
    return Report(
        category=data.category,
        description=data.description,
        context=data.context,
        occurred_on=data.occurred_on or "",
        occurred_period=data.occurred_period or "",
        location=data.location,
        accused=[_accused(item) for item in data.accused],
        witnesses=[item.strip() for item in data.witnesses],
        prior_reports=[
            PriorReport(to=p.to, when=p.when, outcome=p.outcome) for p in data.prior_reports
        ],
        identity=Identity(**data.identity.dict()),
        wants=data.wants,
        contact_ok=data.contact_ok,
        channel="api",
    )


def _accused(item: s.AccusedIn) -> Accused:
    if item.employee_id is not None:
        # Only what she sent: the directory's name is for staff, not for the sender.
        return Accused(name=item.name or "", relationship="employee", employee_id=item.employee_id)
    return Accused(name=item.name or "", relationship=item.relationship or "other")


@api.post(
    "/reports",
    response={201: s.Submitted, 422: Any, 429: s.Error, 503: s.Error},
    summary="Make a report",
    tags=["reporters"],
    throttle=[CountedThrottle("report")],  # before the body is read
)
@sensitive_variables()
def report_create(request: HttpRequest, payload: s.ReportIn) -> Status[Any]:
    if not recovery_key_exists():  # nothing could be sealed for the readers
        return Status(
            503,
            {
                "detail": "reports are not accepted yet: the service is still being set up; "
                "nothing was kept: try again later"
            },
        )
    unknown = [
        item.employee_id
        for item in payload.accused
        if item.employee_id is not None
        and not Person.objects.filter(employee_id=item.employee_id).exists()
    ]
    if unknown:
        return Status(
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "payload", "accused", index, "employee_id"],
                        "msg": "nobody in the directory has this employee id; give name and "
                        "relationship instead",
                        "type": "unknown_employee",
                    }
                    for index, item in enumerate(payload.accused)
                    if item.employee_id in unknown
                ]
            },
        )
    try:
        submitted = report_submit(actor=REPORTER, report=_report(payload), channel="api")
    except Exception as exc:  # nothing was stored
        logger.error("a report could not be stored: %s", type(exc).__name__)
        return Status(503, {"detail": "the report could not be stored; nothing was kept: retry"})
    return Status(
        201,
        {
            "case_ref": submitted.case.ref,
            "receipt": submitted.receipt,
            "acknowledge_by": submitted.acknowledge_by,
        },
    )


@api.get(
    "/authorities",
    response={200: list[s.AuthorityOut], 422: Any},
    summary="Outside authorities a reporter may also turn to (police, inspectorate, "
    "equality body, regulator), for one category or all",
    description="The same list the reporter's status page shows once every level "
    "has missed a deadline on her case. Public: it names no case.",
    tags=["reporters"],
)
def authorities(request: HttpRequest, category: s.CategorySlug | None = None) -> list[Any]:
    channels = outside_channels_for(category) if category else OutsideChannel.objects.all()
    return [
        {
            "name": channel.name,
            "description": channel.description,
            "contact": channel.contact,
            "categories": channel.category_slugs(),
        }
        for channel in channels
    ]


def _attachment_out(view: Any) -> dict[str, Any]:
    return {"name": view.name, "size": view.size, "sha256": view.sha256}


@api.get(
    "/reporter/case",
    auth=ReceiptAuth(),
    response={200: s.CaseOut, 401: s.Error, 429: s.Error},
    summary="The reporter's case: her report, its state, deadlines, timeline and messages",
    tags=["reporters"],
)
def reporter_case(request: HttpRequest) -> dict[str, Any]:
    access: ReporterAccess = request.auth  # type: ignore[attr-defined]
    case = access.case
    content = reporter_case_content(access)
    report = content.report.as_dict()
    for internal in ("channel", "received_by", "received_on"):
        report.pop(internal, None)
    return {
        "case_ref": case.ref,
        "state": case.state,
        "received_at": case.created_at,
        "report": report,
        "attachments": [_attachment_out(view) for view in content.attachments],
        "deadlines": [
            {
                "name": deadline.name,
                "due": deadline.due_at,
                "met": {"met": True, "missed": False}.get(deadline.state),
            }
            for deadline in case.deadlines.exclude(kept_from_reporter(case)).order_by("due_at")
        ],
        "at_top": case.at_top,
        "timeline": [
            {"at": event.at, "event": event.kind, "label": str(event.get_kind_display())}
            for event in content.timeline
        ],
        "messages": [
            {
                "id": str(message.id),
                "sender": "reporter" if message.from_reporter else "handlers",
                "information": message.information,
                "body": message.body,
                "created_at": message.created_at,
                "attachments": [_attachment_out(view) for view in message.attachments],
            }
            for message in content.messages
        ],
    }


@api.post(
    "/reporter/messages",
    auth=ReceiptAuth(),
    response={201: s.MessageCreated, 401: s.Error, 422: Any, 429: s.Error},
    summary="Send a message to the people handling the case, or add information",
    tags=["reporters"],
    throttle=[CountedThrottle("message")],
)
def reporter_message(request: HttpRequest, payload: s.MessageIn) -> Status[Any]:
    message: Message = message_from_reporter(
        access=request.auth,  # type: ignore[attr-defined]
        body=payload.body,
        information=payload.information,
    )
    return Status(201, {"id": str(message.id), "created_at": message.created_at})


@api.post(
    "/reporter/attachments",
    auth=ReceiptAuth(),
    response={201: s.MessageCreated, 401: s.Error, 422: Any, 429: s.Error},
    summary=f"Add files to the case (up to {FILES_MAX}, {FILE_BYTES_MAX // 2**20} MB each)",
    tags=["reporters"],
    throttle=[CountedThrottle("message")],  # before the files are read
)
def reporter_attachments(
    request: HttpRequest,
    files: list[UploadedFile] = File(...),  # noqa: B008 - ninja's way
) -> Status[Any]:
    accepted, errors = [], []
    for index, upload in enumerate(files[: FILES_MAX + 1]):
        if index >= FILES_MAX:
            errors.append(
                {
                    "loc": ["body", "files", index],
                    "msg": f"at most {FILES_MAX} files at once",
                    "type": "too_many",
                }
            )
            break
        if getattr(upload, "too_large", False):
            errors.append(
                {
                    "loc": ["body", "files", index],
                    "msg": f"{upload.name}: {upload.size} bytes; the limit is {FILE_BYTES_MAX}",
                    "type": "too_large",
                }
            )
            continue
        if getattr(upload, "over_budget", False):
            errors.append(
                {
                    "loc": ["body", "files", index],
                    "msg": f"{upload.name}: the files of one request may add up to "
                    f"{draft_bytes_max()} bytes",
                    "type": "too_large",
                }
            )
            continue
        try:
            accepted.append(
                accept(
                    upload.read(),
                    upload.name or "",
                    max_bytes=FILE_BYTES_MAX,
                    limits=cleaning_limits(),
                )
            )
        except AttachmentRefused as refused:
            errors.append(
                {"loc": ["body", "files", index], "msg": refused.message, "type": "refused"}
            )
    if errors:
        return Status(422, {"detail": errors})
    message = message_from_reporter(
        access=request.auth,  # type: ignore[attr-defined]
        body="",
        files=accepted,
        information=True,
    )
    return Status(201, {"id": str(message.id), "created_at": message.created_at})
