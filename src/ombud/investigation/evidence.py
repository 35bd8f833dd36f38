"""Evidence and its custody log: the writes. An item's description, source, file
name, type, size and the SHA-256 taken when its file arrived are sealed together in
``meta``; the file itself, byte for byte as it arrived, in ``file`` (kind
``evidence-file``). A file added by staff passes the reporter's checks first
(``ombud.intake.attachments.accept``: the type from its content, the size limit, and
that it opens in the confined cleaner); the original is what is kept, because
evidence must be the file as received.

The custody log (``CustodyEntry``) names who touched an item, how and when. Views,
downloads and exports are written by ``ombud.investigation.reading`` (which opens the
file) through :func:`custody_record`, in the transaction of their read entry.

What the hash check catches, and what it does not: the ciphertext is authenticated
(a flipped byte does not decrypt, and is reported as a failed check), so the hash
adds the case of someone who holds the case key and puts back a different file
encrypted validly without the recorded SHA-256 (which is inside ``meta``). Whoever
rewrites both, with the key, is caught only by the audit log, whose "added" entry is
hash-chained and carries the item's keyed fingerprint (:func:`fingerprint`)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit.services import audit_record
from ombud.cases.models import Case
from ombud.directory.models import User
from ombud.intake.attachments import Accepted
from ombud.investigation.models import CustodyEntry, Evidence
from ombud.investigation.records import seal, seal_json

DESCRIPTION_MAX = 2_000
SOURCE_MAX = 300

ADDED = "investigation.evidence.added"
CHECK_FAILED = "investigation.evidence.check_failed"


def fingerprint(*, case_key: bytes, item_id: uuid.UUID, sha256: str) -> str:
    """The item's SHA-256 keyed with the case key: kept in the audit log, where an
    auditor cannot test a guessed file against it, and a key holder cannot rewrite it."""
    message = f"evidence:{item_id}:{sha256}".encode()
    return hmac.new(case_key, message, hashlib.sha256).hexdigest()


def _checked(description: str, source: str, upload: Accepted | None, physical: bool) -> None:
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = [_("Say what the item is.")]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [
            _("At most %(max)d characters.") % {"max": DESCRIPTION_MAX},
        ]
    if not source.strip():
        errors["source"] = [_("Say where it comes from (who gave it, or where it was found).")]
    elif len(source) > SOURCE_MAX:
        errors["source"] = [_("At most %(max)d characters.") % {"max": SOURCE_MAX}]
    if upload is None and not physical:
        errors["file"] = [
            _(
                "Choose a file, or tick “A physical item, without a file” for an object "
                "kept elsewhere."
            )
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def evidence_add(
    *,
    actor: User,
    case: Case,
    case_key: bytes,
    description: str,
    source: str,
    upload: Accepted | None,
    physical: bool = False,
    attachment_id: uuid.UUID | None = None,
) -> Evidence:
    """An item of evidence: ``upload`` (checked by ``accept``) or, for a physical item,
    none. ``attachment_id`` names the reporter's file it was registered from: then
    ``upload.sha256`` is the hash taken when her file arrived. ValidationError, by
    field, for what is missing."""
    _checked(description, source, upload, physical)
    item = Evidence(case=case, added_by=actor)
    meta: dict[str, Any] = {
        "description": description.strip(),
        "source": source.strip(),
        "name": "",
        "mime": "",
        "size": 0,
        "sha256": "",
        "attachment": str(attachment_id) if attachment_id else "",
    }
    if upload is not None:
        meta.update(name=upload.name, mime=upload.mime, size=upload.size, sha256=upload.sha256)
        item.file = seal(
            case=case, case_key=case_key, record=item, data=upload.original, field="file"
        )
    item.meta = seal_json(case=case, case_key=case_key, record=item, data=meta, field="meta")
    item.save(force_insert=True)
    CustodyEntry.objects.create(evidence=item, action=CustodyEntry.Action.ADDED, user=actor)
    details = {"case": case.ref, "evidence": str(item.id), "file": "yes" if upload else "no"}
    if upload is not None:
        details["fingerprint"] = fingerprint(
            case_key=case_key, item_id=item.id, sha256=upload.sha256
        )
    if attachment_id:
        details["attachment"] = str(attachment_id)
    audit_record(actor=actor, action=ADDED, obj=case, details=details)
    return item


def custody_record(
    *, actor: User, case: Case, item: Evidence, action: str, **details: str
) -> CustodyEntry:
    """One line of an item's custody log. A failed check also gets an audit entry of
    its own (views, downloads and exports have theirs: their read entry). Call it in
    the transaction of that entry."""
    entry = CustodyEntry.objects.create(evidence=item, action=action, user=actor, at=timezone.now())
    if action == CustodyEntry.Action.CHECK_FAILED:
        audit_record(
            actor=actor,
            action=CHECK_FAILED,
            obj=case,
            details={"case": case.ref, "evidence": str(item.id), **details},
        )
    return entry
