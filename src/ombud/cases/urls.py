from django.urls import path

from ombud.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("oral/", views.oral_report, name="oral"),
    path("<str:public_id>/", views.case_detail, name="detail"),
    path("<str:public_id>/messages/", views.case_reply, name="reply"),
    path(
        "<str:public_id>/attachments/<uuid:attachment_id>/",
        views.case_attachment,
        name="attachment",
    ),
]
