"""Her personal access tokens for the staff API: make one (the password and the second
factor again: the password opens the key the token will wrap), see them, revoke one.

A new token's text is on the page that answers its making, once: it is never
stored, nor put in the session to show after a redirect."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from ombud.access.services import KeyMismatch, PepperMismatch, staff_key_unlock
from ombud.audit.services import audit_record
from ombud.crypto.errors import KeyDerivationBusy, WrongPassword
from ombud.directory.models import User
from ombud.investigation.models import ApiToken
from ombud.investigation.tokens import (
    MAX_DAYS,
    NAME_MAX,
    token_create,
    token_is_live,
    token_revoke,
    tokens_of,
)
from ombud.signin.services import confirmed_device, second_factor_check
from ombud.signin.views import BUSY, code_field

REFUSED = "access.api_token.refused"


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=NAME_MAX,
        help_text=gettext_lazy("What it is for, so you know which one to revoke."),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Days it lives"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=30,
        help_text=gettext_lazy("At most 90 days."),
    )
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = code_field(required=True)


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):  # login_required runs first
        raise Http404
    return request.user


def _refused(user: User, reason: str) -> None:
    with transaction.atomic():
        audit_record(actor=user, action=REFUSED, obj=user, details={"reason": reason})


def _page(
    request: HttpRequest, form: TokenForm, status: int = 200, made: str = "", made_name: str = ""
) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    if form.is_bound:  # what she typed comes back, but never the code (spent, or wrong)
        form.data = {**form.data.dict(), "otp_token": ""}  # type: ignore[attr-defined]
    return render(
        request,
        "investigation/tokens.html",
        {
            "form": form,
            "tokens": [(token, token_is_live(token, now)) for token in tokens_of(user)],
            "made": made,
            "made_name": made_name,
            "has_device": confirmed_device(user) is not None,
        },
        status=status,
    )


@sensitive_variables()
def _make(request: HttpRequest, user: User, form: TokenForm) -> HttpResponse:
    device = confirmed_device(user)
    if device is None:
        form.add_error(None, _("Set up your authenticator app first: a token needs it."))
        return _page(request, form, status=400)
    # The code first, as at sign-in: cheap, and a wrong one costs no Argon2. A right
    # one is spent whatever the password, so each password tried needs a new code.
    proof = second_factor_check(device=device, token=form.cleaned_data["otp_token"])
    if proof is None or not proof.spend(actor=user):
        _refused(user, "code")
        form.add_error(
            "otp_token",
            _("This code is not right, or was used already. Nothing was made."),
        )
        return _page(request, form, status=400)
    try:
        private = staff_key_unlock(user=user, password=form.cleaned_data["password"])
    except KeyDerivationBusy:
        form.add_error(None, BUSY)
        response = _page(request, form, status=503)
        response["Retry-After"] = "5"
        return response
    except (WrongPassword, KeyMismatch, PepperMismatch):
        private = None
    if private is None:
        _refused(user, "password")
        form.add_error(
            "password",
            _(
                "This password does not open your key. Nothing was made; type it again "
                "with a new code from your app."
            ),
        )
        return _page(request, form, status=400)
    try:
        created = token_create(
            actor=user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            private=private,
        )
    except ValidationError as refused:
        form.add_error(None, refused)
        return _page(request, form, status=400)
    return _page(request, TokenForm(), made=created.text, made_name=created.token.name)


@login_required
@sensitive_post_parameters("password", "otp_token")
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    """Her tokens, and the form that makes one."""
    user = _user(request)
    if request.method == "GET":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    return _make(request, user, form)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _user(request)
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise Http404
    if token_revoke(actor=user, token=token):
        messages.success(
            request,
            _("The token “%(name)s” is revoked: it opens nothing now.") % {"name": token.name},
        )
    return redirect("api_tokens")
