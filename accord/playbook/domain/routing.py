"""The playbook's `routing` section, typed: who gets a new MQL, by which method, with what limits.

Pure data read from a validated document (`document.validate` checks the section and names the
path of each problem); `lifecycle.routing` applies it. The people and teams named here are
checked against the workspace when a draft is saved (`playbook.actions`), since a document alone
cannot know them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Method(enum.StrEnum):
    ACCOUNT_OWNER = "account_owner"  # the account's owner; the team's round robin when they are unavailable
    ROUND_ROBIN = "round_robin"  # the member with the fewest assignments this period, then the longest waiting
    WEIGHTED = "weighted"  # as round robin, with each member's count divided by their weight
    LOAD_BALANCE = "load_balance"  # the member with the fewest open hand-offs
    OWNER = "owner"  # one named person; the team's round robin when they are unavailable


# Earlier names of methods, still read: `least_loaded` is the load balance.
METHOD_ALIASES = {"least_loaded": Method.LOAD_BALANCE}
METHOD_LABELS: dict[Method, str] = {
    Method.ACCOUNT_OWNER: "Account owner",
    Method.ROUND_ROBIN: "Round robin",
    Method.WEIGHTED: "Weighted",
    Method.LOAD_BALANCE: "Load balance",
    Method.OWNER: "Named owner",
}
DEFAULT_WEIGHT = 100
DEFAULT_PERIOD = "month"
# The hand-off's priority by the contact's quadrant when the playbook does not say.
DEFAULT_PRIORITY: Mapping[str, str] = {"ready": "high", "nurture": "normal", "check_fit": "normal", "low": "low"}
QUADRANTS = tuple(DEFAULT_PRIORITY)


def method_of(value: str) -> Method:
    return METHOD_ALIASES.get(value) or Method(value)


@dataclass(frozen=True)
class Capacity:
    """How much one rep takes: new hand-offs a day, and open hand-offs at once (None: no limit)."""

    daily: int | None = None
    open: int | None = None


@dataclass(frozen=True)
class Rule:
    """One routing rule (or the default, whose `when` is None)."""

    key: str
    label: str
    when: Mapping[str, Any] | None
    team: str
    method: Method
    owner: str | None  # an email, for the `owner` method
    weights: Mapping[str, int]  # email -> weight, for the `weighted` method (others weigh DEFAULT_WEIGHT)
    working_hours: bool  # skip reps outside their team's working hours


@dataclass(frozen=True)
class Routing:
    rules: tuple[Rule, ...]
    default: Rule
    period: str  # what "this period" is for round-robin counts: day, week, month or quarter
    priority: Mapping[str, str]  # quadrant -> high / normal / low
    capacity: Capacity  # every rep's, unless `reps` names them
    reps: Mapping[str, Capacity]  # email -> their own capacity

    def capacity_of(self, email: str) -> Capacity:
        own = self.reps.get(email)
        if own is None:
            return self.capacity
        return Capacity(
            daily=own.daily if own.daily is not None else self.capacity.daily,
            open=own.open if own.open is not None else self.capacity.open,
        )

    def priority_of(self, quadrant: str | None) -> str:
        return self.priority.get(quadrant or "low", "normal")

    def teams(self) -> set[str]:
        return {rule.team for rule in (*self.rules, self.default)}

    def people(self) -> dict[str, str]:
        """Every email the section names, with the path naming it first."""
        named: dict[str, str] = {}
        for index, rule in enumerate((*self.rules, self.default)):
            path = "routing.default" if rule is self.default else f"routing.rules[{index}]"
            if rule.owner:
                named.setdefault(rule.owner, f"{path}.owner")
            for email in rule.weights:
                named.setdefault(email, f"{path}.weights.{email}")
        for email in self.reps:
            named.setdefault(email, f"routing.capacity.reps.{email}")
        return named


NO_ROUTING = Routing(
    rules=(),
    default=Rule("default", "Default", None, "", Method.ROUND_ROBIN, None, {}, False),
    period=DEFAULT_PERIOD,
    priority=DEFAULT_PRIORITY,
    capacity=Capacity(),
    reps={},
)


def routing_of(data: Mapping[str, Any] | None) -> Routing:
    """The typed section of a validated document (NO_ROUTING when it has none)."""
    if not data:
        return NO_ROUTING
    rules = tuple(_rule(item, item.get("when")) for item in data.get("rules", []))
    default = _rule({"key": "default", "label": "Default", **data["default"]}, None)
    capacity = data.get("capacity") or {}
    return Routing(
        rules=rules,
        default=default,
        period=str(data.get("period", DEFAULT_PERIOD)),
        priority={**DEFAULT_PRIORITY, **(data.get("priority") or {})},
        capacity=Capacity(daily=capacity.get("daily"), open=capacity.get("open")),
        reps={
            email.lower(): Capacity(daily=own.get("daily"), open=own.get("open"))
            for email, own in (capacity.get("reps") or {}).items()
        },
    )


def _rule(item: Mapping[str, Any], when: Mapping[str, Any] | None) -> Rule:
    owner = item.get("owner")
    return Rule(
        key=str(item["key"]),
        label=str(item.get("label") or item["key"]),
        when=when,
        team=str(item["team"]),
        method=method_of(str(item.get("method", Method.ROUND_ROBIN))),
        owner=owner.lower() if isinstance(owner, str) else None,
        weights={email.lower(): int(weight) for email, weight in (item.get("weights") or {}).items()},
        working_hours=bool(item.get("working_hours", False)),
    )
