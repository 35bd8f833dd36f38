from django.contrib.auth import views as auth_views
from django.urls import include, path

from ombud import views
from ombud.access import views as access_views
from ombud.access.views import OwnerPasswordReset, PasswordChange
from ombud.api.api import api
from ombud.directory.admin import admin_site
from ombud.operations.views import healthz, outbox
from ombud.signin import views as signin_views
from ombud.signin.views import ForgottenPassword, SecondFactorSetPasswordForm, SignIn
from ombud.web.investigation import tokens as token_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("language/", views.language_set, name="language"),
    path("operations/outbox/", outbox, name="outbox"),
    path("accounts/login/", SignIn.as_view(), name="login"),
    path("accounts/two-factor/", signin_views.two_factor, name="two_factor"),
    path("accounts/two-factor/enrol/", signin_views.enrol, name="two_factor_enrol"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChange.as_view(), name="password_change"),
    path("accounts/tokens/", token_views.tokens_page, name="api_tokens"),
    path(
        "accounts/tokens/<int:token_id>/revoke/",
        token_views.token_revoke_view,
        name="api_token_revoke",
    ),
    path("accounts/password/forgotten/", ForgottenPassword.as_view(), name="password_reset"),
    path(
        "accounts/password/forgotten/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        OwnerPasswordReset.as_view(form_class=SecondFactorSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("report/", include("ombud.web.intake.urls")),
    path("audit/", include("ombud.web.audit.urls")),
    path("rules/", access_views.rules, name="rules"),
    path("rules/<int:change_id>/decide/", access_views.rule_decide, name="rule_decide"),
    path("rules/ladder/", access_views.ladder_change, name="ladder_change"),
    path("cases/", include("ombud.web.cases.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin_site.urls),
]

handler400 = "ombud.views.bad_request"
handler403 = "ombud.views.permission_denied"
handler404 = "ombud.views.page_not_found"
handler500 = "ombud.views.server_error"
