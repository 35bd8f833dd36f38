"""The investigation's records, opened. Like ``ombud.access.reading``, the only
module here that decrypts: a staff page gets the case and its key from
``case_open_to_read`` (which checks her right and writes the read entry first) and
opens its records with the helpers below; the reporter's page opens those meant for
her with the key her receipt derives. Writers seal with ``ombud.investigation.records``."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from ombud.access.reading import case_open_to_read
from ombud.cases.models import Case, Party
from ombud.cases.records import record_context
from ombud.cases.report import IdentityMode
from ombud.crypto import aead
from ombud.directory.models import Person, User
from ombud.investigation.models import AccusedNotice, Allegation, Evidence, Finding
from ombud.investigation.records import kind_of

# The read entries (the auditors' "who looked at this case" lists them).
INVESTIGATION_READ = "investigation.case.read"


def record_open(
    *, case: Case, case_key: bytes, record: models.Model, field: str = "content"
) -> bytes:
    """One encrypted field of an investigation record, checked against its case,
    kind, id and version (a moved or replayed ciphertext fails)."""
    context = record_context(case, kind_of(record, field), record.pk, record.version)  # type: ignore[attr-defined]
    return aead.decrypt(case_key, bytes(getattr(record, field)), context)


def record_open_json(
    *, case: Case, case_key: bytes, record: models.Model, field: str = "content"
) -> Any:
    return json.loads(record_open(case=case, case_key=case_key, record=record, field=field))


def record_carried_json(
    *, case: Case, case_key: bytes, record: models.Model, field: str = "content"
) -> Any:
    """A record's content, opened by the service that changes it so it can be sealed
    again at the record's next version with the change added. Nothing of it leaves
    the service or is shown to anyone, so no read entry (the change has its own
    audit entry), as ``ombud.access.reading.case_reporter_for_conflicts``."""
    return record_open_json(case=case, case_key=case_key, record=record, field=field)


# Allegations, the accused's side and findings --------------------------------------

ALLEGATIONS_READ = "investigation.allegations.read"


@dataclass(frozen=True)
class NoticeView:
    id: uuid.UUID
    state: str
    state_label: str
    version: int
    disclosed: str
    response: str
    drafted_by_id: int
    drafted_by: str
    reviewed_by: str
    reviewed_at: dt.datetime | None
    told_at: dt.datetime | None
    respond_by: dt.datetime | None
    answered_at: dt.datetime | None


@dataclass(frozen=True)
class FindingView:
    outcome: str
    outcome_label: str
    standard: str
    standard_label: str
    reasoning: str
    evidence: list[str]
    sanctions: str
    changes: str
    author: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class AllegationView:
    id: uuid.UUID
    state: str
    state_label: str
    category: str
    category_label: str
    version: int
    # The accused: a directory person (name, employee id) or an outsider's description.
    person_name: str
    employee_id: str
    outsider: str
    summary: str
    reasons: list[dict[str, str]]
    created_by: str
    created_at: dt.datetime
    notices: list[NoticeView] = field(default_factory=list)
    finding: FindingView | None = None

    @property
    def accused(self) -> str:
        return f"{self.person_name} ({self.employee_id})" if self.employee_id else self.outsider

    @property
    def is_open(self) -> bool:
        return self.state in ("open", "under_investigation")


@dataclass(frozen=True)
class EvidenceChoice:
    id: uuid.UUID
    description: str
    created_at: dt.datetime


@dataclass(frozen=True)
class AllegationsReading:
    """The case's allegations, each with its notices and its finding, opened after
    the read entry; with what their forms offer: the reporter's mode (a notice must
    not reveal an anonymous or confidential reporter), the directory people the case
    is linked to, and its evidence."""

    case: Case
    allegations: list[AllegationView]
    reporter_mode: str
    parties: list[Person]
    evidence: list[EvidenceChoice]


def allegations_read(*, user: User, public_id: str, private: bytes | None) -> AllegationsReading:
    """Http404, CaseNotConfirmed or CaseLocked as ``case_open_to_read``; otherwise
    everything the allegations page shows, after its read entry."""
    case, case_key = case_open_to_read(
        user=user, public_id=public_id, private=private, action=ALLEGATIONS_READ
    )
    allegations = list(
        Allegation.objects.filter(case=case).select_related("person", "created_by__person")
    )
    notices: dict[uuid.UUID, list[NoticeView]] = {}
    for notice in AccusedNotice.objects.filter(allegation__case=case).select_related(
        "drafted_by__person", "reviewed_by__person"
    ):
        data = record_open_json(case=case, case_key=case_key, record=notice)
        notices.setdefault(notice.allegation_id, []).append(
            NoticeView(
                id=notice.id,
                state=notice.state,
                state_label=notice.get_state_display(),
                version=notice.version,
                disclosed=data.get("disclosed", ""),
                response=data.get("response", ""),
                drafted_by_id=notice.drafted_by_id,
                drafted_by=notice.drafted_by.display_name(),
                reviewed_by=notice.reviewed_by.display_name() if notice.reviewed_by else "",
                reviewed_at=notice.reviewed_at,
                told_at=notice.told_at,
                respond_by=notice.respond_by,
                answered_at=notice.answered_at,
            )
        )
    findings: dict[uuid.UUID, FindingView] = {}
    for finding in Finding.objects.filter(allegation__case=case).select_related("author__person"):
        data = record_open_json(case=case, case_key=case_key, record=finding)
        findings[finding.allegation_id] = FindingView(
            outcome=finding.outcome,
            outcome_label=finding.get_outcome_display(),
            standard=finding.standard,
            standard_label=finding.get_standard_display(),
            reasoning=data.get("reasoning", ""),
            evidence=list(data.get("evidence", [])),
            sanctions=data.get("sanctions", ""),
            changes=data.get("changes", ""),
            author=finding.author.display_name(),
            updated_at=finding.updated_at,
        )
    views = []
    for allegation in allegations:
        data = record_open_json(case=case, case_key=case_key, record=allegation)
        views.append(
            AllegationView(
                id=allegation.id,
                state=allegation.state,
                state_label=allegation.get_state_display(),
                category=allegation.category,
                category_label=allegation.get_category_display(),
                version=allegation.version,
                person_name=allegation.person.name if allegation.person else "",
                employee_id=allegation.person.employee_id if allegation.person else "",
                outsider=data.get("accused", ""),
                summary=data.get("summary", ""),
                reasons=list(data.get("reasons", [])),
                created_by=allegation.created_by.display_name(),
                created_at=allegation.created_at,
                notices=notices.get(allegation.id, []),
                finding=findings.get(allegation.id),
            )
        )
    evidence = []
    for item in Evidence.objects.filter(case=case).defer("file"):
        meta = record_open_json(case=case, case_key=case_key, record=item, field="meta")
        description = meta.get("description", "") if isinstance(meta, dict) else ""
        evidence.append(
            EvidenceChoice(id=item.id, description=description, created_at=item.created_at)
        )
    parties = [
        party.person
        for party in Party.objects.filter(case=case).select_related("person").order_by("pk")
    ]
    return AllegationsReading(
        case=case,
        allegations=views,
        reporter_mode=_reporter_mode(case, case_key),
        parties=list({person.pk: person for person in parties}.values()),
        evidence=evidence,
    )


def _reporter_mode(case: Case, case_key: bytes) -> str:
    """The reporter's mode alone (anonymous, confidential, named), for the warning on
    the accused's notice; the rest of the report stays closed."""
    if case.report is None:
        return IdentityMode.ANONYMOUS
    raw = aead.decrypt(
        case_key, bytes(case.report), record_context(case, "report", case.public_id, 1)
    )
    identity = json.loads(raw).get("identity", {})
    return str(identity.get("mode") or IdentityMode.ANONYMOUS)
