from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestigationConfig(AppConfig):
    name = "ombud.investigation"
    verbose_name = _("Investigation")

    def ready(self) -> None:
        from ombud.investigation import signals  # noqa: F401 - connects the receivers
