"""Replaying the history under a playbook: the day each contact would first have qualified, and
a draft's qualifications compared with the active version's. Pure: Polars frames in, frames and
plain values out; no Django, no database.

**Interest, day by day.** A contact's interest on day D is the scoring domain's: the sum over
(rule, day) buckets of the bucket's points (after the rule's daily cap) decayed to D — with a
half-life of h days ``points · 2^((d - D) / h)``, with an expiry window of N days the points of
the days ``D - N < d ≤ D`` in full — clamped to ``[0, max_points]``, read as the live engine
reads it (`Model.value` of the integer mass; `domain.curve` draws the same number on a
contact's page). Between two event days interest only fades, so the
days it is worth looking at are the days a contact earned (or lost) points: the replay evaluates
the MQL rule on those days, which is also when the live engine looks at a contact again.

**Fit** comes from the contact's current profile under the playbook: profile history is not
kept, so a contact who changed jobs is replayed with the job it has now. The other facts the MQL
rule reads (``contact.*``, ``account.*``) are the current ones for the same reason.

**Qualifying.** The MQL rule (``mql.when``) is evaluated with the replayed ``score.interest``,
``score.fit``, ``score.grade``, ``score.quadrant`` and ``contact.persona``. A contact *would
qualify* on the first day the rule holds, looking at events up to the end of the window; one
whose first day lies before the window *was already qualified* and is not counted again.

**Draft against active.** For the contacts who qualify within the window under at least one of
the two versions: *earlier*, *same day*, *later* (both qualify, by the draft's day against the
active version's), *new* (only the draft qualifies them, the active version never does by the
end of the window) and *dropped* (the active version qualifies them within the window, the draft
never does).

**Outcomes.** What actually happened to a contact is read from the stage history: it was
*accepted by sales* when it reached the first funnel stage sales owns (or any stage after it),
reached the *opportunity* stage (the funnel stage before the last, when that comes after the
accepted stage), or became a *customer* (reached the last funnel stage). An eventual customer is
a contact that reached the customer stage by today and was not one already before the window.

**Precision and recall** of a version: precision is the share of its MQLs within the window who
became customers (at any time up to today); recall is the share of the eventual customers it
qualified by the end of the window (within it, or already before it).

**How it scales.** Rules are evaluated once per distinct kind of event (`kinds_of`,
`kind_hits`), a day's points are counted with NumPy, and interest is replayed only for the
contacts the MQL rule can hold for at some interest score (`could_qualify`). Each day's score
is the live engine's: the integer mass of the contact's state that day (weights from
`Model.weight`, summed in int64) times `Model.factor`, snapped and clamped, so it is
`Model.value` to the last bit (a property test compares them with `==`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from accord.playbook.domain.document import Owner, Playbook
from accord.playbook.domain.vocabulary import QUALIFICATION, SCORE_FIELDS
from accord.scoring import frames
from accord.scoring.domain import BUCKET_LIMIT, FRACTION_BITS, ONE, Model, day_date

# Pairs of (earning day, scoring day) computed at once when summing decayed points: bounds memory.
PAIR_CHUNK = 4_000_000
# A point this many half-lives before a contact's anchor weighs round(2^(FRACTION_BITS - 25)) = 0:
# older points add exactly nothing to the mass with half-life decay.
ZERO_WEIGHT_HALF_LIVES = FRACTION_BITS + 1

SCORE_FACTS = frozenset(SCORE_FIELDS)  # the facts the replay computes: score.* and contact.persona
ID = "contact_id"
DAY = "day"
FIRST = "first_day"


class Group:
    """How the draft's day compares with the active version's, for one contact."""

    EARLIER = "earlier"  # both qualify; the draft on an earlier day
    SAME = "same"  # both qualify on the same day
    LATER = "later"  # both qualify; the draft on a later day
    NEW = "new"  # only the draft qualifies them
    DROPPED = "dropped"  # only the active version qualifies them: never under the draft

    ALL = (EARLIER, SAME, LATER, NEW, DROPPED)


GROUP_LABELS: dict[str, str] = {
    Group.EARLIER: "Qualify earlier under the draft",
    Group.SAME: "Qualify on the same day",
    Group.LATER: "Qualify later under the draft",
    Group.NEW: "Qualify only under the draft",
    Group.DROPPED: "Never qualify under the draft",
}


# --------------------------------------------------------------------------- interest


def rule_table(model: Model) -> pl.DataFrame:
    """The interest rules as a frame: index (as `frames.event_hits` names rules), points per
    event, and the most a rule's bucket earns or loses in a day."""
    return pl.DataFrame(
        {
            "rule": list(range(len(model.interest_rules))),
            "points": [r.points for r in model.interest_rules],
            "limit": [
                min(r.max_per_day, BUCKET_LIMIT) if r.max_per_day is not None else BUCKET_LIMIT
                for r in model.interest_rules
            ],
        },
        schema={"rule": pl.Int32, "points": pl.Int64, "limit": pl.Int64},
    )


