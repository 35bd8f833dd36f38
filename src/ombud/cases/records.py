"""Encrypting what is written about a case with its key. The associated data binds
each ciphertext to its case, kind, record and version (``aead.record_context``),
so a ciphertext moved to another record or put back from an old version fails.

Opening them is not here: it happens only behind the door in
``ombud.access.reading``, which writes the read entry."""

from __future__ import annotations

import json
from typing import Any

from ombud.cases.models import Case
from ombud.crypto import aead


def record_context(case: Case, kind: str, record_id: object, version: int) -> bytes:
    return aead.record_context(
        case_id=case.public_id, kind=kind, record_id=str(record_id), version=version
    )


def record_seal(
    *, case_key: bytes, case: Case, kind: str, record_id: object, data: bytes, version: int = 1
) -> bytes:
    return aead.encrypt(case_key, data, record_context(case, kind, record_id, version))


def record_seal_json(
    *, case_key: bytes, case: Case, kind: str, record_id: object, data: Any, version: int = 1
) -> bytes:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return record_seal(
        case_key=case_key, case=case, kind=kind, record_id=record_id, data=raw, version=version
    )
