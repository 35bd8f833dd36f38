"""Who reads the audit log: auditors, and nobody else (not even administrators)."""

from __future__ import annotations

from ombud.directory import roles
from ombud.directory.models import User
from ombud.directory.selectors import user_has_role


def may_read_audit_log(user: object) -> bool:
    return isinstance(user, User) and user_has_role(user=user, role=roles.AUDITOR)
