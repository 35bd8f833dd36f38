"""Django admin for the directory and staff roles, open to administrators only.

Changes made here go through the directory services, so each is audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ombud.audit.services import audit_record
from ombud.directory import roles
from ombud.directory.models import Person, RoleAssignment, StaffRole, Unit, User
from ombud.directory.selectors import cycle_message, manager_would_cycle, user_has_role
from ombud.directory.services import (
    GATES,
    person_save,
    role_grant,
    role_revoke,
    user_create,
    users_deactivated,
    users_reactivated,
)


def admin_actor(request: HttpRequest) -> User:
    """The administrator acting; only they reach a model admin (see has_permission)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class OmbudAdminSite(admin.AdminSite):
    site_header = _("Ombud administration")
    site_title = _("Ombud administration")
    index_title = _("Directory and roles")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_active
            and user_has_role(user=user, role=roles.ADMINISTRATOR)
        )

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.user.is_authenticated:
            # Signed in but not an administrator: say so rather than ask to sign in again.
            raise PermissionDenied
        # One sign-in page for everyone; the admin's own form would require is_staff.
        target = request.GET.get("next", reverse("admin:index"))
        return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': target})}")


admin_site = OmbudAdminSite(name="admin")


class AdministratorsOnly(admin.ModelAdmin):
    """Administrators may view, add and change; nothing is ever deleted here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Unit, site=admin_site)
class UnitAdmin(AdministratorsOnly):
    """Units come from the directory import (their paths); here they are only shown."""

    list_display = ["path", "parent"]
    search_fields = ["path"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class OtherNamesField(forms.CharField):
    """Other names, one per line, stored as a list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(value)
        return str(value or "")

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]


