"""The JSON shapes of the API. Validation is strict: no type is coerced (a number is
not a string, "yes" is not true) and unknown fields are refused."""

from __future__ import annotations

import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator, model_validator

from ombud.cases import report as r

CategorySlug = Literal[
    "sexual_assault",
    "sexual_harassment",
    "discrimination",
    "bullying",
    "retaliation",
    "fraud",
    "safety",
    "other",
]
ContextSlug = Literal["office", "business_trip", "company_event", "client_site", "online", "other"]
RelationshipSlug = Literal["client", "guest", "contractor", "other"]
RelationSlug = Literal["employee", "former_employee", "contractor", "client", "applicant", "other"]


class Strict(Schema):
    model_config = ConfigDict(strict=True, extra="forbid")


class AccusedIn(Strict):
    employee_id: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=r.SHORT_MAX)
    relationship: RelationshipSlug | None = None

    @model_validator(mode="after")
    def one_way_of_naming(self) -> AccusedIn:
        if self.employee_id is None and self.name is None:
            raise ValueError("give either employee_id, or name and relationship")
        if self.employee_id is None and self.relationship is None:
            raise ValueError("give the relationship of a person who is not an employee")
        return self


class PriorReportIn(Strict):
    to: str = Field(min_length=1, max_length=r.SHORT_MAX)
    when: str = Field(default="", max_length=r.SHORT_MAX)
    outcome: str = Field(default="", max_length=r.TEXT_MAX)


class IdentityIn(Strict):
    mode: Literal["anonymous", "confidential", "named"]
    relation: RelationSlug = "employee"
    name: str = Field(default="", max_length=r.SHORT_MAX)
    email: str = Field(default="", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str = Field(default="", max_length=40)
    employee_id: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def consistent(self) -> IdentityIn:
        typed = any((self.name, self.email, self.phone, self.employee_id))
        if self.mode == "anonymous" and typed:
            raise ValueError(
                "an anonymous report carries no name, e-mail, phone or employee id; "
                "use mode 'confidential' to give them"
            )
        if self.mode != "anonymous" and not self.name:
            raise ValueError(f"a {self.mode} report needs the reporter's name")
        return self


class ReportIn(Strict):
    category: CategorySlug
    description: str = Field(min_length=1, max_length=r.DESCRIPTION_MAX)
    occurred_on: str | None = Field(default=None, description="ISO date, YYYY-MM-DD")
    occurred_period: str | None = Field(default=None, min_length=1, max_length=r.SHORT_MAX)
    location: str = Field(default="", max_length=r.SHORT_MAX)
    context: ContextSlug
    accused: list[AccusedIn] = Field(default_factory=list, max_length=r.ACCUSED_MAX)
    witnesses: list[str] = Field(default_factory=list, max_length=r.WITNESSES_MAX)
    prior_reports: list[PriorReportIn] = Field(default_factory=list, max_length=r.PRIOR_MAX)
    identity: IdentityIn
    wants: str = Field(default="", max_length=r.TEXT_MAX)
    contact_ok: bool = False

    @field_validator("occurred_on")
    @classmethod
    def iso_date_in_the_past(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError("not a date: write it as YYYY-MM-DD") from None
        if day > datetime.date.today():  # noqa: DTZ011 - a day, not an instant
            raise ValueError("this date is in the future")
        return day.isoformat()

    @field_validator("witnesses")
    @classmethod
    def short_witnesses(cls, value: list[str]) -> list[str]:
        if any(len(item) > r.SHORT_MAX or not item.strip() for item in value):
            raise ValueError(
                f"each witness is a non-empty text of at most {r.SHORT_MAX} characters"
            )
        return value

    @model_validator(mode="after")
    def when(self) -> ReportIn:
        if self.occurred_on is None and self.occurred_period is None:
            raise ValueError("give occurred_on (a date) or occurred_period (roughly when)")
        return self


class Submitted(Schema):
    case_ref: str
    receipt: str
    acknowledge_by: datetime.date


class MessageIn(Strict):
    body: str = Field(min_length=1, max_length=r.MESSAGE_MAX)
    information: bool = False


class MessageCreated(Schema):
    id: str
    created_at: datetime.datetime


class AttachmentOut(Schema):
    name: str
    size: int
    sha256: str


class MessageOut(Schema):
    id: str
    sender: Literal["reporter", "handlers"]
    information: bool
    body: str
    created_at: datetime.datetime
    attachments: list[AttachmentOut]


class DeadlineOut(Schema):
    name: str
    due: datetime.datetime
    met: bool | None


class TimelineOut(Schema):
    at: datetime.datetime
    event: str
    label: str


class CaseOut(Schema):
    case_ref: str
    state: str
    received_at: datetime.datetime
    report: dict[str, object]
    attachments: list[AttachmentOut]
    deadlines: list[DeadlineOut]
    at_top: bool
    timeline: list[TimelineOut]
    messages: list[MessageOut]


class AuthorityOut(Schema):
    name: str
    description: str
    contact: str
    categories: list[CategorySlug] = Field(description="every category it takes reports of")


class Error(Schema):
    detail: str
