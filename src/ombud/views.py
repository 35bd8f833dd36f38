from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from ombud.access.routing import ladder_role_codes
from ombud.access.services import staff_key_awaiting_approval
from ombud.access.session import session_private_key
from ombud.directory.models import StaffRole, User
from ombud.directory.roles import (
    ADMINISTRATOR,
    AUDITOR,
    BOARD_COMMITTEE,
    GENERAL_COUNSEL,
    HEAD_OF_ETHICS,
    INVESTIGATOR,
    TRAINED_INVESTIGATOR,
)
from ombud.directory.selectors import user_roles


def organisation(request: HttpRequest) -> dict[str, Any]:
    return {
        "organisation_name": settings.OMBUD_ORGANISATION_NAME,
        "quick_exit_url": settings.OMBUD_QUICK_EXIT_URL,
    }


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    codes = user_roles(user=user) if isinstance(user, User) else set()
    roles = [_(role.name) for role in StaffRole.objects.filter(code__in=codes)]
    return render(
        request,
        "home.html",
        {
            "roles": roles,
            "is_administrator": ADMINISTRATOR in codes,
            "has_cases": bool(codes & ladder_role_codes())
            or INVESTIGATOR in codes
            or TRAINED_INVESTIGATOR in codes,
            "on_ladder": bool(codes & ladder_role_codes()),
            "is_auditor": AUDITOR in codes,
            "is_head": bool(codes & {HEAD_OF_ETHICS, GENERAL_COUNSEL, BOARD_COMMITTEE}),
            "key_unlocked": session_private_key(request) is not None,
            "key_awaiting_approval": (
                staff_key_awaiting_approval(user=user) if isinstance(user, User) else None
            ),
        },
    )


@csrf_exempt
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language chooser of every page: Django's own view, which keeps only the
    language code in a cookie. Without a CSRF token, on purpose: a token needs a
    cookie of its own on every page, the reporter's landing page too, and the worst
    a forged post can do is change the language. The browser's own header still
    refuses a post sent from another site."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return HttpResponseForbidden(_("The language can be changed only from Ombud's pages."))
    return set_language(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)