class PersonForm(ModelForm):
    other_names = OtherNamesField(
        required=False,
        label=_("Other names"),
        help_text=_("One per line: other spellings, such as the name in another script."),
    )

    class Meta:
        model = Person
        fields = [
            "kind",
            "employee_id",
            "name",
            "other_names",
            "email",
            "phone",
            "unit",
            "manager",
            "title",
            "grade",
            "is_executive",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        manager = data.get("manager")
        if manager is not None and manager_would_cycle(person=self.instance, manager=manager):
            self.add_error("manager", cycle_message(person=self.instance, manager=manager))
        return data


@admin.register(Person, site=admin_site)
class PersonAdmin(AdministratorsOnly):
    form = PersonForm
    list_display = ["employee_id", "name", "unit", "manager", "title", "is_executive", "is_active"]
    list_filter = ["is_active", "is_executive", "unit"]
    search_fields = ["employee_id", "name", "email"]
    autocomplete_fields = ["manager", "unit"]
    list_select_related = ["unit", "manager"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        # An entry's kind is chosen when it is proposed; employees come from the import.
        # Employee ids never change: proposals, reports and the import find people by them.
        return [] if obj is None else ["kind", "employee_id"]

    def response_add(
        self, request: HttpRequest, obj: Person, post_url_continue: str | None = None
    ) -> HttpResponse:
        if obj.pk is None:  # waiting for approval: nothing to show yet
            return HttpResponseRedirect(reverse("admin:directory_person_changelist"))
        return super().response_add(request, obj, post_url_continue)

    def save_model(self, request: HttpRequest, obj: Person, form: ModelForm, change: bool) -> None:
        if not change:
            # Added by hand, not by the directory import (an external board member or
            # investigator): an account linked to it would get its password link, so
            # the entry waits for a second ladder member.
            GATES["person_add"](actor=admin_actor(request), person=obj)
            obj.pk = None
            self.message_user(
                request,
                _(
                    "%(name)s will be added when a second member of the escalation ladder "
                    "approves it (people of the organisation come from the directory import)."
                )
                % {"name": obj.name},
                level=messages.WARNING,
            )
            return
        person_save(actor=admin_actor(request), person=obj, changed=list(form.changed_data))
        if change and {"is_executive", "manager", "grade", "email"} & set(form.changed_data):
            obj.refresh_from_db()
            wanted = {
                "is_executive": form.cleaned_data.get("is_executive"),
                "manager": form.cleaned_data.get("manager"),
                "grade": form.cleaned_data.get("grade"),
                "email": form.cleaned_data.get("email"),
            }
            if (
                obj.is_executive != wanted["is_executive"]
                or obj.manager != wanted["manager"]
                or obj.grade != wanted["grade"]
                or obj.email != wanted["email"]
            ):
                self.message_user(
                    request,
                    _(
                        "The change of executive flag, grade, manager or staff e-mail of "
                        "%(name)s waits for a second member of the escalation ladder to "
                        "approve it."
                    )
                    % {"name": obj.name},
                    level=messages.WARNING,
                )


@admin.register(StaffRole, site=admin_site)
class StaffRoleAdmin(AdministratorsOnly):
    """The roles are part of Ombud (code checks them by code): shown, never edited."""

    list_display = ["shown_name", "shown_code", "shown_description"]

    # The standard roles' names and descriptions are stored in English and translated.
    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, role: StaffRole) -> str:
        return gettext(role.name)

    @admin.display(description=_("code"), ordering="code")
    def shown_code(self, role: StaffRole) -> str:
        return format_html("<code>{}</code>", role.code)

    @admin.display(description=_("description"))
    def shown_description(self, role: StaffRole) -> str:
        return gettext(role.description) if role.description else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(RoleAssignment, site=admin_site)
class RoleAssignmentAdmin(AdministratorsOnly):
    list_display = ["user", "role", "granted_at"]
    list_filter = ["role"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # An assignment is granted or revoked, never edited into another one.
        return obj is None and self.admin_site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.admin_site.has_permission(request)

    def save_model(
        self, request: HttpRequest, obj: RoleAssignment, form: ModelForm, change: bool
    ) -> None:
        try:
            saved = role_grant(actor=admin_actor(request), user=obj.user, role=obj.role.code)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level=messages.ERROR)
            obj.pk = None
            return
        if saved is None:
            self.message_user(
                request,
                _("This waits for a second member of the escalation ladder to approve it."),
                level=messages.WARNING,
            )
        obj.pk = saved.pk if saved else None

    def response_add(
        self, request: HttpRequest, obj: RoleAssignment, post_url_continue: str | None = None
    ) -> HttpResponse:
        if obj.pk is None:  # refused, or waiting for approval: nothing to show
            return HttpResponseRedirect(reverse("admin:directory_roleassignment_changelist"))
        return super().response_add(request, obj, post_url_continue)

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        if not role_revoke(actor=admin_actor(request), user=obj.user, role=obj.role.code):
            self.message_user(
                request,
                _("Taking away %(role)s from %(user)s waits for a second ladder member.")
                % {"role": obj.role.code, "user": obj.user.get_username()},
                level=messages.WARNING,
            )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        for assignment in queryset.select_related("user", "role"):
            self.delete_model(request, assignment)


class NewUserForm(ModelForm):
    """An administrator names the account and picks its person from the directory;
    the e-mail is that person's work e-mail, and its owner chooses the password."""

    class Meta:
        model = User
        fields = ["username", "person"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        field.required = True
        field.queryset = Person.objects.filter(is_active=True, account__isnull=True)  # type: ignore[attr-defined]
        field.help_text = _(
            "Staff accounts belong to a person of the directory: the password link goes to "
            "their work e-mail. Someone from outside is added to the directory first."
        )

    def clean_person(self) -> Person:
        person = self.cleaned_data["person"]
        if person is not None and not person.email:
            raise ValidationError(
                _("%(name)s has no work e-mail in the directory.") % {"name": person.name}
            )
        return person


@admin.register(User, site=admin_site)
class OmbudUserAdmin(AdministratorsOnly, UserAdmin):
    """Administrators never choose or see a password: whoever chose one could sign in
    as its owner and be handed their cases. New accounts get a link by e-mail."""

    list_display = ["username", "email", "person", "is_active", "last_login"]
    list_filter = ["is_active"]
    autocomplete_fields = ["person"]
    fieldsets = [
        (None, {"fields": ["username"]}),
        (_("Person"), {"fields": ["person", "email"]}),
        (_("Status"), {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    add_form = NewUserForm
    add_fieldsets = [(None, {"fields": ["username", "person"]})]
    actions = ["send_password_link"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        # The forgotten-password link goes to the e-mail, which is the person's from the
        # directory; proposals, conflicts and keys are bound to this account and person.
        # None of them changes: deactivate the account and create another instead.
        fixed = ["last_login", "date_joined"]
        return fixed if obj is None else [*fixed, "username", "person", "email"]

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        raise PermissionDenied

    @admin.action(description=_("Send a link to choose a password"))
    def send_password_link(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        sent = 0
        for user in queryset.filter(is_active=True).exclude(email=""):
            _send_password_link(request, user)
            audit_record(
                actor=admin_actor(request),
                action="directory.user.password_link_sent",
                obj=user,
                details={"username": user.get_username()},
            )
            sent += 1
        self.message_user(request, _("%(count)d link(s) sent.") % {"count": sent})

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        if not change:
            created = user_create(
                actor=admin_actor(request),
                username=obj.get_username(),
                password=None,
                person=form.cleaned_data["person"],
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            if obj.email:
                transaction.on_commit(lambda: _send_password_link(request, obj))
            return
        obj.save()
        if "is_active" in form.changed_data:
            if obj.is_active:
                users_reactivated(actor=admin_actor(request), users=[obj])
            else:
                users_deactivated(actor=admin_actor(request), users=[obj])
        audit_record(
            actor=admin_actor(request),
            action="directory.user.saved",
            obj=obj,
            details={"username": obj.get_username(), "fields": sorted(form.changed_data)},
        )


class FirstOrForgottenPasswordForm(PasswordResetForm):
    """Also for accounts that never had a password (made by an administrator)."""

    def get_users(self, email: str) -> Iterator[User]:
        return iter(User.objects.filter(email__iexact=email, is_active=True))


def _send_password_link(request: HttpRequest, user: User) -> None:
    form = FirstOrForgottenPasswordForm({"email": user.email})
    if form.is_valid():
        form.save(request=request, use_https=request.is_secure())
