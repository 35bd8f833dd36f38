"""Four eyes on the rules. A change that decides who may read cases waits until a
second ladder member approves it: the ladder itself, the roles of ladder members,
and the executive flag or manager of anyone named in a case. Nobody approves their
own change, and administrators, who cannot hold ladder roles, approve nothing.

The gates apply to changes made in the web interface and by the directory import.
The terminal's bootstrap commands (`ombud manage role_grant`), run by whoever
operates the server, are applied at once and audited: without them nobody could
appoint the first ladder members.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.access.models import LadderLevel, RuleChange
from ombud.access.routing import ladder_role_codes
from ombud.audit.services import audit_record
from ombud.cases.models import Party
from ombud.directory import roles
from ombud.directory.models import Person, StaffRole, User
from ombud.directory.selectors import user_roles

_applying: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "four_eyes_applying", default=False
)


@contextlib.contextmanager
def _approved() -> Iterator[None]:
    token = _applying.set(True)
    try:
        yield
    finally:
        _applying.reset(token)


def _label(actor: User | str) -> str:
    return f"user:{actor.get_username()}" if isinstance(actor, User) else actor


def is_ladder_member(user: User) -> bool:
    return user.is_active and bool(user_roles(user=user) & ladder_role_codes())


def rule_change_propose(
    *, actor: User | str, kind: str, summary: str, payload: dict[str, Any]
) -> RuleChange:
    change = RuleChange.objects.create(
        kind=kind,
        summary=summary,
        payload=json.dumps(payload, sort_keys=True),
        proposed_by=actor if isinstance(actor, User) else None,
        proposer=_label(actor),
    )
    audit_record(
        actor=actor,
        action="access.rule_change.proposed",
        obj=change,
        details={"kind": kind, "summary": summary, **payload},
    )
    return change


# Gates the directory's services call --------------------------------------------


# Roles that read cases: administrators may hold none of them.
READING_ROLES = {roles.INVESTIGATOR, roles.TRAINED_INVESTIGATOR}


def check_role_separation(user: User, role: str) -> None:
    """Administrators cannot hold ladder roles (nor investigators' roles, which also
    read cases), and ladder members cannot be administrators."""
    held = user_roles(user=user)
    ladder = ladder_role_codes() | READING_ROLES
    if role in ladder and roles.ADMINISTRATOR in held:
        raise ValidationError(_("Administrators cannot hold a role on the ladder of escalation."))
    if role == roles.ADMINISTRATOR and held & ladder:
        raise ValidationError(_("Members of the escalation ladder cannot be administrators."))


def role_gate(actor: User | str, user: User, role: str, grant: bool) -> bool:
    """True when the change was turned into a proposal instead of applied."""
    if grant:
        check_role_separation(user, role)
    if _applying.get() or not isinstance(actor, User):
        return False
    ladder = ladder_role_codes()
    if role not in ladder and not (user_roles(user=user) & ladder):
        return False
    verb = _("give") if grant else _("take away")
    rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.ROLE_GRANT if grant else RuleChange.Kind.ROLE_REVOKE,
        summary=_("%(verb)s the role %(role)s: %(user)s")
        % {"verb": verb, "role": role, "user": user.get_username()},
        payload={"username": user.get_username(), "role": role},
    )
    return True


_HELD_FIELDS = ("is_executive", "grade", "manager_id")


def person_gate(actor: User | str, person: Person, stored: Person) -> list[str]:
    """Hold back changes to the executive flag or manager of someone named in a case:
    the fields are put back, and a proposal records the wanted values."""
    if _applying.get():
        return []
    # Executive flags and grades decide where cases start: held for everyone, so the
    # wait says nothing about who is named. Managers change often: held for parties.
    is_party = Party.objects.filter(person_id=person.pk).exists()
    wanted = {
        field: getattr(person, field)
        for field in _HELD_FIELDS
        if getattr(person, field) != getattr(stored, field) and (field != "manager_id" or is_party)
    }
    if not wanted:
        return []
    for field in wanted:
        setattr(person, field, getattr(stored, field))
    manager_id = wanted.get("manager_id")
    manager = Person.objects.filter(pk=manager_id).first() if manager_id else None
    payload: dict[str, Any] = {"employee_id": person.employee_id}
    if "is_executive" in wanted:
        payload["is_executive"] = wanted["is_executive"]
    if "grade" in wanted:
        payload["grade"] = wanted["grade"]
    if "manager_id" in wanted:
        payload["manager"] = manager.employee_id if manager else None
    rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.PERSON,
        # The summary says what changes, not why it waits (that he is named in a case).
        summary=_("change %(name)s (%(id)s): %(fields)s")
        % {
            "name": person.name,
            "id": person.employee_id,
            "fields": ", ".join(sorted(k for k in payload if k != "employee_id")),
        },
        payload=payload,
    )
    return sorted(wanted)


def parties_snapshot() -> dict[int, tuple[bool, str, int | None]]:
    """Before an import: everyone's flag and grade are held, parties' managers too."""
    return {
        pk: (executive, grade, manager)
        for pk, executive, grade, manager in Person.objects.values_list(
            "pk", "is_executive", "grade", "manager_id"
        )
    }


def import_gate(actor: User | str, before: dict[int, tuple[bool, str, int | None]]) -> int:
    """After an import wrote its rows: hold back what it changed for parties."""
    held = 0
    changed = [
        pk
        for pk, *now in Person.objects.values_list("pk", "is_executive", "grade", "manager_id")
        if pk in before and tuple(now) != before[pk]
    ]
    for person in Person.objects.filter(pk__in=changed):
        executive, grade, manager = before[person.pk]
        stored = Person(pk=person.pk, is_executive=executive, grade=grade)
        stored.manager_id = manager
        fields = person_gate(actor, person, stored)
        if fields:
            Person.objects.filter(pk=person.pk).update(
                is_executive=person.is_executive, grade=person.grade, manager_id=person.manager_id
            )
            held += 1
    return held


# Deciding ---------------------------------------------------------------------


def ladder_propose(*, actor: User | str, codes: list[str]) -> RuleChange:
    known = set(StaffRole.objects.values_list("code", flat=True))
    forbidden = {roles.ADMINISTRATOR, roles.AUDITOR} | set(
        StaffRole.objects.filter(
            assignments__user__role_assignments__role__code=roles.ADMINISTRATOR
        ).values_list("code", flat=True)
    )
    if not codes or len(set(codes)) != len(codes) or set(codes) - known or set(codes) & forbidden:
        raise ValidationError(
            _(
                "A ladder is a list of distinct staff roles, bottom first; "
                "not administrators or auditors."
            )
        )
    return rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.LADDER,
        summary=_("the ladder becomes: %(ladder)s") % {"ladder": " → ".join(codes)},
        payload={"ladder": codes},
    )


@transaction.atomic
def rule_change_approve(*, actor: User, change: RuleChange) -> None:
    change = RuleChange.objects.select_for_update().get(pk=change.pk)
    _may_decide(actor, change)
    payload = json.loads(change.payload)
    with _approved():
        _apply(change.kind, payload, actor)
    change.state = RuleChange.State.APPROVED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save()
    audit_record(
        actor=actor,
        action="access.rule_change.approved",
        obj=change,
        details={"kind": change.kind, "summary": change.summary, "proposer": change.proposer},
    )


@transaction.atomic
def rule_change_reject(*, actor: User, change: RuleChange) -> None:
    change = RuleChange.objects.select_for_update().get(pk=change.pk)
    _may_decide(actor, change, rejecting=True)
    change.state = RuleChange.State.REJECTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save()
    audit_record(
        actor=actor,
        action="access.rule_change.rejected",
        obj=change,
        details={"kind": change.kind, "summary": change.summary, "proposer": change.proposer},
    )


def _may_decide(actor: User, change: RuleChange, rejecting: bool = False) -> None:
    if change.state != RuleChange.State.PENDING:
        raise ValidationError(_("This change was already decided."))
    if change.proposed_by_id == actor.pk:
        if rejecting:
            return  # withdrawing one's own proposal is fine
        raise ValidationError(_("A second person must approve: not the one who proposed it."))
    if not is_ladder_member(actor):
        raise ValidationError(_("Only a member of the escalation ladder may decide this."))
    if not rejecting:
        payload = json.loads(change.payload)
        about_self = payload.get("username") == actor.get_username() or (
            actor.person_id is not None
            and payload.get("employee_id") == getattr(actor.person, "employee_id", None)
        )
        if about_self:
            raise ValidationError(_("Nobody approves a change about themselves."))


def _apply(kind: str, payload: dict[str, Any], actor: User) -> None:
    from ombud.directory.services import person_save, role_grant, role_revoke

    if kind in (RuleChange.Kind.ROLE_GRANT, RuleChange.Kind.ROLE_REVOKE):
        user = User.objects.get(username=payload["username"])
        if kind == RuleChange.Kind.ROLE_GRANT:
            role_grant(actor=actor, user=user, role=payload["role"])
        else:
            role_revoke(actor=actor, user=user, role=payload["role"])
    elif kind == RuleChange.Kind.PERSON:
        person = Person.objects.get(employee_id=payload["employee_id"])
        if "is_executive" in payload:
            person.is_executive = payload["is_executive"]
        if "grade" in payload:
            person.grade = payload["grade"]
        if "manager" in payload:
            person.manager = (
                Person.objects.get(employee_id=payload["manager"]) if payload["manager"] else None
            )
        person_save(actor=actor, person=person)
    elif kind == RuleChange.Kind.LADDER:
        _ladder_replace(payload["ladder"])


def _ladder_replace(codes: list[str]) -> None:
    """Positions are unique: move everyone out of the way first, then set them. A
    level that cases or rules still point at cannot be removed."""
    levels = {level.role.code: level for level in LadderLevel.objects.select_related("role")}
    for code, level in levels.items():
        if code not in codes:
            try:
                level.delete()
            except ProtectedError:
                raise ValidationError(
                    _("Cases or routing rules still use the level %(role)s: move them first.")
                    % {"role": code}
                ) from None
    for level in levels.values():
        if level.role.code in codes:
            level.position += 1000
            level.save(update_fields=["position"])
    for position, code in enumerate(codes, start=1):
        level = levels.get(code) or LadderLevel(role=StaffRole.objects.get(code=code))
        level.position = position
        level.save()
