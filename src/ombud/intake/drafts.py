"""Drafts between the steps of the report form. What was typed and every file are
encrypted as they arrive, under a random key kept only in the reporter's cookie;
the database holds ciphertext, and nothing is written to disk in clear."""

from __future__ import annotations

import base64
import datetime
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ombud.crypto import aead
from ombud.crypto.errors import DecryptionFailed
from ombud.intake.attachments import Accepted
from ombud.intake.models import Draft, DraftFile

SESSION_FIELD = "ombud_draft"
COOKIE_NAME = "ombud_draft"
LIFETIME = datetime.timedelta(hours=3)
SENT_KEPT = datetime.timedelta(minutes=10)  # how long a double click still finds the receipt
SENT = "__sent"


@dataclass
class DraftState:
    draft: Draft
    key: bytes
    fields: dict[str, list[str]]

    def context(self, kind: str, record_id: object) -> bytes:
        return json.dumps(["ombud-draft-v1", str(self.draft.pk), kind, str(record_id)]).encode()


@dataclass(frozen=True)
class DraftFileInfo:
    id: uuid.UUID
    name: str
    mime: str
    size: int


@sensitive_variables()
def draft_get(request: HttpRequest) -> DraftState | None:
    draft_id = request.session.get(SESSION_FIELD)
    cookie = request.COOKIES.get(COOKIE_NAME) or getattr(request, "_ombud_draft_cookie", None)
    if not draft_id or not cookie:
        return None
    now = timezone.now()
    draft = Draft.objects.filter(pk=draft_id, updated_at__gt=now - LIFETIME).first()
    if draft is None or (draft.sent_at and draft.sent_at < now - SENT_KEPT):
        return None
    try:
        key = base64.urlsafe_b64decode(cookie)
        state = DraftState(draft=draft, key=key, fields={})
        state.fields = json.loads(
            aead.decrypt(key, bytes(draft.content), state.context("fields", 0))
        )
    except (ValueError, DecryptionFailed):
        return None
    return state


@sensitive_variables()
def draft_save(request: HttpRequest, fields: dict[str, list[str]]) -> DraftState:
    """Store what was typed (every value, as typed), making the draft if needed."""
    state = draft_get(request)
    if state is None:
        key = aead.random_key()
        state = DraftState(draft=Draft(), key=key, fields=fields)
        request.session[SESSION_FIELD] = str(state.draft.pk)
        request._ombud_draft_cookie = base64.urlsafe_b64encode(key).decode()  # type: ignore[attr-defined]
    state.fields = fields
    state.draft.content = aead.encrypt(
        state.key, json.dumps(fields).encode(), state.context("fields", 0)
    )
    state.draft.save()
    return state


@sensitive_variables()
def draft_file_add(state: DraftState, accepted: Accepted) -> DraftFileInfo:
    item = DraftFile(draft=state.draft)
    header = json.dumps(
        {
            "name": accepted.name,
            "mime": accepted.mime,
            "size": accepted.size,
            "sha256": accepted.sha256,
            "original": len(accepted.original),
        }
    ).encode()
    plain = len(header).to_bytes(4, "big") + header + accepted.original + accepted.stripped
    item.content = aead.encrypt(state.key, plain, state.context("file", item.id))
    item.save(force_insert=True)
    return DraftFileInfo(id=item.id, name=accepted.name, mime=accepted.mime, size=accepted.size)


@sensitive_variables()
def _open_file(state: DraftState, item: DraftFile) -> Accepted:
    plain = memoryview(aead.decrypt(state.key, bytes(item.content), state.context("file", item.id)))
    size = int.from_bytes(plain[:4], "big")
    header: dict[str, Any] = json.loads(bytes(plain[4 : 4 + size]))
    start = 4 + size
    cut = start + header["original"]
    # Copied out of the plaintext once each; the slices of a memoryview copy nothing.
    return Accepted(
        mime=header["mime"],
        original=bytes(plain[start:cut]),
        stripped=bytes(plain[cut:]),
        sha256=header["sha256"],
        size=header["size"],
        name=header["name"],
    )


