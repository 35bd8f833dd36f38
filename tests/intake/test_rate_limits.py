"""Rate limits count by address without keeping the address anywhere, are shared by
every process, are counted before any work on a request's body, and do not count a
reporter who only follows her own case."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from ombud import config
from ombud.cases.models import Case
from tests.intake.helpers import report_fields
from tests.intake.test_api import post, receipt_header, report
from tests.live import LiveClient
from tests.test_serve import start, stop, wait_for_health

pytestmark = pytest.mark.usefixtures("recovery_shares")

WRONG = "0000-0000-0000-0000-0000-0000"


def stored_counts() -> list[str]:
    """What someone reading the cache (the database's table, or Redis) finds: every
    key of this test's counts, with its value."""
    options = django_settings.CACHES["default"]
    prefix = options["KEY_PREFIX"]
    if "redis" in options["BACKEND"].lower():
        import redis

        client = redis.Redis.from_url(options["LOCATION"])
        return [f"{key.decode()}={client.get(key)!r}" for key in client.scan_iter(f"{prefix}:*")]
    table = connection.ops.quote_name(options["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, value FROM {table}")  # noqa: S608 - our table name
        return [f"{key}={value}" for key, value in cursor.fetchall() if key.startswith(prefix)]


def unkeyed_hashes(address: str) -> list[str]:
    return [
        hashlib.new(name, address.encode()).hexdigest()[:16]
        for name in ("md5", "sha1", "sha256", "blake2b")
    ]


@pytest.fixture
def defaults(settings) -> dict[str, tuple[int, int]]:
    """The limits of an installation that sets no OMBUD_RATELIMIT_* variable."""
    environ = {
        name: value for name, value in os.environ.items() if not name.startswith("OMBUD_RATELIMIT")
    }
    loaded = config.load(environ).ratelimits
    settings.OMBUD_RATELIMITS = {
        scope: (loaded[scope], window)
        for scope, (_variable, _default, window) in config.RATELIMIT_VARIABLES.items()
    }
    return settings.OMBUD_RATELIMITS


@pytest.fixture
def one_each(settings) -> None:
    settings.OMBUD_RATELIMITS = {scope: (1, 600) for scope in settings.OMBUD_RATELIMITS}


def test_reports_are_limited_per_address_and_the_address_is_not_what_is_counted(cast, defaults):
    for _attempt in range(10):
        assert post("/api/v1/reports", report(), REMOTE_ADDR="10.9.8.7").status_code == 201
    refused = post("/api/v1/reports", report(), REMOTE_ADDR="10.9.8.7")
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert refused.json() == {"detail": "too many attempts from here; try again later"}
    assert Case.objects.count() == 10
    assert post("/api/v1/reports", report(), REMOTE_ADDR="10.9.8.8").status_code == 201
    # An operator reading the cache finds neither the address nor a plain hash of it.
    counts = "\n".join(stored_counts())
    assert counts.count("ombud-rate:report:") == 11
    assert "10.9.8" not in counts
    for plain in unkeyed_hashes("10.9.8.7") + unkeyed_hashes("10.9.8.8"):
        assert plain not in counts


def test_the_defaults_still_refuse_each_kind_of_public_write(cast, defaults):
    assert defaults == {
        "report": (10, 3600),
        "form": (60, 3600),
        "receipt": (20, 600),
        "directory": (30, 600),
        "message": (30, 3600),
    }
    guesser = Client(REMOTE_ADDR="10.1.1.1")
    for _attempt in range(20):
        answer = guesser.post("/report/status/", {"receipt": WRONG})
        assert "No report answers to this receipt" in answer.content.decode()
    answer = guesser.post("/report/status/", {"receipt": WRONG})
    assert answer.status_code == 429 and answer["Retry-After"] == "600"
    assert "Too many attempts from here" in answer.content.decode()

    filler = Client(REMOTE_ADDR="10.1.1.2")
    for _step in range(60):
        assert filler.post("/report/new/", report_fields()).status_code == 200
    answer = filler.post("/report/new/", report_fields())
    assert answer.status_code == 429 and "Too many steps from here" in answer.content.decode()


def test_guessing_receipts_on_the_page_is_slowed_down(cast):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _attempt in range(20):
        answer = client.post("/report/status/", {"receipt": WRONG})
        assert "No report answers to this receipt" in answer.content.decode()
    answer = client.post("/report/status/", {"receipt": WRONG})
    assert "Too many attempts from here" in answer.content.decode()


def test_a_reporter_who_follows_her_case_is_never_locked_out_while_guesses_still_are(cast):
    receipt = post("/api/v1/reports", report(), REMOTE_ADDR="10.4.4.4").json()["receipt"]
    for _poll in range(30):  # more than the 20 tries the receipt limit allows
        polled = Client().get(
            "/api/v1/reporter/case", REMOTE_ADDR="10.4.4.4", **receipt_header(receipt)
        )
        assert polled.status_code == 200
        page = Client(REMOTE_ADDR="10.4.4.4").post("/report/status/", {"receipt": receipt})
        assert page.status_code == 302
    # Someone guessing from the same address is still stopped after 20 wrong receipts.
    for _guess in range(20):
        guessed = Client().get(
            "/api/v1/reporter/case", REMOTE_ADDR="10.4.4.4", **receipt_header(WRONG)
        )
        assert guessed.status_code == 401
    guessed = Client().get("/api/v1/reporter/case", REMOTE_ADDR="10.4.4.4", **receipt_header(WRONG))
    assert guessed.status_code == 429 and guessed["Retry-After"] == "600"


def test_a_second_report_over_the_limit_is_refused_on_the_review_page_and_kept(cast, settings):
    from tests.intake.helpers import submit_through_pages

    settings.OMBUD_RATELIMITS = {**settings.OMBUD_RATELIMITS, "report": (1, 3600)}
    reporter = Client(REMOTE_ADDR="10.3.3.3")
    submit_through_pages(reporter)
    reporter.post("/report/new/", {**report_fields(location="Loading bay"), "action": "review"})
    refused = reporter.post("/report/review/", {"action": "submit"})
    assert refused.status_code == 429
    assert "Too many reports have been sent from here" in refused.content.decode()
    assert "Loading bay" in refused.content.decode()  # her draft is kept
    assert Case.objects.count() == 1


def test_the_directory_picker_cannot_be_used_to_list_the_organisation(cast):
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


# A body that cannot be parsed: whoever reads it answers 400. Counted first, the
# request over the limit is refused (429) without anyone reading it.
UNREADABLE = {"data": b"--x\r\nnot a form", "content_type": "multipart/form-data"}


@pytest.mark.parametrize(
    "path", ["/report/new/", "/report/review/", "/report/status/", "/report/status/message/"]
)
def test_a_flood_of_posts_to_a_reporter_page_is_refused_before_its_body_is_read(
    cast, one_each, path
):
    flooder = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.6.6.6")
    assert flooder.get("/report/new/").status_code == 200  # the CSRF cookie, as a browser has
    assert flooder.post(path, **UNREADABLE).status_code == 400  # read: by the CSRF check
    refused = flooder.post(path, **UNREADABLE)
    assert refused.status_code == 429, refused.content.decode()[:500]
    assert "Please wait" in refused.content.decode()


def test_a_flood_of_api_writes_is_refused_before_the_body_is_read(cast, settings):
    receipt = post("/api/v1/reports", report(), REMOTE_ADDR="10.7.7.7").json()["receipt"]
    settings.OMBUD_RATELIMITS = {scope: (1, 600) for scope in settings.OMBUD_RATELIMITS}
    api = Client(REMOTE_ADDR="10.7.7.8")
    for path, headers in [
        ("/api/v1/reports", {}),
        ("/api/v1/reporter/attachments", receipt_header(receipt)),
        ("/api/v1/reporter/messages", receipt_header(receipt)),
    ]:
        if path == "/api/v1/reporter/messages":
            api = Client(REMOTE_ADDR="10.7.7.9")  # messages and files share one count
        first = api.post(path, **UNREADABLE, **headers)
        assert first.status_code in (400, 422), (path, first.content)
        refused = api.post(path, **UNREADABLE, **headers)
        assert refused.status_code == 429, (path, refused.content)
        assert json.loads(refused.content) == {
            "detail": "too many attempts from here; try again later"
        }
        assert refused["Retry-After"]


def test_leaving_the_status_page_works_even_over_the_limit(cast, one_each):
    receipt = post("/api/v1/reports", report(), REMOTE_ADDR="10.8.8.8").json()["receipt"]
    reporter = Client(REMOTE_ADDR="10.8.8.9")
    assert reporter.post("/report/status/", {"receipt": receipt}).status_code == 302
    reporter.post("/report/new/", report_fields())  # her one form step of the hour
    left = reporter.post("/report/status/leave/")
    assert left.status_code == 302
    assert reporter.get("/report/status/").status_code == 200
    assert "Open my report" in reporter.get("/report/status/").content.decode()


@pytest.mark.slow
def test_two_ombud_serve_processes_count_one_limit_together(instance):
    """Two `ombud serve` (each with several web workers) on one database, or one
    Redis: a guesser gains nothing by spreading her tries over them."""
    if os.environ.get("OMBUD_REDIS_URL"):
        instance.env["OMBUD_REDIS_URL"] = os.environ["OMBUD_REDIS_URL"]
    instance.env["OMBUD_RATELIMIT_RECEIPT_FAILURES"] = "6"
    made = instance.run("recovery", "init", "--shares", "2", "--threshold", "2")
    assert made.returncode == 0, made.stderr
    first, first_url = start(instance, "serve")
    second, second_url = start(instance, "serve")
    try:
        wait_for_health(first_url, first)
        wait_for_health(second_url, second)
        guess = {"Authorization": f"Receipt {WRONG}"}
        answers = [
            LiveClient(url, source_address="127.0.0.3").get("/api/v1/reporter/case", guess).status
            for url in [first_url, second_url] * 3
        ]
        assert answers == [401] * 6
        for url in (first_url, second_url):
            refused = LiveClient(url, source_address="127.0.0.3").get(
                "/api/v1/reporter/case", guess
            )
            assert refused.status == 429
        other = LiveClient(second_url, source_address="127.0.0.4").get(
            "/api/v1/reporter/case", guess
        )
        assert other.status == 401
        if "OMBUD_REDIS_URL" not in instance.env:
            keys = [key for (key,) in instance.query("SELECT cache_key FROM ombud_cache")]
            assert len([key for key in keys if ":ombud-rate:receipt:" in key]) == 7
            assert not any("127.0.0" in key for key in keys)
    finally:
        for process in (first, second):
            code, _out, err = stop(process)
            assert code == 0, err


def test_a_large_limit_still_counts_every_attempt_refuses_past_it_and_takes_refunds_back(cast):
    from ombud.intake import ratelimit

    def take(address: str) -> ratelimit.Attempt | None:
        return ratelimit.take("large", address, limit=40, window=60)

    taken = [take("10.7.7.7") for _attempt in range(40)]
    assert all(taken) and len({attempt.slot for attempt in taken if attempt}) == 40
    assert take("10.7.7.7") is None
    refunded = taken[7]
    assert refunded is not None
    refunded.refund()
    again = take("10.7.7.7")
    assert again is not None and again.slot == refunded.slot
    assert take("10.7.7.7") is None
    assert take("10.7.7.8") is not None


def test_an_attempt_under_a_large_limit_does_not_read_every_slot(cast):
    from django.test.utils import CaptureQueriesContext

    from ombud.intake import ratelimit

    with CaptureQueriesContext(connection) as queries:
        assert ratelimit.take("large", "10.7.7.9", limit=10_000, window=60) is not None
    # Reading 10,000 slots is one query of some 800 KB on the database's cache.
    assert sum(len(query["sql"]) for query in queries.captured_queries) < 20_000
