from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_public_id() -> str:
    """The id in URLs: 128 random bits, so nobody can guess or count cases by it."""
    return secrets.token_urlsafe(16)


class Case(models.Model):
    """A case. Its content is encrypted with the case key, which is stored nowhere
    in clear: only sealed to its readers' public keys and to the recovery key."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    ref = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    # The case's X25519 key pair: anyone may seal to the public half; the private
    # half is encrypted under the case key.
    public_key = models.BinaryField(max_length=32)
    encrypted_private_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")

    def __str__(self) -> str:
        return self.ref
