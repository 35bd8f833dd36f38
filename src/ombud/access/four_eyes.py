"""Four eyes on the rules. A change that decides who may read cases waits until a
second ladder member approves it: the ladder itself, every role that can lead to
reading a case (handler, investigators, every ladder role) and the roles of ladder
members, the executive flag or manager of anyone named in a case, the work e-mail
of a staff member (her password link goes there), a person added by hand (an
external board member, say), and a staff key replaced by a forgotten password.
Nobody approves their own change or a change about themselves, and administrators,
who cannot hold ladder roles, approve nothing. A proposal is bound to the id of
the account or person it is about, never to a name.

The gates apply to changes made in the web interface and by the directory import.
The terminal's bootstrap commands (`ombud manage role_grant`), run by whoever
operates the server, are applied at once and audited: without them nobody could
appoint the first ladder members.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Callable, Iterator
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
from ombud.integrity import rows_retag

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
    *,
    actor: User | str,
    kind: str,
    summary: str,
    payload: dict[str, Any],
    user: User | None = None,
    person: Person | None = None,
) -> RuleChange:
    change = RuleChange.objects.create(
        kind=kind,
        summary=summary,
        payload=json.dumps(payload, sort_keys=True),
        proposed_by=actor if isinstance(actor, User) else None,
        proposer=_label(actor),
        user=user,
        person=person,
    )
    audit_record(
        actor=actor,
        action="access.rule_change.proposed",
        obj=change,
        details={"kind": kind, "summary": summary, **payload},
    )
    return change


# Gates the directory's services call --------------------------------------------


# Roles that read cases besides the ladder's: administrators may hold none of them,
# and nobody is given one without a second ladder member's approval.
READING_ROLES = {roles.HANDLER, roles.INVESTIGATOR, roles.TRAINED_INVESTIGATOR}


def role_label(code: str) -> str:
    """A role as people call it (“Head of ethics”), in their language; its code only
    for a role that no longer exists."""
    name = StaffRole.objects.filter(code=code).values_list("name", flat=True).first()
    return _(name) if name else code


def reading_roles() -> set[str]:
    return ladder_role_codes() | READING_ROLES


def check_role_separation(user: User, role: str) -> None:
    """Administrators cannot hold ladder roles (nor investigators' roles, which also
    read cases), and ladder members cannot be administrators."""
    held = user_roles(user=user)
    ladder = reading_roles()
    if role in ladder and roles.ADMINISTRATOR in held:
        raise ValidationError(_("Administrators cannot hold a role on the ladder of escalation."))
    if role == roles.ADMINISTRATOR and held & ladder:
        raise ValidationError(_("Members of the escalation ladder cannot be administrators."))


def role_gate(actor: User | str, user: User, role: str, grant: bool) -> bool:
    """True when the change was turned into a proposal instead of applied.

    Giving a role that can lead to reading a case waits for a second ladder member,
    whoever asks; so does any change to a ladder member's roles and taking away a
    ladder role. Only the terminal's bootstrap (an actor that is not a user) applies
    at once, audited, so the first members can be appointed."""
    if grant:
        if user.person_id is None:
            raise ValidationError(
                _("A staff role needs an account linked to a person of the directory.")
            )
        if not user.is_active:
            raise ValidationError(_("This account is deactivated."))
        check_role_separation(user, role)
    if _applying.get() or not isinstance(actor, User):
        return False
    ladder = ladder_role_codes()
    held = user_roles(user=user)
    waits = (grant and role in reading_roles()) or role in ladder or bool(held & ladder)
    if not waits:
        return False
    verb = _("give") if grant else _("take away")
    rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.ROLE_GRANT if grant else RuleChange.Kind.ROLE_REVOKE,
        summary=_("%(verb)s the role %(role)s: %(user)s")
        % {"verb": verb, "role": role_label(role), "user": user.get_username()},
        payload={"user_id": user.pk, "username": user.get_username(), "role": role},
        user=user,
    )
    return True


_HELD_FIELDS = ("is_executive", "grade", "manager_id", "email")


def person_gate(actor: User | str, person: Person, stored: Person) -> list[str]:
    """Hold back changes to the executive flag or manager of someone named in a case,
    and to anyone's work e-mail: the fields are put back, and a proposal
    records the wanted values."""
    if _applying.get():
        return []
    # Executive flags and grades decide where cases start: held for everyone, so the
    # wait says nothing about who is named. Managers change often: held for parties.
    # A work e-mail receives the password link of any account made for that person:
    # held for everyone, so no address can be changed just before an account is made.
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
    if "email" in wanted:
        payload["email"] = wanted["email"]
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
        person=person,
    )
    return sorted(wanted)


Snapshot = dict[int, tuple[bool, str, int | None, str]]


def parties_snapshot() -> Snapshot:
    """Before an import: everyone's flag and grade are held, parties' managers and
    staff members' e-mails too."""
    return {
        pk: (executive, grade, manager, email)
        for pk, executive, grade, manager, email in Person.objects.values_list(
            "pk", "is_executive", "grade", "manager_id", "email"
        )
    }


