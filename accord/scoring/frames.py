"""The scoring rules over whole tables at once: Polars expressions equal to `domain`, value for value.

`domain` scores one contact at a time; a full rescore (a new playbook version, `accord score
rescore`) and the backtest score everyone. This module states the same rules over columns, so a
million contacts take seconds instead of an hour, and gives *exactly* what `domain` gives: the
same integers (fit score, interest mass and anchor, the daily caps) and the same floats (the
interest score, bit for bit). Where Python's semantics have no exact Polars equivalent (Unicode
case folding, Python's number parsing, JSON properties of any type), the Python function of
`playbook.domain.conditions` is applied once per *distinct* value and the answers mapped back, so
exactness never depends on an approximation. The weights and decay factors are computed by
`domain.weight` / `domain.factor` on the distinct day offsets and mapped, for the same reason.

Columns are named by the facts the rules read: "contact.title", "account.employees",
"event.path"… A column's kind (text, number, true/false) is given by a `kinds` mapping such as
`vocabulary.PROFILE.fields`. A fact under "contact.properties.", "account.properties." or
"event.properties." is read from the JSON text column named by the prefix ("contact.properties").

Pure: Polars, NumPy and the domain modules; no Django, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import polars as pl

from accord.playbook.domain import conditions
from accord.playbook.domain.conditions import FieldType, Op
from accord.playbook.domain.vocabulary import EVENT, PROFILE
from accord.scoring import domain

# Python's str.strip() removes exactly these characters (str.isspace); Polars must strip the same.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
PROPERTY_COLUMNS = ("contact.properties", "account.properties", "event.properties")
PROFILE_KINDS: Mapping[str, FieldType] = PROFILE.fields
EVENT_KINDS: Mapping[str, FieldType] = EVENT.fields

INTEREST_SCHEMA: dict[str, pl.DataType] = {
    "contact_id": pl.Int64(),
    "mass": pl.Int64(),
    "anchor": pl.Int64(),
    "caps": pl.String(),
    "interest": pl.Float64(),
}
HITS_SCHEMA: dict[str, pl.DataType] = {"contact_id": pl.Int64(), "rule": pl.Int32(), "day": pl.Int32()}
NO_CAPS = "{}"  # the caps of a contact without capped hits, as `Interest().as_json()` in JSON

_NEGATION = {Op.NE: Op.EQ, Op.NOT_IN: Op.IN, Op.NOT_CONTAINS: Op.CONTAINS}
_NUMERIC = {Op.LT, Op.LTE, Op.GT, Op.GTE}
_CATEGORICAL = (pl.Categorical, pl.Enum)

SeriesTest = Callable[[pl.Series], pl.Series]


# --------------------------------------------------------------------------- conditions


def condition_expr(condition: Mapping[str, Any], kinds: Mapping[str, FieldType]) -> pl.Expr:
    """A Boolean expression (never null) that holds on exactly the rows where
    `conditions.evaluate(condition, facts)` holds, for a validated `condition`.

    `kinds` gives the kind of each fact column the condition names (`FieldType.TEXT` for a String
    or Categorical column, `NUMBER` for an integer or float column, `BOOL` for a Boolean column,
    `ANY` for a column of Python values of any type). Facts under a properties prefix need no
    entry: they are read from the prefix's JSON text column (null meaning no properties).
    """
    if "all" in condition:
        parts = [condition_expr(part, kinds) for part in condition["all"]]
        return pl.all_horizontal(parts) if parts else _constant(True)
    if "any" in condition:
        parts = [condition_expr(part, kinds) for part in condition["any"]]
        return pl.any_horizontal(parts) if parts else _constant(False)
    if "not" in condition:
        return ~condition_expr(condition["not"], kinds)
    return _leaf(condition["field"], Op(condition["op"]), condition.get("value"), kinds)


def _constant(value: bool) -> pl.Expr:
    """A condition that always (or never) holds, one value per row like any other condition."""
    return pl.repeat(value, pl.len(), dtype=pl.Boolean)


def columns_of(condition: Mapping[str, Any] | None) -> set[str]:
    """The fact columns a condition reads (property facts read their prefix's JSON column)."""
    found: set[str] = set()
    if condition is None:
        return found
    if "all" in condition or "any" in condition:
        for part in condition.get("all", condition.get("any", [])):
            found |= columns_of(part)
    elif "not" in condition:
        found |= columns_of(condition["not"])
    else:
        name = condition["field"]
        found.add(_property_column(name) or name)
    return found


def _property_column(name: str) -> str | None:
    for column in PROPERTY_COLUMNS:
        if name.startswith(column + ".") and len(name) > len(column) + 1:
            return column
    return None


def _leaf(name: str, op: Op, expected: Any, kinds: Mapping[str, FieldType]) -> pl.Expr:
    column = _property_column(name)
    if column is not None:
        return _values(column, lambda s: _property_test(s, column, name, op, expected))
    kind = kinds.get(name)
    if kind is None:
        raise ValueError(f"no kind is known for the fact {name!r}")
    if kind is FieldType.TEXT:
        return _values(name, lambda s: _text_test(s, op, expected))
    if kind is FieldType.NUMBER:
        return _values(name, lambda s: _number_test(s, op, expected))
    return _values(name, lambda s: _python_test(s, op, expected))


def _values(column: str, test: SeriesTest) -> pl.Expr:
    """Apply a Series → Boolean Series test to a column; on a categorical column, once per category."""

    def run(series: pl.Series) -> pl.Series:
        if series.len() == 0:
            return pl.Series(series.name, [], dtype=pl.Boolean)
        if isinstance(series.dtype, _CATEGORICAL):
            distinct = series.unique()
            answers = test(distinct.cast(pl.String)).fill_null(False)
            return series.replace_strict(distinct, answers, return_dtype=pl.Boolean)
        return test(series).fill_null(False)

    return pl.col(column).map_batches(run, return_dtype=pl.Boolean, is_elementwise=True)


def _python_test(series: pl.Series, op: Op, expected: Any) -> pl.Series:
    """`conditions.compare` itself, once per distinct value: exact for any column type."""
    return _per_value(series, lambda value: conditions.compare(value, op, expected))


def _per_value(series: pl.Series, answer: Callable[[Any], bool]) -> pl.Series:
    if series.len() == 0:
        return pl.Series(series.name, [], dtype=pl.Boolean)
    distinct = series.unique()
    answers = pl.Series([answer(value) for value in distinct.to_list()], dtype=pl.Boolean)
    return series.replace_strict(distinct, answers, return_dtype=pl.Boolean)


def _property_test(series: pl.Series, column: str, name: str, op: Op, expected: Any) -> pl.Series:
    """A property fact: parse each distinct JSON text and read it as `conditions.lookup` does."""

    def answer(text: str | None) -> bool:
        facts: dict[str, Any] = {}
        if text is not None:
            facts[column] = orjson.loads(text) or {}
        return conditions.compare(conditions.lookup(facts, name), op, expected)

    return _per_value(series.cast(pl.String), answer)


def _text_test(s: pl.Series, op: Op, expected: Any) -> pl.Series:
    """`compare` on a column of text (None or str), natively where Polars matches Python exactly."""
    empty = (s.is_null() | (s.str.strip_chars(PY_WHITESPACE) == "")).fill_null(True)
    if op is Op.IS_SET:
        return ~empty
    if op is Op.IS_NOT_SET:
        return empty
    if op in _NEGATION:
        return ~_text_test(s, _NEGATION[op], expected)
    if op is Op.EQ:
        hit = _text_equal(s, expected)
    elif op is Op.IN:
        texts = [conditions._fold(item) for item in expected if isinstance(item, str)]
        hit = _casefold(s).is_in(texts) if texts else _falses(s)
        for item in expected:
            if not isinstance(item, str):
                hit = hit | _text_equal(s, item)
    elif op in _NUMERIC:
        return _python_test(s, op, expected)  # Python's number parsing of text ("1,200", "1e3", "٣")
    elif op is Op.CONTAINS:
        hit = _casefold(s).str.contains(conditions._fold(expected), literal=True)
    elif op is Op.STARTS_WITH:
        hit = _casefold(s).str.starts_with(conditions._fold(expected))
    elif op is Op.ENDS_WITH:
        hit = _casefold(s).str.ends_with(conditions._fold(expected))
    else:  # pragma: no cover
        raise AssertionError(f"unhandled operator {op}")
    return (~empty & hit).fill_null(False)


def _text_equal(s: pl.Series, expected: Any) -> pl.Series:
    if isinstance(expected, bool):
        return _casefold(s.str.strip_chars(PY_WHITESPACE)) == ("true" if expected else "false")
    if isinstance(expected, str):
        return _casefold(s) == conditions._fold(expected)
    return _python_test(s, Op.EQ, expected)


def _casefold(s: pl.Series) -> pl.Series:
    """str.casefold() of every value: Polars lower-cases ASCII text, Python folds the rest."""
    lower = s.str.to_lowercase()
    odd = s.filter(s.str.len_bytes() != s.str.len_chars()).unique()
    if odd.len() == 0:
        return lower
    return s.replace_strict(odd, [v.casefold() for v in odd.to_list()], default=lower, return_dtype=pl.String)


def _number_test(s: pl.Series, op: Op, expected: Any) -> pl.Series:
    """`compare` on a column of numbers (None, int or float), natively for numeric literals."""
    if op is Op.IS_SET:
        return s.is_not_null()
    if op is Op.IS_NOT_SET:
        return s.is_null()
    if op in _NEGATION:
        return ~_number_test(s, _NEGATION[op], expected)
    if op is Op.IN:
        hit = _falses(s)
        for item in expected:
            hit = hit | _number_test(s, Op.EQ, item)
        return hit
    if (op is Op.EQ or op in _NUMERIC) and _exact_float(expected):
        number = s.cast(pl.Float64)
        limit = float(expected)
        if op is Op.EQ:
            hit = number == limit
        elif op is Op.LT:
            hit = number < limit
        elif op is Op.LTE:
            hit = number <= limit
        elif op is Op.GT:
            hit = number > limit
        else:
            hit = number >= limit
        return (number.is_finite() & hit).fill_null(False)
    return _python_test(s, op, expected)


def _falses(s: pl.Series) -> pl.Series:
    return pl.repeat(False, s.len(), dtype=pl.Boolean, eager=True)


def _exact_float(value: Any) -> bool:
    """A number literal Polars compares as Python does: a finite float or an int a float holds exactly."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and float(value) == value


# --------------------------------------------------------------------------- interest


def event_hits(model: domain.Model, events: pl.DataFrame) -> pl.DataFrame:
    """(contact_id, rule, day) for every event and every interest rule that matches it, as
    `InterestRule.matches` decides; `rule` indexes `model.interest_rules`.

    `events` has `contact_id`, either `day` (days since 1970-01-01) or `timestamp` (a Datetime;
    naive means UTC), "event.type", "event.name" and the event fact columns the rules' `when`
    conditions read. Text columns may be String or Categorical (categorical is faster: each
    condition runs once per category).
    """
    if not model.interest_rules or events.is_empty():
        return pl.DataFrame(schema=HITS_SCHEMA)
    day = pl.col("day").cast(pl.Int32) if "day" in events.columns else _day_of(events.schema["timestamp"])
    matches = [rule_expr(rule).alias(f"_rule{index}") for index, rule in enumerate(model.interest_rules)]
    flagged = events.select(pl.col("contact_id").cast(pl.Int64), day.alias("day"), *matches)
    parts = [
        flagged.filter(pl.col(f"_rule{index}")).select("contact_id", pl.lit(index, dtype=pl.Int32).alias("rule"), "day")
        for index in range(len(model.interest_rules))
    ]
    return pl.concat(parts, how="vertical")


def _day_of(dtype: pl.DataType) -> pl.Expr:
    stamp = pl.col("timestamp")
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        stamp = stamp.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return stamp.dt.date().cast(pl.Int32)


def rule_expr(rule: domain.InterestRule) -> pl.Expr:
    """Whether an event row matches one interest rule: its event type or track name, and `when`."""
    if rule.event in domain.EVENT_TYPES:
        wanted_type = rule.event
        kind = _values("event.type", lambda s: s == wanted_type)
    else:
        wanted = rule.event.casefold()
        named = _values("event.name", lambda s: _casefold(s.fill_null("")) == wanted)
        kind = _values("event.type", lambda s: s == "track") & named
    if rule.when is None:
        return kind
    return kind & condition_expr(rule.when, EVENT_KINDS)


def interest_frame(model: domain.Model, hits: pl.DataFrame, today: int) -> pl.DataFrame:
    """Per contact with hits that still count on `today`: the interest state and score
    `domain.recompute` and `Model.value` give — contact_id, mass, anchor, caps (the JSON text of
    `Interest.as_json()`, keys sorted, no spaces) and interest.

    Contacts without a row have no interest: mass 0, no anchor, caps "{}", interest 0.0.
    Integers are Int64: a mass beyond 2^63 could not be stored in the database either.
    """
    rules = model.interest_rules
    if not rules or hits.is_empty():
        return pl.DataFrame(schema=INTEREST_SCHEMA)
    table = pl.DataFrame(
        {
            "rule": list(range(len(rules))),
            "points": [r.points for r in rules],
            "limit": [
                min(r.max_per_day, domain.BUCKET_LIMIT) if r.max_per_day is not None else domain.BUCKET_LIMIT
                for r in rules
            ],
            "capped": [r.max_per_day is not None for r in rules],
            "key": [r.key for r in rules],
            "key_json": [orjson.dumps(r.key).decode() for r in rules],
        },
        schema={
            "rule": pl.Int32,
            "points": pl.Int64,
            "limit": pl.Int64,
            "capped": pl.Boolean,
            "key": pl.String,
            "key_json": pl.String,
        },
    ).lazy()
    live = hits.lazy().select(pl.col("contact_id").cast(pl.Int64), pl.col("rule").cast(pl.Int32), pl.col("day"))
    live = live.with_columns(pl.col("day").cast(pl.Int64))
    if model.expire_after_days is not None:
        live = live.filter(pl.col("day") > today - model.expire_after_days)
    buckets = (
        live.group_by("contact_id", "rule", "day")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .join(table, on="rule", how="left")
        .with_columns((pl.col("points") * pl.col("count")).clip(-pl.col("limit"), pl.col("limit")).alias("bucket"))
    )
    if model.half_life_days is not None:
        step = model.anchor_step
        anchor = (-((-pl.col("day").max()).floordiv(step)) * step).alias("anchor")
    else:
        anchor = pl.col("day").min().alias("anchor")
    anchors = buckets.group_by("contact_id").agg(anchor)
    buckets = buckets.join(anchors, on="contact_id", how="left")
    if model.half_life_days is not None:
        half_life = model.half_life_days
        offset = pl.col("day") - pl.col("anchor")
        weight = _map_ints(offset, lambda o: domain.weight(o, half_life), pl.Int64)
    else:
        weight = pl.lit(domain.ONE, dtype=pl.Int64)
    masses = buckets.group_by("contact_id").agg(
        (pl.col("bucket") * weight).sum().alias("mass"), pl.col("anchor").first()
    )
    latest = (
        buckets.filter(pl.col("capped"))
        .group_by("contact_id", "rule")
        .agg(
            pl.col("key").first(),
            pl.col("key_json").first(),
            pl.col("day").max(),
            pl.col("count").sort_by("day").last(),
        )
        .with_columns(pl.format("{}:[{},{}]", "key_json", "day", "count").alias("entry"))
        .group_by("contact_id")
        .agg(pl.col("entry").sort_by("key").str.join(",").alias("entries"))
    )
    found = (
        masses.join(latest, on="contact_id", how="left")
        .select(
            "contact_id",
            "mass",
            "anchor",
            pl.when(pl.col("entries").is_null())
            .then(pl.lit(NO_CAPS))
            .otherwise(pl.concat_str(pl.lit("{"), "entries", pl.lit("}")))
            .alias("caps"),
        )
        .collect()
    )
    return (
        found.with_columns(value_expr(model, today).alias("interest")).select(list(INTEREST_SCHEMA)).sort("contact_id")
    )


def value_expr(model: domain.Model, today: int, *, mass: str = "mass", anchor: str = "anchor") -> pl.Expr:
    """`Model.value(mass, anchor, today)` of every row, bit for bit: the clamped interest score."""
    if model.half_life_days is not None:
        half_life = model.half_life_days
        factor = _map_ints(pl.col(anchor) - today, lambda o: domain.factor(o, half_life), pl.Float64)
    else:
        factor = pl.lit(1.0 / domain.ONE, dtype=pl.Float64)
    raw = pl.col(mass).cast(pl.Float64) * factor
    ceiling = model.max_points if model.max_points is not None else math.inf
    value = pl.when(raw <= 0).then(pl.lit(0.0)).when(raw > ceiling).then(pl.lit(ceiling)).otherwise(raw)
    return pl.when(pl.col(anchor).is_null() | (pl.col(mass) == 0)).then(pl.lit(0.0)).otherwise(value)


def _map_ints(expr: pl.Expr, function: Callable[[int], Any], dtype: type[pl.DataType]) -> pl.Expr:
    """`function` of every value of an integer expression, computed once per distinct value."""

    def run(series: pl.Series) -> pl.Series:
        if series.len() == 0:
            return pl.Series(series.name, [], dtype=dtype)
        distinct = series.unique().drop_nulls()
        answers = pl.Series([function(int(v)) for v in distinct.to_list()], dtype=dtype)
        return series.replace_strict(distinct, answers, default=None, return_dtype=dtype)

    return expr.map_batches(run, return_dtype=dtype, is_elementwise=True)


# --------------------------------------------------------------------------- fit and quadrant


def fit_frame(model: domain.Model, profiles: pl.DataFrame) -> pl.DataFrame:
    """contact_id, fit_score, fit_grade and persona of every profile row, as `Model.fit` gives them.

    `profiles` has `contact_id` and the profile fact columns the fit rules and personas read
    (see `profile_columns`), kinds as in `vocabulary.PROFILE`.
    """
    return profiles.select(
        pl.col("contact_id").cast(pl.Int64),
        fit_score_expr(model).alias("fit_score"),
        persona_expr(model).alias("persona"),
    ).select("contact_id", "fit_score", grade_expr(model, "fit_score").alias("fit_grade"), "persona")


def profile_columns(model: domain.Model) -> set[str]:
    """The profile columns the fit rules and personas of `model` read."""
    found: set[str] = set()
    for rule in model.fit_rules:
        found |= columns_of(rule.when)
    for persona in model.personas:
        found |= columns_of(persona.match)
    return found


def event_columns(model: domain.Model) -> set[str]:
    """The event columns the interest rules of `model` read (always the type and the name)."""
    found = {"event.type", "event.name"}
    for rule in model.interest_rules:
        found |= columns_of(rule.when)
    return found


def fit_score_expr(model: domain.Model) -> pl.Expr:
    """The sum of the points of the fit rules that hold (Int64)."""
    if not model.fit_rules:
        return pl.lit(0, dtype=pl.Int64)
    terms = [
        pl.when(condition_expr(rule.when, PROFILE_KINDS)).then(pl.lit(rule.points, dtype=pl.Int64)).otherwise(0)
        for rule in model.fit_rules
    ]
    return pl.sum_horizontal(terms).cast(pl.Int64)


def grade_expr(model: domain.Model, score: str) -> pl.Expr:
    """`Model.grade` of an integer score column."""
    graded: Any = None
    for grade, threshold in zip(domain.GRADES, model.thresholds, strict=False):
        test = pl.col(score) >= threshold
        graded = pl.when(test).then(pl.lit(grade)) if graded is None else graded.when(test).then(pl.lit(grade))
    return graded.otherwise(pl.lit("D")) if graded is not None else pl.lit("D")


def persona_expr(model: domain.Model) -> pl.Expr:
    """The key of the first persona whose description holds, else ""."""
    chosen: Any = None
    for persona in model.personas:
        test = condition_expr(persona.match, PROFILE_KINDS)
        key = pl.lit(persona.key)
        chosen = pl.when(test).then(key) if chosen is None else chosen.when(test).then(key)
    return chosen.otherwise(pl.lit("")) if chosen is not None else pl.lit("")


def quadrant_expr(model: domain.Model, *, grade: str = "fit_grade", interest: str = "interest") -> pl.Expr:
    """`Model.quadrant(grade, interest)` of every row, as the quadrant's text value."""
    good = pl.col(grade).is_in(sorted(model.good_fit)).fill_null(False)
    high = pl.col(interest) >= model.high_interest
    return (
        pl.when(good & high)
        .then(pl.lit(domain.Quadrant.READY.value))
        .when(good)
        .then(pl.lit(domain.Quadrant.NURTURE.value))
        .when(high)
        .then(pl.lit(domain.Quadrant.CHECK_FIT.value))
        .otherwise(pl.lit(domain.Quadrant.LOW.value))
    )
