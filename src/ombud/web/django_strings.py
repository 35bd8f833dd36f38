"""Strings of Django's own that its Simplified Chinese catalogue (Django 5.2) does
not translate yet, or not as Chinese is written. Listed here only so that
`make messages` puts them into Ombud's catalogue, which Django reads before its
own. Delete a line when Django translates it."""

from django.utils.translation import gettext_noop

DJANGO_FORMS = [
    # A form label's suffix: the full-width colon. And the marks after which none is
    # added, the full-width ones too (else "您的身份是？:").
    gettext_noop(":"),
    gettext_noop(":?.!"),
]
DJANGO_ADMIN = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
]
