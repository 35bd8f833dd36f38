"""Interim measures: the writes. Who decided (the actor), the kind, the dates and
whether it affects the reporter are in clear (an auditor checks that a suspension was
reviewed); whom it applies to, the details, the words the reporter is shown and each
review are sealed in ``content``. A review date is a deadline (``review:<id>``),
swept and escalated like the policy's: a review closes it as met and opens the next
one; an end closes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ombud.audit.services import audit_record
from ombud.cases.models import Case
from ombud.deadlines.services import deadline_close, deadline_open
from ombud.directory.models import User
from ombud.investigation.models import Measure
from ombud.investigation.records import seal_json

APPLIES_TO_MAX = 1_000
DETAILS_MAX = 5_000
WORDS_MAX = 2_000
NOTE_MAX = 5_000
REVIEW_LABEL = gettext_noop("Review of an interim measure")


def review_deadline(measure: Measure) -> str:
    return f"review:{measure.id.hex[:24]}"


def reviews_kept_from_reporter(case: Case) -> list[str]:
    """The review deadlines of measures that do not affect the reporter: her page does
    not list them, so that a measure she is not told of does not show through its
    date. A missed one still tells her, as every missed deadline does (the
    escalation on her timeline names only "Review of an interim measure")."""
    return [
        review_deadline(measure)
        for measure in Measure.objects.filter(case=case, affects_reporter=False).only("id")
    ]


def review_due(day: dt.date) -> dt.datetime:
    """A review is due by the end of its day, in the organisation's time zone."""
    zone = timezone.get_default_timezone()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def today() -> dt.date:
    return timezone.localdate()


