"""The written outcome's staff page: draft (from the findings), review by a second
reader, publish to the reporter."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ombud.cases.models import Case
from ombud.investigation.outcome import (
    PUBLISHABLE,
    TEXT_MAX,
    outcome_draft,
    outcome_proposal,
    outcome_publish,
    outcome_review,
)
from ombud.investigation.reading import OUTCOME_READ, OutcomeView, outcome_open
from ombud.web.investigation.common import opened_for_action, opened_to_read, staff_user


def _page(
    request: HttpRequest,
    case: Case,
    outcome: OutcomeView | None,
    *,
    typed: str | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    text = typed if typed is not None else (outcome.text if outcome else outcome_proposal(case))
    return render(
        request,
        "investigation/outcome.html",
        {
            "case": case,
            "outcome": outcome,
            "text": text,
            "text_max": TEXT_MAX,
            "errors": errors or [],
            "may_review": bool(
                outcome
                and not outcome.published_at
                and not outcome.reviewed_at
                and outcome.drafted_by != user.get_username()
            ),
            "may_publish": bool(
                outcome
                and outcome.reviewed_at
                and not outcome.published_at
                and case.state in PUBLISHABLE
            ),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def outcome_page(request: HttpRequest, public_id: str) -> HttpResponse:
    if request.method == "GET":
        opened = opened_to_read(request, public_id, OUTCOME_READ)
        if isinstance(opened, HttpResponse):
            return opened
        case, case_key = opened
        return _page(request, case, outcome_open(case=case, case_key=case_key))
    acted = opened_for_action(request, public_id)
    if isinstance(acted, HttpResponse):
        return acted
    case, case_key = acted
    user = staff_user(request)
    action = request.POST.get("action", "")
    try:
        version = int(request.POST["version"]) if request.POST.get("version") else None
    except ValueError:
        version = None
    try:
        if action == "draft":
            outcome_draft(
                actor=user,
                case=case,
                case_key=case_key,
                text=request.POST.get("text", ""),
                language=get_language(),
                version=version,
            )
            messages.success(request, _("Saved. A second reader of the case reviews it next."))
        elif action == "review":
            outcome_review(actor=user, case=case, version=version or 0)
            messages.success(request, _("Reviewed. It can now be published to the reporter."))
        elif action == "publish":
            outcome_publish(actor=user, case=case, version=version or 0)
            messages.success(request, _("Published: the reporter reads it on her page."))
        else:
            raise ValidationError(_("Choose what to do."))
    except ValidationError as refused:
        # Shown again with what she typed: the page shows the outcome, so it is a read.
        opened = opened_to_read(request, public_id, OUTCOME_READ)
        if isinstance(opened, HttpResponse):
            return opened
        case, case_key = opened
        typed = request.POST.get("text") if action == "draft" else None
        return _page(
            request,
            case,
            outcome_open(case=case, case_key=case_key),
            typed=typed,
            errors=refused.messages,
            status=400,
        )
    return redirect("cases:outcome", public_id=case.public_id)


def _no_fetching(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """The PDF is made from our own template alone: nothing is fetched, so no text of
    the outcome can leave in a URL and no outside resource can slow it down."""
    raise ValueError(f"the outcome's PDF fetches nothing ({url[:40]})")


def outcome_pdf(case: Case, outcome: OutcomeView) -> bytes:
    """The outcome as an A4 PDF in the active language (her pages' language): the
    headings and dates translated, the text as it was written and published."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(
        "investigation/outcome_pdf.html",
        {"case": case, "outcome": outcome, "language": get_language()},
    )
    pdf: bytes = HTML(string=html, url_fetcher=_no_fetching).write_pdf()
    return pdf
