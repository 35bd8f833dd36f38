"""Allegations, the accused's side, findings, and what closing a case needs of them.

Every write here takes ``actor=`` and the case key its page got from
``case_open_for_action``, seals what a person wrote with the case key before it
touches the database, and writes its audit entry (states, ids, never content) in
the same transaction. An edit names the version its page showed: a record changed
meanwhile refuses it ("someone else changed it") instead of losing either edit.

A directory person accused becomes a ``cases.Party`` with the role accused, through
the same service as the case page's "link a person" (``case_party_add``): he and
his management chain are conflicted and lose the key, or never get it. An outsider
(a client, a guest) is named in the sealed content only."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from ombud.access.routing import case_party_add
from ombud.access.selectors import cases_for_user, is_conflicted
from ombud.audit.services import audit_record
from ombud.cases.models import Case, Category, Party
from ombud.cases.services import case_note_add
from ombud.deadlines.calendar import window_end
from ombud.deadlines.services import deadline_close, deadline_open
from ombud.directory.models import Person, User
from ombud.investigation.models import AccusedNotice, Allegation, Evidence, Finding
from ombud.investigation.reading import record_carried_json
from ombud.investigation.records import seal_json

# The accused answers within this many business days of being told, unless the
# notice says otherwise; a missed answer escalates the case like any deadline.
RESPONSE_WINDOW = {"business_days": 10}
OPEN_STATES = (Allegation.State.OPEN, Allegation.State.INVESTIGATING)
# The states a person sets; the others come only from a finding.
SETTABLE = {
    Allegation.State.OPEN: (Allegation.State.INVESTIGATING, Allegation.State.WITHDRAWN),
    Allegation.State.INVESTIGATING: (Allegation.State.OPEN, Allegation.State.WITHDRAWN),
}
TEXT_MAX = 20_000
STALE = gettext_noop(
    "Someone else changed it meanwhile. Nothing was lost: reload the page and try again."
)


def _stale() -> ValidationError:
    return ValidationError(_(STALE), code="stale")


def _text(value: str, field: str, message: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: message})
    if len(value) > TEXT_MAX:
        raise ValidationError({field: _("At most 20,000 characters.")})
    return value


def response_deadline_name(notice: AccusedNotice) -> str:
    return f"accused:{notice.id.hex[:24]}"


def default_standard() -> str:
    return str(getattr(settings, "OMBUD_STANDARD_OF_PROOF", Finding.Standard.BALANCE))


def allegations_unfound(*, case: Case) -> QuerySet[Allegation]:
    """The case's allegations still open or under investigation, without a finding
    (states in clear: nothing is opened)."""
    return Allegation.objects.filter(case=case, state__in=OPEN_STATES, finding__isnull=True)


# Allegations --------------------------------------------------------------------


def allegation_add(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    person: Person | None,
    name: str,
    category: str,
    summary: str,
) -> Allegation:
    """One accused and one category. ``person`` for someone in the directory (he and
    his chain are then kept away from the case); otherwise ``name`` describes the
    outsider, and stays in the sealed content."""
    name = _text(name, "name", "", required=False)
    if person is None and not name:
        raise ValidationError(
            {"person": _("Choose a person of the directory, or describe the outsider.")}
        )
    if category not in Category.values:
        raise ValidationError({"category": _("Choose what is alleged.")})
    summary = _text(summary, "summary", _("Say what is alleged."))
    with transaction.atomic():
        if (
            person is not None
            and Allegation.objects.filter(case=case, person=person, category=category)
            .exclude(state=Allegation.State.WITHDRAWN)
            .exists()
        ):
            raise ValidationError(
                {"person": _("This person already has an allegation of this kind on the case.")}
            )
        allegation = Allegation(case=case, person=person, category=category, created_by=actor)
        allegation.content = seal_json(
            case=case,
            case_key=case_key,
            record=allegation,
            data={"accused": "" if person else name, "summary": summary, "reasons": []},
        )
        allegation.save(force_insert=True)
        audit_record(
            actor=actor,
            action="investigation.allegation.added",
            obj=case,
            details={
                "case": case.ref,
                "allegation": str(allegation.id),
                "category": category,
                "directory": person is not None,  # who: in the sealed content or the party
            },
        )
        if person is not None:
            # The one way a person becomes a party: conflicts follow at once.
            case_party_add(
                actor=actor, case=case, case_key=case_key, person=person, role=Party.Role.ACCUSED
            )
    return allegation


def _content_changed(
    *, allegation: Allegation, case_key: bytes, version: int, change: dict[str, Any]
) -> None:
    """Raise the allegation's version (refused when it is not ``version`` any more)
    and seal its content again at the new one, with ``change`` added."""
    if allegation.version != version:
        raise _stale()
    data = record_carried_json(case=allegation.case, case_key=case_key, record=allegation)
    for key, value in change.items():
        if key == "reasons":
            data.setdefault("reasons", []).append(value)
        else:
            data[key] = value
    allegation.version = version + 1
    blob = seal_json(case=allegation.case, case_key=case_key, record=allegation, data=data)
    fields: dict[str, Any] = {"content": blob, "version": F("version") + 1}
    if "state" in change:
        fields["state"] = change["state"]
    if not Allegation.objects.filter(pk=allegation.pk, version=version).update(**fields):
        allegation.version = version
        raise _stale()
    allegation.refresh_from_db()


def allegation_state_set(
    *,
    actor: User,
    allegation: Allegation,
    case_key: bytes,
    version: int,
    state: str,
    reason: str = "",
) -> Allegation:
    """Open, under investigation, or withdrawn (with the reason, sealed). The
    outcomes come only from a finding (:func:`finding_record`)."""
    if state not in SETTABLE.get(allegation.state, ()):  # type: ignore[call-overload]
        raise ValidationError(
            {
                "state": _("An allegation that is “%(state)s” cannot be moved that way.")
                % {"state": allegation.get_state_display()}
            }
        )
    change: dict[str, Any] = {"state": state}
    if state == Allegation.State.WITHDRAWN:
        reason = _text(reason, "reason", _("Say why the allegation is withdrawn."))
        change["reasons"] = {"state": state, "reason": reason, "at": timezone.now().isoformat()}
    with transaction.atomic():
        previous = allegation.state
        _content_changed(allegation=allegation, case_key=case_key, version=version, change=change)
        if state == Allegation.State.WITHDRAWN:
            # Nobody waits any longer for the accused's answer to a withdrawn allegation.
            for notice in allegation.notices.filter(state=AccusedNotice.State.SENT):
                deadline_close(
                    actor=actor,
                    case=allegation.case,
                    name=response_deadline_name(notice),
                    met=False,
                )
        audit_record(
            actor=actor,
            action="investigation.allegation.state_changed",
            obj=allegation.case,
            details={
                "case": allegation.case.ref,
                "allegation": str(allegation.id),
                "from": previous,
                "to": state,
            },
        )
    return allegation


# The accused's side ---------------------------------------------------------------


def accused_notice_draft(
    *, actor: User, allegation: Allegation, case_key: bytes, disclosed: str
) -> AccusedNotice:
    """What the accused is to be told, waiting for a second reader's review."""
    disclosed = _text(disclosed, "disclosed", _("Write what the accused is told."))
    if allegation.state not in OPEN_STATES:
        raise ValidationError(_("Only an open allegation is notified to the accused."))
    with transaction.atomic():
        notice = AccusedNotice(allegation=allegation, drafted_by=actor)
        notice.content = seal_json(
            case=allegation.case,
            case_key=case_key,
            record=notice,
            data={"disclosed": disclosed, "response": ""},
        )
        notice.save(force_insert=True)
        _notice_audit(actor, notice, "investigation.notice.drafted")
    return notice


