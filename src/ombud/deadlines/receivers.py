"""Deadlines follow the case: connected in DeadlinesConfig.ready()."""

from typing import Any

from django.dispatch import receiver

from ombud.cases.signals import case_event
from ombud.deadlines.services import deadlines_on_event


@receiver(case_event, dispatch_uid="ombud.deadlines.on_case_event")
def on_case_event(sender: Any, *, case: Any, event: str, at: Any, **kwargs: Any) -> None:
    deadlines_on_event(case=case, event=event, at=at)
