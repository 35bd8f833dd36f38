"""What the intake tests share: a filled-in report form, and reading the receipt off
the page the reporter sees."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

RECEIPT_RE = re.compile(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){5})\b")


def report_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "relation": "employee",
        "mode": "anonymous",
        "category": "sexual_harassment",
        "description": "He cornered me in the stock room after the quarterly dinner.",
        "occurred_period": "last spring",
        "location": "Stock room, Ferndale depot",
        "context": "company_event",
        "accused-TOTAL_FORMS": "1",
        "accused-INITIAL_FORMS": "0",
        "accused-MIN_NUM_FORMS": "1",
        "accused-MAX_NUM_FORMS": "10",
        "accused-0-name": "Victor Hallgrim",
        "accused-0-relationship": "employee",
        "accused-0-employee_id": "",  # linked only by picking from a search
        "prior-TOTAL_FORMS": "1",
        "prior-INITIAL_FORMS": "0",
        "prior-MIN_NUM_FORMS": "1",
        "prior-MAX_NUM_FORMS": "5",
        "prior-0-to": "HR business partner",
        "prior-0-when": "June",
        "prior-0-outcome": "Nothing happened.",
        "witnesses": "A colleague from logistics",
        "wants": "That it stops, and that nobody else goes through it.",
    }
    fields.update(overrides)
    return fields


def receipt_on(page: str) -> str:
    found = RECEIPT_RE.search(page)
    assert found, "no receipt on the page"
    return found.group(1)


def submit_through_pages(client: Client, **overrides: Any) -> tuple[str, str]:
    """Fill in the form, review, send; (receipt, the receipt page)."""
    response = client.post("/report/new/", {**report_fields(**overrides), "action": "review"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/report/review/"
    response = client.post("/report/review/", {"action": "submit"})
    assert response.status_code == 201, response.content.decode()[:2000]
    page = response.content.decode()
    return receipt_on(page), page


def reporter_signed_in(receipt: str) -> Client:
    client = Client()
    response = client.post("/report/status/", {"receipt": receipt})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def staff_open(client: Client, case: Any) -> Any:
    """A staff member opens a case: first says she has no conflict, then reads it."""
    client.post(f"/cases/{case.public_id}/standing/", {"action": "confirm"})
    return client.get(f"/cases/{case.public_id}/")


def case_key_of(case: Any, user: Any, password: str = "correct horse") -> bytes:  # noqa: S107
    """The case key, opened with ``user``'s own key, as their signed-in session would."""
    from ombud.access.services import case_key_open, staff_key_unlock

    private = staff_key_unlock(user=user, password=password)
    assert private is not None
    return case_key_open(case=case, user=user, private=private)
