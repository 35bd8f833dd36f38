"""The report form, shared by the reporter's pages and oral reports typed by a handler."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ombud.cases import report as r
from ombud.cases.models import Category, Channel, Context
from ombud.directory.models import Person


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ReportForm(forms.Form):
    relation = forms.ChoiceField(
        label=_("Who are you?"), choices=r.Relation.choices, widget=forms.RadioSelect
    )
    mode = forms.ChoiceField(
        label=_("How do you want to report?"),
        choices=r.IdentityMode.choices,
        initial=r.IdentityMode.ANONYMOUS,
        widget=forms.RadioSelect,
        help_text=_(
            "Whichever you choose, only the people handling your case can read your report."
        ),
    )
    name = forms.CharField(label=_("Your name"), required=False, max_length=r.SHORT_MAX)
    employee_id = forms.CharField(
        label=_("Your employee number (if you have one)"), required=False, max_length=64
    )
    email = forms.EmailField(label=_("Your e-mail address"), required=False)
    phone = forms.CharField(label=_("Your phone number"), required=False, max_length=40)
    contact_ok = forms.BooleanField(
        label=_("The people handling my case may contact me outside these pages"),
        required=False,
    )
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=Category.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=r.DESCRIPTION_MAX,
        help_text=_("In your own words. Include what you remember; you can add more later."),
    )
    occurred_on = forms.DateField(
        label=_("When did it happen? The date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    occurred_period = forms.CharField(
        label=_("…or roughly when"),
        required=False,
        max_length=r.SHORT_MAX,
        help_text=_("For example: “spring 2026”, or “several times since March”."),
    )
    location = forms.CharField(
        label=_("Where did it happen?"), required=False, max_length=r.SHORT_MAX
    )
    context = forms.ChoiceField(
        label=_("In what setting?"), choices=Context.choices, widget=forms.RadioSelect
    )
    witnesses = forms.CharField(
        label=_("Who saw or heard it? One person per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=r.TEXT_MAX,
    )
    wants = forms.CharField(
        label=_("What would you like to happen?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=r.TEXT_MAX,
    )

    def clean_occurred_on(self) -> Any:
        value = self.cleaned_data.get("occurred_on")
        if value and value > timezone.localdate():
            raise ValidationError(_("This date is in the future."))
        return value

    def clean_witnesses(self) -> list[str]:
        lines = _lines(self.cleaned_data.get("witnesses", ""))
        if len(lines) > r.WITNESSES_MAX:
            raise ValidationError(
                _("Name at most %(max)d witnesses here; you can add more later."),
                params={"max": r.WITNESSES_MAX},
            )
        return lines

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("occurred_on") and not data.get("occurred_period"):
            self.add_error(
                "occurred_period",
                _("Give a date, or roughly when it happened (“last summer” is fine)."),
            )
        mode = data.get("mode")
        typed_identity = any(data.get(name) for name in ("name", "email", "phone", "employee_id"))
        if mode == r.IdentityMode.ANONYMOUS and typed_identity:
            self.add_error("mode", self.identified_anonymous)
        if mode in (r.IdentityMode.CONFIDENTIAL, r.IdentityMode.NAMED) and not data.get("name"):
            self.add_error("name", self.name_missing)
        return data

    identified_anonymous = _(
        "You chose to report anonymously but typed details that identify you. "
        "Remove them, or choose “confidential”."
    )
    name_missing = _("Give your name, or choose to report anonymously.")


class AccusedForm(forms.Form):
    name = forms.CharField(label=_("Name or description"), required=False, max_length=r.SHORT_MAX)
    relationship = forms.ChoiceField(
        label=_("Who is this person?"),
        choices=r.AccusedRelationship.choices,
        initial=r.AccusedRelationship.EMPLOYEE,
    )
    employee_id = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        employee_id = data.get("employee_id")
        if employee_id:
            person = Person.objects.filter(employee_id=employee_id).first()
            if person is None:
                self.add_error("name", _("This person is not in the directory; describe them."))
            else:
                data["name"] = data.get("name") or person.name
        return data


class PriorReportForm(forms.Form):
    to = forms.CharField(label=_("Whom did you tell?"), required=False, max_length=r.SHORT_MAX)
    when = forms.CharField(label=_("When?"), required=False, max_length=r.SHORT_MAX)
    outcome = forms.CharField(
        label=_("What came of it?"),
        required=False,
        max_length=r.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if (data.get("when") or data.get("outcome")) and not data.get("to"):
            self.add_error("to", _("Say whom you told (a role is enough)."))
        return data


class OralPriorReportForm(PriorReportForm):
    """The same, typed by the handler who received the report."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].label = _("Whom did the reporter tell?")


