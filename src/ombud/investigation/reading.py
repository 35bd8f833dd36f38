"""The investigation's records, opened. Like ``ombud.access.reading``, the only
module here that decrypts: a staff page gets the case and its key from
``case_open_to_read`` (which checks her right and writes the read entry first) and
opens its records with the helpers below; the reporter's page opens those meant for
her with the key her receipt derives. Writers seal with ``ombud.investigation.records``."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db import models

from ombud.access.reading import ReporterAccess
from ombud.cases.models import Case
from ombud.cases.records import record_context
from ombud.crypto import aead
from ombud.investigation.models import WrittenOutcome
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


# The written outcome ----------------------------------------------------------

OUTCOME_READ = "investigation.outcome.read"


@dataclass(frozen=True)
class OutcomeView:
    text: str
    version: int
    language: str
    drafted_by: str
    reviewed_by: str
    reviewed_at: datetime.datetime | None
    published_at: datetime.datetime | None


def outcome_open(*, case: Case, case_key: bytes) -> OutcomeView | None:
    """The case's written outcome, for a reader who came through the door."""
    outcome = (
        WrittenOutcome.objects.filter(case=case).select_related("drafted_by", "reviewed_by").first()
    )
    if outcome is None:
        return None
    text = record_open_json(case=case, case_key=case_key, record=outcome)["text"]
    return OutcomeView(
        text=text,
        version=outcome.version,
        language=outcome.language,
        drafted_by=outcome.drafted_by.get_username(),
        reviewed_by=outcome.reviewed_by.get_username() if outcome.reviewed_by else "",
        reviewed_at=outcome.reviewed_at,
        published_at=outcome.published_at,
    )


def reporter_outcome(access: ReporterAccess) -> OutcomeView | None:
    """The reporter's written outcome, once published, opened with her receipt's key
    (not logged, as her other reads)."""
    view = outcome_open(case=access.case, case_key=access.case_key)
    return view if view is not None and view.published_at is not None else None
