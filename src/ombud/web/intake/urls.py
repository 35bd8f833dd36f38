from django.urls import path

from ombud.web.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("new/", views.report_new, name="new"),
    path("review/", views.report_review, name="review"),
    path("status/", views.status, name="status"),
    path("status/message/", views.status_message, name="message"),
    path("status/minutes/", views.status_minutes, name="minutes"),
    path("status/leave/", views.status_leave, name="leave"),
    path("status/outcome.pdf", views.status_outcome_pdf, name="outcome_pdf"),
    path("exit/", views.quick_exit, name="exit"),
]
