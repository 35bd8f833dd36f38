"""The investigation's records. Everything a person wrote about the case is in the
``content``/``body``/``file`` fields, encrypted with the case key
(``ombud.cases.records.record_seal_json``, kind = the model's ``KIND``, the row's
id and ``version`` as associated data). In clear, on purpose and listed in
``docs/stored-in-clear.md``: ids, dates, states and codes that run the workflow and
its deadlines, who did what (as in the audit log), and a directory person accused
(conflicts are computed from it, as from ``cases.Party``)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Category


class Allegation(models.Model):
    """One accused person and one category: a case may hold several (an executive
    and a client at the same dinner). ``content`` holds who is accused when he is not
    in the directory, and what is alleged."""

    KIND = "allegation"

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        INVESTIGATING = "under_investigation", _("Under investigation")
        SUBSTANTIATED = "substantiated", _("Substantiated")
        NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")
        INCONCLUSIVE = "inconclusive", _("Inconclusive")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="allegations")
    # The accused, when he is in the directory: he and his chain are kept away.
    person = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allegations",
    )
    category = models.CharField(max_length=30, choices=Category.choices)
    state = models.CharField(max_length=30, choices=State.choices, default=State.OPEN)
    content = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} allegation {self.state}"


class AccusedNotice(models.Model):
    """The accused told of an allegation: what was disclosed to him (reviewed by a
    second reader before it is recorded as sent, so that nothing in it reveals the
    reporter), when, and his response, due by ``respond_by`` (a deadline)."""

    KIND = "accused-notice"

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft, waiting for review")
        REVIEWED = "reviewed", _("Reviewed, not yet sent")
        SENT = "sent", _("Sent, waiting for the response")
        ANSWERED = "answered", _("Response recorded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    allegation = models.ForeignKey(Allegation, on_delete=models.PROTECT, related_name="notices")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    content = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    drafted_by = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        "directory.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"notice {self.state}"


class Minutes(models.Model):
    """Minutes of an interview (reporter, accused, witness) or of a meeting with the
    reporter, an oral report among them (EU directive Art. 18). Those of her own
    meetings she reads on her page and confirms or corrects (``MinutesReply``)."""

    KIND = "minutes"

    class Kind(models.TextChoices):
        REPORTER_MEETING = "reporter_meeting", _("Meeting with the reporter")
        ORAL_REPORT = "oral_report", _("Oral report (by phone or in person)")
        REPORTER_INTERVIEW = "reporter_interview", _("Interview of the reporter")
        ACCUSED_INTERVIEW = "accused_interview", _("Interview of the accused")
        WITNESS_INTERVIEW = "witness_interview", _("Interview of a witness")

    FOR_REPORTER = (Kind.REPORTER_MEETING, Kind.ORAL_REPORT, Kind.REPORTER_INTERVIEW)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="minutes")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    held_at = models.DateTimeField()
    body = models.BinaryField()
    # Every edit raises it: a confirmation of an earlier version no longer counts.
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    # For the reporter's own meetings: the deadline of her answer.
    confirm_by = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"minutes {self.kind}"


class MinutesReply(models.Model):
    """The reporter's answer to one version of minutes: confirmed (with her signature)
    or corrections asked (with what she wrote). ``content`` holds the signature, the
    SHA-256 of the text she was shown and her corrections."""

    KIND = "minutes-reply"

    class Answer(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed by the reporter")
        CORRECTIONS = "corrections", _("Corrections asked")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    minutes = models.ForeignKey(Minutes, on_delete=models.PROTECT, related_name="replies")
    minutes_version = models.PositiveIntegerField()
    answer = models.CharField(max_length=20, choices=Answer.choices)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"reply {self.answer}"

    @property
    def version(self) -> int:
        """Its ``content`` is sealed at the version it answers: a reply moved to another
        version of the minutes no longer opens."""
        return self.minutes_version


class Evidence(models.Model):
    """An item of evidence: ``meta`` holds its description, source, file name, type,
    size and the SHA-256 taken when the file arrived; ``file`` the file itself, when
    there is one (a physical item has none)."""

    KIND = "evidence"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="evidence")
    meta = models.BinaryField()
    file = models.BinaryField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    added_by = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"evidence {self.id}"


class CustodyEntry(models.Model):
    """Who touched an item of evidence, how and when: shown on the item. Like the
    audit log, it names people and moments, never content."""

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        VIEWED = "viewed", _("viewed")
        DOWNLOADED = "downloaded", _("downloaded")
        EXPORTED = "exported", _("exported")
        CHECK_FAILED = "check_failed", _("failed its hash check")

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="custody")
    action = models.CharField(max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        "directory.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.evidence_id} {self.action}"


class Measure(models.Model):
    """An interim measure: who decided it, from when, its review date (a deadline
    swept and escalated like the others) and its end. ``content`` holds whom it
    applies to, the details, and, when it affects the reporter, what she is told."""

    KIND = "measure"

    class Kind(models.TextChoices):
        SUSPENSION = "suspension", _("Suspension")
        PAID_LEAVE = "paid_leave", _("Paid leave")
        NO_CONTACT = "no_contact", _("No-contact order")
        REPORTING_LINE = "reporting_line", _("Change of reporting line")
        TRAVEL = "travel", _("Change of travel arrangements")
        REPORTER_PROTECTION = "reporter_protection", _("Protection of the reporter")
        OTHER = "other", _("Other measure")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    affects_reporter = models.BooleanField(default=False)
    content = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    decided_by = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    review_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "created_at"]

    def __str__(self) -> str:
        return f"measure {self.kind}"


class Finding(models.Model):
    """What was found on one allegation, to which standard of proof: ``content``
    holds the reasoning, the evidence relied on (ids of ``Evidence``), sanctions and
    organisational changes."""

    KIND = "finding"

    class Outcome(models.TextChoices):
        SUBSTANTIATED = "substantiated", _("Substantiated")
        NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")
        INCONCLUSIVE = "inconclusive", _("Inconclusive")

    class Standard(models.TextChoices):
        BALANCE = "balance_of_probabilities", _("Balance of probabilities")
        CLEAR = "clear_and_convincing", _("Clear and convincing evidence")
        BEYOND_DOUBT = "beyond_reasonable_doubt", _("Beyond reasonable doubt")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    allegation = models.OneToOneField(Allegation, on_delete=models.PROTECT, related_name="finding")
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    standard = models.CharField(max_length=30, choices=Standard.choices, default=Standard.BALANCE)
    content = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"finding {self.outcome}"


class WrittenOutcome(models.Model):
    """The written outcome for the reporter: drafted from the findings, reviewed by a
    second reader of the case, then shown on her page and as a PDF in her language."""

    KIND = "written-outcome"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="written_outcome"
    )
    content = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    language = models.CharField(max_length=10)
    drafted_by = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        "directory.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"written outcome of {self.case_id}"


class ApiToken(models.Model):
    """A personal access token for the staff API, shown once. Its secret is never
    stored: ``lookup`` is a keyed hash of it, and ``wrapped_private_key`` is the
    user's private key wrapped under a key the secret derives, so the token opens
    exactly the cases her own key opens, and dies with a role, her key or her."""

    user = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=80)
    lookup = models.CharField(max_length=64, unique=True)
    wrapped_private_key = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=120, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token {self.name}"


class Appeal(models.Model):
    """The accused's appeal of a finding, recorded by staff and decided by a level
    above the one that decided. ``above_position`` is that level's ladder position,
    fixed when the appeal is recorded; ``content`` holds his grounds and the
    decision's reasoning."""

    KIND = "appeal"

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Finding upheld")
        VARIED = "varied", _("Finding changed")
        OVERTURNED = "overturned", _("Finding overturned")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="appeals")
    filed_on = models.DateField()
    content = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    recorded_by = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    above_position = models.PositiveIntegerField()
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        "directory.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"appeal {self.decision or 'pending'}"


class AccessRequest(models.Model):
    """A data-access request by someone the case is about (the accused): the answer
    gives what is about him and nothing that identifies the reporter or a witness.
    ``content`` holds the answer as drafted, reviewed by a second reader, then
    released; it is due by ``respond_by`` (a deadline)."""

    KIND = "access-request"

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft, waiting for review")
        REVIEWED = "reviewed", _("Reviewed, ready to release")
        RELEASED = "released", _("Released to him")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="access_requests")
    person = models.ForeignKey(
        "directory.Person", on_delete=models.PROTECT, related_name="access_requests"
    )
    received_on = models.DateField()
    respond_by = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    content = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    drafted_by = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        "directory.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"access request {self.state}"
