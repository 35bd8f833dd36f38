"""The stored login verifier depends on the pepper.

Django's Argon2 hasher over the password keyed with a key derived from the pepper
(a file outside the database). A copy of the database alone therefore confirms no
guessed password: the stored hash is not a stock Django hash, and Argon2 over the
bare password does not give it. Costs follow OMBUD_ARGON2_MEMORY_MIB and
OMBUD_ARGON2_PASSES, like the staff keys.

Signing in does not use this hash (the password opens the staff key, which is the
check); it serves Django's password change form, reset tokens and session hashes.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

from ombud.crypto import passwords
from ombud.signin.keys import keyed_hash


def peppered(password: str) -> str:
    digest = keyed_hash("login-password", password.encode("utf-8"))
    return base64.b64encode(digest).decode("ascii")


class PepperedArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "ombud_argon2_peppered"

    def params(self) -> Any:
        return dataclasses.replace(
            super().params(),
            time_cost=int(settings.OMBUD_ARGON2_PASSES),
            memory_cost=int(settings.OMBUD_ARGON2_MEMORY_MIB) * 1024,
            parallelism=1,
        )

    def encode(self, password: str, salt: str) -> str:
        with passwords.slots():
            return super().encode(peppered(password), salt)

    def verify(self, password: str, encoded: str) -> bool:
        with passwords.slots():
            return bool(super().verify(peppered(password), encoded))

    def must_update(self, encoded: str) -> bool:
        # Never through Django's check_password setter, which would save a "new"
        # password and replace the key pair: the sign-in rewrites it in place.
        return False

    def outdated(self, encoded: str) -> bool:
        return bool(super().must_update(encoded))

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass

    def decode(self, encoded: str) -> dict[str, Any]:
        return dict(super().decode(encoded))
