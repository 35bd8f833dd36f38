from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "ombud.deadlines"
    label = "deadlines"
    verbose_name = "Deadlines"
