"""A report's content: one shape for the pages, the API and oral reports, with the
limits every channel shares. It is stored only encrypted with the case key."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

# Limits shared by the pages and the API.
DESCRIPTION_MAX = 20_000
TEXT_MAX = 2_000
SHORT_MAX = 200
MESSAGE_MAX = 10_000
ACCUSED_MAX = 10
WITNESSES_MAX = 20
PRIOR_MAX = 5
FILES_MAX = 5
FILE_BYTES_MAX = 10 * 1024 * 1024
ACKNOWLEDGE_DAYS = 7  # only when no deadline policy applies (the EU directive's 7 days)


class Relation(models.TextChoices):
    EMPLOYEE = "employee", _("An employee")
    FORMER_EMPLOYEE = "former_employee", _("A former employee")
    CONTRACTOR = "contractor", _("A contractor")
    CLIENT = "client", _("A client")
    APPLICANT = "applicant", _("A job applicant")
    OTHER = "other", _("Other")


class IdentityMode(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anonymous: nobody learns who I am")
    CONFIDENTIAL = "confidential", _("Confidential: only the people handling my case know who I am")
    NAMED = "named", _("Named: I am happy to be named")


class AccusedRelationship(models.TextChoices):
    EMPLOYEE = "employee", _("Works here")
    CLIENT = "client", _("A client")
    GUEST = "guest", _("A guest or visitor")
    CONTRACTOR = "contractor", _("A contractor")
    OTHER = "other", _("Other")


@dataclass
class Identity:
    mode: str = IdentityMode.ANONYMOUS
    relation: str = Relation.EMPLOYEE
    name: str = ""
    email: str = ""
    phone: str = ""
    employee_id: str = ""


@dataclass
class Accused:
    name: str
    relationship: str = AccusedRelationship.OTHER
    employee_id: str = ""

    @property
    def relationship_label(self) -> str:
        return str(dict(AccusedRelationship.choices).get(self.relationship, self.relationship))


@dataclass
class PriorReport:
    to: str
    when: str = ""
    outcome: str = ""


@dataclass
class Report:
    category: str
    description: str
    context: str
    occurred_on: str = ""  # ISO date
    occurred_period: str = ""
    location: str = ""
    accused: list[Accused] = field(default_factory=list)
    witnesses: list[str] = field(default_factory=list)
    prior_reports: list[PriorReport] = field(default_factory=list)
    identity: Identity = field(default_factory=Identity)
    wants: str = ""
    contact_ok: bool = False
    # Oral reports: how and when a handler received it.
    channel: str = "web"
    received_on: str = ""
    received_by: str = ""

    @property
    def labels(self) -> dict[str, str]:
        """Display names of the coded answers, in the reader's language."""
        from ombud.cases.models import Category, Channel, Context

        def label(choices: Any, value: str) -> str:
            return str(dict(choices).get(value, value))

        return {
            "relation": label(Relation.choices, self.identity.relation),
            "mode": label(IdentityMode.choices, self.identity.mode),
            "category": label(Category.choices, self.category),
            "context": label(Context.choices, self.context),
            "channel": label(Channel.choices, self.channel),
        }

    @property
    def occurred_date(self) -> dt.date | None:
        """The day it happened, for pages to write in the reader's language."""
        return _day(self.occurred_on)

    @property
    def received_date(self) -> dt.date | None:
        return _day(self.received_on)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def named(self) -> dict[str, Any]:
        """Who the report names, sealed apart from the rest so that a reader can tell
        whether she is conflicted before anything else is opened: the accused, and the
        reporter only as far as she lets herself be known. A confidential reporter's
        employee id is there for the check of her managers, never to be shown; an
        anonymous reporter is not there at all."""
        identity = self.identity
        return {
            "accused": [asdict(item) for item in self.accused],
            "reporter": {
                "name": identity.name if identity.mode == IdentityMode.NAMED else "",
                "employee_id": (
                    identity.employee_id if identity.mode != IdentityMode.ANONYMOUS else ""
                ),
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        data = dict(data)
        data["accused"] = [Accused(**item) for item in data.get("accused", [])]
        data["prior_reports"] = [PriorReport(**item) for item in data.get("prior_reports", [])]
        data["identity"] = Identity(**data.get("identity", {}))
        return cls(**data)


def _day(iso: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso) if iso else None
    except ValueError:
        return None
