"""Scoring rules as pure functions: fit, interest with caps and decay, the quadrant, explanations.

**Fit** is who someone is: the sum of the points of the playbook's fit rules that hold for the
contact and its account, graded A–D by the playbook's thresholds, plus the first persona whose
description matches.

**Interest** is what someone did: every event a playbook interest rule matches earns the rule's
points on the event's day (UTC). A rule with `max_per_day` earns at most that many points (or
loses at most that many, for negative rules) per contact and day. Points then fade: with a
half-life of h days, points earned on day d are worth ``points · 2^-(D-d)/h`` on day D; with an
expiry window of N days they count in full for N days and then not at all. The score is clamped
to ``[0, max_points]``.

**Exact incremental updates.** A contact's interest is kept as an integer *mass*: the sum over
(rule, day) buckets of ``bucket points · weight(day)``, where a weight is a fixed-point number
(`FRACTION_BITS` bits) relative to the contact's *anchor* day. Adding an event changes one
bucket and so adds one integer to the mass: O(1). Integer addition does not depend on order, so
the mass after any sequence of events is exactly the mass a full recompute from the history
gives, and so is the score derived from it. Two things need the history again, rarely: an event
later than the anchor (half-life: the anchor moves in steps of four half-lives) or the oldest
counted day expiring (expiry window), and a late event for an earlier day of a capped rule.
`add` answers False then and the caller recomputes the contact with `recompute`.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.playbook.domain.conditions import describe, evaluate
from accord.playbook.domain.document import EVENT_KINDS, GRADES, Playbook

FRACTION_BITS = 24  # weights are integers: 2^24 is one point on the anchor day
ONE = 1 << FRACTION_BITS
BUCKET_LIMIT = 1_000_000  # no rule earns or loses more than this per contact and day
ANCHOR_HALF_LIVES = 4  # the anchor moves in steps of this many half-lives
EVENT_TYPES = EVENT_KINDS  # rule `event` values that name a message type, not a track event
EPOCH = dt.date(1970, 1, 1)
HEATING_DAYS = 7


class Quadrant(enum.StrEnum):
    READY = "ready"  # good fit and high interest: worth a sales conversation now
    NURTURE = "nurture"  # good fit, not enough interest yet: keep marketing to them
    CHECK_FIT = "check_fit"  # high interest but not a good fit: look before sales spends time
    LOW = "low"  # neither: no action


QUADRANT_LABELS: dict[Quadrant, str] = {
    Quadrant.READY: "Good fit, high interest",
    Quadrant.NURTURE: "Good fit, low interest",
    Quadrant.CHECK_FIT: "Poor fit, high interest",
    Quadrant.LOW: "Poor fit, low interest",
}


def day_number(at: dt.datetime | dt.date) -> int:
    """Days since 1970-01-01 of a UTC datetime or a date."""
    if isinstance(at, dt.datetime):
        at = at.astimezone(dt.UTC).date()
    return (at - EPOCH).days


def day_date(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=day)


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class FitRule:
    key: str
    label: str
    when: Mapping[str, Any]
    points: int


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    match: Mapping[str, Any]


@dataclass(frozen=True)
class InterestRule:
    key: str
    label: str
    event: str  # an event type (page, screen, identify, group) or a track event's name
    when: Mapping[str, Any] | None
    points: int
    max_per_day: int | None

    def bucket(self, count: int) -> int:
        """The points `count` matching events earn on one day, after the rule's daily cap."""
        total = self.points * count
        limit = min(self.max_per_day, BUCKET_LIMIT) if self.max_per_day is not None else BUCKET_LIMIT
        return max(-limit, min(limit, total))

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return _event_matches(self.event, facts) and (self.when is None or evaluate(self.when, facts))


def _event_matches(rule_event: str, facts: Mapping[str, Any]) -> bool:
    kind = facts.get("event.type")
    if rule_event in EVENT_TYPES:
        return kind == rule_event
    return kind == "track" and str(facts.get("event.name") or "").casefold() == rule_event.casefold()


