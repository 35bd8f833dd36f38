"""Added to ``ombud.web.cases.urls``: under ``/cases/<public_id>/``, named ``cases:…``."""

from django.urls import URLPattern, path

from ombud.web.investigation import allegations

urlpatterns: list[URLPattern] = [
    path("<str:public_id>/allegations/", allegations.allegations_page, name="allegations"),
]
