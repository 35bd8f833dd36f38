"""Strings of Django's own admin that its Simplified Chinese catalogue (Django 5.2)
does not translate yet. Listed here only so that `make messages` puts them into
Ombud's catalogue, which Django reads before its own. Delete a line when Django
translates it."""

from django.utils.translation import gettext_noop

DJANGO_ADMIN = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
]
