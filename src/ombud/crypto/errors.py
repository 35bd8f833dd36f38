"""The error types of :mod:`ombud.crypto`."""


class CryptoError(Exception):
    """Base of every error raised by ombud.crypto."""


class SignatureInvalid(CryptoError):
    """A signature does not match its message and public key."""


class DecryptionFailed(CryptoError):
    """Ciphertext that is tampered with, truncated, or meant for another key or record."""


class WrongPassword(CryptoError):
    """The password (or the pepper) does not open this wrapped key."""


class SharesInvalid(CryptoError):
    """Recovery shares that are malformed, repeated or too few."""


class KeyDerivationBusy(CryptoError):
    """Every Argon2id slot stayed taken for too long: try again shortly."""
