"""Who must never read a case, computed from the directory and the case's parties
(both in clear), so no case has to be opened to know.

Kept away from a case:
- everyone it names who is linked to the directory (accused, witnesses, people
  the reporter told before);
- everyone above an accused, up to the top, and the accused's direct reports;
- everyone above someone the reporter told before: a complaint that was ignored
  makes that person's management answerable too (in the story, HR ignored hers);
- for a named or confidential reporter, everyone above her (only a reader can
  see who she is: checked whenever the case is opened and whenever a key is
  sealed by someone who holds it);
- staff who declared a conflict (recused).

A witness's managers are not kept away: a witness has no stake in the outcome,
and keeping their chain away would empty the ladder for no reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.views.decorators.debug import sensitive_variables

from ombud.cases.models import Case, Party
from ombud.directory.models import Person
from ombud.directory.selectors import (
    person_all_reports,
    person_direct_reports,
    person_management_chain,
)
from ombud.integrity import row_check

# Conflict reasons (access.models.Conflict.Reason values), here to avoid an import cycle.
PARTY = "party"
CHAIN = "chain"
REPORTS_TO_ACCUSED = "reports_to_accused"

# Parties whose management chain is kept away along with them.
CHAIN_ROLES = (Party.Role.ACCUSED, Party.Role.REPORTED_TO)


def accused_of(case: Case) -> list[Person]:
    return list(
        Person.objects.filter(case_parties__case=case, case_parties__role=Party.Role.ACCUSED)
    )


@sensitive_variables()
def conflicted_people(case: Case, reporter: Person | None = None) -> dict[int, str]:
    """Person id -> reason, for everyone who must not read ``case``."""
    found: dict[int, str] = {}

    def add(people: Iterable[Person], reason: str) -> None:
        for person in people:
            found.setdefault(person.pk, reason)

    parties = list(Party.objects.filter(case=case).select_related("person"))
    for party in parties:
        row_check(party)  # an accused turned into a witness in the database, say
    add((checked(party.person) for party in parties), PARTY)
    for party in parties:
        if party.role in CHAIN_ROLES:
            add(map(checked, person_management_chain(person=party.person)), CHAIN)
        if party.role == Party.Role.ACCUSED:
            add(map(checked, person_direct_reports(person=party.person)), REPORTS_TO_ACCUSED)
    if reporter is not None:
        checked(reporter)
        add(map(checked, person_management_chain(person=reporter)), CHAIN)
    return found


def checked(person: Person) -> Person:
    """The person, whose row's manager link and flags decide conflicts: RowTampered
    when it was written around Ombud."""
    row_check(person)
    return person


def person_conflicts(person: Person) -> dict[int, str]:
    """Case id -> reason, for every case the directory keeps ``person`` away from
    (all but her being above a reporter, which only a reader can see)."""
    found: dict[int, str] = {}
    checked(person)

    def cases(parties: Iterable[Party], reason: str) -> None:
        for party in parties:
            row_check(party)
            found.setdefault(party.case_id, reason)

    cases(Party.objects.filter(person=person), PARTY)
    below = person_all_reports(person=person)
    if below:
        cases(Party.objects.filter(person_id__in=below, role__in=CHAIN_ROLES), CHAIN)
    if person.manager_id is not None:
        cases(
            Party.objects.filter(person_id=person.manager_id, role=Party.Role.ACCUSED),
            REPORTS_TO_ACCUSED,
        )
    return found
