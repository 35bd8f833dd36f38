"""The reporter's pages. They work with JavaScript turned off; a receipt travels
only in POST bodies; nothing about where the reporter connects from is kept."""

from __future__ import annotations

import datetime
import logging
import math
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombud.cases.report import FILE_BYTES_MAX, FILES_MAX, MESSAGE_MAX
from ombud.deadlines.selectors import outside_channels_for
from ombud.directory.models import Person
from ombud.intake import drafts, ratelimit
from ombud.intake.attachments import Accepted, AttachmentRefused, accept
from ombud.intake.forms import (
    AccusedFormSet,
    MessageForm,
    OralPriorReportFormSet,
    OralReportForm,
    PriorReportFormSet,
    ReceiptForm,
    ReportForm,
    report_from_forms,
)
from ombud.intake.models import Guidance
from ombud.intake.ratelimit import rate_limited
from ombud.intake.reporter_session import (
    reporter_access,
    reporter_sign_in,
    reporter_sign_out,
    reporter_signing_seed,
)
from ombud.intake.services import (
    REPORTER,
    ReceiptUnknown,
    ReporterAccess,
    case_open_by_receipt,
    message_from_reporter,
    report_submit,
)
from ombud.intake.uploads import cleaning_limits, draft_bytes_max
from ombud.investigation.minutes import (
    CORRECTIONS_MAX,
    MinutesStale,
    minutes_confirm,
    minutes_correct,
)
from ombud.investigation.models import Minutes
from ombud.investigation.reading import MinutesStatus, reporter_minutes

logger = logging.getLogger(__name__)

# Fields of the report form that are not part of the report.
_NOT_KEPT = {
    "csrfmiddlewaretoken",
    "action",
    "pick",
    "remove_file",
    "files",
    "__matches",
    "__picked",
}
# Kept in the (encrypted) draft, never taken from the form: the directory ids a
# search offered and those picked. Only these may link a row to the directory, so
# the form cannot be used to look people up by guessing ids.
_OFFERED, _PICKED = "__matches", "__picked"
DIRECTORY_MATCHES = 5


def megabytes(size: int, *, up: bool = False) -> str:
    """One decimal; rounded up for a file's size, so one byte over never reads as the limit."""
    tenths = size * 10 / (1024 * 1024)
    return f"{(math.ceil(tenths) if up else math.floor(tenths)) / 10:.1f}"


def files_accepted(
    request: HttpRequest, already: int = 0, used: int = 0, *, field: str = "files"
) -> tuple[list[Accepted], list[str]]:
    """Check and clean the uploaded files (those of the form field ``field``);
    (accepted, one error message per refused file).

    ``already`` files of ``used`` bytes are in the draft: together with these
    they may number FILES_MAX and add up to `draft_bytes_max`.
    """
    accepted: list[Accepted] = []
    errors: list[str] = []
    budget = draft_bytes_max()
    limits = cleaning_limits()
    for upload in request.FILES.getlist(field):
        if already + len(accepted) >= FILES_MAX:
            errors.append(
                _("“%(name)s” was not added: at most %(max)d files can go with one report.")
                % {"name": upload.name, "max": FILES_MAX}
            )
            continue
        if getattr(upload, "too_large", False):
            errors.append(
                _("“%(name)s” is %(size)s MB; the limit is %(max)s MB per file.")
                % {
                    "name": upload.name,
                    "size": megabytes(upload.size or 0, up=True),
                    "max": megabytes(FILE_BYTES_MAX),
                }
            )
            continue
        total = used + sum(item.size for item in accepted) + (upload.size or 0)
        if getattr(upload, "over_budget", False) or total > budget:
            errors.append(
                _(
                    "“%(name)s” was not added: files sent together may add up to %(max)s MB, "
                    "and with it they would make %(total)s MB. Send a smaller copy, or send "
                    "it later from your report's page."
                )
                % {
                    "name": upload.name,
                    "max": megabytes(budget),
                    "total": megabytes(total, up=True),
                }
            )
            continue
        data = upload.read()
        upload.close()  # frees the upload's buffer now: `data` is the one copy kept
        try:
            accepted.append(
                accept(data, upload.name or "", max_bytes=FILE_BYTES_MAX, limits=limits)
            )
        except AttachmentRefused as refused:
            errors.append(_(refused.template) % refused.params)
    return accepted, errors


