"""Roles, what each may do, and API key scopes. Pure rules: no Django."""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Role(enum.StrEnum):
    ADMIN = "admin"  # RevOps admin: the playbook, users, API keys, imports; may do everything
    MARKETING = "marketing"  # marketing manager: marketing-owned stages, signs for marketing
    SALES_REP = "sales_rep"  # SDR / AE: works hand-offs and sales-owned stages
    SALES_MANAGER = "sales_manager"  # leads the reps, signs for sales
    VIEWER = "viewer"  # executive or guest: reads everything, writes nothing


class Side(enum.StrEnum):
    MARKETING = "marketing"  # the marketing team's side of the agreement
    SALES = "sales"  # the sales team's side of the agreement


class Capability(enum.StrEnum):
    CONTACT_WRITE = "contact_write"  # create and edit contacts and accounts
    CONTACT_MERGE = "contact_merge"  # merge two contacts into one
    CONTACT_EXPORT = "contact_export"  # download contacts and accounts as CSV files (every row a filter matches)
    CONTACT_IMPORT = "contact_import"  # bring contacts, accounts and events in from files
    STAGE_CHANGE = "stage_change"  # move a contact between stages (the stage decides which side)
    PLAYBOOK_DRAFT = "playbook_draft"  # create and edit draft playbook versions
    PLAYBOOK_SIGN = "playbook_sign"  # sign a draft for one's side
    PLAYBOOK_ACTIVATE = "playbook_activate"  # make a signed version the active one
    USER_ADMIN = "user_admin"  # users, teams and API keys
    PERSONAL_DATA = "personal_data"  # export or erase everything Accord holds about one person
    AUDIT_READ = "audit_read"  # read the audit log: who changed what, when
    HANDOFF_WORK = "handoff_work"  # accept, reject, recycle hand-offs and log touches (one's own)
    HANDOFF_MANAGE = "handoff_manage"  # work anyone's hand-offs, reassign them, set reps away
    DEAL_WRITE = "deal_write"  # create deals, win and lose them


# What each capability lets a person do, in words for messages: "Only sales managers can …".
DESCRIPTIONS: dict[Capability, str] = {
    Capability.CONTACT_WRITE: "create or edit contacts and accounts",
    Capability.CONTACT_MERGE: "merge two contacts into one",
    Capability.CONTACT_EXPORT: "download contacts and accounts as CSV files",
    Capability.CONTACT_IMPORT: "import contacts, accounts and events from files",
    Capability.STAGE_CHANGE: "move contacts between stages",
    Capability.PLAYBOOK_DRAFT: "start or edit a draft of the playbook",
    Capability.PLAYBOOK_SIGN: "sign a draft of the playbook, each for their side",
    Capability.PLAYBOOK_ACTIVATE: "put a signed version of the playbook in force",
    Capability.USER_ADMIN: "manage users, teams and API keys",
    Capability.PERSONAL_DATA: "export or erase everything Accord holds about a person",
    Capability.AUDIT_READ: "read the audit log",
    Capability.HANDOFF_WORK: "work hand-offs",
    Capability.HANDOFF_MANAGE: "reassign hand-offs and work other reps' hand-offs",
    Capability.DEAL_WRITE: "create, win or lose deals",
}

# Each role as a person names a group of its users, for messages.
ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: "RevOps admins",
    Role.MARKETING: "marketing managers",
    Role.SALES_REP: "sales reps",
    Role.SALES_MANAGER: "sales managers",
    Role.VIEWER: "viewers",
}

_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.MARKETING: frozenset(
        {
            Capability.CONTACT_WRITE,
            Capability.CONTACT_MERGE,
            Capability.CONTACT_EXPORT,
            Capability.CONTACT_IMPORT,
            Capability.STAGE_CHANGE,
            Capability.PLAYBOOK_DRAFT,
            Capability.PLAYBOOK_SIGN,
        }
    ),
    Role.SALES_MANAGER: frozenset(
        {
            Capability.CONTACT_WRITE,
            Capability.CONTACT_MERGE,
            Capability.CONTACT_EXPORT,
            Capability.STAGE_CHANGE,
            Capability.PLAYBOOK_DRAFT,
            Capability.PLAYBOOK_SIGN,
            Capability.HANDOFF_WORK,
            Capability.HANDOFF_MANAGE,
            Capability.DEAL_WRITE,
        }
    ),
    Role.SALES_REP: frozenset(
        {Capability.CONTACT_WRITE, Capability.STAGE_CHANGE, Capability.HANDOFF_WORK, Capability.DEAL_WRITE}
    ),
    Role.VIEWER: frozenset(),
}

