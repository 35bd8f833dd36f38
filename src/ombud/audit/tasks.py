"""Background jobs of the audit log."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django_tasks import task

from ombud.audit.models import AuditCheckpoint, chain_time
from ombud.language import in_organisation_language


@task()
@in_organisation_language
def mail_daily_checkpoint(checkpoint_id: int) -> int:
    """E-mail the daily checkpoint to every auditor, so copies exist off the server."""
    from ombud.directory.selectors import users_with_role

    checkpoint = AuditCheckpoint.objects.get(pk=checkpoint_id)
    subject = _("Ombud audit checkpoint for %(day)s") % {"day": checkpoint.day}
    body = _(
        "Keep this message. It lets you prove later that the audit log was not rewritten.\n\n"
        "Organisation: %(org)s\n"
        "Day (UTC): %(day)s, sealed with its last entry\n"
        "Entry: %(seq)s\n"
        "Entry hash: %(hash)s\n"
        "Signed at: %(at)s\n"
        "Server public key: %(key)s\n"
        "Signature: %(signature)s\n\n"
        "To check: ombud audit verify --expect %(seq)s:%(hash)s\n"
    ) % {
        "org": settings.OMBUD_ORGANISATION_NAME,
        "day": checkpoint.day,
        "seq": checkpoint.seq,
        "hash": checkpoint.entry_hash,
        "at": chain_time(checkpoint.at),
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
        ) % {"days": ", ".join(str(day) for day in days.order_by("day"))}
    sent = 0
    for user in users_with_role("auditor"):
        if user.email:
            sent += send_mail(subject, body, None, [user.email])
    return sent
