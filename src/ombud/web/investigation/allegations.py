"""The allegations page of a case: each allegation with its state, the accused's
side (a notice drafted, reviewed by a second reader, sent, answered) and its
finding, with the forms that change them. Read through
``ombud.investigation.reading.allegations_read`` (its read entry first); written
through the services of ``ombud.investigation.allegations`` with the key
``case_open_for_action`` gives. 404 for anyone who may not read the case, the
conflicted among them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ombud.access.reading import CaseLocked, CaseNotConfirmed, case_open_for_action
from ombud.access.selectors import cases_for_user, reading_permission
from ombud.access.session import session_private_key
from ombud.cases.models import Case, Category
from ombud.cases.report import IdentityMode
from ombud.directory.models import Person
from ombud.investigation.allegations import (
    SETTABLE,
    accused_notice_draft,
    accused_notice_edit,
    accused_notice_review,
    accused_notice_sent,
    accused_response_record,
    allegation_add,
    allegation_state_set,
    default_standard,
    finding_record,
)
from ombud.investigation.models import AccusedNotice, Allegation, Finding
from ombud.investigation.reading import allegations_read
from ombud.web.investigation.common import WRITERS, posted_version, staff_user


def _page(
    request: HttpRequest,
    public_id: str,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        reading = allegations_read(
            user=staff_user(request), public_id=public_id, private=session_private_key(request)
        )
    except CaseNotConfirmed as refused:
        return redirect("cases:detail", public_id=refused.case.public_id)
    except CaseLocked as refused:
        return render(request, "cases/locked.html", {"case": refused.case}, status=409)
    user = staff_user(request)
    typed: Any = request.POST if errors else {}
    failed = (typed.get("action", ""), typed.get("target", "")) if errors else ("", "")
    rows = []
    for allegation in reading.allegations:
        key = str(allegation.id)
        here = failed[1] == key
        notices = [
            {
                "notice": notice,
                "typed": typed if failed[1] == str(notice.id) else {},
                "errors": (errors or {}) if failed[1] == str(notice.id) else {},
                "may_review": notice.drafted_by_id != user.pk,
            }
            for notice in allegation.notices
        ]
        rows.append(
            {
                "allegation": allegation,
                "key": key,
                "failed": failed[0] if here else "",
                "typed": typed if here else {},
                "errors": (errors or {}) if here else {},
                "notices": notices,
                "may_notify": allegation.is_open
                and not any(
                    item["notice"].state != AccusedNotice.State.ANSWERED for item in notices
                ),
                "states": [
                    (value, label)
                    for value, label in Allegation.State.choices
                    if value in SETTABLE.get(allegation.state, ())  # type: ignore[call-overload]
                ],
            }
        )
    return render(
        request,
        "investigation/allegations.html",
        {
            "case": reading.case,
            "rows": rows,
            "reporter_mode": reading.reporter_mode,
            "reporter_mode_label": dict(IdentityMode.choices).get(reading.reporter_mode, ""),
            "reporter_hidden": reading.reporter_mode != IdentityMode.NAMED,
            "parties": reading.parties,
            "evidence": reading.evidence,
            "categories": Category.choices,
            "outcomes": Finding.Outcome.choices,
            "standards": Finding.Standard.choices,
            "default_standard": default_standard(),
            "may_write": reading_permission(user=user, case=reading.case) in WRITERS,
            "add_typed": typed if failed[0] == "add" else {},
            "add_errors": (errors or {}) if failed[0] == "add" else {},
            "general_errors": (errors or {}).get("__all__", []),
        },
        status=status,
    )


def _allegation(case: Case, request: HttpRequest) -> Allegation:
    try:
        wanted = uuid.UUID(request.POST.get("target", ""))
    except ValueError:
        raise Http404 from None
    found = Allegation.objects.filter(case=case, pk=wanted).select_related("case").first()
    if found is None:
        raise Http404
    return found


def _notice(case: Case, request: HttpRequest) -> AccusedNotice:
    try:
        wanted = uuid.UUID(request.POST.get("target", ""))
    except ValueError:
        raise Http404 from None
    found = (
        AccusedNotice.objects.filter(allegation__case=case, pk=wanted)
        .select_related("allegation__case")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _accused(request: HttpRequest) -> Person | None:
    """The directory person chosen among the case's people, or found by employee
    number or work e-mail; None for an outsider."""
    wanted = request.POST.get("person", "").strip() or request.POST.get("person_other", "").strip()
    if not wanted:
        return None
    person = Person.objects.filter(Q(employee_id=wanted) | Q(email__iexact=wanted)).first()
    if person is None:
        raise ValidationError(
            {"person": _("Nobody in the directory has this employee number or work e-mail.")}
        )
    return person


def _day(text: str, field: str, *, end: bool) -> dt.datetime | None:
    """A date typed on the form, as a moment of the organisation's time zone: its
    end for a due date, noon for a day something happened."""
    if not text.strip():
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError({field: _("Give a date as YYYY-MM-DD.")}) from None
    moment = dt.datetime.combine(day, dt.time(23, 59) if end else dt.time(12, 0))
    return timezone.make_aware(moment)


def _act(request: HttpRequest, case: Case, case_key: bytes) -> str:
    """Do what the form asks; the message to show once it is done."""
    user = staff_user(request)
    action = request.POST.get("action", "")
    version = posted_version(request)
    if reading_permission(user=user, case=case) not in WRITERS:
        raise ValidationError(_("Only the case's current level and investigators do this."))
    if action == "add":
        allegation_add(
            actor=user,
            case=case,
            case_key=case_key,
            person=_accused(request),
            name=request.POST.get("name", ""),
            category=request.POST.get("category", ""),
            summary=request.POST.get("summary", ""),
        )
        return _("Allegation added. A person of the directory accused is kept away from the case.")
    if action == "state":
        allegation_state_set(
            actor=user,
            allegation=_allegation(case, request),
            case_key=case_key,
            version=version,
            state=request.POST.get("state", ""),
            reason=request.POST.get("reason", ""),
        )
        return _("The allegation's state is changed.")
    if action == "finding":
        finding_record(
            actor=user,
            allegation=_allegation(case, request),
            case_key=case_key,
            version=version,
            outcome=request.POST.get("outcome", ""),
            standard=request.POST.get("standard", ""),
            reasoning=request.POST.get("reasoning", ""),
            evidence_ids=request.POST.getlist("evidence"),
            sanctions=request.POST.get("sanctions", ""),
            changes=request.POST.get("changes", ""),
        )
        return _("Finding recorded. The allegation takes its outcome.")
    if action == "notice_draft":
        accused_notice_draft(
            actor=user,
            allegation=_allegation(case, request),
            case_key=case_key,
            disclosed=request.POST.get("disclosed", ""),
        )
        return _("Notice drafted. A second reader of the case reviews it before it is sent.")
    if action == "notice_edit":
        accused_notice_edit(
            actor=user,
            notice=_notice(case, request),
            case_key=case_key,
            version=version,
            disclosed=request.POST.get("disclosed", ""),
        )
        return _("Notice changed. It needs a review again.")
    if action == "notice_review":
        if request.POST.get("checked") != "yes":
            raise ValidationError(
                {"checked": _("Tick that you checked that nothing in it reveals the reporter.")}
            )
        accused_notice_review(actor=user, notice=_notice(case, request), version=version)
        return _("Reviewed. It may now be recorded as sent.")
    if action == "notice_sent":
        accused_notice_sent(
            actor=user,
            notice=_notice(case, request),
            version=version,
            told_at=_day(request.POST.get("told_on", ""), "told_on", end=False),
            respond_by=_day(request.POST.get("respond_by", ""), "respond_by", end=True),
        )
        return _("Recorded as sent. His response is due by the date shown: a deadline.")
    if action == "response":
        accused_response_record(
            actor=user,
            notice=_notice(case, request),
            case_key=case_key,
            version=version,
            response=request.POST.get("response", ""),
        )
        return _("The accused's response is recorded.")
    raise ValidationError(_("Choose what to do."))


@login_required
@require_http_methods(["GET", "POST"])
def allegations_page(request: HttpRequest, public_id: str) -> HttpResponse:
    if request.method != "POST":
        return _page(request, public_id)
    try:
        case, case_key = case_open_for_action(
            user=staff_user(request), public_id=public_id, private=session_private_key(request)
        )
    except CaseNotConfirmed as refused:
        return redirect("cases:detail", public_id=refused.case.public_id)
    except CaseLocked as refused:
        return render(request, "cases/locked.html", {"case": refused.case}, status=409)
    try:
        done = _act(request, case, case_key)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return _page(request, case.public_id, errors=errors, status=400)
    messages.success(request, done)
    if not cases_for_user(staff_user(request)).filter(pk=case.pk).exists():
        return redirect("cases:inbox")  # she linked someone that keeps her away
    return redirect("cases:allegations", public_id=case.public_id)
