"""The investigation's records, opened. Like ``ombud.access.reading``, the only
module here that decrypts: a staff page gets the case and its key from
``case_open_to_read`` (which checks her right and writes the read entry first) and
opens its records with the helpers below; the reporter's page opens those meant for
her with the key her receipt derives. Writers seal with ``ombud.investigation.records``."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from ombud.cases.models import Case
from ombud.cases.records import record_context
from ombud.crypto import aead
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
