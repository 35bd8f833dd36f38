from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ombud.access.models import CaseKeyGrant, CaseReader, CaseRecoverySeal, Conflict
from ombud.access.reading import case_read
from ombud.access.services import staff_key_unlock
from ombud.access.standing import case_confirm_no_conflict
from ombud.audit.models import AuditEntry
from ombud.audit.selectors import audit_verify
from ombud.audit.services import public_key
from ombud.cases.models import Case, CaseRefCounter, Party
from ombud.cases.services import case_ref_highest
from ombud.deadlines.models import Deadline
from ombud.demo import DEMO_PASSWORD
from ombud.directory import roles
from ombud.directory.selectors import users_with_role
from ombud.integrity import rows_valid

BENCH = Path(__file__).resolve().parents[1] / "bench" / "generate.py"


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    return module


def test_the_generated_cases_fill_every_table_with_a_valid_log_and_valid_tags(db, tmp_path):
    generator = _generator()
    generator.prepare(tmp_path)
    result = generator.generate(200, real_sample=4, seed=7)

    assert Case.objects.count() == 200 == result.cases
    assert CaseRecoverySeal.objects.count() == 200
    assert Deadline.objects.filter(name="acknowledge").count() == 200
    # Each case's next_due is its earliest open deadline, as the services keep it.
    earliest = Deadline.objects.filter(case=OuterRef("pk"), state="open").order_by("due_at")
    pairs = list(
        Case.objects.annotate(soonest=Subquery(earliest.values("due_at")[:1])).values_list(
            "next_due", "soonest"
        )
    )
    assert all(kept == soonest for kept, soonest in pairs)
    assert any(kept is not None for kept, _soonest in pairs)
    assert set(Case.objects.values_list("state", flat=True)) >= {"received", "closed"}
    assert len(set(Case.objects.values_list("category", flat=True))) >= 5
    # About six key holders a case, none of them conflicted.
    grants = CaseKeyGrant.objects.count()
    assert 4 * 200 <= grants <= 8 * 200
    for grant in CaseKeyGrant.objects.filter(case__conflicts__isnull=False)[:50]:
        assert not Conflict.objects.filter(case=grant.case, user=grant.user).exists()
    assert Conflict.objects.exists() and Party.objects.exists()
    # The log holds what the services write: the intake's entries (one a grant among
    # them), then the handler's confirmation and each step.
    assert AuditEntry.objects.filter(action="access.case_key.granted").count() == grants
    assert AuditEntry.objects.filter(action="cases.case.created").count() == 200
    confirmed = CaseReader.objects.filter(standing=CaseReader.Standing.CONFIRMED).count()
    assert (
        confirmed == AuditEntry.objects.filter(action="access.case.no_conflict_confirmed").count()
    )
    assert confirmed >= Case.objects.exclude(state="received").count() - 4

    assert len(rows_valid(CaseKeyGrant.objects.all())) == grants
    assert len(rows_valid(Conflict.objects.all())) == Conflict.objects.count()
    assert len(rows_valid(Party.objects.all())) == Party.objects.count()
    verification = audit_verify(public_key=public_key())
    assert verification.ok, verification.problem
    assert verification.checkpoints > 300  # a signed checkpoint for each of the 3 years' days

    # A real sample case opens for a demo handler through the one selector.
    handler = users_with_role(roles.HANDLER).first()
    real = Case.objects.filter(public_id__in=result.real, key_grants__user=handler).first()
    assert real is not None
    case_confirm_no_conflict(actor=handler, case=real)
    private = staff_key_unlock(user=handler, password=DEMO_PASSWORD)
    reading = case_read(user=handler, public_id=real.public_id, private=private)
    assert reading.content.report.description
    assert reading.case.ref.startswith("OMB-")

    # Each year's reference counter stands at the highest reference written, so the
    # next report takes the number after it instead of colliding.
    for counter in CaseRefCounter.objects.all():
        assert counter.last == case_ref_highest(counter.year)
    assert CaseRefCounter.objects.filter(year__lt=timezone.now().year).exists()

    # The overview's counters: recounted after the bulk load, then kept by the
    # services for the real sample, they equal a fresh recount.
    from ombud.cases.figures import figures_counts
    from ombud.cases.models import CaseDuration
    from ombud.deadlines.figures import figures_rebuild

    def kept() -> tuple[dict[str, int], list[tuple[str, int, int]]]:
        durations = CaseDuration.objects.filter(cases__gt=0).order_by("figure", "tenths")
        return figures_counts(), list(durations.values_list("figure", "tenths", "cases"))

    before = kept()
    assert before[0]["open_cases"] == Case.objects.exclude(state="closed").count()
    figures_rebuild()
    assert kept() == before
