from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "ombud.operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from ombud.operations import (
            alarms,  # noqa: F401 - connects the receivers
            receivers,  # noqa: F401 - the reporter's news mail
        )
