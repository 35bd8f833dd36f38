"""The quick exit ("Leave this site quickly") really leaves: it ends the
reporter's session and deletes her draft on the server, tells the browser to
forget the site, and goes to OMBUD_QUICK_EXIT_URL. A plain link, so it works
without JavaScript. The browser's Back button is tried in tests/test_browser.py."""

from __future__ import annotations

import pytest
from django.test import Client

from ombud.intake.models import Draft
from tests.access.test_vault import signed_in
from tests.intake.helpers import report_fields, reporter_signed_in, submit_through_pages

pytestmark = pytest.mark.usefixtures("recovery_shares")

# Not "cookies": that would clear the whole registrable domain's (the organisation's
# intranet sign-in too); Ombud's own cookies are deleted by name instead.
EVERYTHING = '"cache", "storage"'


def leave(client: Client, site: str = "same-origin"):
    return client.get("/report/exit/", headers={"Sec-Fetch-Site": site})


def test_the_quick_exit_ends_her_session_and_sends_her_away(cast, settings):
    receipt, _page = submit_through_pages(Client())
    reporter = reporter_signed_in(receipt)
    assert "cornered me in the stock room" in reporter.get("/report/status/").content.decode()

    response = leave(reporter)
    assert response.status_code == 302
    assert response["Location"] == settings.OMBUD_QUICK_EXIT_URL
    assert response["Clear-Site-Data"] == EVERYTHING
    assert response["Cache-Control"] == "no-store"
    deleted = {name for name, cookie in response.cookies.items() if cookie["max-age"] == 0}
    assert {"ombud_reporter", "ombud_draft", "sessionid", "csrftoken", "ombud_language"} <= deleted
    # Even with the cookie the browser would have kept, the server opens nothing.
    again = reporter.get("/report/status/").content.decode()
    assert "cornered me in the stock room" not in again
    assert "Your receipt" in again


def test_the_quick_exit_deletes_her_draft_and_its_cookie(cast):
    reporter = Client()
    typed = "He said he would wait for me after the late shift."
    reporter.post("/report/new/", {**report_fields(description=typed), "action": "save"})
    assert Draft.objects.count() == 1
    assert typed in reporter.get("/report/new/").content.decode()

    response = leave(reporter)
    assert response.cookies["ombud_draft"]["max-age"] == 0
    assert Draft.objects.count() == 0
    assert typed not in reporter.get("/report/new/").content.decode()


def test_a_sent_report_is_not_shown_again_after_the_quick_exit(cast):
    reporter = Client()
    receipt, _page = submit_through_pages(reporter)
    leave(reporter)
    # A second "send" (Back, then the button again) finds no receipt to show.
    again = reporter.post("/report/review/", {"action": "submit"})
    assert receipt not in again.content.decode()
    assert Draft.objects.count() == 0


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_another_site_sending_her_to_the_exit_only_sends_her_away(cast, site):
    receipt, _page = submit_through_pages(Client())
    reporter = reporter_signed_in(receipt)
    response = leave(reporter, site)
    assert response.status_code == 302 and "Clear-Site-Data" not in response
    assert "cornered me in the stock room" in reporter.get("/report/status/").content.decode()


def test_a_browser_prefetching_the_link_does_not_end_her_session(cast):
    receipt, _page = submit_through_pages(Client())
    reporter = reporter_signed_in(receipt)
    response = reporter.get(
        "/report/exit/", headers={"Sec-Fetch-Site": "same-origin", "Sec-Purpose": "prefetch"}
    )
    assert response.status_code == 302 and "Clear-Site-Data" not in response
    assert "cornered me in the stock room" in reporter.get("/report/status/").content.decode()


def test_the_quick_exit_never_signs_staff_out(cast):
    handler = signed_in(cast.handler)
    handler.post("/report/new/", {**report_fields(), "action": "save"})
    response = leave(handler)
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache"'  # her staff cookies are spared
    deleted = {name for name, cookie in response.cookies.items() if cookie["max-age"] == 0}
    assert deleted == {"ombud_reporter", "ombud_draft"}
    assert Draft.objects.count() == 0  # the report she was writing is gone all the same
    assert "Signed in as Hana Quill" in handler.get("/").content.decode()
    assert handler.get("/cases/").status_code == 200


def test_the_quick_exit_is_a_link_on_every_reporter_page_and_the_home_page(cast):
    receipt, _page = submit_through_pages(Client())
    pages = [
        Client().get("/"),
        Client().get("/report/"),
        Client().get("/report/new/"),
        Client().get("/report/status/"),
        reporter_signed_in(receipt).get("/report/status/"),
    ]
    for page in pages:
        html = page.content.decode()
        assert 'href="/report/exit/"' in html and "Leave this site quickly" in html
        assert "quick-exit.js" in html


def test_the_quick_exit_only_answers_get(cast):
    assert Client().post("/report/exit/").status_code == 405
