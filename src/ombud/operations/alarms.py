"""Alarms about keys, queued in the outbox in the transaction of their cause."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q
from django.dispatch import receiver
from django.utils.translation import gettext as _

from ombud.access.services import cases_orphaned
from ombud.directory import roles
from ombud.directory.models import User
from ombud.integrity import row_tampered
from ombud.language import in_organisation_language
from ombud.operations.outbox import outbox_put

logger = logging.getLogger("ombud.access")


def _recipients() -> list[str]:
    return sorted(
        set(
            User.objects.filter(
                Q(role_assignments__role__code=roles.HEAD_OF_ETHICS)
                | Q(role_assignments__role__code=roles.ADMINISTRATOR),
                is_active=True,
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


@receiver(cases_orphaned)
@in_organisation_language
def orphaned_cases_alarm(sender: Any, case_refs: list[str], **kwargs: Any) -> int:
    """Tell the head of ethics and the administrators that cases lost their last
    other key holder. References only: no content, no names."""
    recipients = _recipients()
    if not recipients:
        logger.error("cases with no other key holder and nobody to tell: %s", ", ".join(case_refs))
        return 0
    subject = _("Ombud: cases with no other key holder")
    body = _(
        "These cases have no other active key holder (someone left, lost a role or "
        "replaced their key):\n\n"
        "%(refs)s\n\n"
        "Grant another reader with the recovery ceremony "
        "(ombud recovery grant --case REF --to USER); a leaver's keys, where kept, are then "
        "revoked."
    ) % {"refs": "\n".join(case_refs)}
    for address in recipients:
        outbox_put(to=address, subject=subject, body=body)
    return len(recipients)


@receiver(row_tampered)
@in_organisation_language
def tampered_row_alarm(sender: Any, label: str, pk: object, **kwargs: Any) -> int:
    """A row that decides who reads cases was written around Ombud (straight into the
    database): it is not used; the head of ethics and the administrators are told."""
    recipients = _recipients()
    if not recipients:
        logger.error("a %s row (id %s) failed its integrity check and nobody to tell", label, pk)
        return 0
    subject = _("Ombud: a row was written around Ombud")
    body = _(
        "A %(row)s row (id %(id)s) failed its integrity check: someone wrote it straight "
        "into the database, without Ombud. It is not used: no key is sealed, no role "
        "granted and no pending grant fulfilled because of it.\n\n"
        "Find out who has write access to the database, and compare it with a backup. "
        "The audit log has an entry access.integrity.failed for it."
    ) % {"row": label, "id": pk}
    for address in recipients:
        outbox_put(to=address, subject=subject, body=body)
    return len(recipients)
