from django.urls import path

from ombud.web.cases import views
from ombud.web.investigation.urls import urlpatterns as investigation

app_name = "cases"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("oral/", views.oral_report, name="oral"),
    path("break-glass/", views.break_glass_log, name="break_glass_log"),
    path("overview/", views.overview, name="overview"),
    path("<str:public_id>/", views.case_detail, name="detail"),
    path("<str:public_id>/messages/", views.case_reply, name="reply"),
    path("<str:public_id>/standing/", views.case_standing, name="standing"),
    path("<str:public_id>/break-glass/", views.case_break_glass_view, name="break_glass"),
    path("<str:public_id>/notes/", views.case_note, name="note"),
    path("<str:public_id>/links/", views.case_link_view, name="link"),
    path("<str:public_id>/assign/", views.case_assign_view, name="assign"),
    path("<str:public_id>/parties/", views.case_party_view, name="party"),
    path("<str:public_id>/transition/", views.case_transition_view, name="transition"),
    path("<str:public_id>/extend/", views.case_extend_view, name="extend"),
    path(
        "<str:public_id>/attachments/<uuid:attachment_id>/",
        views.case_attachment,
        name="attachment",
    ),
    *investigation,
]
