"""The accused's rights on a case: his appeals of findings, and his data-access
requests with their reviewed answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ombud.access.reading import CaseLocked, CaseNotConfirmed, case_read
from ombud.access.session import session_private_key
from ombud.cases.models import Case, Party
from ombud.directory.models import Person
from ombud.investigation.models import AccessRequest, Allegation, Appeal, Finding
from ombud.investigation.reading import (
    RIGHTS_READ,
    access_answer_proposal,
    access_requests_open,
    appeals_open,
)
from ombud.investigation.rights import (
    access_request_draft,
    access_request_record,
    access_request_release,
    access_request_review,
    appeal_decide,
    appeal_record,
    ladder_position,
)
from ombud.web.investigation.common import (
    opened_for_action,
    opened_to_read,
    posted_version,
    staff_user,
)
from ombud.web.investigation.pdf import document_pdf


def _accused(case: Case) -> list[Person]:
    """The directory people this case accuses: in its allegations or as parties."""
    ids = set(
        Allegation.objects.filter(case=case, person__isnull=False).values_list("person", flat=True)
    )
    ids |= set(
        Party.objects.filter(case=case, role=Party.Role.ACCUSED).values_list("person", flat=True)
    )
    return list(Person.objects.filter(pk__in=ids).order_by("name"))


def _page(
    request: HttpRequest,
    case: Case,
    case_key: bytes,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    position = ladder_position(user)
    appeals = appeals_open(case=case, case_key=case_key)
    findings = (
        Finding.objects.filter(allegation__case=case)
        .select_related("allegation__person")
        .order_by("created_at")
    )
    return render(
        request,
        "investigation/rights.html",
        {
            "case": case,
            "appeals": appeals,
            "may_decide": {
                appeal.id
                for appeal in appeals
                if position is not None and position > appeal.above_position
            },
            "findings": findings,
            "requests": access_requests_open(case=case, case_key=case_key),
            "accused": _accused(case),
            "decisions": Appeal.Decision.choices,
            "errors": errors or {},
            "typed": request.POST if errors else {},
            "today": timezone.localdate().isoformat(),
            "me": user.get_username(),
        },
        status=status,
    )


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: _("Give the date as YYYY-MM-DD.")}) from None


def _uuid(value: str) -> uuid.UUID:
    """The id a form sent; one that matches no record when it is not an id."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


def _names_to_hide(request: HttpRequest, case: Case) -> dict[str, str]:
    """Who must not be named in his answer: the reporter (her name, e-mail, phone and
    employee id as the report gives them) and the witnesses (as the report names
    them, and the directory's witnesses of the case). Reading the report is a read
    of the case: it writes its entry."""
    reading = case_read(
        user=staff_user(request), public_id=case.public_id, private=session_private_key(request)
    )
    report = reading.content.report
    reporter = _("[the reporter]")
    hide = {
        value: reporter
        for value in (
            report.identity.name,
            report.identity.email,
            report.identity.phone,
            report.identity.employee_id,
        )
        if value
    }
    witness = _("[a witness]")
    for name in report.witnesses:
        hide.setdefault(name, witness)
    for person in Person.objects.filter(
        case_parties__case=case, case_parties__role=Party.Role.WITNESS
    ):
        hide.setdefault(person.name, witness)
    for person in Person.objects.filter(
        case_parties__case=case, case_parties__role=Party.Role.WITNESS
    ):
        for value in (person.email, person.phone):
            if value:
                hide.setdefault(value, witness)
    if report.identity.employee_id:
        named = Person.objects.filter(employee_id=report.identity.employee_id).first()
        if named is not None:
            for value in (named.name, named.email, named.phone):
                if value:
                    hide.setdefault(value, reporter)
    # "Odile said…", "Ms Castell": each part of a name goes too (the longest first,
    # so whole names are replaced before their parts).
    for name, stand_in in list(hide.items()):
        if "@" in name or any(ch.isdigit() for ch in name):
            continue
        for part in name.split():
            if len(part) >= 3:
                hide.setdefault(part, stand_in)
    # Whom she told before ("my team lead"): as she wrote it, whole.
    told = _("[someone she told]")
    for prior in report.prior_reports:
        if prior.to:
            hide.setdefault(prior.to, told)
    return hide


