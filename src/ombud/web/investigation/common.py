"""What every investigation page does first: find the case through the one door,
with the read entry when it shows anything, or send her where she must go instead
(the recusal page, the locked page, 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombud.access.reading import (
    CaseLocked,
    CaseNotConfirmed,
    case_open_for_action,
    case_open_to_read,
)
from ombud.access.selectors import reading_permission
from ombud.access.session import session_private_key
from ombud.cases.models import Case
from ombud.directory.models import User

T = TypeVar("T")


def staff_user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):  # login_required runs first
        raise Http404
    return request.user


def opened_to_read(
    request: HttpRequest, public_id: str, action: str, **details: str
) -> tuple[Case, bytes] | HttpResponse:
    """The case and its key for a page that shows records, after the read entry
    ``action``; otherwise the page to go to instead."""
    try:
        return case_open_to_read(
            user=staff_user(request),
            public_id=public_id,
            private=session_private_key(request),
            action=action,
            **details,
        )
    except CaseNotConfirmed as refused:
        return redirect("cases:detail", public_id=refused.case.public_id)
    except CaseLocked as refused:
        return render(request, "cases/locked.html", {"case": refused.case}, status=409)


# Who writes in the investigation: the case's current level and its investigators. A
# break-glass reader reads, audited, and writes nothing: not minutes, not an outcome
# or its review, not an appeal that would take the case up to her own level.
WRITERS = ("level", "investigator")


def opened_for_action(request: HttpRequest, public_id: str) -> tuple[Case, bytes] | HttpResponse:
    """The case and its key to write with (nothing shown, so no read entry), for one
    of its ``WRITERS``; "not found" for anyone else, a break-glass reader included."""
    user = staff_user(request)
    try:
        case, case_key = case_open_for_action(
            user=user, public_id=public_id, private=session_private_key(request)
        )
    except CaseNotConfirmed as refused:
        return redirect("cases:detail", public_id=refused.case.public_id)
    except CaseLocked as refused:
        return render(request, "cases/locked.html", {"case": refused.case}, status=409)
    if reading_permission(user=user, case=case) not in WRITERS:
        raise Http404
    return case, case_key


def through_door(request: HttpRequest, opening: Callable[[], T]) -> T | HttpResponse:
    """What ``opening`` (a reader behind the door) returns, or the page to go to
    instead: the case page (which asks about conflicts first) or the locked-key page."""
    try:
        return opening()
    except CaseNotConfirmed as refused:
        return redirect("cases:detail", public_id=refused.case.public_id)
    except CaseLocked as refused:
        return render(request, "cases/locked.html", {"case": refused.case}, status=409)


def posted_version(request: HttpRequest) -> int:
    """The version of the record the page showed (0 when missing: matches none)."""
    try:
        return int(request.POST.get("version", "0"))
    except ValueError:
        return 0
