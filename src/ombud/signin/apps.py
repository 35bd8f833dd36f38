from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

WEB_THREADS = 16  # threads of each web process: see ombud.cli


class SigninConfig(AppConfig):
    name = "ombud.signin"
    verbose_name = _("Signing in")

    def ready(self) -> None:
        from django.conf import settings

        from ombud.crypto import passwords
        from ombud.signin import (  # noqa: F401 - connect receivers, register appliers
            services,
            throttle,
        )

        # One Argon2 computation at a time per web process (OMBUD_ARGON2_CONCURRENCY), and
        # at most as many waiting as leave one of the process's threads (`ombud serve`
        # runs 16) free for every other page.
        concurrency = settings.OMBUD_ARGON2_CONCURRENCY
        passwords.slots.configure(
            concurrency, wait_seconds=20, max_waiting=max(1, WEB_THREADS - 1 - concurrency)
        )
