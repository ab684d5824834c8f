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
Text columns may be categorical: a comparison then runs once per category (`distinct_values`).

The pieces, in the order a rescore uses them:

- `condition_expr(condition, kinds)`: a condition of the playbook as a Boolean expression;
  `columns_of(condition)` the columns it reads.
- `event_hits(model, events)`: (contact_id, rule, day) per event and interest rule it matches;
  `event_columns(model)` the event columns to load; `count_hits` aggregates hits.
- `interest_frame(model, hits, today)`: per contact, the interest state and score of
  `domain.recompute` and `Model.value`; `value_expr` that score from a stored (mass, anchor).
- `fit_frame(model, profiles)`: per contact, what `Model.fit` gives; `profile_columns(model)`
  the profile columns to load; `quadrant_expr` the quadrant.
- `rule_target_expr(playbook, stages)`: whether a stage rule would move a contact now (as
  `lifecycle.domain.rule_target` decides); `rule_columns(playbook)` the columns it reads.

Pure: Polars, NumPy and the domain modules; no Django, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

import numpy as np
import orjson
import polars as pl

from accord.lifecycle import domain as lifecycle
from accord.playbook.domain import conditions
from accord.playbook.domain.conditions import FieldType, Op
from accord.playbook.domain.document import Playbook, Stage
from accord.playbook.domain.vocabulary import EVENT, PROFILE, QUALIFICATION
from accord.scoring import domain

# Python's str.strip() removes exactly these characters (str.isspace); Polars must strip the same.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
PROPERTY_COLUMNS = ("contact.properties", "account.properties", "event.properties")
PROFILE_KINDS: Mapping[str, FieldType] = PROFILE.fields
EVENT_KINDS: Mapping[str, FieldType] = EVENT.fields
QUALIFICATION_KINDS: Mapping[str, FieldType] = QUALIFICATION.fields

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


def condition_expr(
    condition: Mapping[str, Any],
    kinds: Mapping[str, FieldType],
    *,
    distinct: Mapping[str, pl.Series] | None = None,
) -> pl.Expr:
    """A Boolean expression (never null) that holds on exactly the rows where
    `conditions.evaluate(condition, facts)` holds, for a validated `condition`.

    `kinds` gives the kind of each fact column the condition names (`FieldType.TEXT` for a String
    or Categorical column, `NUMBER` for an integer or float column, `BOOL` for a Boolean column,
    `ANY` for a column of Python values of any type). Facts under a properties prefix need no
    entry: they are read from the prefix's JSON text column (null meaning no properties).

    `distinct` may give the distinct values of some columns (as `distinct_values` finds them):
    each comparison on such a column is then decided once per value, here, and becomes a plain
    membership test — much faster on a large categorical column.
    """
    if "all" in condition:
        parts = [condition_expr(part, kinds, distinct=distinct) for part in condition["all"]]
        return pl.all_horizontal(parts) if parts else _constant(True)
    if "any" in condition:
        parts = [condition_expr(part, kinds, distinct=distinct) for part in condition["any"]]
        return pl.any_horizontal(parts) if parts else _constant(False)
    if "not" in condition:
        return ~condition_expr(condition["not"], kinds, distinct=distinct)
    return _leaf(condition["field"], Op(condition["op"]), condition.get("value"), kinds, distinct or {})


def distinct_values(frame: pl.DataFrame) -> dict[str, pl.Series]:
    """The distinct values of each categorical column of `frame`, for `condition_expr`."""
    return {name: frame.get_column(name).unique() for name, dtype in frame.schema.items() if _is_categorical(dtype)}


def _is_categorical(dtype: Any) -> bool:
    return isinstance(dtype, _CATEGORICAL) or dtype in _CATEGORICAL


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


