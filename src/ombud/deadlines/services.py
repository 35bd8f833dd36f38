"""Deadlines: opened and met as the case moves, missed by the sweep, which moves
the case up the ladder by itself, tells the levels, and tells the reporter.

What the sweep writes into a case is no content at all: a timeline event whose
kind and deadline label are in clear (docs/stored-in-clear.md), and e-mails that
name the case reference only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ombud.access.models import CaseKeyGrant, LadderLevel
from ombud.access.routing import ladder
from ombud.audit.services import audit_record
from ombud.cases.figures import figures_add
from ombud.cases.models import Case, State, TimelineEvent
from ombud.deadlines.calendar import window_end
from ombud.deadlines.models import Deadline, DeadlinePolicy, DeadlinePolicyUse
from ombud.directory import roles
from ombud.directory.models import User
from ombud.directory.selectors import users_with_role
from ombud.language import in_organisation_language
from ombud.operations.notify import reporter_news
from ombud.operations.outbox import outbox_put

SWEEPER = "system:deadlines"
logger = logging.getLogger(__name__)
ORDER = [
    State.RECEIVED,
    State.ACKNOWLEDGED,
    State.TRIAGED,
    State.INVESTIGATING,
    State.FINDINGS,
    State.CLOSED,
]


def _rank(state: str) -> int:
    return ORDER.index(State.INVESTIGATING if state == State.REFERRED else state)  # type: ignore[arg-type]


def policy_for(case: Case) -> DeadlinePolicy | None:
    use = (
        DeadlinePolicyUse.objects.filter(category=case.category).select_related("policy").first()
        or DeadlinePolicyUse.objects.filter(category="").select_related("policy").first()
    )
    return use.policy if use else None


def _rules(case: Case) -> list[dict[str, Any]]:
    policy = policy_for(case)
    if policy is None:
        return []
    return [
        rule
        for rule in policy.rule_list()
        if (not rule.get("only_categories") or case.category in rule["only_categories"])
        and case.category not in rule.get("except_categories", [])
    ]


def _end(start: dt.datetime, window: dict[str, int]) -> dt.datetime:
    return window_end(start, window, country=settings.OMBUD_COUNTRY, tz=settings.TIME_ZONE)


def _open(case: Case, rule: dict[str, Any], start: dt.datetime) -> Deadline:
    return Deadline.objects.create(
        case=case,
        name=rule["name"],
        label=rule.get("label", rule["name"]),
        due_at=_end(start, rule["window"]),
        statutory=bool(rule.get("statutory")),
        created_at=start,
    )


def _next_due() -> Subquery:
    """The case's earliest open deadline, for ``Case.next_due`` (in an UPDATE of it)."""
    open_due = Deadline.objects.filter(case=OuterRef("pk"), state=Deadline.State.OPEN)
    return Subquery(open_due.order_by("due_at").values("due_at")[:1])


def case_next_due_keep(case: Case) -> None:
    """Set ``case.next_due`` from its open deadlines: called in the transaction of
    every change of them, so the case list sorts by a column (one UPDATE)."""
    Case.objects.filter(pk=case.pk).update(next_due=_next_due())
    _next_due_stale(case)


def _next_due_stale(case: Case) -> None:
    # The copy in memory forgets its value: read again if asked for, and never
    # written back stale by a later save() (a deferred field is not saved).
    case.__dict__.pop("next_due", None)


def _met(rule: dict[str, Any], event: str) -> bool:
    wanted = rule["met_by"]
    if wanted == "update":
        return event == "update"
    if event not in ORDER and event != State.REFERRED:
        return False
    return wanted in ORDER and _rank(event) >= _rank(wanted)


