"""Routing: where a case starts, who must never read it, and who holds its key.

Conflicts of interest are computed from the directory (``conflicts.py`` says
who): whenever a case is routed or its parties change, whenever the directory
changes, whenever an account is created, (de)activated or given or refused a
role, and again at the moment a key is sealed. A conflicted person is never given
the case key, and loses it if found later.

Keys and permission are different things. The case key is sealed to the
non-conflicted members of the starting level and of every level above it, so
that escalation needs nobody to be online; but only the current level (and
assigned investigators, and anyone who broke the glass with a written reason)
may open the case now. Everyone above holds a key they are not yet let to use:
the server enforces the wait, not the cryptography.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from ombud.access.conflicts import accused_of, conflicted_people, person_conflicts
from ombud.access.models import (
    CaseKeyGrant,
    CaseReader,
    CategoryRule,
    Conflict,
    LadderLevel,
    PendingGrant,
    RoutingPolicy,
)
from ombud.access.services import (
    case_key_grant_many,
    case_key_revoke,
    case_readers_missing,
    orphans_alarm,
)
from ombud.audit.services import audit_record
from ombud.cases.models import Case, Party
from ombud.directory import roles
from ombud.directory.models import Person, RoleAssignment, User
from ombud.directory.selectors import user_roles
from ombud.integrity import RowTampered, row_check, row_tag, row_valid, rows_valid

__all__ = ["accused_of", "conflicted_people"]


def ladder() -> list[LadderLevel]:
    """The ladder's levels; a level written around Ombud is left out (and reported)."""
    return rows_valid(LadderLevel.objects.select_related("role").order_by("position"))


def ladder_role_codes() -> set[str]:
    return {level.role.code for level in ladder()}


def policy() -> RoutingPolicy:
    return RoutingPolicy.objects.filter(pk=1).first() or RoutingPolicy()


def routing_rows_checked() -> tuple[list[LadderLevel], list[CategoryRule], RoutingPolicy]:
    """Raise RowTampered when any row that decides where a case starts fails its tag:
    routing on a forged ladder or rule could send a case to the wrong people.
    Returns them, checked: the ladder (as :func:`ladder`), the category rules (by
    id) and the policy (as :func:`policy`), so that routing reads each once."""
    levels = list(LadderLevel.objects.select_related("role").order_by("position"))
    rules = list(CategoryRule.objects.select_related("start_level").order_by("pk"))
    policies = list(RoutingPolicy.objects.all())
    for row in (*levels, *rules, *policies):
        row_check(row)
    rules_policy = next((row for row in policies if row.pk == 1), None) or RoutingPolicy()
    return levels, rules, rules_policy


def is_executive(person: Person, grades: set[str]) -> bool:
    return person.is_executive or (bool(person.grade) and person.grade in grades)


def conflicted_user_ids(case: Case) -> set[int]:
    return {conflict.user_id for conflict in rows_valid(Conflict.objects.filter(case=case))}


def start_level(
    case: Case,
    levels: list[LadderLevel] | None = None,
    checked: tuple[list[CategoryRule], RoutingPolicy] | None = None,
) -> LadderLevel | None:
    """Where ``case`` starts; ``levels`` is the ladder, and ``checked`` the category
    rules (by id) and the policy, when the caller has just read them."""
    levels = ladder() if levels is None else levels
    if not levels:
        return None
    rules = policy() if checked is None else checked[1]
    grades = rules.grades()
    by_id = {level.pk: level for level in levels}  # with their roles, read already
    if rules.executive_level_id and any(is_executive(p, grades) for p in accused_of(case)):
        return by_id.get(rules.executive_level_id) or rules.executive_level
    if checked is None:
        rule = (
            CategoryRule.objects.filter(category=case.category)
            .select_related("start_level")
            .first()
        )
    else:
        rule = next((row for row in checked[0] if row.category == case.category), None)
    if rule is not None and rule.start_level_id is not None:
        return by_id.get(rule.start_level_id) or rule.start_level
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


