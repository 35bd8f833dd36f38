from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "ombud.cases"
    verbose_name = "Cases"