def accused_notice_edit(
    *, actor: User, notice: AccusedNotice, case_key: bytes, version: int, disclosed: str
) -> AccusedNotice:
    """A new text for a notice not yet sent: its review, if any, no longer counts."""
    disclosed = _text(disclosed, "disclosed", _("Write what the accused is told."))
    case = notice.allegation.case
    with transaction.atomic():
        notice.version = version + 1
        blob = seal_json(
            case=case,
            case_key=case_key,
            record=notice,
            data={"disclosed": disclosed, "response": ""},
        )
        changed = AccusedNotice.objects.filter(
            pk=notice.pk,
            version=version,
            state__in=(AccusedNotice.State.DRAFT, AccusedNotice.State.REVIEWED),
        ).update(
            content=blob,
            version=F("version") + 1,
            state=AccusedNotice.State.DRAFT,
            drafted_by=actor,
            reviewed_by=None,
            reviewed_at=None,
        )
        if not changed:
            raise _stale()
        notice.refresh_from_db()
        _notice_audit(actor, notice, "investigation.notice.edited")
    return notice


def accused_notice_review(*, actor: User, notice: AccusedNotice, version: int) -> AccusedNotice:
    """A second reader of the case checked that nothing in the notice reveals the
    reporter: never the person who drafted it, and only someone who may read the
    case now."""
    case = notice.allegation.case
    if actor.pk == notice.drafted_by_id:
        raise ValidationError(
            _("A second reader reviews the notice: someone other than the person who drafted it.")
        )
    if not cases_for_user(actor).filter(pk=case.pk).exists() or is_conflicted(
        user=actor, case=case
    ):
        raise ValidationError(_("Only someone who may read the case reviews the notice."))
    with transaction.atomic():
        changed = AccusedNotice.objects.filter(
            pk=notice.pk, version=version, state=AccusedNotice.State.DRAFT
        ).update(state=AccusedNotice.State.REVIEWED, reviewed_by=actor, reviewed_at=timezone.now())
        if not changed:
            raise _stale()
        notice.refresh_from_db()
        _notice_audit(actor, notice, "investigation.notice.reviewed")
    return notice


