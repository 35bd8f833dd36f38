from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "ombud.signin"
    verbose_name = "Signing in"