def bound_forms(
    fields: dict[str, list[str]] | None, form_class: type[ReportForm] = ReportForm
) -> Any:
    prior_formset = OralPriorReportFormSet if form_class is OralReportForm else PriorReportFormSet
    if fields is None:
        return (
            form_class(),
            AccusedFormSet(prefix="accused"),
            prior_formset(prefix="prior"),
        )
    data = QueryDict(mutable=True)
    for name, values in fields.items():
        data.setlist(name, values)
    return (
        form_class(data),
        AccusedFormSet(data, prefix="accused"),
        prior_formset(data, prefix="prior"),
    )


def _rows(fields: dict[str, list[str]], prefix: str, maximum: int) -> int:
    """How many rows the form has, as sent; a tampered count is clamped."""
    try:
        total = int((fields.get(f"{prefix}-TOTAL_FORMS") or ["1"])[0])
    except ValueError:
        return 1
    return max(1, min(total, maximum))


def _add_row(
    fields: dict[str, list[str]], prefix: str, values: dict[str, str], maximum: int
) -> None:
    total_key = f"{prefix}-TOTAL_FORMS"
    total = _rows(fields, prefix, maximum)
    # Fill the first empty row before adding one.
    for index in range(total):
        if not any((fields.get(f"{prefix}-{index}-{name}") or [""])[0] for name in ("name", "to")):
            break
    else:
        if total >= maximum:
            return
        index = total
        fields[total_key] = [str(total + 1)]
    for name, value in values.items():
        fields[f"{prefix}-{index}-{name}"] = [value]


def directory_search(request: HttpRequest, query: str) -> tuple[list[Person], str]:
    """At most five people whose name contains ``query``: enough to pick someone, too
    few (and too slowly) to list the organisation."""
    query = query.strip()
    if len(query) < 3:
        return [], _("Type at least three letters of the name to search the directory.")
    if rate_limited("directory", request):
        return [], _(
            "Too many searches for now. Wait a few minutes, or describe the person instead."
        )
    found = list(
        Person.objects.filter(is_active=True, name__icontains=query)
        .select_related("unit")
        .order_by("name")[: DIRECTORY_MATCHES + 1]
    )
    if not found:
        return [], _("Nobody in the directory matches. You can describe the person instead.")
    if len(found) > DIRECTORY_MATCHES:
        return found[:DIRECTORY_MATCHES], _(
            "More people match: type more of the name if the person is not listed."
        )
    return found, ""


def report_form_step(
    request: HttpRequest, fields: dict[str, list[str]], *, staff: bool = False
) -> tuple[dict[str, list[str]], str, dict[str, Any]]:
    """Apply the form's buttons (search, pick, add a row) to what was typed. For a
    reporter, only people a search offered can be picked or linked."""
    action = request.POST.get("action", "")
    extra: dict[str, Any] = {}
    fields.setdefault(_OFFERED, [])
    fields.setdefault(_PICKED, [])
    pick = request.POST.get("pick", "")
    if action == "find":
        extra["matches"], extra["find_message"] = directory_search(
            request, (fields.get("find") or [""])[0]
        )
        fields[_OFFERED] = [person.employee_id for person in extra["matches"]]
    elif pick and (staff or pick in fields[_OFFERED]):
        person = Person.objects.filter(employee_id=pick, is_active=True).first()
        if person is not None:
            fields[_PICKED] = [*fields[_PICKED], person.employee_id]
            _add_row(
                fields,
                "accused",
                {
                    "name": person.name,
                    "relationship": "employee",
                    "employee_id": person.employee_id,
                },
                maximum=AccusedFormSet.max_num,
            )
            fields["find"] = [""]
    elif action == "add_accused":
        maximum = AccusedFormSet.max_num
        fields["accused-TOTAL_FORMS"] = [str(min(maximum, _rows(fields, "accused", maximum) + 1))]
    elif action == "add_prior":
        maximum = PriorReportFormSet.max_num
        fields["prior-TOTAL_FORMS"] = [str(min(maximum, _rows(fields, "prior", maximum) + 1))]
    if not staff:
        linkable = set(fields[_OFFERED]) | set(fields[_PICKED])
        for name in list(fields):
            if name.startswith("accused-") and name.endswith("-employee_id"):
                fields[name] = [value for value in fields[name] if value in linkable]
    return fields, action, extra


