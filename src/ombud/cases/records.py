"""Encrypting what is written about a case with its key. The associated data binds
each ciphertext to its case, kind, record and version (``aead.record_context``),
so a ciphertext moved to another record or put back from an old version fails."""

from __future__ import annotations

import json
from typing import Any

from ombud.cases.models import Case
from ombud.crypto import aead


def _context(case: Case, kind: str, record_id: object, version: int) -> bytes:
    return aead.record_context(
        case_id=case.public_id, kind=kind, record_id=str(record_id), version=version
    )


def record_seal(
    *, case_key: bytes, case: Case, kind: str, record_id: object, data: bytes, version: int = 1
) -> bytes:
    return aead.encrypt(case_key, data, _context(case, kind, record_id, version))


def record_open(
    *,
    case_key: bytes,
    case: Case,
    kind: str,
    record_id: object,
    blob: bytes | memoryview,
    version: int = 1,
) -> bytes:
    return aead.decrypt(case_key, bytes(blob), _context(case, kind, record_id, version))


def record_seal_json(
    *, case_key: bytes, case: Case, kind: str, record_id: object, data: Any, version: int = 1
) -> bytes:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return record_seal(
        case_key=case_key, case=case, kind=kind, record_id=record_id, data=raw, version=version
    )


def record_open_json(
    *,
    case_key: bytes,
    case: Case,
    kind: str,
    record_id: object,
    blob: bytes | memoryview,
    version: int = 1,
) -> Any:
    raw = record_open(
        case_key=case_key, case=case, kind=kind, record_id=record_id, blob=blob, version=version
    )
    return json.loads(raw)
