"""Signing in: the password step (throttled by django-axes), the two-factor step for those who turned
it on, and the page where a person turns two-factor sign-in on or off."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import user_login_failed
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accord.accounts import signin
from accord.accounts.actions import (
    totp_begin,
    totp_confirm,
    totp_enabled,
    totp_pending,
    totp_remove,
    totp_verify,
)
from accord.accounts.models import User
from accord.core import audit, clock
from accord.core.errors import AccordError
from accord.web.views.base import acting, see_other

PENDING = "accord_signin_pending"  # the session key of a password checked, its code still due
SETTING_UP = "accord_totp_setting_up"  # the session key of the authenticator this session is setting up
PENDING_FOR = dt.timedelta(minutes=5)
BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The email or the password is not right.",
    }


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12)


def _ip(request: HttpRequest) -> str:
    return signin.client_address(request) or ""


class SignInView(LoginView):
    """The password step. Axes counts failures and answers for a locked account or address; before
    that, each failure makes the next attempt for the account wait a little longer."""

    template_name = "web/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = signin.attempted_email(request, None)
        wait = signin.wait_before_next(email)
        if wait:
            form = self.get_form()
            form.errors.clear()
            context = self.get_context_data(form=form, wait_message=f"Wait {wait} seconds before trying again.")
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        if getattr(self.request, "axes_locked_out", False):
            return super().form_invalid(form)  # axes answers; the lockout has its own audit row
        email = signin.attempted_email(self.request, None)
        audit.record(
            action="signin_failed", object_type="accounts.signin", object_id=email, actor=None,
            details={"email": email, "ip": _ip(self.request)},
        )  # fmt: skip
        return super().form_invalid(form)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if totp_enabled(user):
            self.request.session[PENDING] = {
                "user": user.pk,
                "at": clock.now().isoformat(),
                "next": self.get_success_url(),
            }
            return see_other("login_code")
        auth_login(self.request, user, backend=BACKEND)
        audit.record(action="signin", obj=user, actor=user, details={"ip": _ip(self.request), "two_factor": False})
        return see_other(self.get_success_url())


def _pending(request: HttpRequest) -> tuple[User | None, str]:
    pending = request.session.get(PENDING) or {}
    try:
        started = dt.datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        return None, ""
    if clock.now() - started > PENDING_FOR:
        request.session.pop(PENDING, None)
        return None, ""
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    target = str(pending.get("next") or "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return user, target


@require_http_methods(["GET", "POST"])
def signin_code(request: HttpRequest) -> HttpResponse:
    """The two-factor step: a current code from the person's authenticator app."""
    user, target = _pending(request)
    if user is None:
        messages.info(request, "Sign in again: the code step lasts five minutes.")
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = totp_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            request.session.pop(PENDING, None)
            auth_login(request, user, backend=BACKEND)
            django_otp.login(request, device)
            audit.record(action="signin", obj=user, actor=user, details={"ip": _ip(request), "two_factor": True})
            return see_other(target)
        # A wrong code counts as a failed sign-in: axes locks the account after enough of them.
        user_login_failed.send(sender=__name__, credentials={"username": user.email}, request=request)
        audit.record(
            action="signin_failed",
            obj=user,
            actor=None,
            details={"email": user.email, "ip": _ip(request), "step": "code"},
        )
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)
            return signin.locked_out(request, None, {"username": user.email})
        form.add_error("code", "That code is not right, or it was used already. Use the newest code in the app.")
    return render(request, "web/login_code.html", {"form": form}, status=200 if request.method == "GET" else 401)


# -- the person's own security page


@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    """Two-factor sign-in for the signed-in person: set up (a QR code and a first code), or turn off.

    Each step that succeeds sends the browser back here (303). The QR code of a set-up begun in this
    session is shown until a code from the app confirms it, so a reload shows the same one."""
    user = acting(request)
    step = request.POST.get("step", "")
    error: AccordError | None = None
    if request.method == "POST":
        try:
            if step == "begin":
                request.session[SETTING_UP] = totp_begin(user=user).pk
                return see_other("security")
            if step == "confirm":
                totp_confirm(user=user, code=request.POST.get("code", ""))
                request.session.pop(SETTING_UP, None)
                messages.success(request, "Two-factor sign-in is on. Each sign-in now asks for a code from the app.")
                return see_other("security")
            if step == "disable":
                totp_remove(user=user, acting_user=user, code=request.POST.get("code", ""))
                messages.success(request, "Two-factor sign-in is off.")
                return see_other("security")
        except AccordError as exc:
            error = exc
    device = totp_pending(user)
    if device is not None and device.pk != request.session.get(SETTING_UP):
        device = None  # begun in another session: that one shows it
    context: dict[str, Any] = {
        "enabled": totp_enabled(user), "error": error, "session_hours": settings.SESSION_COOKIE_AGE // 3600,
    }  # fmt: skip
    if device is not None:
        context.update(
            setting_up=True,
            qr=segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1b2430", light="#ffffff"),
            secret=_grouped(device.config_url),
        )
    response = render(request, "web/security.html", context, status=error.status if error else 200)
    if device is not None:
        response["Cache-Control"] = "no-store"
    return response


def _grouped(config_url: str) -> str:
    """The key from an otpauth:// address, in groups of four, for typing into an app by hand."""
    secret = config_url.split("secret=", 1)[1].split("&", 1)[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
