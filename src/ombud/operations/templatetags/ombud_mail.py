"""``{% mail_notice %}``: on the pages that report on mail (the outbox, the deadline
figures), a word when notices do not reach anyone."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("operations/_mail_notice.html")
def mail_notice() -> dict[str, Any]:
    return {"mail": settings.OMBUD_MAIL, "mail_folder": settings.OMBUD_MAIL_FOLDER}
