from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "ombud.access"
    verbose_name = "Access and keys"

    def ready(self) -> None:
        from ombud.access import signals  # noqa: F401 - connects the receivers
