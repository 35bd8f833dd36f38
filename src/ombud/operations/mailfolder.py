"""Mail in development: every message written as one .eml file into the data
folder's mail/ (OMBUD_MAIL=folder, the default without OMBUD_SMTP_HOST outside
production), so people trying Ombud can read the escalation notices and reset
links, and the outbox says "written to …", never "sent".

The files hold the recipients' addresses in clear (a named reporter's too), so
they are made readable by their owner only; production refuses this mode."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


def mail_folder() -> Path:
    return Path(settings.OMBUD_MAIL_FOLDER)


class FolderBackend(BaseEmailBackend):
    """Django's e-mail backend interface; one file per message, never appended to."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.folder = mail_folder()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        written = 0
        for message in email_messages:
            try:
                self._write(message)
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            written += 1
        return written

    def _write(self, message: EmailMessage) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.message().as_bytes())
