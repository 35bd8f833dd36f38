"""Ombud's cryptographic core, free of Django and of settings.

What it protects against:
- reading case records without the case key, and moving, swapping or
  replaying a record's ciphertext (``aead``: XChaCha20-Poly1305 with the
  case, kind, record id and version as associated data);
- reading a case key without a private key it was sealed to (``boxes``:
  X25519 sealed boxes);
- guessing staff passwords offline from a copied database (``passwords``:
  Argon2id over the password keyed with a pepper kept outside the database);
- one officer, or too few, opening the organisation's recovery key
  (``shamir``: k-of-n shares);
- guessing a reporter's receipt, or learning it from what the database keeps
  (``receipts``: 120 random bits; only one-way derivations are stored);
- a log whose entries were edited, deleted, inserted or reordered after the
  fact (``chain``), and a forged checkpoint of that log (``signing``).

What it does not protect against: a server that is compromised while people
use it (it sees the keys of whoever is signed in); an attacker holding the
database *and* the pepper, who can guess weak passwords at Argon2id's cost;
a weak or reused password; K officers who collude; someone who holds the
audit signing key and rewrites the log and its checkpoints (only copies of
checkpoint hashes kept elsewhere catch that).

Keys, costs and the clock are arguments, so tests choose them. The primitives
come from libsodium through PyNaCl and from hashlib; nothing here is home-made
cryptography beyond composing them and the Shamir polynomial.
"""

from ombud.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    SharesInvalid,
    SignatureInvalid,
    WrongPassword,
)

__all__ = ["CryptoError", "DecryptionFailed", "SharesInvalid", "SignatureInvalid", "WrongPassword"]
