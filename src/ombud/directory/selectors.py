"""Reading the directory."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ombud.directory.models import Person, Unit, User

# Far deeper than any real organisation; stops a corrupt row from looping forever.
MAX_CHAIN_DEPTH = 200


def person_management_chain(*, person: Person) -> list[Person]:
    """Everyone above ``person``: the manager, the manager's manager, up to the top."""
    table = Person._meta.db_table
    sql = f"""
        WITH RECURSIVE chain(id, manager_id, depth) AS (
            SELECT id, manager_id, 0 FROM {table} WHERE id = %s
            UNION ALL
            SELECT p.id, p.manager_id, c.depth + 1
            FROM {table} p JOIN chain c ON p.id = c.manager_id
            WHERE c.depth < %s
        )
        SELECT id, depth FROM chain WHERE depth > 0 ORDER BY depth
    """  # noqa: S608 - the table name is ours, the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [person.pk, MAX_CHAIN_DEPTH])
        ids = [row[0] for row in cursor.fetchall()]
    people = Person.objects.in_bulk(ids)
    chain: list[Person] = []
    for pk in ids:
        if pk == person.pk or people[pk] in chain:
            break  # a cycle; writes refuse them, but never loop on one
        chain.append(people[pk])
    return chain


def manager_would_cycle(*, person: Person, manager: Person | None) -> bool:
    """Whether making ``manager`` the manager of ``person`` would close a loop."""
    if manager is None or person.pk is None:
        return False
    if manager.pk == person.pk:
        return True
    return any(boss.pk == person.pk for boss in person_management_chain(person=manager))


def cycle_message(*, person: Person, manager: Person | None) -> str:
    return _("%(manager)s reports to %(person)s, directly or not: that would be a cycle.") % {
        "manager": manager,
        "person": person.name,
    }


def person_direct_reports(*, person: Person) -> QuerySet[Person]:
    return Person.objects.filter(manager=person)


def unit_members(*, unit: Unit, include_subunits: bool = True) -> QuerySet[Person]:
    if not include_subunits:
        return Person.objects.filter(unit=unit)
    return Person.objects.filter(unit__path__startswith=unit.path + "/") | Person.objects.filter(
        unit=unit
    )


def user_roles(*, user: User) -> set[str]:
    """The user's roles; an assignment written around Ombud (failing its integrity
    tag) gives none."""
    if not user.is_authenticated or not user.is_active:
        return set()
    from ombud.integrity import rows_valid

    assignments = user.role_assignments.select_related("role")
    return {assignment.role.code for assignment in rows_valid(assignments)}


def user_has_role(*, user: User, role: str) -> bool:
    return role in user_roles(user=user)


def users_with_role(role: str) -> QuerySet[User]:
    from ombud.directory.models import RoleAssignment
    from ombud.integrity import rows_valid

    assignments = RoleAssignment.objects.filter(role__code=role, user__is_active=True)
    return User.objects.filter(pk__in=[a.user_id for a in rows_valid(assignments)])


def person_all_reports(*, person: Person) -> list[int]:
    """The ids of everyone below ``person``, directly or not."""
    table = Person._meta.db_table
    sql = f"""
        WITH RECURSIVE below(id, depth) AS (
            SELECT id, 1 FROM {table} WHERE manager_id = %s
            UNION
            SELECT p.id, b.depth + 1
            FROM {table} p JOIN below b ON p.manager_id = b.id
            WHERE b.depth < %s
        )
        SELECT DISTINCT id FROM below
    """  # noqa: S608 - the table name is ours, the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [person.pk, MAX_CHAIN_DEPTH])
        return [row[0] for row in cursor.fetchall() if row[0] != person.pk]
