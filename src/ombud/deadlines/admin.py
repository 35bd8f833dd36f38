from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from ombud.deadlines.models import DeadlinePolicy, DeadlinePolicyUse, OutsideChannel
from ombud.directory.admin import AdministratorsOnly, admin_site


class PolicyForm(forms.ModelForm):
    class Meta:
        model = DeadlinePolicy
        fields = ["slug", "name", "rules"]

    def clean_rules(self) -> str:
        text = self.cleaned_data["rules"]
        try:
            rules = json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"not JSON: {exc}") from None
        if not isinstance(rules, list) or not all(
            isinstance(rule, dict) and {"name", "met_by", "from", "window"} <= set(rule)
            for rule in rules
        ):
            raise ValidationError("a list of rules, each with name, met_by, from and window")
        from ombud.deadlines.calendar import window_end

        start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
        for rule in rules:
            try:
                window_end(start, rule["window"], country="IE", tz="UTC")
            except (ValueError, TypeError, AttributeError) as exc:
                raise ValidationError(f"rule {rule['name']!r}: {exc}") from None
        return text


@admin.register(DeadlinePolicy, site=admin_site)
class DeadlinePolicyAdmin(AdministratorsOnly):
    form = PolicyForm
    list_display = ["name", "slug", "updated_at"]


@admin.register(DeadlinePolicyUse, site=admin_site)
class DeadlinePolicyUseAdmin(AdministratorsOnly):
    list_display = ["category", "policy"]


@admin.register(OutsideChannel, site=admin_site)
class OutsideChannelAdmin(AdministratorsOnly):
    list_display = ["name", "contact", "position"]
