"""The one door to a case for staff."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ombud.cases.models import Case
from ombud.directory.models import User


def cases_for_user(user: User) -> QuerySet[Case]:
    """The cases ``user`` may read now. Until routing lands: those whose key they hold."""
    if not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(key_grants__user=user)


def case_get_for_user(*, user: User, public_id: str) -> Case:
    """The case, or Http404: the same answer for a missing, a forbidden and a
    conflicted case, so nobody can probe what exists."""
    case = cases_for_user(user).filter(public_id=public_id).first()
    if case is None:
        raise Http404
    return case
