"""Signing in with two factors, setting up the second, and the forgotten password."""

from __future__ import annotations

import time
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ombud.crypto.errors import KeyDerivationBusy
from ombud.directory.models import User
from ombud.navigation import landing
from ombud.signin.backends import EnrolmentRequired
from ombud.signin.models import RecoveryCode
from ombud.signin.reset import password_reset_request
from ombud.signin.services import (
    confirmed_device,
    pending_device,
    provisioning_uri,
    recovery_codes_new,
    second_factor_check,
    seed_of,
    seed_text,
    totp_enrol_start,
)
from ombud.signin.throttle import lockout_seconds, reset_allowed

ENROLMENT = "ombud_enrolment"  # session: the account whose password was just proven
ENROLMENT_SECONDS = 10 * 60
BUSY = gettext_lazy(
    "Ombud is busy signing other people in. Try again in a moment: nothing you typed was wrong."
)


def code_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        required=required,
        max_length=20,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
        help_text=gettext_lazy("Six digits, or one of your recovery codes."),
    )


class SignInForm(AuthenticationForm):
    otp_token = code_field(required=False)
    busy = False
    enrolling: User | None = None

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Please enter a correct user name, password and code. The password is "
            "case-sensitive; each code works once."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = authenticate(
                self.request,
                username=username,
                password=password,
                otp_token=self.cleaned_data.get("otp_token") or "",
            )
        except KeyDerivationBusy:
            self.busy = True
            raise ValidationError(BUSY, code="busy") from None
        except EnrolmentRequired as needed:
            self.enrolling = needed.user
            raise ValidationError(_("Set up your second factor."), code="enrol") from None
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def _asked_next(request: HttpRequest) -> str:
    """The page the sign-in was asked from, when it is one of ours; "" otherwise."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _next(request: HttpRequest) -> str:
    return _asked_next(request) or landing(request.user)


class SignIn(LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # Staff with cases come to work on them; everyone else to the home page.
        return landing(self.request.user)

    def form_invalid(self, form: Any) -> HttpResponse:
        if form.enrolling is not None:
            # The password was right: this account sets up its authenticator now.
            totp_enrol_start(user=form.enrolling)
            self.request.session[ENROLMENT] = {
                "user": form.enrolling.pk,
                "until": time.time() + ENROLMENT_SECONDS,
            }
            target = reverse("two_factor_enrol")
            # Where she lands is decided once she is signed in, by her roles.
            asked = _asked_next(self.request)
            return HttpResponseRedirect(f"{target}?{urlencode({'next': asked})}")
        response = super().form_invalid(form)
        if form.busy:
            response.status_code = 503
            response["Retry-After"] = "5"
        return response


# Setting up the second factor --------------------------------------------------------


class EnrolForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = code_field(required=True)


def _enrolling(request: HttpRequest) -> User | None:
    marker = request.session.get(ENROLMENT)
    if not isinstance(marker, dict) or marker.get("until", 0) < time.time():
        return None
    return User.objects.filter(pk=int(marker.get("user") or 0), is_active=True).first()


def _qr(uri: str) -> tuple[str, int]:
    code = segno.make(uri, error="m")
    scale, border = 4, 2
    return code.svg_data_uri(scale=scale, border=border), int(code.symbol_size(scale, border)[0])


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """The QR code of a new seed; the password again and the app's first code sign in."""
    user = _enrolling(request)
    device = pending_device(user) if user is not None else None
    if user is None or device is None:
        return redirect("login")
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signed = authenticate(
                request,
                username=user.get_username(),
                password=form.cleaned_data["password"],
                otp_token=form.cleaned_data["otp_token"],
                enrol=True,
            )
        except KeyDerivationBusy:
            signed = None
            form.add_error(None, BUSY)
        if signed is not None:
            auth_login(request, signed)
            request.session.pop(ENROLMENT, None)
            codes = getattr(request, "_ombud_recovery_codes", [])
            return render(
                request, "signin/recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
        if not form.errors:
            form.add_error(
                None,
                _("The password or the code is not right. Check the app's clock and try again."),
            )
    qr, size = _qr(provisioning_uri(device, settings.OMBUD_ORGANISATION_NAME))
    return render(
        request,
        "signin/enrol.html",
        {
            "form": form,
            "username": user.get_username(),
            "qr": qr,
            "qr_size": size,
            "secret": seed_text(seed_of(device)),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


class NewRecoveryCodesForm(forms.Form):
    otp_token = code_field(required=True)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """How many recovery codes are left, and new ones for a code from the app."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    device = confirmed_device(user)
    if device is None:
        return redirect("home")
    form = NewRecoveryCodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        proof = second_factor_check(device=device, token=form.cleaned_data["otp_token"])
        if proof is not None and proof.spend(actor=user):
            codes = recovery_codes_new(actor=user, user=user)
            return render(
                request, "signin/recovery_codes.html", {"codes": codes, "next": reverse("home")}
            )
        form.add_error("otp_token", _("This code is not right, or was used already."))
    remaining = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    return render(request, "signin/two_factor.html", {"form": form, "remaining": remaining})


class SecondFactorSetPasswordForm(SetPasswordForm):
    """Choosing a new password from the e-mailed link also needs the second factor:
    the mailbox alone does not give the account away."""

    otp_token = code_field(required=True)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.device = confirmed_device(user) if user is not None else None
        if self.device is None:  # a first password: the authenticator comes at sign-in
            del self.fields["otp_token"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if self.device is not None and not self.errors:
            proof = second_factor_check(device=self.device, token=cleaned.get("otp_token"))
            if proof is None or not proof.spend(actor=self.user):
                raise ValidationError(
                    _(
                        "The code from your authenticator app (or a recovery code) is needed "
                        "and this one is not right. Nothing was changed."
                    ),
                    code="second_factor",
                )
        return cleaned


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
