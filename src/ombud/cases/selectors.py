"""Reading a case's content with its key. Views reach the case itself only through
``ombud.access.selectors.case_get_for_user`` (staff) or the reporter's receipt."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from ombud.cases.models import Attachment, Case, CaseNote, Message, TimelineEvent
from ombud.cases.records import record_open, record_open_json
from ombud.intake.report import Report


@dataclass(frozen=True)
class AttachmentView:
    id: uuid.UUID
    name: str
    mime: str
    size: int
    sha256: str
    message_id: uuid.UUID | None


@dataclass(frozen=True)
class MessageView:
    id: uuid.UUID
    direction: str
    author: str
    body: str
    information: bool
    created_at: datetime.datetime
    attachments: list[AttachmentView] = field(default_factory=list)

    @property
    def from_reporter(self) -> bool:
        return self.direction == Message.Direction.FROM_REPORTER


@dataclass(frozen=True)
class CaseContent:
    report: Report
    attachments: list[AttachmentView]  # given with the report
    messages: list[MessageView]
    timeline: list[TimelineEvent]


def _attachment_view(case: Case, case_key: bytes, attachment: Attachment) -> AttachmentView:
    meta = record_open_json(
        case_key=case_key,
        case=case,
        kind="attachment-meta",
        record_id=attachment.id,
        blob=attachment.meta,
    )
    return AttachmentView(
        id=attachment.id,
        name=meta["name"],
        mime=meta["mime"],
        size=meta["size"],
        sha256=meta["sha256"],
        message_id=attachment.message_id,
    )


def case_report(case: Case, case_key: bytes) -> Report:
    if case.report is None:
        raise ValueError(f"{case.ref} has no report")
    return Report.from_dict(
        record_open_json(
            case_key=case_key,
            case=case,
            kind="report",
            record_id=case.public_id,
            blob=case.report,
        )
    )


def case_content(case: Case, case_key: bytes) -> CaseContent:
    attachments = [
        _attachment_view(case, case_key, attachment)
        for attachment in Attachment.objects.filter(case=case).defer("original", "stripped")
    ]
    by_message: dict[uuid.UUID, list[AttachmentView]] = {}
    for view in attachments:
        if view.message_id:
            by_message.setdefault(view.message_id, []).append(view)
    messages = []
    for message in Message.objects.filter(case=case).select_related("author__person"):
        data = record_open_json(
            case_key=case_key, case=case, kind="message", record_id=message.id, blob=message.body
        )
        messages.append(
            MessageView(
                id=message.id,
                direction=message.direction,
                author=message.author.display_name() if message.author else "",
                body=data["body"],
                information=data["information"],
                created_at=message.created_at,
                attachments=by_message.get(message.id, []),
            )
        )
    return CaseContent(
        report=case_report(case, case_key),
        attachments=[view for view in attachments if view.message_id is None],
        messages=messages,
        timeline=list(TimelineEvent.objects.filter(case=case)),
    )


def attachment_file(
    *, case: Case, case_key: bytes, attachment_id: uuid.UUID, original: bool = False
) -> tuple[AttachmentView, bytes] | None:
    """One attachment's stripped copy (or, when asked, its original) and its details."""
    attachment = Attachment.objects.filter(case=case, pk=attachment_id).first()
    if attachment is None:
        return None
    kind = "attachment-original" if original else "attachment-stripped"
    blob = attachment.original if original else attachment.stripped
    data = record_open(case_key=case_key, case=case, kind=kind, record_id=attachment.id, blob=blob)
    return _attachment_view(case, case_key, attachment), data


@dataclass(frozen=True)
class NoteView:
    author: str
    body: str
    created_at: datetime.datetime


def case_notes(case: Case, case_key: bytes) -> list[NoteView]:
    return [
        NoteView(
            author=note.author.display_name(),
            body=record_open_json(
                case_key=case_key, case=case, kind="note", record_id=note.id, blob=note.body
            )["body"],
            created_at=note.created_at,
        )
        for note in CaseNote.objects.filter(case=case).select_related("author__person")
    ]