def typed_fields(request: HttpRequest) -> dict[str, list[str]]:
    return {name: request.POST.getlist(name) for name in request.POST if name not in _NOT_KEPT}


_TOO_MANY = {
    "form": gettext_lazy(
        "Too many steps from here in the last hour, so this one was not saved. What you "
        "saved before is kept in your draft for three hours; your browser's Back button "
        "returns to what you typed. Try again later."
    ),
    "receipt": gettext_lazy("Too many attempts from here. Wait ten minutes and try again."),
    "message": gettext_lazy(
        "Too many messages from here in the last hour, so this one was not sent. Your "
        "browser's Back button returns to what you wrote. Try again later."
    ),
}


def _too_many(request: HttpRequest, scope: str) -> HttpResponse:
    """The answer to a public write over its limit. Its body was never read, so
    this page cannot show it back."""
    return render(request, "intake/too_many.html", {"message": _TOO_MANY[scope]}, status=429)


def _leave_anyway(request: HttpRequest, scope: str) -> HttpResponse:
    """Leaving always works, even over the limit: it needs only her cookies."""
    response = redirect("intake:landing")
    reporter_sign_out(request, response)
    return response


def accepting_reports() -> bool:
    """Reports can be stored only once the organisation's recovery key exists."""
    from ombud.access.recovery import recovery_key_exists

    return recovery_key_exists()


def _reporter_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    return drafts.draft_cookie(request, response)


@require_http_methods(["GET"])
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/landing.html", {"accepting": accepting_reports()})