def _levels_members(levels: list[LadderLevel], excluded: set[int]) -> dict[int, list[User]]:
    """The members of each of these levels (by role id), in one query."""
    assignments = RoleAssignment.objects.filter(
        role__in=[level.role_id for level in levels],
        user__is_active=True,
        user__person__isnull=False,
    ).select_related("user__person")  # the person: checked again at sealing
    members: dict[int, list[User]] = {level.role_id: [] for level in levels}
    for assignment in rows_valid(assignments):
        if assignment.user_id not in excluded and row_valid(assignment.user):
            members[assignment.role_id].append(assignment.user)
    return members


@transaction.atomic(savepoint=False)  # inside the caller's transaction if there is one
@sensitive_variables()
def case_route(
    *, actor: User | str, case: Case, case_key: bytes, reporter: Person | None = None
) -> LadderLevel | None:
    """Compute the conflicts, pick the starting level, and seal the key to every
    non-conflicted member of that level and the levels above. A level with nobody
    who can read is skipped; with nobody at all, the case rests on the recovery key
    and the alarm goes out."""
    try:
        levels, category_rules, rules_policy = routing_rows_checked()
        people = conflicted_people(case, reporter)
    except RowTampered:
        # Routing on rows written around Ombud could send the case to the wrong
        # people: it rests on the recovery key alone, and the alarm goes out.
        audit_record(
            actor=actor,
            action="access.case.routing_refused",
            obj=case,
            details={"case": case.ref, "reason": "a routing or directory row failed its check"},
        )
        case_readers_missing(actor=actor, case=case)
        return None
    _record_conflicts(actor=actor, case=case, people=people)
    excluded = conflicted_user_ids(case)
    start = start_level(case, levels, (category_rules, rules_policy))
    current: LadderLevel | None = None
    if start is not None:
        chosen = [level for level in levels if level.position >= start.position]
        members_of = _levels_members(chosen, excluded)
        # Every level's members sealed at once, in the order of the levels; who has
        # a key pair comes back with them (sealing creates none).
        sealed = case_key_grant_many(
            actor=actor,
            case=case,
            users=[member for level in chosen for member in members_of[level.role_id]],
            case_key=case_key,
            conflicted=people,
            conflicts=excluded,  # read above, in this transaction
        )
        for level in chosen:
            readable = any(member.pk in sealed.keyed for member in members_of[level.role_id])
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
        try:
            with transaction.atomic():
                revoked += len(conflicts_refresh(actor=actor, case=case))
        except RowTampered:
            continue  # reported; its keys are refused at every sealing until it is fixed
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
    try:
        revoked = conflicts_refresh(actor=actor, case=case)
    except RowTampered:
        return []  # reported and alarmed; nothing is sealed because of it
    start = start_level(case)
    if start is not None and (case.level is None or start.position > case.level.position):
        case_route(actor=actor, case=case, case_key=case_key)
        # It started lower: whoever held it only for that level loses it now.
        for holder in User.objects.filter(case_key_grants__case=case).distinct():
            revoked += [holder] if user_access_reconcile(actor=actor, user=holder) else []
    return revoked


PENDING_BATCH = 2_000


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
        .values_list("pk", flat=True)
    )
    # Written in batches (a new head of ethics is owed a key for every case below
    # her); one already owed stays as it is. Each row is tagged as save() would.
    batch: list[PendingGrant] = []
    for case_id in cases.iterator(chunk_size=PENDING_BATCH):
        pending = PendingGrant(case_id=case_id, user=user, reason=f"joined {role}")
        pending.mac = row_tag(pending, "access.PendingGrant")
        batch.append(pending)
        if len(batch) == PENDING_BATCH:
            PendingGrant.objects.bulk_create(batch, ignore_conflicts=True)
            owed, batch = owed + len(batch), []
    PendingGrant.objects.bulk_create(batch, ignore_conflicts=True)
    owed += len(batch)
    if owed:
        audit_record(
            actor=actor,
            action="access.case_key.owed_to_new_member",
            object_type="directory.user",
            object_id=str(user.pk),
            details={"to": user.get_username(), "role": role, "cases": owed},
        )
    return owed


# Accounts that change ----------------------------------------------------------

_LET_IN = (CaseReader.Standing.INVESTIGATOR, CaseReader.Standing.BREAK_GLASS)


