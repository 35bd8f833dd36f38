"""Minutes of interviews and meetings (``/cases/<public_id>/minutes/``): the list
with the reporter's answer to each, checked on every read, and the forms to add and
edit them. An oral report taken by phone or in person is minutes of kind
``oral_report``."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from ombud.access.reading import (
    CaseLocked,
    CaseNotConfirmed,
    case_open_to_read,
)
from ombud.access.session import session_private_key
from ombud.cases.models import Case
from ombud.directory.models import User
from ombud.investigation.minutes import (
    ATTENDEES_MAX,
    TEXT_MAX,
    MinutesStale,
    minutes_add,
    minutes_edit,
)
from ombud.investigation.models import Minutes
from ombud.investigation.reading import MINUTES_READ, MinutesStatus, MinutesView, minutes_list
from ombud.web.investigation.common import opened_for_action

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class MinutesForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Minutes.Kind.choices)
    held_at = forms.DateTimeField(
        label=gettext_lazy("Held on"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    attendees = forms.CharField(
        label=gettext_lazy("Who was there"),
        required=False,
        max_length=ATTENDEES_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    text = forms.CharField(
        label=gettext_lazy("Minutes"),
        max_length=TEXT_MAX,
        strip=False,
        help_text=gettext_lazy(
            "Minutes of a meeting with the reporter, or of her oral report, are shown "
            "to her exactly as written here: she confirms them or asks for corrections."
        ),
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Write the minutes."))
        return text


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):  # login_required runs first
        raise Http404
    return request.user


def _locked(request: HttpRequest, case: Case) -> HttpResponse:
    return render(request, "cases/locked.html", {"case": case}, status=409)


@sensitive_variables()
def _read(
    request: HttpRequest, public_id: str, **details: str
) -> tuple[Case, list[MinutesView]] | HttpResponse:
    try:
        case, case_key = case_open_to_read(
            user=_user(request),
            public_id=public_id,
            private=session_private_key(request),
            action=MINUTES_READ,
            **details,
        )
    except CaseNotConfirmed as refused:
        return redirect("cases:detail", public_id=refused.case.public_id)
    except CaseLocked as refused:
        return _locked(request, refused.case)
    return case, minutes_list(case=case, case_key=case_key)


def _page(
    request: HttpRequest,
    public_id: str,
    form: MinutesForm,
    editing: uuid.UUID | None = None,
    status: int = 200,
) -> HttpResponse:
    read = _read(request, public_id, **({"minutes": str(editing)} if editing else {}))
    if isinstance(read, HttpResponse):
        return read
    case, shown = read
    edited = None
    if editing is not None:
        edited = next((view for view in shown if view.id == editing), None)
        if edited is None:
            raise Http404
    return render(
        request,
        "investigation/minutes.html",
        {
            "case": case,
            "minutes": shown,
            "form": form,
            "edited": edited,
            "show_errors": status >= 400,
            "Status": MinutesStatus,
        },
        status=status,
    )


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def minutes_page(request: HttpRequest, public_id: str) -> HttpResponse:
    if request.method == "GET":
        return _page(request, public_id, MinutesForm())
    acted = opened_for_action(request, public_id)
    if isinstance(acted, HttpResponse):
        return acted
    case, case_key = acted
    form = MinutesForm(request.POST)
    if not form.is_valid():
        return _page(request, public_id, form, status=400)
    minutes_add(actor=_user(request), case=case, case_key=case_key, **_fields(form))
    messages.success(request, _("Minutes added."))
    return redirect("cases:minutes", public_id=case.public_id)


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def minutes_edit_page(request: HttpRequest, public_id: str, minutes_id: uuid.UUID) -> HttpResponse:
    if request.method == "GET":
        read = _read(request, public_id, minutes=str(minutes_id))
        if isinstance(read, HttpResponse):
            return read
        case, shown = read
        view = next((one for one in shown if one.id == minutes_id), None)
        if view is None:
            raise Http404
        form = MinutesForm(
            initial={
                "kind": view.minutes.kind,
                "held_at": view.held_at,
                "attendees": view.attendees,
                "text": view.text,
                "version": view.version,
            }
        )
        return render(
            request,
            "investigation/minutes.html",
            {"case": case, "minutes": shown, "form": form, "edited": view, "Status": MinutesStatus},
        )
    acted = opened_for_action(request, public_id)
    if isinstance(acted, HttpResponse):
        return acted
    case, case_key = acted
    if not Minutes.objects.filter(case=case, pk=minutes_id).exists():
        raise Http404
    form = MinutesForm(request.POST)
    if form.is_valid() and not form.cleaned_data.get("version"):
        form.add_error(None, _("Open the minutes again and make the change there."))
    if not form.is_valid():
        return _page(request, public_id, form, editing=minutes_id, status=400)
    try:
        minutes_edit(
            actor=_user(request),
            case=case,
            case_key=case_key,
            minutes_id=minutes_id,
            version=form.cleaned_data["version"],
            **_fields(form),
        )
    except ValidationError as refused:
        for field, problems in refused.message_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return _page(request, public_id, form, editing=minutes_id, status=400)
    except MinutesStale:
        form.add_error(
            None,
            _(
                "Someone changed these minutes since you opened them. Your text is kept "
                "below: compare it with the minutes as they are now, then save again."
            ),
        )
        current = Minutes.objects.get(pk=minutes_id).version
        data = request.POST.copy()
        data["version"] = str(current)
        return _page(request, public_id, _kept(data, form), editing=minutes_id, status=409)
    messages.success(request, _("Minutes saved as a new version."))
    return redirect("cases:minutes", public_id=case.public_id)


def _kept(data: Any, refused: MinutesForm) -> MinutesForm:
    """What she typed, on the current version, with the refusal shown."""
    form = MinutesForm(data)
    form.is_valid()
    for error in refused.non_field_errors():
        form.add_error(None, error)
    return form


def _fields(form: MinutesForm) -> dict[str, Any]:
    return {
        "kind": form.cleaned_data["kind"],
        "held_at": form.cleaned_data["held_at"],
        "attendees": form.cleaned_data["attendees"],
        "text": form.cleaned_data["text"],
    }
