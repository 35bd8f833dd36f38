"""Acceptance: after a real sign-in on a running server, the database (with its
write-ahead log) and the cookie each hold the user's private key in no form."""

from __future__ import annotations

import base64
import http.cookiejar
import re
import subprocess
import urllib.parse
import urllib.request
import zlib

import pytest

from tests.access.test_vault import encodings
from tests.conftest import Authenticator
from tests.test_serve import start, stop, wait_for_health

pytestmark = pytest.mark.slow

SETUP = """
from ombud.directory.models import Person
from ombud.directory.services import person_save, role_grant, user_create
from ombud.signin.services import totp_device_create
person = person_save(actor="test", person=Person(employee_id="C010", name="Hana Quill"))
hana = user_create(actor="test", username="hana", password="correct horse battery", person=person)
role_grant(actor="test", user=hana, role="handler")
print(totp_device_create(actor="test", user=hana))
"""
UNLOCK = """
from ombud.access.services import staff_key_unlock
from ombud.directory.models import User
print(staff_key_unlock(user=User.objects.get(username="hana"),
                       password="correct horse battery").hex())
"""


def sign_in(
    url: str, username: str, password: str, code: str
) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    form = urllib.parse.urlencode(
        {
            "username": username,
            "password": password,
            "otp_token": code,
            "csrfmiddlewaretoken": token[1],
        }
    ).encode()
    opener.open(url + "accounts/login/", data=form, timeout=10).read()
    return opener, jar


def session_payloads(instance) -> bytes:
    """What anyone with the database reads in the sessions: Django signs them but
    does not encrypt them (base64 of zlib-compressed JSON)."""
    payloads = []
    for (data,) in instance.query("SELECT session_data FROM django_session"):
        body = data.split(":")[0]
        compressed = body.startswith(".")
        raw = base64.urlsafe_b64decode(body.lstrip(".") + "=" * (-len(body.lstrip(".")) % 4))
        payloads.append(zlib.decompress(raw) if compressed else raw)
    assert payloads
    return b"\n".join(payloads)


def database_bytes(instance) -> bytes:
    url = instance.env.get("DATABASE_URL")
    if url:
        dump = subprocess.run(["pg_dump", "--no-owner", url], capture_output=True, check=True)
        return dump.stdout
    files = sorted(instance.data_dir.glob("ombud.sqlite3*"))
    assert any(path.name.endswith("-wal") for path in files)  # the log is scanned too
    return b"".join(path.read_bytes() for path in files)


def test_after_a_sign_in_the_database_and_the_cookie_hold_no_form_of_the_private_key(instance):
    app = Authenticator(instance.python(SETUP))
    process, url = start(instance, "serve")
    try:
        wait_for_health(url, process, worker_only=True)  # no recovery key: no reports here
        opener, jar = sign_in(url, "hana", "correct horse battery", app.code())
        home = opener.open(url, timeout=10).read().decode()
        assert "Your key is unlocked for this sign-in" in home
        private = bytes.fromhex(instance.python(UNLOCK))
        stored = database_bytes(instance) + session_payloads(instance)
        assert b"ombud_private_key" in stored  # the session's sealed copy is there
        assert len(stored) > 10_000
        cookies = {cookie.name: cookie.value.encode() for cookie in jar}
        assert "ombud_key" in cookies and "sessionid" in cookies
        for form in encodings(private):
            assert form not in stored, "the private key is in the database"
            assert form not in cookies["ombud_key"], "the private key is in the cookie"
    finally:
        code, _out, err = stop(process)
    assert code == 0, err
