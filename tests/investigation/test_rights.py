"""The accused's rights: his appeal of a finding is decided by a level above the one
that found, and his data-access request is answered with what is about him and
nothing that names the reporter or a witness, reviewed by a second reader."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2
import pytest
import time_machine
from django.db import connection

from ombud.cases.models import Case
from ombud.deadlines.models import Deadline
from ombud.deadlines.services import deadlines_sweep
from ombud.directory.models import Person, User
from ombud.investigation.models import AccessRequest, Allegation, Appeal, Finding
from ombud.investigation.records import seal_json
from tests.access.test_vault import signed_in
from tests.conftest import make_person
from tests.intake.helpers import case_key_of, staff_open
from tests.intake.test_api import post, report

pytestmark = pytest.mark.usefixtures("recovery_shares")
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def reported() -> Case:
    """Mira reports Jonas, confidentially, and names a witness."""
    make_person("C070", "Mira Castell", unit="Logistics")
    post(
        "/api/v1/reports",
        report(
            accused=[{"employee_id": "C004"}],
            witnesses=["Odile Brenner"],
            identity={"mode": "confidential", "name": "Mira Castell", "employee_id": "C070"},
        ),
    )
    return Case.objects.get()


def found(case: Case, author: User, accused: Person) -> Finding:
    """An allegation against ``accused`` and its finding, sealed as the services seal
    them, written by ``author``."""
    key = case_key_of(case, author)
    allegation = Allegation(
        case=case, person=accused, category="sexual_harassment", created_by=author
    )
    allegation.content = seal_json(
        case=case,
        case_key=key,
        record=allegation,
        data={"summary": "Comments about Mira Castell's body in team meetings."},
    )
    allegation.state = Allegation.State.SUBSTANTIATED
    allegation.save()
    finding = Finding(allegation=allegation, outcome="substantiated", author=author)
    finding.content = seal_json(
        case=case,
        case_key=key,
        record=finding,
        data={
            "reasoning": "Odile Brenner heard the comments twice; mira castell kept notes."
            " Odile said so again, and Ms Castell told my team lead.",
            "sanctions": "A final written warning.",
            "evidence_ids": [],
        },
    )
    finding.save()
    return finding


def rights(client, case: Case, **fields: str):
    return client.post(f"/cases/{case.public_id}/accused/", fields)


def test_an_appeal_is_decided_by_a_level_above_the_one_that_found(cast, story):
    case = reported()
    hana, head = signed_in(cast.handler), signed_in(story.head_of_ethics)
    staff_open(hana, case)
    finding = found(case, cast.handler, cast.team_lead)
    recorded = rights(
        hana,
        case,
        action="appeal",
        finding=str(finding.id),
        filed_on="2026-11-20",
        grounds="The meetings were about the rota, nothing else.",
    )
    assert recorded.status_code == 302
    appeal = Appeal.objects.get()
    assert Deadline.objects.get(case=case, name=f"appeal:{appeal.id.hex[:24]}").state == "open"
    # The case went up to the head of ethics: her own level found, so it is no
    # longer hers to read, let alone to decide.
    assert Case.objects.get(pk=case.pk).level.role.code == "head-of-ethics"
    assert hana.get(f"/cases/{case.public_id}/accused/").status_code == 404
    refused = rights(
        hana, case, action="decide", appeal=str(appeal.id), version="1",
        decision="overturned", reasoning="I changed my mind.",
    )  # fmt: skip
    assert refused.status_code == 404
    assert not Appeal.objects.get().decision

    staff_open(head, case)
    page = head.get(f"/cases/{case.public_id}/accused/").content.decode()
    assert "Decide the appeal" in page and "The meetings were about the rota" in page
    missing = rights(head, case, action="decide", appeal=str(appeal.id), version="1")
    assert missing.status_code == 400 and "Give the reasons" in missing.content.decode()
    decided = rights(
        head, case, action="decide", appeal=str(appeal.id), version="1",
        decision="upheld", reasoning="The notes and the witness agree.",
    )  # fmt: skip
    assert decided.status_code == 302
    appeal.refresh_from_db()
    assert appeal.decision == "upheld" and appeal.decided_by == story.head_of_ethics
    page = head.get(f"/cases/{case.public_id}/accused/").content.decode()
    assert "Finding upheld" in page and "The notes and the witness agree." in page
    assert Deadline.objects.get(case=case, name=f"appeal:{appeal.id.hex[:24]}").state == "met"


def test_his_data_access_answer_names_neither_the_reporter_nor_a_witness(cast, story):
    case = reported()
    hana, emil = signed_in(cast.handler), signed_in(cast.unrelated_handler)
    staff_open(hana, case)
    found(case, cast.handler, cast.team_lead)
    assert (
        rights(hana, case, action="access", person="C004", received_on="2026-11-24").status_code
        == 302
    )
    request = AccessRequest.objects.get()
    page = hana.get(f"/cases/{case.public_id}/accused/").content.decode()
    draft = page[page.index("The answer, as he will read it") :]
    assert "A final written warning." in draft  # what is about him
    assert "Mira" not in draft and "Castell" not in draft and "Odile" not in draft
    assert "[the reporter]" in draft and "[a witness]" in draft
    # Not released yet: nothing to download, and she cannot approve her own draft.
    url = f"/cases/{case.public_id}/accused/answers/{request.id}.pdf"
    assert hana.get(url).status_code == 404
    assert "Approve this answer" not in page
    assert (
        rights(
            hana, case, action="review", request=str(request.id), version="1", checked="yes"
        ).status_code
        == 400
    )

    staff_open(emil, case)
    unticked = rights(emil, case, action="review", request=str(request.id), version="1")
    assert unticked.status_code == 400 and "names neither the reporter" in unticked.content.decode()
    assert (
        rights(
            emil, case, action="review", request=str(request.id), version="1", checked="yes"
        ).status_code
        == 302
    )
    assert (
        rights(hana, case, action="release", request=str(request.id), version="1").status_code
        == 302
    )
    pdf = hana.get(url)
    assert pdf["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(io.BytesIO(pdf.content))
    text = "".join(page.get_textpage().get_text_range() for page in document)
    assert "A final written warning." in text and "Castell" not in text
    for outsider in (cast.administrator, cast.auditor, story.intake_member):
        assert signed_in(outsider).get(url).status_code == 404
    assert Deadline.objects.get(case=case, name=f"access:{request.id.hex[:24]}").state == "met"


def test_an_edit_after_the_review_needs_the_review_again(cast, story):
    case = reported()
    hana, emil = signed_in(cast.handler), signed_in(cast.unrelated_handler)
    staff_open(hana, case)
    found(case, cast.handler, cast.team_lead)
    rights(hana, case, action="access", person="C004", received_on="2026-11-24")
    request = AccessRequest.objects.get()
    staff_open(emil, case)
    rights(emil, case, action="review", request=str(request.id), version="1", checked="yes")
    rights(hana, case, action="draft", request=str(request.id), version="1", text="Only this.")
    request.refresh_from_db()
    assert request.state == "draft" and request.version == 2 and request.reviewed_by is None
    refused = rights(hana, case, action="release", request=str(request.id), version="2")
    assert refused.status_code == 400
    # A change made on the older page is refused and shown back as typed.
    stale = rights(
        emil, case, action="draft", request=str(request.id), version="1", text="Typed with care."
    )
    assert stale.status_code == 400 and "Typed with care." in stale.content.decode()


def test_a_request_not_answered_within_a_month_escalates(cast, story):
    with time_machine.travel(T0, tick=False):
        case = reported()
        hana = signed_in(cast.handler)
        staff_open(hana, case)
        rights(hana, case, action="access", person="C004", received_on="2026-11-25")
    level = Case.objects.get(pk=case.pk).level
    request = AccessRequest.objects.get()
    deadlines_sweep(T0 + dt.timedelta(days=32))
    assert Deadline.objects.get(case=case, name=f"access:{request.id.hex[:24]}").state == "missed"
    assert Case.objects.get(pk=case.pk).level != level


def test_nobody_outside_the_case_reaches_the_accuseds_rights(cast, story):
    case = reported()
    hana = signed_in(cast.handler)
    staff_open(hana, case)
    found(case, cast.handler, cast.team_lead)
    rights(hana, case, action="access", person="C004", received_on="2026-11-24")
    for user in (cast.administrator, cast.auditor, story.intake_member):
        client = signed_in(user)
        assert client.get(f"/cases/{case.public_id}/accused/").status_code == 404
        assert (
            rights(
                client, case, action="access", person="C004", received_on="2026-11-24"
            ).status_code
            == 404
        )
    assert AccessRequest.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM investigation_accessrequest")
        (blob,) = cursor.fetchone()
    assert b"final written warning" not in bytes(blob)
