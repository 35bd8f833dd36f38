from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "ombud.operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from ombud.operations import alarms  # noqa: F401 - connects the receivers
