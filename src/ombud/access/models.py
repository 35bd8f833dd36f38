from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ombud.cases.models import Case
from ombud.crypto import passwords
from ombud.directory.models import User


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
    created_at = models.DateTimeField(auto_now_add=True)

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
