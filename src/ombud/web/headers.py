"""Protective headers on static files, which WhiteNoise serves before any middleware."""

from __future__ import annotations

from typing import Any

STATIC_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def add_static_headers(headers: Any, path: str, url: str) -> None:
    for name, value in STATIC_HEADERS.items():
        headers[name] = value


class NoStoreMiddleware:
    """No page is kept by the browser or a proxy: a reporter's report, a receipt or a
    case must not be found later in a shared computer's cache or back-button history."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response
