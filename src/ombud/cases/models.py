from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_public_id() -> str:
    """The id in URLs: 128 random bits, so nobody can guess or count cases by it."""
    return secrets.token_urlsafe(16)


class Category(models.TextChoices):
    SEXUAL_ASSAULT = "sexual_assault", _("Sexual assault")
    SEXUAL_HARASSMENT = "sexual_harassment", _("Sexual harassment")
    DISCRIMINATION = "discrimination", _("Discrimination")
    BULLYING = "bullying", _("Bullying")
    RETALIATION = "retaliation", _("Retaliation")
    FRAUD = "fraud", _("Fraud or bribery")
    SAFETY = "safety", _("Health and safety")
    OTHER = "other", _("Something else")


class Context(models.TextChoices):
    OFFICE = "office", _("At the office or workplace")
    BUSINESS_TRIP = "business_trip", _("On a business trip")
    COMPANY_EVENT = "company_event", _("At a company event or meal")
    CLIENT_SITE = "client_site", _("At a client's site")
    ONLINE = "online", _("Online (e-mail, chat, video call, social media)")
    OTHER = "other", _("Somewhere else")


class Channel(models.TextChoices):
    WEB = "web", _("Reporting pages")
    API = "api", _("API")
    PHONE = "phone", _("By phone")
    MEETING = "meeting", _("In a meeting")
    LETTER = "letter", _("By letter")


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    TRIAGED = "triaged", _("Triaged")
    INVESTIGATING = "investigating", _("Being investigated")
    REFERRED = "referred", _("Referred to an outside authority")
    FINDINGS = "findings", _("Findings written")
    CLOSED = "closed", _("Closed")


class Case(models.Model):
    """A case. Its content is encrypted with the case key, which is stored nowhere
    in clear: only sealed to its readers' public keys and to the recovery key."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    ref = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    # The case's X25519 key pair: anyone may seal to the public half; the private
    # half is encrypted under the case key.
    public_key = models.BinaryField(max_length=32)
    encrypted_private_key = models.BinaryField()
    # What a case is about, in clear on purpose (docs/stored-in-clear.md).
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVED)
    category = models.CharField(max_length=30, choices=Category.choices, default=Category.OTHER)
    context = models.CharField(max_length=30, choices=Context.choices, default=Context.OTHER)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    acknowledge_by = models.DateField(null=True, blank=True)
    # Bumped by every transition: an edit made on an older page is refused, not lost.
    version = models.PositiveIntegerField(default=1)
    severity = models.CharField(max_length=10, blank=True)
    outcome = models.CharField(max_length=30, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The last level missed a deadline too: flagged everywhere, outside channels shown.
    at_top = models.BooleanField(default=False)
    # 1 while the case is at the top of the ladder and not closed: the case list shows
    # these first. Computed by the database from the two fields above.
    top_first = models.GeneratedField(
        expression=models.Case(
            models.When(
                models.Q(at_top=True) & ~models.Q(state=State.CLOSED), then=models.Value(1)
            ),
            default=models.Value(0),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    # The earliest open deadline's due time (None: none open), kept by the deadline
    # services in the same transaction as every change of the case's deadlines.
    next_due = models.DateTimeField(null=True, blank=True, editable=False)
    # 1 while no deadline is open: such cases come last at their rung. A column of its
    # own because SQLite's indexes put empty dates first, and the list wants them last.
    undated = models.GeneratedField(
        expression=models.Case(
            models.When(next_due__isnull=True, then=models.Value(1)), default=models.Value(0)
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    # A named reporter who asked for e-mail: her address sealed to the notification
    # key, whose private half only the worker reads (OMBUD_NOTIFY_KEY_FILE).
    reporter_contact = models.BinaryField(null=True, blank=True)
    # The ladder level that may read the case now, and where it started (routing).
    level = models.ForeignKey(
        "access.LadderLevel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_level = models.ForeignKey(
        "access.LadderLevel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The report as submitted, encrypted with the case key.
    report = models.BinaryField(null=True, blank=True)
    # Who the report names, apart from the rest, encrypted with the case key: a reader
    # sees them before she says she has no conflict, and nothing else of the report.
    named = models.BinaryField(null=True, blank=True)
    # Found from the reporter's receipt (a one-way derivation) and opened by it:
    # the case key encrypted under the key her receipt derives.
    receipt_lookup = models.CharField(max_length=64, unique=True, null=True, blank=True)
    reporter_sealed_key = models.BinaryField(null=True, blank=True)
    # The public half of the Ed25519 key her receipt derives (she signs her
    # confirmation of minutes with it), and its row MAC under the pepper-derived key:
    # whoever writes to the database cannot put his own key in its place
    # (``ombud.cases.reporter_key``).
    reporter_sign_key = models.BinaryField(max_length=32, null=True, blank=True)
    reporter_sign_key_mac = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")
        indexes = [
            # The overview's counts of open cases and of those at the top.
            models.Index(fields=["state", "at_top"], name="case_state_top"),
            # The overview's medians read these two dates from the index alone.
            models.Index(fields=["acknowledged_at", "created_at"], name="case_acknowledged"),
            models.Index(fields=["closed_at", "created_at"], name="case_closed"),
            # The case list's order, read from the index: a page is its first rows.
            models.Index(
                fields=["-top_first", "undated", "next_due", "created_at", "id"],
                name="case_list_order",
            ),
            # The case list's count of the overdue, and the cases held below her level,
            # oldest first.
            models.Index(fields=["next_due"], name="case_next_due"),
            models.Index(fields=["created_at", "id"], name="case_created"),
        ]

    def __str__(self) -> str:
        return self.ref


class CaseRefCounter(models.Model):
    """The last case reference given in a year. A new case raises it in its own
    transaction, which holds the row until it ends: two reports at once wait for each
    other instead of both taking "highest + 1", and a report that fails gives its
    number back."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Party(models.Model):
    """A person of the directory named in a case. Kept in clear on purpose: conflicts
    of interest are computed from these ids without opening the case."""

    class Role(models.TextChoices):
        ACCUSED = "accused", _("accused")
        WITNESS = "witness", _("witness")
        REPORTED_TO = "reported_to", _("reported to before")

    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="parties")
    person = models.ForeignKey(
        "directory.Person", on_delete=models.PROTECT, related_name="case_parties"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # A tag under a key derived from the pepper (ombud.integrity): who is accused
    # decides who is kept away, so a row edited around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "role"], name="one_party_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.role} {self.person_id}"


class Message(models.Model):
    """A message between the reporter and the case's handlers, or information the
    reporter adds. The body is encrypted with the case key."""

    class Direction(models.TextChoices):
        FROM_REPORTER = "from_reporter", _("from the reporter")
        TO_REPORTER = "to_reporter", _("to the reporter")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=20, choices=Direction.choices)
    author = models.ForeignKey(
        "directory.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.case} message {self.direction}"


class Attachment(models.Model):
    """A file given with a report or a message. The original is kept (it may be
    evidence) with its SHA-256; staff view and share only the copy stripped of its
    metadata. Both, and the name, type, size and hash, are encrypted with the case key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    meta = models.BinaryField()
    original = models.BinaryField()
    stripped = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.case} attachment"


class TimelineEvent(models.Model):
    """What happened to a case and when, as the reporter sees it (no content)."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Report received")
        MESSAGE_FROM_REPORTER = "message_from_reporter", _("Message from you")
        INFORMATION_ADDED = "information_added", _("Information added by you")
        MESSAGE_TO_REPORTER = "message_to_reporter", _("Message from the case handlers")
        ACKNOWLEDGED = "acknowledged", _("Your report was acknowledged")
        TRIAGED = "triaged", _("Your report was assessed and a plan made")
        INVESTIGATING = "investigating", _("An investigation started")
        REFERRED = "referred", _("The case was referred to an outside authority")
        FINDINGS = "findings", _("Findings were written")
        CLOSED = "closed", _("The case was closed")
        REOPENED = "reopened", _("The case was reopened")
        ESCALATED = "escalated", _("Escalated because a deadline was missed")
        TOP_REACHED = "top_reached", _("The last level missed a deadline")
        EXTENDED = "extended", _("A deadline was extended")
        MINUTES_TO_CONFIRM = "minutes_to_confirm", _("Minutes of a meeting with you to read")
        OUTCOME_WRITTEN = "outcome_written", _("A written outcome is ready for you")

    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="timeline")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    # For an escalation, the deadline that was missed (its label, not case content).
    detail = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    STAFF_LABELS = {
        Kind.MESSAGE_FROM_REPORTER: _("Message from the reporter"),
        Kind.INFORMATION_ADDED: _("Information added by the reporter"),
        Kind.MESSAGE_TO_REPORTER: _("Message to the reporter"),
        Kind.ACKNOWLEDGED: _("Acknowledged"),
        Kind.TRIAGED: _("Triaged"),
        Kind.MINUTES_TO_CONFIRM: _("Minutes sent to the reporter to confirm"),
        Kind.OUTCOME_WRITTEN: _("Written outcome published to the reporter"),
    }

    def __str__(self) -> str:
        return f"{self.case} {self.kind}"

    @property
    def staff_label(self) -> str:
        """The event as the case's handlers read it (the reporter's page says "you")."""
        label = self.STAFF_LABELS.get(self.kind)  # type: ignore[call-overload]
        return str(label or self.get_kind_display())


