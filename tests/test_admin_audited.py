"""Every save in the admin is audited, and the deadline rules change only through four
eyes: an administrator cannot quietly stretch the deadlines that make a report
impossible to ignore."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ombud.access.models import RuleChange
from ombud.audit.models import AuditEntry
from ombud.deadlines.models import DeadlinePolicy, DeadlinePolicyUse, OutsideChannel
from ombud.deadlines.policies import STRICT
from ombud.directory.admin import admin_site
from ombud.directory.models import StaffRole
from tests.access.test_vault import signed_in
from tests.conftest import make_person

pytestmark = pytest.mark.usefixtures("recovery_shares")


def _person_form(cast) -> dict[str, Any]:
    hana = cast.handler.person
    return {
        "employee_id": hana.employee_id,
        "name": hana.name,
        "other_names": "Hana Q.",
        "email": hana.email,
        "phone": "",
        "unit": hana.unit_id,
        "title": "Case handler",
        "grade": "",
        "is_active": "on",
    }


# For each model the admin can save: the URL to post to and a valid form. A model
# registered without a sample here fails the walk below until someone adds one.
SAMPLES: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {
    "directory.person": lambda cast: (
        f"/admin/directory/person/{cast.handler.person_id}/change/",
        _person_form(cast),
    ),
    "directory.user": lambda cast: (
        "/admin/directory/user/add/",
        {"username": "noor", "person": make_person("C060", "Noor Haddad").pk},
    ),
    "directory.roleassignment": lambda cast: (
        "/admin/directory/roleassignment/add/",
        {"user": cast.auditor.pk, "role": StaffRole.objects.get(code="escrow-officer").pk},
    ),
    "deadlines.deadlinepolicy": lambda cast: (
        f"/admin/deadlines/deadlinepolicy/{DeadlinePolicy.objects.get(slug='strict').pk}/change/",
        {"slug": "strict", "name": "Strict, renamed", "rules": json.dumps(STRICT)},
    ),
    "deadlines.deadlinepolicyuse": lambda cast: (
        f"/admin/deadlines/deadlinepolicyuse/{DeadlinePolicyUse.objects.get(category='').pk}/change/",
        {"category": "", "policy": DeadlinePolicy.objects.get(slug="eu-directive").pk},
    ),
    "deadlines.outsidechannel": lambda cast: (
        "/admin/deadlines/outsidechannel/add/",
        {"name": "Labour inspectorate", "description": "", "contact": "0800 000", "position": 1},
    ),
    "intake.guidance": lambda cast: (
        "/admin/intake/guidance/add/",
        {"help_now": "Call the helpline.", "preserve_evidence": "Keep your messages."},
    ),
}


def test_every_save_an_administrator_can_make_in_the_admin_is_audited(cast, rf):
    admin = signed_in(cast.administrator)
    request = rf.get("/admin/")
    request.user = cast.administrator
    savable = sorted(
        model._meta.label_lower
        for model, model_admin in admin_site._registry.items()
        if model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
    )
    assert sorted(SAMPLES) == savable
    for label in savable:
        url, form = SAMPLES[label](cast)
        before = AuditEntry.objects.count()
        response = admin.post(url, form)
        assert response.status_code == 302, (label, response.content.decode()[:3000])
        assert AuditEntry.objects.count() > before, f"{label}: saved without an audit entry"


def test_an_administrator_who_stretches_the_deadlines_changes_nothing_alone(cast, story):
    admin = signed_in(cast.administrator)
    strict = DeadlinePolicy.objects.get(slug="strict")
    kept = strict.rules
    stretched = [{**rule, "window": {"days": 3650}} for rule in STRICT]
    url = f"/admin/deadlines/deadlinepolicy/{strict.pk}/change/"
    response = admin.post(
        url, {"slug": "strict", "name": strict.name, "rules": json.dumps(stretched)}
    )
    assert response.status_code == 200  # refused with a reason, what she typed kept
    assert "longer than a year" in response.content.decode()
    # Sixty days to close instead of ninety: a proposal, not a change.
    slower = [
        {**rule, "window": {"days": 60}} if rule["name"] == "close" else rule for rule in STRICT
    ]
    response = admin.post(url, {"slug": "strict", "name": strict.name, "rules": json.dumps(slower)})
    assert response.status_code == 302
    assert DeadlinePolicy.objects.get(pk=strict.pk).rules == kept
    change = RuleChange.objects.get(kind="deadline_policy")
    assert AuditEntry.objects.filter(action="access.rule_change.proposed").exists()
    # Nor does moving every category to another policy.
    use = DeadlinePolicyUse.objects.get(category="")
    eu = DeadlinePolicy.objects.get(slug="eu-directive")
    admin.post(
        f"/admin/deadlines/deadlinepolicyuse/{use.pk}/change/", {"category": "", "policy": eu.pk}
    )
    assert DeadlinePolicyUse.objects.get(pk=use.pk).policy_id == strict.pk
    # A ladder member approves the first; it applies, audited.
    signed_in(story.board[0]).post(f"/rules/{change.pk}/decide/", {"action": "approve"})
    assert json.loads(DeadlinePolicy.objects.get(pk=strict.pk).rules) == slower
    saved = AuditEntry.objects.get(action="deadlines.policy.saved")
    assert saved.actor == "user:orla"


def test_an_outside_channel_saved_in_the_admin_is_audited(cast):
    admin = signed_in(cast.administrator)
    admin.post(
        "/admin/deadlines/outsidechannel/add/",
        {"name": "Equality body", "description": "", "contact": "equality.example", "position": 2},
    )
    channel = OutsideChannel.objects.get(name="Equality body")
    entry = AuditEntry.objects.get(action="deadlines.outside_channel.created")
    assert entry.object_id == str(channel.pk)