def _leaf(
    name: str, op: Op, expected: Any, kinds: Mapping[str, FieldType], distinct: Mapping[str, pl.Series]
) -> pl.Expr:
    properties = _property_column(name)
    test: SeriesTest
    if properties is not None:
        column = properties
        test = partial(_property_test, column=properties, name=name, op=op, expected=expected)
    else:
        kind = kinds.get(name)
        if kind is None:
            raise ValueError(f"no kind is known for the fact {name!r}")
        column = name
        if kind is FieldType.TEXT:
            test = partial(_text_test, op=op, expected=expected)
        elif kind is FieldType.NUMBER:
            test = partial(_number_test, op=op, expected=expected)
        else:
            test = partial(_python_test, op=op, expected=expected)
    if column in distinct:
        return _membership(column, distinct[column], test)
    return _values(column, test)


def _membership(column: str, values: pl.Series, test: SeriesTest) -> pl.Expr:
    """The test decided on each distinct value of the column, then looked up by membership."""
    text = values.cast(pl.String) if _is_categorical(values.dtype) else values
    answers = test(text).fill_null(False)
    matching = text.filter(answers & text.is_not_null()).to_list()
    on_null = bool(test(pl.Series([None], dtype=text.dtype)).fill_null(False).item())
    return pl.col(column).is_in(matching).fill_null(on_null)


def _values(column: str, test: SeriesTest) -> pl.Expr:
    """Apply a Series → Boolean Series test to a column; on a categorical column, once per category."""

    def run(series: pl.Series) -> pl.Series:
        if series.len() == 0:
            return pl.Series(series.name, [], dtype=pl.Boolean)
        if _is_categorical(series.dtype):
            values = series.unique().cast(pl.String)
            answers = test(values).fill_null(False)
            matching = values.filter(answers & values.is_not_null()).to_list()
            on_null = bool(answers.filter(values.is_null()).any())
            return _is_in(series, matching, on_null)
        return test(series).fill_null(False)

    return pl.col(column).map_batches(run, return_dtype=pl.Boolean, is_elementwise=True)


def _is_in(series: pl.Series, matching: list[Any], on_null: bool) -> pl.Series:
    return series.to_frame("v").select(pl.col("v").is_in(matching).fill_null(on_null)).to_series()


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
    distinct = distinct_values(events)
    matches = [rule_expr(rule, distinct=distinct).alias(f"_rule{i}") for i, rule in enumerate(model.interest_rules)]
    flagged = events.select(pl.col("contact_id").cast(pl.Int64), day.alias("day"), *matches)
    parts = [
        flagged.filter(pl.col(f"_rule{index}")).select("contact_id", pl.lit(index, dtype=pl.Int32).alias("rule"), "day")
        for index in range(len(model.interest_rules))
    ]
    return pl.concat(parts, how="vertical")


def count_hits(hits: pl.DataFrame) -> pl.DataFrame:
    """Hits aggregated per (contact, rule, day) with a `count` column: what `interest_frame` needs,
    smaller. Counts add up, so blocks of events can be counted apart and their counts summed."""
    if "count" in hits.columns:
        return hits.group_by("contact_id", "rule", "day").agg(pl.col("count").sum())
    return hits.group_by("contact_id", "rule", "day").agg(pl.len().cast(pl.Int64).alias("count"))


def _day_of(dtype: pl.DataType) -> pl.Expr:
    stamp = pl.col("timestamp")
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        stamp = stamp.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return stamp.dt.date().cast(pl.Int32)


def rule_expr(rule: domain.InterestRule, *, distinct: Mapping[str, pl.Series] | None = None) -> pl.Expr:
    """Whether an event row matches one interest rule: its event type or track name, and `when`.
    `distinct` as for `condition_expr`."""
    distinct = distinct or {}
    if rule.event in domain.EVENT_TYPES:
        wanted_type = rule.event
        kind = _column_test("event.type", lambda s: s == wanted_type, distinct)
    else:
        wanted = rule.event.casefold()
        named = _column_test("event.name", lambda s: _casefold(s.fill_null("")) == wanted, distinct)
        kind = _column_test("event.type", lambda s: s == "track", distinct) & named
    if rule.when is None:
        return kind
    return kind & condition_expr(rule.when, EVENT_KINDS, distinct=distinct)


def _column_test(column: str, test: SeriesTest, distinct: Mapping[str, pl.Series]) -> pl.Expr:
    return _membership(column, distinct[column], test) if column in distinct else _values(column, test)