_SIDES: dict[Role, frozenset[Side]] = {
    Role.ADMIN: frozenset(Side),
    Role.MARKETING: frozenset({Side.MARKETING}),
    Role.SALES_MANAGER: frozenset({Side.SALES}),
    Role.SALES_REP: frozenset({Side.SALES}),
    Role.VIEWER: frozenset(),
}

# Who may sign a playbook version on behalf of a side. The admin prepares, the two leads sign.
_SIGNS_FOR: dict[Role, Side] = {Role.MARKETING: Side.MARKETING, Role.SALES_MANAGER: Side.SALES}


def can(role: Role | str, capability: Capability) -> bool:
    return capability in _CAPABILITIES[Role(role)]


def acts_for(role: Role | str) -> frozenset[Side]:
    """The sides of the funnel whose stages a role may move contacts into or out of."""
    return _SIDES[Role(role)]


def signs_for(role: Role | str) -> Side | None:
    return _SIGNS_FOR.get(Role(role))


def holders(capability: Capability) -> list[Role]:
    """The roles that may do `capability`, in the order of `Role`. Signing also takes a side to sign
    for, which an admin (who holds every capability) does not have."""
    return [
        role
        for role in Role
        if can(role, capability) and (capability is not Capability.PLAYBOOK_SIGN or signs_for(role) is not None)
    ]


def refusal(capability: Capability) -> str:
    """What someone whose role lacks `capability` is told: who may, read from the table above.

    >>> refusal(Capability.USER_ADMIN)
    'Only RevOps admins can manage users, teams and API keys.'
    """
    names = [ROLE_NAMES[role] for role in holders(capability)]
    if not names:
        return f"No role can {DESCRIPTIONS[capability]}."
    who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"Only {who} can {DESCRIPTIONS[capability]}."


class Scope(enum.StrEnum):
    READ = "read"  # read contacts, accounts, the playbook and history
    WRITE = "write"  # create and change contacts, move stages (implies nothing else)
    BROWSER = "browser"  # public tracking key for web pages and client SDKs: adds events, never rewrites
    SERVER = "server"  # secret tracking key for back ends and integrations: the sender's word counts
    ADMIN = "admin"  # playbook versions, users and keys


# Former names of scopes, still accepted when a key is created: `track` keys are server keys.
SCOPE_ALIASES = {"track": Scope.SERVER}
TRACKING_SCOPES = frozenset({Scope.BROWSER, Scope.SERVER})
_SCOPE_NAMES = ", ".join(s.value for s in Scope)


def parse_scopes(raw: str | list[str]) -> list[Scope]:
    """Parse 'read,write' or a list into scopes, refusing unknown ones with their name.

    A browser key is published in web pages: it holds the browser scope and nothing else.
    """
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    names = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    if not names:
        raise ValueError(f"at least one scope is required ({_SCOPE_NAMES})")
    scopes: list[Scope] = []
    for name in names:
        try:
            scope = SCOPE_ALIASES.get(name) or Scope(name)
        except ValueError:
            raise ValueError(f"unknown scope {name[:40]!r}; choose from {_SCOPE_NAMES}") from None
        if scope not in scopes:
            scopes.append(scope)
    if Scope.BROWSER in scopes and len(scopes) > 1:
        raise ValueError("a browser key is public (it sits in web pages): it holds the browser scope and no other")
    return scopes