def daily_points(model: Model, hits: pl.DataFrame | pl.LazyFrame, *, until: int) -> pl.DataFrame:
    """Every (contact, day ≤ until) on which interest rules matched, with the points the contact
    earned that day: each rule's bucket after its daily cap, summed over rules. Sorted by contact
    and day.

    `hits` has one row per (event, rule it matched), as `frames.event_hits` gives: contact_id,
    rule (the index of the rule in `model.interest_rules`), day.
    """
    found = (
        hits.lazy()
        .filter(pl.col(DAY) <= until)
        .select(pl.col(ID).cast(pl.Int64), pl.col("rule").cast(pl.Int64), pl.col(DAY).cast(pl.Int64))
        .collect()
    )
    empty = pl.DataFrame(schema={ID: pl.Int64, DAY: pl.Int32, "points": pl.Int64})
    if found.height == 0 or not model.interest_rules:
        return empty
    ids, rules, days = (found[c].to_numpy() for c in (ID, "rule", DAY))
    first_day = int(days.min())
    rule_bits = max(1, (len(model.interest_rules) - 1).bit_length())
    day_bits = max(1, (int(days.max()) - first_day).bit_length())
    if int(ids.min()) < 0 or int(ids.max()).bit_length() + day_bits + rule_bits > 63:
        return _daily_points_grouped(model, found)
    # One integer per (contact, day, rule), in that order: counting equal keys counts the events
    # of a rule on a contact's day, and the keys of one contact's day lie next to each other.
    keys = (ids << (day_bits + rule_bits)) | ((days - first_day) << rule_bits) | rules
    keys, counts = np.unique(keys, return_counts=True)
    table = rule_table(model)
    rule = keys & ((1 << rule_bits) - 1)
    limit = table["limit"].to_numpy()[rule]
    bucket = np.clip(table["points"].to_numpy()[rule] * counts, -limit, limit)
    contact_day = keys >> rule_bits
    starts = np.flatnonzero(np.concatenate(([True], contact_day[1:] != contact_day[:-1])))
    contact_day = contact_day[starts]
    return pl.DataFrame(
        {
            ID: contact_day >> day_bits,
            DAY: ((contact_day & ((1 << day_bits) - 1)) + first_day).astype(np.int32),
            "points": np.add.reduceat(bucket, starts),
        },
        schema={ID: pl.Int64, DAY: pl.Int32, "points": pl.Int64},
    )


def _daily_points_grouped(model: Model, hits: pl.DataFrame) -> pl.DataFrame:
    """`daily_points` for ids or days too far apart to pack into one integer."""
    return (
        hits.lazy()
        .group_by(ID, "rule", DAY)
        .agg(pl.len().alias("count"))
        .join(rule_table(model).lazy().with_columns(pl.col("rule").cast(pl.Int64)), on="rule", how="inner")
        .select(
            pl.col(ID),
            pl.col(DAY).cast(pl.Int32),
            (pl.col("points") * pl.col("count")).clip(-pl.col("limit"), pl.col("limit")).alias("points"),
        )
        .group_by(ID, DAY)
        .agg(pl.col("points").sum())
        .sort(ID, DAY)
        .collect()
    )


# --------------------------------------------------------------------------- hits by kind of event