AccusedFormSet = formset_factory(
    AccusedForm, extra=0, min_num=1, max_num=r.ACCUSED_MAX, validate_max=True
)
PriorReportFormSet = formset_factory(
    PriorReportForm, extra=0, min_num=1, max_num=r.PRIOR_MAX, validate_max=True
)
OralPriorReportFormSet = formset_factory(
    OralPriorReportForm, extra=0, min_num=1, max_num=r.PRIOR_MAX, validate_max=True
)


class OralReportForm(ReportForm):
    """A report a handler received by phone, in a meeting or by letter."""

    channel = forms.ChoiceField(
        label=_("How was the report received?"),
        choices=[
            (value, label)
            for value, label in Channel.choices
            if value in (Channel.PHONE, Channel.MEETING, Channel.LETTER)
        ],
        widget=forms.RadioSelect,
    )
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    # The handler types it: the questions speak to her, about the reporter.
    STAFF_LABELS = {
        "relation": _("Who is the reporter?"),
        "mode": _("How does the reporter want to report?"),
        "name": _("The reporter's name"),
        "employee_id": _("The reporter's employee number (if she has one)"),
        "email": _("The reporter's e-mail address"),
        "phone": _("The reporter's phone number"),
        "contact_ok": _("The reporter agrees to be contacted outside the reporting pages"),
        "description": _("What happened, as the reporter told it"),
        "witnesses": _("Who saw or heard it, according to the reporter? One person per line"),
        "wants": _("What would the reporter like to happen?"),
    }
    STAFF_HELP = {
        "mode": _("Ask her: only the people handling the case can read the report either way."),
        "description": _(
            "In her words as far as you can; say where you summarise. She can add more later."
        ),
    }

    identified_anonymous = _(
        "The report is anonymous, but details that identify the reporter were typed. "
        "Remove them, or record it as confidential."
    )
    name_missing = _("Give the reporter's name, or record the report as anonymous.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in self.STAFF_LABELS.items():
            self.fields[name].label = label
        for name, text in self.STAFF_HELP.items():
            self.fields[name].help_text = text

    def clean_received_on(self) -> Any:
        value = self.cleaned_data.get("received_on")
        if value and value > timezone.localdate():
            raise ValidationError(_("This date is in the future."))
        return value


def report_from_forms(
    form: ReportForm, accused: Any, prior: Any, *, received_by: str = ""
) -> r.Report:
    data = form.cleaned_data
    return r.Report(
        category=data["category"],
        description=data["description"],
        context=data["context"],
        occurred_on=data["occurred_on"].isoformat() if data.get("occurred_on") else "",
        occurred_period=data.get("occurred_period", ""),
        location=data.get("location", ""),
        accused=[
            r.Accused(
                name=row["name"],
                relationship=row["relationship"],
                employee_id=row.get("employee_id", ""),
            )
            for row in accused.cleaned_data
            if row.get("name")
        ],
        witnesses=data.get("witnesses", []),
        prior_reports=[
            r.PriorReport(to=row["to"], when=row.get("when", ""), outcome=row.get("outcome", ""))
            for row in prior.cleaned_data
            if row.get("to")
        ],
        identity=r.Identity(
            mode=data["mode"],
            relation=data["relation"],
            name=data.get("name", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            employee_id=data.get("employee_id", ""),
        ),
        wants=data.get("wants", ""),
        contact_ok=bool(data.get("contact_ok")),
        channel=data.get("channel", "web"),
        received_on=data["received_on"].isoformat() if data.get("received_on") else "",
        received_by=received_by,
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=r.MESSAGE_MAX,
    )


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"),
        max_length=60,
        help_text=_("The 24 letters and digits you were given. Spaces and dashes do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
