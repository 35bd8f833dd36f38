"""The error types of :mod:`ombud.crypto`."""


class CryptoError(Exception):
    """Base of every error raised by ombud.crypto."""


class SignatureInvalid(CryptoError):
    """A signature does not match its message and public key."""
