"""The staff pages a user's roles open: the header's links, the home page's buttons
and where a sign-in lands. The pages themselves still check the roles; this only
decides what is offered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from ombud.directory import roles
from ombud.directory.models import User

HEADS = {roles.HEAD_OF_ETHICS, roles.GENERAL_COUNSEL, roles.BOARD_COMMITTEE}


@dataclass(frozen=True)
class Opens:
    """Which staff pages a set of roles opens."""

    cases: bool
    overview: bool
    oral: bool
    rules: bool
    audit: bool
    outbox: bool
    admin: bool


def opens(codes: set[str], ladder_codes: set[str] | None = None) -> Opens:
    """``ladder_codes``: the ladder's roles, when the caller has read the ladder already."""
    from ombud.access.routing import ladder_role_codes

    if ladder_codes is None and codes:
        ladder_codes = ladder_role_codes()
    on_ladder = bool(codes & (ladder_codes or set()))
    administrator = roles.ADMINISTRATOR in codes
    return Opens(
        cases=on_ladder or bool(codes & {roles.INVESTIGATOR, roles.TRAINED_INVESTIGATOR}),
        overview=bool(codes & HEADS),
        oral=roles.HANDLER in codes,
        rules=on_ladder or administrator,
        audit=roles.AUDITOR in codes,
        outbox=administrator,
        admin=administrator,
    )


def user_opens(user: Any) -> Opens:
    from ombud.directory.selectors import user_roles

    return opens(user_roles(user=user) if isinstance(user, User) else set())


ASKED = "_ombud_opens"  # what a view worked out already, for the header of the same page


def request_opens(request: HttpRequest, allowed: Opens | None = None) -> Opens:
    """The pages the signed-in user's roles open, worked out once per request: a view
    that needs them (given as ``allowed``) spares the header asking again."""
    if allowed is not None:
        setattr(request, ASKED, allowed)
    if not hasattr(request, ASKED):
        setattr(request, ASKED, user_opens(getattr(request, "user", None)))
    return getattr(request, ASKED)


def landing(user: Any) -> str:
    """Where a sign-in lands: the case list for whoever has cases, home otherwise."""
    return reverse("cases:inbox") if user_opens(user).cases else reverse("home")


@dataclass(frozen=True)
class StaffPage:
    url: str
    label: str
    current: str  # the aria-current value: "page" on it, "true" below it, "" elsewhere


# (what opens it, the view it goes to, its label, the views that belong to it)
_PAGES: list[tuple[str, str, Any, tuple[str, ...]]] = [
    ("cases", "cases:inbox", _("Cases"), ("cases:",)),
    ("overview", "cases:overview", _("Overview"), ()),
    ("oral", "cases:oral", _("Oral report"), ()),
    ("rules", "rules", _("Rules"), ("rule_decide", "ladder_change")),
    ("audit", "audit:log", _("Audit log"), ("audit:",)),
    ("outbox", "outbox", _("Outbox"), ()),
    ("admin", "admin:index", _("Directory"), ("admin:",)),
]


def staff_pages(allowed: Opens, view_name: str) -> list[StaffPage]:
    own = {view for _key, view, _label, _below in _PAGES}
    pages = []
    for key, view, label, below in _PAGES:
        if not getattr(allowed, key):
            continue
        if view_name == view:
            current = "page"
        elif view_name not in own and any(
            view_name == name or (name.endswith(":") and view_name.startswith(name))
            for name in below
        ):
            current = "true"
        else:
            current = ""
        pages.append(StaffPage(url=reverse(view), label=str(label), current=current))
    return pages


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The header's staff links, worked out only when a page shows them."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else ""
    if user is None or not user.is_authenticated:
        return {"staff_pages": []}
    return {"staff_pages": SimpleLazyObject(lambda: staff_pages(request_opens(request), view_name))}