@dataclass(frozen=True)
class Kinds:
    """The distinct combinations of the event columns interest rules read ("kinds" of event), and
    the kind of every event: rules are evaluated once per kind, not once per event."""

    table: pl.DataFrame  # one row per kind, in the order of the kind numbers
    of_event: np.ndarray  # the kind number of each event
    contact: np.ndarray  # each event's contact id
    day: np.ndarray  # each event's day number

    @property
    def contacts(self) -> int:
        """How many contacts the events are of."""
        return int(pl.Series(self.contact).n_unique()) if len(self.contact) else 0


def kinds_of(events: pl.DataFrame, columns: list[str]) -> Kinds:
    """Group events (contact_id, day and `columns`) by the values of `columns`."""
    columns = sorted(columns)
    codes = _packed_codes(events, columns)
    if codes is None:
        codes = events.select(pl.struct(columns).rank("dense").cast(pl.Int64)).to_series().to_numpy()
    keyed = events.select(columns).with_columns(pl.Series("_key", codes))
    table = keyed.unique(subset="_key", keep="any").sort("_key")
    return Kinds(
        table=table.select(columns),
        of_event=np.searchsorted(table["_key"].to_numpy(), codes),
        contact=events[ID].to_numpy(),
        day=events[DAY].to_numpy(),
    )


def _packed_codes(events: pl.DataFrame, columns: list[str]) -> np.ndarray | None:
    """One integer per event from the category codes of its columns, when they are all
    categorical and fit together in 63 bits; else None."""
    if not all(isinstance(events.schema[c], pl.Categorical) for c in columns):
        return None
    widest = events.select(pl.col(c).to_physical().max() for c in columns).row(0)
    bits = [(int(w or 0) + 1).bit_length() for w in widest]  # codes move up by one: 0 is null
    if sum(bits) > 63:
        return None
    packed = pl.lit(0, dtype=pl.Int64)
    for column, width in zip(columns, bits, strict=True):
        packed = packed * (1 << width) + (pl.col(column).to_physical().cast(pl.Int64) + 1).fill_null(0)
    return events.select(packed).to_series().to_numpy()


