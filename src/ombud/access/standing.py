"""A staff member's standing on a case: confirming no conflict before the first
decryption, recusing, being assigned, and breaking the glass. Each is audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ombud.access.models import CaseReader, CategoryRule, Conflict
from ombud.access.selectors import is_conflicted
from ombud.access.services import case_key_grant, case_key_revoke
from ombud.audit.services import audit_record
from ombud.cases.models import Case
from ombud.directory import roles
from ombud.directory.models import User
from ombud.directory.selectors import user_has_role, users_with_role


def case_confirm_no_conflict(*, actor: User, case: Case) -> None:
    _standing, created = CaseReader.objects.get_or_create(
        case=case, user=actor, standing=CaseReader.Standing.CONFIRMED
    )
    if created:
        audit_record(
            actor=actor,
            action="access.case.no_conflict_confirmed",
            obj=case,
            details={"case": case.ref},
        )


@transaction.atomic
def case_recuse(*, actor: User, case: Case) -> None:
    """She has a conflict: she loses the key and never gets it back on this case."""
    Conflict.objects.get_or_create(case=case, user=actor, reason=Conflict.Reason.DECLARED)
    CaseReader.objects.filter(case=case, user=actor).delete()
    case_key_revoke(actor=actor, case=case, user=actor, reason="recused")
    audit_record(actor=actor, action="access.case.recused", obj=case, details={"case": case.ref})


def case_break_glass(*, actor: User, case: Case, justification: str) -> None:
    """Open a case early, above its level, with a written reason the head of ethics
    reads. The reason is about access, not the case: it is stored in clear."""
    if len(justification.strip()) < 20:
        raise ValidationError(_("Write why you must open this case now (20 characters or more)."))
    CaseReader.objects.get_or_create(
        case=case,
        user=actor,
        standing=CaseReader.Standing.BREAK_GLASS,
        defaults={"reason": justification.strip()},
    )
    audit_record(
        actor=actor, action="access.case.break_glass", obj=case, details={"case": case.ref}
    )


def investigator_candidates(case: Case) -> list[User]:
    """Who may be assigned to investigate: the category's trained group if it has
    one, otherwise any investigator; never anyone conflicted."""
    rule = (
        CategoryRule.objects.filter(category=case.category)
        .select_related("investigator_role")
        .first()
    )
    code = rule.investigator_role.code if rule and rule.investigator_role else roles.INVESTIGATOR
    return [user for user in users_with_role(code) if not is_conflicted(user=user, case=case)]


@transaction.atomic
def investigator_assign(*, actor: User, case: Case, case_key: bytes, user: User) -> None:
    if user not in investigator_candidates(case):
        raise ValidationError(_("This person may not investigate this case."))
    if case_key_grant(actor=actor, case=case, user=user, case_key=case_key) is None:
        return  # refused now (a conflict found at sealing), and audited
    CaseReader.objects.get_or_create(
        case=case, user=user, standing=CaseReader.Standing.INVESTIGATOR, defaults={"by": actor}
    )
    audit_record(
        actor=actor,
        action="access.case.investigator_assigned",
        obj=case,
        details={"case": case.ref, "to": user.get_username()},
    )


def level_members(case: Case) -> list[User]:
    if case.level is None:
        return []
    return [
        user
        for user in users_with_role(case.level.role.code)
        if not is_conflicted(user=user, case=case)
    ]


@transaction.atomic
def case_assign(*, actor: User, case: Case, user: User) -> None:
    """Give the case to one person of the current level (who holds its key already)."""
    if user not in level_members(case) or not user_has_role(user=user, role=case.level.role.code):  # type: ignore[union-attr]
        raise ValidationError(_("Cases are assigned within their level."))
    CaseReader.objects.filter(case=case, standing=CaseReader.Standing.ASSIGNED).delete()
    CaseReader.objects.create(case=case, user=user, standing=CaseReader.Standing.ASSIGNED, by=actor)
    audit_record(
        actor=actor,
        action="cases.case.assigned",
        obj=case,
        details={"case": case.ref, "to": user.get_username()},
    )
