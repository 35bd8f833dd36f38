"""Receivers: keys follow passwords, sign-ins and sign-outs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from ombud.access.services import (
    holder_left,
    password_set_allowed,
    pending_grants_fulfil,
    staff_keys_password_set,
)
from ombud.access.session import session_key_forget, session_key_store
from ombud.directory.models import User
from ombud.directory.signals import accounts_changed, people_changed, users_left
from ombud.integrity import row_tampered


@receiver(pre_save, sender=User)
def _remember_new_password(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Django keeps the raw password of set_password() until save(); keep it a
    # moment longer, for post_save, where the user has a primary key.
    raw = getattr(instance, "_password", None)
    if raw is not None:
        # Refuse before anything is written.
        password_set_allowed(
            user=instance, previous_private=getattr(instance, "_ombud_previous_private", None)
        )
        instance._ombud_new_password = raw  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def _keys_follow_password(sender: type[User], instance: User, **kwargs: Any) -> None:
    raw = getattr(instance, "_ombud_new_password", None)
    if raw is None:
        return
    instance._ombud_new_password = None  # type: ignore[attr-defined]
    previous = getattr(instance, "_ombud_previous_private", None)
    instance._ombud_previous_private = None  # type: ignore[attr-defined]
    staff_keys_password_set(user=instance, password=raw, previous_private=previous)


@receiver(people_changed)
def _conflicts_follow_the_directory(sender: Any, actor: User | str, **kwargs: Any) -> None:
    from ombud.access.routing import conflicts_refresh_all

    conflicts_refresh_all(actor=actor)


@receiver(accounts_changed)
def _conflicts_follow_accounts(
    sender: Any, actor: User | str, users: list[User], **kwargs: Any
) -> None:
    from ombud.access.routing import user_access_reconcile

    for user in users:
        user_access_reconcile(actor=actor, user=user)


@receiver(users_left)
def _leavers_give_up_keys(sender: Any, actor: User | str, users: list[User], **kwargs: Any) -> None:
    holder_left(actor=actor, users=users)


@receiver(user_logged_in)
def _keep_key_for_sign_in(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    private = getattr(request, "_ombud_unlocked_key", None) if request is not None else None
    if request is None or private is None:
        return
    session_key_store(request, private)
    pending_grants_fulfil(holder=user, private=private)


@receiver(user_logged_out)
def _forget_key(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None:
        session_key_forget(request)


@receiver(row_tampered)
def _tampered_row_audited(sender: Any, label: str, pk: object, **kwargs: Any) -> None:
    from django.db import transaction

    from ombud.audit.services import audit_record

    with transaction.atomic():
        audit_record(
            actor="system:integrity",
            action="access.integrity.failed",
            object_type=label.lower(),
            object_id=str(pk),
            details={"row": label, "id": str(pk)},
        )
