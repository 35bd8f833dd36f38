"""The ``translated`` template filter, a built-in of every template (settings.TEMPLATES).

Some words are stored as Ombud first wrote them, in English: the deadlines of the
policies it ships ("Acknowledge the report") and the names of its staff roles
("Handler"). They are marked for translation where they are defined, and shown
through this filter; a label an administrator typed herself has no translation
and is shown as she typed it."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def translated(value: object) -> object:
    if not isinstance(value, str) or not value:
        return value  # gettext("") would answer with the catalogue's header
    return gettext(value)
