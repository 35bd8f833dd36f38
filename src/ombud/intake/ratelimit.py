"""Rate limits for reporters that never record where a reporter connects from.

A count is kept in the cache (memory of the process, with an expiry) under a
keyed hash of the address; the key is random, made when the process starts and
never written down, so the hashes cannot be tested against guessed addresses
even by someone who reads the process's cache. Nothing goes to the database or
a log.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_KEY = secrets.token_bytes(32)

# scope: (attempts, window in seconds)
LIMITS = {
    "report": (10, 3600),
    "receipt": (20, 600),
    "directory": (30, 600),
    "message": (30, 3600),
}


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


def _bucket(scope: str, request: HttpRequest) -> str:
    address = client_address(request)
    digest = hashlib.blake2b(address.encode(), key=_KEY, digest_size=16).hexdigest()
    return f"ombud-rate:{scope}:{digest}"


def rate_limited(scope: str, request: HttpRequest) -> bool:
    """Count one attempt; True when this address has used up its attempts."""
    limit, window = LIMITS[scope]
    bucket = _bucket(scope, request)
    cache.add(bucket, 0, timeout=window)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window)
        count = 1
    return count > limit
