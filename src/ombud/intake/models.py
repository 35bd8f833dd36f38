from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Draft(models.Model):
    """A report being written: what was typed and the files given so far, encrypted
    under a random key that lives only in the reporter's cookie. Cleared after
    submission and, unfinished, after a few hours."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Set, once, in the transaction that stores the report: a second "send" (a
    # double click) finds it set and shows the same receipt instead of a new case.
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "draft report"


class DraftFile(models.Model):
    """A file given with a draft: its name, type, hash, original and stripped copy,
    encrypted under the draft's key as it arrives."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="files")
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return "draft file"


class Guidance(models.Model):
    """What the organisation tells every reporter after she submits: where to find
    help now and how to keep evidence. Edited by the administrators."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    help_now = models.TextField(
        _("where to find help now"),
        default=_(
            "If you are in danger, call the emergency services now. "
            "You can talk in confidence to the employee assistance line at any hour, "
            "and to your doctor. You do not have to go through this alone."
        ),
    )
    preserve_evidence = models.TextField(
        _("how to keep evidence"),
        default=_(
            "Keep messages, e-mails and photos as they are; do not forward them from a "
            "work account. Write down what happened, when and who was there while you "
            "remember it, and keep the note somewhere only you can reach. After an "
            "assault, a clinic can keep medical evidence for you without you deciding "
            "now whether to go to the police."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("guidance for reporters")
        verbose_name_plural = _("guidance for reporters")

    def __str__(self) -> str:
        return str(_("guidance for reporters"))

    @classmethod
    def current(cls) -> Guidance:
        return cls.objects.filter(pk=1).first() or cls()
