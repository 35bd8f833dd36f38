"""Invented outside authorities for the demo organisation, each for the categories
it takes (no fraud regulator for an assault)."""

from __future__ import annotations

from ombud.cases.models import Category
from ombud.deadlines.models import OutsideChannel

DEMO_CHANNELS = [
    (
        "Avalmere Labour Inspectorate",
        "Investigates harassment, discrimination and unsafe work in any workplace.",
        "0800 555 0150 · inspect@labour.avalmere.example",
        [
            Category.SEXUAL_ASSAULT,
            Category.SEXUAL_HARASSMENT,
            Category.DISCRIMINATION,
            Category.BULLYING,
            Category.RETALIATION,
            Category.SAFETY,
            Category.OTHER,
        ],
    ),
    (
        "Avalmere Equal Treatment Commission",
        "The equality body: advice and complaints about discrimination and harassment.",
        "0800 555 0160 · help@equaltreatment.avalmere.example",
        [
            Category.SEXUAL_ASSAULT,
            Category.SEXUAL_HARASSMENT,
            Category.DISCRIMINATION,
            Category.RETALIATION,
        ],
    ),
    (
        "Quillmouth Police, Community Safety Unit",
        "For assault, threats and stalking. In an emergency call 112.",
        "112 · 0800 555 0170",
        [Category.SEXUAL_ASSAULT, Category.SEXUAL_HARASSMENT, Category.BULLYING],
    ),
    (
        "Avalmere Financial Conduct Office",
        "The regulator for fraud, bribery and accounting irregularities.",
        "0800 555 0180 · whistle@fco.avalmere.example",
        [Category.FRAUD],
    ),
]


def demo_outside_channels() -> None:
    if OutsideChannel.objects.exists():
        return
    for position, (name, description, contact, categories) in enumerate(DEMO_CHANNELS, start=1):
        OutsideChannel.objects.create(
            name=name,
            description=description,
            contact=contact,
            position=position,
            categories=[str(category.value) for category in categories],
        )
