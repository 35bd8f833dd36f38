"""Rate limits count by address without keeping the address anywhere."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from ombud.cases.models import Case
from tests.intake.test_api import post, report

pytestmark = pytest.mark.usefixtures("recovery_shares")


def test_reports_are_limited_per_address_and_the_address_is_not_what_is_counted(cast):
    for _attempt in range(10):
        assert post("/api/v1/reports", report(), REMOTE_ADDR="10.9.8.7").status_code == 201
    refused = post("/api/v1/reports", report(), REMOTE_ADDR="10.9.8.7")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert Case.objects.count() == 10
    assert post("/api/v1/reports", report(), REMOTE_ADDR="10.9.8.8").status_code == 201
    keys = list(cache._cache.keys())  # type: ignore[attr-defined]
    assert keys, "the counters are in this process's cache"
    assert not any("10.9.8" in key for key in keys)


def test_guessing_receipts_on_the_page_is_slowed_down(cast):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _attempt in range(20):
        answer = client.post("/report/status/", {"receipt": "0000-0000-0000-0000-0000-0000"})
        assert "No report answers to this receipt" in answer.content.decode()
    answer = client.post("/report/status/", {"receipt": "0000-0000-0000-0000-0000-0000"})
    assert "Too many attempts from here" in answer.content.decode()


def test_the_directory_picker_cannot_be_used_to_list_the_organisation(cast):
    from tests.intake.helpers import report_fields

    client = Client(REMOTE_ADDR="10.2.2.2")
    for _attempt in range(30):
        client.post("/report/new/", {**report_fields(find="hallgrim"), "action": "find"})
    page = client.post("/report/new/", {**report_fields(find="hallgrim"), "action": "find"})
    assert "Too many searches for now" in page.content.decode()
    assert 'name="pick"' not in page.content.decode()


def test_behind_a_trusted_proxy_each_reporter_is_counted_apart(cast, settings):
    settings.OMBUD_TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _attempt in range(10):
        sent = post("/api/v1/reports", report(), HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
        assert sent.status_code == 201
    # The same reporter, even if she forges an extra address on the left, is refused...
    forged = post(
        "/api/v1/reports", report(), HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7", **proxy
    )
    assert forged.status_code == 429
    # ...while another reporter behind the same proxy is not.
    other = post("/api/v1/reports", report(), HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert other.status_code == 201
