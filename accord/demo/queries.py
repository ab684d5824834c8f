"""Reads about the demo workspace: whether the workspace has data, and the demo logins."""

from __future__ import annotations

from dataclasses import dataclass

from accord.accounts.models import Membership, Team, User
from accord.contacts.models import Contact
from accord.demo.domain import people


@dataclass(frozen=True)
class Login:
    email: str
    name: str
    role: str
    job: str
    teams: str  # the teams the user is in or manages, as one line


def contact_count() -> int:
    return Contact.objects.count()


def demo_logins() -> list[Login]:
    """The demo users that exist, in the order of the cast, with their teams."""
    users = {u.email: u for u in User.objects.filter(email__in=[d.email for d in people.USERS], is_active=True)}
    member_of: dict[int, list[str]] = {}
    for user_id, team in Membership.objects.filter(user__in=users.values()).values_list("user_id", "team__name"):
        member_of.setdefault(user_id, []).append(team)
    manages: dict[int, list[str]] = {}
    for manager_id, team in Team.objects.filter(manager__in=users.values()).values_list("manager_id", "name"):
        if manager_id is not None and team not in member_of.get(manager_id, []):
            manages.setdefault(manager_id, []).append(team)
    logins = []
    for demo in people.USERS:
        user = users.get(demo.email)
        if user is None:
            continue
        teams = sorted(member_of.get(user.pk, []))
        if user.pk in manages:
            teams.append(f"manages {', '.join(sorted(manages[user.pk]))}")
        logins.append(Login(email=demo.email, name=user.name, role=user.role, job=demo.job, teams=", ".join(teams)))
    return logins