def kind_hits(model: Model, kinds: Kinds, *, only: pl.DataFrame | None = None) -> pl.DataFrame:
    """(contact_id, rule, day) for every event and every interest rule that matches it, as
    `frames.event_hits` gives them, with each rule evaluated once per kind of event; with
    `only` (contact_id), for those contacts' events alone."""
    if not model.interest_rules or kinds.table.height == 0:
        return pl.DataFrame(schema=frames.HITS_SCHEMA)
    of_event, contact, day = kinds.of_event, kinds.contact, kinds.day
    if only is not None:
        ids = only[ID].to_numpy()  # ids are positive: a table of flags by id is the quickest lookup
        listed = np.zeros(max(int(contact.max(initial=0)), int(ids.max(initial=0))) + 1, dtype=bool)
        listed[ids] = True
        chosen = np.flatnonzero(listed[contact])
        of_event, contact, day = of_event[chosen], contact[chosen], day[chosen]
    table = kinds.table.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ID), pl.lit(0, dtype=pl.Int32).alias(DAY)
    )
    matched = frames.event_hits(model, table)
    matrix = np.zeros((len(model.interest_rules), kinds.table.height), dtype=bool)
    matrix[matched["rule"].to_numpy(), matched[ID].to_numpy()] = True
    parts = []
    for rule in np.flatnonzero(matrix.any(axis=1)):
        hit = matrix[rule][of_event]
        parts.append(
            pl.DataFrame(
                {ID: contact[hit], "rule": np.full(int(hit.sum()), rule), DAY: day[hit]},
                schema=frames.HITS_SCHEMA,
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame(schema=frames.HITS_SCHEMA)


def interest_on_days(model: Model, daily: pl.DataFrame) -> pl.DataFrame:
    """The interest score of each contact on each of its event days (the rows of `daily_points`)."""
    n = daily.height
    if n == 0:
        return daily.select(ID, DAY, pl.lit(0.0).alias("interest")).clear()
    ids = daily[ID].to_numpy()
    days = daily[DAY].to_numpy().astype(np.int64)
    points = daily["points"].to_numpy().astype(np.int64)
    group = np.cumsum(np.concatenate(([True], ids[1:] != ids[:-1]))) - 1
    # Rows sorted by (group, day) share one ascending key, so a window start is one binary search.
    offset = int(days.min()) - 1
    key = (group << 32) + (days - offset)
    if model.half_life_days is None:
        assert model.expire_after_days is not None
        oldest = days - model.expire_after_days + 1  # points of days ≥ this still count
    else:
        oldest = days - math.floor(ZERO_WEIGHT_HALF_LIVES * model.half_life_days)
    first = np.searchsorted(key, (group << 32) + np.maximum(oldest - offset, 0), side="left")
    if model.half_life_days is None:
        total = np.cumsum(points)
        before = np.where(first > 0, total[np.maximum(first - 1, 0)], 0)
        mass = (total - before) * ONE  # every live point weighs ONE
        scale = np.full(n, model.factor(0, 0))
    else:
        mass, scale = _masses(model, points, days, first)
    raw = mass.astype(np.float64) * scale  # `Model.value`: float(mass) · factor(anchor, today)
    interest = _clamp(raw, model.max_points)
    return daily.select(ID, DAY).with_columns(pl.Series("interest", interest, dtype=pl.Float64))


def _masses(model: Model, points: np.ndarray, days: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half-life decay: for every row k, the live engine's state on its day — the anchor of the
    latest day (`Model.anchor_for(days[k])`) and the integer mass Σ over rows j in first[k]..k of
    points[j] · `Model.weight(days[j], anchor)` — and `Model.factor(anchor, days[k])`. Weights and
    factors are looked up by offset from the domain's own functions and the mass is summed in
    int64, so the score is `Model.value`'s to the bit."""
    assert model.half_life_days is not None
    n = len(points)
    step = model.anchor_step
    anchors = -(-days // step) * step
    counts = np.arange(n) - first + 1
    widest = int((anchors - days[first]).max())
    weights = np.array([model.weight(-back, 0) for back in range(widest + 1)], dtype=np.int64)
    factors = np.array([model.factor(ahead, 0) for ahead in range(step)], dtype=np.float64)
    pairs = np.cumsum(counts)
    mass = np.empty(n, dtype=np.int64)
    start = 0
    while start < n:
        # As many rows as fit in one chunk of pairs (at least one row).
        done = int(pairs[start - 1]) if start else 0
        stop = max(int(np.searchsorted(pairs, done + PAIR_CHUNK, side="right")), start + 1)
        lengths = counts[start:stop]
        starts = np.cumsum(lengths) - lengths
        rows = np.repeat(np.arange(start, stop), lengths)
        earned = first[rows] + np.arange(rows.size) - np.repeat(starts, lengths)
        terms = points[earned] * weights[anchors[rows] - days[earned]]
        mass[start:stop] = np.add.reduceat(terms, starts)
        start = stop
    return mass, factors[anchors - days]


def _clamp(raw: np.ndarray, max_points: float | None) -> np.ndarray:
    """`Model.clamp(snap(raw))`: to the hundredth (as the live engine stores scores), then into
    [0, max_points], so a contact meets a threshold here exactly when it would live."""
    raw = np.floor(raw * 100.0 + 0.5) / 100.0
    clamped = np.where(raw <= 0, 0.0, raw)
    return np.minimum(clamped, max_points) if max_points is not None else clamped


# --------------------------------------------------------------------------- qualifying


def scored_days(
    model: Model, interest: pl.DataFrame, fit: pl.DataFrame, facts: pl.DataFrame | None = None
) -> pl.LazyFrame:
    """Each (contact, event day) with the facts the MQL rule reads on that day: the interest
    replayed (``score.interest``), the fit from the current profile (`fit`, as
    `frames.fit_frame` gives it: ``score.fit``, ``score.grade``, ``contact.persona``), the
    quadrant they make (``score.quadrant``) and the contact's other facts (`facts`: contact_id
    and columns named by fact)."""
    rows = interest.lazy().join(fit.lazy(), on=ID, how="left")
    if facts is not None:
        rows = rows.join(facts.lazy(), on=ID, how="left")
    return rows.with_columns(
        *frames.score_facts(*frames.FIT_FACTS, "score.interest"),
        frames.quadrant_expr(model, grade="fit_grade", interest="interest").alias("score.quadrant"),
    )


def qualification_expr(playbook: Playbook) -> pl.Expr | None:
    """The playbook's MQL rule as a Boolean expression over `scored_days` rows; None without one."""
    mql = playbook.data.get("mql")
    if not mql:
        return None
    return frames.condition_expr(mql["when"], QUALIFICATION.fields)


def fact_columns(playbook: Playbook) -> set[str]:
    """The profile fact columns the MQL rule reads besides the scores the replay provides."""
    mql = playbook.data.get("mql")
    return frames.columns_of(mql["when"]) - SCORE_FACTS if mql else set()


def first_qualified(rows: pl.LazyFrame, qualifies: pl.Expr | None) -> pl.DataFrame:
    """contact_id and the first day the MQL rule (`qualifies`, compiled) holds among `rows`."""
    if qualifies is None:
        return pl.DataFrame(schema={ID: pl.Int64, FIRST: pl.Int32})
    return (
        rows.filter(qualifies.fill_null(False))
        .group_by(ID)
        .agg(pl.col(DAY).min().alias(FIRST))
        .select(pl.col(ID).cast(pl.Int64), pl.col(FIRST).cast(pl.Int32))
        .sort(ID)
        .collect()
    )


@dataclass(frozen=True)
class Replayed:
    firsts: pl.DataFrame  # contact_id, first_day: the first day the MQL rule holds, up to `until`


def replay_version(model: Model, playbook: Playbook, kinds: Kinds, profiles: pl.DataFrame, *, until: int) -> Replayed:
    """One playbook version over the whole history: interest day by day from the events
    (`kinds`), fit from the current profiles (contact_id and profile fact columns), the first
    day each contact would qualify. Only the events of contacts the rule can hold for are read."""
    fit = frames.fit_frame(model, profiles.select(ID, *sorted(frames.profile_columns(model))))
    facts = profiles.select(ID, *sorted(fact_columns(playbook)))
    if qualification_expr(playbook) is None:
        return Replayed(firsts=first_qualified(fit.lazy(), None))
    possible = could_qualify(model, playbook, fit, facts)
    daily = daily_points(model, kind_hits(model, kinds, only=possible), until=until)
    return Replayed(firsts=first_days(model, playbook, daily, fit, facts, possible=possible))


def first_days(
    model: Model,
    playbook: Playbook,
    daily: pl.DataFrame,
    fit: pl.DataFrame,
    facts: pl.DataFrame | None = None,
    *,
    possible: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """contact_id and the first day the MQL rule holds, from the points of each contact's event
    days (`daily_points`), its fit (`frames.fit_frame`) and its other facts.

    Interest is replayed only for the contacts the rule can hold for at some interest
    (`could_qualify`, unless `possible` says who they are and `daily` holds only them): the
    others never qualify, whatever they did."""
    qualifies = qualification_expr(playbook)
    if qualifies is None or daily.height == 0:
        return first_qualified(daily.lazy(), None)
    if possible is None:
        possible = could_qualify(model, playbook, fit, facts)
        if possible is not None:
            daily = daily.join(possible, on=ID, how="semi", maintain_order="left")
    return first_qualified(scored_days(model, interest_on_days(model, daily), fit, facts), qualifies)


def could_qualify(
    model: Model, playbook: Playbook, fit: pl.DataFrame, facts: pl.DataFrame | None = None
) -> pl.DataFrame | None:
    """The contacts (contact_id) for whom the MQL rule holds at some interest score, or None when
    the rule does not read the interest score.

    The rule reads interest only by comparing it with numbers (``score.interest``) and through
    the quadrant (interest against ``quadrants.high_interest``), so its truth for a contact can
    change only at those numbers: trying each of them, a score between each two and one beyond
    the highest answers for every score. The rule's other facts are evaluated once per distinct
    combination."""
    mql = playbook.data.get("mql")
    qualifies = qualification_expr(playbook)
    if not mql or qualifies is None:
        return None
    read = frames.columns_of(mql["when"])
    if not read & {"score.interest", "score.quadrant"}:
        return None
    thresholds = set(_interest_numbers(mql["when"]))
    if "score.quadrant" in read:
        thresholds.add(model.high_interest)
    points = sorted({0.0, *(t for t in thresholds if math.isfinite(t) and t >= 0)})
    scores = sorted({*points, *((a + b) / 2 for a, b in itertools.pairwise(points)), points[-1] + 1})
    columns = sorted(
        (read | ({"score.grade"} if "score.quadrant" in read else set())) - {"score.interest", "score.quadrant"}
    )
    rows = fit.lazy()
    if facts is not None:
        rows = rows.join(facts.lazy(), on=ID, how="left")
    rows = rows.with_columns(frames.score_facts(*frames.FIT_FACTS))
    combos = rows.select(columns).unique().with_row_index("_combo") if columns else None
    trial = (combos if combos is not None else pl.LazyFrame({"_combo": [0]}, schema={"_combo": pl.UInt32})).join(
        pl.LazyFrame({"interest": scores}, schema={"interest": pl.Float64}), how="cross"
    )
    trial = trial.with_columns(
        pl.col("interest").alias("score.interest"),
        frames.quadrant_expr(model, grade="score.grade", interest="interest").alias("score.quadrant")
        if "score.quadrant" in read
        else pl.lit(None, dtype=pl.String).alias("score.quadrant"),
    )
    holding = trial.filter(qualifies.fill_null(False)).select("_combo").unique()
    if combos is None:
        found = holding.collect()
        return fit.select(ID) if found.height else fit.select(ID).clear()
    return (
        rows.join(combos, on=columns, how="inner", nulls_equal=True)
        .join(holding, on="_combo", how="semi")
        .select(ID)
        .collect()
    )


def _interest_numbers(condition: Mapping[str, Any]) -> list[float]:
    """Every number a condition compares ``score.interest`` with."""
    if "all" in condition or "any" in condition:
        return [n for part in condition.get("all", condition.get("any", [])) for n in _interest_numbers(part)]
    if "not" in condition:
        return _interest_numbers(condition["not"])
    if condition["field"] != "score.interest" or "value" not in condition:
        return []
    values = condition["value"] if isinstance(condition["value"], list) else [condition["value"]]
    return [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Milestones:
    """The stages whose reaching counts as an outcome, by key (empty when the funnel has none)."""

    accepted: str
    opportunity: str
    customer: str
    positions: Mapping[str, int]  # funnel stage key -> funnel position

    def reached(self, key: str) -> list[str]:
        """The funnel stages at or beyond `key`: reaching any of them means reaching `key`."""
        if not key:
            return []
        at = self.positions[key]
        return [k for k, p in self.positions.items() if p >= at]


def milestones(playbook: Playbook) -> Milestones:
    """The outcome stages of a playbook's funnel: the first stage sales owns (accepted by sales),
    the stage before the last when it comes after that one (opportunity), the last (customer)."""
    funnel = playbook.funnel
    accepted = next((s for s in funnel if s.owner is Owner.SALES), None)
    opportunity = funnel[-2] if len(funnel) > 1 else None
    if accepted is None or opportunity is None or opportunity.position <= accepted.position:
        opportunity = None
    return Milestones(
        accepted=accepted.key if accepted else "",
        opportunity=opportunity.key if opportunity else "",
        customer=funnel[-1].key,
        positions={s.key: s.position for s in funnel},
    )


def outcomes(changes: pl.DataFrame | pl.LazyFrame, milestones: Milestones) -> pl.DataFrame:
    """contact_id and the first day each contact reached the accepted, opportunity and customer
    stages (null when it never did), from stage changes with contact_id, to_stage, day."""
    columns = {"accepted": milestones.accepted, "opportunity": milestones.opportunity, "customer": milestones.customer}
    lazy = changes.lazy()
    return (
        lazy.group_by(ID)
        .agg(
            [
                pl.col(DAY).filter(pl.col("to_stage").is_in(milestones.reached(key))).min().alias(name)
                if key
                else pl.lit(None, dtype=pl.Int32).alias(name)
                for name, key in columns.items()
            ]
        )
        .select(pl.col(ID).cast(pl.Int64), *(pl.col(n).cast(pl.Int32) for n in columns))
        .sort(ID)
        .collect()
    )


# --------------------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class Window:
    start: int  # day number, inclusive
    end: int  # day number, inclusive

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError("the window starts after it ends")

    @property
    def dates(self) -> tuple[dt.date, dt.date]:
        return day_date(self.start), day_date(self.end)


@dataclass(frozen=True)
class Tally:
    """How many contacts of a set reached each outcome."""

    contacts: int
    accepted: int
    opportunity: int
    customer: int

    def as_dict(self) -> dict[str, int]:
        return {
            "contacts": self.contacts,
            "accepted": self.accepted,
            "opportunity": self.opportunity,
            "customer": self.customer,
        }


@dataclass(frozen=True)
class VersionFigures:
    mqls: int  # contacts that would qualify within the window
    already: int  # contacts that had qualified before the window
    outcomes: Tally  # of the MQLs within the window
    precision: float | None  # None when there are no MQLs
    recall: float | None  # None when there are no eventual customers
    customers_caught: int  # eventual customers qualified by the end of the window

    def as_dict(self) -> dict[str, Any]:
        return {
            "mqls": self.mqls,
            "already_qualified": self.already,
            "outcomes": self.outcomes.as_dict(),
            "precision": self.precision,
            "recall": self.recall,
            "customers_caught": self.customers_caught,
        }


@dataclass(frozen=True)
class Sample:
    contact_id: int
    draft_day: int | None
    active_day: int | None
    accepted: bool
    opportunity: bool
    customer: bool


@dataclass(frozen=True)
class GroupFigures:
    key: str
    outcomes: Tally
    samples: tuple[Sample, ...]

    @property
    def label(self) -> str:
        return GROUP_LABELS[self.key]


@dataclass(frozen=True)
class Weekly:
    weeks: tuple[dt.date, ...]  # the Monday of each ISO week that overlaps the window
    draft: tuple[int, ...]
    active: tuple[int, ...]
    recorded: tuple[int, ...]  # moves into the MQL stage the stage history holds


@dataclass(frozen=True)
class Comparison:
    window: Window
    draft: VersionFigures
    active: VersionFigures
    groups: tuple[GroupFigures, ...]
    weekly: Weekly
    customers: int  # eventual customers: reached the customer stage, not already before the window

    def group(self, key: str) -> GroupFigures:
        return next(g for g in self.groups if g.key == key)


def compare(
    draft: pl.DataFrame,
    active: pl.DataFrame,
    reached: pl.DataFrame,
    window: Window,
    *,
    recorded: pl.DataFrame | None = None,
    samples: int = 20,
) -> Comparison:
    """Compare the first qualifying days of `draft` and `active` (contact_id, first_day; days up to
    the window's end) within `window`, with what happened to the contacts (`reached`, from
    `outcomes`) and the recorded moves into the MQL stage (contact_id, day), if given."""
    both = (
        draft.rename({FIRST: "draft"})
        .join(active.rename({FIRST: "active"}), on=ID, how="full", coalesce=True)
        .join(reached, on=ID, how="left")
    )
    inside = _within(window)
    drafted, kept = pl.col("draft"), pl.col("active")
    both = both.with_columns(
        pl.when(~(inside("draft") | inside("active")))
        .then(pl.lit(None, dtype=pl.String))
        .when(drafted.is_null())
        .then(pl.lit(Group.DROPPED))
        .when(kept.is_null())
        .then(pl.lit(Group.NEW))
        .when(drafted < kept)
        .then(pl.lit(Group.EARLIER))
        .when(drafted == kept)
        .then(pl.lit(Group.SAME))
        .otherwise(pl.lit(Group.LATER))
        .alias("group"),
        (pl.col("customer").is_not_null() & (pl.col("customer") >= window.start)).alias("eventual"),
    )
    customers = int(reached.filter(pl.col("customer") >= window.start).height)
    figures = {name: _version(both, name, window, customers) for name in ("draft", "active")}
    groups = tuple(
        GroupFigures(key, _tally(both.filter(pl.col("group") == key)), _samples(both, key, samples))
        for key in Group.ALL
    )
    return Comparison(
        window=window,
        draft=figures["draft"],
        active=figures["active"],
        groups=groups,
        weekly=weekly(draft, active, window, recorded=recorded),
        customers=customers,
    )


def _within(window: Window) -> Any:
    def inside(column: str) -> pl.Expr:
        return pl.col(column).is_between(window.start, window.end).fill_null(False)

    return inside


def _tally(frame: pl.DataFrame) -> Tally:
    return Tally(
        contacts=frame.height,
        accepted=int(frame["accepted"].is_not_null().sum()),
        opportunity=int(frame["opportunity"].is_not_null().sum()),
        customer=int(frame["customer"].is_not_null().sum()),
    )


def _version(both: pl.DataFrame, name: str, window: Window, customers: int) -> VersionFigures:
    mqls = both.filter(pl.col(name).is_between(window.start, window.end))
    tally = _tally(mqls)
    caught = int(both.filter(pl.col("eventual") & (pl.col(name) <= window.end)).height)
    return VersionFigures(
        mqls=mqls.height,
        already=int(both.filter(pl.col(name) < window.start).height),
        outcomes=tally,
        precision=tally.customer / tally.contacts if tally.contacts else None,
        recall=caught / customers if customers else None,
        customers_caught=caught,
    )


def _samples(both: pl.DataFrame, key: str, limit: int) -> tuple[Sample, ...]:
    """Up to `limit` contacts of a group, the furthest down the funnel first, then by id."""
    chosen = (
        both.filter(pl.col("group") == key)
        .with_columns(
            (
                pl.col("customer").is_not_null().cast(pl.Int8) * 4
                + pl.col("opportunity").is_not_null().cast(pl.Int8) * 2
                + pl.col("accepted").is_not_null().cast(pl.Int8)
            ).alias("rank")
        )
        .sort(["rank", ID], descending=[True, False])
        .head(limit)
    )
    return tuple(
        Sample(
            contact_id=row[ID],
            draft_day=row["draft"],
            active_day=row["active"],
            accepted=row["accepted"] is not None,
            opportunity=row["opportunity"] is not None,
            customer=row["customer"] is not None,
        )
        for row in chosen.iter_rows(named=True)
    )


def monday(day: int) -> int:
    """The day number of the Monday that starts the ISO week of `day`."""
    return day - day_date(day).weekday()


def weekly(
    draft: pl.DataFrame, active: pl.DataFrame, window: Window, *, recorded: pl.DataFrame | None = None
) -> Weekly:
    """MQLs per ISO week (Monday first) within the window: first qualifying days under each
    version, and the recorded moves into the MQL stage."""
    starts = list(range(monday(window.start), window.end + 1, 7))

    def count(frame: pl.DataFrame | None, column: str) -> tuple[int, ...]:
        if frame is None or frame.height == 0:
            return tuple(0 for _ in starts)
        days = frame[column].to_numpy()
        days = days[(days >= window.start) & (days <= window.end)]
        per = np.bincount((days - starts[0]) // 7, minlength=len(starts)) if days.size else np.zeros(len(starts))
        return tuple(int(v) for v in per)

    return Weekly(
        weeks=tuple(day_date(s) for s in starts),
        draft=count(draft, FIRST),
        active=count(active, FIRST),
        recorded=count(recorded, DAY),
    )


def as_dict(comparison: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready data (samples by contact id)."""
    start, end = comparison.window.dates
    return {
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "eventual_customers": comparison.customers,
        "draft": comparison.draft.as_dict(),
        "active": comparison.active.as_dict(),
        "groups": {
            g.key: {
                "label": g.label,
                **g.outcomes.as_dict(),
                "sample": [_sample_dict(s) for s in g.samples],
            }
            for g in comparison.groups
        },
        "weekly": [
            {"week": w.isoformat(), "draft": d, "active": a, "recorded": r}
            for w, d, a, r in zip(
                comparison.weekly.weeks,
                comparison.weekly.draft,
                comparison.weekly.active,
                comparison.weekly.recorded,
                strict=True,
            )
        ],
    }


def _sample_dict(sample: Sample) -> dict[str, Any]:
    return {
        "contact_id": sample.contact_id,
        "draft": day_date(sample.draft_day).isoformat() if sample.draft_day is not None else None,
        "active": day_date(sample.active_day).isoformat() if sample.active_day is not None else None,
        "accepted": sample.accepted,
        "opportunity": sample.opportunity,
        "customer": sample.customer,
    }