def _stored_files(state: DraftState) -> Iterator[DraftFile]:
    """The draft's files one row at a time, so that one file's ciphertext is held at once."""
    return state.draft.files.all().iterator(chunk_size=1)


class DraftFiles(Sequence[Accepted]):
    """The draft's files, each decrypted when it is used: sending a draft holds one
    file's plaintext and its new ciphertext at a time, not every file at once."""

    def __init__(self, state: DraftState) -> None:
        self._state = state
        self._ids = list(state.draft.files.values_list("pk", flat=True))

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> Accepted: ...
    @overload
    def __getitem__(self, index: slice) -> list[Accepted]: ...
    def __getitem__(self, index: int | slice) -> Accepted | list[Accepted]:
        if isinstance(index, slice):
            return [self._open(pk) for pk in self._ids[index]]
        return self._open(self._ids[index])

    def __iter__(self) -> Iterator[Accepted]:
        for pk in self._ids:
            yield self._open(pk)

    def _open(self, pk: uuid.UUID) -> Accepted:
        return _open_file(self._state, DraftFile.objects.get(draft=self._state.draft, pk=pk))


def draft_files(state: DraftState) -> DraftFiles:
    return DraftFiles(state)


def draft_file_list(state: DraftState | None) -> list[DraftFileInfo]:
    if state is None:
        return []
    return [
        DraftFileInfo(id=item.id, name=a.name, mime=a.mime, size=a.size)
        for item in _stored_files(state)
        for a in [_open_file(state, item)]
    ]


def draft_file_remove(state: DraftState, file_id: str) -> None:
    try:
        DraftFile.objects.filter(draft=state.draft, pk=uuid.UUID(file_id)).delete()
    except ValueError:
        return


def draft_claim(state: DraftState) -> bool:
    """Mark the draft sent, in the submission's transaction; False if it already was."""
    claimed = Draft.objects.filter(pk=state.draft.pk, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    return claimed == 1


@sensitive_variables()
def draft_remember_receipt(state: DraftState, receipt: dict[str, str]) -> None:
    """After sending, the draft keeps only the receipt (under the cookie's key), for a
    few minutes, so a second click shows it again; the report and files go."""
    DraftFile.objects.filter(draft=state.draft).delete()
    content = aead.encrypt(
        state.key, json.dumps({SENT: receipt}).encode(), state.context("fields", 0)
    )
    Draft.objects.filter(pk=state.draft.pk).update(content=content)


def draft_discard(request: HttpRequest, state: DraftState | None) -> None:
    if state is not None and state.draft.pk:
        with transaction.atomic():
            Draft.objects.filter(pk=state.draft.pk).delete()
    request.session.pop(SESSION_FIELD, None)
    request._ombud_draft_cookie_delete = True  # type: ignore[attr-defined]


def draft_forget(request: HttpRequest) -> None:
    """Delete her draft, readable or not (the quick exit): the row her session names,
    its files, and the cookie that held its key."""
    draft_id = request.session.pop(SESSION_FIELD, None)
    if draft_id:
        Draft.objects.filter(pk=draft_id).delete()
    request._ombud_draft_cookie_delete = True  # type: ignore[attr-defined]


def draft_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Set or delete the cookie holding the draft's key."""
    value = getattr(request, "_ombud_draft_cookie", None)
    if not value and getattr(request, "_ombud_draft_cookie_delete", False):
        response.delete_cookie(COOKIE_NAME, samesite="Strict")
    elif value:
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=int(LIFETIME.total_seconds()),
            httponly=True,
            samesite="Strict",
            secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
        )
    return response


def drafts_expired_clear() -> int:
    now = timezone.now()
    deleted, _rows = Draft.objects.filter(
        Q(updated_at__lt=now - LIFETIME) | Q(sent_at__lt=now - SENT_KEPT)
    ).delete()
    return deleted
