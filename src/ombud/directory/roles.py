"""The staff roles every organisation starts with (codes are used in code)."""

from django.utils.translation import gettext_noop as _

HANDLER = "handler"
INVESTIGATOR = "investigator"
HEAD_OF_ETHICS = "head-of-ethics"
GENERAL_COUNSEL = "general-counsel"
BOARD_COMMITTEE = "board-committee"
ESCROW_OFFICER = "escrow-officer"
AUDITOR = "auditor"
ADMINISTRATOR = "administrator"
TRAINED_INVESTIGATOR = "trained-investigator"

STANDARD_ROLES = [
    (HANDLER, _("Handler"), _("Intake team: acknowledges, triages, talks to the reporter.")),
    (INVESTIGATOR, _("Investigator"), _("Records interviews, evidence and findings.")),
    (HEAD_OF_ETHICS, _("Head of ethics"), _("First escalation level.")),
    (GENERAL_COUNSEL, _("General counsel"), _("Second escalation level.")),
    (BOARD_COMMITTEE, _("Board committee"), _("Top of the ladder; cases against executives.")),
    (ESCROW_OFFICER, _("Escrow officer"), _("Two together open a matched escrow entry.")),
    (AUDITOR, _("Auditor"), _("Reads the audit log and statistics, never case content.")),
    (ADMINISTRATOR, _("Administrator"), _("Manages people, roles and policy; reads no case.")),
    (
        TRAINED_INVESTIGATOR,
        _("Trained investigator"),
        _("Investigator trained for sexual-assault cases."),
    ),
]
