"""Reads of users, teams, API keys and two-factor sign-in, for the API and the pages."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.accounts.models import ApiKey, Team, User


def user_list() -> QuerySet[User]:
    """Every user with their teams, by email: the Users page and `GET /users`."""
    return User.objects.prefetch_related("teams").order_by("email")


def owners() -> QuerySet[User]:
    """The people a contact can belong to, for filters."""
    return User.objects.filter(is_active=True).order_by("name", "email")


def owner_candidates(keep: int | None = None) -> list[User]:
    """Whom a contact or an account can be given to: the active users, and the one it belongs to
    now even when they are no longer active (so that leaving the choice as it is changes nothing)."""
    users = list(owners())
    if keep is not None and all(user.pk != keep for user in users):
        users += list(User.objects.filter(pk=keep))
    return users


def team_list() -> QuerySet[Team]:
    """Every team with its manager and members, by name."""
    return Team.objects.select_related("manager").prefetch_related("members").order_by("name")


def users_with_two_factor() -> set[int]:
    """The ids of users who sign in with a second step."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))


def apikey_list() -> QuerySet[ApiKey]:
    """Every API key (revoked ones too) with who made it, the newest first: the Users page and
    `GET /api-keys`."""
    return ApiKey.objects.select_related("created_by").order_by("-created_at", "-id")


def browser_key_prefixes() -> frozenset[str]:
    """The prefixes of every browser key (revoked ones too: their events stay what they were)."""
    return frozenset(prefix for prefix, scopes in ApiKey.objects.values_list("prefix", "scopes") if "browser" in scopes)
