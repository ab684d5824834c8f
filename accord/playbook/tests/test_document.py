"""The playbook document: the default validates, and every kind of mistake is named with its path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from accord.playbook.domain.document import Owner, PlaybookInvalid, StageKind, diff, parse, validate

DEFAULT = (Path(__file__).resolve().parents[1] / "default.yaml").read_text()


def default_data() -> dict:
    return copy.deepcopy(yaml.safe_load(DEFAULT))


def errors_of(data) -> list[tuple[str, str]]:
    with pytest.raises(PlaybookInvalid) as caught:
        validate(data)
    return caught.value.errors


def test_the_default_playbook_has_the_shared_vocabulary():
    playbook = parse(DEFAULT)
    assert [s.key for s in playbook.stages] == [
        "visitor",
        "subscriber",
        "lead",
        "mql",
        "sql",
        "opportunity",
        "customer",
        "recycled",
        "disqualified",
    ]
    assert [s.key for s in playbook.funnel] == [
        "visitor",
        "subscriber",
        "lead",
        "mql",
        "sql",
        "opportunity",
        "customer",
    ]
    assert playbook.stage("mql").owner is Owner.MARKETING and playbook.stage("mql").handed_to is Owner.SALES
    assert playbook.stage("sql").owner is Owner.SALES
    assert playbook.stage_of_kind(StageKind.RECYCLE).key == "recycled"
    assert playbook.stage_of_kind(StageKind.DISQUALIFY).key == "disqualified"
    assert playbook.mql_stage.key == "mql"
    assert playbook.entry_condition(playbook.stage("mql")) == playbook.data["mql"]["when"]
    assert playbook.entry_condition(playbook.stage("sql")) is None
    assert set(playbook.reasons) == {"reject", "recycle", "disqualify", "loss"}
    assert playbook.reason("reject", "other").note_required is True
    assert playbook.reason("reject", "no_budget").note_required is False


def test_round_trip_through_yaml_keeps_the_document():
    playbook = parse(DEFAULT)
    assert parse(playbook.to_yaml()).data == playbook.data


def mutate(path: str, value):
    """Set a dotted/indexed path in the default document ('stages[3].entry')."""
    data = default_data()
    target = data
    parts = path.replace("[", ".").replace("]", "").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is DELETE:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("stages[3].entry", {"all": [{"scor": 50}]}, ("stages[3].entry.all[0]", "unknown field 'scor'")),
        ("stages[0].key", "Visitor", ("stages[0].key", "must be a key")),
        ("stages[1].key", "visitor", ("stages[1].key", "duplicate key 'visitor'")),
        ("stages[0].owner", "finance", ("stages[0].owner", "must be one of marketing, sales, none")),
        ("stages[0].kind", "limbo", ("stages[0].kind", "must be one of funnel, recycle, disqualify")),
        ("stages[0].colour", "red", ("stages[0].colour", "unknown field 'colour'")),
        ("stages[0].name", DELETE, ("stages[0]", "missing field 'name'")),
        ("stages[8].kind", "recycle", ("stages[8].kind", "only one stage may be of kind 'recycle' (recycled is)")),
        ("stages", [], ("stages", "must not be empty")),
        ("format", "accord.playbook/9", ("format", "must be 'accord.playbook/1'")),
        ("extra", 1, ("extra", "unknown field 'extra'")),
        ("fit.grades.B", 70, ("fit.grades.B", "grade thresholds must fall from A to C: B (70) must be below A (60)")),
        ("fit.grades.C", 40, ("fit.grades.C", "grade thresholds must fall from A to C: C (40) must be below B (40)")),
        ("fit.grades.A", "high", ("fit.grades.A", "must be a number")),
        ("fit.grades.D", 0, ("fit.grades.D", "unknown field 'D'")),
        ("fit.rules[0].points", 2.5, ("fit.rules[0].points", "must be a whole number")),
        (
            "fit.rules[0].when",
            {"field": "score.fit", "op": "gte", "value": 1},
            ("fit.rules[0].when.field", "unknown field 'score.fit'"),
        ),
        ("interest.half_life_days", -3, ("interest.half_life_days", "must be greater than 0")),
        ("interest.half_life_days", 0, ("interest.half_life_days", "must be greater than 0")),
        (
            "interest.rules[0].when",
            {"field": "event.path", "op": "matches", "value": "x"},
            ("interest.rules[0].when.op", "unknown operator 'matches'"),
        ),
        ("interest.rules[0].max_per_day", 0, ("interest.rules[0].max_per_day", "must be at least 1")),
        ("interest.rules[1].event", "", ("interest.rules[1].event", "must be non-empty text")),
        ("interest.rules[0].event", "Page", ("interest.rules[0].event", "unknown event 'Page'")),
        ("interest.rules[0].event", "pageview", ("interest.rules[0].event", "unknown event 'pageview'")),
        ("interest.rules[0].points", 0, ("interest.rules[0].points", "must not be 0")),
        ("interest.rules[0].max_per_day", 5, ("interest.rules[0].max_per_day", "must be at least the rule's points (10)")),
        ("interest.expire_after_days", 30, ("interest", "choose half_life_days or expire_after_days, not both")),
        ("interest.heating_up", {"points": -1}, ("interest.heating_up.points", "must be greater than 0")),
        ("interest.heating_up", {"pts": 5}, ("interest.heating_up.pts", "unknown field 'pts'")),
        ("interest.decay", "fast", ("interest.decay", "unknown field 'decay'")),
        (
            "interest.rules[2].when",
            {"field": "event.colour", "op": "eq", "value": "red"},
            ("interest.rules[2].when.field", "unknown field 'event.colour'"),
        ),
        ("quadrants.high_interest", 250, ("quadrants.high_interest", "must be at most interest.max_points (200)")),
        ("quadrants.good_fit", ["A", "E"], ("quadrants.good_fit[1]", "must be one of A, B, C, D")),
        ("mql.stage", "nope", ("mql.stage", "must name a funnel stage")),
        ("mql.stage", "recycled", ("mql.stage", "must name a funnel stage")),
        (
            "mql.when",
            {"any": [{"field": "score.intrest", "op": "gte", "value": 1}]},
            ("mql.when.any[0].field", "unknown field 'score.intrest'"),
        ),
        ("sla.marketing.min_acceptance_rate", 1.5, ("sla.marketing.min_acceptance_rate", "must be at most 1")),
        ("sla.marketing.period", "fortnight", ("sla.marketing.period", "must be one of day, week, month, quarter")),
        ("sla.sales.first_contact_hours.normal", 0, ("sla.sales.first_contact_hours.normal", "must be greater than 0")),
        ("sla.sales.first_contact_hours.urgent", 1, ("sla.sales.first_contact_hours.urgent", "unknown field 'urgent'")),
        (
            "routing.rules[0].method",
            "random",
            ("routing.rules[0].method", "must be one of account_owner, round_robin, weighted, load_balance, owner"),
        ),
        ("routing.default", DELETE, ("routing", "missing field 'default'")),
        ("reasons.recycle", DELETE, ("reasons", "missing field 'recycle': a recycle stage needs its reasons")),
        (
            "reasons.reject[1].key",
            "not_decision_maker",
            ("reasons.reject[1].key", "duplicate key 'not_decision_maker'"),
        ),
        ("reasons.reject[0].note_required", "yes", ("reasons.reject[0].note_required", "must be true or false")),
        (
            "personas[0].match",
            {"field": "contact.title", "op": "contains", "value": ""},
            ("personas[0].match.value", "must be non-empty text"),
        ),
    ],
)
def test_each_mistake_is_refused_with_its_path(path, value, expected):
    errors = errors_of(mutate(path, value))
    expected_path, expected_start = expected
    assert any(p == expected_path and m.startswith(expected_start) for p, m in errors), errors


def test_the_error_text_is_path_colon_message():
    data = mutate("stages[3].entry", {"all": [{"scor": 50}]})
    with pytest.raises(PlaybookInvalid) as caught:
        validate(data)
    assert str(caught.value).startswith("stages[3].entry.all[0]: unknown field 'scor'")


def test_all_problems_are_reported_at_once():
    data = mutate("stages[0].owner", "finance")
    data["fit"]["grades"]["B"] = 99
    data["sla"]["marketing"]["mqls"] = -1
    paths = [p for p, _ in errors_of(data)]
    assert paths == ["stages[0].owner", "fit.grades.B", "sla.marketing.mqls"]


def test_broken_yaml_names_the_line():
    with pytest.raises(PlaybookInvalid) as caught:
        parse("format: accord.playbook/1\nstages: [\n  - key")
    [(where, message)] = caught.value.errors
    assert where.startswith("line 3") and message.startswith("not valid YAML")


@pytest.mark.parametrize("text", ["", "just text", "- a\n- list"])
def test_a_document_must_be_a_mapping(text):
    with pytest.raises(PlaybookInvalid) as caught:
        parse(text)
    assert caught.value.errors[0][0] == "(document)"


def test_diff_shows_changed_lines():
    before = parse(DEFAULT)
    after = validate(mutate("sla.marketing.mqls", 150))
    lines = diff(before, after)
    assert "-    mqls: 120" in lines and "+    mqls: 150" in lines
    assert diff(before, before) == []