def _act(request: HttpRequest, case: Case, case_key: bytes) -> str:
    """Carry out the form's action; the message to show. ValidationError otherwise."""
    user, action = staff_user(request), request.POST.get("action", "")
    if action == "appeal":
        finding = Finding.objects.filter(
            allegation__case=case, pk=_uuid(request.POST.get("finding", ""))
        ).first()
        if finding is None:
            raise ValidationError({"finding": _("Choose the finding he appeals.")})
        appeal_record(
            actor=user,
            case=case,
            case_key=case_key,
            finding=finding,
            filed_on=_date(request.POST.get("filed_on", ""), "filed_on"),
            grounds=request.POST.get("grounds", ""),
        )
        return _("Appeal recorded. A level above the one that decided will decide it.")
    if action == "decide":
        appeal = Appeal.objects.filter(
            finding__allegation__case=case, pk=_uuid(request.POST.get("appeal", ""))
        ).first()
        if appeal is None:
            raise Http404
        grounds = next(
            view.grounds
            for view in appeals_open(case=case, case_key=case_key)
            if view.id == str(appeal.id)
        )
        appeal_decide(
            actor=user,
            case=case,
            case_key=case_key,
            appeal=appeal,
            version=posted_version(request),
            decision=request.POST.get("decision", ""),
            reasoning=request.POST.get("reasoning", ""),
            grounds=grounds,
        )
        return _("Appeal decided.")
    if action == "access":
        person = next(
            (p for p in _accused(case) if p.employee_id == request.POST.get("person")), None
        )
        if person is None:
            raise ValidationError({"person": _("Choose who asked: someone this case accuses.")})
        received_on = _date(request.POST.get("received_on", ""), "received_on")
        draft = access_answer_proposal(
            case=case, case_key=case_key, person=person, hide=_names_to_hide(request, case)
        )
        access_request_record(
            actor=user,
            case=case,
            case_key=case_key,
            person=person,
            received_on=received_on,
            draft=draft,
        )
        return _("Request recorded, with a first draft of the answer: read it all and change it.")
    access = AccessRequest.objects.filter(
        case=case, pk=_uuid(request.POST.get("request", ""))
    ).first()
    if access is None:
        raise ValidationError(_("Choose what to do."))
    if action == "draft":
        access_request_draft(
            actor=user,
            case=case,
            case_key=case_key,
            request=access,
            version=posted_version(request),
            text=request.POST.get("text", ""),
        )
        return _("Saved. A second reader reviews it next.")
    if action == "review":
        access_request_review(
            actor=user,
            case=case,
            request=access,
            version=posted_version(request),
            checked=request.POST.get("checked") == "yes",
        )
        return _("Reviewed: it can be released to him.")
    if action == "release":
        access_request_release(
            actor=user, case=case, request=access, version=posted_version(request)
        )
        return _("Released: download the answer and send it to him.")
    raise ValidationError(_("Choose what to do."))


@login_required
@require_http_methods(["GET", "POST"])
def rights_page(request: HttpRequest, public_id: str) -> HttpResponse:
    if request.method == "GET":
        opened = opened_to_read(request, public_id, RIGHTS_READ)
        if isinstance(opened, HttpResponse):
            return opened
        return _page(request, *opened)
    acted = opened_for_action(request, public_id)
    if isinstance(acted, HttpResponse):
        return acted
    case, case_key = acted
    try:
        done = _act(request, case, case_key)
    except (CaseNotConfirmed, CaseLocked):
        return redirect("cases:detail", public_id=case.public_id)
    except ValidationError as refused:
        errors: dict[str, Any] = (
            refused.message_dict
            if hasattr(refused, "error_dict")
            else {"general": refused.messages}
        )
        opened = opened_to_read(request, public_id, RIGHTS_READ)
        if isinstance(opened, HttpResponse):
            return opened
        return _page(request, *opened, errors=errors, status=400)
    messages.success(request, done)
    return redirect("cases:rights", public_id=case.public_id)


@login_required
@require_GET
def access_answer_pdf(request: HttpRequest, public_id: str, request_id: uuid.UUID) -> HttpResponse:
    """A released answer, as the PDF that goes to him (a read of the case)."""
    released = AccessRequest.objects.filter(
        case__public_id=public_id, pk=request_id, state=AccessRequest.State.RELEASED
    )
    if not released.exists():
        raise Http404  # before the door: nothing opened, so nothing to record
    opened = opened_to_read(request, public_id, RIGHTS_READ, answer=str(request_id))
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key = opened
    answer = next(
        (
            view
            for view in access_requests_open(case=case, case_key=case_key)
            if view.id == str(request_id) and view.released_at is not None
        ),
        None,
    )
    if answer is None:
        raise Http404
    title = _("Your data-access request: what case %(ref)s holds about you") % {"ref": case.ref}
    subtitle = _("Request received on %(received)s; answered on %(released)s.") % {
        "received": answer.received_on.isoformat(),
        "released": answer.released_at.date().isoformat() if answer.released_at else "",
    }
    response = HttpResponse(
        document_pdf(title, subtitle, answer.text), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="access-request-{case.ref}.pdf"'
    return response
