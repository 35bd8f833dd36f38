from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """A unit of the organisation; units form a tree (``Retail/Grocery``)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    path = models.CharField(_("path"), max_length=500, unique=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")

    def __str__(self) -> str:
        return self.path


class Person(models.Model):
    """Someone in the organisation's directory. Never deleted: leavers become inactive.

    Employees come from the directory import. Someone from outside (an external board
    member or investigator) who needs a staff account gets an entry of kind
    ``external``, created only through four eyes."""

    class Kind(models.TextChoices):
        EMPLOYEE = "employee", _("employee")
        EXTERNAL = "external", _("external (outside the organisation)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EMPLOYEE)
    employee_id = models.CharField(_("employee id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    other_names = models.JSONField(
        _("other names"),
        default=list,
        blank=True,
        help_text=_("Other spellings, such as the name in another script."),
    )
    email = models.EmailField(_("work e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("unit"),
    )
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="direct_reports",
        verbose_name=_("manager"),
    )
    title = models.CharField(_("job title"), max_length=200, blank=True)
    grade = models.CharField(_("grade"), max_length=40, blank=True)
    is_executive = models.BooleanField(_("executive"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "employee_id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_id})"


class AccountChangeRefused(Exception):
    """A username or the directory person of an account never changes after creation:
    a proposal, a conflict or a grant bound to one account must never follow a name
    to another. Deactivate the account and create a new one instead."""


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-otp device
    """A staff sign-in, always linked to a directory person once created through the
    services; its e-mail is that person's work e-mail, never typed."""

    person = models.OneToOneField(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account",
        verbose_name=_("person"),
    )
    # A tag under a key derived from the pepper (ombud.integrity) over the username
    # and the person: an account relinked in the database is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.person_id is not None and self.person is not None:
            # The password link goes to this address: it is the directory's, never typed.
            self.email = self.person.email
        fields = kwargs.get("update_fields")
        if (
            self.pk is not None
            and not self._state.adding
            and (fields is None or {"username", "person", "person_id"} & set(fields))
        ):
            stored = type(self).objects.filter(pk=self.pk).values("username", "person_id").first()
            if stored is not None and (
                stored["username"] != self.username or stored["person_id"] != self.person_id
            ):
                raise AccountChangeRefused(
                    f"the username and the person of account {self.pk} never change: "
                    "deactivate it and create a new account"
                )
        super().save(*args, **kwargs)

    def display_name(self) -> str:
        if self.person_id and self.person:
            return self.person.name
        return self.get_full_name() or self.get_username()


class StaffRole(models.Model):
    """A role staff can hold: handler, investigator, a level of the escalation
    ladder, board committee, escrow officer, auditor, administrator."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("staff role")

    def __str__(self) -> str:
        return gettext(self.name)  # the standard roles' names are translated


class RoleAssignment(models.Model):
    role = models.ForeignKey(
        StaffRole, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("role")
    )
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("user")
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "user"], name="one_assignment_per_role")
        ]
        verbose_name = _("role assignment")

    def __str__(self) -> str:
        return f"{self.user} as {self.role}"
