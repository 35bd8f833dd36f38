"""Sealing the investigation's records with the case key. Each encrypted field is
bound to its case, kind, record id and version (``ombud.cases.records``): the kind
is the model's ``KIND`` for its main field (``content``, ``body`` or ``meta``) and
``KIND-field`` for another (an evidence item's ``file`` is ``evidence-file``).
Opening them is ``ombud.investigation.reading``'s alone."""

from __future__ import annotations

from typing import Any

from django.db import models

from ombud.cases.models import Case
from ombud.cases.records import record_seal, record_seal_json

MAIN_FIELDS = ("content", "body", "meta")


def kind_of(record: models.Model | type[models.Model], field: str = "content") -> str:
    kind: str = record.KIND  # type: ignore[union-attr]
    return kind if field in MAIN_FIELDS else f"{kind}-{field}"


def seal(
    *, case: Case, case_key: bytes, record: models.Model, data: bytes, field: str = "content"
) -> bytes:
    """``data`` encrypted for ``record``'s ``field`` at the record's current version
    (raise the version first when editing)."""
    return record_seal(
        case_key=case_key,
        case=case,
        kind=kind_of(record, field),
        record_id=record.pk,
        data=data,
        version=record.version,  # type: ignore[attr-defined]
    )


def seal_json(
    *, case: Case, case_key: bytes, record: models.Model, data: Any, field: str = "content"
) -> bytes:
    return record_seal_json(
        case_key=case_key,
        case=case,
        kind=kind_of(record, field),
        record_id=record.pk,
        data=data,
        version=record.version,  # type: ignore[attr-defined]
    )
