"""Added to ``ombud.web.cases.urls``: under ``/cases/<public_id>/``, named ``cases:…``."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