def accused_notice_sent(
    *,
    actor: User,
    notice: AccusedNotice,
    version: int,
    told_at: dt.datetime | None = None,
    respond_by: dt.datetime | None = None,
) -> AccusedNotice:
    """The reviewed notice was given to the accused: his answer is due by
    ``respond_by`` (by default ten business days after he was told), a deadline
    swept and escalated like the others."""
    case = notice.allegation.case
    now = timezone.now()
    told_at = told_at or now
    if told_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"told_at": _("He cannot have been told in the future.")})
    if told_at < case.created_at - dt.timedelta(days=1):
        raise ValidationError({"told_at": _("He cannot have been told before the report came in.")})
    if respond_by is None:
        respond_by = window_end(
            told_at, RESPONSE_WINDOW, country=settings.OMBUD_COUNTRY, tz=settings.TIME_ZONE
        )
    if respond_by <= told_at:
        raise ValidationError({"respond_by": _("The answer is due after he was told.")})
    if respond_by < now:
        # A due date already past would escalate the case at the next sweep.
        raise ValidationError({"respond_by": _("Give him until today at the earliest.")})
    with transaction.atomic():
        changed = AccusedNotice.objects.filter(
            pk=notice.pk, version=version, state=AccusedNotice.State.REVIEWED
        ).update(state=AccusedNotice.State.SENT, told_at=told_at, respond_by=respond_by)
        if not changed:
            if AccusedNotice.objects.filter(pk=notice.pk, state=AccusedNotice.State.DRAFT).exists():
                raise ValidationError(
                    _("A second reader must review the notice before it is sent.")
                )
            raise _stale()
        notice.refresh_from_db()
        deadline_open(
            actor=actor,
            case=case,
            name=response_deadline_name(notice),
            label=gettext_noop("The accused's response"),
            due_at=respond_by,
        )
        _notice_audit(actor, notice, "investigation.notice.sent", due=respond_by.isoformat())
    return notice


def accused_response_record(
    *, actor: User, notice: AccusedNotice, case_key: bytes, version: int, response: str
) -> AccusedNotice:
    """The accused's response, sealed; its deadline is met."""
    response = _text(response, "response", _("Write the accused's response."))
    case = notice.allegation.case
    with transaction.atomic():
        if notice.version != version or notice.state != AccusedNotice.State.SENT:
            raise _stale()
        data = record_carried_json(case=case, case_key=case_key, record=notice)
        data["response"] = response
        notice.version = version + 1
        blob = seal_json(case=case, case_key=case_key, record=notice, data=data)
        changed = AccusedNotice.objects.filter(
            pk=notice.pk, version=version, state=AccusedNotice.State.SENT
        ).update(
            content=blob,
            version=F("version") + 1,
            state=AccusedNotice.State.ANSWERED,
            answered_at=timezone.now(),
        )
        if not changed:
            raise _stale()
        notice.refresh_from_db()
        deadline_close(actor=actor, case=case, name=response_deadline_name(notice))
        _notice_audit(actor, notice, "investigation.notice.answered")
    return notice


def _notice_audit(actor: User, notice: AccusedNotice, action: str, **details: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=notice.allegation.case,
        details={
            "case": notice.allegation.case.ref,
            "allegation": str(notice.allegation_id),
            "notice": str(notice.id),
            **details,
        },
    )


