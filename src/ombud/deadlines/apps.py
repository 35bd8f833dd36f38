from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "ombud.deadlines"
    label = "deadlines"
    verbose_name = _("Deadlines")

    def ready(self) -> None:
        from ombud.deadlines import (
            receivers,  # noqa: F401 - follows the case's events
            rules,  # noqa: F401 - registers how policy changes apply
        )
        from ombud.deadlines.services import deadlines_sweep
        from ombud.operations.worker import periodic_duty

        periodic_duty(deadlines_sweep)
