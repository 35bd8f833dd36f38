"""Changing the deadline rules. A deadline policy and where it applies decide when
a report escalates by itself: a policy stretched to ten years buries every report
quietly. So they change only through four eyes, like the routing rules: the admin
proposes, a second ladder member approves, and only then is the change applied,
audited. Outside channels (shown to reporters) are saved at once, audited.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ombud.access.four_eyes import APPLIERS, rule_change_propose
from ombud.access.models import RuleChange
from ombud.audit.services import audit_record
from ombud.deadlines.calendar import window_end
from ombud.deadlines.models import DeadlinePolicy, DeadlinePolicyUse, OutsideChannel
from ombud.directory.models import User

# No deadline may be further away than this: a longer one would leave a report
# without a deadline that escalates, which is what "cannot be ignored" forbids.
LONGEST_WINDOW = dt.timedelta(days=366)
REQUIRED = {"name", "met_by", "from", "window"}


def rules_check(text: str) -> list[dict[str, Any]]:
    """The rules of a policy, or ValidationError saying what is wrong with them."""
    try:
        rules = json.loads(text)
    except ValueError as exc:
        raise ValidationError(_("Not JSON: %(error)s") % {"error": exc}) from None
    if (
        not isinstance(rules, list)
        or not rules
        or not all(isinstance(rule, dict) and set(rule) >= REQUIRED for rule in rules)
    ):
        raise ValidationError(_("A list of rules, each with name, met_by, from and window."))
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    from ombud.cases.models import Category, State

    events = {state.value for state in State} | {"update"}
    starts = {State.RECEIVED.value, State.ACKNOWLEDGED.value, "acknowledgement_or_its_deadline"}
    categories = set(Category.values)
    for rule in rules:
        # A rule that can never start or never be met disables escalation as surely
        # as a window of ten years.
        if rule["from"] not in starts or rule["met_by"] not in events:
            raise ValidationError(
                _("Rule %(rule)s: from must be one of %(starts)s and met_by one of %(events)s.")
                % {
                    "rule": rule["name"],
                    "starts": ", ".join(sorted(starts)),
                    "events": ", ".join(sorted(events)),
                }
            )
        for key in ("only_categories", "except_categories"):
            listed = rule.get(key, [])
            if not isinstance(listed, list) or set(listed) - categories:
                raise ValidationError(
                    _("Rule %(rule)s: %(key)s lists categories that do not exist.")
                    % {"rule": rule["name"], "key": key}
                )
        if set(rule.get("except_categories", [])) >= categories:
            raise ValidationError(
                _("Rule %(rule)s: it would apply to no category.") % {"rule": rule["name"]}
            )
        try:
            end = window_end(start, rule["window"], country="IE", tz="UTC")
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationError(
                _("Rule %(rule)s: %(error)s") % {"rule": rule["name"], "error": exc}
            ) from None
        if end - start > LONGEST_WINDOW:
            raise ValidationError(
                _(
                    "Rule %(rule)s: a window longer than a year would leave reports without "
                    "a deadline that escalates."
                )
                % {"rule": rule["name"]}
            )
    return rules


def policy_change_propose(
    *, actor: User | str, policy: DeadlinePolicy, fields: dict[str, Any]
) -> RuleChange:
    """A new policy or a change to one, waiting for a second ladder member."""
    if "rules" in fields:
        rules_check(fields["rules"])
    changed = sorted(fields)
    return rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.DEADLINE_POLICY,
        summary=_("deadline policy %(slug)s: %(fields)s")
        % {"slug": fields.get("slug", policy.slug), "fields": ", ".join(changed)},
        payload={"target": "policy", "pk": policy.pk, "fields": fields},
    )


def policy_use_change_propose(
    *, actor: User | str, use: DeadlinePolicyUse, category: str, policy: DeadlinePolicy
) -> RuleChange:
    return rule_change_propose(
        actor=actor,
        kind=RuleChange.Kind.DEADLINE_POLICY,
        summary=_("%(category)s reports follow the deadline policy %(slug)s")
        % {"category": category or _("all"), "slug": policy.slug},
        payload={"target": "use", "pk": use.pk, "category": category, "policy": policy.pk},
    )


@transaction.atomic
def policy_change_apply(payload: dict[str, Any], actor: User) -> None:
    """Called when a second ladder member approves (access.four_eyes)."""
    if payload["target"] == "policy":
        fields = payload["fields"]
        if "rules" in fields:
            rules_check(fields["rules"])
        policy = (
            DeadlinePolicy.objects.select_for_update().get(pk=payload["pk"])
            if payload["pk"]
            else DeadlinePolicy()
        )
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.save()
        audit_record(
            actor=actor,
            action="deadlines.policy.saved",
            obj=policy,
            details={"slug": policy.slug, "fields": sorted(fields)},
        )
    else:
        use = (
            DeadlinePolicyUse.objects.select_for_update().get(pk=payload["pk"])
            if payload["pk"]
            else DeadlinePolicyUse()
        )
        use.category = payload["category"]
        use.policy = DeadlinePolicy.objects.get(pk=payload["policy"])
        use.save()
        audit_record(
            actor=actor,
            action="deadlines.policy_use.saved",
            obj=use,
            details={"category": use.category, "policy": use.policy.slug},
        )


@transaction.atomic
def outside_channel_save(
    *, actor: User | str, channel: OutsideChannel, changed: list[str]
) -> OutsideChannel:
    creating = channel.pk is None
    channel.save()
    audit_record(
        actor=actor,
        action="deadlines.outside_channel.created"
        if creating
        else "deadlines.outside_channel.saved",
        obj=channel,
        details={"name": channel.name, "fields": sorted(changed)},
    )
    return channel


APPLIERS[RuleChange.Kind.DEADLINE_POLICY] = policy_change_apply
