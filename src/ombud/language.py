"""Which language Ombud speaks.

Pages: the one chosen with the chooser in the header (a cookie holding only the
language code), else the organisation's (``OMBUD_LANGUAGE``, settings.LANGUAGE_CODE).

E-mails and notices (to staff, and the reporter's "there is news"): always the
organisation's. They are rendered when queued, often inside the request of someone
who chose another language for herself, so they name theirs instead of taking the
request's. No person's language is stored."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

P = ParamSpec("P")
R = TypeVar("R")


def in_organisation_language(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with the organisation's language active, whatever the
    request's (read when called, so a changed setting takes effect)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapper


class LanguageMiddleware(LocaleMiddleware):
    """Each page in the language chosen with the chooser (its cookie), else in the
    organisation's. Unlike Django's own, it does not follow the browser's
    Accept-Language: an organisation that speaks Chinese gets Chinese pages on a
    laptop bought abroad too, and each person changes it in one click."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
