from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from ombud.access.services import staff_key_awaiting_approval
from ombud.access.session import session_private_key
from ombud.directory.models import StaffRole, User
from ombud.directory.selectors import user_roles
from ombud.navigation import opens, request_opens


def organisation(request: HttpRequest) -> dict[str, Any]:
    return {"organisation_name": settings.OMBUD_ORGANISATION_NAME}


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    codes = user_roles(user=user) if isinstance(user, User) else set()
    roles = [_(role.name) for role in StaffRole.objects.filter(code__in=codes)]
    allowed = request_opens(request, opens(codes))
    return render(
        request,
        "home.html",
        {
            "roles": roles,
            "is_administrator": allowed.admin,
            "has_cases": allowed.cases,
            "on_ladder": allowed.rules,
            "is_auditor": allowed.audit,
            "is_head": allowed.overview,
            "key_unlocked": session_private_key(request) is not None,
            "key_awaiting_approval": (
                staff_key_awaiting_approval(user=user) if isinstance(user, User) else None
            ),
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools that ask for /favicon.ico get the icon the pages link to."""
    # Not permanent: the icon's address changes with each release (hashed static names).
    return HttpResponseRedirect(static("ombud/favicon.svg"))


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
