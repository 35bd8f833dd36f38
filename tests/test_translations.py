"""Ombud speaks Simplified Chinese: every message has a translation, every page reads
in Chinese, the chooser needs no script, and staff e-mails follow the organisation.

Updating the translations after changing a page: ``make messages`` (see the README)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import importlib.util
import re
import signal
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from ombud.cases.models import Case
from ombud.deadlines.models import DeadlinePolicyUse
from ombud.deadlines.services import deadlines_sweep
from ombud.directory.models import Person, Unit, User
from ombud.operations.outbox import outbox_send
from tests.access.reports import against
from tests.conftest import code_for, sign_in
from tests.intake.helpers import receipt_on, report_fields, staff_open

ROOT = Path(__file__).resolve().parents[1]
LOCALE = Path(settings.LOCALE_PATHS[0])
PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ZH = "zh-hans"

# Latin words a Chinese page may still show, each for a reason:
ALLOWED = {
    "Ombud",  # the product's name
    *("PDF", "JPEG", "PNG", "JSON"),  # file formats, written so in Chinese too
    "API",  # an acronym Chinese writes in Latin letters too
    "English",  # the chooser names each language in itself
    "OMB",  # the case references' prefix, as the audit filter's placeholder "OMB-…" shows it
    # Authenticator apps a new staff member may install, named as their stores do.
    *("FreeOTP", "Aegis", "Google", "Microsoft", "Authenticator"),
}
# Cut out before looking, as they are not words of the interface:
NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail addresses
    r"|https?://\S+"  # web addresses (the quick exit, the outside channels)
    r"|/api/[\w./{}-]*"  # the API's paths, named on the token page
    r"|\bOMB-\d{4}-\d+\b"  # case references
    r"|\b[0-9A-Z]{4}(-[0-9A-Z]{4}){3,}\b"  # receipts
    r"|\b[a-z2-9]{5}-[a-z2-9]{5}\b"  # recovery codes
    r"|\b[0-9a-f]{8,}\b"  # hashes, key fingerprints
    r"|\b([A-Z2-7]{4} ?){4,}\b"  # an authenticator's secret (base32, in groups)
    r"|\b[a-z]+:[\w.-]+"  # who acted, as the audit log records it (user:hana)
    r"|\b[a-z_]+(\.[a-z_]+)+\b"  # the audit log's action codes (access.case.read)
)
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}


class _Text(HTMLParser):
    """What a person reads or hears: text outside scripts and styles, and the
    attributes shown or spoken (titles, placeholders, labels, button values). Not
    <code>: identifiers shown as such (the audit log's action codes, a role's code),
    the same in every language so that they match the log's export and the command
    line. Nor the alt text of the admin's icons, which Django never translates."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._hidden += 1
        values = dict(attrs)
        for name in SHOWN_ATTRIBUTES:
            if values.get(name) and not (name == "alt" and "/admin/" in (values.get("src") or "")):
                self.parts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _names() -> set[str]:
    """The organisation's own words, which are data and stay as typed: its name, and
    the directory's people, user names, units and job titles."""
    words = set(LATIN_WORD.findall(settings.OMBUD_ORGANISATION_NAME))
    for row in [
        *Person.objects.values_list("name", "title", "email"),
        *User.objects.values_list("username", "email"),
        *Unit.objects.values_list("path"),
    ]:
        for value in row:
            words |= set(LATIN_WORD.findall(value or ""))
    return words


def latin_words(page: str, names: set[str] | None = None) -> set[str]:
    parser = _Text()
    parser.feed(page)
    text = NOT_WORDS.sub(" ", html.unescape(" ".join(parser.parts)))
    return set(LATIN_WORD.findall(text)) - ALLOWED - (_names() if names is None else names)


class Pages:
    """Collects the Latin words of each page visited, to report them all at once."""

    def __init__(self) -> None:
        self.found: dict[str, set[str]] = {}

    def check(self, name: str, response) -> str:
        assert response.status_code < 500, (name, response.status_code)
        assert response["Content-Language"] == ZH, name
        page = response.content.decode()
        if words := latin_words(page):
            self.found[name] = words
        return page

    def assert_chinese(self) -> None:
        assert not self.found, "English left on Chinese pages:\n" + "\n".join(
            f"  {name}: {' '.join(sorted(words))}" for name, words in self.found.items()
        )


def chinese(client: Client | None = None) -> Client:
    client = client or Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ZH
    return client


def chinese_report(**overrides) -> dict:
    """A report written in Chinese, as the story's reporter would."""
    fields = {
        "description": "宴会之后，他在出差的酒店里把我堵在房间门口。",
        "occurred_period": "去年春天",
        "location": "杭州，出差期间",
        "witnesses": "物流部的一位同事",
        "wants": "希望这件事停止，不再有人遭受同样的事。",
        "prior-0-to": "人力资源业务伙伴",
        "prior-0-when": "六月",
        "prior-0-outcome": "没有任何回应。",
    }
    return report_fields(**{**fields, **overrides})


