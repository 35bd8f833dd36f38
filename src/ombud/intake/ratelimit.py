"""Rate limits on the public writes, shared by every web process and host, that
never record where anyone connects from.

What is counted (per address; the counts are settings, ``OMBUD_RATELIMIT_*``, the
windows are fixed: see ``ombud.config.RATELIMIT_VARIABLES``):

- ``form``: every POST of the reporter's form pages (each step of /report/new/,
  uploads included, the review page's buttons, leaving the status page);
- ``report``: sending a report (the review page's "send", ``POST /api/v1/reports``);
- ``receipt``: receipts typed or sent that open nothing. A receipt that opens a
  case gives its attempt back, so a reporter who polls is never locked out;
- ``directory``: searches of the directory from the report form;
- ``message``: messages and files from a reporter (page and API).

Every public write is counted before anything reads its body, decrypts or
derives a key: :class:`PublicWriteMiddleware` (placed before CSRF, which reads
form bodies) for the pages marked with :func:`counted`; for the JSON API a ninja
throttle (:class:`CountedThrottle`, which ninja checks before it parses a body)
and the receipt check itself.

How: each scope and address has ``limit`` slots in Django's cache (a table of the
database by default, Redis with ``OMBUD_REDIS_URL``). An attempt takes a free slot
with ``cache.add``, atomic in both backends (an INSERT refused by the unique key,
Redis's SET NX), and the slot expires ``window`` seconds later: at most ``limit``
attempts in any ``window`` seconds, however many processes answer. Which slot: up
to 32, the first free one after reading them all; above (a bench's 10,000, say),
first a few drawn at random, so that an attempt costs the same whatever the limit
until most slots are taken (reading 10,000 slots added 20-40 ms to each report). Counters with
``cache.incr`` are not used: the database cache's incr is a read then a write
(two processes lose counts) and it resets the expiry.

What the cache holds: keys ``ombud-rate:<scope>:<hash>:<slot>`` and the number 1.
The hash is keyed BLAKE2b of the scope and the address, under a key derived from
the pepper, so every process and host agrees on it while someone who reads the
cache table or Redis (or a backup of them) cannot test guessed addresses. Someone
who also holds the pepper can, for as long as a count lives (at most its window).

For other code (the sign-in throttle, for instance), by any key, not only by
address::

    from ombud.intake import ratelimit

    if ratelimit.hit("sign-in", username.casefold(), limit=10, window=900):
        ...  # refused; the attempt was not counted
    attempt = ratelimit.take("sign-in", username.casefold(), limit=10, window=900)
    if attempt is None:
        ...  # refused
    elif password_was_right:
        attempt.refund()  # only failures count

The key is hashed here; pass the address itself (:func:`client_address`), never
store it.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja.throttling import BaseThrottle

from ombud import config

View = TypeVar("View", bound=Callable[..., HttpResponse])
Refused = Callable[[HttpRequest, str], HttpResponse]


@dataclass(frozen=True)
class Attempt:
    """One counted attempt: the cache slot it holds until its window ends."""

    slot: str

    def refund(self) -> None:
        """Give the attempt back (it succeeded, and only failures count)."""
        cache.delete(self.slot)


def limits(scope: str) -> tuple[int, int]:
    """(attempts, window in seconds) of one of Ombud's own scopes."""
    return tuple(settings.OMBUD_RATELIMITS[scope])  # type: ignore[return-value]


@functools.cache
def _hash_key() -> bytes:
    # Derived, not random: every process and host must find the same counts.
    pepper = config.pepper(settings.CONFIG)
    return hashlib.blake2b(key=pepper[:64], person=b"ombud-ratelimit").digest()


def _prefix(scope: str, key: str) -> str:
    digest = hashlib.blake2b(
        f"{scope}\n{key}".encode(), key=_hash_key(), digest_size=16
    ).hexdigest()
    return f"ombud-rate:{scope}:{digest}"


