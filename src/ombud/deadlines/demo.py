"""Invented outside authorities for the demo organisation."""

from __future__ import annotations

from ombud.deadlines.models import OutsideChannel

DEMO_CHANNELS = [
    (
        "Avalmere Labour Inspectorate",
        "Investigates harassment, discrimination and unsafe work in any workplace.",
        "0800 555 0150 · inspect@labour.avalmere.example",
    ),
    (
        "Avalmere Equal Treatment Commission",
        "The equality body: advice and complaints about discrimination and harassment.",
        "0800 555 0160 · help@equaltreatment.avalmere.example",
    ),
    (
        "Quillmouth Police, Community Safety Unit",
        "For assault, threats and stalking. In an emergency call 112.",
        "112 · 0800 555 0170",
    ),
    (
        "Avalmere Financial Conduct Office",
        "The regulator for fraud, bribery and accounting irregularities.",
        "0800 555 0180 · whistle@fco.avalmere.example",
    ),
]


def demo_outside_channels() -> None:
    if OutsideChannel.objects.exists():
        return
    for position, (name, description, contact) in enumerate(DEMO_CHANNELS, start=1):
        OutsideChannel.objects.create(
            name=name, description=description, contact=contact, position=position
        )