def entitled(user: User) -> Q:
    """The cases whose key ``user``'s roles and standings still justify, as a
    condition on the case (never a list of ids: a head of ethics at a million cases
    is owed more than a statement can name): a key held or owed for a ladder role at
    or above where the case started, or an assignment as investigator while still
    holding the role the case's category takes its investigators from."""
    held = user_roles(user=user)
    positions = [level.position for level in ladder() if level.role.code in held]
    reason = Q(pk__in=[])
    if positions:
        keyed = Q(pk__in=CaseKeyGrant.objects.filter(user=user).values("case_id")) | Q(
            pk__in=PendingGrant.objects.filter(user=user).values("case_id")
        )
        top = max(positions)
        reason |= keyed & (Q(start_level__isnull=True) | Q(start_level__position__lte=top))
    required = dict(
        CategoryRule.objects.filter(investigator_role__isnull=False).values_list(
            "category", "investigator_role__code"
        )
    )
    categories = Q(category__in=[category for category, role in required.items() if role in held])
    if roles.INVESTIGATOR in held:
        categories |= ~Q(category__in=list(required))
    assigned = CaseReader.objects.filter(user=user, standing=CaseReader.Standing.INVESTIGATOR)
    return reason | (Q(pk__in=assigned.values("case_id")) & categories)


def entitled_cases(user: User) -> set[int]:
    """The ids of the cases :func:`entitled` describes."""
    return set(Case.objects.filter(entitled(user)).values_list("pk", flat=True))


@transaction.atomic
def user_access_reconcile(*, actor: User | str, user: User) -> int:
    """After an account was created, (de)activated, or given or refused a role: its
    conflicts are recomputed from the directory, and every key, pending grant and
    standing it no longer has a reason to hold goes, through the vault's door,
    audited. Returns the number of cases it lost."""
    user = User.objects.select_related("person").get(pk=user.pk)
    lost: set[int] = set()
    orphans: list[str] = []

    def take_away(case: Case, reason: str) -> None:
        revoked = case_key_revoke(actor=actor, case=case, user=user, reason=reason)
        if revoked and not CaseKeyGrant.objects.filter(case=case, user__is_active=True).exists():
            orphans.append(case.ref)
        PendingGrant.objects.filter(case=case, user=user).delete()
        CaseReader.objects.filter(case=case, user=user).exclude(
            standing=CaseReader.Standing.CONFIRMED
        ).delete()
        lost.add(case.pk)

    keyed = Case.objects.filter(
        Q(key_grants__user=user) | Q(pending_grants__user=user) | Q(readers__user=user)
    ).distinct()
    if not user.is_active:
        # A leaver's keys follow holder_left (kept where nobody else holds the case);
        # what they were let in to do ends here.
        CaseReader.objects.filter(user=user, standing__in=_LET_IN).delete()
        PendingGrant.objects.filter(user=user).delete()
        return 0
    if user.person is None:
        for case in keyed:
            take_away(case, "account not linked to the directory")
        _refusal_audited(actor, user, "unlinked", len(lost))
        orphans_alarm(orphans)
        return len(lost)
    try:
        conflicts = person_conflicts(user.person)
    except RowTampered:
        # Her own directory row was written around Ombud: nothing of it is trusted.
        for case in keyed:
            take_away(case, "a directory row failed its integrity check")
        orphans_alarm(orphans)
        return len(lost)
    for case_id, reason in conflicts.items():
        Conflict.objects.get_or_create(case_id=case_id, user=user, reason=reason)
    for case in keyed.filter(pk__in=list(conflicts)):
        take_away(case, "conflict of interest")
    still = Case.objects.filter(entitled(user)).values("pk")
    for case in keyed.exclude(pk__in=still).exclude(pk__in=lost):
        if (
            CaseKeyGrant.objects.filter(case=case, user=user).exists()
            or PendingGrant.objects.filter(case=case, user=user).exists()
            or CaseReader.objects.filter(case=case, user=user, standing__in=_LET_IN).exists()
        ):
            take_away(case, "no role that reads it")
    orphans_alarm(orphans)
    return len(lost)


def _refusal_audited(actor: User | str, user: User, reason: str, cases: int) -> None:
    audit_record(
        actor=actor,
        action="access.account.refused_keys",
        object_type="directory.user",
        object_id=str(user.pk),
        details={"username": user.get_username(), "reason": reason, "cases": cases},
    )
