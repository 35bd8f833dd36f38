"""The story, walked in Chromium in each language Ombud speaks, against `ombud demo
--language ...` exactly as an organisation starts it: a reporter with JavaScript
off reports, follows her report, leaves quickly and finds nothing of hers behind
Back; a handler signs in to her cases, learns whom the case names before anything
else is opened, and acknowledges it; she investigates it (two allegations, a
suspension with a review date, minutes the reporter confirms from her page,
findings) to a written outcome a second handler approves and the reporter reads;
the auditor reads the case's own trail, every line a sentence.

Every label is looked up in the language's catalogue, so the walk fails where a
page says something other than what the translation says. With
OMBUD_SCREENSHOTS=docs/screens (scripts/screens) it makes the README's screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from ombud.demo import DEMO_PASSWORD
from tests.conftest import Authenticator
from tests.demo_server import running_demo
from tests.test_browser import RECEIPT_RE, SCREENSHOTS, Tab, browser, elsewhere_url

__all__ = ["browser", "elsewhere_url"]  # fixtures shared with the other browser tests

pytestmark = pytest.mark.slow

# What she writes, in her language: her words must never show after she has left.
HER_WORDS = {
    "en": "He blocked the door of the cold store and would not let me out.",
    "zh-hans": "他堵住冷库的门，不让我出去。",
}
WHEN = {"en": "Last Friday's late shift", "zh-hans": "上周五的晚班"}
ACKNOWLEDGEMENT = {
    "en": "We have your report and will call you back today.",
    "zh-hans": "我们已收到您的举报，今天会给您回电。",
}
ACCUSED = "Henrik Ostby"  # a directory person of the demo organisation (invented)
HANDLER = "amara.quenby"  # a handler the demo routes his unit's cases to
SECOND = "tobias.wrenfield"  # the other handler: the second reader of the outcome
AUDITOR = "idris.halloway"
# The investigation, in the handler's language: what she writes.
PLAN = {"en": "Interview her, him and the night shift.", "zh-hans": "询问她、他和夜班同事。"}
GUEST = {"en": "A supplier's driver, there that night", "zh-hans": "当晚在场的一名供应商司机"}
MEETING = {
    "en": "We met in the small room. She told us how the door of the cold store was blocked.",
    "zh-hans": "我们在小会议室见面。她讲述了冷库的门是如何被堵住的。",
}
OUTCOME_TEXT = {
    "en": "What you told us about the cold store was found to be true.",
    "zh-hans": "经调查，您所讲述的冷库一事属实。",
}


@dataclass
class Demo:
    url: str
    language: str
    apps: dict[str, Authenticator] = field(default_factory=dict)

    def t(self, message: str, **values: object) -> str:
        """``message`` as the page says it in this demo's language."""
        with translation.override(self.language):
            text = translation.gettext(message)
        return text % values if values else text


@pytest.fixture(scope="module", params=["en", "zh-hans"])
def demo(request, tmp_path_factory, elsewhere_url) -> Iterator[Demo]:
    language = request.param
    folder = tmp_path_factory.mktemp(f"story-{language}")
    with running_demo(folder, "--language", language, OMBUD_QUICK_EXIT_URL=elsewhere_url) as server:
        yield Demo(url=server.url, language=language, apps=server.apps)


class Walk(Tab):
    """A tab whose screenshots go to the language's folder, numbered in story order."""

    def __init__(self, page: Page, demo: Demo) -> None:
        super().__init__(page)
        self.folder = SCREENSHOTS / demo.language

    def shot(self, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=Path(self.folder) / name, full_page=True)


def _tab(browser: Browser, demo: Demo, *, javascript: bool = True) -> Walk:
    context = browser.new_context(
        java_script_enabled=javascript,
        locale=demo.language,
        viewport={"width": 1280, "height": 900},
    )
    return Walk(context.new_page(), demo)


def _sign_in(walk: Walk, demo: Demo, username: str) -> None:
    page, t = walk.page, demo.t
    page.goto(demo.url + "/accounts/login/")
    page.get_by_label(t("User name")).fill(username)
    page.get_by_label(t("Password")).fill(DEMO_PASSWORD)
    page.get_by_label(t("Code from your authenticator app")).fill(demo.apps[username].code())
    with page.expect_navigation():
        page.get_by_role("button", name=t("Sign in")).click()


