"""Second factors: a TOTP authenticator and single-use recovery codes.

django-otp's own TOTP and static devices keep the seed and the codes in clear, so
a copy of the database would hold everyone's second factor. Here the seed is
sealed under a key derived from the pepper, and a recovery code is stored only
as a keyed hash of it.
"""

from __future__ import annotations

from django.db import models
from django_otp.models import Device, ThrottlingMixin

from ombud.directory.models import User


class TOTPDevice(ThrottlingMixin, Device):
    """An authenticator app (RFC 6238: 30-second steps, six digits, SHA-1)."""

    sealed_key = models.BinaryField()
    # The time step of the last code accepted: a code is never accepted twice.
    last_t = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "authenticator"

    def get_throttle_factor(self) -> int:
        return 1  # after n wrong codes in a row, wait 2**(n-1) seconds (django-otp)


class RecoveryCode(models.Model):
    """A single-use code in place of the authenticator, stored as a keyed hash."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="recovery_codes")
    digest = models.BinaryField(max_length=32)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: models.Manager[RecoveryCode] = models.Manager()

    def __str__(self) -> str:
        return f"recovery code of {self.user}"
