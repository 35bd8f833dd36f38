"""The accused's rights: an appeal of a finding, decided by a level above the one
that decided; and an answer to his data-access request that gives what is about
him and nothing that identifies the reporter or a witness, reviewed by a second
reader before it is released."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ombud.access.routing import ladder
from ombud.audit.services import audit_record
from ombud.cases.models import Case
from ombud.deadlines.calendar import window_end
from ombud.deadlines.services import deadline_close, deadline_open
from ombud.directory.models import Person, User
from ombud.directory.selectors import user_roles
from ombud.investigation.models import AccessRequest, Appeal, Finding
from ombud.investigation.records import seal_json

APPEAL_WINDOW = {"business_days": 20}
ACCESS_WINDOW = {"months": 1}  # GDPR Art. 12(3): one month from receipt
TEXT_MAX = 50_000
APPEAL_DEADLINE = gettext_noop("Decision on an appeal")
ACCESS_DEADLINE = gettext_noop("Answer to a data-access request")


class RightsRefused(ValidationError):
    pass


def ladder_position(user: User) -> int | None:
    """The highest ladder level ``user`` holds a role of (None: none)."""
    held = user_roles(user=user)
    positions = [level.position for level in ladder() if level.role.code in held]
    return max(positions) if positions else None


def _stale() -> RightsRefused:
    return RightsRefused(_("Someone else changed this meanwhile. Nothing was lost: reload."))


# Appeals ----------------------------------------------------------------------


@transaction.atomic
def appeal_record(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    finding: Finding,
    filed_on: dt.date,
    grounds: str,
) -> Appeal:
    """Record the accused's appeal of ``finding``. The level that decided is the
    finding's author's highest ladder level, or the case's level when she holds none
    (an assigned investigator); someone above it decides."""
    if finding.allegation.case_id != case.pk:
        raise RightsRefused(_("This finding is not this case's."))
    if not grounds.strip():
        raise RightsRefused({"grounds": _("Write his grounds of appeal as he gave them.")})
    if filed_on > timezone.localdate():
        raise RightsRefused({"filed_on": _("The appeal cannot have been made in the future.")})
    decided = ladder_position(finding.author)
    if decided is None:
        decided = case.level.position if case.level else 0
    if not any(level.position > decided for level in ladder()):
        raise RightsRefused(
            _(
                "The finding was made at the top of the ladder: no level here can decide "
                "an appeal. Tell him which outside body hears it."
            )
        )
    appeal = Appeal(finding=finding, filed_on=filed_on, recorded_by=actor, above_position=decided)
    appeal.content = seal_json(
        case=case, case_key=case_key, record=appeal, data={"grounds": grounds.strip()}
    )
    appeal.save(force_insert=True)
    deadline_open(
        actor=actor,
        case=case,
        name=f"appeal:{appeal.id.hex[:24]}",
        label=APPEAL_DEADLINE,
        due_at=window_end(
            timezone.now(), APPEAL_WINDOW, country=settings.OMBUD_COUNTRY, tz=settings.TIME_ZONE
        ),
    )
    audit_record(
        actor=actor,
        action="investigation.appeal.recorded",
        obj=case,
        details={"case": case.ref, "appeal": str(appeal.id), "finding": str(finding.id)},
    )
    return appeal


@transaction.atomic
def appeal_decide(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    appeal: Appeal,
    version: int,
    decision: str,
    reasoning: str,
    grounds: str,
) -> Appeal:
    """Decide the appeal, by someone of a level above the one that decided.
    ``grounds`` is the text as the decider read it (opened by the page): it is
    sealed again with the reasoning under the new version."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.version != version:
        raise _stale()
    if appeal.decided_at is not None:
        raise RightsRefused(_("This appeal is already decided."))
    position = ladder_position(actor)
    if position is None or position <= appeal.above_position:
        raise RightsRefused(_("A level above the one that made the finding decides the appeal."))
    problems = {}
    if decision not in Appeal.Decision.values:
        problems["decision"] = _("Choose the decision.")
    if not reasoning.strip():
        problems["reasoning"] = _("Give the reasons for the decision.")
    if problems:
        raise RightsRefused(problems)
    appeal.version += 1
    appeal.decision, appeal.decided_by, appeal.decided_at = decision, actor, timezone.now()
    appeal.content = seal_json(
        case=case,
        case_key=case_key,
        record=appeal,
        data={"grounds": grounds, "reasoning": reasoning.strip()},
    )
    appeal.save()
    deadline_close(actor=actor, case=case, name=f"appeal:{appeal.id.hex[:24]}")
    audit_record(
        actor=actor,
        action="investigation.appeal.decided",
        obj=case,
        details={"case": case.ref, "appeal": str(appeal.id), "decision": decision},
    )
    return appeal


