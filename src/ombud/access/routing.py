"""Routing: where a case starts, who must never read it, and who holds its key.

Conflicts of interest are computed from the directory: every accused person,
everyone above an accused up to the top, the accused's direct reports, everyone
the report names who is linked to the directory, and (for a named or
confidential reporter) everyone above her. Staff who declare a conflict join them.
A conflicted person is never given the case key, and loses it if found later.

Keys and permission are different things. The case key is sealed to the
non-conflicted members of the starting level and of every level above it, so
that escalation needs nobody to be online; but only the current level (and
assigned investigators, and anyone who broke the glass with a written reason)
may open the case now. Everyone above holds a key they are not yet let to use:
the server enforces the wait, not the cryptography.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from ombud.access.models import (
    CaseKeyGrant,
    CaseReader,
    CategoryRule,
    Conflict,
    LadderLevel,
    PendingGrant,
    RoutingPolicy,
    StaffKey,
)
from ombud.access.services import case_key_grant, case_key_revoke, case_readers_missing
from ombud.audit.services import audit_record
from ombud.cases.models import Case, Party
from ombud.directory.models import Person, User
from ombud.directory.selectors import person_direct_reports, person_management_chain


def ladder() -> list[LadderLevel]:
    return list(LadderLevel.objects.select_related("role").order_by("position"))


def ladder_role_codes() -> set[str]:
    return set(LadderLevel.objects.values_list("role__code", flat=True))


def policy() -> RoutingPolicy:
    return RoutingPolicy.objects.filter(pk=1).first() or RoutingPolicy()


def is_executive(person: Person, grades: set[str]) -> bool:
    return person.is_executive or (bool(person.grade) and person.grade in grades)


def accused_of(case: Case) -> list[Person]:
    return list(
        Person.objects.filter(case_parties__case=case, case_parties__role=Party.Role.ACCUSED)
    )


@sensitive_variables()
def conflicted_people(case: Case, reporter: Person | None = None) -> dict[int, str]:
    """Person id -> reason, for everyone who must not read ``case``."""
    found: dict[int, str] = {}

    def add(people: Iterable[Person], reason: str) -> None:
        for person in people:
            found.setdefault(person.pk, reason)

    parties = list(Person.objects.filter(case_parties__case=case).distinct())
    add(parties, Conflict.Reason.PARTY)
    for accused in accused_of(case):
        add(person_management_chain(person=accused), Conflict.Reason.CHAIN)
        add(person_direct_reports(person=accused), Conflict.Reason.REPORTS_TO_ACCUSED)
    if reporter is not None:
        add(person_management_chain(person=reporter), Conflict.Reason.CHAIN)
    return found


def conflicted_user_ids(case: Case) -> set[int]:
    return set(Conflict.objects.filter(case=case).values_list("user_id", flat=True))


def start_level(case: Case) -> LadderLevel | None:
    levels = ladder()
    if not levels:
        return None
    rules = policy()
    grades = rules.grades()
    if rules.executive_level_id and any(is_executive(p, grades) for p in accused_of(case)):
        return rules.executive_level
    rule = CategoryRule.objects.filter(category=case.category).select_related("start_level").first()
    if rule is not None and rule.start_level is not None:
        return rule.start_level
    return levels[0]


def _record_conflicts(*, actor: User | str, case: Case, people: dict[int, str]) -> list[User]:
    """Store the conflicts of these people's accounts; the users newly conflicted."""
    new = []
    for user in User.objects.filter(person_id__in=people):
        reason = people[user.person_id]  # type: ignore[index]
        _conflict, created = Conflict.objects.get_or_create(case=case, user=user, reason=reason)
        if (
            created
            and not Conflict.objects.filter(case=case, user=user).exclude(reason=reason).exists()
        ):
            new.append(user)
    return new


def _level_members(level: LadderLevel, excluded: set[int]) -> list[User]:
    return [
        user
        for user in User.objects.filter(
            is_active=True, role_assignments__role=level.role_id
        ).distinct()
        if user.pk not in excluded
    ]


