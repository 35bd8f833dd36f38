"""The audit log read as sentences: "Hana Quill read the report of case
OMB-2026-000042 (as a member of its level)" rather than its JSON.

One translatable sentence (or a few variants, the first whose details are all
there) per kind of action, filled from the entry's details, which never hold case
content; names come from the directory (staff accounts and people), never from a
case. The sentence's subject is the entry's actor: whoever's action led to it (a
key sealed while the reporter's report was stored reads "The reporter gave…"). An
action without a sentence here still reads: "Hana Quill recorded
“cases.evidence.sealed”", its record beside it. A page of entries costs the same
few queries however many it holds."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ombud.audit.models import AuditEntry

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Sentence:
    text: Promise
    needs: tuple[str, ...] = ()  # details that must be true, besides the placeholders


@dataclass(frozen=True)
class Kind:
    """A kind of action: its name in the filter, and how an entry of it reads."""

    label: Promise
    sentences: tuple[Sentence, ...]
    # How this action's details read, where the general rule (VALUE_KINDS) does not fit.
    values: Mapping[str, str] = field(default_factory=dict)


def S(text: Promise, needs: tuple[str, ...] = ()) -> Sentence:  # noqa: N802 - reads as a table
    return Sentence(text, needs)


GROUPS: dict[str, Promise] = {
    "cases": _("Cases"),
    "access": _("Access, keys and sign-ins"),
    "deadlines": _("Deadlines and outside authorities"),
    "investigation": _("Investigation"),
    "directory": _("People, accounts and roles"),
    "intake": _("Reports and guidance"),
    "audit": _("The audit log"),
}

KINDS: dict[str, Kind] = {
    # Cases ---------------------------------------------------------------------
    "intake.report.submitted": Kind(
        _("A report came in"),
        (
            S(
                _(
                    "%(actor)s sent a report, now case %(case)s "
                    "(%(category)s; %(channel)s; files: %(attachments)s)"
                )
            ),
            S(_("%(actor)s sent a report, now case %(case)s")),
        ),
    ),
    "cases.case.created": Kind(_("Case created"), (S(_("%(actor)s created case %(case)s")),)),
    "cases.case.read": Kind(
        _("Case read"),
        (
            S(_("%(actor)s read the report of case %(case)s (%(permission)s)")),
            S(_("%(actor)s read the report of case %(case)s")),
        ),
    ),
    "cases.parties.read": Kind(
        _("Names of a case read, before a conflict check"),
        (S(_("%(actor)s read whom case %(case)s names, to say whether she is conflicted")),),
    ),
    "cases.attachment.opened": Kind(
        _("File of a case opened"),
        (
            S(_("%(actor)s opened a file of case %(case)s (%(permission)s)")),
            S(_("%(actor)s opened a file of case %(case)s")),
        ),
    ),
    "cases.attachment.original_opened": Kind(
        _("Original file of a case opened"),
        (
            S(
                _(
                    "%(actor)s opened the original of a file of case %(case)s, with its "
                    "metadata (%(permission)s)"
                )
            ),
            S(_("%(actor)s opened the original of a file of case %(case)s, with its metadata")),
        ),
    ),
    "cases.case.transitioned": Kind(
        _("Case moved on"),
        (S(_("%(actor)s moved case %(case)s from “%(from)s” to “%(to)s”")),),
        {"from": "state", "to": "state"},
    ),
    "cases.case.assigned": Kind(
        _("Case assigned"), (S(_("%(actor)s assigned case %(case)s to %(to)s")),)
    ),
    "cases.case.linked": Kind(
        _("Cases linked"),
        (S(_("%(actor)s linked case %(case)s to case %(other)s (%(kind)s)")),),
        {"kind": "link"},
    ),
    "cases.party.linked": Kind(
        _("Person named in a case linked to the directory"),
        (S(_("%(actor)s linked a person named in case %(case)s to the directory, as %(role)s")),),
        {"role": "party"},
    ),
    "cases.note.added": Kind(
        _("Internal note added"), (S(_("%(actor)s added an internal note to case %(case)s")),)
    ),
    "cases.message.to_reporter": Kind(
        _("Message to the reporter"),
        (S(_("%(actor)s wrote to the reporter of case %(case)s")),),
    ),
    "cases.message.from_reporter": Kind(
        _("Message from the reporter"),
        (
            S(
                _("%(actor)s added information to case %(case)s (files: %(attachments)s)"),
                needs=("information",),
            ),
            S(_("%(actor)s wrote a message on case %(case)s (files: %(attachments)s)")),
            S(_("%(actor)s wrote a message on case %(case)s")),
        ),
    ),
    # Access to cases -------------------------------------------------------------
    "access.case.routed": Kind(
        _("Case routed"),
        (
            S(
                _(
                    "%(actor)s routed case %(case)s to the level %(level)s; people kept away "
                    "for a conflict of interest: %(conflicts)s"
                )
            ),
            S(_("%(actor)s found no level to route case %(case)s to")),
        ),
        {"level": "role", "start": "role"},
    ),
    "access.case.routing_refused": Kind(
        _("Case could not be routed"),
        (S(_("%(actor)s could not route case %(case)s: %(reason)s")),),
    ),
    "access.case.no_conflict_confirmed": Kind(
        _("No conflict of interest confirmed"),
        (S(_("%(actor)s confirmed having no conflict of interest in case %(case)s")),),
    ),
    "access.case.recused": Kind(
        _("Stepped away from a case"),
        (S(_("%(actor)s declared a conflict of interest in case %(case)s and stepped away")),),
    ),
    "access.case.break_glass": Kind(
        _("Case opened early (break-glass)"),
        (S(_("%(actor)s opened case %(case)s early, above its level, with a written reason")),),
    ),
    "access.case.investigator_assigned": Kind(
        _("Investigator assigned"),
        (S(_("%(actor)s made %(to)s the investigator of case %(case)s")),),
    ),
    "access.case.no_other_holder": Kind(
        _("Nobody active holds a case's key"),
        (
            S(
                _(
                    "%(actor)s found that nobody active holds the key of case %(case)s any "
                    "more (%(leaver)s left)"
                )
            ),
            S(_("%(actor)s found that nobody active holds the key of case %(case)s any more")),
        ),
    ),
    "access.case_key.granted": Kind(
        _("Case key given"), (S(_("%(actor)s gave %(to)s the key of case %(case)s")),)
    ),
    "access.case_key.pending": Kind(
        _("Case key owed"),
        (
            S(
                _(
                    "%(actor)s noted that %(to)s is owed the key of case %(case)s, handed over "
                    "at the next sign-in of someone who holds it (%(reason)s)"
                )
            ),
            S(_("%(actor)s noted that %(to)s is owed the key of case %(case)s")),
        ),
    ),
    "access.case_key.pending_fulfilled": Kind(
        _("Owed case key handed over"),
        (S(_("%(actor)s handed %(to)s the key of case %(case)s they were owed")),),
    ),
    "access.case_key.owed_to_new_member": Kind(
        _("Case keys owed to a new member of a level"),
        (S(_("%(actor)s noted that %(to)s, new as %(role)s, is owed case keys: %(cases)s")),),
        {"role": "role"},
    ),
    "access.case_key.refused": Kind(
        _("Case key refused"),
        (S(_("%(actor)s refused %(to)s the key of case %(case)s: %(reason)s")),),
    ),
    "access.case_key.revoked": Kind(
        _("Case key taken away"),
        (S(_("%(actor)s took the key of case %(case)s away from %(from)s: %(reason)s")),),
    ),
    "access.case_key.sealed_to_recovery": Kind(
        _("Case key sealed to the recovery key"),
        (S(_("%(actor)s sealed the key of case %(case)s to the organisation's recovery key")),),
    ),
    "access.case_key.sealed_to_reporter": Kind(
        _("Case key sealed to the reporter's receipt"),
        (S(_("%(actor)s sealed the key of case %(case)s to the reporter's receipt")),),
    ),
    "access.account.refused_keys": Kind(
        _("Account lost case keys"),
        (S(_("%(actor)s took case keys away from %(username)s (%(cases)s): %(reason)s")),),
    ),
    "access.recovery_key.created": Kind(
        _("Recovery key created"),
        (
            S(
                _(
                    "%(actor)s created the organisation's recovery key, in %(shares)s shares "
                    "of which %(threshold)s open it"
                )
            ),
        ),
    ),
    "access.recovery_key.used": Kind(
        _("Recovery key used"),
        (
            S(
                _(
                    "%(actor)s used the recovery key (%(shares)s shares) to give %(to)s the key "
                    "of case %(case)s"
                ),
                needs=("granted",),
            ),
            S(
                _(
                    "%(actor)s used the recovery key (%(shares)s shares) for case %(case)s, "
                    "but %(to)s was refused its key"
                )
            ),
        ),
    ),
    "access.rule_change.proposed": Kind(
        _("Change proposed"),
        (S(_("%(actor)s proposed a change (%(kind)s): %(summary)s")),),
        {"kind": "rule"},
    ),
    "access.rule_change.approved": Kind(
        _("Change approved"),
        (S(_("%(actor)s approved the change %(proposer)s proposed: %(summary)s")),),
    ),
    "access.rule_change.rejected": Kind(
        _("Change rejected"),
        (S(_("%(actor)s rejected the change %(proposer)s proposed: %(summary)s")),),
    ),
    "access.integrity.failed": Kind(
        _("A stored row failed its integrity check"),
        (
            S(
                _(
                    "A stored row of %(row)s (number %(id)s) failed its integrity check: it was "
                    "changed outside Ombud"
                )
            ),
        ),
    ),
    # Sign-ins and staff keys ---------------------------------------------------------
    "access.sign_in.failed": Kind(
        _("Sign-in failed"),
        (
            S(_("A sign-in as %(subject)s failed: %(reason)s")),
            S(_("A sign-in failed: %(reason)s")),
        ),
    ),
    "access.sign_in.locked_out": Kind(
        _("Sign-ins refused for a while"),
        (
            S(
                _(
                    "Sign-ins as %(username)s were refused for %(minutes)s minutes after too "
                    "many failures"
                )
            ),
        ),
    ),
    "access.api_token.created": Kind(
        _("API token made"),
        (S(_("%(actor)s made the API token “%(name)s”, expiring on %(expires)s")),),
    ),
    "access.api_token.revoked": Kind(
        _("API token revoked"),
        (S(_("%(actor)s revoked the API token “%(name)s” of %(subject)s: %(reason)s")),),
    ),
    "access.api_token.expired_erased": Kind(
        _("Expired API tokens erased"),
        (S(_("%(actor)s erased the wrapped keys of %(tokens)s expired API tokens")),),
    ),
    "access.api_token.used": Kind(
        _("API token used (first use of the day)"),
        (S(_("%(actor)s used the API token “%(name)s”")),),
    ),
    "access.api_token.refused": Kind(
        _("API token refused"),
        (S(_("%(actor)s was refused an API token: wrong %(reason)s")),),
    ),
    "access.session.ended": Kind(
        _("Session ended"),
        (S(_("A session of %(actor)s was ended: %(reason)s")),),
    ),
    "access.password_reset.mailed": Kind(
        _("Password link mailed"),
        (S(_("%(actor)s mailed %(subject)s a link to choose a new password")),),
    ),
    "access.password_reset.limited": Kind(
        _("Too many forgotten-password requests"),
        (S(_("A forgotten-password request was refused: too many from one place")),),
    ),
    "access.second_factor.enrolled": Kind(
        _("Authenticator app set up"),
        (S(_("%(actor)s set up an authenticator app for %(subject)s")),),
    ),
    "access.second_factor.recovery_codes_made": Kind(
        _("Recovery codes made"),
        (S(_("%(actor)s made new recovery codes for %(subject)s")),),
    ),
    "access.second_factor.recovery_code_used": Kind(
        _("Recovery code used"),
        (S(_("%(subject)s signed in with a recovery code")),),
    ),
    "access.second_factor.reset": Kind(
        _("Authenticator app taken away"),
        (S(_("%(actor)s took the authenticator app of %(subject)s away (a lost phone)")),),
    ),
    "access.staff_key.created": Kind(
        _("Staff key pair made"), (S(_("%(actor)s made a key pair for %(subject)s")),)
    ),
    "access.staff_key.rewrapped": Kind(
        _("Staff key locked under a new password"),
        (S(_("%(actor)s locked the key of %(subject)s under a new password")),),
    ),
    "access.staff_key.replaced": Kind(
        _("Staff key pair replaced"),
        (
            S(
                _(
                    "%(actor)s replaced the key pair of %(subject)s; case keys owed again: "
                    "%(pending_grants)s"
                )
            ),
        ),
    ),
    "access.staff_key.approved": Kind(
        _("Replaced staff key approved"),
        (
            S(
                _(
                    "%(actor)s approved the new key of %(subject)s; case keys released to it: "
                    "%(pending_grants)s"
                )
            ),
        ),
    ),
    "access.staff_key.substituted": Kind(
        _("Substituted staff key found"),
        (
            S(
                _(
                    "The key stored for %(subject)s was not theirs: it had been replaced "
                    "outside Ombud"
                )
            ),
        ),
    ),
    # Deadlines -----------------------------------------------------------------------
    "deadlines.case.escalated": Kind(
        _("Case escalated"),
        (
            S(_("Case %(case)s missed “%(deadline)s” and went up from %(from)s to %(to)s")),
            S(_("Case %(case)s missed “%(deadline)s” and went up to %(to)s")),
        ),
        {"from": "role", "to": "role"},
    ),
    "deadlines.case.top_reached": Kind(
        _("Deadline missed at the top"),
        (S(_("Case %(case)s missed “%(deadline)s” at the top of the ladder")),),
    ),
    "deadlines.deadline.extended": Kind(
        _("Deadline extended"),
        (S(_("%(actor)s extended “%(deadline)s” of case %(case)s; days added: %(days)s")),),
    ),
    "deadlines.policy.saved": Kind(
        _("Deadline policy changed"),
        (S(_("%(actor)s changed the deadline policy “%(slug)s” (%(fields)s)")),),
    ),
    "deadlines.policy_use.saved": Kind(
        _("Where a deadline policy applies changed"),
        (
            S(_("%(actor)s set the deadline policy for %(category)s to “%(policy)s”")),
            S(_("%(actor)s set the organisation's deadline policy to “%(policy)s”")),
        ),
    ),
    "deadlines.outside_channel.created": Kind(
        _("Outside authority added"),
        (S(_("%(actor)s added the outside authority “%(name)s”")),),
    ),
    "deadlines.outside_channel.saved": Kind(
        _("Outside authority changed"),
        (S(_("%(actor)s changed the outside authority “%(name)s” (%(fields)s)")),),
    ),
    # The directory -------------------------------------------------------------------
    "directory.imported": Kind(
        _("Directory imported"),
        (
            S(
                _(
                    "%(actor)s imported the directory from %(file)s: rows %(rows)s, added "
                    "%(added)s, changed %(updated)s, deactivated %(deactivated)s"
                )
            ),
        ),
    ),
    "directory.unit.created": Kind(_("Unit added"), (S(_("%(actor)s added the unit %(path)s")),)),
    "directory.person.created": Kind(
        _("Person added"),
        (
            S(_("%(actor)s added %(subject)s to the directory")),
            S(_("%(actor)s added %(employee_id)s to the directory")),
        ),
    ),
    "directory.person.updated": Kind(
        _("Person changed"),
        (
            S(_("%(actor)s changed %(subject)s in the directory (%(fields)s)")),
            S(_("%(actor)s changed %(subject)s in the directory")),
            S(_("%(actor)s changed %(employee_id)s in the directory")),
        ),
    ),
    "directory.person.deactivated": Kind(
        _("Person deactivated"),
        (
            S(_("%(actor)s marked %(subject)s as gone from the organisation")),
            S(_("%(actor)s marked %(employee_id)s as gone from the organisation")),
        ),
    ),
    "directory.person.external_without_approval": Kind(
        _("Person added by hand without approval"),
        (S(_("%(actor)s added %(subject)s by hand, without a second person's approval: %(why)s")),),
    ),
    "directory.user.created": Kind(
        _("Staff account created"),
        (
            S(_("%(actor)s created the staff account %(username)s for %(subject)s")),
            S(_("%(actor)s created the staff account %(username)s")),
        ),
        {"username": "plain"},
    ),
    "directory.user.saved": Kind(
        _("Staff account changed"),
        (S(_("%(actor)s changed the staff account of %(username)s (%(fields)s)")),),
    ),
    "directory.user.password_link_sent": Kind(
        _("Password link sent"),
        (S(_("%(actor)s sent %(username)s a link to choose a password")),),
    ),
    "directory.role.granted": Kind(
        _("Role given"), (S(_("%(actor)s gave %(username)s the role %(role)s")),), {"role": "role"}
    ),
    "directory.role.revoked": Kind(
        _("Role taken away"),
        (S(_("%(actor)s took the role %(role)s away from %(username)s")),),
        {"role": "role"},
    ),
    "intake.guidance.saved": Kind(
        _("Guidance for reporters changed"),
        (S(_("%(actor)s changed the guidance for reporters (%(fields)s)")),),
    ),
    # Investigation: allegations, the accused's side, findings ----------------------------
    "investigation.allegations.read": Kind(
        _("Allegations of a case read"),
        (
            S(_("%(actor)s read the allegations and findings of case %(case)s (%(permission)s)")),
            S(_("%(actor)s read the allegations and findings of case %(case)s")),
        ),
    ),
    "investigation.allegation.added": Kind(
        _("Allegation added"),
        (S(_("%(actor)s added an allegation of %(category)s to case %(case)s")),),
    ),
    "investigation.allegation.state_changed": Kind(
        _("Allegation moved on"),
        (S(_("%(actor)s moved an allegation of case %(case)s from “%(from)s” to “%(to)s”")),),
        {"from": "allegation", "to": "allegation"},
    ),
    "investigation.notice.drafted": Kind(
        _("Notice to the accused drafted"),
        (S(_("%(actor)s drafted a notice to the accused of case %(case)s")),),
    ),
    "investigation.notice.edited": Kind(
        _("Notice to the accused changed"),
        (S(_("%(actor)s changed a notice to the accused of case %(case)s")),),
    ),
    "investigation.notice.reviewed": Kind(
        _("Notice to the accused reviewed"),
        (S(_("%(actor)s reviewed a notice to the accused of case %(case)s")),),
    ),
    "investigation.notice.sent": Kind(
        _("Notice to the accused sent"),
        (S(_("%(actor)s recorded a notice to the accused of case %(case)s as sent")),),
    ),
    "investigation.notice.answered": Kind(
        _("Response of the accused recorded"),
        (S(_("%(actor)s recorded the accused's response in case %(case)s")),),
    ),
    "investigation.finding.recorded": Kind(
        _("Finding recorded"),
        (S(_("%(actor)s recorded a finding on an allegation of case %(case)s: %(outcome)s")),),
        {"from": "allegation", "outcome": "allegation"},
    ),
    "investigation.allegations.closed_without_finding": Kind(
        _("Case closed without a finding on every allegation"),
        (
            S(
                _(
                    "%(actor)s closed case %(case)s without a finding on every allegation "
                    "(without one: %(allegations)s), giving the reason in an internal note"
                )
            ),
        ),
    ),
    # The audit log itself ------------------------------------------------------------------
    "audit.verified": Kind(
        _("Audit log verified"),
        (
            S(
                _(
                    "%(actor)s verified the audit log: intact (entries: %(entries)s, signed "
                    "checkpoints: %(checkpoints)s)"
                ),
                needs=("ok",),
            ),
            S(_("%(actor)s verified the audit log and found it broken")),
        ),
    ),
    "audit.exported": Kind(_("Audit log exported"), (S(_("%(actor)s exported the audit log")),)),
    # Investigation: evidence and interim measures ---------------------------------
    "investigation.evidence.added": Kind(
        _("Evidence added"), (S(_("%(actor)s added an item of evidence to case %(case)s")),)
    ),
    "investigation.evidence.listed": Kind(
        _("Evidence listed"),
        (S(_("%(actor)s read the list of evidence of case %(case)s (%(permission)s)")),),
    ),
    "investigation.evidence.viewed": Kind(
        _("Evidence viewed"),
        (S(_("%(actor)s viewed an item of evidence of case %(case)s (%(permission)s)")),),
    ),
    "investigation.evidence.downloaded": Kind(
        _("Evidence downloaded"),
        (S(_("%(actor)s downloaded an item of evidence of case %(case)s (%(permission)s)")),),
    ),
    "investigation.evidence.exported": Kind(
        _("Evidence exported"),
        (S(_("%(actor)s exported the evidence of case %(case)s (%(permission)s)")),),
    ),
    "investigation.evidence.check_failed": Kind(
        _("Evidence failed its check"),
        (S(_("%(actor)s found an item of evidence of case %(case)s changed or damaged")),),
    ),
    "investigation.measures.read": Kind(
        _("Interim measures read"),
        (S(_("%(actor)s read the interim measures of case %(case)s (%(permission)s)")),),
    ),
    "investigation.measure.added": Kind(
        _("Interim measure decided"),
        (S(_("%(actor)s decided an interim measure in case %(case)s (%(kind)s)")),),
    ),
    "investigation.measure.reviewed": Kind(
        _("Interim measure reviewed"),
        (S(_("%(actor)s reviewed an interim measure of case %(case)s")),),
    ),
    "investigation.measure.ended": Kind(
        _("Interim measure ended"),
        (S(_("%(actor)s ended an interim measure of case %(case)s")),),
    ),
    "investigation.case.read": Kind(
        _("Investigation read"),
        (S(_("%(actor)s read the investigation of case %(case)s (%(permission)s)")),),
    ),
    "investigation.minutes.read": Kind(
        _("Minutes read"),
        (S(_("%(actor)s read the minutes of case %(case)s (%(permission)s)")),),
    ),
    "investigation.minutes.added": Kind(
        _("Minutes added"),
        (S(_("%(actor)s added minutes to case %(case)s")),),
    ),
    "investigation.minutes.edited": Kind(
        _("Minutes changed"),
        (S(_("%(actor)s changed minutes of case %(case)s (now version %(version)s)")),),
    ),
    "investigation.minutes.confirmed": Kind(
        _("Minutes confirmed by the reporter"),
        (S(_("%(actor)s confirmed minutes of case %(case)s, signed (version %(version)s)")),),
    ),
    "investigation.minutes.corrections_asked": Kind(
        _("Corrections to minutes asked"),
        (S(_("%(actor)s asked for corrections to minutes of case %(case)s")),),
    ),
    "intake.reporter.sign_key_set": Kind(
        _("Reporter's signing key kept"),
        (S(_("%(actor)s: the key that signs her confirmations was kept for case %(case)s")),),
    ),
    "deadlines.deadline.opened": Kind(
        _("Deadline opened"),
        (S(_("%(actor)s opened a deadline of case %(case)s, due %(due)s")),),
    ),
    "deadlines.deadline.met": Kind(
        _("Deadline met"),
        (S(_("%(actor)s met a deadline of case %(case)s")),),
    ),
    "deadlines.deadline.cancelled": Kind(
        _("Deadline no longer needed"),
        (S(_("%(actor)s set aside a deadline of case %(case)s: no longer needed")),),
    ),
    "investigation.outcome.read": Kind(
        _("Written outcome read"),
        (S(_("%(actor)s read the written outcome of case %(case)s (%(permission)s)")),),
    ),
    "investigation.outcome.drafted": Kind(
        _("Written outcome drafted"),
        (S(_("%(actor)s wrote version %(version)s of the outcome of case %(case)s")),),
    ),
    "investigation.outcome.reviewed": Kind(
        _("Written outcome approved"),
        (S(_("%(actor)s approved version %(version)s of the outcome of case %(case)s")),),
    ),
    "investigation.outcome.published": Kind(
        _("Written outcome published"),
        (S(_("%(actor)s published the outcome of case %(case)s to the reporter")),),
    ),
    "investigation.rights.read": Kind(
        _("Accused's appeals and requests read"),
        (S(_("%(actor)s read the accused's appeals and requests of case %(case)s")),),
    ),
    "investigation.appeal.recorded": Kind(
        _("Appeal recorded"),
        (S(_("%(actor)s recorded an appeal of a finding of case %(case)s")),),
    ),
    "investigation.appeal.decided": Kind(
        _("Appeal decided"),
        (S(_("%(actor)s decided an appeal of case %(case)s: %(decision)s")),),
    ),
    "investigation.access_request.recorded": Kind(
        _("Data-access request recorded"),
        (S(_("%(actor)s recorded a data-access request on case %(case)s")),),
    ),
    "investigation.access_request.drafted": Kind(
        _("Data-access answer written"),
        (S(_("%(actor)s wrote the answer to a data-access request on case %(case)s")),),
    ),
    "investigation.access_request.reviewed": Kind(
        _("Data-access answer approved"),
        (S(_("%(actor)s approved the answer to a data-access request on case %(case)s")),),
    ),
    "investigation.access_request.released": Kind(
        _("Data-access answer released"),
        (S(_("%(actor)s released the answer to a data-access request on case %(case)s")),),
    ),
}

FALLBACK = (
    S(_("%(actor)s recorded “%(action)s” on case %(case)s")),
    S(_("%(actor)s recorded “%(action)s”")),
)

# How a detail reads, by its name, unless the action says otherwise.
VALUE_KINDS = {
    "case": "case",
    "other": "case",
    "to": "user",
    "from": "user",
    "leaver": "user",
    "username": "user",
    "proposer": "user",
    "category": "category",
    "channel": "channel",
    "permission": "permission",
    "fields": "list",
}

ACTORS = {
    "reporter": _("The reporter"),
    "system:deadlines": _("The deadline sweep"),
    "system:worker": _("The background worker"),
    "system:integrity": _("The integrity check"),
    "system:demo": _("The demo loader"),
    "anonymous:sign-in": _("Someone signing in"),
}
COMMAND_LINE = "cli:"

PERMISSIONS = {
    "level": _("as a member of its level"),
    "investigator": _("as its investigator"),
    "break_glass": _("opened early, with a written reason"),
}


def group_of(action: str) -> str:
    return action.split(".", 1)[0]


def action_choices() -> list[tuple[Any, Any]]:
    """For the filter: every group ("all of them") and every known kind in it."""
    choices: list[tuple[Any, Any]] = [("", _("Any action"))]
    for group, label in GROUPS.items():
        kinds = [
            (action, kind.label) for action, kind in KINDS.items() if group_of(action) == group
        ]
        choices.append(
            (label, [(group, format_lazy(_("Everything in “{group}”"), group=label)), *kinds])
        )
    return choices


def actor_choices(users: Iterable[Any]) -> list[tuple[Any, Any]]:
    staff = [
        (f"user:{user.get_username()}", f"{user.display_name()} ({user.get_username()})")
        for user in users
    ]
    others = [*ACTORS.items(), (COMMAND_LINE, _("Someone at the command line"))]
    return [
        ("", _("Anyone")),
        (_("Staff"), staff),
        (_("Not a staff account"), others),
    ]


@dataclass
class Described:
    entry: AuditEntry
    who: str
    sentence: SafeString
    details: dict[str, Any]

    @property
    def short_hash(self) -> str:
        return self.entry.hash[:12]


@dataclass
class Names:
    """What the sentences of one page need from the directory, read at once."""

    users: dict[str, str] = field(default_factory=dict)  # username -> display name
    user_ids: dict[int, str] = field(default_factory=dict)  # account id -> display name
    people: dict[int, str] = field(default_factory=dict)  # person id -> "Name (employee id)"
    roles: dict[str, str] = field(default_factory=dict)  # role code -> name

    @classmethod
    def load(cls, entries: list[AuditEntry], users: list[Any] | None = None) -> Names:
        from ombud.directory.models import Person, StaffRole, User

        names = cls()
        if users is None:
            wanted_ids = {entry.actor_id for entry in entries if entry.actor_id}
            wanted_ids |= {
                int(entry.object_id)
                for entry in entries
                if entry.object_type == "directory.user" and entry.object_id.isdigit()
            }
            users = list(User.objects.filter(pk__in=wanted_ids).select_related("person"))
            usernames = {
                str(value)
                for entry in entries
                for key, value in _details(entry).items()
                if VALUE_KINDS.get(key) == "user" and isinstance(value, str)
            }
            users += list(
                User.objects.filter(
                    username__in=usernames - {u.username for u in users}
                ).select_related("person")
            )
        for user in users:
            names.users[user.get_username()] = user.display_name()
            names.user_ids[user.pk] = user.display_name()
        person_ids = {
            int(entry.object_id)
            for entry in entries
            if entry.object_type == "directory.person" and entry.object_id.isdigit()
        }
        if person_ids:
            for person in Person.objects.filter(pk__in=person_ids):
                names.people[person.pk] = f"{person.name} ({person.employee_id})"
        if any(entry.action in _WITH_ROLES for entry in entries):
            names.roles = dict(StaffRole.objects.values_list("code", "name"))
        return names


_WITH_ROLES = {action for action, kind in KINDS.items() if "role" in kind.values.values()}


def describe(entries: Iterable[AuditEntry], *, users: list[Any] | None = None) -> list[Described]:
    """Each entry with its sentence. ``users``: every staff account, when the caller
    has them already (the filter lists them), to spare a query."""
    entries = list(entries)
    names = Names.load(entries, users)
    return [
        Described(entry, actor_name(entry, names), sentence(entry, names), _details(entry))
        for entry in entries
    ]


def _details(entry: AuditEntry) -> dict[str, Any]:
    try:
        details = json.loads(entry.details)
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def sentence(entry: AuditEntry, names: Names) -> SafeString:
    kind = KINDS.get(entry.action)
    details = _details(entry)
    values: dict[str, Any] = {"actor": actor_name(entry, names), "action": entry.action}
    subject = _subject(entry, names)
    if subject:
        values["subject"] = subject
    for key, value in details.items():
        if key in values or value is None or value == "" or value == []:
            continue
        how = (kind.values.get(key) if kind else None) or VALUE_KINDS.get(key, "plain")
        values[key] = _read(how, value, names)
    for candidate in kind.sentences if kind else FALLBACK:
        text = str(candidate.text)
        wanted = set(PLACEHOLDER.findall(text))
        if not wanted <= set(values):
            continue
        if not all(details.get(key) for key in candidate.needs):
            continue
        return mark_safe(  # noqa: S308 - the text and every value are escaped here
            conditional_escape(text) % {key: conditional_escape(values[key]) for key in wanted}
        )
    return mark_safe(  # noqa: S308 - escaped here
        conditional_escape(str(FALLBACK[1].text))
        % {key: conditional_escape(values[key]) for key in ("actor", "action")}
    )


def actor_name(entry: AuditEntry, names: Names) -> str:
    if entry.actor_id is not None and entry.actor_id in names.user_ids:
        return names.user_ids[entry.actor_id]
    if entry.actor.startswith("user:"):
        return names.users.get(entry.actor[5:], entry.actor[5:])
    if entry.actor in ACTORS:
        return str(ACTORS[entry.actor])
    if entry.actor.startswith(COMMAND_LINE):
        return gettext("%(account)s at the command line") % {
            "account": entry.actor[len(COMMAND_LINE) :]
        }
    return entry.actor


def _subject(entry: AuditEntry, names: Names) -> str:
    if not entry.object_id.isdigit():
        return ""
    if entry.object_type == "directory.user":
        return names.user_ids.get(int(entry.object_id), "")
    if entry.object_type == "directory.person":
        return names.people.get(int(entry.object_id), "")
    return ""


def _case_link(ref: object) -> SafeString:
    url = reverse("audit:log") + "?" + urlencode({"case": str(ref)})
    return format_html('<a href="{}">{}</a>', url, ref)


def _label(choices: Any, value: object) -> str:
    return str(dict(choices).get(value, value))


def _read(how: str, value: Any, names: Names) -> Any:
    from ombud.access.models import RuleChange
    from ombud.cases.models import CaseLink, Category, Channel, Party, State
    from ombud.investigation.models import Allegation

    readers: dict[str, Callable[[Any], Any]] = {
        "case": _case_link,
        "user": lambda v: names.users.get(str(v), str(v)),
        "role": lambda v: gettext(names.roles[v]) if v in names.roles else str(v),
        "state": lambda v: _label(State.choices, v),
        "category": lambda v: _label(Category.choices, v),
        "channel": lambda v: _label(Channel.choices, v),
        "party": lambda v: _label(Party.Role.choices, v),
        "link": lambda v: _label(CaseLink.Kind.choices, v),
        "rule": lambda v: _label(RuleChange.Kind.choices, v),
        "permission": lambda v: str(PERMISSIONS.get(v, v)),
        "allegation": lambda v: _label(Allegation.State.choices, v),
    }
    if how in readers and isinstance(value, str | int):
        return readers[how](value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)
