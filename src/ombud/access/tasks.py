"""Background jobs of the key vault."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db.models import Q
from django.utils.translation import gettext as _
from django_tasks import task

from ombud.directory import roles
from ombud.directory.models import User

logger = logging.getLogger("ombud.access")


@task()
def mail_orphaned_cases(case_refs: list[str]) -> int:
    """Tell the head of ethics and the administrators that cases lost their last
    other key holder. References only: no content, no names."""
    recipients = sorted(
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
    if not recipients:
        logger.error("cases with no other key holder and nobody to tell: %s", ", ".join(case_refs))
        return 0
    subject = _("Ombud: cases with no other key holder")
    body = _(
        "The last person other than a leaver who could open these cases has left:\n\n"
        "%(refs)s\n\n"
        "Their keys were kept so the cases stay readable. Grant another reader with the "
        "recovery ceremony (ombud recovery grant --case REF --to USER), then revoke the leaver."
    ) % {"refs": "\n".join(case_refs)}
    return send_mail(subject, body, None, recipients)
