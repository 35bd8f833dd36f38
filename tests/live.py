"""A small HTTP client for tests against a running ``ombud serve``: it keeps cookies,
sends forms and files, and can connect from a chosen loopback address."""

from __future__ import annotations

import http.client
import http.cookies
import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LiveClient:
    base_url: str
    source_address: str = "127.0.0.1"
    user_agent: str = "ombud-tests"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        parts = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1",
            parts.port,
            timeout=30,
            source_address=(self.source_address, 0),
        )
        sent = {"User-Agent": self.user_agent, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def csrf(self, path: str) -> str:
        page = self.get(path).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, f"no form on {path}"
        return token[1]

    def post_form(
        self,
        path: str,
        fields: dict[str, Any],
        files: list[tuple[str, str, bytes, str]] = (),  # type: ignore[assignment]
        *,
        token_from: str | None = None,
    ) -> Reply:
        """A form as a browser sends it, CSRF token included (read from ``token_from``)."""
        fields = {**fields, "csrfmiddlewaretoken": self.csrf(token_from or path)}
        boundary = "----ombud" + secrets.token_hex(12)
        chunks: list[bytes] = []
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                chunks.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{item}\r\n".encode()
                )
        for name, filename, data, content_type in files:
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + data
                + b"\r\n"
            )
        chunks.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            body=b"".join(chunks),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def post_json(self, path: str, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return self.request(
            "POST",
            path,
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def post_files(
        self, path: str, files: list[tuple[str, str, bytes, str]], headers: dict[str, str]
    ) -> Reply:
        boundary = "----ombud" + secrets.token_hex(12)
        body = (
            b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + data
                + b"\r\n"
                for name, filename, data, content_type in files
            )
            + f"--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **headers},
        )
