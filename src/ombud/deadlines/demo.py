"""Invented outside authorities for the demo organisation, each for the categories
it takes (no fraud regulator for an assault)."""

from __future__ import annotations

from django.conf import settings

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


# The same, for a demo in Chinese (`ombud demo --language zh-hans`).
DEMO_CHANNELS_ZH = [
    (
        "阿瓦尔米尔劳动监察局",
        "调查任何工作场所中的骚扰、歧视和不安全作业。",
        "0800 555 0150 · inspect@labour.avalmere.example",
    ),
    (
        "阿瓦尔米尔平等待遇委员会",
        "平等机构：就歧视和骚扰提供咨询并受理投诉。",
        "0800 555 0160 · help@equaltreatment.avalmere.example",
    ),
    (
        "奎尔茅斯公安局社区安全大队",
        "受理侵犯、威胁和跟踪骚扰。紧急情况请拨打 110。",
        "110 · 0800 555 0170",
    ),
    (
        "阿瓦尔米尔金融行为监管办公室",
        "负责欺诈、贿赂和财务违规的监管机构。",
        "0800 555 0180 · whistle@fco.avalmere.example",
    ),
]


def demo_outside_channels() -> None:
    if OutsideChannel.objects.exists():
        return
    channels = DEMO_CHANNELS
    if settings.LANGUAGE_CODE == "zh-hans":  # the same authorities, for the same categories
        channels = [(*zh, en[3]) for zh, en in zip(DEMO_CHANNELS_ZH, DEMO_CHANNELS, strict=True)]
    for position, (name, description, contact, categories) in enumerate(channels, start=1):
        OutsideChannel.objects.create(
            name=name,
            description=description,
            contact=contact,
            position=position,
            categories=[str(category.value) for category in categories],
        )
