"""Added to ``ombud.web.cases.urls``: under ``/cases/<public_id>/``, named ``cases:…``."""

from django.urls import URLPattern, path

from ombud.web.investigation import evidence, measures

urlpatterns: list[URLPattern] = [
    path("<str:public_id>/evidence/", evidence.evidence_list, name="evidence"),
    path("<str:public_id>/evidence/export/", evidence.evidence_export, name="evidence_export"),
    path(
        "<str:public_id>/evidence/<uuid:evidence_id>/",
        evidence.evidence_item,
        name="evidence_item",
    ),
    path(
        "<str:public_id>/evidence/<uuid:evidence_id>/download/",
        evidence.evidence_download,
        name="evidence_download",
    ),
    path("<str:public_id>/measures/", measures.measure_list, name="measures"),
    path(
        "<str:public_id>/measures/<uuid:measure_id>/",
        measures.measure_detail,
        name="measure",
    ),
]
