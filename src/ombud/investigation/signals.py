"""Receivers: a staff API token dies with a role, a key pair or an account.

The layers below send what happened (``ombud.directory.signals``, a role assignment
deleted, a staff key row saved with another public key) and know nothing of tokens;
the investigation app connects these in its ``ready()``. Each receiver runs inside
the transaction of the change, so a token never outlives it by a request."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver

from ombud.access.models import StaffKey
from ombud.directory.models import RoleAssignment, User
from ombud.directory.signals import accounts_changed, users_left
from ombud.investigation.tokens import tokens_revoke_for


@receiver(users_left, dispatch_uid="ombud-tokens-users-left")
def _leavers_lose_tokens(sender: Any, actor: User | str, users: list[User], **kwargs: Any) -> None:
    for user in users:
        tokens_revoke_for(actor=actor, user_id=user.pk, reason="left")


@receiver(accounts_changed, dispatch_uid="ombud-tokens-accounts-changed")
def _switched_off_accounts_lose_tokens(
    sender: Any, actor: User | str, users: list[User], **kwargs: Any
) -> None:
    for user in users:
        if not user.is_active:
            tokens_revoke_for(actor=actor, user_id=user.pk, reason="account deactivated")


@receiver(post_delete, sender=RoleAssignment, dispatch_uid="ombud-tokens-role-removed")
def _a_role_removed_ends_tokens(sender: Any, instance: RoleAssignment, **kwargs: Any) -> None:
    # Who removed it is in the entry of the removal itself (directory.role.revoked),
    # written in the same transaction; here only the consequence.
    tokens_revoke_for(actor="system:roles", user_id=instance.user_id, reason="role removed")


@receiver(pre_save, sender=StaffKey, dispatch_uid="ombud-tokens-key-replaced")
def _a_new_key_pair_ends_tokens(sender: Any, instance: StaffKey, **kwargs: Any) -> None:
    # A password change wraps the same key pair again (tokens stay: they wrap the same
    # private key); a reset makes a new pair, which no token's copy matches.
    if instance.pk is None:
        return
    stored = StaffKey.objects.filter(pk=instance.pk).values_list("public_key", flat=True).first()
    if stored is not None and bytes(stored) != bytes(instance.public_key):
        tokens_revoke_for(actor="system:keys", user_id=instance.user_id, reason="key pair replaced")
