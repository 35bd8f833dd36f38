"""Added to ``ombud.web.cases.urls``: under ``/cases/<public_id>/``, named ``cases:…``."""

from django.urls import URLPattern, path

from ombud.web.investigation import allegations, evidence, measures, minutes, outcome, rights

urlpatterns: list[URLPattern] = [
    path("<str:public_id>/allegations/", allegations.allegations_page, name="allegations"),
    path("<str:public_id>/minutes/", minutes.minutes_page, name="minutes"),
    path(
        "<str:public_id>/minutes/<uuid:minutes_id>/",
        minutes.minutes_edit_page,
        name="minutes_edit",
    ),
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
    path("<str:public_id>/outcome/", outcome.outcome_page, name="outcome"),
    path("<str:public_id>/accused/", rights.rights_page, name="rights"),
    path(
        "<str:public_id>/accused/answers/<uuid:request_id>.pdf",
        rights.access_answer_pdf,
        name="access_answer",
    ),
]
