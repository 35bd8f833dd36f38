"""Passwords against someone who holds a copy of the database but not the pepper
(issue 10, item 6): the stored verifier confirms no guessed password."""

from __future__ import annotations

import argon2
import pytest
from django.contrib.auth.hashers import check_password, identify_hasher

from ombud.directory.models import User
from tests.conftest import PASSWORD, signs_in

STOCK_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


def test_a_copy_of_the_database_confirms_no_password_even_the_right_one(cast, settings):
    stored = User.objects.get(username="hana").password  # what the copy holds
    # The attacker runs stock Django on it, with the right password among the guesses.
    settings.PASSWORD_HASHERS = STOCK_HASHERS
    with pytest.raises(ValueError):
        identify_hasher(stored)  # not a stock Django hash
    assert not check_password(PASSWORD, stored)
    # Nor is the Argon2 inside it Argon2 of the password: renamed to Django's own
    # hasher, or checked with argon2 itself, the right password fails.
    algorithm, rest = stored.split("$", 1)
    assert not check_password(PASSWORD, "argon2$" + rest)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        argon2.PasswordHasher().verify("$" + rest, PASSWORD)


def test_a_stock_hash_left_from_before_is_replaced_at_the_next_sign_in(cast, settings):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    stock = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    User.objects.filter(username="hana").update(password=stock)
    assert signs_in("hana", PASSWORD)  # the key is the check, whatever the column holds
    stored = User.objects.get(username="hana").password
    assert stored != stock and stored.startswith("ombud_argon2_peppered$")
    assert User.objects.get(username="hana").check_password(PASSWORD)


def test_stock_hashes_of_key_holders_are_forgotten_by_the_upgrade(cast):
    import importlib

    from django.apps import apps
    from django.contrib.auth.hashers import Argon2PasswordHasher

    stock = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    User.objects.filter(username="hana").update(password=stock)
    peppered = User.objects.get(username="emil").password
    migration = importlib.import_module(
        "ombud.signin.migrations.0002_stock_password_hashes_forgotten"
    )
    migration.forget_stock_hashes(apps, None)
    assert not User.objects.get(username="hana").has_usable_password()
    assert User.objects.get(username="emil").password == peppered
    assert signs_in("hana", PASSWORD)  # her key still opens: she loses nothing
