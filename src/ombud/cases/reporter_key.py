"""The reporter's signing key on her case: the public half of the Ed25519 key her
receipt derives (``crypto.receipts.receipt_signing_seed``), with which she confirms
minutes of her meetings. It is stored with a MAC under the pepper-derived key
(``ombud.integrity``), over the case's public id and the key: someone who writes to
the database alone and puts his own key there, with a confirmation he signed, is
caught, because he cannot tag it."""

from __future__ import annotations

from ombud.cases.models import Case
from ombud.integrity import value_tag, value_valid

LABEL = "cases.Case.reporter_sign_key"


def reporter_sign_key_set(*, case: Case, public_key: bytes, save: bool = True) -> None:
    """Store her public key and its tag (at intake, or at her next receipt use)."""
    case.reporter_sign_key = public_key
    case.reporter_sign_key_mac = value_tag(LABEL, (case.public_id, bytes(public_key)))
    if save:
        case.save(update_fields=["reporter_sign_key", "reporter_sign_key_mac"])


def reporter_sign_key_of(case: Case) -> bytes | None:
    """Her public key, if one is stored and carries its tag; None otherwise (a failing
    tag is audited and raised as an alarm, as a tampered row is)."""
    if case.reporter_sign_key is None:
        return None
    key = bytes(case.reporter_sign_key)
    if not value_valid(LABEL, case.pk, (case.public_id, key), case.reporter_sign_key_mac):
        return None
    return key
