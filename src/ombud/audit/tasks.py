"""Background jobs of the audit log."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tasks import task

from ombud.audit.models import AuditCheckpoint, chain_time
from ombud.language import in_organisation_language

# Who the auditors are is the directory's to say, a layer above the log: its
# DirectoryConfig.ready() hands the question over here.
_auditors: list[Callable[[], Iterable[Any]]] = []


def auditors_from(source: Callable[[], Iterable[Any]]) -> None:
    """Where the daily checkpoint finds its readers (the active auditors)."""
    _auditors[:] = [source]


def auditors() -> Iterable[Any]:
    if not _auditors:
        raise RuntimeError("the directory has not said who the auditors are")
    return _auditors[0]()


@task()
@in_organisation_language
def mail_daily_checkpoint(checkpoint_id: int) -> int:
    """E-mail the daily checkpoint to every auditor, so copies exist off the server."""
    checkpoint = AuditCheckpoint.objects.get(pk=checkpoint_id)
    if checkpoint.day is None:
        raise ValueError(f"checkpoint {checkpoint_id} is not a daily one")
    day = date_format(checkpoint.day, "DATE_FORMAT")
    subject = _("Ombud audit checkpoint for %(day)s") % {"day": day}
    body = _(
        "Keep this message. It lets you prove later that the audit log was not rewritten.\n\n"
        "Organisation: %(org)s\n"
        "Day (UTC): %(day)s, sealed with its last entry\n"
        "Entry: %(seq)s\n"
        "Entry hash: %(hash)s\n"
        "Signed at: %(when)s (exactly %(at)s)\n"
        "Server public key: %(key)s\n"
        "Signature: %(signature)s\n\n"
        "To check: ombud audit verify --expect %(seq)s:%(hash)s\n"
    ) % {
        "org": settings.OMBUD_ORGANISATION_NAME,
        "day": day,
        "seq": checkpoint.seq,
        "hash": checkpoint.entry_hash,
        "when": date_format(timezone.localtime(checkpoint.at), "DATETIME_FORMAT"),
        "at": chain_time(checkpoint.at),  # as signed, to check the signature by hand
        "key": checkpoint.public_key,
        "signature": checkpoint.signature,
    }
    if checkpoint.late:
        days = AuditCheckpoint.objects.filter(
            kind=AuditCheckpoint.Kind.DAILY, late=True, at=checkpoint.at
        ).values_list("day", flat=True)
        body += "\n" + _(
            "Signed late: the server's worker was not running when these days ended, so "
            "they were sealed only at the time above: %(days)s. A change made to their "
            "entries before then would not show; compare with the checkpoints you kept.\n"
        ) % {
            "days": ", ".join(
                date_format(late, "DATE_FORMAT") for late in days.order_by("day") if late
            )
        }
    sent = 0
    for user in auditors():
        if user.email:
            sent += send_mail(subject, body, None, [user.email])
    return sent