@transaction.atomic
@sensitive_variables()
def case_route(
    *, actor: User | str, case: Case, case_key: bytes, reporter: Person | None = None
) -> LadderLevel | None:
    """Compute the conflicts, pick the starting level, and seal the key to every
    non-conflicted member of that level and the levels above. A level with nobody
    who can read is skipped; with nobody at all, the case rests on the recovery key
    and the alarm goes out."""
    _record_conflicts(actor=actor, case=case, people=conflicted_people(case, reporter))
    excluded = conflicted_user_ids(case)
    start = start_level(case)
    current: LadderLevel | None = None
    if start is not None:
        for level in [level for level in ladder() if level.position >= start.position]:
            members = _level_members(level, excluded)
            for member in members:
                case_key_grant(actor=actor, case=case, user=member, case_key=case_key)
            readable = StaffKey.objects.filter(user__in=members).exists()
            if current is None and readable:
                current = level
    case.start_level = start
    case.level = current
    case.save(update_fields=["start_level", "level", "updated_at"])
    audit_record(
        actor=actor,
        action="access.case.routed",
        obj=case,
        details={
            "case": case.ref,
            "start": start.role.code if start else None,
            "level": current.role.code if current else None,
            "conflicts": len(excluded),
        },
    )
    case_readers_missing(actor=actor, case=case)
    return current


@transaction.atomic
def conflicts_refresh(
    *, actor: User | str, case: Case, reporter: Person | None = None
) -> list[User]:
    """Recompute ``case``'s conflicts (its parties or the directory changed). Anyone
    newly conflicted loses the key, through the vault's door, and any standing."""
    list(Case.objects.select_for_update().filter(pk=case.pk))
    people = conflicted_people(case, reporter)
    _record_conflicts(actor=actor, case=case, people=people)
    revoked = []
    holders = CaseKeyGrant.objects.filter(case=case, user__in=conflicted_user_ids(case))
    for grant in holders.select_related("user"):
        case_key_revoke(actor=actor, case=case, user=grant.user, reason="conflict of interest")
        revoked.append(grant.user)
    CaseReader.objects.filter(case=case, user__in=conflicted_user_ids(case)).delete()
    PendingGrant.objects.filter(case=case, user__in=conflicted_user_ids(case)).delete()
    return revoked


def conflicts_refresh_all(*, actor: User | str) -> int:
    """After a directory change: every case naming someone is checked again."""
    revoked = 0
    for case in Case.objects.filter(parties__isnull=False).distinct():
        revoked += len(conflicts_refresh(actor=actor, case=case))
    return revoked


@transaction.atomic
def case_party_add(
    *, actor: User, case: Case, case_key: bytes, person: Person, role: str
) -> list[User]:
    """A handler links someone the report names to the directory. Their conflicts
    follow at once; a newly linked executive sends the case up to where such
    cases start (the handler who linked him may then lose the case). Returns who
    lost the key."""
    _party, created = Party.objects.get_or_create(case=case, person=person, role=role)
    if created:
        audit_record(
            actor=actor,
            action="cases.party.linked",
            obj=case,
            details={"case": case.ref, "role": role},  # who: in the encrypted case only
        )
    revoked = conflicts_refresh(actor=actor, case=case)
    start = start_level(case)
    if start is not None and (case.level is None or start.position > case.level.position):
        case_route(actor=actor, case=case, case_key=case_key)
    return revoked


def member_joined(*, actor: User | str, user: User, role: str) -> int:
    """Someone joined a ladder level: they are owed the key of every case that
    started at or below it (the key goes to the starting level and all above), as
    pending grants that the next signed-in holder fulfils. Nothing is locked
    forever, and nobody conflicted is owed anything."""
    level = LadderLevel.objects.filter(role__code=role).first()
    if level is None or not user.is_active:
        return 0
    owed = 0
    cases = (
        Case.objects.filter(start_level__position__lte=level.position)
        .exclude(conflicts__user=user)
        .exclude(key_grants__user=user)
    )
    for case in cases:
        PendingGrant.objects.get_or_create(
            case=case, user=user, defaults={"reason": f"joined {role}"}
        )
        owed += 1
    if owed:
        audit_record(
            actor=actor,
            action="access.case_key.owed_to_new_member",
            object_type="directory.user",
            object_id=str(user.pk),
            details={"to": user.get_username(), "role": role, "cases": owed},
        )
    return owed
