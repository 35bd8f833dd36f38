"""The written outcome for the reporter (China's Law on the Protection of Women's
Rights and Interests, Art. 23, asks for one): drafted from the findings, reviewed by
a second reader of the case, then published: shown on her page and downloadable as a
PDF in her language.

Its text is case content, sealed with the case key. An edit raises the version and
voids the review; once published it is not changed (a later word to her is a
message)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit.services import audit_record
from ombud.cases.models import Case, State, TimelineEvent
from ombud.cases.signals import reporter_news
from ombud.directory.models import User
from ombud.investigation.models import Allegation, Finding, WrittenOutcome
from ombud.investigation.records import seal_json

TEXT_MAX = 20_000
PUBLISHABLE = (State.FINDINGS, State.CLOSED)


class OutcomeRefused(ValidationError):
    pass


def outcome_proposal(case: Case) -> str:
    """A first draft from the findings' codes (in clear): one line per allegation
    with its category and result, in the writer's language, for her to complete.
    It names no one: the accused's name is for her to write, or not."""
    lines = [_("We have finished looking into your report. What we found:"), ""]
    allegations = Allegation.objects.filter(case=case).order_by("created_at", "id")
    findings = {
        finding.allegation_id: finding for finding in Finding.objects.filter(allegation__case=case)
    }
    for number, allegation in enumerate(allegations, start=1):
        finding = findings.get(allegation.pk)
        result = (
            _("%(outcome)s (standard of proof: %(standard)s)")
            % {
                "outcome": finding.get_outcome_display(),
                "standard": finding.get_standard_display(),
            }
            if finding
            else allegation.get_state_display()
        )
        lines.append(f"{number}. {allegation.get_category_display()}: {result}")
    if len(lines) == 2:
        lines.append(_("(No allegation was recorded: describe what was found.)"))
    lines += ["", _("What happens now:"), ""]
    return "\n".join(lines)


@transaction.atomic
def outcome_draft(
    *, actor: User, case: Case, case_key: bytes, text: str, language: str, version: int | None
) -> WrittenOutcome:
    """Write or rewrite the draft. ``version`` is the one the writer saw (None for a
    first draft): an edit made on an older page is refused, not lost."""
    text = text.strip()
    if not text:
        raise OutcomeRefused({"text": _("Write the outcome: the reporter reads it.")})
    if len(text) > TEXT_MAX:
        raise OutcomeRefused(
            {"text": _("Keep it under %(max)s characters.") % {"max": f"{TEXT_MAX:,}"}}
        )
    outcome = WrittenOutcome.objects.select_for_update().filter(case=case).first()
    if outcome is None:
        if version is not None:
            raise OutcomeRefused(_("Someone else changed this outcome meanwhile. Reload."))
        outcome = WrittenOutcome(case=case, drafted_by=actor, language=language)
    else:
        if outcome.published_at is not None:
            raise OutcomeRefused(
                _("The outcome was published and is not changed: write to the reporter instead.")
            )
        if version != outcome.version:
            raise OutcomeRefused(
                _("Someone else changed this outcome meanwhile. Nothing was lost: reload.")
            )
        outcome.version += 1
        outcome.drafted_by, outcome.language = actor, language
        outcome.reviewed_by, outcome.reviewed_at = None, None  # the review was of another text
    outcome.content = seal_json(case=case, case_key=case_key, record=outcome, data={"text": text})
    outcome.save()
    audit_record(
        actor=actor,
        action="investigation.outcome.drafted",
        obj=case,
        details={"case": case.ref, "version": outcome.version, "language": language},
    )
    return outcome


@transaction.atomic
def outcome_review(*, actor: User, case: Case, version: int) -> WrittenOutcome:
    """A second reader of the case approves this version. Her right to read the
    case is the caller's check (she opened it through the door); here: not the
    person who wrote it, and the version she read."""
    outcome = _current(case, version)
    if outcome.published_at is not None:
        raise OutcomeRefused(_("The outcome is already published."))
    if outcome.drafted_by_id == actor.pk:
        raise OutcomeRefused(_("A second reader reviews the outcome, not the person who wrote it."))
    outcome.reviewed_by, outcome.reviewed_at = actor, timezone.now()
    outcome.save(update_fields=["reviewed_by", "reviewed_at"])
    audit_record(
        actor=actor,
        action="investigation.outcome.reviewed",
        obj=case,
        details={"case": case.ref, "version": outcome.version},
    )
    return outcome


@transaction.atomic
def outcome_publish(*, actor: User, case: Case, version: int) -> WrittenOutcome:
    """Show the reviewed outcome to the reporter: on her page, as a PDF, and as
    news (a timeline entry, her e-mail if she asked for one)."""
    outcome = _current(case, version)
    if outcome.published_at is not None:
        raise OutcomeRefused(_("The outcome is already published."))
    if outcome.reviewed_at is None:
        raise OutcomeRefused(_("A second reader must review the outcome before it is published."))
    if case.state not in PUBLISHABLE:
        raise OutcomeRefused(
            _("The outcome is published once findings are written or the case is closed.")
        )
    now = timezone.now()
    outcome.published_at = now
    outcome.save(update_fields=["published_at"])
    TimelineEvent.objects.create(case=case, kind=TimelineEvent.Kind.OUTCOME_WRITTEN, at=now)
    reporter_news.send(sender=Case, case=case)
    audit_record(
        actor=actor,
        action="investigation.outcome.published",
        obj=case,
        details={"case": case.ref, "version": outcome.version},
    )
    return outcome


def _current(case: Case, version: int) -> WrittenOutcome:
    outcome = WrittenOutcome.objects.select_for_update().filter(case=case).first()
    if outcome is None:
        raise OutcomeRefused(_("There is no outcome yet."))
    if outcome.version != version:
        raise OutcomeRefused(
            _("Someone else changed this outcome meanwhile. Nothing was lost: reload.")
        )
    return outcome
