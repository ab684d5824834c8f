"""The playbook as a document: its YAML shape, validation with paths, and typed access.

`parse(text)` and `validate(data)` return a `Playbook` or raise `PlaybookInvalid`, whose
errors each name the path and the problem: ``stages[3].entry.all[0]: unknown field 'scor'``.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import yaml

from accord.playbook.domain import conditions, routing
from accord.playbook.domain.sla import OnReassign, SlaTerms, sla_of
from accord.playbook.domain.vocabulary import EVENT, PROFILE, QUALIFICATION

FORMAT = "accord.playbook/1"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
GRADES = ("A", "B", "C", "D")
PRIORITIES = ("high", "normal", "low")
PERIODS = ("day", "week", "month", "quarter")
ROUTING_METHODS = tuple(m.value for m in routing.Method)
REASON_LISTS = ("reject", "recycle", "disqualify", "loss")
REJECT_OUTCOMES = ("recycle", "disqualify")  # where a rejected hand-off sends the contact
EVENT_KINDS = ("page", "screen", "identify", "group")  # interest rule events that name a message type
_EVENT_WORDS = {*EVENT_KINDS, "track", "alias", "pageview", "page view", "page_view"}


class Owner(enum.StrEnum):
    MARKETING = "marketing"  # the marketing team works contacts in this stage
    SALES = "sales"  # the sales team works contacts in this stage
    NONE = "none"  # nobody works them (disqualified)


class StageKind(enum.StrEnum):
    FUNNEL = "funnel"  # a step of the funnel, in order from first touch to customer
    RECYCLE = "recycle"  # handed back to marketing to nurture until a re-engage date
    DISQUALIFY = "disqualify"  # out of the funnel: bad fit or spam


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    definition: str
    owner: Owner
    kind: StageKind
    handed_to: Owner | None
    entry: Mapping[str, Any] | None
    position: int  # the index among funnel stages; -1 for recycle / disqualify stages


@dataclass(frozen=True)
class Reason:
    key: str
    label: str
    note_required: bool
    outcome: str | None = None  # reject reasons: where the contact goes, "recycle" or "disqualify"


@dataclass(frozen=True)
class Playbook:
    """A validated playbook document. `data` is the normalised mapping it was built from."""

    data: Mapping[str, Any]
    stages: tuple[Stage, ...]
    reasons: Mapping[str, tuple[Reason, ...]]

    @property
    def name(self) -> str:
        return str(self.data["name"])

    def stage(self, key: str) -> Stage | None:
        for stage in self.stages:
            if stage.key == key:
                return stage
        return None

    @property
    def funnel(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.kind is StageKind.FUNNEL)

    @property
    def mql_stage(self) -> Stage | None:
        """The stage the MQL rule moves contacts into, when the playbook has an MQL rule."""
        mql = self.data.get("mql")
        return self.stage(mql["stage"]) if mql else None

    def entry_condition(self, stage: Stage) -> Mapping[str, Any] | None:
        """What must hold to enter `stage`: its own criteria, else the MQL rule for the MQL stage."""
        if stage.entry is not None:
            return stage.entry
        mql = self.data.get("mql")
        if mql and mql["stage"] == stage.key:
            return mql["when"]
        return None

    @property
    def requalifies_recycled(self) -> bool:
        return bool(self.data.get("mql", {}).get("requalify_recycled", False))

    def stage_of_kind(self, kind: StageKind) -> Stage | None:
        return next((s for s in self.stages if s.kind is kind), None)

    def reason(self, list_name: str, key: str) -> Reason | None:
        return next((r for r in self.reasons.get(list_name, ()) if r.key == key), None)

    @cached_property
    def routing(self) -> routing.Routing:
        return routing.routing_of(self.data.get("routing"))

    @cached_property
    def sla(self) -> SlaTerms:
        return sla_of(self.data.get("sla"))

    def reject_outcome(self, reason: Reason) -> Stage | None:
        """The stage a hand-off rejected for `reason` sends the contact to: the recycle stage
        unless the reason says disqualify (None: the playbook has no such stage)."""
        kind = StageKind.DISQUALIFY if reason.outcome == "disqualify" else StageKind.RECYCLE
        return self.stage_of_kind(kind)

    def to_yaml(self) -> str:
        return dump(self.data)

    @property
    def digest(self) -> str:
        """A fingerprint of the content: equal documents, equal digests."""
        return digest(self.data)


class PlaybookInvalid(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"{path}: {message}" for path, message in errors))


def parse(text: str) -> Playbook:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlaybookInvalid([(where, f"not valid YAML: {problem}")]) from None
    return validate(data)


def digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)


# --------------------------------------------------------------------------- validation


class _Checker:
    """Walks a document, collecting (path, message) errors and building normalised data."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def mapping(self, value: Any, path: str, *, required: set[str], optional: set[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.error(path or "(document)", f"must be a mapping, not {conditions._kind(value)}")
            return None
        for key in value:
            if key not in required and key not in optional:
                allowed = ", ".join(sorted(required | optional))
                self.error(_join(path, str(key)), f"unknown field {key!r}; expected one of: {allowed}")
        for key in sorted(required):
            if key not in value:
                self.error(path or "(document)", f"missing field {key!r}")
        return value

    def text(self, value: Any, path: str, *, required: bool = True, max_length: int = 5000) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(path, f"must be non-empty text, not {conditions._kind(value)}")
            return ""
        if len(value) > max_length:
            self.error(path, f"must be at most {max_length} characters")
        return value.strip()

    def key(self, value: Any, path: str, seen: set[str]) -> str:
        if not isinstance(value, str) or not KEY_PATTERN.match(value):
            self.error(path, "must be a key: lower-case letters, digits and _, starting with a letter")
            return ""
        if value in seen:
            self.error(path, f"duplicate key {value!r}")
        seen.add(value)
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...] | type[enum.StrEnum]) -> str:
        options = tuple(choices) if isinstance(choices, tuple) else tuple(c.value for c in choices)
        if value not in options:
            self.error(path, f"must be one of {', '.join(options)}, not {conditions._kind(value)}")
            return options[0]
        return str(value)

    def number(
        self,
        value: Any,
        path: str,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        integer: bool = False,
        exclusive_minimum: bool = False,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            self.error(path, f"must be {'a whole number' if integer else 'a number'}, not {conditions._kind(value)}")
            return 0
        if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
            self.error(path, f"must be {'greater than' if exclusive_minimum else 'at least'} {_shown(minimum)}")
        if maximum is not None and value > maximum:
            self.error(path, f"must be at most {_shown(maximum)}")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.error(path, f"must be true or false, not {conditions._kind(value)}")
            return False
        return value

    def condition(self, value: Any, path: str, vocabulary: conditions.Vocabulary) -> None:
        self.errors.extend(conditions.validate(value, vocabulary, path))

    def items(self, value: Any, path: str, *, non_empty: bool = False) -> list[tuple[str, Any]]:
        if not isinstance(value, list):
            self.error(path, f"must be a list, not {conditions._kind(value)}")
            return []
        if non_empty and not value:
            self.error(path, "must not be empty")
        return [(f"{path}[{index}]", item) for index, item in enumerate(value)]


def _shown(number: float) -> str:
    """A limit as a person writes it: 1000000, 0.5."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def validate(data: Any) -> Playbook:
    c = _Checker()
    top = c.mapping(
        data,
        "",
        required={"format", "name", "stages", "reasons"},
        optional={"description", "personas", "fit", "interest", "quadrants", "mql", "sla", "routing"},
    )
    if top is None:
        raise PlaybookInvalid(c.errors)
    if "format" in top and top["format"] != FORMAT:
        c.error("format", f"must be {FORMAT!r}, not {conditions._kind(top['format'])}")
    if "name" in top:
        c.text(top["name"], "name", max_length=200)
    if "description" in top:
        c.text(top["description"], "description", required=False)

    stages = _stages(c, top["stages"]) if "stages" in top else []
    reasons = _reasons(c, top["reasons"], stages) if "reasons" in top else {}
    if "fit" in top:
        _fit(c, top["fit"])
    funnel_keys = {s.key for s in stages if s.kind is StageKind.FUNNEL}
    for section, check in _SECTIONS.items():
        if section in top:
            check(c, top[section], funnel_keys)
    _reachable(c, top)
    if c.errors:
        raise PlaybookInvalid(c.errors)
    return Playbook(data=dict(top), stages=tuple(stages), reasons=reasons)


def _reachable(c: _Checker, top: Mapping[str, Any]) -> None:
    """High interest must be a score the interest rules can reach."""
    interest, quadrants = top.get("interest"), top.get("quadrants")
    if not isinstance(interest, Mapping) or not isinstance(quadrants, Mapping):
        return
    ceiling: Any = interest.get("max_points")
    high: Any = quadrants.get("high_interest")
    if conditions._is_number(ceiling) and conditions._is_number(high) and high > ceiling:
        c.error(
            "quadrants.high_interest",
            f"must be at most interest.max_points ({ceiling:g}): no contact could ever reach {high:g}",
        )


def _stages(c: _Checker, value: Any) -> list[Stage]:
    stages: list[Stage] = []
    seen: set[str] = set()
    kinds_seen: dict[StageKind, str] = {}
    position = 0
    for path, item in c.items(value, "stages", non_empty=True):
        m = c.mapping(
            item,
            path,
            required={"key", "name", "definition", "owner"},
            optional={"kind", "handed_to", "entry"},
        )
        if m is None:
            continue
        key = c.key(m.get("key"), f"{path}.key", seen)
        name = c.text(m.get("name"), f"{path}.name", max_length=60)
        definition = c.text(m.get("definition"), f"{path}.definition")
        owner = Owner(c.choice(m.get("owner"), f"{path}.owner", Owner))
        kind = StageKind(c.choice(m.get("kind", "funnel"), f"{path}.kind", StageKind))
        handed_to = None
        if "handed_to" in m:
            handed_to = Owner(c.choice(m["handed_to"], f"{path}.handed_to", ("marketing", "sales")))
        entry = m.get("entry")
        if entry is not None:
            c.condition(entry, f"{path}.entry", QUALIFICATION)
        if kind is not StageKind.FUNNEL:
            if kind in kinds_seen:
                c.error(f"{path}.kind", f"only one stage may be of kind {kind.value!r} ({kinds_seen[kind]} is)")
            kinds_seen[kind] = key
        stages.append(
            Stage(
                key=key,
                name=name,
                definition=definition,
                owner=owner,
                kind=kind,
                handed_to=handed_to,
                entry=entry,
                position=position if kind is StageKind.FUNNEL else -1,
            )
        )
        if kind is StageKind.FUNNEL:
            position += 1
    if isinstance(value, list) and value and position == 0:
        c.error("stages", "at least one stage must be of kind 'funnel'")
    return stages


def _reasons(c: _Checker, value: Any, stages: list[Stage]) -> dict[str, tuple[Reason, ...]]:
    m = c.mapping(value, "reasons", required={"reject"}, optional={"recycle", "disqualify", "loss"})
    result: dict[str, tuple[Reason, ...]] = {}
    if m is None:
        return result
    needed = {
        {StageKind.RECYCLE: "recycle", StageKind.DISQUALIFY: "disqualify"}[s.kind]
        for s in stages
        if s.kind is not StageKind.FUNNEL
    }
    for list_name in REASON_LISTS:
        if list_name not in m:
            if list_name in needed and list_name != "reject":
                c.error("reasons", f"missing field {list_name!r}: a {list_name} stage needs its reasons")
            continue
        seen: set[str] = set()
        reasons = []
        path = f"reasons.{list_name}"
        for item_path, item in c.items(m[list_name], path, non_empty=list_name in needed | {"reject"}):
            optional = {"note_required", "outcome"} if list_name == "reject" else {"note_required"}
            r = c.mapping(item, item_path, required={"key", "label"}, optional=optional)
            if r is None:
                continue
            reasons.append(
                Reason(
                    key=c.key(r.get("key"), f"{item_path}.key", seen),
                    label=c.text(r.get("label"), f"{item_path}.label", max_length=120),
                    note_required=c.boolean(r["note_required"], f"{item_path}.note_required")
                    if "note_required" in r
                    else False,
                    outcome=c.choice(r["outcome"], f"{item_path}.outcome", REJECT_OUTCOMES) if "outcome" in r else None,
                )
            )
        result[list_name] = tuple(reasons)
    return result


def _fit(c: _Checker, value: Any) -> None:
    m = c.mapping(value, "fit", required={"grades"}, optional={"rules"})
    if m is None:
        return
    seen: set[str] = set()
    for path, item in c.items(m.get("rules", []), "fit.rules"):
        r = c.mapping(item, path, required={"key", "when", "points"}, optional={"label"})
        if r is None:
            continue
        c.key(r.get("key"), f"{path}.key", seen)
        if "label" in r:
            c.text(r["label"], f"{path}.label", max_length=120)
        if "when" in r:
            c.condition(r["when"], f"{path}.when", PROFILE)
        if "points" in r:
            c.number(r["points"], f"{path}.points", minimum=-1000, maximum=1000, integer=True)
    grades = c.mapping(m.get("grades", {}), "fit.grades", required={"A", "B", "C"}, optional=set())
    if grades is not None and all(g in grades for g in ("A", "B", "C")):
        values = [c.number(grades[g], f"fit.grades.{g}", minimum=0) for g in ("A", "B", "C")]
        for (higher, low), (lower, high) in zip(
            zip("AB", values[:2], strict=True), zip("BC", values[1:], strict=True), strict=True
        ):
            if not low > high:
                c.error(
                    f"fit.grades.{lower}",
                    f"grade thresholds must fall from A to C: {lower} ({high:g}) must be below {higher} ({low:g})",
                )


def _interest(c: _Checker, value: Any, _funnel_keys: set[str]) -> None:
    m = c.mapping(
        value,
        "interest",
        required={"rules"},
        optional={"half_life_days", "expire_after_days", "max_points", "heating_up"},
    )
    if m is None:
        return
    if "half_life_days" in m and "expire_after_days" in m:
        c.error("interest", "choose half_life_days or expire_after_days, not both")
    if "half_life_days" in m:
        c.number(m["half_life_days"], "interest.half_life_days", minimum=0, exclusive_minimum=True, maximum=3650)
    if "expire_after_days" in m:
        c.number(m["expire_after_days"], "interest.expire_after_days", minimum=1, maximum=3650, integer=True)
    if "max_points" in m:
        c.number(m["max_points"], "interest.max_points", minimum=1, integer=True)
    if "heating_up" in m:
        h = c.mapping(m["heating_up"], "interest.heating_up", required={"points"}, optional=set())
        if h is not None and "points" in h:
            c.number(h["points"], "interest.heating_up.points", minimum=0, exclusive_minimum=True)
    seen: set[str] = set()
    for path, item in c.items(m.get("rules", []), "interest.rules"):
        r = c.mapping(item, path, required={"key", "event", "points"}, optional={"label", "when", "max_per_day"})
        if r is None:
            continue
        c.key(r.get("key"), f"{path}.key", seen)
        if "label" in r:
            c.text(r["label"], f"{path}.label", max_length=120)
        if "event" in r:
            event = c.text(r["event"], f"{path}.event", max_length=200)
            if event.casefold() in _EVENT_WORDS and event not in EVENT_KINDS:
                c.error(
                    f"{path}.event",
                    f"unknown event {event!r}: name an event type ({', '.join(EVENT_KINDS)}) in lower case, "
                    "or a track event by its name, such as 'Demo Requested'",
                )
        points = (
            c.number(r["points"], f"{path}.points", minimum=-1000, maximum=1000, integer=True) if "points" in r else 0
        )
        if "points" in r and points == 0:
            c.error(f"{path}.points", "must not be 0: a rule that earns nothing changes no score")
        if "when" in r:
            c.condition(r["when"], f"{path}.when", EVENT)
        if "max_per_day" in r:
            cap = c.number(r["max_per_day"], f"{path}.max_per_day", minimum=1, integer=True)
            if cap and points and cap < abs(points):
                c.error(
                    f"{path}.max_per_day",
                    f"must be at least the rule's points ({abs(points):g}): with {cap:g} no event counts in full",
                )


def _quadrants(c: _Checker, value: Any, _funnel_keys: set[str]) -> None:
    m = c.mapping(value, "quadrants", required={"good_fit", "high_interest"}, optional=set())
    if m is None:
        return
    for path, grade in c.items(m.get("good_fit", []), "quadrants.good_fit", non_empty=True):
        c.choice(grade, path, GRADES)
    if "high_interest" in m:
        c.number(m["high_interest"], "quadrants.high_interest", minimum=0)


def _mql(c: _Checker, value: Any, funnel_keys: set[str]) -> None:
    m = c.mapping(value, "mql", required={"stage", "when"}, optional={"requalify_recycled"})
    if m is None:
        return
    if "stage" in m and m["stage"] not in funnel_keys:
        c.error(
            "mql.stage",
            f"must name a funnel stage ({', '.join(sorted(funnel_keys))}), not {conditions._kind(m['stage'])}",
        )
    if "when" in m:
        c.condition(m["when"], "mql.when", QUALIFICATION)
    if "requalify_recycled" in m:
        c.boolean(m["requalify_recycled"], "mql.requalify_recycled")


def _sla(c: _Checker, value: Any, _funnel_keys: set[str]) -> None:
    m = c.mapping(value, "sla", required={"marketing", "sales"}, optional=set())
    if m is None:
        return
    mk = c.mapping(
        m.get("marketing", {}), "sla.marketing", required={"mqls", "period"}, optional={"min_acceptance_rate"}
    )
    if mk is not None:
        if "mqls" in mk:
            c.number(mk["mqls"], "sla.marketing.mqls", minimum=0, integer=True)
        if "period" in mk:
            c.choice(mk["period"], "sla.marketing.period", PERIODS)
        if "min_acceptance_rate" in mk:
            c.number(mk["min_acceptance_rate"], "sla.marketing.min_acceptance_rate", minimum=0, maximum=1)
    sl = c.mapping(
        m.get("sales", {}),
        "sla.sales",
        required={"first_contact_hours"},
        optional={"min_attempts", "attempt_window_days", "disposition_days", "remind_before_hours", "on_reassign"},
    )
    if sl is not None:
        hours = c.mapping(
            sl.get("first_contact_hours", {}),
            "sla.sales.first_contact_hours",
            required={"normal"},
            optional={"high", "low"},
        )
        if hours is not None:
            for priority in PRIORITIES:
                if priority in hours:
                    c.number(
                        hours[priority],
                        f"sla.sales.first_contact_hours.{priority}",
                        minimum=0,
                        exclusive_minimum=True,
                        maximum=2000,
                    )
        for name, integer in (
            ("min_attempts", True),
            ("attempt_window_days", True),
            ("disposition_days", True),
            ("remind_before_hours", False),
        ):
            if name in sl:
                c.number(sl[name], f"sla.sales.{name}", minimum=0, exclusive_minimum=True, integer=integer)
        if "on_reassign" in sl:
            c.choice(sl["on_reassign"], "sla.sales.on_reassign", OnReassign)


def _routing(c: _Checker, value: Any, _funnel_keys: set[str]) -> None:
    m = c.mapping(value, "routing", required={"default"}, optional={"rules", "period", "priority", "capacity"})
    if m is None:
        return
    seen: set[str] = set()
    for path, item in c.items(m.get("rules", []), "routing.rules"):
        r = c.mapping(item, path, required={"key", "when", "team"}, optional={"label", *_ROUTE_FIELDS})
        if r is None:
            continue
        c.key(r.get("key"), f"{path}.key", seen)
        if "when" in r:
            c.condition(r["when"], f"{path}.when", QUALIFICATION)
        if "label" in r:
            c.text(r["label"], f"{path}.label", max_length=200)
        _route(c, r, path)
    d = None
    if "default" in m:
        d = c.mapping(m["default"], "routing.default", required={"team"}, optional=_ROUTE_FIELDS)
    if d is not None:
        _route(c, d, "routing.default")
    if "period" in m:
        c.choice(m["period"], "routing.period", PERIODS)
    if "priority" in m:
        p = c.mapping(m["priority"], "routing.priority", required=set(), optional=set(routing.QUADRANTS))
        for quadrant, priority in (p or {}).items():
            if quadrant in routing.QUADRANTS:
                c.choice(priority, f"routing.priority.{quadrant}", PRIORITIES)
    if "capacity" in m:
        cap = c.mapping(m["capacity"], "routing.capacity", required=set(), optional={"daily", "open", "reps"})
        if cap is not None:
            _capacity(c, cap, "routing.capacity")
            reps = cap.get("reps", {})
            if not isinstance(reps, Mapping):
                c.error("routing.capacity.reps", f"must be a mapping of emails, not {conditions._kind(reps)}")
            else:
                for email, own in reps.items():
                    path = f"routing.capacity.reps.{email}"
                    _email(c, email, path)
                    own_map = c.mapping(own, path, required=set(), optional={"daily", "open"})
                    if own_map is not None:
                        _capacity(c, own_map, path)


_ROUTE_FIELDS = {"method", "owner", "weights", "working_hours"}


def _route(c: _Checker, r: Mapping[str, Any], path: str) -> None:
    """Where one rule (or the default) sends a hand-off: its team, method and the method's terms."""
    if "team" in r:
        c.text(r["team"], f"{path}.team", max_length=100)
    method: routing.Method | None = routing.Method.ROUND_ROBIN
    if "method" in r:
        known = (*ROUTING_METHODS, *routing.METHOD_ALIASES)
        if r["method"] in known:
            method = routing.method_of(str(r["method"]))
        else:
            c.choice(r["method"], f"{path}.method", ROUTING_METHODS)
            method = None  # the terms of an unknown method are not checked against another's
    if method is None:
        pass
    elif method is routing.Method.OWNER:
        if "owner" not in r:
            c.error(path, "missing field 'owner': the owner method names the person (an email)")
        else:
            _email(c, r["owner"], f"{path}.owner")
    elif "owner" in r:
        c.error(f"{path}.owner", "only the owner method names an owner")
    if "weights" in r and method is not None:
        weights = r["weights"]
        if method is not routing.Method.WEIGHTED:
            c.error(f"{path}.weights", "only the weighted method takes weights")
        elif not isinstance(weights, Mapping):
            c.error(f"{path}.weights", f"must be a mapping of emails to weights, not {conditions._kind(weights)}")
        elif not weights:
            c.error(f"{path}.weights", "must not be empty: name each member's weight")
        else:
            for email, weight in weights.items():
                _email(c, email, f"{path}.weights.{email}")
                c.number(weight, f"{path}.weights.{email}", minimum=0, exclusive_minimum=True, integer=True,
                         maximum=1_000_000)  # fmt: skip
    if "working_hours" in r:
        c.boolean(r["working_hours"], f"{path}.working_hours")


def _capacity(c: _Checker, m: Mapping[str, Any], path: str) -> None:
    for name in ("daily", "open"):
        if name in m:
            c.number(m[name], f"{path}.{name}", minimum=1, integer=True, maximum=100_000)


def _email(c: _Checker, value: Any, path: str) -> None:
    if not isinstance(value, str) or not _EMAIL.match(value):
        c.error(path, f"must be a person's email address, not {conditions._kind(value)}")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _personas(c: _Checker, value: Any, _funnel_keys: set[str]) -> None:
    seen: set[str] = set()
    for path, item in c.items(value, "personas"):
        p = c.mapping(item, path, required={"key", "name", "match"}, optional={"description"})
        if p is None:
            continue
        c.key(p.get("key"), f"{path}.key", seen)
        c.text(p.get("name"), f"{path}.name", max_length=100)
        if "description" in p:
            c.text(p["description"], f"{path}.description", required=False)
        if "match" in p:
            c.condition(p["match"], f"{path}.match", PROFILE)


_SECTIONS: dict[str, Callable[[_Checker, Any, set[str]], None]] = {
    "personas": _personas,
    "interest": _interest,
    "quadrants": _quadrants,
    "mql": _mql,
    "sla": _sla,
    "routing": _routing,
}


def diff(old: Playbook, new: Playbook) -> list[str]:
    """Lines describing what changed between two playbooks, section by section (unified diff)."""
    import difflib

    return list(
        difflib.unified_diff(
            old.to_yaml().splitlines(), new.to_yaml().splitlines(), "before", "after", lineterm="", n=2
        )
    )
