"""The one door to a case's content. Nothing else in Ombud decrypts what is written
about a case (``tests/cases/test_read_entries.py`` holds every module to it).

Staff get content only through :func:`case_read` (the case page) and
:func:`case_attachment_read` (one file). Each finds the case through
``case_get_for_user``, refuses before she confirmed having no conflict, opens the
case key with her own key, checks the reporter's managers again, and writes the
read entry before returning anything: a page that shows the case, whatever
brought it there (a refused reply, a refused transition), has its entry.
:func:`case_parties_read` opens only who the report names (sealed apart from the
rest), for the page where a reader says whether she is conflicted, with a read
entry of its own. :func:`case_open_to_read` is the same door for the investigation's own records:
it writes the read entry it is given and hands their reader the key.
:func:`case_open_for_action` gives the key to write with (seal a record, grant
the key) and returns nothing decrypted, so it writes no read entry; the action
writes its own.

The reporter reads her own case with the key her receipt derives, through
:func:`reporter_case_content`. Her reads are not logged, as before: the log is
every auditor's to read, and an entry each time an anonymous reporter looks
would put her visits on a timeline someone could match against who was where.

The decrypting helpers below are private to this module."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from ombud.access.routing import conflicts_refresh
from ombud.access.selectors import case_get_for_user, has_confirmed
from ombud.access.services import CaseKeyUnavailable, case_key_open
from ombud.audit.services import audit_record
from ombud.cases.models import Attachment, Case, CaseNote, Message, Party, TimelineEvent
from ombud.cases.records import record_context
from ombud.cases.report import AccusedRelationship, IdentityMode, Report
from ombud.crypto import aead
from ombud.directory.models import Person, User
from ombud.integrity import RowTampered, rows_valid


@dataclass(frozen=True)
class ReporterAccess:
    """A reporter's way into her own case: the case and the key her receipt derives."""

    case: Case
    case_key: bytes


# The read entries: the auditors' "who looked at this case" counts these.
READ = "cases.case.read"
ATTACHMENT_READ = "cases.attachment.opened"
ORIGINAL_READ = "cases.attachment.original_opened"
PARTIES_READ = "cases.parties.read"


class CaseNotConfirmed(Exception):
    """She has not yet said she has no conflict: nothing is decrypted before."""

    def __init__(self, case: Case) -> None:
        super().__init__(case.ref)
        self.case = case


class CaseLocked(Exception):
    """Her key is not unlocked in this session, or does not open this case."""

    def __init__(self, case: Case) -> None:
        super().__init__(case.ref)
        self.case = case


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


@dataclass(frozen=True)
class NoteView:
    author: str
    body: str
    created_at: datetime.datetime


@dataclass(frozen=True)
class NamedPerson:
    """Someone a case involves, as the page before the conflict question shows them."""

    name: str
    part: str
    unit: str = ""
    title: str = ""


@dataclass(frozen=True)
class PartiesReading:
    """Who a case involves, for a reader who has not yet said she has no conflict.
    ``complete`` is False when only the people linked to the directory could be shown
    (a case from before the names were sealed apart); ``checked`` is False, and
    nobody is listed, when her key is locked: the reporter's managers could not be
    checked again."""

    case: Case
    people: list[NamedPerson]
    complete: bool
    checked: bool


@dataclass(frozen=True)
class CaseReading:
    """What a reader's page shows, decrypted once its read entry is written."""

    case: Case
    content: CaseContent
    notes: list[NoteView]


# The doors --------------------------------------------------------------------


@sensitive_variables()
def case_open_for_action(
    *, user: User, public_id: str, private: bytes | None
) -> tuple[Case, bytes]:
    """The case and its key, for an action that writes (a note, a reply, a
    transition, a grant). Http404, CaseNotConfirmed or CaseLocked otherwise.
    Nothing decrypted leaves here: to show the case, call :func:`case_read`."""
    case, case_key, _report = _opened(user=user, public_id=public_id, private=private)
    return case, case_key


@sensitive_variables()
def case_read(*, user: User, public_id: str, private: bytes | None) -> CaseReading:
    """Everything the case page shows, after writing its read entry."""
    case, case_key, report = _opened(user=user, public_id=public_id, private=private)
    _read_recorded(user, case, READ)
    return CaseReading(
        case=case,
        content=_case_content(case, case_key, report),
        notes=_case_notes(case, case_key),
    )


@sensitive_variables()
def case_open_to_read(
    *, user: User, public_id: str, private: bytes | None, action: str, **details: str
) -> tuple[Case, bytes]:
    """The case and its key for a domain above this one that shows records of its
    own (``ombud.investigation.reading``), after writing the read entry ``action``
    with ``details``: the same checks as :func:`case_read`, and nothing decrypted
    here. The caller opens only its own records, and only after this returns."""
    case, case_key, _report = _opened(user=user, public_id=public_id, private=private)
    _read_recorded(user, case, action, **details)
    return case, case_key


