"""Pages in a real browser (Debian's Chromium driven by Playwright), served by
`ombud demo` exactly as a user starts it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ombud.directory.demo import DEMO_PASSWORD
from tests.conftest import OMBUD, Authenticator, free_port, fresh_instance
from tests.test_serve import wait_for_health

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

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> Iterator[str]:
    with fresh_instance(tmp_path_factory.mktemp("browser")) as instance:
        port = free_port()
        process = subprocess.Popen(
            [OMBUD, "demo", "--port", str(port)],
            env=instance.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(url + "/", process)
            assert process.stdout is not None
            for line in process.stdout:  # the staff sign-ins the demo printed
                if found := re.match(r"\s+(\S+)\s.*?((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})", line):
                    APPS[found[1]] = Authenticator(found[2])
                if line.startswith("Every other demo employee"):
                    break
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=40)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Tab:
    def __init__(self, page: Page) -> None:
        self.page = page
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
    tab.shot("home.png")
    assert tab.page.get_by_role("heading", level=1).inner_text().startswith("Speak up safely")
    header = "getComputedStyle(document.querySelector('header.site')).backgroundColor"
    assert tab.page.evaluate(header) == "rgb(255, 255, 255)"  # the stylesheet loaded
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
    assert tab.page.get_by_role("alert").inner_text().startswith("Please enter a correct")
    assert tab.page.get_by_label("User name").input_value() == "amara.quenby"
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
    assert page.get_by_label("What happened?").input_value().startswith("He blocked the door")
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
    receipt = page.locator(".receipt-code").inner_text().strip()
    reporter.shot("report-receipt.png")

    page.goto(demo_url + "/report/status/")
    page.get_by_label("Your receipt").fill(receipt.replace("-", " ").lower())
    page.get_by_role("button", name="Open my report").click()
    page.get_by_label("Your message").fill("He was in the store again today.")
    page.get_by_role("button", name="Send a message").click()
    expect(page.get_by_text("Sent. The people handling your case will see it.")).to_be_visible()

    handler = Tab(browser.new_context().new_page())
    sign_in(handler, demo_url, "amara.quenby", DEMO_PASSWORD)
    handler.page.goto(demo_url + "/cases/")
    reference = page.get_by_role("heading", level=1).inner_text().split()[-1]
    handler.page.get_by_role("link", name=reference).click()
    handler.shot("case-confirm.png")
    handler.page.get_by_role("button", name="I have no conflict: open the case").click()
    # The case page is a new page: wait for it (is_visible would look at once).
    expect(handler.page.get_by_text("He was in the store again today.")).to_be_visible()
    handler.page.get_by_label("Acknowledgement, written to the reporter").fill(
        "We have your report and are on it."
    )
    handler.page.get_by_role("button", name="Acknowledge, with a message to the reporter").click()
    handler.page.get_by_label("Message to the reporter").fill("Are you safe right now?")
    handler.page.get_by_role("button", name="Send to the reporter").click()
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
    assert qr.is_visible() and qr.evaluate("image => image.naturalWidth") > 100
    app = Authenticator(page.locator("code.secret").inner_text())
    tab.shot("two-factor-enrol.png")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Code from the app").fill(app.code())
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert page.locator("ul.recovery-codes li").count() == 10
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
