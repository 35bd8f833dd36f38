from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ombud.audit.models import AuditEntry
from ombud.directory.selectors import user_has_role


def test_an_operator_grants_and_revokes_a_role_from_the_command_line(cast):
    out = io.StringIO()
    call_command("role_grant", "emil", "auditor", stdout=out)
    assert "emil now holds auditor." in out.getvalue()
    assert user_has_role(user=cast.unrelated_handler, role="auditor")
    granted = AuditEntry.objects.filter(action="directory.role.granted").last()
    assert granted.actor.startswith("cli:")
    assert granted.details == '{"role":"auditor","username":"emil"}'
    call_command("role_grant", "emil", "auditor", "--revoke", stdout=io.StringIO())
    assert not user_has_role(user=cast.unrelated_handler, role="auditor")
    assert AuditEntry.objects.filter(action="directory.role.revoked").exists()


def test_an_unknown_role_lists_the_roles_there_are(cast):
    with pytest.raises(CommandError, match="the roles are: .*administrator"):
        call_command("role_grant", "emil", "superhero")


def test_a_deactivated_user_holds_no_role(cast):
    cast.handler.is_active = False
    cast.handler.save()
    assert not user_has_role(user=cast.handler, role="handler")


def test_a_ladder_member_cannot_be_made_an_administrator_nor_the_reverse(cast):
    with pytest.raises(CommandError, match="Members of the escalation ladder cannot be"):
        call_command("role_grant", "emil", "administrator")
    with pytest.raises(CommandError, match="Administrators cannot hold a role on the ladder"):
        call_command("role_grant", "milo", "board-committee")
    assert not user_has_role(user=cast.administrator, role="board-committee")


def test_the_first_administrator_of_a_fresh_install_is_the_one_entry_made_alone(db, monkeypatch):
    from ombud.directory.models import Person, User

    monkeypatch.setattr("sys.stdin", io.StringIO("a password she chose\n"))
    out = io.StringIO()
    call_command(
        "administrator_first",
        "ines",
        "--name",
        "Ines Harrow",
        "--email",
        "ines@org.example",
        stdout=out,
    )
    ines = User.objects.get(username="ines")
    assert ines.person.kind == Person.Kind.EXTERNAL and ines.email == "ines@org.example"
    assert user_has_role(user=ines, role="administrator")
    assert ines.check_password("a password she chose")
    exception = AuditEntry.objects.get(action="directory.person.external_without_approval")
    assert "first administrator" in exception.details
    # A second one is made in the admin, linked to the directory, never here.
    with pytest.raises(CommandError, match="an administrator exists already"):
        call_command("administrator_first", "milo", "--name", "Milo", "--email", "m@org.example")


def test_an_account_outside_the_directory_gets_no_role_even_from_the_terminal(db):
    from ombud.directory.models import User

    User.objects.create_user(username="root-made", password="typed at a terminal")
    with pytest.raises(CommandError, match="linked to a person of the directory"):
        call_command("role_grant", "root-made", "administrator")