# Up to this many slots, an attempt reads them all at once (one read of the cache);
# above it, it first tries a few slots drawn at random, so that its cost does not
# grow with the limit while few slots are taken.
READ_ALL_UP_TO = 32
DRAWS = 3


def take(
    scope: str, key: str, *, limit: int | None = None, window: int | None = None
) -> Attempt | None:
    """Count one attempt at ``scope`` by ``key``; None when the limit is reached (the
    attempt is then not counted). ``limit`` and ``window`` default to the scope's
    settings; other code's scopes give both."""
    if limit is None or window is None:
        default_limit, default_window = limits(scope)
        limit = default_limit if limit is None else limit
        window = default_window if window is None else window
    prefix = _prefix(scope, key)
    if limit > READ_ALL_UP_TO:
        # Each draw takes its slot if free (atomic, as below); a refused draw means
        # that slot is taken. After DRAWS refusals, most slots probably are: read all.
        for _draw in range(DRAWS):
            slot = f"{prefix}:{secrets.randbelow(limit)}"
            if cache.add(slot, 1, timeout=window):
                return Attempt(slot)
    slots = [f"{prefix}:{slot}" for slot in range(limit)]
    taken = cache.get_many(slots)
    for slot in slots:
        # Another process may take a free slot first: then add refuses, try the next.
        if slot not in taken and cache.add(slot, 1, timeout=window):
            return Attempt(slot)
    return None


def hit(scope: str, key: str, *, limit: int | None = None, window: int | None = None) -> bool:
    """Count one attempt; True when ``key`` has used up its attempts at ``scope``."""
    return take(scope, key, limit=limit, window=window) is None


def client_address(request: HttpRequest) -> str:
    """The reporter's address as counted here, never stored: behind N trusted proxies
    (OMBUD_TRUSTED_PROXIES) it is the Nth address from the right of X-Forwarded-For,
    the one the outermost trusted proxy saw; otherwise the connection's."""
    hops = settings.OMBUD_TRUSTED_PROXIES
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or ""


def attempt(scope: str, request: HttpRequest) -> Attempt | None:
    """Count one attempt from this request's address; None when refused."""
    return take(scope, client_address(request))


def rate_limited(scope: str, request: HttpRequest) -> bool:
    """Count one attempt from this request's address; True when refused."""
    return attempt(scope, request) is None


# The reporter's pages ---------------------------------------------------------


def counted(scope: str, *, refused: Refused) -> Callable[[View], View]:
    """Mark a page whose POSTs count at ``scope``; ``refused(request, scope)`` answers
    when the limit is reached, and must not read the request's body."""

    def mark(view: View) -> View:
        view.ombud_rate_scope = scope  # type: ignore[attr-defined]
        view.ombud_rate_refused = refused  # type: ignore[attr-defined]
        return view

    return mark


def refund(request: HttpRequest) -> None:
    """Give back the attempt :class:`PublicWriteMiddleware` counted for this request."""
    counted_attempt: Attempt | None = getattr(request, "ombud_attempt", None)
    if counted_attempt is not None:
        counted_attempt.refund()
        request.ombud_attempt = None  # type: ignore[attr-defined]


class PublicWriteMiddleware:
    """Counts a POST to a page marked with :func:`counted` before any other code reads
    its body; when the limit is reached, answers with the page's ``refused``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        scope = getattr(view, "ombud_rate_scope", None)
        if scope is None or request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        counted_attempt = attempt(scope, request)
        if counted_attempt is None:
            response: HttpResponse = view.ombud_rate_refused(request, scope)
            response["Retry-After"] = str(limits(scope)[1])
            return response
        request.ombud_attempt = counted_attempt  # type: ignore[attr-defined]
        return None


# The JSON API -----------------------------------------------------------------


class CountedThrottle(BaseThrottle):
    """A ninja throttle on one of these scopes: ninja checks it after authentication
    and before it reads the body."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def allow_request(self, request: HttpRequest) -> bool:
        return attempt(self.scope, request) is not None

    def wait(self) -> float:
        return float(limits(self.scope)[1])
