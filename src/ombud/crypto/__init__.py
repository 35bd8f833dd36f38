"""Ombud's cryptographic core, free of Django and of settings.

What it protects against: a log whose entries were edited, deleted, inserted
or reordered after the fact (the hash chain), and a forged checkpoint of that
log (Ed25519 signatures over it). Keys, costs and the clock are arguments, so
tests can choose them.

What it does not protect against: someone who holds the signing key and
rewrites the whole log and every checkpoint. That is caught only by copies of
checkpoint hashes kept outside the server (Ombud e-mails the daily one to the
auditors), which this package helps to compare but cannot keep.

The primitives come from libsodium through PyNaCl and hashlib's SHA-256;
nothing here is home-made cryptography.
"""

from ombud.crypto.errors import CryptoError, SignatureInvalid

__all__ = ["CryptoError", "SignatureInvalid"]
