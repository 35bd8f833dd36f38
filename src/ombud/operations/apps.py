from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "ombud.operations"
    verbose_name = "Operations"