def test_the_story_walked_by_a_reporter_a_handler_and_the_auditor(browser, demo):
    t = demo.t
    words = HER_WORDS[demo.language]

    # The reporter, with JavaScript off, from the home page.
    reporter = _tab(browser, demo, javascript=False)
    page = reporter.page
    page.goto(demo.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", demo.language)
    expect(page.get_by_role("link", name=t("Leave this site quickly"))).to_be_visible()
    reporter.shot("01-home.png")
    page.get_by_role("link", name=t("Report or follow a report")).click()
    page.get_by_role("link", name=t("Make a report")).click()
    page.get_by_label(t("An employee"), exact=True).check()
    page.get_by_label(t("Anonymous: nobody learns who I am")).check()
    page.get_by_label(t("Sexual harassment")).check()
    page.get_by_label(t("What happened?")).fill(words)
    page.get_by_label(t("…or roughly when")).fill(WHEN[demo.language])
    page.get_by_label(t("At the office or workplace")).check()
    page.get_by_label(t("Search the directory by name")).fill("ostby")
    page.get_by_role("button", name=t("Search"), exact=True).click()
    page.get_by_role("button", name=t("Add %(name)s", name=ACCUSED)).click()
    expect(page.get_by_text(t("Linked to the directory."))).to_be_visible()
    expect(page.get_by_label(t("What happened?"))).to_have_value(words)  # nothing lost
    reporter.shot("02-report-form.png")
    page.get_by_role("button", name=t("Review my report")).click()
    expect(page.get_by_role("heading", name=t("Review your report"))).to_be_visible()
    page.get_by_role("button", name=t("Send my report")).click()
    expect(page.locator(".receipt-code")).to_have_text(RECEIPT_RE)
    receipt = page.locator(".receipt-code").inner_text().strip()
    reporter.shot("03-receipt.png")

    page.get_by_role("link", name=t("Follow your report"), exact=True).click()
    page.get_by_label(t("Your receipt")).fill(receipt.replace("-", " ").lower())
    page.get_by_role("button", name=t("Open my report")).click()
    expect(page.locator("main")).to_contain_text(words)
    reference = page.get_by_role("heading", level=1).inner_text().split()[-1]
    reporter.shot("04-her-report.png")

    # She leaves quickly: Back shows nothing of hers.
    page.get_by_role("link", name=t("Leave this site quickly")).click()
    expect(page.get_by_role("heading", name="Weather today")).to_be_visible()
    page.go_back(wait_until="load")
    expect(page.locator("body")).not_to_contain_text(words)
    expect(page.locator("body")).not_to_contain_text(receipt)
    page.context.close()

    # The handler: sign-in lands on her cases, the header shows where she is.
    handler = _tab(browser, demo)
    page = handler.page
    _sign_in(handler, demo, HANDLER)
    expect(page).to_have_url(demo.url + "/cases/")
    current = page.get_by_role("navigation", name=t("Staff pages")).locator("[aria-current=page]")
    expect(current).to_have_text(t("Cases"))
    handler.shot("05-cases.png")

    # Before anything else is opened: whom the case names, and the category.
    page.get_by_role("link", name=reference, exact=True).click()
    people = page.locator("table.people")
    expect(people).to_contain_text(ACCUSED)
    expect(people).to_contain_text(t("accused"))
    expect(page.locator("main")).to_contain_text(t("Sexual harassment"))
    expect(page.locator("main")).not_to_contain_text(words)  # the report stays sealed
    handler.shot("06-confirm-or-recuse.png")
    page.get_by_role("button", name=t("I have no conflict: open the case")).click()
    expect(page.get_by_text(words)).to_be_visible()
    page.get_by_label(t("Acknowledgement, written to the reporter")).fill(
        ACKNOWLEDGEMENT[demo.language]
    )
    with page.expect_navigation():
        page.get_by_role("button", name=t("Acknowledge, with a message to the reporter")).click()
    expect(page.locator(".messages")).to_be_visible()  # the transition is confirmed
    handler.shot("07-case.png")
    _investigate(browser, demo, handler, receipt)
    page.context.close()

    # The auditor reads the case's own trail, as sentences.
    auditor = _tab(browser, demo)
    page = auditor.page
    _sign_in(auditor, demo, AUDITOR)
    page.goto(demo.url + "/audit/")
    page.get_by_label(t("Case")).fill(reference)
    page.get_by_role("button", name=t("Show"), exact=True).click()
    expect(page.get_by_label(t("Case"))).to_have_value(reference)
    trail = page.locator("table.audit tbody")
    expect(trail).to_contain_text("Amara Quenby")  # the handler, by name
    expect(trail.locator("tr")).not_to_have_count(0)
    for row in trail.locator("td:nth-child(3)").all():  # each a sentence, none the fallback
        expect(row).not_to_contain_text(re.compile(r"[“「]\w+\.\w+"))
    expect(page.locator("main")).not_to_contain_text(words)  # never what the case says
    auditor.shot("08-audit-trail.png")
    assert reporter.csp_violations + handler.csp_violations + auditor.csp_violations == []
    page.context.close()


def _investigate(browser: Browser, demo: Demo, handler: Walk, receipt: str) -> None:
    """The investigation, from the case page to the written outcome she reads: two
    allegations (him, and a supplier's driver there that night), a suspension with a
    review date, minutes of a meeting she confirms from her page, findings, and an
    outcome a second handler approves."""
    t, language, page = demo.t, demo.language, handler.page
    page.get_by_label(t("Severity")).select_option("high")
    page.get_by_label(t("Plan (an internal note)")).fill(PLAN[language])
    with page.expect_navigation():
        page.get_by_role("button", name=t("Triage: severity, category and a plan")).click()
    with page.expect_navigation():
        page.get_by_role("button", name=t("Start (or resume) the investigation")).click()
    case_url = page.url
    investigation = page.get_by_role("navigation", name=t("Investigation"))

    def go(link: str) -> None:
        page.goto(case_url)
        with page.expect_navigation():
            investigation.get_by_role("link", name=t(link)).click()

    go("Allegations, the accused's side and findings")
    page.get_by_label(
        t("The accused, among the people of the directory this case names")
    ).select_option(label=f"{ACCUSED} (Q0016)")
    page.get_by_label(t("What is alleged")).select_option("sexual_harassment")
    page.get_by_label(t("The allegation, in a few sentences")).fill(HER_WORDS[language])
    with page.expect_navigation():
        page.get_by_role("button", name=t("Add the allegation")).click()
    page.get_by_label(t("Or someone outside the directory (a client, a guest): who they are")).fill(
        GUEST[language]
    )
    page.get_by_label(t("What is alleged")).select_option("bullying")
    page.get_by_label(t("The allegation, in a few sentences")).fill(WHEN[language])
    with page.expect_navigation():
        page.get_by_role("button", name=t("Add the allegation")).click()

    go("Interim measures")
    page.get_by_label(t("Kind of measure")).select_option("suspension")
    page.get_by_label(t("Whom it applies to (one or several people)")).fill(ACCUSED)
    page.get_by_label(t("Starts on")).fill("2026-11-26")
    page.get_by_label(t("Review by (a deadline, escalated if missed)")).fill("2026-12-10")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Record the measure")).click()
    expect(page.locator("main")).to_contain_text(t("Suspension"))

    go("Minutes of interviews and meetings")
    page.get_by_label(t("Kind")).select_option("reporter_meeting")
    page.get_by_label(t("Held on")).fill("2026-11-26T10:00")
    page.get_by_label(t("Who was there")).fill("Amara Quenby")
    page.locator("#id_text").fill(MEETING[language])  # labelled "Minutes", as the page is
    with page.expect_navigation():
        page.get_by_role("button", name=t("Add the minutes")).click()

    # She reads the minutes on her page, with JavaScript off, and confirms them.
    reporter = _tab(browser, demo, javascript=False)
    mine = reporter.page
    mine.goto(demo.url + "/report/status/")
    mine.get_by_label(t("Your receipt")).fill(receipt)
    mine.get_by_role("button", name=t("Open my report")).click()
    expect(mine.locator("#minutes")).to_contain_text(MEETING[language])
    with mine.expect_navigation():
        mine.get_by_role("button", name=t("Confirm these minutes")).click()
    go("Minutes of interviews and meetings")
    expect(page.locator("main")).to_contain_text(t("Confirmed by the reporter"))

    # Findings on both, then the case moves on to "findings".
    go("Allegations, the accused's side and findings")
    for accused, outcome in ((ACCUSED, "substantiated"), (GUEST[language], "inconclusive")):
        named = page.get_by_role("heading", level=2, name=re.compile(re.escape(accused)))
        allegation = page.get_by_role("region").filter(has=named)
        allegation.get_by_label(t("Outcome"), exact=True).select_option(outcome)
        allegation.get_by_label(t("Reasoning: what was found and why")).fill(MEETING[language])
        with page.expect_navigation():
            allegation.get_by_role("button", name=t("Record the finding")).click()
    page.goto(case_url)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Findings written")).click()

    # The written outcome: drafted, approved by the second handler, published.
    go("Written outcome for the reporter")
    page.get_by_label(t("The outcome, as the reporter will read it")).fill(OUTCOME_TEXT[language])
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save the draft")).click()
    second = _tab(browser, demo)
    _sign_in(second, demo, SECOND)
    second.page.goto(case_url)
    with second.page.expect_navigation():
        second.page.get_by_role("button", name=t("I have no conflict: open the case")).click()
    second.page.goto(case_url + "outcome/")
    with second.page.expect_navigation():
        second.page.get_by_role("button", name=t("I have read it: approve this version")).click()
    second.page.context.close()
    page.reload()
    with page.expect_navigation():
        page.get_by_role("button", name=t("Publish to the reporter")).click()

    mine.reload()
    expect(mine.get_by_role("heading", name=t("The outcome of your report"))).to_be_visible()
    expect(mine.locator("main")).to_contain_text(OUTCOME_TEXT[language])
    expect(mine.get_by_role("link", name=t("Download it as a PDF"))).to_be_visible()
    assert reporter.csp_violations == []
    mine.context.close()