def _too_long(errors: dict[str, list[str]], name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.setdefault(name, []).append(_("At most %(max)d characters.") % {"max": limit})


# A measure's dates lie within ten years: a date typed as 9999-12-31 is a slip, and
# its review could not even be given a due time.
HORIZON_DAYS = 3653


def _dates_checked(
    errors: dict[str, list[str]],
    starts_on: dt.date,
    review_on: dt.date | None,
    ends_on: dt.date | None,
    *,
    new_review: bool,
) -> None:
    horizon = today() + dt.timedelta(days=HORIZON_DAYS)
    for field, day in (("starts_on", starts_on), ("review_on", review_on), ("ends_on", ends_on)):
        if day is not None and day > horizon:
            errors.setdefault(field, []).append(_("Give a date within the next ten years."))
    if errors:
        return
    if ends_on is not None and ends_on < starts_on:
        errors.setdefault("ends_on", []).append(
            _("The end cannot come before the start (%(start)s).")
            % {"start": starts_on.isoformat()}
        )
    if review_on is not None:
        if review_on < starts_on:
            errors.setdefault("review_on", []).append(
                _("The review cannot come before the start (%(start)s).")
                % {"start": starts_on.isoformat()}
            )
        elif new_review and review_on < today():
            errors.setdefault("review_on", []).append(_("A review date must be today or later."))
        if ends_on is not None and review_on > ends_on:
            errors.setdefault("review_on", []).append(
                _("The review must come before the end (%(end)s), or leave the review out.")
                % {"end": ends_on.isoformat()}
            )


@transaction.atomic
def measure_add(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    kind: str,
    applies_to: str,
    details: str,
    affects_reporter: bool,
    words_for_reporter: str,
    starts_on: dt.date,
    review_on: dt.date | None,
    ends_on: dt.date | None,
) -> Measure:
    """A measure decided by ``actor``. ValidationError, by field, for what is wrong."""
    errors: dict[str, list[str]] = {}
    if kind not in Measure.Kind.values:
        errors["kind"] = [_("Choose the kind of measure.")]
    if not applies_to.strip():
        errors["applies_to"] = [_("Say whom it applies to (several people are allowed).")]
    if affects_reporter and not words_for_reporter.strip():
        errors["words_for_reporter"] = [
            _("It affects the reporter: write what she will read about it, in plain words.")
        ]
    _too_long(errors, "applies_to", applies_to, APPLIES_TO_MAX)
    _too_long(errors, "details", details, DETAILS_MAX)
    _too_long(errors, "words_for_reporter", words_for_reporter, WORDS_MAX)
    _dates_checked(errors, starts_on, review_on, ends_on, new_review=True)
    if errors:
        raise ValidationError(errors)
    measure = Measure(
        case=case,
        kind=kind,
        affects_reporter=affects_reporter,
        decided_by=actor,
        starts_on=starts_on,
        review_on=review_on,
        ends_on=ends_on,
    )
    content: dict[str, Any] = {
        "applies_to": applies_to.strip(),
        "details": details.strip(),
        "words_for_reporter": words_for_reporter.strip() if affects_reporter else "",
        "reviews": [],
        "end": None,
    }
    measure.content = seal_json(case=case, case_key=case_key, record=measure, data=content)
    measure.save(force_insert=True)
    audit_record(
        actor=actor,
        action="investigation.measure.added",
        obj=case,
        details={
            "case": case.ref,
            "measure": str(measure.id),
            "kind": kind,
            "starts": starts_on.isoformat(),
            "review": review_on.isoformat() if review_on else "",
            "ends": ends_on.isoformat() if ends_on else "",
        },
    )
    if review_on is not None:
        deadline_open(
            actor=actor,
            case=case,
            name=review_deadline(measure),
            label=REVIEW_LABEL,
            due_at=review_due(review_on),
        )
    return measure


def _resealed(measure: Measure, case: Case, case_key: bytes, content: dict[str, Any]) -> None:
    measure.version += 1
    measure.content = seal_json(case=case, case_key=case_key, record=measure, data=content)


@transaction.atomic
def measure_review(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    measure: Measure,
    content: dict[str, Any],
    note: str,
    review_on: dt.date | None,
    ends_on: dt.date | None,
) -> Measure:
    """A review: what was decided (``note``) and either the next review date or an end
    (or both). ``content`` is the measure's content as opened for the page. The
    review's deadline is met; the next one opens."""
    errors: dict[str, list[str]] = {}
    _current(measure, errors)
    if _ended(content):
        errors["general"] = [_("This measure has ended: there is nothing to review.")]
    if not note.strip():
        errors["note"] = [_("Say what the review found and decided.")]
    _too_long(errors, "note", note, NOTE_MAX)
    if review_on is None and ends_on is None:
        errors["review_on"] = [_("Give the next review date, or an end date, or both.")]
    _dates_checked(errors, measure.starts_on, review_on, ends_on, new_review=True)
    if errors:
        raise ValidationError(errors)
    content = {
        **content,
        "reviews": [
            *content.get("reviews", []),
            {
                "by": actor.display_name(),
                "at": timezone.now().isoformat(),
                "note": note.strip(),
                "review_on": review_on.isoformat() if review_on else "",
                "ends_on": ends_on.isoformat() if ends_on else "",
            },
        ],
    }
    measure.review_on, measure.ends_on = review_on, ends_on
    _resealed(measure, case, case_key, content)
    measure.save(update_fields=["review_on", "ends_on", "version", "content"])
    audit_record(
        actor=actor,
        action="investigation.measure.reviewed",
        obj=case,
        details={
            "case": case.ref,
            "measure": str(measure.id),
            "review": review_on.isoformat() if review_on else "",
            "ends": ends_on.isoformat() if ends_on else "",
        },
    )
    deadline_close(actor=actor, case=case, name=review_deadline(measure), met=True)
    if review_on is not None:
        deadline_open(
            actor=actor,
            case=case,
            name=review_deadline(measure),
            label=REVIEW_LABEL,
            due_at=review_due(review_on),
        )
    return measure


def _current(measure: Measure, errors: dict[str, list[str]]) -> None:
    """Someone else reviewed or ended it since the page was opened: her change would
    be made to what she has not seen."""
    stored = Measure.objects.select_for_update().filter(pk=measure.pk).values("version").first()
    if stored is None or stored["version"] != measure.version:
        errors["general"] = [
            _("Someone changed this measure while you were writing: open it again.")
        ]


def _ended(content: dict[str, Any]) -> bool:
    return bool(content.get("end"))


@transaction.atomic
def measure_end(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    measure: Measure,
    content: dict[str, Any],
    ends_on: dt.date | None,
    reason: str,
) -> Measure:
    """The measure ends on ``ends_on`` (today when None), for ``reason``; its review
    deadline closes (met: the decision the review was for was taken)."""
    ends_on = ends_on or today()
    errors: dict[str, list[str]] = {}
    _current(measure, errors)
    if _ended(content):
        errors["general"] = [_("This measure has already ended.")]
    if not reason.strip():
        errors["reason"] = [_("Say why it ends.")]
    _too_long(errors, "reason", reason, NOTE_MAX)
    _dates_checked(errors, measure.starts_on, None, ends_on, new_review=False)
    if errors:
        raise ValidationError(errors)
    content = {
        **content,
        "end": {
            "by": actor.display_name(),
            "at": timezone.now().isoformat(),
            "reason": reason.strip(),
        },
    }
    measure.ends_on, measure.review_on = ends_on, None
    _resealed(measure, case, case_key, content)
    measure.save(update_fields=["review_on", "ends_on", "version", "content"])
    audit_record(
        actor=actor,
        action="investigation.measure.ended",
        obj=case,
        details={"case": case.ref, "measure": str(measure.id), "ends": ends_on.isoformat()},
    )
    deadline_close(actor=actor, case=case, name=review_deadline(measure), met=True)
    return measure


# What the reporter reads for each kind, beside the words written for her: plain,
# and naming nobody.
FOR_REPORTER = {
    Measure.Kind.SUSPENSION: gettext_noop(
        "Someone involved is suspended from work while your report is looked into."
    ),
    Measure.Kind.PAID_LEAVE: gettext_noop(
        "Someone involved is on paid leave while your report is looked into."
    ),
    Measure.Kind.NO_CONTACT: gettext_noop("Someone has been told not to contact you."),
    Measure.Kind.REPORTING_LINE: gettext_noop("A change in who reports to whom at work."),
    Measure.Kind.TRAVEL: gettext_noop("A change to travel arrangements."),
    Measure.Kind.REPORTER_PROTECTION: gettext_noop("Steps taken to protect you."),
    Measure.Kind.OTHER: gettext_noop("A step taken while your report is looked into."),
}
