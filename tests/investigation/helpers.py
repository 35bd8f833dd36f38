"""What the investigation's tests share: a case a handler has opened, and a search of
every table for something that must not be stored in clear."""

from __future__ import annotations

from django.db import connection
from django.test import Client

from ombud.cases.models import Case
from tests.access.test_vault import signed_in
from tests.intake.helpers import staff_open
from tests.intake.test_api import post, report


def case_with_receipt(**overrides) -> tuple[Case, str]:
    """A confidential report by Rhea against Jonas (C004), and her receipt."""
    created = post("/api/v1/reports", report(accused=[{"employee_id": "C004"}], **overrides))
    assert created.status_code == 201, created.content
    return Case.objects.get(ref=created.json()["case_ref"]), created.json()["receipt"]


def opened(user, case: Case) -> Client:
    client = signed_in(user)
    staff_open(client, case)
    return client


def tables_holding(marker: bytes) -> list[str]:
    """Every table with a value that holds ``marker`` as it is stored."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        raw = bytes(value)
                    else:
                        raw = str(value).encode()
                    if marker in raw:
                        found.append(table)
    return found
