"""Invented reports for the demo organisation, so its handlers find an inbox and its
visitors a receipt to try. Made once; the receipts are kept in the data folder
(acceptable for invented data only, like the demo's recovery shares)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from ombud.cases.models import Case
from ombud.cases.report import Accused, Identity, PriorReport, Report
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


# The same reports, written in Chinese for a demo in Chinese (`ombud demo --language
# zh-hans`); the people keep the directory's invented names.
DEMO_REPORTS_ZH = [
    (
        "web",
        Report(
            category="sexual_harassment",
            description=(
                "在春季供应商晚宴上，零售部负责人坐在我旁边，一直把手放在我的膝盖上，还说我的"
                "合同能否续签“要看我够不够友好”。我换了桌。从那以后，他再也没有安排我参加采购出差。"
            ),
            context="company_event",
            occurred_period="四月，以及此后",
            location="供应商晚宴，港湾厅",
            accused=[
                Accused(name="Bastian Kettleworth", relationship="employee", employee_id="Q0004")
            ],
            witnesses=["同桌的另一位采购员"],
            prior_reports=[PriorReport(to="我的经理", when="五月", outcome="让我算了")],
            identity=Identity(mode="anonymous", relation="employee"),
            wants="希望这种行为停止，并让我重新参加采购出差。",
        ),
    ),
    (
        "api",
        Report(
            category="fraud",
            description="一家生鲜供应商的发票总是在月末最后一天被拆分开具，金额刚好低于审批限额。",
            context="office",
            occurred_period="最近六个月",
            accused=[Accused(name="一家生鲜供应商的客户经理", relationship="contractor")],
            identity=Identity(mode="confidential", relation="employee", name="Noor Castellane"),
            wants="对该供应商的发票进行审计。",
            contact_ok=True,
        ),
    ),
]


def demo_reports(data_dir: Path) -> list[tuple[str, str]]:
    """(case reference, receipt) of the demo's reports, made on first load."""
    path = data_dir / RECEIPTS_FILE
    if not Case.objects.exists():
        lines = []
        chinese = settings.LANGUAGE_CODE == "zh-hans"
        for channel, report in DEMO_REPORTS_ZH if chinese else DEMO_REPORTS:
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
