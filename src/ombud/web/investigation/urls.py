"""Added to ``ombud.web.cases.urls``: under ``/cases/<public_id>/``, named ``cases:…``."""

from django.urls import URLPattern, path

from ombud.web.investigation import outcome

urlpatterns: list[URLPattern] = [
    path("<str:public_id>/outcome/", outcome.outcome_page, name="outcome"),
]
