"""The policies every installation starts with. Editable afterwards (admin)."""

from __future__ import annotations

from typing import Any

EU_DIRECTIVE: list[dict[str, Any]] = [
    {
        "name": "acknowledge",
        "label": "Acknowledge the report",
        "met_by": "acknowledged",
        "from": "received",
        "window": {"days": 7},
        "statutory": True,
    },
    {
        # Within 3 months of the acknowledgement, or of the end of the 7 days if
        # none was sent (Directive (EU) 2019/1937, Art. 9(1)(f)).
        "name": "feedback",
        "label": "Give feedback on the follow-up",
        "met_by": "update",
        "from": "acknowledgement_or_its_deadline",
        "window": {"months": 3},
        "statutory": True,
    },
]

STRICT: list[dict[str, Any]] = [
    {
        "name": "acknowledge",
        "label": "Acknowledge the report",
        "met_by": "acknowledged",
        "from": "received",
        "window": {"business_days": 2},
    },
    {
        "name": "triage",
        "label": "Assess the report and make a plan",
        "met_by": "triaged",
        "from": "acknowledged",
        "window": {"business_days": 5},
        "except_categories": ["sexual_assault"],
    },
    {
        "name": "triage",
        "label": "Assess the report and make a plan",
        "met_by": "triaged",
        "from": "received",
        "window": {"hours": 24},
        "only_categories": ["sexual_assault"],
    },
    {
        "name": "update",
        "label": "Give the reporter news",
        "met_by": "update",
        "from": "received",
        "window": {"days": 30},
        "recurring": True,
    },
    {
        "name": "close",
        "label": "Close the case",
        "met_by": "closed",
        "from": "received",
        "window": {"days": 90},
        "extendable": True,
    },
]
