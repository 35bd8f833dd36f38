"""No notice is lost in silence: mail goes to a mail server, to a folder people can
read (development without one), or nowhere because someone said so, and every
place that reports on mail (the sweep, the outbox, /healthz, the deadline
figures) says which. "Sent" means a mail server accepted it."""

from __future__ import annotations

import datetime as dt
import email
import io
import stat

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from ombud import config
from ombud.operations.models import OutboxMessage, Outcome
from tests.access.reports import against
from tests.access.test_vault import signed_in

pytestmark = pytest.mark.usefixtures("recovery_shares")

T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)  # a Wednesday
MISSED = dt.datetime(2026, 11, 27, 10, 1, tzinfo=dt.UTC)  # two business days later


def sweep(at: dt.datetime) -> str:
    out = io.StringIO()
    call_command("deadlines_sweep", now=at.isoformat(), stdout=out)
    return out.getvalue()


def escalate() -> str:
    """A report nobody acknowledges: the sweep escalates it and tells both levels."""
    with time_machine.travel(T0, tick=False):
        against("C004")
    return sweep(MISSED)


def left_rows(page: str) -> str:
    """The table of messages that left the outbox in the last day."""
    return page.split("Left the outbox in the last day", 1)[1]


def test_a_notice_is_sent_only_when_the_mail_server_accepts_it(cast, story, smtp):
    smtp.refuse = True
    assert "; 0 e-mail(s) sent." in escalate()
    waiting = OutboxMessage.objects.count()
    assert waiting >= 2 and not OutboxMessage.objects.exclude(outcome="").exists()
    page = signed_in(cast.administrator).get("/operations/outbox/").content.decode()
    assert "0 sent in the last day" in page and "<td>sent</td>" not in page
    assert "Nothing in the last day." in left_rows(page)

    smtp.refuse = False
    assert f"; {waiting} e-mail(s) sent." in sweep(MISSED + dt.timedelta(minutes=5))
    assert len(smtp.messages) == waiting
    assert set(OutboxMessage.objects.values_list("outcome", flat=True)) == {Outcome.SENT}
    page = signed_in(cast.administrator).get("/operations/outbox/").content.decode()
    assert f"{waiting} sent in the last day" in page
    assert left_rows(page).count("<td>sent</td>") == waiting
    assert "No mail server is set" not in page and "Mail is off" not in page


def test_without_a_mail_server_each_notice_is_written_to_a_file_and_never_called_sent(
    cast, story, settings, tmp_path
):
    folder = tmp_path / "mail"
    settings.OMBUD_MAIL = "folder"
    settings.OMBUD_MAIL_FOLDER = str(folder)
    settings.EMAIL_BACKEND = "ombud.operations.mailfolder.FolderBackend"
    out = escalate()
    files = sorted(folder.glob("*.eml"))
    assert len(files) == OutboxMessage.objects.count() >= 2
    assert f"{len(files)} e-mail(s) written to {folder} (none sent)" in out
    assert "e-mail(s) sent" not in out
    read = [email.message_from_bytes(path.read_bytes()) for path in files]
    assert story.head_of_ethics.person.email in {message["To"] for message in read}
    assert all("was escalated" in message["Subject"] for message in read)
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)  # addresses
    assert set(OutboxMessage.objects.values_list("outcome", flat=True)) == {Outcome.FOLDER}

    page = signed_in(cast.administrator).get("/operations/outbox/").content.decode()
    assert f"each one is written to a file in <code>{folder}</code> instead" in page
    assert left_rows(page).count(f"written to <code>{folder}</code>, not sent") == len(files)
    assert "<td>sent</td>" not in page and "0 sent in the last day" in page
    figures = signed_in(story.head_of_ethics).get("/cases/overview/").content.decode()
    assert "No mail server is set, so no notices go out" in figures


def test_with_mail_off_on_purpose_nothing_goes_out_and_every_report_on_mail_says_so(
    cast, story, settings, mailoutbox
):
    settings.OMBUD_MAIL = "off"
    settings.OMBUD_MAIL_CONFIGURED = False
    out = escalate()
    handled = OutboxMessage.objects.count()
    assert f"{handled} e-mail(s) not sent: mail is off (OMBUD_MAIL=off)" in out
    assert mailoutbox == []
    assert set(OutboxMessage.objects.values_list("outcome", flat=True)) == {Outcome.OFF}

    assert Client().get("/healthz").json()["mail"] == "off"
    page = signed_in(cast.administrator).get("/operations/outbox/").content.decode()
    assert "Mail is off (OMBUD_MAIL=off): no notices go out." in page
    assert left_rows(page).count("not sent: mail is off") == handled
    figures = signed_in(story.head_of_ethics).get("/cases/overview/").content.decode()
    assert "Mail is off (OMBUD_MAIL=off): no notices go out." in figures


def test_with_a_mail_server_the_pages_say_nothing_about_mail(cast, story, smtp):
    assert Client().get("/healthz").json()["mail"] == "smtp"
    figures = signed_in(story.head_of_ethics).get("/cases/overview/").content.decode()
    assert "no notices go out" not in figures


def environ(tmp_path, **variables: str) -> dict[str, str]:
    return {"OMBUD_DATA_DIR": str(tmp_path / "data"), **variables}


PRODUCTION = {
    "OMBUD_ENV": "production",
    "OMBUD_SECRET_KEY": "p" * 40,
    "OMBUD_ALLOWED_HOSTS": "ombud.example",
}


def test_where_mail_goes_follows_the_settings(tmp_path):
    assert config.load(environ(tmp_path)).mail == "folder"
    assert config.load(environ(tmp_path)).mail_folder == tmp_path / "data" / "mail"
    assert config.load(environ(tmp_path, OMBUD_SMTP_HOST="mail.example")).mail == "smtp"
    assert config.load(environ(tmp_path, OMBUD_MAIL="off")).mail == "off"
    production = environ(tmp_path, **PRODUCTION, OMBUD_SMTP_HOST="mail.example")
    assert config.load(production).mail == "smtp"
    assert config.load(environ(tmp_path, **PRODUCTION, OMBUD_MAIL="off")).mail == "off"
    with pytest.raises(config.ConfigError) as refused:
        config.load(environ(tmp_path, **PRODUCTION))
    assert refused.value.variable == "OMBUD_SMTP_HOST"
    assert "OMBUD_MAIL=off" in refused.value.problem
