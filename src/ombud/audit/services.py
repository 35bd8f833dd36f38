"""Writing to the audit log. Every service that changes anything calls
:func:`audit_record` inside its own transaction."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ombud import config
from ombud.audit.models import AuditCheckpoint, AuditEntry, AuditHead, chain_time
from ombud.crypto import chain, signing

if TYPE_CHECKING:
    from ombud.directory.models import User


@functools.cache
def signing_seed() -> bytes:
    return config.audit_signing_seed(settings.CONFIG)


def public_key() -> str:
    return signing.public_key_hex(signing_seed())


def cli_actor() -> str:
    """Who runs a command: the operating-system account (or its number)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid-{os.getuid()}"


def _actor_fields(actor: User | str) -> tuple[int | None, str]:
    if isinstance(actor, str):
        return None, actor
    return actor.pk, f"user:{actor.get_username()}"


def _object_fields(obj: models.Model | None, object_type: str, object_id: str) -> tuple[str, str]:
    if obj is None:
        return object_type, object_id
    return object_type or obj._meta.label_lower, object_id or str(obj.pk)


def audit_record(
    *,
    actor: User | str,  # a signed-in user, or a system label: "system:worker", "cli:root"
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the change it records."""
    actor_id, actor_label = _actor_fields(actor)
    object_type, object_id = _object_fields(obj, object_type, object_id)
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().get(pk=1)
        at = timezone.now()
        canonical = chain.canonical_details(details)
        seq = head.seq + 1
        digest = chain.entry_hash(
            seq=seq,
            at=chain_time(at),
            actor_id=actor_id,
            actor=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=canonical,
            prev_hash=head.hash,
        )
        entry = AuditEntry.objects.create(
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=canonical,
            prev_hash=head.hash,
            hash=digest,
        )
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=digest)
        if seq % settings.OMBUD_AUDIT_CHECKPOINT_INTERVAL == 0:
            _checkpoint(seq=seq, entry_hash=digest, kind=AuditCheckpoint.Kind.INTERVAL)
    return entry


def _checkpoint(
    *, seq: int, entry_hash: str, kind: str, day: dt.date | None = None
) -> AuditCheckpoint:
    checkpoint = AuditCheckpoint(
        seq=seq,
        entry_hash=entry_hash,
        at=timezone.now(),
        kind=kind,
        day=day,
        public_key=public_key(),
    )
    checkpoint.signature = signing.sign(signing_seed(), checkpoint.message())
    checkpoint.save()
    return checkpoint


def audit_checkpoint_daily(*, now: dt.datetime | None = None) -> AuditCheckpoint | None:
    """Sign today's checkpoint once (safe with several workers) and mail its hash.

    Returns the new checkpoint, or None when today's exists already.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    if AuditCheckpoint.objects.filter(kind=AuditCheckpoint.Kind.DAILY, day=day).exists():
        return None
    try:
        with transaction.atomic():
            head = AuditHead.objects.select_for_update().get(pk=1)
            checkpoint = _checkpoint(
                seq=head.seq, entry_hash=head.hash, kind=AuditCheckpoint.Kind.DAILY, day=day
            )
            if settings.OMBUD_MAIL_CONFIGURED:
                from ombud.audit.tasks import mail_daily_checkpoint

                transaction.on_commit(lambda: mail_daily_checkpoint.enqueue(checkpoint.pk))
    except IntegrityError:
        return None  # another worker signed today's checkpoint first
    return checkpoint
