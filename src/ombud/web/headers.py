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
