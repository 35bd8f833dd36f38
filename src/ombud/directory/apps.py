from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ombud.directory"
    verbose_name = "Directory"