@sensitive_variables()
def case_parties_read(*, user: User, public_id: str, private: bytes | None) -> PartiesReading:
    """Who the case involves (the accused as the report names them, the people linked
    to the directory with their units, a named reporter) and nothing else, after
    writing its read entry: the page where she says whether she is conflicted. It
    needs no confirmation, but the same reader's right as the case itself. A
    confidential or anonymous reporter is never among them."""
    case = case_get_for_user(user=user, public_id=public_id)
    named: dict[str, Any] | None = None
    case_key: bytes | None = None
    if private is not None:
        try:
            case_key = case_key_open(case=case, user=user, private=private)
        except CaseKeyUnavailable:
            case_key = None
    if case_key is None:
        # Without the key, her managers cannot be checked again (someone who became
        # one after routing): nobody is named until they are.
        _read_recorded(user, case, PARTIES_READ, record="none")
        return PartiesReading(case=case, people=[], complete=False, checked=False)
    if case.named is not None:
        named = _record_open_json(
            case_key=case_key, case=case, kind="parties", record_id=case.public_id, blob=case.named
        )
        _reporter_chain_checked(user, case, named["reporter"]["employee_id"])
    else:  # a case from before the names were sealed apart: her managers from the report
        reporter = case_reporter_for_conflicts(case=case, case_key=case_key)
        _reporter_chain_checked(user, case, reporter.employee_id if reporter else "")
    _read_recorded(user, case, PARTIES_READ, record="parties" if named else "directory")
    return PartiesReading(
        case=case, people=_named_people(case, named), complete=bool(named), checked=True
    )


@sensitive_variables()
def case_attachment_read(
    *,
    user: User,
    public_id: str,
    private: bytes | None,
    attachment_id: uuid.UUID,
    original: bool = False,
) -> tuple[AttachmentView, bytes]:
    """One file's copy without metadata (or, when asked, its original), after
    writing its read entry. Http404 for a file that is not this case's."""
    case, case_key, _report = _opened(user=user, public_id=public_id, private=private)
    attachment = Attachment.objects.filter(case=case, pk=attachment_id).first()
    if attachment is None:
        raise Http404
    _read_recorded(
        user, case, ORIGINAL_READ if original else ATTACHMENT_READ, attachment=str(attachment.id)
    )
    kind = "attachment-original" if original else "attachment-stripped"
    blob = attachment.original if original else attachment.stripped
    data = _record_open(case_key=case_key, case=case, kind=kind, record_id=attachment.id, blob=blob)
    return _attachment_view(case, case_key, attachment), data


@sensitive_variables()
def reporter_case_content(access: ReporterAccess) -> CaseContent:
    """The reporter's own case, opened with her receipt's key (not logged: see above)."""
    return _case_content(access.case, access.case_key)


# Behind the doors ---------------------------------------------------------------


@sensitive_variables()
@sensitive_variables()
def case_reporter_for_conflicts(*, case: Case, case_key: bytes) -> Person | None:
    """A named or confidential reporter's directory entry, for a key holder's
    conflict check when a pending grant is fulfilled (her managers must not be
    sealed the key). Nothing is shown to anyone, so no read entry; None for an
    anonymous reporter or a case without a report."""
    if case.report is None:
        return None
    identity = _case_report(case, case_key).identity
    if identity.mode == "anonymous" or not identity.employee_id:
        return None
    return Person.objects.filter(employee_id=identity.employee_id).first()


@sensitive_variables()
def case_reporter_mode(*, case: Case, case_key: bytes) -> str:
    """The reporter's mode alone (anonymous, confidential, named), for a page that
    already wrote its read entry and must warn about her (the accused's notice);
    nothing else of the report leaves here."""
    if case.report is None:
        return IdentityMode.ANONYMOUS
    return str(_case_report(case, case_key).identity.mode or IdentityMode.ANONYMOUS)


def _opened(*, user: User, public_id: str, private: bytes | None) -> tuple[Case, bytes, Report]:
    case = case_get_for_user(user=user, public_id=public_id)
    if not has_confirmed(user=user, case=case):
        raise CaseNotConfirmed(case)
    if private is None:
        raise CaseLocked(case)
    try:
        case_key = case_key_open(case=case, user=user, private=private)
    except CaseKeyUnavailable:
        raise CaseLocked(case) from None
    report = _case_report(case, case_key)
    identity = report.identity
    _reporter_chain_checked(
        user, case, identity.employee_id if identity.mode != "anonymous" else ""
    )
    return case, case_key, report


