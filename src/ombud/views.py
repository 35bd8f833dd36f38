from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

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
    return {"organisation_name": settings.OMBUD_ORGANISATION_NAME}


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


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)
