"""The scoring rules over tables (`frames`) give exactly what `domain` gives, row by row.

Table-driven cases pin down the corners (Unicode case folding, Python's whitespace, numbers
written as text, JSON properties of any type); hypothesis properties compare whole random
conditions, rule sets and histories with `conditions.evaluate`, `domain.recompute`,
`Model.value` and `Model.fit`, with `==` — the same integers and the same floats.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.lifecycle.domain import rule_target
from accord.playbook.domain.conditions import FieldType, Op, evaluate, validate
from accord.playbook.domain.document import parse
from accord.playbook.domain.vocabulary import PROFILE
from accord.scoring import domain, frames

T, N, B = FieldType.TEXT, FieldType.NUMBER, FieldType.BOOL

# ------------------------------------------------------------------ a small vocabulary of columns

KINDS = {
    "contact.title": T,
    "contact.email_domain": T,
    "account.employees": N,
    "account.annual_revenue": N,
    "contact.consent": B,
}
SCHEMA = {
    "contact.title": pl.String,
    "contact.email_domain": pl.String,
    "account.employees": pl.Int64,
    "account.annual_revenue": pl.Float64,
    "contact.consent": pl.Boolean,
    "contact.properties": pl.String,
    "account.properties": pl.String,
}
TEXTS = [
    None,
    "",
    "  ",
    "\x1c",
    "\u3000\xa0",
    "VP Sales",
    "vp sales",
    " VP sales ",
    "Straße",
    "STRASSE",
    "ﬁnance",
    "FINANCE",
    "İstanbul",
    "ΣΊΣΥΦΟΣ",
    "σίσυφος",
    "1,200",
    "1200",
    " 12 ",
    "1e3",
    "1_000",
    "٣",
    "nan",
    "inf",
    "true",
    " TRUE ",
    "False",
    "gmail.com",
    "Gmail.COM",
]
INTS = [None, 0, 19, 20, 200, 1200, -5, 2**53 + 1]
FLOATS = [None, 0.0, -0.0, 1200.0, 19.5, 1e20, float("nan"), float("inf")]
PROPERTIES = [
    None,
    "{}",
    "[]",
    "null",
    '{"plan": "Pro"}',
    '{"plan": "pro "}',
    '{"plan": 1200}',
    '{"plan": "1,200"}',
    '{"plan": true}',
    '{"plan": false}',
    '{"plan": ["a", "Pro"]}',
    '{"plan": []}',
    '{"plan": " "}',
    '{"plan": null}',
    '{"plan": {"tier": 1}}',
    '{"plan.tier": 3}',
]
TEXT_LITERALS = ["vp sales", "VP", "sales", "strasse", "STRAßE", "fi", "1200", "1,200", "true", "", " ", "i̇", "σ"]
NUMBER_LITERALS = [0, 19, 20, 200, 1200, 1200.0, 19.5, -0.0, 1e20, 2**53, 2**53 + 1, 12, 1000, 3]
OPS_FOR = {
    T: ["eq", "ne", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with", "is_set", "is_not_set"],
    N: ["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "is_set", "is_not_set"],
    B: ["eq", "ne", "is_set", "is_not_set"],
}
PROPERTY_FIELDS = ["contact.properties.plan", "account.properties.plan", "contact.properties.plan.tier"]


def _facts(row: dict[str, Any]) -> dict[str, Any]:
    """The facts `contact_facts` would give for a row: JSON properties parsed, `or {}` as there."""
    facts = {k: v for k, v in row.items() if not k.endswith(".properties")}
    for column in ("contact.properties", "account.properties"):
        if row.get(column) is not None:
            facts[column] = orjson.loads(row[column]) or {}
    return facts


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


def _polars(condition: dict, rows: list[dict[str, Any]], *, categorical: bool = False) -> list[bool]:
    """The condition over a frame of `rows`; with `categorical`, over categorical text columns,
    both per batch and with the distinct values decided first — all three must agree."""
    frame = _frame(rows)
    result = frame.select(frames.condition_expr(condition, KINDS).alias("hit"))["hit"]
    assert result.null_count() == 0
    if categorical:
        frame = frame.with_columns(pl.col("contact.title", "contact.email_domain").cast(pl.Categorical))
        per_batch = frame.select(frames.condition_expr(condition, KINDS).alias("hit"))["hit"]
        distinct = frames.distinct_values(frame)
        assert set(distinct) == {"contact.title", "contact.email_domain"}
        by_value = frame.select(frames.condition_expr(condition, KINDS, distinct=distinct).alias("hit"))["hit"]
        assert per_batch.to_list() == result.to_list() == by_value.to_list()
    return result.to_list()


def c(field: str, op: str, value: object = ...) -> dict:
    cond: dict = {"field": field, "op": op}
    if value is not ...:
        cond["value"] = value
    return cond


ROW_STRATEGY = st.fixed_dictionaries(
    {
        "contact.title": st.sampled_from(TEXTS),
        "contact.email_domain": st.sampled_from(TEXTS),
        "account.employees": st.sampled_from(INTS),
        "account.annual_revenue": st.sampled_from(FLOATS),
        "contact.consent": st.sampled_from([None, True, False]),
        "contact.properties": st.sampled_from(PROPERTIES),
        "account.properties": st.sampled_from(PROPERTIES),
    }
)


def _literal(kind: FieldType, op: str) -> st.SearchStrategy[Any]:
    if kind is T:
        if op in {"contains", "not_contains", "starts_with", "ends_with"}:
            return st.sampled_from([t for t in TEXT_LITERALS if t])
        return st.sampled_from(TEXT_LITERALS)
    if kind is N:
        return st.sampled_from(NUMBER_LITERALS)
    return st.booleans()


@st.composite
def comparisons(draw: st.DrawFn) -> dict:
    if draw(st.integers(0, 4)) == 0:
        name = draw(st.sampled_from(PROPERTY_FIELDS))
        op = draw(st.sampled_from(list(Op)))
        if op in {Op.IS_SET, Op.IS_NOT_SET}:
            return c(name, op.value)
        if op in {Op.LT, Op.LTE, Op.GT, Op.GTE}:
            value: Any = draw(st.sampled_from(NUMBER_LITERALS))
        elif op in {Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH}:
            value = draw(st.sampled_from([t for t in TEXT_LITERALS if t] + ["pro", "a"]))
        else:
            one = st.one_of(
                st.sampled_from([*TEXT_LITERALS, "pro", "Pro"]), st.sampled_from(NUMBER_LITERALS), st.booleans()
            )
            value = draw(st.lists(one, min_size=1, max_size=3)) if op in {Op.IN, Op.NOT_IN} else draw(one)
        return c(name, op.value, value)
    name = draw(st.sampled_from(sorted(KINDS)))
    kind = KINDS[name]
    op = draw(st.sampled_from(OPS_FOR[kind]))
    if op in {"is_set", "is_not_set"}:
        return c(name, op)
    if op in {"in", "not_in"}:
        return c(name, op, draw(st.lists(_literal(kind, op), min_size=1, max_size=4)))
    return c(name, op, draw(_literal(kind, op)))


conditions_strategy = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
    ),
    max_leaves=6,
)


# ------------------------------------------------------------------ conditions: table-driven


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        (c("contact.title", "eq", "strasse"), "Straße", True),  # casefold, not lower()
        (c("contact.title", "eq", "STRAßE"), "strasse", True),
        (c("contact.title", "contains", "fi"), "ﬁnance", True),
        (c("contact.title", "eq", "σίσυφος"), "ΣΊΣΥΦΟΣ", True),
        (c("contact.title", "starts_with", "vp"), " VP sales", False),  # no trimming for text
        (c("contact.title", "is_set"), "\x1c", False),  # Python's whitespace, not Rust's
        (c("contact.title", "is_not_set"), "\u3000", True),
        (c("contact.title", "ne", "x"), None, True),  # a missing fact matches every negation
        (c("contact.title", "ne", "x"), "  ", True),
        (c("contact.title", "not_contains", "x"), None, True),
        (c("contact.title", "in", ["a", "VP SALES"]), "vp sales", True),
        (c("contact.title", "not_in", ["a", "VP SALES"]), "vp sales", False),
        (c("contact.title", "contains", "sales"), None, False),
    ],
)
def test_text_comparisons_match_python(condition, value, expected):
    rows = [{"contact.title": value}]
    assert [evaluate(condition, _facts(rows[0]))] == [expected]
    assert _polars(condition, rows) == [expected]
    assert _polars(condition, rows, categorical=True) == [expected]


@pytest.mark.parametrize(
    ("condition", "row", "expected"),
    [
        (c("account.employees", "gte", 200), {"account.employees": 200}, True),
        (c("account.employees", "lt", 20), {"account.employees": None}, False),
        (c("account.employees", "ne", 20), {"account.employees": None}, True),
        (c("account.employees", "eq", 2**53), {"account.employees": 2**53 + 1}, True),  # as floats
        (c("account.employees", "eq", 2**53 + 1), {"account.employees": 2**53 + 1}, False),
        (c("account.employees", "in", [19, 1200]), {"account.employees": 1200}, True),
        (c("account.annual_revenue", "gt", 0), {"account.annual_revenue": float("nan")}, False),
        (c("account.annual_revenue", "is_set"), {"account.annual_revenue": float("nan")}, True),
        (c("account.annual_revenue", "lt", 1e300), {"account.annual_revenue": float("inf")}, False),
        (c("contact.consent", "eq", True), {"contact.consent": True}, True),
        (c("contact.consent", "ne", False), {"contact.consent": None}, True),
        (c("contact.consent", "eq", False), {"contact.consent": None}, False),
        (c("contact.properties.plan", "eq", "pro"), {"contact.properties": '{"plan": "Pro"}'}, True),
        (c("contact.properties.plan", "gte", 1000), {"contact.properties": '{"plan": "1,200"}'}, True),
        (c("contact.properties.plan", "eq", True), {"contact.properties": '{"plan": " TRUE"}'}, True),
        (c("contact.properties.plan", "contains", "pro"), {"contact.properties": '{"plan": ["a", "Pro"]}'}, True),
        (c("contact.properties.plan", "is_not_set"), {"contact.properties": '{"plan": []}'}, True),
        (c("account.properties.plan", "ne", "x"), {"account.properties": None}, True),
        (c("contact.properties.plan.tier", "eq", 3), {"contact.properties": '{"plan.tier": 3}'}, True),
    ],
)
def test_numbers_bools_and_properties_match_python(condition, row, expected):
    rows = [{**dict.fromkeys(SCHEMA), **row}]
    assert evaluate(condition, _facts(rows[0])) is expected
    assert _polars(condition, rows) == [expected]


def test_empty_all_holds_and_empty_any_does_not():
    rows = [dict.fromkeys(SCHEMA)] * 2
    assert _polars({"all": []}, rows) == [True, True]
    assert _polars({"any": []}, rows) == [False, False]
    assert _polars({"not": {"any": []}}, rows) == [True, True]


def test_python_whitespace_is_what_polars_strips():
    python = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
    assert python == frames.PY_WHITESPACE


def test_a_fact_without_a_kind_is_refused():
    with pytest.raises(ValueError, match=r"contact\.stage"):
        frames.condition_expr(c("contact.stage", "eq", "mql"), KINDS)


def test_columns_of_names_property_columns_by_prefix():
    condition = {"all": [c("contact.title", "is_set"), {"not": c("contact.properties.plan", "eq", "x")}]}
    assert frames.columns_of(condition) == {"contact.title", "contact.properties"}


# ------------------------------------------------------------------ conditions: properties


@settings(max_examples=400)
@given(condition=conditions_strategy, rows=st.lists(ROW_STRATEGY, min_size=1, max_size=12), categorical=st.booleans())
def test_any_condition_gives_what_evaluate_gives_on_every_row(condition, rows, categorical):
    expected = [evaluate(condition, _facts(row)) for row in rows]
    assert _polars(condition, rows, categorical=categorical) == expected


@given(condition=conditions_strategy)
def test_generated_conditions_are_valid_playbook_conditions(condition):
    # the property above is about conditions the playbook accepts (evaluate's contract)
    assert validate(condition, PROFILE, "when") == []


# ------------------------------------------------------------------ events and interest

EVENT_TYPES = ["page", "track", "identify", "screen"]
EVENT_NAMES = [None, "", "Demo Requested", "demo requested", "DEMO REQUESTED ", "Email Opened", "Straße", "STRASSE"]
PATHS = [None, "", "/pricing", "/Pricing/plans", "/blog", " /pricing"]


@st.composite
def interest_rules(draw: st.DrawFn) -> tuple[domain.InterestRule, ...]:
    count = draw(st.integers(1, 4))
    found = []
    for index in range(count):
        points = draw(st.integers(-1000, 1000).filter(bool))
        cap = draw(st.one_of(st.none(), st.integers(abs(points), abs(points) * 4)))
        event = draw(st.sampled_from(["page", "screen", "Demo Requested", "demo REQUESTED", "Email Opened", "strasse"]))
        when = draw(
            st.one_of(
                st.none(),
                st.sampled_from(
                    [
                        c("event.path", "starts_with", "/pricing"),
                        {"not": c("event.path", "is_set")},
                        c("event.utm_source", "in", ["Google", "bing"]),
                    ]
                ),
            )
        )
        found.append(domain.InterestRule(f"r{index}", f"Rule {index}", event, when, points, cap))
    return tuple(found)


@st.composite
def models(draw: st.DrawFn) -> domain.Model:
    expire = draw(st.one_of(st.none(), st.sampled_from([1, 7, 90])))
    half_life = None if expire is not None else draw(st.sampled_from([0.3, 1.0, 7.0, 30.0, 45.5, 3650.0]))
    return domain.Model(
        fit_rules=(),
        thresholds=(60.0, 40.0, 20.0),
        personas=(),
        interest_rules=draw(interest_rules()),
        half_life_days=half_life,
        expire_after_days=expire,
        max_points=draw(st.one_of(st.none(), st.sampled_from([1.0, 40.0, 200.0]))),
        good_fit=frozenset({"A", "B"}),
        high_interest=40.0,
        heating_points=20.0,
    )


EVENT_ROW = st.fixed_dictionaries(
    {
        "contact_id": st.integers(1, 5),
        "day_offset": st.one_of(st.integers(-2, 0), st.integers(-40, 2), st.integers(-400, 2)),
        "event.type": st.sampled_from(EVENT_TYPES),
        "event.name": st.sampled_from(EVENT_NAMES),
        "event.path": st.sampled_from(PATHS),
        "event.utm_source": st.sampled_from([None, "google", "GOOGLE", "Bing ", "bing"]),
    }
)
EVENT_SCHEMA = {
    "contact_id": pl.Int64,
    "day": pl.Int32,
    "event.type": pl.String,
    "event.name": pl.String,
    "event.path": pl.String,
    "event.utm_source": pl.String,
}


def _event_facts(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k.startswith("event.")} | {"event.properties": {}}


def _domain_state(model: domain.Model, hits: list[tuple[int, int, int]], today: int) -> dict[int, tuple]:
    per: dict[int, list] = defaultdict(list)
    for contact, rule, day in hits:
        per[contact].append((model.interest_rules[rule], day))
    found = {}
    for contact, items in per.items():
        state = domain.recompute(model, items, today)
        if state.anchor is None:
            continue  # nothing still counts: no row, and the defaults are Interest()'s
        caps = json.dumps(state.as_json(), separators=(",", ":"))
        found[contact] = (state.mass, state.anchor, caps, model.value(state.mass, state.anchor, today))
    return found


def _frame_state(frame: pl.DataFrame) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in frame.iter_rows()}


@settings(max_examples=300)
@given(
    model=models(),
    rows=st.lists(EVENT_ROW, max_size=40),
    today=st.sampled_from([3, 20514]),
    categorical=st.booleans(),
)
def test_event_hits_and_interest_equal_the_domain(model, rows, today, categorical):
    events = pl.DataFrame(
        [{**{k: v for k, v in r.items() if k != "day_offset"}, "day": today + r["day_offset"]} for r in rows],
        schema=EVENT_SCHEMA,
    )
    if categorical:
        events = events.with_columns(pl.col("event.type", "event.name", "event.path").cast(pl.Categorical))
    hits = frames.event_hits(model, events)
    expected_hits = sorted(
        (r["contact_id"], index, today + r["day_offset"])
        for r in rows
        for index, rule in enumerate(model.interest_rules)
        if rule.matches(_event_facts(r))
    )
    assert sorted(hits.iter_rows()) == expected_hits
    assert hits.schema == frames.HITS_SCHEMA
    frame = frames.interest_frame(model, hits, today)
    assert frame.schema == frames.INTEREST_SCHEMA
    assert _frame_state(frame) == _domain_state(model, expected_hits, today)


@settings(max_examples=400)
@given(
    model=models(),
    raw=st.lists(
        st.tuples(st.integers(1, 3), st.integers(0, 3), st.one_of(st.integers(-3, 0), st.integers(-400, 2))),
        max_size=60,
    ),
    today=st.sampled_from([3, 20514]),
)
def test_interest_frame_equals_recompute_for_any_hits(model, raw, today):
    hits = [(contact, rule % len(model.interest_rules), today + offset) for contact, rule, offset in raw]
    raw_frame = pl.DataFrame(hits, schema=frames.HITS_SCHEMA, orient="row")
    frame = frames.interest_frame(model, raw_frame, today)
    assert _frame_state(frame) == _domain_state(model, hits, today)
    # counted in two blocks and summed, the same
    half = len(hits) // 2
    counted = frames.count_hits(pl.concat([frames.count_hits(raw_frame[:half]), frames.count_hits(raw_frame[half:])]))
    assert counted["count"].sum() == len(hits)
    assert frames.interest_frame(model, counted, today).equals(frame)


def test_hits_from_a_timestamp_column_use_the_utc_day():
    import datetime as dt

    model = domain.Model((), (60.0, 40.0, 20.0), (), (domain.InterestRule("p", "P", "page", None, 5, None),),
                         30.0, None, None, frozenset("AB"), 40.0, 20.0)  # fmt: skip
    stamps = [
        dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),  # 04:30 UTC on the 3rd
        dt.datetime(1969, 12, 31, 23, 59, tzinfo=dt.UTC),
    ]
    events = pl.DataFrame(
        {"contact_id": [1, 2], "timestamp": stamps, "event.type": ["page", "page"], "event.name": ["", ""]}
    )
    hits = frames.event_hits(model, events)
    assert hits.rows() == [(1, 0, domain.day_number(stamps[0])), (2, 0, -1)]
    assert domain.day_number(stamps[0]) == domain.day_number(dt.date(2026, 3, 3))


def test_interest_of_the_default_playbook_example():
    """Two pricing views today and one 30 days ago with a 30-day half-life, capped at 20 a day."""
    model = domain.Model((), (60.0, 40.0, 20.0), (),
                         (domain.InterestRule("pricing", "Pricing", "page", None, 10, 20),),
                         30.0, None, 200.0, frozenset("AB"), 40.0, 20.0)  # fmt: skip
    today = 20514
    hits = pl.DataFrame({"contact_id": [7, 7, 7, 7], "rule": [0, 0, 0, 0], "day": [today, today, today, today - 30]},
                        schema=frames.HITS_SCHEMA)  # fmt: skip
    row = frames.interest_frame(model, hits, today).row(0, named=True)
    # three views today are capped at 20 points; ten points a half-life ago are worth five
    assert row["caps"] == f'{{"pricing":[{today},3]}}'
    assert math.isclose(row["interest"], 25.0, abs_tol=1e-6)
    state = domain.recompute(model, [(model.interest_rules[0], d) for d in hits["day"]], today)
    assert (row["mass"], row["anchor"], row["interest"]) == (
        state.mass,
        state.anchor,
        model.value(state.mass, state.anchor, today),
    )


def test_no_rules_or_no_hits_give_an_empty_frame():
    model = domain.Model((), (60.0, 40.0, 20.0), (), (), 30.0, None, None, frozenset("AB"), 40.0, 20.0)
    assert frames.interest_frame(model, pl.DataFrame(schema=frames.HITS_SCHEMA), 100).is_empty()
    events = pl.DataFrame({"contact_id": [1], "day": [1], "event.type": ["page"], "event.name": [""]})
    assert frames.event_hits(model, events).schema == frames.HITS_SCHEMA
    assert frames.event_hits(model, events).is_empty()


@given(mass=st.integers(-(2**40), 2**50), ahead=st.one_of(st.none(), st.integers(-20000, 4000)), model=models())
def test_value_expr_is_model_value_bit_for_bit(mass, ahead, model):
    today = 20514
    # an anchor lies at most one anchor step after the latest counted day (half-life decay)
    limit = model.anchor_step if model.half_life_days is not None else 0
    anchor = None if ahead is None else today + min(ahead, limit)
    frame = pl.DataFrame({"mass": [mass], "anchor": [anchor]}, schema={"mass": pl.Int64, "anchor": pl.Int64})
    got = frame.select(frames.value_expr(model, today).alias("v"))["v"].item()
    assert got == model.value(mass, anchor, today)
    assert math.copysign(1.0, got) == math.copysign(1.0, model.value(mass, anchor, today))


# ------------------------------------------------------------------ fit

FIT_WHENS = [
    c("account.employees", "gte", 200),
    c("account.employees", "lt", 20),
    c("contact.title", "contains", "sales"),
    c("contact.email_domain", "in", ["gmail.com", "yahoo.com"]),
    {"any": [c("contact.consent", "eq", True), c("contact.properties.plan", "eq", "pro")]},
    {"not": c("account.annual_revenue", "is_set")},
]


@st.composite
def fit_models(draw: st.DrawFn) -> domain.Model:
    rules = tuple(
        domain.FitRule(f"f{i}", f"F{i}", draw(st.sampled_from(FIT_WHENS)), draw(st.integers(-1000, 1000)))
        for i in range(draw(st.integers(0, 5)))
    )
    personas = tuple(
        domain.Persona(f"p{i}", f"P{i}", draw(st.sampled_from(FIT_WHENS))) for i in range(draw(st.integers(0, 3)))
    )
    a, b, c_ = sorted(draw(st.lists(st.integers(-100, 100), min_size=3, max_size=3)), reverse=True)
    return domain.Model(rules, (float(a), float(b) + 0.5, float(c_)), personas, (), 30.0, None, None,
                        frozenset("AB"), 40.0, 20.0)  # fmt: skip


@settings(max_examples=200)
@given(model=fit_models(), rows=st.lists(ROW_STRATEGY, min_size=1, max_size=10))
def test_fit_frame_is_model_fit_per_contact(model, rows):
    profiles = _frame(rows).with_columns(pl.Series("contact_id", range(1, len(rows) + 1), dtype=pl.Int64))
    frame = frames.fit_frame(model, profiles)
    assert frame.columns == ["contact_id", "fit_score", "fit_grade", "persona"]
    expected = []
    for number, row in enumerate(rows, start=1):
        fit = model.fit(_facts(row))
        expected.append((number, fit.score, fit.grade, fit.persona))
    assert frame.rows() == expected


def test_profile_and_event_columns_name_what_the_rules_read():
    model = domain.Model(
        (domain.FitRule("f", "F", c("account.employees", "gte", 1), 5),),
        (60.0, 40.0, 20.0),
        (domain.Persona("p", "P", c("contact.properties.role", "eq", "cto")),),
        (domain.InterestRule("r", "R", "page", c("event.path", "is_set"), 1, None),),
        30.0, None, None, frozenset("AB"), 40.0, 20.0,
    )  # fmt: skip
    assert frames.profile_columns(model) == {"account.employees", "contact.properties"}
    assert frames.event_columns(model) == {"event.type", "event.name", "event.path"}


@pytest.mark.parametrize(("grade", "interest", "quadrant"), [("A", 40.0, "ready"), ("B", 39.99, "nurture"),
                                                              ("C", 40.0, "check_fit"), ("D", 0.0, "low")])  # fmt: skip
def test_quadrant_expr(grade, interest, quadrant):
    model = domain.Model((), (60.0, 40.0, 20.0), (), (), 30.0, None, None, frozenset("AB"), 40.0, 20.0)
    frame = pl.DataFrame({"fit_grade": [grade], "interest": [interest]})
    assert frame.select(frames.quadrant_expr(model)).item() == quadrant == model.quadrant(grade, interest).value


# ------------------------------------------------------------------ the stage rules

DEFAULT_PLAYBOOK = parse((Path(__file__).parents[2] / "playbook" / "default.yaml").read_text())
STAGE_KEYS = ["", *(s.key for s in DEFAULT_PLAYBOOK.stages)]
QUALIFICATION_ROW = st.fixed_dictionaries(
    {
        "contact.stage": st.sampled_from(STAGE_KEYS),
        "contact.email": st.sampled_from([None, "", "a@b.example"]),
        "contact.consent": st.sampled_from([None, True, False]),
        "contact.forms_submitted": st.integers(0, 2),
        "contact.open_deals": st.integers(0, 2),
        "contact.won_deals": st.integers(0, 1),
        "score.grade": st.sampled_from(["A", "B", "C", "D"]),
        "score.interest": st.sampled_from([0.0, 39.99, 40.0, 120.5]),
    }
)


@settings(max_examples=300)
@given(rows=st.lists(QUALIFICATION_ROW, min_size=1, max_size=20))
def test_rule_target_expr_is_whether_rule_target_finds_a_stage(rows):
    frame = pl.DataFrame(
        rows,
        schema={
            "contact.stage": pl.String,
            "contact.email": pl.String,
            "contact.consent": pl.Boolean,
            "contact.forms_submitted": pl.Int64,
            "contact.open_deals": pl.Int64,
            "contact.won_deals": pl.Int64,
            "score.grade": pl.String,
            "score.interest": pl.Float64,
        },
    )
    assert frames.rule_columns(DEFAULT_PLAYBOOK) <= set(frame.columns)
    expr = frames.rule_target_expr(DEFAULT_PLAYBOOK, frame["contact.stage"].unique().to_list())
    got = frame.select(expr.alias("hit"))["hit"].to_list()
    targets = [rule_target(DEFAULT_PLAYBOOK, from_key=row["contact.stage"] or None, facts=row) for row in rows]
    assert got == [target is not None for target in targets]
    for key in ("subscriber", "lead", "mql"):
        to = frames.rule_target_expr(DEFAULT_PLAYBOOK, frame["contact.stage"].unique().to_list(), to=key)
        assert frame.select(to.alias("hit"))["hit"].to_list() == [t is not None and t.key == key for t in targets]
