"""Pages in a real browser (Debian's Chromium driven by Playwright), served by
`ombud demo` exactly as a user starts it.

Everything read off a page is read through Playwright's `expect(...)`, which
waits for the page to get there (up to WAIT): never `is_visible()`, `count()` or
`inner_text()` at once, which look at whatever page is there at that instant, so
a busy machine can make them look too early."""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from ombud.demo import DEMO_PASSWORD
from tests.conftest import Authenticator
from tests.demo_server import running_demo

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APPS: dict[str, Authenticator] = {}  # the demo's staff, by user name
SCREENSHOTS = Path(os.environ.get("OMBUD_SCREENSHOTS", "var/screenshots"))
# How long an expectation or an action waits: a page that sends a report cleans its
# files in child processes, which on a busy two-core machine takes seconds.
WAIT = 30_000
expect.set_options(timeout=WAIT)
RECEIPT_RE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$")

pytestmark = pytest.mark.slow


class _Elsewhere(BaseHTTPRequestHandler):
    """The page the quick exit leads to: a harmless site, here on loopback."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"<!doctype html><title>Weather</title><h1>Weather today</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def elsewhere_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Elsewhere)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/weather"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, elsewhere_url) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    with running_demo(folder, OMBUD_QUICK_EXIT_URL=elsewhere_url) as server:
        APPS.update(server.apps)
        yield server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Tab:
    def __init__(self, page: Page) -> None:
        self.page = page
        page.set_default_timeout(WAIT)
        self.csp_violations: list[str] = []
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / name, full_page=True)


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context = browser.new_context()
    yield Tab(context.new_page())
    context.close()


def sign_in(tab: Tab, base: str, username: str, password: str, *, ok: bool = True) -> None:
    page = tab.page
    page.goto(base + "/")
    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Code from your authenticator app").fill(APPS[username].code(spent=ok))
    with page.expect_navigation():  # the answer to the form, before anything is looked at
        page.get_by_role("button", name="Sign in").click()


def test_the_home_page_renders_with_its_stylesheet(tab, demo_url):
    tab.page.goto(demo_url + "/")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(re.compile("^Speak up safely"))
    # The stylesheet loaded.
    expect(tab.page.locator("header.site")).to_have_css("background-color", "rgb(255, 255, 255)")
    tab.shot("home.png")
    assert tab.csp_violations == []


def test_an_administrator_signs_in_and_edits_the_directory_without_csp_violations(tab, demo_url):
    page = tab.page
    sign_in(tab, demo_url, "wenna.trelawny", DEMO_PASSWORD)
    expect(page.get_by_text("Signed in as Wenna Trelawny")).to_be_visible()
    page.get_by_role("link", name="Manage the directory").click()
    page.get_by_role("link", name="People").first.click()
    page.get_by_role("link", name="Q0013", exact=True).click()
    page.get_by_label("Job title").fill("Senior Buyer")
    tab.shot("admin-person.png")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    tab.shot("admin-people.png")
    assert tab.csp_violations == []


def test_a_wrong_password_keeps_the_user_name_and_says_what_is_wrong(tab, demo_url):
    sign_in(tab, demo_url, "amara.quenby", "not her password", ok=False)
    expect(tab.page.get_by_role("alert")).to_have_text(re.compile("^Please enter a correct"))
    expect(tab.page.get_by_label("User name")).to_have_value("amara.quenby")
    tab.shot("sign-in-error.png")
    assert tab.csp_violations == []


def test_a_handler_who_opens_the_admin_is_told_she_may_not(tab, demo_url):
    sign_in(tab, demo_url, "amara.quenby", DEMO_PASSWORD)
    response = tab.page.goto(demo_url + "/admin/")
    assert response is not None and response.status == 403
    expect(tab.page.get_by_text("Your account may not do this")).to_be_visible()


def test_a_reporter_reports_and_follows_her_case_with_javascript_turned_off(browser, demo_url):
    reporter = Tab(browser.new_context(java_script_enabled=False).new_page())
    page = reporter.page
    page.goto(demo_url + "/report/")
    page.get_by_role("link", name="Make a report").click()
    page.wait_for_url("**/report/new/")
    expect(page.get_by_role("link", name="Leave this site quickly")).to_be_visible()
    page.get_by_label("An employee", exact=True).check()
    page.get_by_label("Anonymous: nobody learns who I am").check()
    page.get_by_label("Sexual harassment").check()
    page.get_by_label("What happened?").fill(
        "He blocked the door of the cold store and would not let me out."
    )
    page.get_by_label("…or roughly when").fill("Last Friday's late shift")
    page.get_by_label("At the office or workplace").check()
    page.get_by_label("Search the directory by name").fill("ostby")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="Add Henrik Ostby").click()
    expect(page.get_by_text("Linked to the directory.")).to_be_visible()
    expect(page.get_by_label("What happened?")).to_have_value(re.compile("^He blocked the door"))
    page.get_by_label("Add files").set_input_files(
        files=[
            {"name": "note.txt", "mimeType": "text/plain", "buffer": b"Friday 22:40, cold store"}
        ]
    )
    reporter.shot("report-form.png")
    page.get_by_role("button", name="Review my report").click()
    expect(page.get_by_role("heading", name="Review your report")).to_be_visible()
    expect(page.get_by_text("note.txt")).to_be_visible()
    reporter.shot("report-review.png")
    page.get_by_role("button", name="Send my report").click()
    expect(page.get_by_role("heading", name="Your report has been received")).to_be_visible()
    expect(page.locator(".receipt-code")).to_have_text(RECEIPT_RE)
    receipt = page.locator(".receipt-code").inner_text().strip()
    reporter.shot("report-receipt.png")

    page.goto(demo_url + "/report/status/")
    page.get_by_label("Your receipt").fill(receipt.replace("-", " ").lower())
    page.get_by_role("button", name="Open my report").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"OMB-\d{4}-\d{6}$"))
    reference = heading.inner_text().split()[-1]
    page.get_by_label("Your message").fill("He was in the store again today.")
    page.get_by_role("button", name="Send a message").click()
    expect(page.get_by_text("Sent. The people handling your case will see it.")).to_be_visible()

    handler = Tab(browser.new_context().new_page())
    case = handler.page
    sign_in(handler, demo_url, "amara.quenby", DEMO_PASSWORD)
    case.goto(demo_url + "/cases/")
    case.get_by_role("link", name=reference).click()
    expect(case.get_by_role("button", name="I have no conflict: open the case")).to_be_visible()
    handler.shot("case-confirm.png")
    case.get_by_role("button", name="I have no conflict: open the case").click()
    expect(case.get_by_text("He was in the store again today.")).to_be_visible()
    case.get_by_label("Acknowledgement, written to the reporter").fill(
        "We have your report and are on it."
    )
    # Each answer is a new page: wait for it before touching its form, or the old
    # page's form would be filled just before it goes away.
    with case.expect_navigation():
        case.get_by_role("button", name="Acknowledge, with a message to the reporter").click()
    case.get_by_label("Message to the reporter").fill("Are you safe right now?")
    with case.expect_navigation():
        case.get_by_role("button", name="Send to the reporter").click()
    expect(
        case.locator("article.message").filter(has_text="Are you safe right now?")
    ).to_be_visible()
    handler.shot("case-page.png")

    page.reload()
    expect(page.get_by_text("Are you safe right now?")).to_be_visible()
    expect(page.get_by_text("Your report was acknowledged")).to_be_visible()
    expect(page.get_by_text("We have your report and are on it.")).to_be_visible()
    reporter.shot("report-status.png")
    assert reporter.csp_violations == [] and handler.csp_violations == []


def test_a_first_sign_in_sets_up_the_authenticator_from_a_qr_code(tab, demo_url):
    page = tab.page
    page.goto(demo_url + "/accounts/login/")
    page.get_by_label("User name").fill("elsa.brightwater")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    qr = page.get_by_role("img", name="QR code of the secret below")
    expect(qr).to_be_visible()
    expect(qr).to_have_js_property("complete", True)
    assert qr.evaluate("image => image.naturalWidth") > 100  # decoded: read once complete
    secret = page.locator("code.secret")
    expect(secret).to_have_text(re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{4})+$"))
    app = Authenticator(secret.inner_text())
    tab.shot("two-factor-enrol.png")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Code from the app").fill(app.code())
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    tab.shot("two-factor-recovery-codes.png")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_text("Signed in as Elsa Brightwater")).to_be_visible()
    assert tab.csp_violations == []


def test_a_handler_lands_on_her_cases_finds_her_way_by_keyboard_and_sees_who_before_opening(
    browser, demo_url
):
    tab = Tab(browser.new_context(java_script_enabled=False).new_page())
    page = tab.page
    sign_in(tab, demo_url, "tobias.wrenfield", DEMO_PASSWORD)
    expect(page).to_have_url(demo_url + "/cases/")  # straight to work
    expect(page.locator('nav.staff a[aria-current="page"]')).to_have_text("Cases")
    page.keyboard.press("Tab")  # the first stop is the skip link, and it shows
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 10
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tab.shot("cases-list.png")

    page.locator("table.cases tbody a").first.click()
    expect(page.get_by_role("heading", name="Before you open this case")).to_be_visible()
    assert page.locator("table.people tbody tr").count() >= 1
    tab.shot("case-confirm-people.png")
    # Without the box ticked, "Recuse me" goes nowhere, even with JavaScript off.
    url = page.url
    page.get_by_role("button", name="Recuse me").click()
    assert page.url == url
    expect(page.get_by_role("button", name="I have no conflict: open the case")).to_be_visible()
    assert tab.csp_violations == []


def test_the_audit_log_fits_a_1280_pixel_screen_with_its_details_open(tab, demo_url):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(tab, demo_url, "idris.halloway", DEMO_PASSWORD)  # the demo's auditor
    page.goto(demo_url + "/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    case_link = page.locator('table.audit a[href^="/audit/?case="]').first
    ref = case_link.inner_text()
    wide = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    for number, path in enumerate(
        (
            "/audit/",
            "/audit/?action=directory",  # the import's file hash, the long summaries
            "/audit/?action=access",
            f"/audit/?case={ref}",
            f"/audit/cases/{ref}/",
        )
    ):
        page.goto(demo_url + path)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert page.evaluate(wide) <= 0, f"{path} scrolls sideways at 1280 px"
        tab.shot(f"audit-{number}.png")
    page.goto(demo_url + "/audit/")
    page.get_by_label("What").select_option(label="Case read")
    page.get_by_label("Case").fill(ref)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Case")).to_have_value(ref)
    assert page.get_by_label("What").evaluate("select => select.value") == "cases.case.read"
    tab.shot("audit-log.png")
    assert tab.csp_violations == []


# The quick exit ---------------------------------------------------------------

HER_WORDS = "He followed me to the car park after the awards night."


def _reporter(browser: Browser, javascript: bool) -> Tab:
    return Tab(browser.new_context(java_script_enabled=javascript).new_page())


def _leave_quickly(page: Page, elsewhere_url: str) -> None:
    page.get_by_role("link", name="Leave this site quickly").click()
    page.wait_for_url(elsewhere_url)
    expect(page.get_by_role("heading", name="Weather today")).to_be_visible()


def _back_shows_nothing_of_hers(page: Page, *hers: str) -> list[str]:
    """Press Back until there is no page before, and on every page it shows find
    none of ``hers``: not in the text, not in a form field the browser might have
    filled back in. The addresses passed, for the test to check it went back."""
    visited = []
    for _step in range(10):
        try:
            response = page.go_back(wait_until="load")
        except PlaywrightError as error:
            # A page that was the answer to a form is not asked for again: the
            # browser shows its own error page instead (ERR_CACHE_MISS).
            assert "ERR_CACHE_MISS" in str(error), error
            response = None
            visited.append("(not sent again)")
        else:
            if response is None:  # no page before this one
                break
            visited.append(page.url)
        body = page.locator("body")
        for text in hers:
            expect(body).not_to_contain_text(text)
            for field in page.locator("input, textarea").all():
                expect(field).not_to_have_value(re.compile(re.escape(text), re.IGNORECASE))
    return visited


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_after_the_quick_exit_back_shows_nothing_of_the_report_she_sent(
    browser, demo_url, elsewhere_url, javascript
):
    reporter = _reporter(browser, javascript)
    page = reporter.page
    page.goto(demo_url + "/report/")
    page.get_by_role("link", name="Make a report").click()
    page.get_by_label("An employee", exact=True).check()
    page.get_by_label("Anonymous: nobody learns who I am").check()
    page.get_by_label("Bullying").check()
    page.get_by_label("What happened?").fill(HER_WORDS)
    page.get_by_label("…or roughly when").fill("Friday night")
    page.get_by_label("At a company event").check()
    page.get_by_label("Name or description").first.fill("A guest at the awards")
    page.get_by_label("Who is this person?").first.select_option("guest")
    page.get_by_role("button", name="Review my report").click()
    expect(page.get_by_role("heading", name="Review your report")).to_be_visible()
    page.get_by_role("button", name="Send my report").click()
    expect(page.locator(".receipt-code")).to_have_text(RECEIPT_RE)
    receipt = page.locator(".receipt-code").inner_text().strip()

    _leave_quickly(page, elsewhere_url)
    visited = _back_shows_nothing_of_hers(page, HER_WORDS, receipt, receipt.replace("-", ""))
    assert any("/report/" in url for url in visited), visited  # it did go back to them
    assert reporter.csp_violations == []
    page.context.close()


def _report_by_api(demo_url: str) -> str:
    body = {
        "category": "bullying",
        "description": HER_WORDS,
        "occurred_period": "Friday night",
        "context": "company_event",
        "accused": [{"name": "A guest at the awards", "relationship": "guest"}],
        "identity": {"mode": "anonymous"},
    }
    request = urllib.request.Request(  # noqa: S310 - loopback only
        demo_url + "/api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return json.loads(answer.read())["receipt"]


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_after_the_quick_exit_back_shows_nothing_of_the_report_she_followed(
    browser, demo_url, elsewhere_url, javascript
):
    receipt = _report_by_api(demo_url)
    reporter = _reporter(browser, javascript)
    page = reporter.page
    page.goto(demo_url + "/report/")
    page.get_by_role("link", name="Follow your report with your receipt").click()
    page.get_by_label("Your receipt").fill(receipt)
    page.get_by_role("button", name="Open my report").click()
    expect(page.get_by_role("heading", name="Where it stands")).to_be_visible()
    expect(page.locator("body")).to_contain_text(HER_WORDS)  # under "as you sent it"

    _leave_quickly(page, elsewhere_url)
    visited = _back_shows_nothing_of_hers(page, HER_WORDS, receipt, receipt.replace("-", ""))
    assert any(url.endswith("/report/status/") for url in visited), visited
    # And with the address typed in again, her report does not open.
    page.goto(demo_url + "/report/status/")
    expect(page.get_by_label("Your receipt")).to_have_value("")
    expect(page.locator("body")).not_to_contain_text(HER_WORDS)
    assert reporter.csp_violations == []
    page.context.close()
