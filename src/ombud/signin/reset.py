"""The forgotten-password request: the same answer, in the same time, for any address.

The page does the same work for every address typed: it seals the address to the
notification key and queues one job. Whether an account uses it, and the mail,
are the background worker's business, so the answer neither waits on a mail
server nor on a look-up that only known addresses would cause. Nothing typed is
stored in clear: the job holds only the sealed address.
"""

from __future__ import annotations

import base64
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from ombud.audit.services import audit_record
from ombud.crypto import boxes
from ombud.directory.models import User
from ombud.language import in_organisation_language
from ombud.operations.notify_key import notify_private_key, notify_public_key
from ombud.operations.outbox import outbox_put

logger = logging.getLogger("ombud.signin")
ACTOR = "system:worker"


def password_reset_request(*, address: str) -> None:
    """Queue the look-up and the mail for ``address``, whatever it is."""
    sealed = boxes.seal(notify_public_key(), address.strip().encode())
    password_reset_mail.enqueue(base64.b64encode(sealed).decode())


def accounts_for(address: str) -> list[User]:
    """Active accounts using ``address``; also those that never had a password (an
    administrator made them), who choose their first one this way."""
    return list(User.objects.filter(email__iexact=address, is_active=True))


@task()
@in_organisation_language
def password_reset_mail(sealed_address: str) -> int:
    """In the worker: mail a one-hour link to each account using the address."""
    address = boxes.unseal(notify_private_key(), base64.b64decode(sealed_address)).decode()
    base = settings.OMBUD_BASE_URL
    protocol, domain = base.split("://", 1)
    mailed = 0
    for user in accounts_for(address):
        context = {
            "user": user,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "protocol": protocol,
            "domain": domain,
        }
        subject = "".join(
            render_to_string("registration/password_reset_subject.txt", context).splitlines()
        )
        body = render_to_string("registration/password_reset_email.html", context)
        with transaction.atomic():
            outbox_put(to=user.email, subject=subject, body=body)
            audit_record(actor=ACTOR, action="access.password_reset.mailed", obj=user)
        mailed += 1
    return mailed
