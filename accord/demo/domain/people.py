"""Who works in the demo workspace: one user per role, six reps in three sales teams."""

from __future__ import annotations

from dataclasses import dataclass

from accord.accounts.domain import Role, Side

DEMO_DOMAIN = "demo.accord.test"
DEMO_PASSWORD = "accord-demo"  # shared by every demo login; shown by `accord demo`


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    time_zone: str
    job: str  # what the person does, for the table of logins


@dataclass(frozen=True)
class DemoTeam:
    name: str  # as named by the routing rules of the default playbook
    side: Side
    time_zone: str
    manager: str  # a DemoUser's email
    members: tuple[str, ...]  # DemoUsers' emails


def _at(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


ADMIN = _at("admin")
MARKETING = _at("marketing")
SALES_MANAGER = _at("sales.manager")
VIEWER = _at("viewer")

USERS: tuple[DemoUser, ...] = (
    DemoUser(ADMIN, "Priya Natarajan", Role.ADMIN, "America/New_York", "RevOps admin"),
    DemoUser(MARKETING, "Maria Alvarez", Role.MARKETING, "America/New_York", "Marketing manager"),
    DemoUser(SALES_MANAGER, "Sam Whitaker", Role.SALES_MANAGER, "America/New_York", "Sales manager"),
    DemoUser(_at("jordan"), "Jordan Reyes", Role.SALES_REP, "America/New_York", "SDR, Americas"),
    DemoUser(_at("aisha"), "Aisha Thompson", Role.SALES_REP, "America/Chicago", "SDR, Americas"),
    DemoUser(_at("oliver"), "Oliver Bennett", Role.SALES_REP, "Europe/London", "SDR, EMEA"),
    DemoUser(_at("lena"), "Lena Fischer", Role.SALES_REP, "Europe/Berlin", "SDR, EMEA"),
    DemoUser(_at("david"), "David Kim", Role.SALES_REP, "America/New_York", "Account executive"),
    DemoUser(_at("sofia"), "Sofia Marchetti", Role.SALES_REP, "America/Los_Angeles", "Account executive"),
    DemoUser(VIEWER, "Evelyn Carter", Role.VIEWER, "America/New_York", "Executive (read-only)"),
)

TEAMS: tuple[DemoTeam, ...] = (
    DemoTeam("Marketing", Side.MARKETING, "America/New_York", MARKETING, (MARKETING,)),
    DemoTeam("SDR Americas", Side.SALES, "America/New_York", SALES_MANAGER, (_at("jordan"), _at("aisha"))),
    DemoTeam("SDR EMEA", Side.SALES, "Europe/London", SALES_MANAGER, (_at("oliver"), _at("lena"))),
    DemoTeam("Account Executives", Side.SALES, "America/New_York", SALES_MANAGER, (_at("david"), _at("sofia"))),
)

# The sales reps by team, in a fixed order (round-robin walks it).
REPS_BY_TEAM: dict[str, tuple[str, ...]] = {team.name: team.members for team in TEAMS if team.side is Side.SALES}
ACCOUNT_EXECUTIVES = REPS_BY_TEAM["Account Executives"]

# Who is away, in days from today (both included): routing skips them, and when a whole team is
# away its new hand-offs wait in the team's queue for the manager.
AWAY: dict[str, tuple[int, int]] = {
    _at("lena"): (-9, 5),  # two weeks' holiday
    _at("oliver"): (-2, 1),  # at a trade fair
}


def user(email: str) -> DemoUser:
    return next(u for u in USERS if u.email == email)


def team_of(email: str) -> DemoTeam | None:
    return next((t for t in TEAMS if email in t.members), None)
