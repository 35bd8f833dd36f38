from django.urls import path

from ombud.web.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("verify/", views.verify, name="verify"),
    path("export.jsonl", views.export, name="export"),
    path("cases/<str:ref>/", views.case_access, name="case_access"),
]