# Findings ---------------------------------------------------------------------------


def finding_record(
    *,
    actor: User,
    allegation: Allegation,
    case_key: bytes,
    version: int,
    outcome: str,
    standard: str = "",
    reasoning: str,
    evidence_ids: Iterable[str | uuid.UUID] = (),
    sanctions: str = "",
    changes: str = "",
) -> Finding:
    """What was found on one allegation, to which standard of proof, why, on which
    evidence of this case; the allegation takes the outcome as its state. Written
    again, it replaces the earlier finding (``version`` is the allegation's)."""
    case = allegation.case
    problems: dict[str, str] = {}
    if outcome not in Finding.Outcome.values:
        problems["outcome"] = _("Choose the outcome.")
    standard = standard or default_standard()
    if standard not in Finding.Standard.values:
        problems["standard"] = _("Choose the standard of proof.")
    if not (reasoning or "").strip():
        problems["reasoning"] = _("Write the reasoning: what was found and why.")
    wanted: list[uuid.UUID] = []
    for item in evidence_ids:
        try:
            wanted.append(item if isinstance(item, uuid.UUID) else uuid.UUID(str(item).strip()))
        except ValueError:
            problems["evidence"] = _("Rely only on evidence of this case.")
    found = set(Evidence.objects.filter(case=case, pk__in=wanted).values_list("pk", flat=True))
    if set(wanted) - found:
        # Another case's item (or none at all) is never cited, nor its existence told.
        problems["evidence"] = _("Rely only on evidence of this case.")
    if allegation.state == Allegation.State.WITHDRAWN:
        problems["outcome"] = _("A withdrawn allegation has no finding.")
    if problems:
        raise ValidationError(problems)
    data = {
        "reasoning": _text(reasoning, "reasoning", ""),
        "evidence": sorted(str(item) for item in dict.fromkeys(wanted)),
        "sanctions": _text(sanctions, "sanctions", "", required=False),
        "changes": _text(changes, "changes", "", required=False),
    }
    with transaction.atomic():
        previous = allegation.state
        _content_changed(
            allegation=allegation, case_key=case_key, version=version, change={"state": outcome}
        )
        finding = Finding.objects.select_for_update().filter(allegation=allegation).first()
        if finding is None:
            finding = Finding(allegation=allegation, author=actor)
            new = True
        else:
            finding.version += 1
            new = False
        finding.outcome, finding.standard, finding.author = outcome, standard, actor
        finding.content = seal_json(case=case, case_key=case_key, record=finding, data=data)
        finding.save(force_insert=new)
        audit_record(
            actor=actor,
            action="investigation.finding.recorded",
            obj=case,
            details={
                "case": case.ref,
                "allegation": str(allegation.id),
                "from": previous,
                "outcome": outcome,
                "standard": standard,
                "evidence": len(data["evidence"]),
            },
        )
    return finding


# Closing a case ---------------------------------------------------------------------


def closing_needs_findings(
    *, actor: User, case: Case, case_key: bytes, no_finding_reason: str = "", **_given: Any
) -> dict[str, str]:
    """Added to ``ombud.cases.workflow.closing_checks``: a case closes only when every
    open allegation has a finding, or with a reason why none is possible, kept as a
    sealed internal note."""
    unfound = allegations_unfound(case=case).count()
    if not unfound:
        return {}
    reason = (no_finding_reason or "").strip()
    if not reason:
        return {
            "no_finding_reason": ngettext(
                "%(count)s allegation has no finding yet. Record its finding, "
                "or say here why no finding is possible.",
                "%(count)s allegations have no finding yet. Record a finding for each, "
                "or say here why no finding is possible.",
                unfound,
            )
            % {"count": unfound}
        }
    if len(reason) > TEXT_MAX:
        return {"no_finding_reason": _("At most 20,000 characters.")}
    case_note_add(
        actor=actor,
        case=case,
        case_key=case_key,
        body=ngettext(
            "Closed without a finding on %(count)s allegation: %(reason)s",
            "Closed without a finding on %(count)s allegations: %(reason)s",
            unfound,
        )
        % {"count": unfound, "reason": reason},
    )
    audit_record(
        actor=actor,
        action="investigation.allegations.closed_without_finding",
        obj=case,
        details={"case": case.ref, "allegations": unfound},
    )
    return {}
