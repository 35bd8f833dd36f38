"""The sign-in page and the forgotten-password page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombud.crypto.errors import KeyDerivationBusy
from ombud.signin.reset import password_reset_request
from ombud.signin.throttle import lockout_seconds, reset_allowed


class SignInForm(AuthenticationForm):
    busy = False

    error_messages = {
        **AuthenticationForm.error_messages,
        "busy": gettext_lazy(
            "Ombud is busy signing other people in. Try again in a moment: "
            "nothing you typed was wrong."
        ),
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except KeyDerivationBusy:
            self.busy = True
            raise ValidationError(self.error_messages["busy"], code="busy") from None


class SignIn(LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if getattr(form, "busy", False):
            response.status_code = 503
            response["Retry-After"] = "5"
        return response


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """What django-axes answers when an account or an address is locked out."""
    form = SignInForm(request, initial={"username": (credentials or {}).get("username", "")})
    message = _(
        "Too many failed sign-ins for this account or from this address. "
        "Try again in %(minutes)d minutes."
    ) % {"minutes": lockout_seconds() // 60}
    response = render(
        request, "registration/login.html", {"form": form, "locked_out": message}, status=429
    )
    response["Retry-After"] = str(lockout_seconds())
    return response


# The forgotten password -------------------------------------------------------------


class ForgottenPasswordForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Work e-mail"), max_length=254)

    def save(self, **kwargs: Any) -> None:
        password_reset_request(address=self.cleaned_data["email"])


class ForgottenPassword(PasswordResetView):
    form_class = ForgottenPasswordForm  # type: ignore[assignment]
    success_url = reverse_lazy("password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Counted before anything else, for every input alike.
        if not reset_allowed(request, request.POST.get("email", "")):
            return render(
                request,
                "registration/password_reset_form.html",
                {"form": self.get_form(), "limited": True},
                status=429,
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        form.save()
        return HttpResponseRedirect(self.get_success_url())
