"""The audit log's filter: who, what, which case, which days (a GET form)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Case
from ombud.web.audit.sentences import action_choices, actor_choices

ISO_DAY = "%Y-%m-%d"  # what <input type="date"> sends and shows, whatever the language


FIRST_YEAR, LAST_YEAR = 2000, 9000  # the days the filter accepts


class AuditFilter(forms.Form):
    actor = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(label=_("What"), required=False)
    case = forms.CharField(
        label=_("Case"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "OMB-…", "spellcheck": "false"}),
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=[ISO_DAY],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DAY),
    )
    until = forms.DateField(
        label=_("Until (included)"),
        required=False,
        input_formats=[ISO_DAY],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DAY),
    )

    def __init__(self, *args: Any, users: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["actor"]).choices = actor_choices(users)
        cast(forms.ChoiceField, self.fields["action"]).choices = action_choices()
        self.case_found: Case | None = None

    def clean_case(self) -> str:
        ref = "".join(self.cleaned_data["case"].split()).upper()
        if ref:
            self.case_found = Case.objects.filter(ref=ref).first()
            if self.case_found is None:
                raise forms.ValidationError(
                    _("No case has the reference %(ref)s."), params={"ref": ref}
                )
        return ref

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since: dt.date | None = cleaned.get("since")
        until: dt.date | None = cleaned.get("until")
        for name, day in (("since", since), ("until", until)):
            # Ombud's log began in this century; a day at the ends of the calendar
            # would overflow when turned into an instant of the organisation's zone.
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(
                    name,
                    _("Give a day between the years %(first)s and %(last)s.")
                    % {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
                cleaned.pop(name, None)
        if since and until and until < since and "until" in cleaned:
            self.add_error("until", _("The last day comes before the first."))
        return cleaned
