"""Users, teams and API keys, for users whose role may administer them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accord.accounts import queries, signin
from accord.accounts.actions import (
    apikey_create,
    apikey_revoke,
    signin_unlock,
    team_add_member,
    team_create,
    totp_remove,
    user_create,
    user_set_role,
)
from accord.accounts.domain import Capability
from accord.accounts.models import ApiKey, Team, User
from accord.core.errors import AccordError, InvalidInput
from accord.web.context import ROLE_LABELS
from accord.web.forms import (
    SCOPE_HELP,
    ApiKeyCreateForm,
    RoleForm,
    TeamCreateForm,
    TeamMemberForm,
    UserCreateForm,
    first_error,
)
from accord.web.views.base import acting, capability_required, see_other

PAGE = "web/admin/users.html"
NEW_KEY = "accord_new_key"  # the session key of a key just created, its secret still to be shown once


def _context(**extra: Any) -> dict[str, Any]:
    return {
        "users": queries.user_list(),
        "teams": queries.team_list(),
        "keys": queries.apikey_list(),
        "lockouts": signin.lockouts(),
        "two_factor": queries.users_with_two_factor(),
        "role_choices": [(value, label) for value, label in ROLE_LABELS.items()],
        "scope_help": SCOPE_HELP,
        "user_form": extra.pop("user_form", None) or UserCreateForm(),
        "team_form": extra.pop("team_form", None) or TeamCreateForm(),
        "key_form": extra.pop("key_form", None) or ApiKeyCreateForm(),
        "member_form": TeamMemberForm(),
        **extra,
    }


def _failed(
    request: HttpRequest, where: str, exc: AccordError, *, pk: int | None = None, **forms_kept: Any
) -> HttpResponse:
    """The page again with the error next to the form `where` (of row `pk`), and what was typed kept."""
    failure = {"where": where, "pk": pk, "message": exc.message}
    return render(request, PAGE, _context(failure=failure, **forms_kept), status=exc.status)


def _back() -> HttpResponse:
    """To the top of the page, where the flash message is (a form's #section would be inherited otherwise)."""
    return see_other(f"{reverse('users')}#messages")


def _valid(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise InvalidInput(first_error(form))
    return form.cleaned_data


@require_GET
@capability_required(Capability.USER_ADMIN)
def users_page(request: HttpRequest) -> HttpResponse:
    """The page; just after a key was created, with its secret, this once (and not to be cached)."""
    new = request.session.pop(NEW_KEY, None) or {}
    key = ApiKey.objects.filter(pk=new["key"]).first() if new else None
    if key is None:
        return render(request, PAGE, _context())
    response = render(request, PAGE, _context(new_key=key, secret=new["secret"]))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@capability_required(Capability.USER_ADMIN)
def user_create_view(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST)
    try:
        data = _valid(form)
        user = user_create(
            email=data["email"],
            role=data["role"],
            name=data["name"],
            password=data["password"] or None,
            time_zone=data["time_zone"] or "UTC",
            acting_user=acting(request),
        )
    except AccordError as exc:
        return _failed(request, "user", exc, user_form=form)
    messages.success(request, f"Created {user.email} as {ROLE_LABELS.get(user.role, user.role)}.")
    return _back()


@require_POST
@capability_required(Capability.USER_ADMIN)
def user_role_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    try:
        data = _valid(RoleForm(request.POST))
        user_set_role(user=user, role=data["role"], acting_user=acting(request))
    except AccordError as exc:
        return _failed(request, "role", exc, pk=pk)
    messages.success(request, f"{user.display_name} is now {ROLE_LABELS.get(user.role, user.role)}.")
    return _back()


@require_POST
@capability_required(Capability.USER_ADMIN)
def team_create_view(request: HttpRequest) -> HttpResponse:
    form = TeamCreateForm(request.POST)
    try:
        data = _valid(form)
        team = team_create(
            name=data["name"],
            side=data["side"],
            time_zone=data["time_zone"] or "UTC",
            manager=data["manager"],
            acting_user=acting(request),
        )
    except AccordError as exc:
        return _failed(request, "team", exc, team_form=form)
    messages.success(request, f"Created team {team.name}.")
    return _back()


@require_POST
@capability_required(Capability.USER_ADMIN)
def team_member_view(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    try:
        data = _valid(TeamMemberForm(request.POST))
        team_add_member(team=team, user=data["user"], acting_user=acting(request))
    except AccordError as exc:
        return _failed(request, "member", exc, pk=pk)
    messages.success(request, f"Added {data['user'].display_name} to {team.name}.")
    return _back()


@require_POST
@capability_required(Capability.USER_ADMIN)
def key_create_view(request: HttpRequest) -> HttpResponse:
    """Create a key; the page the browser is sent to shows its secret once. The secret waits in the
    session until then, and is never stored with the key."""
    form = ApiKeyCreateForm(request.POST)
    try:
        data = _valid(form)
        key, secret = apikey_create(
            name=data["name"], scopes=data["scopes"], allowed_origins=data["allowed_origins"],
            rate_per_minute=data["rate_per_minute"], ip_rate_per_minute=data["ip_rate_per_minute"],
            acting_user=acting(request),
        )  # fmt: skip
    except AccordError as exc:
        return _failed(request, "key", exc, key_form=form)
    request.session[NEW_KEY] = {"key": key.pk, "secret": secret}
    return see_other(f"{reverse('users')}#new-key")


@require_POST
@capability_required(Capability.USER_ADMIN)
def key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk)
    try:
        apikey_revoke(key=key, acting_user=acting(request))
    except AccordError as exc:
        return _failed(request, "revoke", exc, pk=pk)
    messages.success(request, f"Revoked the key {key.name} ({key.prefix}…). Calls with it now answer 401.")
    return _back()


@require_POST
@capability_required(Capability.USER_ADMIN)
def signin_unlock_view(request: HttpRequest) -> HttpResponse:
    """Lift a sign-in lockout of an account or an address at once."""
    email, ip = request.POST.get("email", ""), request.POST.get("ip", "")
    try:
        signin_unlock(email=email, ip=ip, acting_user=acting(request))
    except AccordError as exc:
        return _failed(request, "unlock", exc)
    messages.success(request, f"Unlocked sign-ins for {email or ip}.")
    return _back()


@require_POST
@capability_required(Capability.USER_ADMIN)
def user_totp_reset_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn a user's two-factor sign-in off (a lost phone); they can set it up again."""
    user = get_object_or_404(User, pk=pk)
    try:
        totp_remove(user=user, acting_user=acting(request))
    except AccordError as exc:
        return _failed(request, "totp", exc, pk=pk)
    messages.success(request, f"Two-factor sign-in is off for {user.display_name}.")
    return _back()