def deadlines_on_event(*, case: Case, event: str, at: dt.datetime) -> None:
    """The case was received, changed state, or gave the reporter news (``update``).
    The case's ``next_due`` follows, in the caller's transaction."""
    rules = _rules(case)
    by_name = {rule["name"]: rule for rule in rules}
    if event == "reopened":
        # A reopened case gets its news and closing deadlines again, from now.
        for rule in rules:
            if rule["name"] != "acknowledge" and rule["from"] in ("received", "acknowledged"):
                _open(case, rule, at)
        case_next_due_keep(case)
        return
    changed = False
    met = 0
    for deadline in Deadline.objects.filter(case=case, state=Deadline.State.OPEN):
        matched = by_name.get(deadline.name)
        if matched is not None and _met(matched, event):
            deadline.state = Deadline.State.MET
            deadline.met_at = at
            deadline.save(update_fields=["state", "met_at"])
            changed = True
            met += 1
            if matched.get("recurring") and event != State.CLOSED:
                _open(case, matched, at)
    if event == State.CLOSED:  # what closing did not meet is no longer needed
        Deadline.objects.filter(case=case, state=Deadline.State.OPEN).update(
            state=Deadline.State.CANCELLED
        )
        Case.objects.filter(pk=case.pk).update(next_due=None)
        case.next_due = None
        figures_add(case.pk, deadlines_met=met)  # after the case's row: the lock order
        return
    for rule in rules:
        if rule["from"] == event:
            _open(case, rule, at)
            changed = True
        elif rule["from"] == "acknowledgement_or_its_deadline":
            if event == State.RECEIVED:
                acknowledge = next((r for r in rules if r["name"] == "acknowledge"), None)
                start = _end(at, acknowledge["window"]) if acknowledge else at
                _open(case, rule, start)
                changed = True
            elif event == State.ACKNOWLEDGED:
                due = _end(at, rule["window"])
                changed |= bool(
                    Deadline.objects.filter(
                        case=case, name=rule["name"], state=Deadline.State.OPEN, due_at__gt=due
                    ).update(due_at=due)
                )
    if event == State.RECEIVED:
        first = Deadline.objects.filter(case=case, name="acknowledge").first()
        if first is not None:  # one UPDATE for both
            local = timezone.localtime(first.due_at)
            Case.objects.filter(pk=case.pk).update(
                acknowledge_by=local.date(), next_due=_next_due()
            )
            case.acknowledge_by = local.date()
            _next_due_stale(case)
            return
    if changed:
        case_next_due_keep(case)
    figures_add(case.pk, deadlines_met=met)  # after the case's row: the lock order


# The sweep ------------------------------------------------------------------------