@dataclass(frozen=True)
class Model:
    """The scoring part of one playbook version, ready to apply."""

    fit_rules: tuple[FitRule, ...]
    thresholds: tuple[float, float, float]  # the lowest fit scores of grades A, B and C
    personas: tuple[Persona, ...]
    interest_rules: tuple[InterestRule, ...]
    half_life_days: float | None
    expire_after_days: int | None
    max_points: float | None
    good_fit: frozenset[str]
    high_interest: float
    heating_points: float

    @classmethod
    def of(cls, playbook: Playbook) -> Model:
        data = playbook.data
        fit = data.get("fit") or {}
        grades = fit.get("grades") or {"A": 60, "B": 40, "C": 20}
        interest = data.get("interest") or {}
        quadrants = data.get("quadrants") or {}
        high_interest = float(quadrants.get("high_interest", 40))
        heating = interest.get("heating_up") or {}
        expire = interest.get("expire_after_days")
        return cls(
            fit_rules=tuple(
                FitRule(r["key"], r.get("label") or r["key"], r["when"], int(r["points"])) for r in fit.get("rules", [])
            ),
            thresholds=(float(grades["A"]), float(grades["B"]), float(grades["C"])),
            personas=tuple(Persona(p["key"], p["name"], p["match"]) for p in data.get("personas", [])),
            interest_rules=tuple(
                InterestRule(
                    key=r["key"],
                    label=r.get("label") or r["key"],
                    event=r["event"],
                    when=r.get("when"),
                    points=int(r["points"]),
                    max_per_day=r.get("max_per_day"),
                )
                for r in interest.get("rules", [])
            ),
            half_life_days=None if expire is not None else float(interest.get("half_life_days", 30)),
            expire_after_days=int(expire) if expire is not None else None,
            max_points=float(interest["max_points"]) if "max_points" in interest else None,
            good_fit=frozenset(quadrants.get("good_fit", ["A", "B"])),
            high_interest=high_interest,
            heating_points=float(heating.get("points", max(1.0, high_interest / 2))),
        )

    def rule(self, key: str) -> InterestRule | None:
        return next((r for r in self.interest_rules if r.key == key), None)

    def rules_for(self, facts: Mapping[str, Any]) -> list[InterestRule]:
        """The interest rules an event (as facts, see `event_facts`) matches; all of them count."""
        return [r for r in self.interest_rules if r.matches(facts)]

    # ------------------------------------------------------------------ fit

    def grade(self, score: float) -> str:
        for grade, threshold in zip(GRADES, self.thresholds, strict=False):
            if score >= threshold:
                return grade
        return "D"

    def fit(self, facts: Mapping[str, Any]) -> Fit:
        matched = tuple(r for r in self.fit_rules if evaluate(r.when, facts))
        score = sum(r.points for r in matched)
        persona = next((p.key for p in self.personas if evaluate(p.match, facts)), "")
        return Fit(score=score, grade=self.grade(score), persona=persona, matched=tuple(r.key for r in matched))

    def quadrant(self, grade: str, interest: float) -> Quadrant:
        good, high = grade in self.good_fit, interest >= self.high_interest
        if good:
            return Quadrant.READY if high else Quadrant.NURTURE
        return Quadrant.CHECK_FIT if high else Quadrant.LOW

    # ------------------------------------------------------------------ interest

    @property
    def anchor_step(self) -> int:
        """Half-life decay: how many days apart the anchors lie."""
        assert self.half_life_days is not None
        return max(1, math.ceil(ANCHOR_HALF_LIVES * self.half_life_days))

    def anchor_for(self, day: int) -> int:
        """Half-life decay: the anchor of a contact whose latest counted day is `day`."""
        step = self.anchor_step
        return -(-day // step) * step

    def anchor_of(self, earliest: int, latest: int) -> int:
        """The anchor of a contact whose counted days run from `earliest` to `latest`."""
        return self.anchor_for(latest) if self.half_life_days is not None else earliest

    def weight(self, day: int, anchor: int) -> int:
        """The fixed-point weight of a point earned on `day` for a contact anchored at `anchor`."""
        if self.half_life_days is None:
            return ONE
        return weight(day - anchor, self.half_life_days)

    def factor(self, anchor: int, today: int) -> float:
        """What one unit of mass at the anchor is worth on `today`."""
        if self.half_life_days is None:
            return 1.0 / ONE
        return factor(anchor - today, self.half_life_days)

    def live(self, day: int, today: int) -> bool:
        """Whether points earned on `day` still count on `today` (always, with half-life decay)."""
        return self.expire_after_days is None or day > today - self.expire_after_days

    def value(self, mass: int, anchor: int | None, today: int) -> float:
        """The interest score of a state on `today`, clamped to [0, max_points]."""
        if anchor is None or mass == 0:
            return 0.0
        raw = float(mass) * self.factor(anchor, today)
        return self.clamp(snap(raw))

    def clamp(self, raw: float) -> float:
        if raw <= 0:
            return 0.0
        return min(raw, self.max_points) if self.max_points is not None else raw

    def decayed(self, points: float, day: int, today: int) -> float:
        """What `points` earned on `day` are worth on `today`, on paper: for the explanation of one
        (rule, day) only. A score is always `value` of an integer mass (see `curve`)."""
        if self.half_life_days is None:
            return float(points) if self.live(day, today) else 0.0
        return points * math.pow(2.0, (day - today) / self.half_life_days)


def snap(raw: float) -> float:
    """A score to the hundredth, half up, by the same four IEEE operations everywhere (NumPy and
    Polars give the same bits). Fixed-point weights read 40 points earned today as 39.99998 on
    some days; to the hundredth it is 40, as the MQL rule's `score.interest ≥ 40` expects."""
    if not math.isfinite(raw):
        return raw
    return math.floor(raw * 100.0 + 0.5) / 100.0


def weight(offset: int, half_life: float) -> int:
    """round(2^(FRACTION_BITS + offset / half_life)) for offset ≤ 0, computed one way everywhere."""
    exponent = FRACTION_BITS + offset / half_life
    if exponent < -1:
        return 0
    return round(math.pow(2.0, exponent))


def factor(offset: int, half_life: float) -> float:
    """2^(offset / half_life) / 2^FRACTION_BITS: what a unit of mass is worth `offset` days after the anchor."""
    try:
        return math.pow(2.0, offset / half_life) / ONE
    except OverflowError:  # an anchor absurdly far after `today` (a clock set back): no finite value
        return math.inf


@dataclass(frozen=True)
class Fit:
    score: int
    grade: str
    persona: str
    matched: tuple[str, ...]  # the keys of the fit rules that hold


# --------------------------------------------------------------------------- interest state


@dataclass
class Interest:
    """A contact's interest state: the integer mass, its anchor day and, for each capped rule, the
    latest day it counted and how many events matched that day."""

    mass: int = 0
    anchor: int | None = None
    caps: dict[str, tuple[int, int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, list[int]]:
        return {key: [day, count] for key, (day, count) in sorted(self.caps.items())}

    @classmethod
    def of(cls, mass: int, anchor: int | None, caps: Mapping[str, Sequence[int]] | None) -> Interest:
        return cls(mass, anchor, {k: (int(v[0]), int(v[1])) for k, v in (caps or {}).items()})


def add(model: Model, state: Interest, rule: InterestRule, day: int, today: int) -> bool:
    """Count one event that `rule` matched on `day`, seen on `today`. O(1).

    Answers False, changing nothing, when the state cannot take the event without the history:
    the caller must `recompute`. Then the event must already be part of that history.
    """
    if not model.live(day, today):
        return True  # already expired: it never counts
    if not _fits(model, state, day, today):
        return False
    count = 0
    if rule.max_per_day is not None:
        seen = state.caps.get(rule.key)
        if seen is not None:
            if seen[0] == day:
                count = seen[1]
            elif seen[0] > day:
                return False  # a late event for an earlier day of a capped rule
    if state.anchor is None:
        state.anchor = model.anchor_for(day) if model.half_life_days is not None else day
    elif model.half_life_days is None:
        state.anchor = min(state.anchor, day)
    if rule.max_per_day is not None:
        state.caps[rule.key] = (day, count + 1)
    state.mass += (rule.bucket(count + 1) - rule.bucket(count)) * model.weight(day, state.anchor)
    return True


def _fits(model: Model, state: Interest, day: int, today: int) -> bool:
    if state.anchor is None:
        return True
    if model.half_life_days is not None:
        return day <= state.anchor
    # Expiry: the state is exact only while its earliest counted day is live.
    return model.live(state.anchor, today)


def fresh(model: Model, state: Interest, today: int) -> bool:
    """Whether the state's score on `today` can be read without the history."""
    return state.anchor is None or model.half_life_days is not None or model.live(state.anchor, today)


def recompute(model: Model, hits: Iterable[tuple[InterestRule, int]], today: int) -> Interest:
    """The interest state from a contact's whole history: (rule, day) for every event a rule matched."""
    counts: Counter[tuple[str, int]] = Counter()
    rules: dict[str, InterestRule] = {}
    for rule, day in hits:
        if model.live(day, today):
            counts[rule.key, day] += 1
            rules[rule.key] = rule
    if not counts:
        return Interest()
    days = [day for _, day in counts]
    anchor = model.anchor_of(min(days), max(days))
    mass = 0
    caps: dict[str, tuple[int, int]] = {}
    for (key, day), count in counts.items():
        rule = rules[key]
        mass += rule.bucket(count) * model.weight(day, anchor)
        if rule.max_per_day is not None and (key not in caps or caps[key][0] < day):
            caps[key] = (day, count)
    return Interest(mass, anchor, caps)


# --------------------------------------------------------------------------- explanations


@dataclass(frozen=True)
class Contribution:
    """What one rule earned on one day, and what it is worth today."""

    rule: str
    label: str
    day: int
    events: int
    points: int  # earned that day, after the daily cap
    now: float  # worth today, after decay

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "label": self.label,
            "date": day_date(self.day).isoformat(),
            "events": self.events,
            "points": self.points,
            "now": round(self.now, 2),
        }


def contributions(model: Model, hits: Iterable[tuple[InterestRule, int]], today: int) -> list[Contribution]:
    """Every (rule, day) that still counts, largest current worth first."""
    counts: Counter[tuple[str, int]] = Counter()
    rules: dict[str, InterestRule] = {}
    for rule, day in hits:
        if model.live(day, today):
            counts[rule.key, day] += 1
            rules[rule.key] = rule
    found = []
    for (key, day), count in counts.items():
        rule = rules[key]
        points = rule.bucket(count)
        now = model.decayed(points, day, today)
        if abs(now) >= 0.005:
            found.append(Contribution(key, rule.label, day, count, points, now))
    found.sort(key=lambda c: (-abs(c.now), -c.day, c.rule))
    return found


def curve(model: Model, hits: Iterable[tuple[InterestRule, int]], days: Sequence[int]) -> list[float]:
    """The interest score on each of `days` (ascending), from the history: the trend sparkline.

    Each day's score is the live engine's: `Model.value` of the mass the events up to that day
    make (as `recompute` would give it that day), never a float sum of decayed points — those
    differ when a score lands on a rounding boundary (25 points three half-lives back)."""
    if not days:
        return []
    counts: Counter[tuple[str, int]] = Counter()
    rules: dict[str, InterestRule] = {}
    for rule, day in hits:
        if day <= days[-1]:
            counts[rule.key, day] += 1
            rules[rule.key] = rule
    buckets: dict[int, int] = defaultdict(int)
    for (key, day), count in counts.items():
        buckets[day] += rules[key].bucket(count)
    earned = sorted(buckets.items())
    values = []
    for today in days:
        live = [(d, p) for d, p in earned if d <= today and model.live(d, today)]
        if not live:
            values.append(0.0)
            continue
        anchor = model.anchor_of(live[0][0], live[-1][0])
        values.append(model.value(sum(p * model.weight(d, anchor) for d, p in live), anchor, today))
    return values


def heating_up(model: Model, *, now: float, before: float) -> bool:
    """Interest rising fast: up by the playbook's `heating_up.points` within `HEATING_DAYS`."""
    return now - before >= model.heating_points


def explain_fit(model: Model, facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every fit rule with whether it holds for `facts`, what it reads, and its points."""
    return [
        {
            "rule": rule.key,
            "label": rule.label,
            "points": rule.points,
            "matched": evaluate(rule.when, facts),
            "condition": describe(rule.when),
        }
        for rule in model.fit_rules
    ]


def event_facts(
    *,
    type: str,
    name: str,
    url: str = "",
    path: str = "",
    referrer: str = "",
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The facts interest rules read about one event."""
    return {
        "event.type": type,
        "event.name": name,
        "event.url": url,
        "event.path": path,
        "event.referrer": referrer,
        "event.utm_source": utm_source,
        "event.utm_medium": utm_medium,
        "event.utm_campaign": utm_campaign,
        "event.properties": properties or {},
    }
