"""Changing the directory. Every function records its audit entry in its own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ombud.audit.services import audit_record
from ombud.directory.models import Person, RoleAssignment, StaffRole, Unit, User
from ombud.directory.selectors import cycle_message, manager_would_cycle
from ombud.directory.signals import accounts_changed, people_changed, users_left

# Fields whose change is worth naming old and new in the log (conflict checks use them).
_WATCHED = ("manager", "is_executive", "is_active", "unit")


def _watched_value(person: Person, field: str) -> Any:
    if field == "manager":
        return person.manager.employee_id if person.manager_id and person.manager else None
    if field == "unit":
        return person.unit.path if person.unit_id and person.unit else None
    return getattr(person, field)


@transaction.atomic
def unit_ensure(*, actor: User | str, path: str) -> Unit:
    """The unit at ``path`` (``Retail/Grocery``), creating it and its parents as needed."""
    names = path.split("/")
    if not all(names):
        raise ValidationError(_("Unit path %(path)r has an empty name.") % {"path": path})
    parent: Unit | None = None
    built: list[str] = []
    unit = None
    for name in names:
        built.append(name)
        unit, created = Unit.objects.get_or_create(
            path="/".join(built), defaults={"name": name, "parent": parent}
        )
        if created:
            audit_record(
                actor=actor, action="directory.unit.created", obj=unit, details={"path": unit.path}
            )
        parent = unit
    if unit is None:
        raise ValidationError(_("Unit path %(path)r is empty.") % {"path": path})
    return unit


@transaction.atomic
def person_save(*, actor: User | str, person: Person, changed: list[str] | None = None) -> Person:
    """Create or update ``person``; refuse a manager that would make a cycle."""
    if manager_would_cycle(person=person, manager=person.manager):
        raise ValidationError({"manager": cycle_message(person=person, manager=person.manager)})
    creating = person.pk is None
    before: dict[str, Any] = {}
    held: list[str] = []
    if not creating:
        stored = Person.objects.select_related("manager", "unit").get(pk=person.pk)
        if stored.employee_id != person.employee_id or stored.kind != person.kind:
            # Proposals, reports and the import find people by it: it never changes.
            raise ValidationError(
                {"employee_id": _("An employee id and kind never change once recorded.")}
            )
        before = {field: _watched_value(stored, field) for field in _WATCHED}
        if "person" in GATES:
            held = GATES["person"](actor, person, stored)
    person.save()
    # An account's e-mail is always its person's (the password link goes there).
    User.objects.filter(person=person).exclude(email=person.email).update(email=person.email)
    details: dict[str, Any] = {"employee_id": person.employee_id}
    if creating:
        audit_record(actor=actor, action="directory.person.created", obj=person, details=details)
        return person
    if changed is not None:
        details["fields"] = sorted(set(changed) - {"manager", "is_executive"} if held else changed)
    if held:
        details["held_for_approval"] = held
    for field in _WATCHED:
        after = _watched_value(person, field)
        if before[field] != after:
            details[field] = {"from": before[field], "to": after}
    if before["is_active"] and not person.is_active:
        # A leaver, however the change was made: the sign-in stops too.
        details["sign_ins_stopped"] = sign_ins_stop(actor, [person.pk])
    audit_record(actor=actor, action="directory.person.updated", obj=person, details=details)
    people_changed.send(sender=Person, actor=actor)
    return person


def sign_ins_stop(actor: User | str, person_ids: list[int]) -> int:
    """Deactivate the accounts of people who left, and tell whoever holds keys for them."""
    users = list(User.objects.filter(person_id__in=person_ids, is_active=True))
    User.objects.filter(pk__in=[user.pk for user in users]).update(is_active=False)
    for user in users:
        user.is_active = False
    if users:
        users_left.send(sender=User, actor=actor, users=users)
        accounts_changed.send(sender=User, actor=actor, users=users)
    return len(users)


def users_deactivated(*, actor: User | str, users: list[User]) -> None:
    """Accounts switched off directly (in the admin): the same consequences."""
    if users:
        users_left.send(sender=User, actor=actor, users=users)
        accounts_changed.send(sender=User, actor=actor, users=users)


def users_reactivated(*, actor: User | str, users: list[User]) -> None:
    """Accounts switched on again: who they may read is worked out afresh."""
    if users:
        accounts_changed.send(sender=User, actor=actor, users=users)


@transaction.atomic
def person_deactivate(*, actor: User | str, person: Person) -> Person:
    """A leaver: inactive in the directory, and their sign-in stops working."""
    person.is_active = False
    person.save(update_fields=["is_active", "updated_at"])
    sign_ins_stop(actor, [person.pk])
    audit_record(
        actor=actor,
        action="directory.person.deactivated",
        obj=person,
        details={"employee_id": person.employee_id},
    )
    return person


@transaction.atomic
def user_create(*, actor: User | str, username: str, password: str | None, person: Person) -> User:
    """A staff account for a person of the directory. Its e-mail is the person's work
    e-mail; its username and person never change afterwards."""
    if person is None or person.pk is None:
        raise ValidationError(_("A staff account is always linked to a person of the directory."))
    if User.objects.filter(person=person).exists():
        raise ValidationError(
            _("%(name)s has an account already.") % {"name": person.name},
        )
    user = User(username=username, person=person, email=person.email)
    user.first_name = person.name[:150]
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action="directory.user.created",
        obj=user,
        details={"username": username, "employee_id": person.employee_id},
    )
    accounts_changed.send(sender=User, actor=actor, users=[user])
    return user


# Set by the access app: turns rule changes into proposals a second person approves.
GATES: dict[str, Callable[..., Any]] = {}


@transaction.atomic
def role_grant(*, actor: User | str, user: User, role: str) -> RoleAssignment | None:
    """Give ``user`` the role; None when it waits for a second person's approval."""
    if "role" in GATES and GATES["role"](actor, user, role, True):
        return None
    staff_role = StaffRole.objects.get(code=role)
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=staff_role)
    if created:
        audit_record(
            actor=actor,
            action="directory.role.granted",
            obj=user,
            details={"role": role, "username": user.get_username()},
        )
        if "joined" in GATES:
            GATES["joined"](actor=actor, user=user, role=role)
        accounts_changed.send(sender=User, actor=actor, users=[user])
    return assignment


@transaction.atomic
def role_revoke(*, actor: User | str, user: User, role: str) -> bool:
    """Take the role away; False when it waits for a second person's approval."""
    if not RoleAssignment.objects.filter(user=user, role__code=role).exists():
        return True
    if "role" in GATES and GATES["role"](actor, user, role, False):
        return False
    deleted, _rows = RoleAssignment.objects.filter(user=user, role__code=role).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="directory.role.revoked",
            obj=user,
            details={"role": role, "username": user.get_username()},
        )
        accounts_changed.send(sender=User, actor=actor, users=[user])
    return True