def deadlines_sweep(now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Handle every deadline due by ``now``: each is claimed by a guarded update, so
    two sweeps at once escalate once. Returns how many were missed."""
    now = now or timezone.now()
    due = list(
        Deadline.objects.filter(state=Deadline.State.OPEN, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    missed = 0
    for pk in due:
        try:
            with transaction.atomic():
                claimed = Deadline.objects.filter(pk=pk, state=Deadline.State.OPEN).update(
                    state=Deadline.State.MISSED, missed_at=now
                )
                if not claimed:
                    continue  # another sweep took it
                deadline = Deadline.objects.select_related("case").get(pk=pk)
                _escalate(deadline, now)
                case_next_due_keep(deadline.case)  # missed, and perhaps one opened
                # Counted once the case's row is locked (by _escalate): the lock order.
                figures_add(deadline.case_id, deadlines_missed=1)
                missed += 1
        except Exception:  # one broken case must not stop the others' escalations
            logger.exception("deadline %s could not be handled; it is tried again", pk)
    return missed


def _holders_at(case: Case, level: LadderLevel) -> list[User]:
    members = users_with_role(level.role.code)
    holding = set(
        CaseKeyGrant.objects.filter(case=case, user__in=members).values_list("user_id", flat=True)
    )
    return [user for user in members if user.pk in holding]


def _mail(users: list[User], subject: str, body: str) -> None:
    for user in users:
        address = user.email or (user.person.email if user.person_id else "")  # type: ignore[union-attr]
        outbox_put(to=address, subject=subject, body=body)


@in_organisation_language
def _escalate(deadline: Deadline, now: dt.datetime) -> None:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("level__role")
        .get(pk=deadline.case_id)
    )
    label = deadline.label
    old = case.level
    above = [level for level in ladder() if old is None or level.position > old.position]
    new = next((level for level in above if _holders_at(case, level)), None)
    url = f"{settings.OMBUD_BASE_URL}/cases/"
    old_members = _holders_at(case, old) if old else []
    if new is not None:
        case.level = new
        case.version += 1
        case.save(update_fields=["level", "version", "updated_at"])
        TimelineEvent.objects.create(
            case=case, kind=TimelineEvent.Kind.ESCALATED, at=now, detail=label
        )
        reporter_news(case)
        audit_record(
            actor=SWEEPER,
            action="deadlines.case.escalated",
            obj=case,
            details={
                "case": case.ref,
                "deadline": deadline.name,
                "from": old.role.code if old else None,
                "to": new.role.code,
            },
        )
        _mail(
            _holders_at(case, new),
            _("Case %(ref)s was escalated to you") % {"ref": case.ref},
            _(
                "Case %(ref)s came to your level because its deadline “%(label)s” was "
                "missed. Open it in Ombud: %(url)s"
            )
            % {"ref": case.ref, "label": _(label), "url": url},
        )
        _mail(
            old_members,
            _("Case %(ref)s was escalated") % {"ref": case.ref},
            _(
                "Case %(ref)s missed its deadline “%(label)s” and went to the next level. "
                "Ombud: %(url)s"
            )
            % {"ref": case.ref, "label": _(label), "url": url},
        )
        if not deadline.statutory:
            # The receiving level gets the stage's window again, from now.
            rule = next((r for r in _rules(case) if r["name"] == deadline.name), None)
            if rule is not None:
                _open(case, rule, now)
        return
    if not case.at_top:
        case.at_top = True
        case.save(update_fields=["at_top", "updated_at"])
        if case.state != State.CLOSED:
            figures_add(case.pk, at_top=1)
        TimelineEvent.objects.create(
            case=case, kind=TimelineEvent.Kind.TOP_REACHED, at=now, detail=label
        )
        reporter_news(case)
        audit_record(
            actor=SWEEPER,
            action="deadlines.case.top_reached",
            obj=case,
            details={"case": case.ref, "deadline": deadline.name},
        )
        heads = users_with_role(roles.HEAD_OF_ETHICS).exclude(case_conflicts__case=case)
        _mail(
            list({user.pk: user for user in [*old_members, *heads]}.values()),
            _("Case %(ref)s missed a deadline at the top of the ladder") % {"ref": case.ref},
            _(
                "Case %(ref)s missed its deadline “%(label)s” and has no level above it. "
                "The reporter is now shown where she can go outside. Ombud: %(url)s"
            )
            % {"ref": case.ref, "label": _(label), "url": url},
        )


@transaction.atomic
@in_organisation_language  # her message is written once, not in the handler's language
def deadline_extend(
    *, actor: User, case: Case, case_key: bytes, name: str, days: int, reason: str
) -> Deadline:
    """Give an extendable internal deadline more time, with a reason the reporter reads."""
    from django.core.exceptions import ValidationError

    from ombud.cases.services import message_to_reporter

    rule = next((r for r in _rules(case) if r["name"] == name), None)
    deadline = Deadline.objects.filter(case=case, name=name, state=Deadline.State.OPEN).first()
    if rule is None or deadline is None or not rule.get("extendable") or deadline.statutory:
        raise ValidationError(_("This deadline cannot be extended."))
    if not 1 <= days <= 90:
        raise ValidationError(_("Extend by 1 to 90 days."))
    if not reason.strip():
        raise ValidationError(_("Give the reason: the reporter reads it."))
    deadline.due_at += dt.timedelta(days=days)
    deadline.save(update_fields=["due_at"])
    case_next_due_keep(case)
    TimelineEvent.objects.create(case=case, kind=TimelineEvent.Kind.EXTENDED, detail=deadline.label)
    message_to_reporter(
        actor=actor,
        case=case,
        case_key=case_key,
        body=_("“%(label)s” now runs until %(date)s. Why: %(reason)s")
        % {
            "label": _(deadline.label),
            "date": date_format(timezone.localtime(deadline.due_at), "DATE_FORMAT"),
            "reason": reason.strip(),
        },
    )
    audit_record(
        actor=actor,
        action="deadlines.deadline.extended",
        obj=case,
        details={"case": case.ref, "deadline": name, "days": days},
    )
    return deadline


@transaction.atomic
def deadline_open(
    *, actor: User | str, case: Case, name: str, label: str, due_at: dt.datetime
) -> Deadline:
    """A deadline that comes from the investigation, not from the policy (the
    accused's response, a measure's review, the reporter's answer to minutes): swept
    and escalated like the others. ``name`` is unique among the case's open deadlines
    (an open one of the same name is replaced); ``label`` is in clear and shown to the
    reporter if it is missed, so it says what kind of deadline, never what about."""
    Deadline.objects.filter(case=case, name=name, state=Deadline.State.OPEN).update(
        state=Deadline.State.CANCELLED
    )
    deadline = Deadline.objects.create(case=case, name=name, label=label, due_at=due_at)
    case_next_due_keep(case)
    audit_record(
        actor=actor,
        action="deadlines.deadline.opened",
        obj=case,
        details={"case": case.ref, "deadline": name, "due": due_at.isoformat()},
    )
    return deadline


@transaction.atomic
def deadline_close(*, actor: User | str, case: Case, name: str, met: bool = True) -> bool:
    """The open deadline ``name`` is met (or, with ``met=False``, no longer needed).
    False when there was none open."""
    deadline = (
        Deadline.objects.select_for_update()
        .filter(case=case, name=name, state=Deadline.State.OPEN)
        .first()
    )
    if deadline is None:
        return False
    now = timezone.now()
    if met:
        deadline.state, deadline.met_at = Deadline.State.MET, now
    else:
        deadline.state = Deadline.State.CANCELLED
    deadline.save(update_fields=["state", "met_at"])
    case_next_due_keep(case)
    if met:
        figures_add(case.pk, deadlines_met=1)
    audit_record(
        actor=actor,
        action="deadlines.deadline.met" if met else "deadlines.deadline.cancelled",
        obj=case,
        details={"case": case.ref, "deadline": name},
    )
    return True