def import_gate(actor: User | str, before: Snapshot) -> int:
    """After an import wrote its rows: hold back what it changed that waits."""
    held = 0
    changed = [
        pk
        for pk, *now in Person.objects.values_list(
            "pk", "is_executive", "grade", "manager_id", "email"
        )
        if pk in before and tuple(now) != before[pk]
    ]
    for person in Person.objects.filter(pk__in=changed):
        executive, grade, manager, email = before[person.pk]
        stored = Person(pk=person.pk, is_executive=executive, grade=grade, email=email)
        stored.manager_id = manager
        fields = person_gate(actor, person, stored)
        if fields:
            Person.objects.filter(pk=person.pk).update(
                is_executive=person.is_executive,
                grade=person.grade,
                manager_id=person.manager_id,
                email=person.email,
            )
            rows_retag(Person.objects.filter(pk=person.pk))
            held += 1
    return held


def person_add_propose(*, actor: User | str, person: Person) -> RuleChange:
    """Someone added by hand rather than by the directory import (an external board
    member or investigator, say): the entry is created when a second ladder member
    approves, since an account linked to it receives its password link."""
    fields = {
        "employee_id": person.employee_id,
        "name": person.name,
        "kind": person.kind,
        "email": person.email,
        "phone": person.phone,
        "unit": person.unit.path if person.unit_id and person.unit else None,
        "title": person.title,
    }
    return rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.EXTERNAL,
        summary=_("add %(name)s (%(id)s, %(kind)s, %(email)s)")
        % {
            "name": person.name,
            "id": person.employee_id,
            "kind": person.get_kind_display(),
            "email": person.email or "—",
        },
        payload=fields,
    )


def staff_key_approval_propose(*, actor: User | str, user: User, fingerprint: str) -> RuleChange:
    """A forgotten password gave ``user`` a new key pair; the cases she is owed again
    wait until a ladder member has checked the new key's fingerprint with her."""
    return rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.STAFF_KEY,
        summary=_("approve the new key of %(user)s, fingerprint %(fingerprint)s")
        % {"user": user.get_username(), "fingerprint": fingerprint},
        payload={"user_id": user.pk, "username": user.get_username(), "fingerprint": fingerprint},
        user=user,
    )


# Deciding ---------------------------------------------------------------------


def _ladder_check(codes: list[str]) -> None:
    """A ladder of distinct known roles, none of them held by an administrator (checked
    when proposed and again when approved: a role can be given in between)."""
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


def ladder_propose(*, actor: User | str, codes: list[str]) -> RuleChange:
    _ladder_check(codes)
    return rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.LADDER,
        summary=_("the ladder becomes: %(ladder)s")
        % {"ladder": " → ".join(role_label(code) for code in codes)},
        payload={"ladder": codes},
    )


