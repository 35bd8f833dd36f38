"""Reports the access tests make through the API: against someone, or against a client."""

from __future__ import annotations

from ombud.cases.models import Case
from tests.intake.test_api import post, report


def against(employee_id: str, **overrides) -> Case:
    response = post("/api/v1/reports", report(accused=[{"employee_id": employee_id}], **overrides))
    assert response.status_code == 201, response.content
    return Case.objects.get(ref=response.json()["case_ref"])


def against_client_by_rhea() -> Case:
    response = post(
        "/api/v1/reports",
        report(accused=[{"name": "A client's buyer", "relationship": "client"}]),
    )
    return Case.objects.get(ref=response.json()["case_ref"])
