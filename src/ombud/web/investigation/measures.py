"""Interim measures: the list and the form to decide one, and a measure's page with
its reviews and the forms to review or end it. Every page that shows them comes with
its read entry; a form refused is shown again with what was typed (400)."""

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
from django.views.decorators.http import require_http_methods

from ombud.access.selectors import reading_permission
from ombud.access.session import session_private_key
from ombud.investigation.measures import (
    APPLIES_TO_MAX,
    DETAILS_MAX,
    NOTE_MAX,
    WORDS_MAX,
    measure_add,
    measure_end,
    measure_review,
)
from ombud.investigation.models import Measure
from ombud.investigation.reading import measures_read
from ombud.web.investigation.common import WRITERS, staff_user, through_door

DATE = forms.DateInput(attrs={"type": "date"})


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of measure"), choices=Measure.Kind.choices)
    applies_to = forms.CharField(
        label=gettext_lazy("Whom it applies to (one or several people)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=APPLIES_TO_MAX,
    )
    details = forms.CharField(
        label=gettext_lazy("Details (staff only)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=DETAILS_MAX,
        required=False,
    )
    affects_reporter = forms.BooleanField(
        label=gettext_lazy("It affects the reporter: she is told on her page"), required=False
    )
    words_for_reporter = forms.CharField(
        label=gettext_lazy("What the reporter reads, in plain words (name nobody)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=WORDS_MAX,
        required=False,
    )
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DATE)
    review_on = forms.DateField(
        label=gettext_lazy("Review by (a deadline, escalated if missed)"),
        widget=DATE,
        required=False,
    )
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=DATE, required=False)


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What the review found and decided"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX,
    )
    review_on = forms.DateField(label=gettext_lazy("Next review by"), widget=DATE, required=False)
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["prefix"] = "review"
        super().__init__(*args, **kwargs)


class EndForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it ends"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=NOTE_MAX,
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on (today if left empty)"), widget=DATE, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["prefix"] = "end"
        super().__init__(*args, **kwargs)


def _errors_to(form: forms.Form, refused: ValidationError) -> None:
    for name, errors in refused.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
def measure_list(request: HttpRequest, public_id: str) -> HttpResponse:
    user = staff_user(request)
    form = MeasureForm(request.POST if request.method == "POST" else None)
    opened = through_door(
        request,
        lambda: measures_read(user=user, public_id=public_id, private=session_private_key(request)),
    )
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key, views = opened
    may_decide = reading_permission(user=user, case=case) in WRITERS
    if request.method == "POST":
        if not may_decide:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                measure_add(
                    actor=user,
                    case=case,
                    case_key=case_key,
                    kind=data["kind"],
                    applies_to=data["applies_to"],
                    details=data["details"],
                    affects_reporter=data["affects_reporter"],
                    words_for_reporter=data["words_for_reporter"],
                    starts_on=data["starts_on"],
                    review_on=data["review_on"],
                    ends_on=data["ends_on"],
                )
            except ValidationError as refused:
                _errors_to(form, refused)
            else:
                messages.success(request, _("Recorded, with you as the one who decided."))
                return redirect("cases:measures", public_id=case.public_id)
    return render(
        request,
        "investigation/measures.html",
        {"case": case, "measures": views, "form": form, "may_decide": may_decide},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def measure_detail(request: HttpRequest, public_id: str, measure_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    opened = through_door(
        request,
        lambda: measures_read(
            user=user,
            public_id=public_id,
            private=session_private_key(request),
            measure_id=measure_id,
        ),
    )
    if isinstance(opened, HttpResponse):
        return opened
    case, case_key, views = opened
    view = views[0]
    may_decide = reading_permission(user=user, case=case) in WRITERS and view.opened
    action = request.POST.get("action", "") if request.method == "POST" else ""
    review = ReviewForm(request.POST if action == "review" else None)
    end = EndForm(request.POST if action == "end" else None)
    status = 200
    if request.method == "POST":
        if not may_decide:
            raise Http404
        form: forms.Form = review if action == "review" else end
        if action not in ("review", "end"):
            messages.error(request, _("Choose to review the measure or to end it."))
            status = 400
        elif form.is_valid():
            data = form.cleaned_data
            # The version her page showed: the service refuses a change made on an
            # older page instead of writing over what she has not seen.
            try:
                view.measure.version = int(request.POST.get("version", ""))
            except ValueError:
                view.measure.version = 0
            try:
                if action == "review":
                    measure_review(
                        actor=user,
                        case=case,
                        case_key=case_key,
                        measure=view.measure,
                        content=view.content,
                        note=data["note"],
                        review_on=data["review_on"],
                        ends_on=data["ends_on"],
                    )
                else:
                    measure_end(
                        actor=user,
                        case=case,
                        case_key=case_key,
                        measure=view.measure,
                        content=view.content,
                        ends_on=data["ends_on"],
                        reason=data["reason"],
                    )
            except ValidationError as refused:
                _errors_to(form, refused)
                status = 400
            else:
                messages.success(
                    request, _("Reviewed.") if action == "review" else _("The measure has ended.")
                )
                return redirect("cases:measure", public_id=case.public_id, measure_id=measure_id)
        else:
            status = 400
    return render(
        request,
        "investigation/measure.html",
        {
            "case": case,
            "view": view,
            "review": review,
            "end": end,
            "may_decide": may_decide and not view.ended,
        },
        status=status,
    )