def _read_recorded(user: User, case: Case, action: str, **details: str) -> None:
    audit_record(
        actor=user,
        action=action,
        obj=case,
        details={
            "case": case.ref,
            "permission": case.permission,  # type: ignore[attr-defined]
            **details,
        },
    )


def _reporter_chain_checked(user: User, case: Case, employee_id: str) -> None:
    """The reporter's own managers change with the directory, and only a reader can
    see who she is: check them again whenever the case is opened (Http404 for a
    reader who turns out to be one of them). ``employee_id`` is empty for an
    anonymous reporter."""
    if employee_id:
        reporter = Person.objects.filter(employee_id=employee_id).first()
        try:
            conflicted = reporter is not None and user in conflicts_refresh(
                actor=user, case=case, reporter=reporter
            )
        except RowTampered:
            raise Http404 from None  # her managers cannot be known: nobody reads it now
        if conflicted:
            raise Http404


def _named_people(case: Case, named: dict[str, Any] | None) -> list[NamedPerson]:
    """The accused as the report names them (a directory entry, when one is linked,
    gives the name and the unit), then everyone else linked to the directory, then a
    named reporter. Two queries, whatever the number of people."""
    accused = (named or {}).get("accused", [])
    reporter = (named or {}).get("reporter", {})
    wanted = {item.get("employee_id") or "" for item in accused}
    if reporter.get("name"):  # a confidential reporter's id is for the check alone
        wanted.add(reporter.get("employee_id") or "")
    directory = {
        person.employee_id: person
        for person in Person.objects.filter(employee_id__in=wanted - {""}).select_related("unit")
    }
    relationships = dict(AccusedRelationship.choices)
    people: list[NamedPerson] = []
    shown: set[str] = set()
    for item in accused:
        person = directory.get(item.get("employee_id") or "")
        relationship = str(relationships.get(item.get("relationship", ""), ""))
        relationship = relationship[:1].lower() + relationship[1:]  # "accused (a client)"
        people.append(
            NamedPerson(
                name=item.get("name") or (person.name if person else item.get("employee_id", "")),
                part=_("accused") + (f" ({relationship})" if relationship else ""),
                unit=person.unit.path if person and person.unit else "",
                title=person.title if person else "",
            )
        )
        if person is not None:
            shown.add(f"{Party.Role.ACCUSED}:{person.employee_id}")
    parties = Party.objects.filter(case=case).select_related("person__unit").order_by("pk")
    for party in rows_valid(parties):
        if f"{party.role}:{party.person.employee_id}" in shown:
            continue
        people.append(
            NamedPerson(
                name=party.person.name,
                part=party.get_role_display(),
                unit=party.person.unit.path if party.person.unit else "",
                title=party.person.title,
            )
        )
    if reporter.get("name"):
        person = directory.get(reporter.get("employee_id") or "")
        people.append(
            NamedPerson(
                name=reporter["name"],
                part=_("reporter (named)"),
                unit=person.unit.path if person and person.unit else "",
                title=person.title if person else "",
            )
        )
    return people


def _record_open(
    *, case_key: bytes, case: Case, kind: str, record_id: object, blob: bytes | memoryview
) -> bytes:
    return aead.decrypt(case_key, bytes(blob), record_context(case, kind, record_id, 1))


def _record_open_json(
    *, case_key: bytes, case: Case, kind: str, record_id: object, blob: bytes | memoryview
) -> Any:
    return json.loads(
        _record_open(case_key=case_key, case=case, kind=kind, record_id=record_id, blob=blob)
    )


def _attachment_view(case: Case, case_key: bytes, attachment: Attachment) -> AttachmentView:
    meta = _record_open_json(
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


def _case_report(case: Case, case_key: bytes) -> Report:
    if case.report is None:
        raise ValueError(f"{case.ref} has no report")
    return Report.from_dict(
        _record_open_json(
            case_key=case_key,
            case=case,
            kind="report",
            record_id=case.public_id,
            blob=case.report,
        )
    )


def _case_content(case: Case, case_key: bytes, report: Report | None = None) -> CaseContent:
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
        data = _record_open_json(
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
        report=report if report is not None else _case_report(case, case_key),
        attachments=[view for view in attachments if view.message_id is None],
        messages=messages,
        timeline=list(TimelineEvent.objects.filter(case=case)),
    )


def _case_notes(case: Case, case_key: bytes) -> list[NoteView]:
    return [
        NoteView(
            author=note.author.display_name(),
            body=_record_open_json(
                case_key=case_key, case=case, kind="note", record_id=note.id, blob=note.body
            )["body"],
            created_at=note.created_at,
        )
        for note in CaseNote.objects.filter(case=case).select_related("author__person")
    ]
