from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "ombud.directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from ombud.audit.tasks import auditors_from
        from ombud.directory import roles
        from ombud.directory.selectors import users_with_role

        auditors_from(lambda: users_with_role(roles.AUDITOR))
