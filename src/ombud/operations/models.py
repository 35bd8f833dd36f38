from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

HEARTBEAT_STALE_AFTER = dt.timedelta(minutes=2)


class WorkerHeartbeat(models.Model):
    """The last sign of life of one background worker process."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.hostname}"

    def is_alive(self, now: dt.datetime) -> bool:
        return now - self.beat_at <= HEARTBEAT_STALE_AFTER


class Outcome(models.TextChoices):
    """What became of a message that left the outbox."""

    SENT = "sent", _("sent")  # a mail server accepted it
    FOLDER = "folder", _("written to the mail folder")  # OMBUD_MAIL=folder: nobody got it
    OFF = "off", _("not sent: mail is off")  # OMBUD_MAIL=off


class OutboxMessage(models.Model):
    """An e-mail to send, written in the same transaction as what caused it and sent
    by the worker, with retries and back-off: a crash or a mail server that refuses
    for a while loses nothing. Bodies never hold case content."""

    to = models.EmailField(blank=True)
    # Or the address sealed to the notification key (a reporter's), opened by the
    # worker only when it sends.
    sealed_to = models.BinaryField(null=True, blank=True)
    # Messages with the same key wait once (one "there is news" per case at a time).
    key = models.CharField(max_length=80, blank=True, db_index=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    # While a worker is sending it (real time): no other worker takes it before then,
    # whatever instant a sweep runs as (`ombud deadlines sweep --now`).
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When it left the outbox, and how: only "sent" means a mail server took it.
    sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"mail to {self.to}: {self.subject}"
