"""The one door to a case for staff: who may read a case now, and under which
permission. A missing, a forbidden and a conflicted case all answer "not found"."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from ombud.access.models import CaseKeyGrant, CaseReader, Conflict
from ombud.cases.models import Case
from ombud.directory.models import User
from ombud.directory.selectors import user_roles

# Standings that let someone read whatever the case's level.
_LET_IN = [CaseReader.Standing.INVESTIGATOR, CaseReader.Standing.BREAK_GLASS]


# Up to this many keys, a list of someone's cases starts from her cases' ids.
FEW_KEYS = 1000


def _holding(user: User, *, narrow: bool = False) -> QuerySet[Case]:
    """Cases whose key ``user`` holds and on which they have no conflict. An account
    cut from its directory person reads nothing: its conflicts cannot be known.

    ``narrow`` is for lists in an order of their own (the case list, the cases held
    below her level): when she holds at most FEW_KEYS keys, the query names her cases'
    ids, so that the database starts from them (one more query, of at most FEW_KEYS
    rows). Without it SQLite walks the whole order's index to find a handler's fifty
    cases among a million. With more keys than that, walking the list's index finds a
    page soon, and her grant becomes a condition on each case so that SQLite does so
    rather than sort all her cases (which it does, without statistics, from a join)."""
    if not user.is_active or user.person_id is None:
        return Case.objects.none()
    if narrow:
        ids = list(
            CaseKeyGrant.objects.filter(user=user).values_list("case_id", flat=True)[: FEW_KEYS + 1]
        )
        if len(ids) > FEW_KEYS:
            # Her grant as a condition on each case, not a table to start from, so
            # that the list's own index is read in its order and a page ends early.
            held = CaseKeyGrant.objects.filter(case=OuterRef("pk"), user=user)
            return Case.objects.filter(Exists(held)).exclude(conflicts__user=user)
        return Case.objects.filter(pk__in=ids, key_grants__user=user).exclude(conflicts__user=user)
    return Case.objects.filter(key_grants__user=user).exclude(conflicts__user=user)


def cases_for_user(user: User, *, narrow: bool = False) -> QuerySet[Case]:
    """The cases ``user`` may read now: at their level, or assigned as investigator,
    or opened early with a written reason. No DISTINCT: a reader has one grant per
    case (a unique constraint), so each case comes once, and a list of them is not
    sorted whole to drop doubles. ``narrow``: see _holding."""
    codes = user_roles(user=user)
    standing = CaseReader.objects.filter(user=user, standing__in=_LET_IN).values("case")
    return (
        _holding(user, narrow=narrow)
        .filter(Q(level__role__code__in=codes) | Q(pk__in=standing))
        .select_related("level__role")
    )


def is_above(*, user: User, case: Case) -> bool:
    """Whether ``user`` now holds a ladder role above the case's current level."""
    from ombud.access.models import LadderLevel

    floor = case.level.position if case.level_id else 0  # type: ignore[union-attr]
    return LadderLevel.objects.filter(
        position__gt=floor, role__code__in=user_roles(user=user)
    ).exists()


def cases_held_above(user: User, *, limit: int | None = None) -> list[Case]:
    """Cases below ``user``'s level whose key they hold but may not use yet, oldest
    first: one query, whatever their number (at most ``limit`` of them)."""
    from ombud.access.models import LadderLevel

    codes = user_roles(user=user)
    above = LadderLevel.objects.filter(
        position__gt=Coalesce(OuterRef("level__position"), Value(0)), role__code__in=codes
    )
    standing = CaseReader.objects.filter(user=user, standing__in=_LET_IN).values("case")
    held = (
        _holding(user, narrow=True)  # those she may not read now: not at her level, no standing
        .exclude(level__role__code__in=codes)
        .exclude(pk__in=standing)
        .filter(Exists(above))
        .select_related("level__role")
        .only("public_id", "ref", "created_at", "level__position", "level__role__name")
        .order_by("created_at", "pk")
    )
    return list(held[:limit] if limit is not None else held)


def case_get_for_user(*, user: User, public_id: str) -> Case:
    """The case, or Http404: the same answer for a missing, a forbidden and a
    conflicted case, so nobody can probe what exists. ``case.permission`` says
    under which permission it was opened."""
    case = cases_for_user(user).filter(public_id=public_id).first()
    if case is None:
        raise Http404
    case.permission = reading_permission(user=user, case=case)  # type: ignore[attr-defined]
    return case


def case_held_by(*, user: User, public_id: str) -> Case:
    """A case whose key ``user`` holds without conflict, readable now or not: for
    break-glass requests only. Http404 otherwise."""
    case = _holding(user).filter(public_id=public_id).first()
    if case is None or not is_above(user=user, case=case):
        raise Http404
    return case


def reading_permission(*, user: User, case: Case) -> str:
    standings = set(
        CaseReader.objects.filter(case=case, user=user).values_list("standing", flat=True)
    )
    if CaseReader.Standing.INVESTIGATOR in standings:
        return "investigator"
    if case.level_id and case.level.role.code in user_roles(user=user):  # type: ignore[union-attr]
        return "level"
    if CaseReader.Standing.BREAK_GLASS in standings:
        return "break_glass"
    return ""


def has_confirmed(*, user: User, case: Case) -> bool:
    return CaseReader.objects.filter(
        case=case, user=user, standing=CaseReader.Standing.CONFIRMED
    ).exists()


def is_conflicted(*, user: User, case: Case) -> bool:
    return Conflict.objects.filter(case=case, user=user).exists()


def holds_key(*, user: User, case: Case) -> bool:
    return CaseKeyGrant.objects.filter(case=case, user=user).exists()
