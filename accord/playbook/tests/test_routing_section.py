"""The playbook's `routing` section and reject reasons' outcome: what validates, what is refused
(with the exact path and message), and the typed section routing reads."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.playbook.domain.document import PlaybookInvalid, StageKind, validate
from accord.playbook.domain.routing import (
    DEFAULT_PERIOD,
    DEFAULT_PRIORITY,
    NO_ROUTING,
    Capacity,
    Method,
    Routing,
    Rule,
    routing_of,
)

DEFAULT = (Path(__file__).resolve().parents[1] / "default.yaml").read_text()
ANN, BOB = "ann@example.com", "bob@example.com"
DELETE = object()
METHODS = "account_owner, round_robin, weighted, load_balance, owner"
RULE_FIELDS = "key, label, method, owner, team, weights, when, working_hours"
DEFAULT_FIELDS = "method, owner, team, weights, working_hours"


def default_data() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(DEFAULT))


def changed(*changes: tuple[str, Any]) -> dict[str, Any]:
    """The default document with each dotted path ('routing.rules[1].method') set, or deleted."""
    data = default_data()
    for path, value in changes:
        target: Any = data
        parts = path.replace("[", ".").replace("]", "").split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return data


def errors_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(PlaybookInvalid) as caught:
        validate(data)
    return caught.value.errors


# --- the default playbook ----------------------------------------------------------------------


def test_the_default_playbook_still_validates_and_reads_as_a_typed_section():
    playbook = validate(default_data())
    routing = playbook.routing
    assert [(r.key, r.team, r.method, r.owner, dict(r.weights), r.working_hours) for r in routing.rules] == [
        ("enterprise", "Account Executives", Method.ACCOUNT_OWNER, None, {}, False),
        ("emea", "SDR EMEA", Method.ROUND_ROBIN, None, {}, False),
    ]
    assert routing.rules[0].label == "Enterprise accounts go to account executives"
    assert routing.rules[1].when == {"field": "account.country", "op": "in", "value": ["GB", "DE", "FR", "NL", "SE"]}
    assert routing.default == Rule("default", "Default", None, "SDR Americas", Method.ROUND_ROBIN, None, {}, False)
    assert (routing.period, dict(routing.priority), routing.capacity, dict(routing.reps)) == (
        "month",
        {"ready": "high", "nurture": "normal", "check_fit": "normal", "low": "low"},
        Capacity(daily=None, open=None),
        {},
    )
    assert routing.teams() == {"Account Executives", "SDR EMEA", "SDR Americas"}
    assert routing.people() == {}


def test_a_playbook_without_routing_reads_as_no_routing():
    data = changed(("routing", DELETE))
    assert validate(data).routing is NO_ROUTING
    assert routing_of(None) is NO_ROUTING
    assert routing_of({}) is NO_ROUTING


FULL = {
    "period": "week",
    "priority": {"ready": "high", "nurture": "low", "low": "normal"},
    "capacity": {"daily": 10, "open": 30, "reps": {"Ann@Example.com": {"daily": 4}, BOB: {"open": 12, "daily": 20}}},
    "rules": [
        {
            "key": "named",
            "label": "Strategic",
            "when": {"field": "account.employees", "op": "gte", "value": 5000},
            "team": "AE",
            "method": "owner",
            "owner": "Bob@Example.com",
            "working_hours": True,
        },
        {
            "key": "split",
            "when": {"field": "account.country", "op": "eq", "value": "DE"},
            "team": "DACH",
            "method": "weighted",
            "weights": {ANN: 200, "Carl@example.com": 50},
        },
        {
            "key": "legacy",
            "when": {"field": "account.country", "op": "eq", "value": "FR"},
            "team": "FR",
            "method": "least_loaded",
        },
        {
            "key": "balanced",
            "when": {"field": "account.country", "op": "eq", "value": "NL"},
            "team": "NL",
            "method": "load_balance",
        },
    ],
    "default": {"team": "SDR", "method": "account_owner", "working_hours": False},
}


def test_a_full_section_validates_and_reads_with_lower_case_emails():
    routing = validate(changed(("routing", copy.deepcopy(FULL)))).routing
    assert [(r.key, r.label, r.team, r.method, r.owner, dict(r.weights), r.working_hours) for r in routing.rules] == [
        ("named", "Strategic", "AE", Method.OWNER, BOB, {}, True),
        ("split", "split", "DACH", Method.WEIGHTED, None, {ANN: 200, "carl@example.com": 50}, False),
        ("legacy", "legacy", "FR", Method.LOAD_BALANCE, None, {}, False),
        ("balanced", "balanced", "NL", Method.LOAD_BALANCE, None, {}, False),
    ]
    assert routing.default == Rule("default", "Default", None, "SDR", Method.ACCOUNT_OWNER, None, {}, False)
    assert routing.period == "week"
    assert dict(routing.priority) == {"ready": "high", "nurture": "low", "check_fit": "normal", "low": "normal"}
    assert routing.capacity == Capacity(daily=10, open=30)
    assert dict(routing.reps) == {ANN: Capacity(daily=4, open=None), BOB: Capacity(daily=20, open=12)}
    assert routing.teams() == {"AE", "DACH", "FR", "NL", "SDR"}
    assert routing.people() == {
        BOB: "routing.rules[0].owner",
        ANN: "routing.rules[1].weights.ann@example.com",
        "carl@example.com": "routing.rules[1].weights.carl@example.com",
    }


@pytest.mark.parametrize("method", ["least_loaded", "load_balance"])
def test_least_loaded_is_still_accepted_and_reads_as_load_balance(method):
    routing = validate(changed(("routing.default.method", method), ("routing.rules[1].method", method))).routing
    assert (routing.default.method, routing.rules[1].method) == (Method.LOAD_BALANCE, Method.LOAD_BALANCE)


@pytest.mark.parametrize("method", [m.value for m in Method if m is not Method.OWNER])
def test_every_method_but_owner_validates_on_its_own(method):
    routing = validate(changed(("routing.default", {"team": "SDR", "method": method}))).routing
    assert routing.default.method is Method(method)


# --- refusals ----------------------------------------------------------------------------------

R = "routing"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        # methods
        pytest.param(
            [("routing.default.method", "fastest")],
            [("routing.default.method", f"must be one of {METHODS}, not text 'fastest'")],
            id="unknown method on the default",
        ),
        pytest.param(
            [("routing.rules[1].method", 3)],
            [("routing.rules[1].method", f"must be one of {METHODS}, not a number")],
            id="a method that is not text",
        ),
        pytest.param(
            [("routing.rules[0].method", "Round_Robin")],
            [("routing.rules[0].method", f"must be one of {METHODS}, not text 'Round_Robin'")],
            id="methods are lower case",
        ),
        # owner
        pytest.param(
            [("routing.default.method", "owner")],
            [("routing.default", "missing field 'owner': the owner method names the person (an email)")],
            id="owner method without an owner",
        ),
        pytest.param(
            [("routing.rules[0].method", "owner")],
            [("routing.rules[0]", "missing field 'owner': the owner method names the person (an email)")],
            id="owner method without an owner on a rule",
        ),
        pytest.param(
            [("routing.default.method", "owner"), ("routing.default.owner", "bob")],
            [("routing.default.owner", "must be a person's email address, not text 'bob'")],
            id="an owner that is not an email",
        ),
        pytest.param(
            [("routing.default.method", "owner"), ("routing.default.owner", ["bob@example.com"])],
            [("routing.default.owner", "must be a person's email address, not a list")],
            id="an owner that is a list",
        ),
        pytest.param(
            [("routing.default.method", "owner"), ("routing.default.owner", "bob smith@example.com")],
            [("routing.default.owner", "must be a person's email address, not text 'bob smith@example.com'")],
            id="an owner with a space",
        ),
        pytest.param(
            [("routing.rules[1].owner", BOB)],
            [("routing.rules[1].owner", "only the owner method names an owner")],
            id="owner on a round robin rule",
        ),
        pytest.param(
            [("routing.default.method", DELETE), ("routing.default.owner", BOB)],
            [("routing.default.owner", "only the owner method names an owner")],
            id="owner on a rule with no method (round robin)",
        ),
        pytest.param(
            [("routing.rules[0].owner", BOB)],
            [("routing.rules[0].owner", "only the owner method names an owner")],
            id="owner on an account owner rule",
        ),
        # weights
        pytest.param(
            [("routing.rules[1].weights", {ANN: 200})],
            [("routing.rules[1].weights", "only the weighted method takes weights")],
            id="weights on a round robin rule",
        ),
        pytest.param(
            [("routing.default.method", "load_balance"), ("routing.default.weights", {ANN: 200})],
            [("routing.default.weights", "only the weighted method takes weights")],
            id="weights on load balance",
        ),
        pytest.param(
            [("routing.default.method", "weighted"), ("routing.default.weights", {ANN: 0})],
            [("routing.default.weights.ann@example.com", "must be greater than 0")],
            id="weight 0",
        ),
        pytest.param(
            [("routing.default.method", "weighted"), ("routing.default.weights", {ANN: -50})],
            [("routing.default.weights.ann@example.com", "must be greater than 0")],
            id="a negative weight",
        ),
        pytest.param(
            [("routing.default.method", "weighted"), ("routing.default.weights", {ANN: 1.5})],
            [("routing.default.weights.ann@example.com", "must be a whole number, not a number")],
            id="a weight that is not whole",
        ),
        pytest.param(
            [("routing.default.method", "weighted"), ("routing.default.weights", {ANN: "200"})],
            [("routing.default.weights.ann@example.com", "must be a whole number, not text '200'")],
            id="a weight that is text",
        ),
        pytest.param(
            [("routing.default.method", "weighted"), ("routing.default.weights", {ANN: True})],
            [("routing.default.weights.ann@example.com", "must be a whole number, not true/false")],
            id="a weight that is true",
        ),
        pytest.param(
            [("routing.default.method", "weighted"), ("routing.default.weights", {"ann": 100, BOB: 0})],
            [
                ("routing.default.weights.ann", "must be a person's email address, not text 'ann'"),
                ("routing.default.weights.bob@example.com", "must be greater than 0"),
            ],
            id="a bad email and a bad weight, both named",
        ),
        pytest.param(
            [("routing.default.method", "weighted"), ("routing.default.weights", [ANN])],
            [("routing.default.weights", "must be a mapping of emails to weights, not a list")],
            id="weights that are a list",
        ),
        # working hours and label
        pytest.param(
            [("routing.default.working_hours", "yes")],
            [("routing.default.working_hours", "must be true or false, not text 'yes'")],
            id="working hours not true or false",
        ),
        pytest.param(
            [("routing.rules[0].label", "")],
            [("routing.rules[0].label", "must be non-empty text, not text ''")],
            id="an empty label",
        ),
        pytest.param(
            [("routing.default.label", "Fallback")],
            [("routing.default.label", f"unknown field 'label'; expected one of: {DEFAULT_FIELDS}")],
            id="the default has no label",
        ),
        # capacity
        pytest.param(
            [("routing.capacity", {"daily": 0})],
            [("routing.capacity.daily", "must be at least 1")],
            id="daily capacity 0",
        ),
        pytest.param(
            [("routing.capacity", {"open": -1})],
            [("routing.capacity.open", "must be at least 1")],
            id="negative open capacity",
        ),
        pytest.param(
            [("routing.capacity", {"open": 2.5})],
            [("routing.capacity.open", "must be a whole number, not a number")],
            id="open capacity not whole",
        ),
        pytest.param(
            [("routing.capacity", {"daily": "ten"})],
            [("routing.capacity.daily", "must be a whole number, not text 'ten'")],
            id="daily capacity as text",
        ),
        pytest.param(
            [("routing.capacity", {"weekly": 5})],
            [("routing.capacity.weekly", "unknown field 'weekly'; expected one of: daily, open, reps")],
            id="unknown capacity field",
        ),
        pytest.param(
            [("routing.capacity", [5])],
            [("routing.capacity", "must be a mapping, not a list")],
            id="capacity not a mapping",
        ),
        pytest.param(
            [("routing.capacity", {"reps": {"bob": {"daily": 2}}})],
            [("routing.capacity.reps.bob", "must be a person's email address, not text 'bob'")],
            id="a rep's capacity under a bad email",
        ),
        pytest.param(
            [("routing.capacity", {"reps": {42: {"daily": 2}}})],
            [("routing.capacity.reps.42", "must be a person's email address, not a number")],
            id="a rep's capacity under a number",
        ),
        pytest.param(
            [("routing.capacity", {"reps": {ANN: {"daily": 0, "open": 1.5}}})],
            [
                ("routing.capacity.reps.ann@example.com.daily", "must be at least 1"),
                ("routing.capacity.reps.ann@example.com.open", "must be a whole number, not a number"),
            ],
            id="a rep's own capacity out of range",
        ),
        pytest.param(
            [("routing.capacity", {"reps": {ANN: {"weekly": 3}}})],
            [("routing.capacity.reps.ann@example.com.weekly", "unknown field 'weekly'; expected one of: daily, open")],
            id="a rep's own unknown field",
        ),
        pytest.param(
            [("routing.capacity", {"reps": {ANN: 3}})],
            [("routing.capacity.reps.ann@example.com", "must be a mapping, not a number")],
            id="a rep's own capacity not a mapping",
        ),
        pytest.param(
            [("routing.capacity", {"reps": [ANN]})],
            [("routing.capacity.reps", "must be a mapping of emails, not a list")],
            id="reps not a mapping",
        ),
        # priority and period
        pytest.param(
            [("routing.priority", {"hot": "high"})],
            [("routing.priority.hot", "unknown field 'hot'; expected one of: check_fit, low, nurture, ready")],
            id="unknown quadrant",
        ),
        pytest.param(
            [("routing.priority", {"ready": "urgent"})],
            [("routing.priority.ready", "must be one of high, normal, low, not text 'urgent'")],
            id="unknown priority",
        ),
        pytest.param(
            [("routing.priority", {"ready": "urgent", "warm": "low"})],
            [
                ("routing.priority.warm", "unknown field 'warm'; expected one of: check_fit, low, nurture, ready"),
                ("routing.priority.ready", "must be one of high, normal, low, not text 'urgent'"),
            ],
            id="unknown quadrant and priority, both named",
        ),
        pytest.param(
            [("routing.priority", "high")],
            [("routing.priority", "must be a mapping, not text 'high'")],
            id="priority not a mapping",
        ),
        pytest.param(
            [("routing.period", "year")],
            [("routing.period", "must be one of day, week, month, quarter, not text 'year'")],
            id="unknown period",
        ),
        pytest.param(
            [("routing.period", None)],
            [("routing.period", "must be one of day, week, month, quarter, not nothing")],
            id="empty period",
        ),
        # unknown fields
        pytest.param(
            [("routing.rules[0].speed", "fast")],
            [("routing.rules[0].speed", f"unknown field 'speed'; expected one of: {RULE_FIELDS}")],
            id="unknown field on a rule",
        ),
        pytest.param(
            [("routing.default.when", {"field": "account.country", "op": "is_set"})],
            [("routing.default.when", f"unknown field 'when'; expected one of: {DEFAULT_FIELDS}")],
            id="the default has no condition",
        ),
        pytest.param(
            [("routing.fallback", {"team": "SDR"})],
            [
                (
                    "routing.fallback",
                    "unknown field 'fallback'; expected one of: capacity, default, period, priority, rules",
                )
            ],
            id="unknown field on the section",
        ),
        pytest.param(
            [("routing.default.team", DELETE)],
            [("routing.default", "missing field 'team'")],
            id="a default without a team",
        ),
        pytest.param(
            [("routing.rules[1].team", "")],
            [("routing.rules[1].team", "must be non-empty text, not text ''")],
            id="an empty team",
        ),
        pytest.param(
            [("routing.rules[1].team", "x" * 101)],
            [("routing.rules[1].team", "must be at most 100 characters")],
            id="a team name too long",
        ),
        pytest.param(
            [("routing.rules[1].key", "enterprise")],
            [("routing.rules[1].key", "duplicate key 'enterprise'")],
            id="duplicate rule key",
        ),
    ],
)
def test_routing_mistakes_are_named_with_their_path(changes, errors):
    assert errors_of(changed(*changes)) == errors


def test_a_mistyped_method_is_the_only_error_named():
    data = changed(("routing.default.method", "wieghted"), ("routing.default.weights", {ANN: 200}))
    assert errors_of(data) == [("routing.default.method", f"must be one of {METHODS}, not text 'wieghted'")]


def test_a_missing_default_is_named_once():
    assert errors_of(changed(("routing.default", DELETE))) == [("routing", "missing field 'default'")]


def test_a_weight_over_the_limit_names_the_limit_in_plain_digits():
    data = changed(("routing.default.method", "weighted"), ("routing.default.weights", {ANN: 2_000_000}))
    [(path, message)] = errors_of(data)
    assert (path, "e+" in message) == ("routing.default.weights.ann@example.com", False)


def test_empty_weights_are_not_called_something_other_than_a_mapping():
    data = changed(("routing.default.method", "weighted"), ("routing.default.weights", {}))
    [(path, message)] = errors_of(data)
    assert (path, "not a mapping" in message) == ("routing.default.weights", False)


# --- the typed section -------------------------------------------------------------------------

SECTION = routing_of(
    {
        "default": {"team": "SDR"},
        "capacity": {"daily": 5, "open": 20, "reps": {"Ann@Example.com": {"daily": 2}, BOB: {"open": 3}}},
        "priority": {"nurture": "high"},
    }
)


@pytest.mark.parametrize(
    ("routing", "email", "capacity"),
    [
        (SECTION, ANN, Capacity(daily=2, open=20)),
        (SECTION, BOB, Capacity(daily=5, open=3)),
        (SECTION, "carl@example.com", Capacity(daily=5, open=20)),
        (
            routing_of({"default": {"team": "SDR"}, "capacity": {"reps": {ANN: {"open": 4}}}}),
            ANN,
            Capacity(daily=None, open=4),
        ),
        (routing_of({"default": {"team": "SDR"}, "capacity": {"reps": {ANN: {"open": 4}}}}), BOB, Capacity()),
        (routing_of({"default": {"team": "SDR"}}), ANN, Capacity()),
        (NO_ROUTING, ANN, Capacity()),
    ],
)
def test_capacity_of_is_the_reps_own_limit_else_the_default(routing, email, capacity):
    assert routing.capacity_of(email) == capacity


@pytest.mark.parametrize(
    ("routing", "quadrant", "priority"),
    [
        (SECTION, "ready", "high"),
        (SECTION, "nurture", "high"),
        (SECTION, "check_fit", "normal"),
        (SECTION, "low", "low"),
        (SECTION, None, "low"),
        (SECTION, "", "low"),
        (SECTION, "unheard_of", "normal"),
        (NO_ROUTING, "ready", "high"),
        (NO_ROUTING, "nurture", "normal"),
    ],
)
def test_priority_of_a_quadrant(routing, quadrant, priority):
    assert routing.priority_of(quadrant) == priority


def test_the_typed_section_defaults():
    routing = routing_of(
        {
            "rules": [{"key": "r", "when": {"field": "account.country", "op": "is_set"}, "team": "T"}],
            "default": {"team": "SDR"},
        }
    )
    assert routing == Routing(
        rules=(Rule("r", "r", {"field": "account.country", "op": "is_set"}, "T", Method.ROUND_ROBIN, None, {}, False),),
        default=Rule("default", "Default", None, "SDR", Method.ROUND_ROBIN, None, {}, False),
        period=DEFAULT_PERIOD,
        priority=DEFAULT_PRIORITY,
        capacity=Capacity(),
        reps={},
    )


def test_people_names_each_email_once_at_its_first_path():
    routing = routing_of(
        {
            "rules": [
                {"key": "a", "when": {}, "team": "T", "method": "weighted", "weights": {ANN: 300, BOB: 100}},
                {"key": "b", "when": {}, "team": "T", "method": "owner", "owner": BOB},
            ],
            "default": {"team": "SDR", "method": "owner", "owner": "Carl@Example.com"},
            "capacity": {"reps": {ANN: {"daily": 1}, "dee@example.com": {"open": 2}}},
        }
    )
    assert routing.people() == {
        ANN: "routing.rules[0].weights.ann@example.com",
        BOB: "routing.rules[0].weights.bob@example.com",
        "carl@example.com": "routing.default.owner",
        "dee@example.com": "routing.capacity.reps.dee@example.com",
    }
    assert routing.teams() == {"T", "SDR"}


# --- reject reasons' outcome -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "stage"),
    [(DELETE, "recycled"), ("recycle", "recycled"), ("disqualify", "disqualified")],
)
def test_a_reject_reason_says_where_the_contact_goes(outcome, stage):
    playbook = validate(changed(("reasons.reject[1].outcome", outcome)) if outcome is not DELETE else default_data())
    reason = playbook.reason("reject", "no_budget")
    assert reason is not None
    assert reason.outcome == (None if outcome is DELETE else outcome)
    target = playbook.reject_outcome(reason)
    assert target is not None
    assert (target.key, target.kind) == (stage, StageKind.DISQUALIFY if outcome == "disqualify" else StageKind.RECYCLE)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        pytest.param(
            [("reasons.reject[0].outcome", "archive")],
            [("reasons.reject[0].outcome", "must be one of recycle, disqualify, not text 'archive'")],
            id="unknown outcome",
        ),
        pytest.param(
            [("reasons.reject[2].outcome", None)],
            [("reasons.reject[2].outcome", "must be one of recycle, disqualify, not nothing")],
            id="empty outcome",
        ),
        pytest.param(
            [("reasons.recycle[0].outcome", "recycle")],
            [("reasons.recycle[0].outcome", "unknown field 'outcome'; expected one of: key, label, note_required")],
            id="only reject reasons have an outcome",
        ),
    ],
)
def test_reject_outcome_mistakes_are_named_with_their_path(changes, errors):
    assert errors_of(changed(*changes)) == errors


def test_a_playbook_without_a_recycle_stage_has_nowhere_to_send_a_rejected_contact():
    data = changed(("stages[7]", DELETE))
    assert data["stages"][7]["key"] == "disqualified"
    playbook = validate(data)
    reason = playbook.reason("reject", "no_budget")
    assert reason is not None
    assert playbook.reject_outcome(reason) is None


# --- the workspace's teams and people, checked when a version is put in force ------------------


@pytest.mark.django_db
def test_a_version_that_routes_to_an_unknown_team_or_person_is_not_put_in_force(users):
    from accord.core.errors import InvalidInput
    from accord.playbook import actions
    from accord.playbook.queries import active_playbook

    data = changed(("routing.default.team", "SDR Mars"), ("routing.default.method", "owner"),
                   ("routing.default.owner", "nobody@example.com"))  # fmt: skip
    version = actions.playbook_draft_create(source=yaml.safe_dump(data), acting_user=users["admin"])
    actions.playbook_sign(version=version, acting_user=users["marketing"])
    actions.playbook_sign(version=version, acting_user=users["sales_manager"])
    was = active_playbook()
    with pytest.raises(InvalidInput) as raised:
        actions.playbook_activate(version=version, acting_user=users["admin"])
    assert raised.value.errors == [
        ("routing.default.team", "no team is named 'SDR Mars'"),
        ("routing.default.owner", "no active user has the email nobody@example.com"),
    ]
    assert active_playbook() == was
