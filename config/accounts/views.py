"""Accounts pages: sign in (rate limited by axes), sign out, the second factor."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from config.accounts import twofactor


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "accounts:login"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("workspace:home")


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    if not twofactor.has_confirmed_device(request.user):
        return redirect(f"{reverse('accounts:enrol')}?next={_next_url(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify_second_factor(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("token", _(twofactor.ERROR_WRONG_CODE))
    return render(request, "accounts/two_factor.html", {"form": form, "next": _next_url(request)})


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    # Replacing an enrolled authenticator needs the second factor first.
    if twofactor.has_confirmed_device(request.user) and not twofactor.is_verified(request.user):
        return redirect("accounts:two-factor")
    device = twofactor.pending_authenticator(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_authenticator(request.user, form.cleaned_data["token"])
        if codes is not None:
            otp_login(request, twofactor.verify_device_after_enrolment(request.user))
            return render(request, "accounts/backup_codes.html", {"codes": codes})
        form.add_error("token", _(twofactor.ERROR_WRONG_CODE))
    context = {
        "form": form,
        "qr_svg": twofactor.qr_svg(device),
        "manual_key": twofactor.manual_key(device),
        "next": _next_url(request),
    }
    return render(request, "accounts/enrol.html", context)


@require_POST
@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    if not twofactor.is_verified(request.user):
        return redirect("accounts:two-factor")
    codes = twofactor.regenerate_backup_codes(request.user)
    return render(request, "accounts/backup_codes.html", {"codes": codes})
