from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Case, Category


class DeadlinePolicy(models.Model):
    """A named set of deadline rules (`eu-directive`, `strict`…), editable by the
    administrators. Each rule: name, label, met_by, from, window, and optionally
    statutory, only_categories, except_categories, recurring."""

    slug = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    rules = models.TextField(_("rules"), help_text=_("JSON: the list of deadline rules"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")

    def __str__(self) -> str:
        return gettext(self.name)  # the shipped policies' names are translated

    def rule_list(self) -> list[dict[str, Any]]:
        return list(json.loads(self.rules))


class DeadlinePolicyUse(models.Model):
    """Which policy applies: one for the organisation (category empty) and any
    number for particular categories."""

    category = models.CharField(
        _("category"), max_length=30, blank=True, unique=True, choices=Category.choices
    )
    policy = models.ForeignKey(
        DeadlinePolicy, on_delete=models.PROTECT, related_name="uses", verbose_name=_("policy")
    )

    class Meta:
        verbose_name = _("deadline policy use")
        verbose_name_plural = _("deadline policy uses")

    def __str__(self) -> str:
        category = self.get_category_display() if self.category else gettext("every category")
        return f"{category}: {self.policy}"


class Deadline(models.Model):
    """One deadline of one case. The sweep looks only at open ones that are due,
    through the index on (state, due_at): its cost follows the due deadlines, not
    the number of cases."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        MET = "met", _("met")
        MISSED = "missed", _("missed")
        CANCELLED = "cancelled", _("no longer needed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deadlines")
    name = models.CharField(max_length=40)
    label = models.CharField(max_length=120)
    due_at = models.DateTimeField()
    statutory = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    met_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="deadline_due"),
            # A case's next open deadline, for the case list's order and its figures.
            models.Index(fields=["case", "state", "due_at"], name="deadline_case_next"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.name} {self.due_at:%Y-%m-%d}"


class OutsideChannel(models.Model):
    """Where a reporter can go outside the organisation (police, labour inspection,
    equality body, regulator): shown to her when her case reaches the top of the
    ladder and still misses a deadline, only if it takes her case's category (no
    fraud regulator for an assault)."""

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Category slugs it is for; empty: every category (a labour inspectorate may take
    # anything). A list on the row rather than a table: a handful of authorities,
    # edited in one admin form, whose save is audited with its changed fields.
    categories = models.JSONField(
        _("categories"),
        default=list,
        blank=True,
        help_text=_("The kinds of report it is for. None ticked: every kind."),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("outside authority")
        verbose_name_plural = _("outside authorities")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.categories, list):
            raise ValidationError({"categories": _("Give a list of categories.")})
        unknown = sorted({str(slug) for slug in self.categories} - set(Category.values))
        if unknown:
            raise ValidationError(
                {"categories": _("Unknown categories: %(slugs)s.") % {"slugs": ", ".join(unknown)}}
            )

    def takes(self, category: str) -> bool:
        return not self.categories or category in self.categories

    def category_slugs(self) -> list[str]:
        """Every category it takes, spelled out (an empty list means all of them)."""
        return [slug for slug in Category.values if self.takes(slug)]
