"""The one door for a case's state: every transition names who may make it and what
it needs, writes the audit entry and a timeline entry the reporter sees, moves the
deadlines, and refuses an edit made on an out-of-date page (version check)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from ombud.audit.services import audit_record
from ombud.cases.figures import ACKNOWLEDGE, CLOSE, duration_add, figures_add
from ombud.cases.models import Case, Category, State, TimelineEvent
from ombud.cases.signals import case_event, reporter_news
from ombud.directory.models import User

LEVEL = "level"  # the current level's members
READERS = "readers"  # the current level and assigned investigators

OUTCOMES = {
    "substantiated": gettext_lazy("Substantiated: action was taken"),
    "not_substantiated": gettext_lazy("Not substantiated"),
    "resolved": gettext_lazy("Resolved informally"),
    "withdrawn": gettext_lazy("Withdrawn by the reporter"),
    "referred": gettext_lazy("Referred outside and closed here"),
    "other": gettext_lazy("Other"),
}
# Stored as these codes; shown translated (the `translated` filter).
SEVERITIES = [
    gettext_noop("low"),
    gettext_noop("medium"),
    gettext_noop("high"),
    gettext_noop("critical"),
]


@dataclass(frozen=True)
class Transition:
    name: str
    source: tuple[str, ...]
    target: str
    who: str
    label: object  # a lazily translated text
    event: str  # the timeline entry the reporter sees


TRANSITIONS = [
    Transition("acknowledge", (State.RECEIVED,), State.ACKNOWLEDGED, LEVEL,
               gettext_lazy("Acknowledge, with a message to the reporter"), "acknowledged"),
    Transition("triage", (State.ACKNOWLEDGED,), State.TRIAGED, LEVEL,
               gettext_lazy("Triage: severity, category and a plan"), "triaged"),
    Transition("investigate", (State.TRIAGED, State.REFERRED), State.INVESTIGATING, READERS,
               gettext_lazy("Start (or resume) the investigation"), "investigating"),
    Transition("refer", (State.INVESTIGATING,), State.REFERRED, LEVEL,
               gettext_lazy("Refer to an outside authority"), "referred"),
    Transition("findings", (State.INVESTIGATING,), State.FINDINGS, READERS,
               gettext_lazy("Findings written"), "findings"),
    Transition("close",
               (State.ACKNOWLEDGED, State.TRIAGED, State.INVESTIGATING, State.REFERRED,
                State.FINDINGS),
               State.CLOSED, LEVEL, gettext_lazy("Close, with the outcome and the reason"),
               "closed"),
    Transition("reopen", (State.CLOSED,), State.ACKNOWLEDGED, LEVEL,
               gettext_lazy("Reopen, with the reason"), "reopened"),
]  # fmt: skip
BY_NAME = {transition.name: transition for transition in TRANSITIONS}


class TransitionRefused(ValidationError):
    pass


# What a domain above must see settled before a case closes (the investigation: every
# allegation has a finding, or a reason why none is possible). Each check is called
# in the closing's transaction with the actor, the case, its key and what was typed
# for it (``no_finding_reason``), and returns the problems that stop the closing, by
# form field; what it writes (a sealed note of the reason) is rolled back with a
# refused closing. The domains add theirs in their AppConfig.ready(), so this one
# imports none of them.
ClosingCheck = Callable[..., dict[str, str]]
closing_checks: list[ClosingCheck] = []


def closing_check(check: ClosingCheck) -> None:
    """Add ``check`` to what closing a case needs (once, however often it is added)."""
    if check not in closing_checks:
        closing_checks.append(check)


def _figures_follow(case: Case, name: str, closed_at: dt.datetime | None) -> None:
    """The overview's counters, in the transition's transaction (the case's row is
    locked by its update; a duration count before the figures row, as everywhere)."""
    if name == "acknowledge" and case.acknowledged_at is not None:
        duration_add(ACKNOWLEDGE, case.created_at, case.acknowledged_at, 1)
    elif name == "close" and case.closed_at is not None:
        duration_add(CLOSE, case.created_at, case.closed_at, 1)
        figures_add(case.pk, open_cases=-1, at_top=-int(case.at_top))
    elif name == "reopen":
        if closed_at is not None:
            duration_add(CLOSE, case.created_at, closed_at, -1)
        figures_add(case.pk, open_cases=1, at_top=int(case.at_top))


def transitions_for(case: Case, permission: str) -> list[Transition]:
    return [
        t
        for t in TRANSITIONS
        if case.state in t.source
        and (permission == "level" or (t.who == READERS and permission == "investigator"))
    ]


@transaction.atomic
def case_transition(
    *,
    actor: User,
    case: Case,
    name: str,
    version: int,
    permission: str,
    case_key: bytes,
    message: str = "",
    severity: str = "",
    category: str = "",
    plan: str = "",
    outcome: str = "",
    reason: str = "",
    no_finding_reason: str = "",
) -> Case:
    from ombud.cases.services import case_note_add, message_to_reporter

    transition = BY_NAME.get(name)
    if transition is None or case.state not in transition.source:
        raise TransitionRefused(
            _("A case that is “%(state)s” cannot be moved that way.")
            % {"state": case.get_state_display()}
        )
    if permission != "level" and not (transition.who == READERS and permission == "investigator"):
        raise TransitionRefused(_("Only the case's current level may do this."))
    problems = {}
    if name == "acknowledge" and not message.strip():
        problems["message"] = _("Write the reporter a message: she sees it on her page.")
    if name == "triage":
        if severity not in SEVERITIES:
            problems["severity"] = _("Choose a severity.")
        if category not in Category.values:
            problems["category"] = _("Confirm the category.")
        if not plan.strip():
            problems["plan"] = _("Write the plan.")
    if name == "close":
        if outcome not in OUTCOMES:
            problems["outcome"] = _("Choose the outcome.")
        if not reason.strip():
            problems["reason"] = _("Closing needs the reason, written for the reporter.")
        for check in closing_checks:
            problems.update(
                check(
                    actor=actor,
                    case=case,
                    case_key=case_key,
                    no_finding_reason=no_finding_reason,
                )
            )
    if name == "reopen" and not reason.strip():
        problems["reason"] = _("Say why the case is reopened.")
    if problems:
        raise TransitionRefused(problems)

    now = timezone.now()
    fields: dict[str, object] = {"state": transition.target, "version": F("version") + 1}
    if name == "acknowledge":
        fields["acknowledged_at"] = now
    if name == "triage":
        fields.update(severity=severity, category=category)
    if name == "close":
        fields.update(outcome=outcome, closed_at=now)
    closed_at = None
    if name == "reopen":
        fields.update(outcome="", closed_at=None)
        # The closing's duration leaves the figures: read under the row's lock.
        closed_at = (
            Case.objects.select_for_update()
            .filter(pk=case.pk, version=version)
            .values_list("closed_at", flat=True)
            .first()
        )
    changed = Case.objects.filter(pk=case.pk, version=version).update(**fields)
    if not changed:
        raise TransitionRefused(
            _("Someone else changed this case meanwhile. Nothing was lost: reload and try again.")
        )
    previous = case.state
    case.refresh_from_db()
    _figures_follow(case, name, closed_at)
    TimelineEvent.objects.create(case=case, kind=transition.event, at=now)
    reporter_news.send(sender=Case, case=case)
    audit_record(
        actor=actor,
        action="cases.case.transitioned",
        obj=case,
        details={"case": case.ref, "from": previous, "to": case.state, "transition": name},
    )
    if name == "acknowledge":
        message_to_reporter(
            actor=actor, case=case, case_key=case_key, body=message, counts_as_news=False
        )
    if name == "triage":
        case_note_add(actor=actor, case=case, case_key=case_key, body=_("Plan: ") + plan)
    if name in ("close", "reopen"):
        heading = str(OUTCOMES[outcome]) if name == "close" else _("Reopened")
        message_to_reporter(
            actor=actor, case=case, case_key=case_key, body=f"{heading}\n\n{reason}".strip()
        )
    case_event.send(
        sender=Case,
        case=case,
        event="reopened" if name == "reopen" else transition.target,
        at=now,
    )
    return case
