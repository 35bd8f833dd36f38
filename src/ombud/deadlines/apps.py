from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "ombud.deadlines"
    label = "deadlines"
    verbose_name = "Deadlines"

    def ready(self) -> None:
        from ombud.deadlines import rules  # noqa: F401 - registers how policy changes apply
