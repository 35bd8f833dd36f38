from __future__ import annotations

from ombud.audit.models import AuditEntry
from ombud.audit.selectors import audit_verify
from ombud.audit.services import public_key
from ombud.demo import DEMO_PASSWORD, demo_load
from ombud.directory import roles
from ombud.directory.models import Person, User
from ombud.directory.selectors import person_management_chain, users_with_role
from tests.conftest import sign_in, signs_in


def test_the_demo_organisation_has_what_a_walkthrough_needs(db):
    sign_ins = demo_load()
    people = Person.objects.all()
    assert 50 <= people.count() <= 70
    assert max(len(person_management_chain(person=p)) for p in people) >= 4
    assert Person.objects.filter(is_executive=True, direct_reports__isnull=False).exists()
    for role in [
        roles.HANDLER,
        roles.INVESTIGATOR,
        roles.HEAD_OF_ETHICS,
        roles.GENERAL_COUNSEL,
        roles.BOARD_COMMITTEE,
        roles.ESCROW_OFFICER,
        roles.AUDITOR,
        roles.ADMINISTRATOR,
    ]:
        assert users_with_role(role).exists(), role
        assert any(role in sign_in.roles for sign_in in sign_ins)
    assert Person.objects.filter(unit__path__startswith="People").count() >= 3  # an HR team
    assert not Person.objects.filter(account__isnull=True).exists()  # everyone can sign in


def test_every_demo_person_can_sign_in_with_the_printed_password(client, db):
    demo_load()
    assert signs_in("elsa.brightwater", DEMO_PASSWORD)
    sign_in(client, User.objects.get(username="wenna.trelawny"), DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_loading_the_demo_twice_changes_nothing_the_second_time(db):
    demo_load()
    people, users, entries = (
        Person.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
    )
    demo_load()
    assert (Person.objects.count(), User.objects.count()) == (people, users)
    # Only the second import's own summary entry is new.
    assert AuditEntry.objects.count() == entries + 1
    assert '"added":0,' in AuditEntry.objects.last().details
    assert audit_verify(public_key=public_key()).ok
