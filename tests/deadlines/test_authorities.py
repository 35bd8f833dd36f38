"""Outside authorities are chosen per category: a reporter whose case missed every
deadline sees the ones that take her kind of report (no fraud regulator for an
assault), and the API lists the same."""

from __future__ import annotations

import pytest
from django.test import Client

from ombud.audit.models import AuditEntry
from ombud.cases.models import Case
from ombud.deadlines.demo import demo_outside_channels
from ombud.deadlines.models import OutsideChannel
from tests.access.test_vault import signed_in
from tests.intake.helpers import reporter_signed_in
from tests.intake.test_api import post, report

pytestmark = pytest.mark.usefixtures("recovery_shares")

POLICE = "Quillmouth Police, Community Safety Unit"
EQUALITY = "Avalmere Equal Treatment Commission"
REGULATOR = "Avalmere Financial Conduct Office"


def reported(category: str) -> tuple[Case, str]:
    """A report of ``category`` whose case reached the top of the ladder."""
    answer = post("/api/v1/reports", report(category=category)).json()
    Case.objects.filter(ref=answer["case_ref"]).update(at_top=True)
    return Case.objects.get(ref=answer["case_ref"]), answer["receipt"]


def names(api_answer) -> list[str]:
    return [authority["name"] for authority in api_answer.json()]


def test_an_assault_report_is_shown_the_police_and_equality_body_not_the_fraud_regulator(cast):
    demo_outside_channels()
    _case, receipt = reported("sexual_assault")
    page = reporter_signed_in(receipt).get("/report/status/").content.decode()
    assert "You can also go outside the organisation" in page
    assert POLICE in page and EQUALITY in page and "112 · 0800 555 0170" in page
    assert REGULATOR not in page

    api = Client().get("/api/v1/authorities", {"category": "sexual_assault"})
    assert api.status_code == 200
    assert names(api) == [
        "Avalmere Labour Inspectorate",
        EQUALITY,
        POLICE,
    ]  # the page's list, in the same order
    assert [page.index(name) for name in names(api)] == sorted(
        page.index(name) for name in names(api)
    )
    assert all("sexual_assault" in authority["categories"] for authority in api.json())


def test_a_fraud_report_is_shown_the_regulator_and_not_the_police(cast):
    demo_outside_channels()
    _case, receipt = reported("fraud")
    page = reporter_signed_in(receipt).get("/report/status/").content.decode()
    assert REGULATOR in page and POLICE not in page and EQUALITY not in page
    assert names(Client().get("/api/v1/authorities", {"category": "fraud"})) == [REGULATOR]


def test_an_authority_with_no_category_ticked_takes_every_kind_of_report(cast):
    OutsideChannel.objects.create(name="Harbourside Ombudsman", contact="0800 555 0199")
    _case, receipt = reported("bullying")
    assert (
        "Harbourside Ombudsman"
        in reporter_signed_in(receipt).get("/report/status/").content.decode()
    )
    everything = Client().get("/api/v1/authorities").json()
    assert everything[0]["name"] == "Harbourside Ombudsman"
    assert everything[0]["categories"] == [
        "sexual_assault",
        "sexual_harassment",
        "discrimination",
        "bullying",
        "retaliation",
        "fraud",
        "safety",
        "other",
    ]


def test_the_api_refuses_an_unknown_category_and_describes_the_endpoint(db):
    assert Client().get("/api/v1/authorities", {"category": "murder"}).status_code == 422
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/authorities" in schema["paths"]
    parameters = schema["paths"]["/api/v1/authorities"]["get"]["parameters"]
    assert [parameter["name"] for parameter in parameters] == ["category"]


def test_an_administrator_ticks_the_categories_of_an_authority_and_the_save_is_audited(cast):
    admin = signed_in(cast.administrator)
    response = admin.post(
        "/admin/deadlines/outsidechannel/add/",
        {
            "name": "Avalmere Data Protection Office",
            "description": "",
            "contact": "0800 555 0190",
            "position": 5,
            "categories": ["fraud", "other"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = OutsideChannel.objects.get(name="Avalmere Data Protection Office")
    assert channel.categories == ["fraud", "other"]
    entry = AuditEntry.objects.get(action="deadlines.outside_channel.created")
    assert "categories" in entry.details
    refused = admin.post(
        f"/admin/deadlines/outsidechannel/{channel.pk}/change/",
        {"name": channel.name, "contact": "", "position": 5, "categories": ["murder"]},
    )
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    channel.refresh_from_db()
    assert channel.categories == ["fraud", "other"]
    listing = admin.get("/admin/deadlines/outsidechannel/").content.decode()
    assert "Fraud or bribery, Something else" in listing


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_gives_the_demo_authorities_their_categories_and_keeps_others_for_all():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("deadlines", "0002_default_policies")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("deadlines", "OutsideChannel")
    old.objects.create(name=REGULATOR, position=1)
    old.objects.create(name="An inspectorate of our own", position=2)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # and back to today's schema
    assert OutsideChannel.objects.get(name=REGULATOR).categories == ["fraud"]
    assert OutsideChannel.objects.get(name="An inspectorate of our own").categories == []
