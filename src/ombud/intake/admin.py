from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from ombud.audit.services import audit_record
from ombud.directory.admin import AdministratorsOnly, admin_actor, admin_site
from ombud.intake.models import Guidance


@admin.register(Guidance, site=admin_site)
class GuidanceAdmin(AdministratorsOnly):
    """The advice every reporter reads after sending a report: one text, edited here."""

    fields = ["help_now", "preserve_evidence"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not Guidance.objects.exists()

    def save_model(
        self, request: HttpRequest, obj: Guidance, form: ModelForm, change: bool
    ) -> None:
        obj.pk = 1
        obj.save()
        audit_record(
            actor=admin_actor(request),
            action="intake.guidance.saved",
            obj=obj,
            details={"fields": sorted(form.changed_data)},
        )
