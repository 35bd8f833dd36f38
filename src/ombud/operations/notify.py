"""Telling a named reporter who opted in that there is news, without holding her
address in clear: it is sealed to the notification key. The web process reads
only the public half (`<key file>.pub`); the worker, which sends, reads the
private half. Whichever process first needs the public half makes the pair; on
separate hosts, start the worker first (or give the web hosts only the `.pub`) so
the private file stays where the worker runs."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from ombud.cases.models import Case
from ombud.crypto import boxes
from ombud.language import in_organisation_language
from ombud.operations.models import OutboxMessage
from ombud.operations.notify_key import notify_public_key
from ombud.operations.outbox import outbox_put


def reporter_contact_seal(address: str) -> bytes:
    return boxes.seal(notify_public_key(), address.encode())


@in_organisation_language
def reporter_news(case: Case) -> None:
    """Queue one "there is news" e-mail for the case's reporter, if she asked for it."""
    if case.reporter_contact is None:
        return
    key = f"reporter-news:{case.pk}"
    if OutboxMessage.objects.filter(key=key, sent_at__isnull=True).exists():
        return  # one is already waiting
    outbox_put(
        to="",
        sealed_to=bytes(case.reporter_contact),
        key=key,
        subject=_("There is news about your report"),
        body=_(
            "There is news about the report you made. Read it with your receipt at "
            "%(url)s/report/status/ . This message holds nothing else, on purpose."
        )
        % {"url": settings.OMBUD_BASE_URL},
    )
