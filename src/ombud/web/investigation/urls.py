"""Added to ``ombud.web.cases.urls``: under ``/cases/<public_id>/``, named ``cases:…``."""

from django.urls import URLPattern, path

from ombud.web.investigation import minutes, outcome

urlpatterns: list[URLPattern] = [
    path("<str:public_id>/outcome/", outcome.outcome_page, name="outcome"),
    path("<str:public_id>/minutes/", minutes.minutes_page, name="minutes"),
    path(
        "<str:public_id>/minutes/<uuid:minutes_id>/",
        minutes.minutes_edit_page,
        name="minutes_edit",
    ),
]
