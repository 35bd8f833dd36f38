from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Case, Category
from ombud.crypto import passwords
from ombud.directory.models import StaffRole, User


class StaffKey(models.Model):
    """A user's X25519 key pair; the private half only wrapped under their password."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="staff_key")
    public_key = models.BinaryField(max_length=32)
    salt = models.BinaryField(max_length=16)
    wrapped_private_key = models.BinaryField()
    opslimit = models.PositiveIntegerField()
    memlimit = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("staff key")

    def __str__(self) -> str:
        return f"key of {self.user}"

    def wrapped(self) -> passwords.WrappedKey:
        return passwords.WrappedKey(
            salt=bytes(self.salt),
            ciphertext=bytes(self.wrapped_private_key),
            cost=passwords.Cost(opslimit=self.opslimit, memlimit=self.memlimit),
        )


class CaseKeyGrant(models.Model):
    """A case key sealed to one user's public key: that user can ever read the case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="key_grants")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="case_key_grants")
    sealed_case_key = models.BinaryField()
    # The public key it was sealed to; a grant to a replaced key is useless.
    public_key = models.BinaryField(max_length=32)
    granted_at = models.DateTimeField(auto_now_add=True)

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="one_grant_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.case} to {self.user}"


class PendingGrant(models.Model):
    """A grant owed to a user who has no usable key pair yet; the next signed-in
    holder of the case key fulfils it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="pending_grants")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="pending_grants")
    reason = models.CharField(max_length=100)
    # Owed because the user's key pair was replaced (a forgotten password): fulfilled
    # only once a second ladder member has approved the new key's fingerprint.
    held_for_key = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="one_pending_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.case} owed to {self.user}"


class RecoveryKey(models.Model):
    """The organisation's recovery key: only its public half is stored. Its private
    half exists only as Shamir shares held offline by officers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    public_key = models.BinaryField(max_length=32)
    fingerprint = models.CharField(max_length=30)
    shares = models.PositiveSmallIntegerField()
    threshold = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"recovery key {self.fingerprint}"


class CaseRecoverySeal(models.Model):
    """Every case key sealed to the recovery key, so no case is ever locked forever."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="recovery_seal")
    recovery_key = models.ForeignKey(RecoveryKey, on_delete=models.PROTECT)
    sealed_case_key = models.BinaryField()

    def __str__(self) -> str:
        return f"{self.case} sealed to recovery"


class PepperCheck(models.Model):
    """A keyed hash of a fixed text under the pepper: tells at once when the pepper
    file is not the one this database's staff keys were wrapped with."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    check_value = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "pepper check"


# Routing: who a case goes to ------------------------------------------------------


class LadderLevel(models.Model):
    """One rung of the escalation ladder: the members of a staff role. Position 1
    is where ordinary cases start; a missed deadline moves a case up."""

    position = models.PositiveSmallIntegerField(unique=True)
    role = models.OneToOneField(StaffRole, on_delete=models.PROTECT, related_name="ladder_level")

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.role.name}"


class RoutingPolicy(models.Model):
    """Where cases start: the executive rule (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    # A case accusing an executive (the directory's flag, or one of these grades)
    # starts at this level.
    executive_level = models.ForeignKey(
        LadderLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    executive_grades = models.CharField(max_length=200, blank=True)

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return "routing policy"

    def grades(self) -> set[str]:
        return {grade.strip() for grade in self.executive_grades.split(",") if grade.strip()}


class CategoryRule(models.Model):
    """A category's own start level, and the only role its investigators come from."""

    category = models.CharField(max_length=30, unique=True, choices=Category.choices)
    start_level = models.ForeignKey(
        LadderLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    investigator_role = models.ForeignKey(
        StaffRole, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"rule for {self.category}"


class Conflict(models.Model):
    """A staff member who must never read a case, and why (a code, no names)."""

    class Reason(models.TextChoices):
        PARTY = "party", _("named in the report")
        CHAIN = "chain", _("in a management chain of someone named")
        REPORTS_TO_ACCUSED = "reports_to_accused", _("reports to the accused")
        DECLARED = "declared", _("declared a conflict")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="conflicts")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="case_conflicts")
    reason = models.CharField(max_length=30, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    # A tag under a key derived from the pepper (ombud.integrity): a row written
    # around Ombud is never trusted.
    mac = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user", "reason"], name="one_conflict_each")
        ]

    def __str__(self) -> str:
        return f"{self.user} conflicted on {self.case}"


class CaseReader(models.Model):
    """A staff member's standing on a case beyond holding its key: confirmed free of
    conflict (needed before the first decryption), assigned, or let in early."""

    class Standing(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed no conflict")
        ASSIGNED = "assigned", _("assigned within the level")
        INVESTIGATOR = "investigator", _("assigned investigator")
        BREAK_GLASS = "break_glass", _("opened early with a written reason")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="readers")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="case_standings")
    standing = models.CharField(max_length=20, choices=Standing.choices)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user", "standing"], name="one_standing_each")
        ]
        indexes = [
            # Someone's assignments and early openings, without reading her many
            # confirmations (a head of ethics has one for every case she opened).
            models.Index(fields=["user", "standing", "case"], name="reader_user_standing"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.standing} on {self.case}"


class RuleChange(models.Model):
    """A change to who may read what, waiting for a second ladder member: the ladder,
    the roles of ladder members, an executive flag or a manager of someone named in
    a case. It takes effect only when another ladder member approves it."""

    class Kind(models.TextChoices):
        LADDER = "ladder", _("the escalation ladder")
        ROLE_GRANT = "role_grant", _("a role given")
        ROLE_REVOKE = "role_revoke", _("a role taken away")
        PERSON = "person", _("an executive flag, manager or staff e-mail")
        EXTERNAL = "external", _("a person added by hand")
        STAFF_KEY = "staff_key", _("a replaced staff key")
        DEADLINE_POLICY = "deadline_policy", _("a deadline policy or where it applies")
        SECOND_FACTOR = "second_factor", _("a second factor taken away (a lost phone)")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved and applied")
        REJECTED = "rejected", _("rejected")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=300)
    payload = models.TextField()  # JSON: what to apply
    # Who it is about, bound by id: a proposal never follows a name to another account.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="rule_changes_about"
    )
    person = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rule_changes_about",
    )
    proposed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposer = models.CharField(max_length=150)  # the audit log's actor label
    proposed_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at"]

    def __str__(self) -> str:
        return self.summary

    def subject(self) -> object:
        """The directory person the change is about, to show to whoever decides."""
        if self.user_id and self.user is not None:
            return self.user.person
        return self.person
