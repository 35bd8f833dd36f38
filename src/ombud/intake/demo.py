"""Invented reports for the demo organisation, so its handlers find an inbox and its
visitors a receipt to try. Made once; the receipts are kept in the data folder
(acceptable for invented data only, like the demo's recovery shares)."""

from __future__ import annotations

import os
from pathlib import Path

from ombud.cases.models import Case
from ombud.intake.report import Accused, Identity, PriorReport, Report
from ombud.intake.services import REPORTER, report_submit

RECEIPTS_FILE = "demo-receipts.txt"

DEMO_REPORTS = [
    (
        "web",
        Report(
            category="sexual_harassment",
            description=(
                "At the spring supplier dinner the Head of Retail sat beside me, kept his hand "
                "on my knee and said my contract renewal 'depended on being friendly'. I moved "
                "tables. Since then he has left me off the buying trips."
            ),
            context="company_event",
            occurred_period="April, and since",
            location="The supplier dinner, Harbour Room",
            accused=[
                Accused(name="Bastian Kettleworth", relationship="employee", employee_id="Q0004")
            ],
            witnesses=["Another buyer at the table"],
            prior_reports=[PriorReport(to="my manager", when="May", outcome="told to let it go")],
            identity=Identity(mode="anonymous", relation="employee"),
            wants="For it to stop, and to be put back on the trips.",
        ),
    ),
    (
        "api",
        Report(
            category="fraud",
            description=(
                "Invoices from one produce supplier are split just under the approval limit, "
                "always on the last day of the month."
            ),
            context="office",
            occurred_period="the last six months",
            accused=[
                Accused(name="A produce supplier's account manager", relationship="contractor")
            ],
            identity=Identity(mode="confidential", relation="employee", name="Noor Castellane"),
            wants="An audit of the supplier's invoices.",
            contact_ok=True,
        ),
    ),
]


def demo_reports(data_dir: Path) -> list[tuple[str, str]]:
    """(case reference, receipt) of the demo's reports, made on first load."""
    path = data_dir / RECEIPTS_FILE
    if not Case.objects.exists():
        lines = []
        for channel, report in DEMO_REPORTS:
            submitted = report_submit(actor=REPORTER, report=report, channel=channel)
            lines.append(f"{submitted.case.ref} {submitted.receipt}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    if not path.exists():
        return []
    return [
        (ref, receipt)
        for ref, _space, receipt in (line.partition(" ") for line in path.read_text().splitlines())
        if receipt
    ]
