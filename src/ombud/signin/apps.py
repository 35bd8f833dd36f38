from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "ombud.signin"
    verbose_name = "Signing in"

    def ready(self) -> None:
        from django.conf import settings

        from ombud.crypto import passwords
        from ombud.signin import throttle  # noqa: F401 - connects the lockout receiver

        # One Argon2 computation at a time per web process (OMBUD_ARGON2_CONCURRENCY).
        passwords.slots.configure(settings.OMBUD_ARGON2_CONCURRENCY, wait_seconds=20)