def interest_frame(model: domain.Model, hits: pl.DataFrame, today: int, *, key_order: str = "sorted") -> pl.DataFrame:
    """Per contact with hits that still count on `today`: the interest state and score
    `domain.recompute` and `Model.value` give — contact_id, mass, anchor, caps (the JSON text of
    `Interest.as_json()`, no spaces) and interest.

    `hits` has contact_id, rule and day, one row per (event, rule), as `event_hits` gives; or,
    pre-aggregated, a `count` column with the number of such matches the row stands for.
    Contacts without a row have no interest: mass 0, no anchor, caps "{}", interest 0.0.
    Integers are Int64: a mass beyond 2^63 could not be stored in the database either.
    The caps' keys are sorted as `as_json` sorts them; `key_order="jsonb"` sorts them as
    PostgreSQL prints a jsonb value instead (shorter keys first), to compare with stored text.
    """
    rules = model.interest_rules
    if not rules or hits.is_empty():
        return pl.DataFrame(schema=INTEREST_SCHEMA)
    counted = pl.col("count").cast(pl.Int64) if "count" in hits.columns else pl.lit(1, dtype=pl.Int64)
    live = hits.select(
        pl.col("contact_id").cast(pl.Int64),
        pl.col("rule").cast(pl.Int32),
        pl.col("day").cast(pl.Int64),
        counted.alias("count"),
    )
    if model.expire_after_days is not None:
        live = live.filter(pl.col("day") > today - model.expire_after_days)
    if live.is_empty():
        return pl.DataFrame(schema=INTEREST_SCHEMA)
    points = pl.Series([r.points for r in rules], dtype=pl.Int64)
    limits = pl.Series(
        [min(r.max_per_day, domain.BUCKET_LIMIT) if r.max_per_day is not None else domain.BUCKET_LIMIT for r in rules],
        dtype=pl.Int64,
    )
    # Rules in the order their keys take in the caps' JSON (the capped ones first): then each
    # contact's rows below come in that order too, and its caps need no sorting.
    order = _caps_order(model, key_order)
    rule = pl.col("rule")
    # One row per (contact, rule, day), sorted so: the buckets of `recompute`.
    buckets = _grouped(live, order).with_columns(
        (pl.lit(points).gather(rule) * pl.col("count"))
        .clip(-pl.lit(limits).gather(rule), pl.lit(limits).gather(rule))
        .alias("bucket")
    )
    # `buckets` is sorted by contact: each contact's rows are one run, starting at `starts`
    starts = buckets.select(pl.col("contact_id").is_first_distinct().arg_true())["contact_id"].to_numpy()
    contacts = buckets["contact_id"].gather(starts)
    days = buckets["day"].to_numpy()
    run = pl.col("contact_id").rle_id()  # the contact's number among those here, for each row
    if model.half_life_days is not None:
        step = model.anchor_step
        half_life = model.half_life_days
        latest = pl.Series(np.maximum.reduceat(days, starts), dtype=pl.Int64)
        anchors = -((-latest) // step) * step  # Python's floor division, as `Model.anchor_for`
        buckets = buckets.with_columns(pl.lit(anchors).gather(run).alias("anchor"))
        weight = _lookup(buckets["day"] - buckets["anchor"], lambda o: domain.weight(o, half_life), pl.Int64)
    else:
        anchors = pl.Series(np.minimum.reduceat(days, starts), dtype=pl.Int64)
        weight = pl.Series(values=[domain.ONE], dtype=pl.Int64).extend_constant(domain.ONE, buckets.height - 1)
    weighted = (buckets["bucket"] * weight).to_numpy()
    masses = pl.DataFrame(
        {
            "contact_id": contacts,
            "mass": pl.Series(np.add.reduceat(weighted, starts), dtype=pl.Int64),
            "anchor": anchors,
        }
    )
    found = masses.join(_caps(model, buckets, order), on="contact_id", how="left", maintain_order="left")
    scored = found.with_columns(pl.col("caps").fill_null(NO_CAPS), value_expr(model, today).alias("interest"))
    return scored.select(list(INTEREST_SCHEMA))


def _caps_order(model: domain.Model, key_order: str) -> list[int]:
    """The rule indexes in the order of their keys in a caps JSON object, the capped rules first:
    as `Interest.as_json` sorts them, or as PostgreSQL prints jsonb (shorter keys first, then
    bytewise)."""
    rules = model.interest_rules

    def sort_key(index: int) -> tuple[Any, ...]:
        key = rules[index].key.encode()
        return (len(key), key) if key_order == "jsonb" else (key,)

    capped = sorted((i for i, r in enumerate(rules) if r.max_per_day is not None), key=sort_key)
    return capped + [i for i, r in enumerate(rules) if r.max_per_day is None]


def _grouped(live: pl.DataFrame, order: list[int]) -> pl.DataFrame:
    """contact_id, rule, day and the summed count of each (contact, rule, day), sorted by the
    contact, the rule's place in `order`, and the day.

    The three are packed into one integer key when they fit (sorting and counting one integer is
    much faster than grouping by three columns), and unpacked after."""
    rules = len(order)
    low_day, high_day = int(live["day"].min()), int(live["day"].max())  # type: ignore[arg-type]
    low_id, high_id = int(live["contact_id"].min()), int(live["contact_id"].max())  # type: ignore[arg-type]
    span = high_day - low_day + 1
    place = pl.Series([order.index(i) for i in range(rules)], dtype=pl.Int64)  # rule index -> its place
    ranked = live.with_columns(pl.lit(place).gather(pl.col("rule")).alias("place"))
    if (high_id - low_id + 1) * rules * span >= 1 << 62:
        grouped = ranked.group_by("contact_id", "place", "day").agg(pl.col("count").sum())
        return grouped.sort("contact_id", "place", "day").select(
            "contact_id", pl.lit(pl.Series(order, dtype=pl.Int32)).gather(pl.col("place")).alias("rule"), "day", "count"
        )
    key = ((pl.col("contact_id") - low_id) * rules + pl.col("place")) * span + (pl.col("day") - low_day)
    if live["count"].min() == 1 and live["count"].max() == 1:
        # one row per hit: the counts are the lengths of the runs of equal keys once sorted
        runs = ranked.select(key.alias("key"))["key"].sort().rle().struct.unnest()
        packed = runs.select(pl.col("value").alias("key"), pl.col("len").cast(pl.Int64).alias("count"))
    else:
        packed = (
            ranked.select(key.alias("key"), "count")
            .sort("key")
            .group_by(pl.col("key").set_sorted(), maintain_order=True)
            .agg(pl.col("count").sum())
        )
    return packed.select(
        (pl.col("key") // (rules * span) + low_id).alias("contact_id"),
        pl.lit(pl.Series(order, dtype=pl.Int32)).gather(pl.col("key") // span % rules).alias("rule"),
        (pl.col("key") % span + low_day).alias("day"),
        "count",
    )


def _caps(model: domain.Model, buckets: pl.DataFrame, order: list[int]) -> pl.DataFrame:
    """contact_id and the JSON text of the caps of each contact with a capped rule's hits: for each
    capped rule, its latest day and how many events matched that day. `buckets` is sorted by
    contact, then by rule in `order`, then by day."""
    rules = model.interest_rules
    capped = [index for index in order if rules[index].max_per_day is not None]  # in the keys' order
    if not capped:
        return pl.DataFrame(schema={"contact_id": pl.Int64, "caps": pl.String})
    names = pl.Series([orjson.dumps(r.key).decode() for r in rules], dtype=pl.String)
    rule = pl.col("rule")
    # each (contact, rule)'s latest day is its last row
    last = (pl.col("contact_id") != pl.col("contact_id").shift(-1)) | (rule != rule.shift(-1))
    latest = buckets.filter(rule.is_in(capped)).filter(last.fill_null(True))
    entries = latest.select(
        "contact_id",
        "rule",
        pl.col("contact_id").rle_id().alias("run"),
        pl.format("{}:[{},{}]", pl.lit(names).gather(rule), pl.col("day"), pl.col("count")).alias("entry"),
    )
    contacts = entries.filter(pl.col("contact_id").is_first_distinct())["contact_id"]
    # one column per capped rule, in the keys' order: its entry, or null for contacts without it
    columns = []
    for index in capped:
        own = entries.filter(pl.col("rule") == index)
        column = pl.repeat(None, contacts.len(), dtype=pl.String, eager=True)
        columns.append(column.scatter(own["run"], own["entry"]).alias(f"_{index}"))
    text = pl.DataFrame(columns).select(pl.concat_str(pl.all(), separator=",", ignore_nulls=True))
    return pl.DataFrame({"contact_id": contacts, "caps": "{" + text.to_series() + "}"})


def value_expr(model: domain.Model, today: int, *, mass: str = "mass", anchor: str = "anchor") -> pl.Expr:
    """`Model.value(mass, anchor, today)` of every row, bit for bit: the clamped interest score."""
    if model.half_life_days is not None:
        half_life = model.half_life_days
        factor = _map_ints(pl.col(anchor) - today, lambda o: domain.factor(o, half_life), pl.Float64)
    else:
        factor = pl.lit(1.0 / domain.ONE, dtype=pl.Float64)
    raw = (pl.col(mass).cast(pl.Float64) * factor).map_batches(_snap, return_dtype=pl.Float64, is_elementwise=True)
    ceiling = model.max_points if model.max_points is not None else math.inf
    value = pl.when(raw <= 0).then(pl.lit(0.0)).when(raw > ceiling).then(pl.lit(ceiling)).otherwise(raw)
    return pl.when(pl.col(anchor).is_null() | (pl.col(mass) == 0)).then(pl.lit(0.0)).otherwise(value)


def _snap(series: pl.Series) -> pl.Series:
    """`domain.snap` with NumPy: the same IEEE operations, so the same bits (Polars may turn a
    division by a constant into a multiplication by its reciprocal, which rounds differently)."""
    values = series.to_numpy()
    return pl.Series(series.name, np.floor(values * 100.0 + 0.5) / 100.0, dtype=pl.Float64)


def _map_ints(expr: pl.Expr, function: Callable[[int], Any], dtype: type[pl.DataType]) -> pl.Expr:
    """`function` of every value of an integer expression, computed once per distinct value."""
    return expr.map_batches(lambda s: _lookup(s, function, dtype), return_dtype=dtype, is_elementwise=True)


LOOKUP_SPAN = 1 << 20  # integer ranges up to this wide are mapped through a table


def _lookup(series: pl.Series, function: Callable[[int], Any], dtype: type[pl.DataType]) -> pl.Series:
    """`function` of every value of an integer series: through a table indexed by value when the
    values lie close together (day offsets do), else once per distinct value."""
    if series.len() == 0 or series.null_count() == series.len():
        return pl.Series(series.name, [None] * series.len(), dtype=dtype)
    low, high = int(series.min()), int(series.max())  # type: ignore[arg-type]
    if high - low < LOOKUP_SPAN:
        # a table from low to high, filled in for the values present only
        present = (series.unique().drop_nulls() - low).to_list()
        table: list[Any] = [None] * (high - low + 1)
        for offset in present:
            table[offset] = function(offset + low)
        return pl.Series(table, dtype=dtype).gather(series.cast(pl.Int64) - low).alias(series.name)
    distinct = series.unique().drop_nulls()
    answers = pl.Series([function(int(v)) for v in distinct.to_list()], dtype=dtype)
    return series.replace_strict(distinct, answers, default=None, return_dtype=dtype)


# --------------------------------------------------------------------------- fit and quadrant


def fit_frame(model: domain.Model, profiles: pl.DataFrame) -> pl.DataFrame:
    """contact_id, fit_score, fit_grade and persona of every profile row, as `Model.fit` gives them.

    `profiles` has `contact_id` and the profile fact columns the fit rules and personas read
    (see `profile_columns`), kinds as in `vocabulary.PROFILE`; text columns may be categorical.
    """
    distinct = distinct_values(profiles)
    return profiles.select(
        pl.col("contact_id").cast(pl.Int64),
        fit_score_expr(model, distinct=distinct).alias("fit_score"),
        persona_expr(model, distinct=distinct).alias("persona"),
    ).select("contact_id", "fit_score", grade_expr(model, "fit_score").alias("fit_grade"), "persona")


# The scores of scored rows (`fit_frame`, `interest_frame`, `quadrant_expr`) by the facts conditions
# name them; the first three are fit's.
SCORE_COLUMNS: Mapping[str, str] = {
    "score.fit": "fit_score",
    "score.grade": "fit_grade",
    "contact.persona": "persona",
    "score.interest": "interest",
    "score.quadrant": "quadrant",
}
FIT_FACTS = ("score.fit", "score.grade", "contact.persona")


def score_facts(*names: str) -> list[pl.Expr]:
    """The score columns as the facts in `names` (default: all of them), for the stage rules."""
    return [pl.col(SCORE_COLUMNS[name]).alias(name) for name in names or SCORE_COLUMNS]


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


def fit_score_expr(model: domain.Model, *, distinct: Mapping[str, pl.Series] | None = None) -> pl.Expr:
    """The sum of the points of the fit rules that hold (Int64)."""
    if not model.fit_rules:
        return pl.lit(0, dtype=pl.Int64)
    terms = [
        pl.when(condition_expr(rule.when, PROFILE_KINDS, distinct=distinct))
        .then(pl.lit(rule.points, dtype=pl.Int64))
        .otherwise(0)
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


def persona_expr(model: domain.Model, *, distinct: Mapping[str, pl.Series] | None = None) -> pl.Expr:
    """The key of the first persona whose description holds, else ""."""
    chosen: Any = None
    for persona in model.personas:
        test = condition_expr(persona.match, PROFILE_KINDS, distinct=distinct)
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


# --------------------------------------------------------------------------- the stage rules


def rule_columns(playbook: Playbook) -> set[str]:
    """The columns `rule_target_expr` reads: the contact's stage and what the entry criteria read."""
    found = {"contact.stage"}
    for stage in playbook.funnel:
        found |= columns_of(playbook.entry_condition(stage))
    return found


def rule_target_expr(
    playbook: Playbook,
    from_keys: Iterable[str],
    *,
    distinct: Mapping[str, pl.Series] | None = None,
    to: str | None = None,
) -> pl.Expr:
    """Whether `lifecycle.domain.rule_target` finds a stage to move the row's contact to: a funnel
    stage with entry criteria that hold, reached by a rule's advance from the contact's stage.
    With `to` (a stage key), whether the stage it finds is that one (the furthest that holds).

    The row has "contact.stage" ("" for none, one of `from_keys`) and the facts of
    `vocabulary.QUALIFICATION` the criteria read, the scores among them ("score.fit"…).
    `distinct` as for `condition_expr`.
    """
    keys = sorted(set(from_keys))
    terms: list[tuple[str, pl.Expr]] = []
    for stage in playbook.funnel:
        condition = playbook.entry_condition(stage)
        if condition is None:
            continue
        allowed = [key for key in keys if _advances_by_rule(playbook, key or None, stage)]
        if allowed:
            from_allowed = pl.col("contact.stage").is_in(allowed).fill_null(False)
            terms.append((stage.key, from_allowed & condition_expr(condition, QUALIFICATION_KINDS, distinct=distinct)))
    if to is not None:
        found = [index for index, (key, _) in enumerate(terms) if key == to]
        if not found:
            return _constant(False)
        later = [holds for _, holds in terms[found[0] + 1 :]]
        return terms[found[0]][1] & ~pl.any_horizontal(later) if later else terms[found[0]][1]
    return pl.any_horizontal([holds for _, holds in terms]) if terms else _constant(False)


def _advances_by_rule(playbook: Playbook, from_key: str | None, stage: Stage) -> bool:
    if stage.key == from_key:
        return False
    try:
        row = lifecycle.transition(playbook, from_key, stage.key)
    except lifecycle.IllegalMove:
        return False
    return row.kind is lifecycle.MoveKind.ADVANCE and row.by_rule