# (a) Every message has a translation, and the file follows the sources. ---------------


def _messages_script():
    """scripts/messages.py (`make messages`), which reads .po files as gettext does."""
    spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["messages"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sdr]|<[a-z]+>|</[a-z]+>")


def test_every_message_has_a_chinese_translation():
    entries = _messages_script().read_po(PO)
    assert len(entries) > 500
    missing = [entry.msgid for entry in entries if entry.fuzzy or not all(entry.strs)]
    assert not missing, f"{len(missing)} messages lack a Chinese translation: {missing[:20]}"
    plural = [entry for entry in entries if entry.plural]
    assert plural and all(len(entry.strs) == 1 for entry in plural), "Chinese has one form"


def test_the_translations_keep_every_placeholder_and_tag():
    for entry in _messages_script().read_po(PO):
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for translated in entry.strs:
            assert sorted(PLACEHOLDER.findall(translated)) == wanted, (entry.msgid, translated)


def test_the_translation_file_holds_every_message_of_the_sources(tmp_path):
    """A new string in a page or in the code fails here until `make messages` and a
    translation: the messages are extracted again and compared."""
    result = subprocess.run(
        [sys.executable, "scripts/messages.py", "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compiled_translations_are_those_of_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)
    assert MO.read_bytes() == compiled.read_bytes(), "run `make messages` to compile them"


# (b) Every page, the reporter's and the staff's, in Chinese. --------------------------

pytestmark = pytest.mark.usefixtures("recovery_shares")


def _a_case_with_a_receipt(pages: Pages) -> tuple[Case, str, Client]:
    reporter = chinese()
    pages.check("report landing", reporter.get("/report/"))
    pages.check("report form", reporter.get("/report/new/"))
    page = pages.check(
        "report form with errors",
        reporter.post("/report/new/", {**chinese_report(description=""), "action": "review"}),
    )
    assert "这个字段是必填项。" in page or "必填" in page  # Django's own form errors
    response = reporter.post("/report/new/", {**chinese_report(), "action": "review"})
    assert response.status_code == 302, response.content.decode()[:2000]
    pages.check("review", reporter.get("/report/review/"))
    page = pages.check("receipt", reporter.post("/report/review/", {"action": "submit"}))
    receipt = receipt_on(page)
    return Case.objects.get(), receipt, reporter


def test_the_reporter_pages_are_in_chinese(cast, story):
    pages = Pages()
    case, receipt, _reporter = _a_case_with_a_receipt(pages)
    follower = chinese()
    pages.check("receipt form", follower.get("/report/status/"))
    pages.check("wrong receipt", follower.post("/report/status/", {"receipt": "nonsense"}))
    assert follower.post("/report/status/", {"receipt": receipt}).status_code == 302
    page = pages.check("status", follower.get("/report/status/"))
    assert "宴会之后" in page
    handler = chinese(sign_in(Client(), cast.handler))
    staff_open(handler, case)
    handler.post(
        f"/cases/{case.public_id}/transition/",
        {"name": "acknowledge", "version": "1", "message": "我们已收到您的举报。"},
    )
    page = pages.check("status after news", follower.get("/report/status/"))
    assert "我们已收到您的举报。" in page
    pages.check(
        "message refused", follower.post("/report/status/message/", {"body": "", "action": "x"})
    )
    pages.assert_chinese()


def test_the_public_and_error_pages_are_in_chinese(cast, settings):
    pages = Pages()
    browser = chinese()
    for path in [
        "/",
        "/accounts/login/",
        "/accounts/password/forgotten/",
        "/accounts/password/forgotten/sent/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/MQ/wrong-token/",
        "/no-such-page/",
    ]:
        pages.check(path, browser.get(path))
    page = pages.check(
        "wrong password", browser.post("/accounts/login/", {"username": "hana", "password": "x"})
    )
    assert "hana" in page
    refused = chinese(Client(enforce_csrf_checks=True)).post("/report/status/", {"receipt": "x"})
    assert refused.status_code == 403
    pages.check("CSRF refusal", refused)
    pages.check("forbidden", chinese(sign_in(Client(), cast.handler)).get("/admin/"))
    # Someone who signs in for the first time sets up her authenticator.
    first = chinese()
    response = first.post("/accounts/login/", {"username": "ada", "password": "correct horse"})
    assert response.status_code == 302
    pages.check("enrolment", first.get(response["Location"]))
    # Too many wrong receipts.
    settings.OMBUD_RATELIMITS = {**settings.OMBUD_RATELIMITS, "receipt": (1, 600)}
    guesser = chinese()
    guesser.post("/report/status/", {"receipt": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"})
    pages.check(
        "too many", guesser.post("/report/status/", {"receipt": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"})
    )
    pages.assert_chinese()


def test_the_staff_pages_are_in_chinese(cast, story):
    pages = Pages()
    case, _receipt, _reporter = _a_case_with_a_receipt(Pages())
    hana = chinese(sign_in(Client(), cast.handler))
    for path in [
        "/",
        "/accounts/password/",
        "/accounts/two-factor/",
        "/accounts/tokens/",
        "/cases/",
        "/cases/oral/",
    ]:
        pages.check(path, hana.get(path))
    pages.check(
        "new recovery codes",
        hana.post("/accounts/two-factor/", {"otp_token": code_for(cast.handler)}),
    )
    pages.check("confirm no conflict", hana.get(f"/cases/{case.public_id}/"))
    pages.check("case", staff_open(hana, case))
    pages.check(
        "transition refused",
        hana.post(
            f"/cases/{case.public_id}/transition/",
            {"name": "close", "version": "1", "outcome": "withdrawn", "reason": ""},
        ),
    )
    pages.check(
        "acknowledged",
        hana.post(
            f"/cases/{case.public_id}/transition/",
            {"name": "acknowledge", "version": "1", "message": "已收到。"},
            follow=True,
        ),
    )
    pages.check(
        "oral report refused",
        hana.post("/cases/oral/", {**chinese_report(), "channel": "phone", "received_on": ""}),
    )
    head = chinese(sign_in(Client(), story.head_of_ethics))
    for path in ["/", "/cases/", "/cases/overview/", "/cases/break-glass/"]:
        pages.check(f"head of ethics {path}", head.get(path))
    counsel = chinese(sign_in(Client(), story.general_counsel))
    pages.check("break glass", counsel.get(f"/cases/{case.public_id}/break-glass/"))
    pages.check(
        "break glass refused",
        counsel.post(f"/cases/{case.public_id}/break-glass/", {"justification": ""}),
    )
    ada = chinese(sign_in(Client(), cast.auditor))
    for path in ["/", "/audit/", "/audit/verify/", f"/audit/cases/{case.ref}/"]:
        pages.check(f"auditor {path}", ada.get(path))
    pages.assert_chinese()


ADMIN_PAGES = [
    "/admin/",
    "/admin/directory/",
    "/admin/directory/person/",
    "/admin/directory/person/add/",
    "/admin/directory/unit/",
    "/admin/directory/unit/add/",
    "/admin/directory/staffrole/",
    "/admin/directory/roleassignment/",
    "/admin/directory/roleassignment/add/",
    "/admin/directory/user/",
    "/admin/directory/user/add/",
    "/admin/intake/guidance/",
    "/admin/deadlines/deadlinepolicy/",
    "/admin/deadlines/deadlinepolicyuse/",
    "/admin/deadlines/outsidechannel/",
    "/admin/deadlines/outsidechannel/add/",
]


def test_the_administrator_pages_are_in_chinese(cast):
    pages = Pages()
    milo = chinese(sign_in(Client(), cast.administrator))
    for path in ["/", "/rules/", "/operations/outbox/", *ADMIN_PAGES]:
        pages.check(path, milo.get(path))
    for path in [
        f"/admin/directory/person/{cast.reporter.pk}/change/",
        f"/admin/directory/user/{cast.handler.pk}/change/",
        f"/admin/directory/unit/{cast.reporter.unit_id}/change/",
        # Not a policy's own page: its rules are JSON, whose keys stay the same.
        f"/admin/deadlines/deadlinepolicyuse/{DeadlinePolicyUse.objects.first().pk}/change/",
        "/admin/deadlines/deadlinepolicy/add/",
        "/admin/intake/guidance/add/",
    ]:
        pages.check(path, milo.get(path))
    pages.assert_chinese()


# (c) The chooser: no script, a cookie with only the language. -------------------------


def test_the_chooser_turns_the_pages_chinese_without_javascript(db):
    browser = Client()
    landing = browser.get("/report/").content.decode()
    assert 'action="/language/"' in landing and 'name="language"' in landing
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in landing
    assert "<script" not in landing.split("<header", 1)[1].split("</header>", 1)[0]
    response = browser.post("/language/", {"language": ZH, "next": "/report/"})
    assert response.status_code == 302 and response["Location"] == "/report/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == ZH
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # Kept until the browser closes, no longer: on a shared computer a cookie of the
    # reporting site that lasts a year says someone here used it.
    assert not cookie["max-age"] and not cookie["expires"]
    assert set(response.cookies) == {settings.LANGUAGE_COOKIE_NAME}, "nothing else is set"
    page = browser.get("/report/")
    assert page["Content-Language"] == ZH
    assert 'lang="zh-hans"' in page.content.decode()
    assert not latin_words(page.content.decode())
    back = browser.post("/language/", {"language": "en", "next": "/report/"})
    assert back.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Leave this site quickly" in browser.get("/report/").content.decode()


def test_the_chooser_adds_no_cookie_to_the_reporter_pages(cast):
    """Its form needs no CSRF token, so a page without another form sets no cookie."""
    browser = chinese()
    for path in ["/", "/report/"]:
        response = browser.get(path)
        assert 'action="/language/"' in response.content.decode()
        assert not response.cookies, path


def test_a_language_from_another_site_or_unknown_is_refused(db):
    forged = Client().post(
        "/language/", {"language": ZH, "next": "/"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert forged.status_code == 403 and not forged.cookies
    unknown = Client().post("/language/", {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in unknown.cookies
    elsewhere = Client().post("/language/", {"language": ZH, "next": "https://evil.example/"})
    assert elsewhere["Location"] == "/"


def test_the_organisation_language_is_the_default_whatever_the_browser_asks(db, settings):
    settings.LANGUAGE_CODE = ZH
    page = Client().get("/report/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page["Content-Language"] == ZH
    assert not latin_words(page.content.decode())
    chosen = Client()
    chosen.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Leave this site quickly" in chosen.get("/report/").content.decode()


def test_a_bad_organisation_language_stops_start_up_naming_the_variable(tmp_path):
    from ombud import config

    with pytest.raises(config.ConfigError) as error:
        config.load({"OMBUD_DATA_DIR": str(tmp_path), "OMBUD_LANGUAGE": "klingon"})
    assert error.value.variable == "OMBUD_LANGUAGE" and "zh-hans" in str(error.value)
    assert (
        config.load({"OMBUD_DATA_DIR": str(tmp_path), "OMBUD_LANGUAGE": "zh-Hans"}).language == ZH
    )


# (d) E-mails to staff in the organisation's language. ---------------------------------


def test_an_escalation_mail_is_in_chinese_when_the_organisation_speaks_it(
    cast, story, smtp, settings
):
    """Escalations are queued by the sweep, and a reporter's news while a handler works
    in English: both follow the organisation's language, not the request's."""
    settings.LANGUAGE_CODE = ZH
    case = against("C004")
    with translation.override("en"):  # as if inside the request of someone reading English
        assert deadlines_sweep(now=timezone.now() + dt.timedelta(days=30)) >= 1
        assert outbox_send(now=timezone.now() + dt.timedelta(days=30)) >= 1
    case.refresh_from_db()
    messages = [
        email.message_from_bytes(text.encode(), policy=email.policy.default)
        for _to, text in smtp.messages
    ]
    subjects = [message["Subject"] for message in messages]
    assert f"案件 {case.ref} 已升级给您" in subjects, subjects
    for message in messages:
        body = message.get_content()
        assert case.ref in body and "升级" in body and not latin_words(body), body


def test_an_escalation_mail_stays_english_for_an_english_organisation(cast, story, smtp):
    against("C004")
    with translation.override(ZH):  # as if inside the request of someone reading Chinese
        deadlines_sweep(now=timezone.now() + dt.timedelta(days=30))
        outbox_send(now=timezone.now() + dt.timedelta(days=30))
    subjects = [
        email.message_from_bytes(text.encode(), policy=email.policy.default)["Subject"]
        for _rcpts, text in smtp.messages
    ]
    assert subjects and all(subject.startswith("Case OMB-") for subject in subjects), subjects


# The demo, in Chinese from the start. ---------------------------------------------------


@pytest.mark.slow
def test_the_demo_in_chinese_serves_chinese_pages_and_chinese_demo_reports(instance):
    from tests.test_serve import get, start, stop, wait_for_health

    process, url = start(instance, "demo", "--language", ZH)
    try:
        wait_for_health(url, process)
        status, body = get(url + "report/")
        page = body.decode()
    finally:
        code, out, err = stop(process, signal.SIGINT)
    assert code == 0, err
    assert status == 200 and "举报" in page and 'lang="zh-hans"' in page
    assert not latin_words(page, names={"Quillfern", "Group", "demo"})  # the demo's name
    assert "Demo reports" in out  # the demo's receipts are printed as before
    channels = [name for (name,) in instance.query("SELECT name FROM deadlines_outsidechannel")]
    assert channels and all(not LATIN_WORD.search(name) for name in channels), channels


def test_pages_shown_once_offer_no_language_chooser_that_would_lose_them(cast):
    """Changing the language asks for the page again: a receipt or recovery codes
    asked for again are gone for good, so those pages do not offer it."""
    reporter = Client()
    reporter.post("/report/new/", {**report_fields(), "action": "review"})
    receipt = reporter.post("/report/review/", {"action": "submit"}).content.decode()
    assert "receipt-code" in receipt and 'action="/language/"' not in receipt
    assert 'action="/language/"' in reporter.get("/report/").content.decode()
