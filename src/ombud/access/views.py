"""Passwords: changing one's own without losing one's key, and the forgotten-password
path, which alone may give a key holder a new key pair."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView, PasswordResetConfirmView
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ombud.access.services import KeyMismatch, reset_by_owner, staff_key_unlock
from ombud.crypto.errors import WrongPassword
from ombud.directory import roles
from ombud.directory.models import User
from ombud.directory.selectors import user_has_role


class KeyKeepingPasswordChangeForm(PasswordChangeForm):
    """The old password unlocks the private key, so the new one can wrap the same key."""

    def clean_old_password(self) -> str:
        old: str = super().clean_old_password()
        try:
            private = staff_key_unlock(user=self.user, password=old)
        except (WrongPassword, KeyMismatch):
            raise ValidationError(
                _("Your key does not open with this password. Use “Forgotten password” instead."),
                code="key_locked",
            ) from None
        self.user._ombud_previous_private = private  # type: ignore[attr-defined]
        return old


class PasswordChange(PasswordChangeView):
    form_class = KeyKeepingPasswordChangeForm
    template_name = "registration/password_change_form.html"
    title = gettext_lazy("Change your password")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():  # the password and its key change together
            form.save()
        # The key kept for this sign-in belongs to the old session: sign in afresh.
        logout(self.request)
        messages.success(self.request, _("Your password was changed. Sign in with the new one."))
        return HttpResponseRedirect(reverse("login"))


class OwnerPasswordReset(PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic(), reset_by_owner():
            return super().form_valid(form)


# Four eyes on the rules ----------------------------------------------------------


def _rules_user(request: HttpRequest) -> User:
    from ombud.access.four_eyes import is_ladder_member

    user = request.user
    if not isinstance(user, User) or not (
        is_ladder_member(user) or user_has_role(user=user, role=roles.ADMINISTRATOR)
    ):
        raise Http404
    return user


@login_required
@require_http_methods(["GET"])
def rules(request: HttpRequest) -> HttpResponse:
    """The routing rules, and the changes to them waiting for a second person."""
    from ombud.access.four_eyes import is_ladder_member
    from ombud.access.models import CategoryRule, RuleChange
    from ombud.access.routing import ladder, policy

    user = _rules_user(request)
    levels = ladder()
    ladder_roles = _ladder_roles()
    return render(
        request,
        "access/rules.html",
        {
            "ladder": levels,
            "ladder_roles": ladder_roles,
            "ladder_slots": _ladder_slots(levels, len(ladder_roles)),
            "policy": policy(),
            "category_rules": CategoryRule.objects.select_related(
                "start_level__role", "investigator_role"
            ),
            "pending": RuleChange.objects.filter(state=RuleChange.State.PENDING).select_related(
                "user__person__unit", "person__unit"
            ),
            "decided": RuleChange.objects.exclude(state=RuleChange.State.PENDING)[:20],
            "may_decide": is_ladder_member(user),
        },
    )


def _ladder_roles() -> list[tuple[str, str]]:
    """The roles a ladder may be made of, by name: never administrators or auditors."""
    from ombud.directory.models import StaffRole

    return [
        (role.code, _(role.name))
        for role in StaffRole.objects.exclude(code__in=[roles.ADMINISTRATOR, roles.AUDITOR])
    ]


def _ladder_slots(levels: list[Any], offered: int) -> list[dict[str, Any]]:
    """One choice of role per level of a new ladder, each set to the level there now,
    with room for two more levels."""
    now = [level.role.code for level in levels]
    return [
        {"position": position, "chosen": now[position - 1] if position <= len(now) else ""}
        for position in range(1, min(len(now) + 2, offered) + 1)
    ]


@login_required
@require_POST
def rule_decide(request: HttpRequest, change_id: int) -> HttpResponse:
    from ombud.access.four_eyes import rule_change_approve, rule_change_reject
    from ombud.access.models import RuleChange

    user = _rules_user(request)
    change = RuleChange.objects.filter(pk=change_id).first()
    if change is None:
        raise Http404
    try:
        action = request.POST.get("action")
        if action == "approve":
            rule_change_approve(actor=user, change=change)
            messages.success(request, _("Approved and applied."))
        elif action == "reject":
            rule_change_reject(actor=user, change=change)
            messages.success(request, _("Rejected."))
        else:
            messages.error(request, _("Choose to approve or to reject."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (IntegrityError, ObjectDoesNotExist):
        messages.error(
            request,
            _("This change no longer applies to what exists now: reject it and propose again."),
        )
    return redirect("rules")


@login_required
@require_POST
def ladder_change(request: HttpRequest) -> HttpResponse:
    from ombud.access.four_eyes import ladder_propose

    user = _rules_user(request)
    # One role chosen per level, bottom first; the ladder ends at the first level left
    # empty, so a level chosen above a gap is refused rather than silently moved down.
    chosen = request.POST.getlist("level")
    codes = list(itertools.takewhile(bool, chosen))
    if any(chosen[len(codes) :]):
        messages.error(
            request,
            _(
                "Level %(number)s is empty but a level above it is not: the ladder ends at "
                "the first empty level. Nothing was proposed."
            )
            % {"number": len(codes) + 1},
        )
        return redirect("rules")
    try:
        ladder_propose(actor=user, codes=codes)
        messages.success(request, _("Proposed. It applies when a second ladder member approves."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("rules")
