"""Reads about the demo workspace: whether the workspace has data, what a load wrote, and the
demo logins."""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.db.models import Count, Max, Model

from accord.accounts.models import Membership, Team, User
from accord.contacts.models import Account, Contact
from accord.core.models import AuditEntry
from accord.deals.models import Deal
from accord.demo.domain import people
from accord.lifecycle.models import Handoff, StageChange
from accord.tracking.models import Event, Identity


@dataclass(frozen=True)
class Login:
    email: str
    name: str
    role: str
    job: str
    teams: str  # the teams the user is in or manages, as one line


def contact_count() -> int:
    return Contact.objects.count()


@dataclass(frozen=True)
class Marks:
    """The highest id of each table a demo load adds rows to (0 when empty), read before it starts."""

    contacts: int
    accounts: int
    stage_changes: int
    events: int
    identities: int
    audit_entries: int
    handoffs: int
    deals: int


_TABLES: dict[str, type[Model]] = {
    "contacts": Contact,
    "accounts": Account,
    "stage_changes": StageChange,
    "events": Event,
    "identities": Identity,
    "audit_entries": AuditEntry,
    "handoffs": Handoff,
    "deals": Deal,
}


@dataclass(frozen=True)
class Written:
    """The rows in the database above the marks: what a load wrote, stage changes by the stage
    rules after its bulk writes included."""

    contacts: int
    accounts: int
    stage_changes: int
    events: int
    identities: int
    audit_entries: int
    handoffs: int
    deals: int
    by_stage: tuple[tuple[str, int], ...]  # the new contacts by the stage they are in, largest first


def marks() -> Marks:
    highest = {name: model._default_manager.aggregate(n=Max("pk"))["n"] or 0 for name, model in _TABLES.items()}
    return Marks(**highest)


def written_since(marks: Marks) -> Written:
    counts = {
        f.name: _TABLES[f.name]._default_manager.filter(pk__gt=getattr(marks, f.name)).count() for f in fields(Marks)
    }
    new = Contact.objects.filter(pk__gt=marks.contacts)
    stages = new.values_list("stage").annotate(n=Count("pk")).order_by("-n", "stage")
    return Written(**counts, by_stage=tuple((stage, n) for stage, n in stages))


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