# Data-access requests -----------------------------------------------------------


def redacted(text: str, names: dict[str, str]) -> str:
    """``text`` with every name in ``names`` replaced by its stand-in, whole words,
    ignoring case, longest first (so "Mira Castell" goes before "Mira")."""
    for name in sorted(names, key=len, reverse=True):
        if len(name.strip()) < 2:
            continue
        text = re.sub(rf"(?<!\w){re.escape(name.strip())}(?!\w)", names[name], text, flags=re.I)
    return text


@transaction.atomic
def access_request_record(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    person: Person,
    received_on: dt.date,
    draft: str,
) -> AccessRequest:
    """A request from ``person`` (someone the case accuses), with the first draft of
    the answer; its deadline runs from the day it was received."""
    if received_on > timezone.localdate():
        raise RightsRefused({"received_on": _("The request cannot arrive in the future.")})
    received = timezone.make_aware(dt.datetime.combine(received_on, dt.time(9)))
    respond_by = window_end(
        received, ACCESS_WINDOW, country=settings.OMBUD_COUNTRY, tz=settings.TIME_ZONE
    )
    request = AccessRequest(
        case=case, person=person, received_on=received_on, respond_by=respond_by, drafted_by=actor
    )
    request.content = seal_json(case=case, case_key=case_key, record=request, data={"text": draft})
    request.save(force_insert=True)
    deadline_open(
        actor=actor,
        case=case,
        name=f"access:{request.id.hex[:24]}",
        label=ACCESS_DEADLINE,
        due_at=respond_by,
    )
    audit_record(
        actor=actor,
        action="investigation.access_request.recorded",
        obj=case,
        details={"case": case.ref, "request": str(request.id), "person": person.employee_id},
    )
    return request


@transaction.atomic
def access_request_draft(
    *, actor: User, case: Case, case_key: bytes, request: AccessRequest, version: int, text: str
) -> AccessRequest:
    """Change the answer: the review was of another text, so it is needed again."""
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.version != version:
        raise _stale()
    if request.state == AccessRequest.State.RELEASED:
        raise RightsRefused(_("The answer was released and is not changed."))
    if not text.strip() or len(text) > TEXT_MAX:
        raise RightsRefused({"text": _("Write the answer (at most 50,000 characters).")})
    request.version += 1
    request.state, request.drafted_by = AccessRequest.State.DRAFT, actor
    request.reviewed_by, request.reviewed_at = None, None
    request.content = seal_json(
        case=case, case_key=case_key, record=request, data={"text": text.strip()}
    )
    request.save()
    audit_record(
        actor=actor,
        action="investigation.access_request.drafted",
        obj=case,
        details={"case": case.ref, "request": str(request.id), "version": request.version},
    )
    return request


@transaction.atomic
def access_request_review(
    *, actor: User, case: Case, request: AccessRequest, version: int, checked: bool
) -> AccessRequest:
    """A second reader says she read this version and found nothing in it that
    identifies the reporter or a witness."""
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.version != version:
        raise _stale()
    if request.state != AccessRequest.State.DRAFT:
        raise RightsRefused(_("Only a draft is reviewed."))
    if request.drafted_by_id == actor.pk:
        raise RightsRefused(_("A second reader reviews the answer, not the person who wrote it."))
    if not checked:
        raise RightsRefused(
            {"checked": _("Say that you checked it names neither the reporter nor a witness.")}
        )
    request.state = AccessRequest.State.REVIEWED
    request.reviewed_by, request.reviewed_at = actor, timezone.now()
    request.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    audit_record(
        actor=actor,
        action="investigation.access_request.reviewed",
        obj=case,
        details={"case": case.ref, "request": str(request.id), "version": request.version},
    )
    return request


@transaction.atomic
def access_request_release(
    *, actor: User, case: Case, request: AccessRequest, version: int
) -> AccessRequest:
    """The reviewed answer goes to him: its deadline is met."""
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.version != version:
        raise _stale()
    if request.state != AccessRequest.State.REVIEWED:
        raise RightsRefused(_("A second reader must review the answer before it is released."))
    request.state, request.released_at = AccessRequest.State.RELEASED, timezone.now()
    request.save(update_fields=["state", "released_at"])
    deadline_close(actor=actor, case=case, name=f"access:{request.id.hex[:24]}")
    audit_record(
        actor=actor,
        action="investigation.access_request.released",
        obj=case,
        details={"case": case.ref, "request": str(request.id), "version": request.version},
    )
    return request