def origin_allowed(origin: str, allowed: list[str]) -> bool:
    """Whether a request's Origin header is one a browser key accepts.

    No list means any origin. An entry is an origin (`https://www.example.com`) or a wildcard for
    its subdomains (`https://*.example.com`, which does not match `https://example.com` itself).
    A request without an Origin header (a server or an app, not a browser) is not checked here:
    the header only keeps other web sites' pages from sending with the key.
    """
    if not allowed or not origin:
        return True
    origin = origin.strip().lower().rstrip("/")
    for entry in allowed:
        if entry == origin:
            return True
        scheme, sep, host = entry.partition("://*.")
        if sep and origin.startswith(f"{scheme}://") and origin.endswith(f".{host}"):
            return True
    return False


def normalize_origin(raw: str) -> str:
    """'https://www.Example.com/' -> 'https://www.example.com'; ValueError naming what is wrong."""
    text = raw.strip().lower().rstrip("/")
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in ("http", "https") or not rest or "/" in rest or "?" in rest or "#" in rest:
        raise ValueError(f"{raw[:100]!r} is not an origin such as https://www.example.com or https://*.example.com")
    host = rest.removeprefix("*.")
    name, _, port = host.partition(":")
    if not name or "*" in name or (port and not port.isdigit()):
        raise ValueError(f"{raw[:100]!r} is not an origin such as https://www.example.com or https://*.example.com")
    return text


# --- a team's working hours ---------------------------------------------------------------------

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Weekday (0 = Monday) -> the day's open spans in minutes after midnight, in the team's time zone.
WeeklyHours = dict[int, tuple[tuple[int, int], ...]]
DEFAULT_HOURS: dict[str, list[list[str]]] = {day: [["09:00", "17:00"]] for day in DAYS[:5]}


def parse_hours(data: object) -> WeeklyHours:
    """{"mon": [["09:00", "17:00"]], …} -> WeeklyHours; ValueError naming the day and span.

    Spans are "HH:MM" to "HH:MM" (24:00 ends a day), start before end, not overlapping; days not
    named are closed."""
    if not isinstance(data, dict):
        raise ValueError("hours: must be a mapping of days (mon … sun) to spans such as [['09:00', '17:00']]")
    hours: WeeklyHours = {}
    for day, spans in data.items():
        if day not in DAYS:
            raise ValueError(f"hours.{str(day)[:20]}: unknown day; use {', '.join(DAYS)}")
        if not isinstance(spans, list):
            raise ValueError(f"hours.{day}: must be a list of [start, end] spans")
        parsed: list[tuple[int, int]] = []
        for index, span in enumerate(spans):
            path = f"hours.{day}[{index}]"
            if not isinstance(span, (list, tuple)) or len(span) != 2:
                raise ValueError(f"{path}: must be [start, end], such as ['09:00', '17:00']")
            start, end = _minutes(span[0], path), _minutes(span[1], path)
            if start >= end:
                raise ValueError(f"{path}: starts at or after it ends")
            parsed.append((start, end))
        parsed.sort()
        for (_, end), (start, _) in itertools.pairwise(parsed):
            if start < end:
                raise ValueError(f"hours.{day}: spans overlap")
        hours[DAYS.index(day)] = tuple(parsed)
    return hours


def _minutes(value: object, path: str) -> int:
    if (
        isinstance(value, str)
        and len(value) == 5
        and value[2] == ":"
        and value.isascii()  # str.isdigit also holds for '²' and '٣', which int() refuses or reads
        and value[:2].isdigit()
        and value[3:].isdigit()
    ):
        h, m = int(value[:2]), int(value[3:])
        if (h < 24 and m < 60) or (h == 24 and m == 0):
            return h * 60 + m
    raise ValueError(f"{path}: {str(value)[:20]!r} is not a time such as 09:00")


def zone_or_utc(time_zone: str) -> dt.tzinfo:
    """The named time zone, or UTC when the name is unknown."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def within_hours(hours: WeeklyHours, time_zone: str, at: dt.datetime) -> bool:
    """Whether `at` falls in the open hours, read in `time_zone` (UTC when unknown)."""
    local = at.astimezone(zone_or_utc(time_zone))
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in hours.get(local.weekday(), ()))
