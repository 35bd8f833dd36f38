"""The e-mail outbox: notifications are rows written with their cause, and the
worker sends them, retrying with back-off (1, 2, 4… minutes, at most an hour
apart) until the mail server takes them.

Each message that leaves records how (``OutboxMessage.outcome``): "sent" only when
a mail server accepted it; "written to the mail folder" in development
(OMBUD_MAIL=folder); "not sent: mail is off" with OMBUD_MAIL=off."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone

from ombud.crypto import boxes
from ombud.operations.mailfolder import FolderBackend
from ombud.operations.models import OutboxMessage, Outcome
from ombud.operations.notify_key import notify_private_key

logger = logging.getLogger(__name__)
MAX_BACKOFF = dt.timedelta(hours=1)
# Longer than one send can take (EMAIL_TIMEOUT is 20 s a step of the conversation).
CLAIM_LEASE = dt.timedelta(minutes=10)


class NotTaken(Exception):
    """The mail backend returned without taking the message (and without an error)."""


def outbox_put(
    *, to: str, subject: str, body: str, sealed_to: bytes | None = None, key: str = ""
) -> OutboxMessage | None:
    """Queue a message; call it inside the transaction of its cause."""
    if not to and not sealed_to:
        return None
    return OutboxMessage.objects.create(
        to=to,
        sealed_to=sealed_to,
        key=key,
        subject=subject,
        body=body,
        next_attempt_at=timezone.now(),
    )


def _unseal(sealed: bytes) -> str:
    return boxes.unseal(notify_private_key(), sealed).decode()


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _outcome(connection: object) -> Outcome:
    # Tests stand Django's in-memory backend in for the mail server.
    return Outcome.FOLDER if isinstance(connection, FolderBackend) else Outcome.SENT


def mail_outcome() -> Outcome:
    """What becomes of the messages that leave the outbox now."""
    if settings.OMBUD_MAIL == "off":
        return Outcome.OFF
    return _outcome(get_connection())


def outbox_claim(pk: int, now: dt.datetime) -> OutboxMessage | None:
    """Take one message due by ``now`` for sending, or None when it is not ours to send.

    The claim is a guarded update: it succeeds only while the message is unsent, due
    and not held by another worker, and it holds the message for ``CLAIM_LEASE`` of
    real time (the lease ends when the send succeeds or fails). So of two workers
    that both listed it, one sends it, even when one of them sweeps as if it were
    later (``ombud deadlines sweep --now``). A worker that dies while sending
    releases it when the lease runs out."""
    real_now = timezone.now()
    claimable = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=real_now),
        pk=pk,
        sent_at__isnull=True,
        next_attempt_at__lte=now,
    )
    message = claimable.first()
    if message is None:
        return None
    message.attempts += 1
    # The next attempt after a failure, counted from the later of both clocks.
    message.next_attempt_at = max(now, real_now) + _backoff(message.attempts)
    message.claimed_until = real_now + CLAIM_LEASE
    claimed = claimable.filter(attempts=message.attempts - 1).update(
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        claimed_until=message.claimed_until,
    )
    return message if claimed else None


def outbox_send(now: dt.datetime | None = None, limit: int = 100) -> int:
    """Send what is due; returns how many left the outbox (sent, written to the mail
    folder, or, with mail off, marked not sent: `mail_outcome` says which)."""
    now = now or timezone.now()
    due = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    if settings.OMBUD_MAIL == "off":
        # Said on purpose: nothing goes out, and each message says so.
        return OutboxMessage.objects.filter(pk__in=due, sent_at__isnull=True).update(
            sent_at=timezone.now(), outcome=Outcome.OFF, last_error=""
        )
    sent = 0
    connection = get_connection()
    outcome = _outcome(connection)
    for pk in due:
        message = outbox_claim(pk, now)
        if message is None:
            continue  # another worker took it, or it has left
        try:
            address = message.to or _unseal(bytes(message.sealed_to or b""))
            taken = EmailMessage(
                message.subject,
                message.body,
                settings.DEFAULT_FROM_EMAIL,
                [address],
                connection=connection,
            ).send()
            if taken != 1:
                raise NotTaken
        except Exception as exc:  # the server refused or is away: try again later
            # Only the kind of failure and the server's code: its text can hold the
            # recipient's address, which for a reporter must not be stored in clear.
            code = getattr(exc, "smtp_code", "") or ""
            recipients = getattr(exc, "recipients", None)
            if not code and isinstance(recipients, dict):
                code = " ".join(str(answer[0]) for answer in recipients.values())
            OutboxMessage.objects.filter(pk=pk).update(
                last_error=f"{type(exc).__name__} {code}".strip()[:300], claimed_until=None
            )
            logger.warning("mail to the outbox's message %s failed: %s", pk, type(exc).__name__)
            connection = get_connection()
            continue
        OutboxMessage.objects.filter(pk=pk).update(
            sent_at=timezone.now(), outcome=outcome, last_error="", claimed_until=None
        )
        sent += 1
    return sent