class CaseNote(models.Model):
    """A handler's internal note, encrypted with the case key; never shown to the reporter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"note on {self.case}"


class CaseLink(models.Model):
    """Two cases about the same thing. A link opens nothing: each case is still read
    only by its own readers, through its own door."""

    class Kind(models.TextChoices):
        RELATED = "related", _("related")
        DUPLICATE = "duplicate", _("duplicate")

    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="links_from")
    other = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="links_to")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    by = models.ForeignKey("directory.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "other"], name="one_link_per_pair")]

    def __str__(self) -> str:
        return f"{self.case} {self.kind} {self.other}"


class CaseFigures(models.Model):
    """The overview's counts, kept by the services in the transaction of each change
    (`ombud.cases.figures`), so the page reads a few rows whatever the number of cases.

    Spread over ``SLOTS`` rows, a case's changes always going to the row of its id
    modulo ``SLOTS``: two changes to different cases seldom wait for the same row, and
    every column lives on that one row so a transaction locks one figures row only (two
    rows taken in opposite orders by two transactions would deadlock). The deadline
    counts are here too for that reason, though only the deadline services write them.
    The page adds the rows up."""

    slot = models.PositiveSmallIntegerField(primary_key=True)
    open_cases = models.BigIntegerField(default=0)
    # Open cases that missed a deadline at the top of the ladder.
    at_top = models.BigIntegerField(default=0)
    deadlines_met = models.BigIntegerField(default=0)
    deadlines_missed = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"figures slot {self.slot}"


class CaseDuration(models.Model):
    """How many cases took a given time from report to acknowledgement, or to closing,
    in tenths of a day (the page's unit): the overview's medians are read from these
    counts, not from every case."""

    figure = models.CharField(max_length=12)  # "acknowledge" or "close"
    tenths = models.IntegerField()
    cases = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["figure", "tenths"], name="one_count_per_duration")
        ]

    def __str__(self) -> str:
        return f"{self.figure} {self.tenths / 10} days: {self.cases}"
