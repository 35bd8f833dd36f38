"""What happens between triage and closing: allegations and the accused's side,
minutes the reporter confirms, evidence with its custody log, interim measures,
findings, the written outcome, and investigators' API tokens. All of it is case
content, encrypted with the case key and read through the door in ``reading``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvestigationConfig(AppConfig):
    name = "ombud.investigation"
    verbose_name = _("Investigation")

    def ready(self) -> None:
        from ombud.cases.workflow import closing_check
        from ombud.investigation import signals  # noqa: F401 - connects the receivers
        from ombud.investigation.allegations import closing_needs_findings
        from ombud.investigation.tokens import tokens_expired_erase
        from ombud.operations.worker import periodic_duty

        # A case closes only with a finding on every open allegation, or a reason.
        closing_check(closing_needs_findings)
        # An expired token's wrapped key is erased by the worker.
        periodic_duty(tokens_expired_erase)
