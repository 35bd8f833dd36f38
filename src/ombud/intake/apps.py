from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "ombud.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from ombud.intake.drafts import drafts_expired_clear
        from ombud.operations.worker import periodic_duty

        periodic_duty(drafts_expired_clear)
