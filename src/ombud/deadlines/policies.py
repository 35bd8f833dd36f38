"""The policies every installation starts with. Editable afterwards (admin)."""

from __future__ import annotations

from typing import Any

# The labels stay in English where they are stored and are shown translated (the
# `translated` template filter): marked here so that they are in the catalogue.
from django.utils.translation import gettext_noop

# The names of the policies 0002_default_policies stores (shown translated).
NAMES = [gettext_noop("EU directive (2019/1937)"), gettext_noop("Strict")]

EU_DIRECTIVE: list[dict[str, Any]] = [
    {
        "name": "acknowledge",
        "label": gettext_noop("Acknowledge the report"),
        "met_by": "acknowledged",
        "from": "received",
        "window": {"days": 7},
        "statutory": True,
    },
    {
        # Within 3 months of the acknowledgement, or of the end of the 7 days if
        # none was sent (Directive (EU) 2019/1937, Art. 9(1)(f)).
        "name": "feedback",
        "label": gettext_noop("Give feedback on the follow-up"),
        "met_by": "update",
        "from": "acknowledgement_or_its_deadline",
        "window": {"months": 3},
        "statutory": True,
    },
]

STRICT: list[dict[str, Any]] = [
    {
        "name": "acknowledge",
        "label": gettext_noop("Acknowledge the report"),
        "met_by": "acknowledged",
        "from": "received",
        "window": {"business_days": 2},
    },
    {
        "name": "triage",
        "label": gettext_noop("Assess the report and make a plan"),
        "met_by": "triaged",
        "from": "acknowledged",
        "window": {"business_days": 5},
        "except_categories": ["sexual_assault"],
    },
    {
        "name": "triage",
        "label": gettext_noop("Assess the report and make a plan"),
        "met_by": "triaged",
        "from": "received",
        "window": {"hours": 24},
        "only_categories": ["sexual_assault"],
    },
    {
        "name": "update",
        "label": gettext_noop("Give the reporter news"),
        "met_by": "update",
        "from": "received",
        "window": {"days": 30},
        "recurring": True,
    },
    {
        "name": "close",
        "label": gettext_noop("Close the case"),
        "met_by": "closed",
        "from": "received",
        "window": {"days": 90},
        "extendable": True,
    },
]
