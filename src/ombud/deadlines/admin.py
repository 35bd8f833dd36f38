"""Deadline policies, where they apply, and outside channels, in the admin. Policies
and their uses change only when a second ladder member approves (deadlines.rules);
outside channels are saved at once. Every save is audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Category
from ombud.deadlines.models import DeadlinePolicy, DeadlinePolicyUse, OutsideChannel
from ombud.deadlines.rules import (
    outside_channel_save,
    policy_change_propose,
    policy_use_change_propose,
    rules_check,
)
from ombud.directory.admin import AdministratorsOnly, admin_actor, admin_site


class PolicyForm(forms.ModelForm):
    class Meta:
        model = DeadlinePolicy
        fields = ["slug", "name", "rules"]

    def clean_rules(self) -> str:
        text: str = self.cleaned_data["rules"]
        rules_check(text)
        return text


class WaitsForFourEyes(AdministratorsOnly):
    """A save here becomes a proposal: nothing changes until a second ladder member
    approves it at /rules/."""

    def propose(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        """Turn the form into a proposal; each admin below says how (an abstract hook:
        saving here directly would skip the second ladder member)."""
        raise NotImplementedError(f"{type(self).__name__} must say what it proposes")

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        try:
            self.propose(request, obj, form, change)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level=messages.ERROR)
            return
        self.message_user(
            request,
            _("This waits for a second member of the escalation ladder to approve it."),
            level=messages.WARNING,
        )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # nothing was added yet; the proposal is audited

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None

    def _back(self) -> HttpResponse:
        meta = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._back()

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        return self._back()


@admin.register(DeadlinePolicy, site=admin_site)
class DeadlinePolicyAdmin(WaitsForFourEyes):
    form = PolicyForm
    list_display = ["__str__", "shown_slug", "updated_at"]

    @admin.display(description=_("code"), ordering="slug")
    def shown_slug(self, policy: DeadlinePolicy) -> str:
        return format_html("<code>{}</code>", policy.slug)

    def propose(
        self, request: HttpRequest, obj: DeadlinePolicy, form: ModelForm, change: bool
    ) -> None:
        changed = form.changed_data if change else ["slug", "name", "rules"]
        fields = {name: form.cleaned_data[name] for name in changed}
        if fields:
            stored = DeadlinePolicy.objects.get(pk=obj.pk) if change else DeadlinePolicy()
            policy_change_propose(actor=admin_actor(request), policy=stored, fields=fields)


@admin.register(DeadlinePolicyUse, site=admin_site)
class DeadlinePolicyUseAdmin(WaitsForFourEyes):
    list_display = ["category", "policy"]

    def propose(
        self, request: HttpRequest, obj: DeadlinePolicyUse, form: ModelForm, change: bool
    ) -> None:
        stored = DeadlinePolicyUse.objects.get(pk=obj.pk) if change else DeadlinePolicyUse()
        policy_use_change_propose(
            actor=admin_actor(request), use=stored, category=obj.category, policy=obj.policy
        )


class OutsideChannelForm(forms.ModelForm):
    categories = forms.TypedMultipleChoiceField(
        label=_("Categories"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "The kinds of report it is for: a reporter sees it only for these. "
            "None ticked: every kind."
        ),
    )

    class Meta:
        model = OutsideChannel
        fields = ["name", "description", "contact", "position", "categories"]


@admin.register(OutsideChannel, site=admin_site)
class OutsideChannelAdmin(AdministratorsOnly):
    form = OutsideChannelForm
    list_display = ["name", "contact", "position", "category_list"]

    @admin.display(description=_("Categories"))
    def category_list(self, obj: OutsideChannel) -> str:
        if not obj.categories:
            return str(_("every kind"))
        labels = dict(Category.choices)
        return ", ".join(str(labels.get(slug, slug)) for slug in obj.categories)

    def save_model(
        self, request: HttpRequest, obj: OutsideChannel, form: ModelForm, change: bool
    ) -> None:
        outside_channel_save(
            actor=admin_actor(request), channel=obj, changed=list(form.changed_data)
        )
