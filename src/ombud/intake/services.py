"""Receiving reports and messages. Everything a reporter writes is encrypted with
the case key before it is saved; the reporter holds the case key through her
receipt, the readers through their key pairs, the organisation through the
recovery key."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ombud.access.reading import ReporterAccess
from ombud.access.routing import case_route
from ombud.access.services import (
    CaseKeyUnavailable,
    case_create,
    case_key_open_by_reporter,
    case_key_seal_to_reporter,
)
from ombud.audit.services import audit_batch, audit_record
from ombud.cases.models import Attachment, Case, Message, Party, TimelineEvent
from ombud.cases.records import record_seal, record_seal_json
from ombud.cases.report import ACKNOWLEDGE_DAYS, Report
from ombud.cases.reporter_key import reporter_sign_key_set
from ombud.cases.signals import case_event
from ombud.crypto import receipts, signing
from ombud.directory.models import Person, User
from ombud.intake.attachments import Accepted
from ombud.operations.notify import reporter_contact_seal

REPORTER = "reporter"  # the audit log's actor for what a reporter does: no identity


class ReceiptUnknown(Exception):
    """No case answers to this receipt (or it is not a receipt): the same either way."""


@dataclass(frozen=True)
class Submitted:
    case: Case
    receipt: str
    acknowledge_by: datetime.date


@sensitive_variables()
def attachment_store(
    *, case: Case, case_key: bytes, accepted: Accepted, message: Message | None = None
) -> Attachment:
    attachment = Attachment(case=case, message=message)
    meta = {
        "name": accepted.name,
        "mime": accepted.mime,
        "size": accepted.size,
        "sha256": accepted.sha256,
    }
    record_id = attachment.id
    attachment.meta = record_seal_json(
        case_key=case_key, case=case, record_id=record_id, kind="attachment-meta", data=meta
    )
    attachment.original = record_seal(
        case_key=case_key,
        case=case,
        record_id=record_id,
        kind="attachment-original",
        data=accepted.original,
    )
    attachment.stripped = record_seal(
        case_key=case_key,
        case=case,
        record_id=record_id,
        kind="attachment-stripped",
        data=accepted.stripped,
    )
    attachment.save(force_insert=True)
    return attachment


@sensitive_variables()
def report_submit(
    *,
    actor: User | str,
    report: Report,
    files: Sequence[Accepted] = (),
    channel: str = Case._meta.get_field("channel").default,
) -> Submitted:
    """Store a report, its files, the keys, the timeline and the audit entry together,
    or nothing. Returns the receipt, which is stored nowhere."""
    receipt = receipts.receipt_new()
    # One transaction; its audit entries written together at its end (audit_batch).
    with transaction.atomic(), audit_batch():
        case, case_key = case_create(actor=actor, readers=[], check_readers=False)
        case.category = report.category
        case.context = report.context
        case.channel = channel
        acknowledge_by = timezone.localdate() + datetime.timedelta(days=ACKNOWLEDGE_DAYS)
        case.acknowledge_by = acknowledge_by
        case.report = record_seal_json(
            case_key=case_key,
            case=case,
            kind="report",
            record_id=case.public_id,
            data=report.as_dict(),
        )
        case.named = record_seal_json(
            case_key=case_key,
            case=case,
            kind="parties",
            record_id=case.public_id,
            data=report.named(),
        )
        case_key_seal_to_reporter(
            actor=actor,
            case=case,
            case_key=case_key,
            lookup_id=receipts.receipt_lookup_id(receipt),
            reporter_key=receipts.receipt_reporter_key(receipt),
            save=False,  # written with the report, next: one UPDATE, not two
        )
        reporter_sign_key_set(
            case=case,
            public_key=signing.public_key(receipts.receipt_signing_seed(receipt)),
            save=False,
        )
        case.save()
        named = {item.employee_id for item in report.accused if item.employee_id}
        for person in Person.objects.filter(employee_id__in=named):
            Party.objects.create(case=case, person=person, role=Party.Role.ACCUSED)
        reporter = None
        if report.identity.mode != "anonymous" and report.identity.employee_id:
            # Only to find her managers now; her id is not stored in clear.
            reporter = Person.objects.filter(employee_id=report.identity.employee_id).first()
        identity = report.identity
        if identity.mode == "named" and report.contact_ok and identity.email:
            case.reporter_contact = reporter_contact_seal(identity.email)
            case.save(update_fields=["reporter_contact"])
        case_route(actor=actor, case=case, case_key=case_key, reporter=reporter)
        case_event.send(sender=Case, case=case, event="received", at=case.created_at)
        acknowledge_by = case.acknowledge_by or acknowledge_by
        for accepted in files:
            attachment_store(case=case, case_key=case_key, accepted=accepted)
        TimelineEvent.objects.create(case=case, kind=TimelineEvent.Kind.RECEIVED)
        audit_record(
            actor=actor,
            action="intake.report.submitted",
            obj=case,
            details={
                "case": case.ref,
                "channel": channel,
                "category": case.category,
                "attachments": len(files),
            },
        )
    return Submitted(case=case, receipt=receipt, acknowledge_by=acknowledge_by)


@sensitive_variables()
def case_open_by_receipt(receipt: str) -> ReporterAccess:
    """The case and its key for a receipt; ReceiptUnknown otherwise. A malformed
    receipt costs the same lookup as an unknown one, so neither is told apart."""
    try:
        lookup = receipts.receipt_lookup_id(receipt)
        key = receipts.receipt_reporter_key(receipt)
    except receipts.ReceiptMalformed:
        lookup, key = secrets.token_hex(32), b"\0" * 32
    case = Case.objects.filter(receipt_lookup=lookup).first()
    if case is None:
        raise ReceiptUnknown
    try:
        access = ReporterAccess(
            case=case, case_key=case_key_open_by_reporter(case=case, reporter_key=key)
        )
    except CaseKeyUnavailable as exc:
        raise ReceiptUnknown from exc
    if case.reporter_sign_key is None:
        _sign_key_given(case, receipt)
    return access


@sensitive_variables()
def _sign_key_given(case: Case, receipt: str) -> None:
    """A case from before reporters signed: her public key, now that her receipt opened
    it (only her receipt derives it). A key already there is never replaced, even one
    failing its tag: that is shown to staff, not papered over."""
    with transaction.atomic():
        public_key = signing.public_key(receipts.receipt_signing_seed(receipt))
        reporter_sign_key_set(case=case, public_key=public_key)
        audit_record(
            actor=REPORTER,
            action="intake.reporter.sign_key_set",
            obj=case,
            details={"case": case.ref},
        )


@sensitive_variables()
def message_from_reporter(
    *, access: ReporterAccess, body: str, files: Sequence[Accepted] = (), information: bool = False
) -> Message:
    """A message, or more information about what happened, from the reporter."""
    case, case_key = access.case, access.case_key
    with transaction.atomic():
        message = Message(case=case, direction=Message.Direction.FROM_REPORTER)
        message.body = record_seal_json(
            case_key=case_key,
            case=case,
            kind="message",
            record_id=message.id,
            data={"body": body, "information": information},
        )
        message.save(force_insert=True)
        for accepted in files:
            attachment_store(case=case, case_key=case_key, accepted=accepted, message=message)
        kind = (
            TimelineEvent.Kind.INFORMATION_ADDED
            if information
            else TimelineEvent.Kind.MESSAGE_FROM_REPORTER
        )
        TimelineEvent.objects.create(case=case, kind=kind, at=message.created_at)
        audit_record(
            actor=REPORTER,
            action="cases.message.from_reporter",
            obj=case,
            details={"case": case.ref, "attachments": len(files), "information": information},
        )
    return message