def _not_accepting(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/not_accepting.html", status=503)


@ratelimit.counted("form", refused=_too_many)
@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    if not accepting_reports():
        return _not_accepting(request)
    state = drafts.draft_get(request)
    if state is not None and drafts.SENT in state.fields:
        drafts.draft_discard(request, state)
        state = None
    extra: dict[str, Any] = {}
    file_errors: list[str] = []
    if request.method == "GET":
        listed = drafts.draft_file_list(state)
        fields = state.fields if state else None
        form, accused, prior = bound_forms(fields)
        if fields is not None:
            extra["show_errors"] = False
    else:
        typed = typed_fields(request)
        for kept in (_OFFERED, _PICKED):
            typed[kept] = state.fields.get(kept, []) if state else []
        fields, action, extra = report_form_step(request, typed)
        state = drafts.draft_save(request, fields)
        if remove := request.POST.get("remove_file"):
            drafts.draft_file_remove(state, remove)
        listed = drafts.draft_file_list(state)
        new_files, file_errors = files_accepted(
            request, len(listed), sum(item.size for item in listed)
        )
        for accepted in new_files:
            listed.append(drafts.draft_file_add(state, accepted))
        form, accused, prior = bound_forms(fields)
        if action == "review":
            if form.is_valid() and accused.is_valid() and prior.is_valid() and not file_errors:
                return drafts.draft_cookie(request, redirect("intake:review"))
            extra["show_errors"] = True
        else:
            extra["show_errors"] = False
    return _reporter_page(
        request,
        "intake/report_form.html",
        {
            "form": form,
            "accused": accused,
            "prior": prior,
            "files": listed,
            "file_errors": file_errors,
            "files_max": FILES_MAX,
            "file_mb_max": megabytes(FILE_BYTES_MAX),
            "files_mb_max": megabytes(draft_bytes_max()),
            "find": ((fields or {}).get("find") or [""])[0],
            **extra,
        },
        status=400 if extra.get("show_errors") else 200,
    )


@ratelimit.counted("form", refused=_too_many)
@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def report_review(request: HttpRequest) -> HttpResponse:
    state = drafts.draft_get(request)
    if state is None:
        messages.info(request, _("Your draft has expired or was already sent. Start again here."))
        return redirect("intake:new")
    if drafts.SENT in state.fields:
        return _already_sent(request, state)
    form, accused, prior = bound_forms(state.fields)
    if not (form.is_valid() and accused.is_valid() and prior.is_valid()):
        return redirect("intake:new")
    report = report_from_forms(form, accused, prior)
    if request.method == "POST" and request.POST.get("action") == "edit":
        return redirect("intake:new")
    error, error_status = "", 503
    if request.method == "POST" and request.POST.get("action") == "submit":
        if not accepting_reports():
            error = _(
                "Reports are not accepted yet: this service is still being set up. Nothing "
                "you typed is lost: your draft is kept for three hours. Try again later."
            )
        elif rate_limited("report", request):
            error_status = 429
            error = _(
                "Too many reports have been sent from here in the last hour. Your report is "
                "kept: try again later."
            )
        else:
            try:
                with transaction.atomic():
                    if not drafts.draft_claim(state):  # sent by a click a moment ago
                        raise AlreadySent
                    submitted = report_submit(
                        actor=REPORTER, report=report, files=drafts.draft_files(state)
                    )
                    drafts.draft_remember_receipt(
                        state,
                        {
                            "receipt": submitted.receipt,
                            "ref": submitted.case.ref,
                            "acknowledge_by": submitted.acknowledge_by.isoformat(),
                        },
                    )
            except AlreadySent:
                fresh = drafts.draft_get(request)
                return _already_sent(request, fresh or state)
            except Exception as exc:  # nothing was stored; the draft is kept
                logger.error("a report could not be stored: %s", type(exc).__name__)
                error = _(
                    "We could not save your report just now. Nothing you typed is lost: "
                    "try again in a moment."
                )
            else:
                response = render(
                    request,
                    "intake/receipt.html",
                    {"submitted": submitted, "guidance": Guidance.current(), "oral": False},
                    status=201,
                )
                return drafts.draft_cookie(request, response)
    return _reporter_page(
        request,
        "intake/review.html",
        {"report": report, "files": drafts.draft_file_list(state), "error": error},
        status=error_status if error else 200,
    )


class AlreadySent(Exception):
    pass


@sensitive_variables()
def _already_sent(request: HttpRequest, state: drafts.DraftState) -> HttpResponse:
    """A second "send" of the same draft (a double click, a reload): the same
    receipt again, never a second case. Otherwise, on to a new report."""
    sent = state.fields.get(drafts.SENT)
    if request.method == "POST" and isinstance(sent, dict):
        shown = {
            "receipt": sent["receipt"],
            "acknowledge_by": datetime.date.fromisoformat(sent["acknowledge_by"]),
            "case": {"ref": sent["ref"]},
        }
        return render(
            request,
            "intake/receipt.html",
            {"submitted": shown, "guidance": Guidance.current(), "oral": False},
        )
    messages.info(request, _("Your report was sent. You can follow it with your receipt."))
    return redirect("intake:landing")


@ratelimit.counted("receipt", refused=_too_many)
@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    access = reporter_access(request)
    if request.method == "GET" and access is not None:
        return _status_page(request, access, MessageForm())
    form = ReceiptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # The attempt was counted before the body was read (PublicWriteMiddleware).
        try:
            found = case_open_by_receipt(form.cleaned_data["receipt"])
        except ReceiptUnknown:
            form.add_error(
                "receipt",
                _("No report answers to this receipt. Check each character and try again."),
            )
        else:
            ratelimit.refund(request)  # only receipts that open nothing count
            unsent = request.POST.get("unsent", "")[:MESSAGE_MAX]
            if unsent:  # back to the message she was writing, not yet sent
                response = _status_page(request, found, MessageForm(initial={"body": unsent}))
            else:
                response = redirect("intake:status")
            reporter_sign_in(
                request, response, found.case, _reporter_key(form), _signing_seed(form)
            )
            return response
    return render(
        request,
        "intake/receipt_form.html",
        {"form": form, "unsent": request.POST.get("unsent", "")[:MESSAGE_MAX]},
        status=401 if form.errors else 200,
    )


@sensitive_variables()
def _reporter_key(form: ReceiptForm) -> bytes:
    from ombud.crypto.receipts import receipt_reporter_key

    return receipt_reporter_key(form.cleaned_data["receipt"])


@sensitive_variables()
def _signing_seed(form: ReceiptForm) -> bytes:
    from ombud.crypto.receipts import receipt_signing_seed

    return receipt_signing_seed(form.cleaned_data["receipt"])


@ratelimit.counted("message", refused=_too_many)
@sensitive_post_parameters()
@sensitive_variables()
@require_POST
def status_message(request: HttpRequest) -> HttpResponse:
    access = reporter_access(request)
    if access is None:
        # Signed out while writing: keep what she wrote, send it after the receipt.
        return render(
            request,
            "intake/receipt_form.html",
            {"form": ReceiptForm(), "unsent": request.POST.get("body", "")[:MESSAGE_MAX]},
            status=401,
        )

    form = MessageForm(request.POST)
    files, file_errors = files_accepted(request, 0)
    if form.is_valid() and not file_errors:
        message_from_reporter(
            access=access,
            body=form.cleaned_data["body"],
            files=files,
            information=request.POST.get("action") == "information",
        )
        messages.success(request, _("Sent. The people handling your case will see it."))
        return redirect("intake:status")
    return _status_page(request, access, form, file_errors=file_errors, status=400)


@ratelimit.counted("message", refused=_too_many)
@sensitive_post_parameters()
@sensitive_variables()
@require_POST
def status_minutes(request: HttpRequest) -> HttpResponse:
    """Her answer to minutes of her meeting: confirmed (signed here, with the key her
    receipt derived when she signed in) or corrections asked. The version and the
    SHA-256 of what her page showed come back with the form: minutes changed since
    are not signed."""
    access = reporter_access(request)
    if access is None:
        return render(
            request, "intake/receipt_form.html", {"form": ReceiptForm(), "unsent": ""}, status=401
        )
    try:
        minutes_id = uuid.UUID(request.POST.get("minutes", ""))
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _status_page(request, access, MessageForm(), status=400)
    sha256 = request.POST.get("sha256", "")
    corrections = request.POST.get("corrections", "")
    action = request.POST.get("action")
    try:
        if action == "confirm":
            seed = reporter_signing_seed(request)
            if seed is None:
                return _minutes_refused(
                    request,
                    access,
                    minutes_id,
                    corrections,
                    _("To sign, sign out and open your report again with your receipt."),
                    409,
                )
            minutes_confirm(
                access=access, minutes_id=minutes_id, version=version, sha256=sha256, seed=seed
            )
            messages.success(request, _("Thank you: you confirmed these minutes."))
        elif action == "correct":
            if not corrections.strip() or len(corrections) > CORRECTIONS_MAX:
                return _minutes_refused(
                    request,
                    access,
                    minutes_id,
                    corrections[:CORRECTIONS_MAX],
                    _("Write what should be corrected (at most %(max)s characters).")
                    % {"max": f"{CORRECTIONS_MAX:,}"},
                    400,
                )
            minutes_correct(
                access=access,
                minutes_id=minutes_id,
                version=version,
                sha256=sha256,
                corrections=corrections,
            )
            messages.success(
                request,
                _(
                    "Sent. The people handling your case will correct the minutes and "
                    "show them to you again."
                ),
            )
        else:
            return _status_page(request, access, MessageForm(), status=400)
    except Minutes.DoesNotExist:
        return _status_page(request, access, MessageForm(), status=404)
    except MinutesStale:
        return _minutes_refused(
            request,
            access,
            minutes_id,
            corrections,
            _(
                "These minutes were changed while you were reading them. Read them again "
                "below before you answer; what you wrote is kept."
            ),
            409,
        )
    return redirect("intake:status")


def _minutes_refused(
    request: HttpRequest,
    access: ReporterAccess,
    minutes_id: uuid.UUID,
    corrections: str,
    error: str,
    status: int,
) -> HttpResponse:
    return _status_page(
        request,
        access,
        MessageForm(),
        minutes_answer=(minutes_id, corrections, error),
        status=status,
    )


@require_GET
def status_outcome_pdf(request: HttpRequest) -> HttpResponse:
    """Her written outcome as a PDF, in the language her pages are in."""
    from django.http import Http404

    from ombud.investigation.reading import reporter_outcome
    from ombud.web.investigation.outcome import outcome_pdf

    access = reporter_access(request)
    if access is None:
        return redirect("intake:status")
    outcome = reporter_outcome(access)
    if outcome is None:
        raise Http404
    response = HttpResponse(outcome_pdf(access.case, outcome), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="outcome-{access.case.ref}.pdf"'
    return response


@ratelimit.counted("form", refused=_leave_anyway)
@require_POST
def status_leave(request: HttpRequest) -> HttpResponse:
    response = redirect("intake:landing")
    reporter_sign_out(request, response)
    return response


# Where a navigation came from (Sec-Fetch-Site): a click on our own page, or an
# address typed in. A browser too old to say is believed.
_OWN_NAVIGATION = {"same-origin", "none", None}


@require_GET
def quick_exit(request: HttpRequest) -> HttpResponse:
    """The "Leave this site quickly" link: plain, so it works without JavaScript (with
    it, quick-exit.js also takes the page she was on out of the history). It ends
    her reporter session and deletes her draft, tells the browser to forget this
    site (Clear-Site-Data), and sends her to OMBUD_QUICK_EXIT_URL. Back then finds
    nothing of hers: pages are never cached (NoStoreMiddleware) and asking again
    opens nothing.

    A GET that changes things, on purpose: another site can at most send her away,
    because a navigation it starts (Sec-Fetch-Site: cross-site or same-site) only
    redirects; so does a browser's prefetch of the link (Sec-Purpose), which is not
    her leaving. A staff sign-in in the same browser is never ended here: only the
    reporter's cookies are deleted. Clear-Site-Data names no cookies, whose clearing
    would reach the whole registrable domain (the organisation's intranet sign-in
    too, if Ombud runs on one of its subdomains): Ombud's own are deleted by name."""
    response = HttpResponseRedirect(settings.OMBUD_QUICK_EXIT_URL)
    if request.headers.get("Sec-Fetch-Site") not in _OWN_NAVIGATION:
        return response
    purpose = request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")
    if "prefetch" in purpose or "prerender" in purpose:
        return response
    drafts.draft_forget(request)
    staff = request.user.is_authenticated
    reporter_sign_out(request, response)
    drafts.draft_cookie(request, response)
    if not staff:
        response.delete_cookie(settings.CSRF_COOKIE_NAME, samesite=settings.CSRF_COOKIE_SAMESITE)
    response["Clear-Site-Data"] = '"cache"' if staff else '"cache", "storage"'
    return response


def _status_page(
    request: HttpRequest,
    access: ReporterAccess,
    message_form: MessageForm,
    *,
    file_errors: list[str] | None = None,
    minutes_answer: tuple[uuid.UUID, str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The reporter's own case: her report, state, deadlines, timeline, messages and
    the minutes of her meetings (``minutes_answer``: the minutes she was answering,
    what she wrote and why it was refused)."""
    from ombud.access.reading import reporter_case_content
    from ombud.deadlines.selectors import every_level_missed
    from ombud.investigation.reading import reporter_measures, reporter_outcome

    return render(
        request,
        "intake/status.html",
        {
            "case": access.case,
            "every_level_missed": every_level_missed(access.case),
            "content": reporter_case_content(access),
            "outcome": reporter_outcome(access),
            "measures": reporter_measures(access),
            "message_form": message_form,
            "deadlines": _shown_deadlines(access.case),
            "outside_channels": outside_channels_for(access.case.category),
            "file_errors": file_errors or [],
            "files_max": FILES_MAX,
            "file_mb_max": megabytes(FILE_BYTES_MAX),
            "files_mb_max": megabytes(draft_bytes_max()),
            "minutes": _minutes_shown(access, minutes_answer),
            "Status": MinutesStatus,
        },
        status=status,
    )


def _minutes_shown(
    access: ReporterAccess, answer: tuple[uuid.UUID, str, str] | None
) -> list[dict[str, Any]]:
    """The minutes of her meetings, with what she typed and why it was refused on the
    one she was answering."""
    answered, typed, error = answer or (None, "", "")
    return [
        {
            "view": view,
            "typed": typed if view.id == answered else "",
            "error": error if view.id == answered else "",
        }
        for view in reporter_minutes(access)
    ]


def _shown_deadlines(case: Any) -> Any:
    """Every deadline and whether it was met; the recurring "news" ones only while
    open or when missed, so the list does not grow with every message."""
    from ombud.investigation.deadlines import kept_from_reporter

    return (
        case.deadlines.exclude(name="update", state="met")
        .exclude(kept_from_reporter(case))
        .order_by("due_at")
    )
