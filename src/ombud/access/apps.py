from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "ombud.access"
    verbose_name = _("Access and keys")

    def ready(self) -> None:
        from ombud import integrity
        from ombud.access import (
            four_eyes,
            routing,
            signals,  # noqa: F401 - connects the receivers
        )
        from ombud.access.services import HOOKS

        integrity.connect()
        from ombud.directory.services import GATES

        HOOKS.update(key_replaced=four_eyes.staff_key_approval_propose)

        GATES.update(
            role=four_eyes.role_gate,
            person=four_eyes.person_gate,
            import_snapshot=four_eyes.parties_snapshot,
            joined=routing.member_joined,
            person_add=four_eyes.person_add_propose,
            **{"import": four_eyes.import_gate},
        )
