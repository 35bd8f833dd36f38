"""Which of the investigation's deadlines the reporter is not shown. Her page and her
API list her case's deadlines; these would tell her what is not hers to know: that
the accused was told and is answering (``accused:``), that he appealed
(``appeal:``) or asked for his data (``access:``), or that a measure that does not
affect her is being reviewed. A missed one still escalates and still shows on her
timeline, as every missed deadline does, by its label alone."""

from __future__ import annotations

from django.db.models import Q

from ombud.cases.models import Case
from ombud.investigation.measures import reviews_kept_from_reporter

NOT_HERS = ("accused:", "appeal:", "access:")


def kept_from_reporter(case: Case) -> Q:
    """A condition on the case's deadlines: those her page and API leave out."""
    hidden = Q(name__in=reviews_kept_from_reporter(case))
    for prefix in NOT_HERS:
        hidden |= Q(name__startswith=prefix)
    return hidden & Q(state__in=["open", "met", "cancelled"])
