from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "ombud.access"
    verbose_name = "Access and keys"

    def ready(self) -> None:
        from ombud.access import (
            four_eyes,
            routing,
            signals,  # noqa: F401 - connects the receivers
        )
        from ombud.directory.services import GATES

        GATES.update(
            role=four_eyes.role_gate,
            person=four_eyes.person_gate,
            import_snapshot=four_eyes.parties_snapshot,
            joined=routing.member_joined,
            **{"import": four_eyes.import_gate},
        )