@transaction.atomic
def rule_change_approve(*, actor: User, change: RuleChange) -> None:
    change = RuleChange.objects.select_for_update().get(pk=change.pk)
    _may_decide(actor, change)
    payload = json.loads(change.payload)
    with _approved():
        _apply(change.kind, payload, actor, change)
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
        about_self = (
            change.user_id == actor.pk
            or payload.get("user_id") == actor.pk
            or (actor.person_id is not None and change.person_id == actor.person_id)
            or (
                actor.person_id is not None
                and payload.get("employee_id") == getattr(actor.person, "employee_id", None)
            )
        )
        if about_self:
            raise ValidationError(_("Nobody approves a change about themselves."))


# Changes owned by apps above this one (deadline policies) say how they are applied.
APPLIERS: dict[str, Callable[[dict[str, Any], User], None]] = {}


def bound_user(payload: dict[str, Any]) -> User:
    """The account a proposal was made for, by id (and still bearing its name)."""
    return _bound_user(payload)


def _bound_user(payload: dict[str, Any]) -> User:
    user_id = payload.get("user_id")
    user = User.objects.filter(pk=user_id).first() if isinstance(user_id, int) else None
    if user is None or user.get_username() != payload.get("username"):
        raise ValidationError(
            _("This proposal is not bound to an account (it predates that rule): propose again.")
        )
    return user


def _apply(kind: str, payload: dict[str, Any], actor: User, change: RuleChange) -> None:
    from ombud.access.services import staff_key_approve
    from ombud.directory.services import person_save, role_grant, role_revoke, unit_ensure

    if kind in APPLIERS:
        APPLIERS[kind](payload, actor)
    elif kind == RuleChange.Kind.STAFF_KEY:
        staff_key_approve(
            actor=actor, user=_bound_user(payload), fingerprint=payload["fingerprint"]
        )
    elif kind == RuleChange.Kind.EXTERNAL:
        if Person.objects.filter(employee_id=payload["employee_id"]).exists():
            raise ValidationError(_("Someone with this employee id exists already."))
        person_save(
            actor=actor,
            person=Person(
                employee_id=payload["employee_id"],
                name=payload["name"],
                kind=payload["kind"],
                email=payload["email"],
                phone=payload["phone"],
                title=payload["title"],
                unit=unit_ensure(actor=actor, path=payload["unit"]) if payload["unit"] else None,
            ),
        )
    elif kind in (RuleChange.Kind.ROLE_GRANT, RuleChange.Kind.ROLE_REVOKE):
        user = _bound_user(payload)
        if kind == RuleChange.Kind.ROLE_GRANT:
            role_grant(actor=actor, user=user, role=payload["role"])
        else:
            role_revoke(actor=actor, user=user, role=payload["role"])
    elif kind == RuleChange.Kind.PERSON:
        # The person it was proposed for, by id (employee ids never change either).
        person = Person.objects.filter(pk=change.person_id or 0).first()
        if person is None or person.employee_id != payload["employee_id"]:
            raise ValidationError(_("This proposal is not bound to a person: propose it again."))
        if "is_executive" in payload:
            person.is_executive = payload["is_executive"]
        if "grade" in payload:
            person.grade = payload["grade"]
        if "manager" in payload:
            person.manager = (
                Person.objects.get(employee_id=payload["manager"]) if payload["manager"] else None
            )
        if "email" in payload:
            person.email = payload["email"]
        person_save(actor=actor, person=person)
    elif kind == RuleChange.Kind.LADDER:
        _ladder_check(payload["ladder"])
        before = ladder_role_codes()
        _ladder_replace(payload["ladder"])
        _ladder_members_follow(actor, before | set(payload["ladder"]), set(payload["ladder"]))


def _ladder_members_follow(actor: User, moved: set[str], ladder_now: set[str]) -> None:
    """Whoever holds a role that left or joined the ladder: keys they no longer have a
    reason to hold go, and members of a new level are owed the cases below it."""
    from ombud.access.routing import member_joined, user_access_reconcile

    for user in User.objects.filter(role_assignments__role__code__in=moved).distinct():
        user_access_reconcile(actor=actor, user=user)
        for code in user_roles(user=user) & ladder_now:
            member_joined(actor=actor, user=user, role=code)


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
