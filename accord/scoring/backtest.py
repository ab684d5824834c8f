"""Backtesting a draft playbook: replay the history under the draft and under the active version,
side by side, so both teams can see what a new definition would have done before they sign it.

What is replayed and how is in `replay` (pure): interest day by day from the stored events, fit
from each contact's *current* profile (profile history is not kept), the MQL rule on each event
day, the first day it holds; then the draft against the active version, with what actually
happened to the contacts according to the stage history. This module loads the tables into
Polars (COPY on PostgreSQL, in parts read at once), runs the replay and names the sampled
contacts. Only the events some interest rule may match are read (`narrowing`: the rules in SQL as
a superset), and the rules themselves decide afterwards. Profiles are the contacts' current ones,
read with the columns of `facts`: profile history is not kept.

Revenue is not tracked: no table records deal amounts yet, so outcomes stop at the customer stage
and `Backtest.revenue_tracked` is False.

Entry points: `backtest_version` (the page: a draft or signed version against the active one),
`backtest_playbook` (any validated document) and `backtest_command` (the `accord playbook
backtest` command, which names this module by its dotted path).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from django.db import connection
from django.db.models import QuerySet

from accord.contacts.models import Contact
from accord.core import clock, reading
from accord.core.errors import Conflict, InvalidInput
from accord.lifecycle.models import StageChange
from accord.playbook.domain.document import Playbook
from accord.playbook.models import PlaybookVersion, VersionStatus
from accord.playbook.queries import active_playbook
from accord.scoring import domain, facts, frames, narrowing, replay
from accord.scoring.facts import Column
from accord.scoring.reader import Reader, schema
from accord.tracking.models import Event

WEEKS = 26  # the default window: the last 26 ISO weeks, this one included
SAMPLE = 20  # contacts named per group
STREAMS = 2  # PostgreSQL: events and profiles are read in this many parts at once
BACKTESTABLE = (VersionStatus.DRAFT, VersionStatus.SIGNED)


@dataclass(frozen=True)
class Person:
    """A sampled contact as the report names it."""

    id: int
    name: str
    email: str


@dataclass(frozen=True)
class Backtest:
    draft: str  # what was tested: "v3" or a file name
    active: int  # the number of the active version it was compared with
    comparison: replay.Comparison
    milestones: replay.Milestones
    stage_names: Mapping[str, str]  # stage key -> name, in the active playbook
    people: Mapping[int, Person]  # the sampled contacts
    contacts: int  # contacts with events a rule of either version may match, up to the window's end
    events: int  # events read
    seconds: float
    draft_rule: bool  # whether the draft has an MQL rule
    active_rule: bool
    firsts: Mapping[str, pl.DataFrame]  # "draft" / "active": contact_id, first_day (up to the window's end)
    phases: Mapping[str, float]  # seconds spent loading, replaying and comparing
    revenue_tracked: bool = False

    def stage_name(self, key: str) -> str:
        return self.stage_names.get(key, key)

    def as_dict(self) -> dict[str, Any]:
        data = replay.as_dict(self.comparison)
        for group in data["groups"].values():
            for sample in group["sample"]:
                person = self.people.get(sample["contact_id"])
                sample["name"] = person.name if person else ""
                sample["email"] = person.email if person else ""
        return {
            "draft": self.draft,
            "active_version": self.active,
            **data,
            "outcome_stages": {
                "accepted": self.milestones.accepted or None,
                "opportunity": self.milestones.opportunity or None,
                "customer": self.milestones.customer,
            },
            "revenue": None,
            "revenue_tracked": self.revenue_tracked,
            "contacts_replayed": self.contacts,
            "events_read": self.events,
            "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- the window


def default_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last `WEEKS` ISO weeks up to `today`: from a Monday to today."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(weeks=WEEKS - 1), today


def parse_window(
    start: str | dt.date | None,
    end: str | dt.date | None,
    *,
    today: dt.date,
    names: tuple[str, str] = ("from", "to"),
) -> replay.Window:
    """The window from two optional dates (ISO text or dates), defaulting to `default_window`.
    Problems name the field (`names`): a date that is not one, a window that ends before it
    starts or after today."""
    errors: list[tuple[str, str]] = []
    first, last = default_window(today)
    given = []
    for value, name, fallback in ((start, names[0], first), (end, names[1], last)):
        if value is None or value == "":
            given.append(fallback)
            continue
        if isinstance(value, dt.date):
            given.append(value)
            continue
        try:
            given.append(dt.date.fromisoformat(value.strip()))
        except ValueError:
            errors.append((name, f"not a date: {value!r}; write it as YYYY-MM-DD"))
            given.append(fallback)
    if not errors:
        if given[1] > today:
            errors.append((names[1], f"must not be after today ({today.isoformat()})"))
        elif given[0] > given[1]:
            errors.append((names[0], f"must not be after {names[1]} ({given[1].isoformat()})"))
    if errors:
        raise InvalidInput(f"{errors[0][0]}: {errors[0][1]}", field=errors[0][0], errors=errors)
    return replay.Window(domain.day_number(given[0]), domain.day_number(given[1]))


# --------------------------------------------------------------------------- entry points


def backtest_version(
    *,
    version: PlaybookVersion,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    now: dt.datetime | None = None,
) -> Backtest:
    """Backtest a draft or signed version against the active one."""
    check_backtestable(version)
    return backtest_playbook(playbook=version.playbook, label=f"v{version.number}", start=start, end=end, now=now)


def check_backtestable(version: PlaybookVersion) -> None:
    """Only a draft or a signed version is backtested: the others are or were the active one."""
    if version.status not in BACKTESTABLE:
        raise Conflict(f"version {version.number} is {version.status}: only a draft or a signed version is backtested")


def backtest_playbook(
    *,
    playbook: Playbook,
    label: str,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    now: dt.datetime | None = None,
    names: tuple[str, str] = ("from", "to"),
) -> Backtest:
    """Backtest a validated playbook document against the active version."""
    now = now or clock.now()
    window = parse_window(start, end, today=now.astimezone(dt.UTC).date(), names=names)
    active = active_playbook()
    return run(draft=playbook, label=label, active=active, window=window, now=now)


def backtest_command(*, playbook: Playbook, label: str, start: str | None, end: str | None, as_json: bool) -> str:
    """What `accord playbook backtest` prints: the report as text, or as JSON."""
    result = backtest_playbook(playbook=playbook, label=label, start=start, end=end, names=("--from", "--to"))
    if as_json:
        return json.dumps(result.as_dict(), indent=2, ensure_ascii=False)
    return report_text(result)


def run(*, draft: Playbook, label: str, active: PlaybookVersion, window: replay.Window, now: dt.datetime) -> Backtest:
    started = time.perf_counter()
    phases: dict[str, float] = {}
    models = {"draft": domain.Model.of(draft), "active": domain.Model.of(active.playbook)}
    documents = {"draft": draft, "active": active.playbook}
    milestones = replay.milestones(active.playbook)
    mql = active.playbook.mql_stage
    profile_facts = set().union(*(frames.profile_columns(m) for m in models.values()))
    rule_facts = set().union(*(replay.fact_columns(d) for d in documents.values()))

    def events_by_kind() -> tuple[replay.Kinds, int]:
        events = load_events(models.values(), until=window.end)
        return replay.kinds_of(events, sorted(set(events.columns) - {"contact_id", "day"})), events.height

    loads = (
        events_by_kind,
        lambda: load_profiles(profile_facts | rule_facts, now=now),
        lambda: load_stage_changes(set(milestones.positions) | ({mql.key} if mql else set())),
    )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The tables at once, each on connections of its own: the database works while Python reads.
        with ThreadPoolExecutor(len(loads)) as pool:
            (kinds, read), profiles, changes = pool.map(_on_own_connection, loads)
    else:
        (kinds, read), profiles, changes = (load() for load in loads)
    phases["load"] = time.perf_counter() - started

    def one(name: str) -> replay.Replayed:
        return replay.replay_version(models[name], documents[name], kinds, profiles, until=window.end)

    # The two versions at once: much of the work is NumPy's and Polars', outside the GIL.
    with ThreadPoolExecutor(2) as pool:
        replayed = dict(zip(models, pool.map(one, models), strict=True))
    firsts = {name: r.firsts for name, r in replayed.items()}
    phases["replay"] = time.perf_counter() - started - phases["load"]
    recorded = (
        changes.filter((pl.col("to_stage") == mql.key) & pl.col("day").is_between(window.start, window.end))
        if mql
        else None
    )
    comparison = replay.compare(
        firsts["draft"],
        firsts["active"],
        replay.outcomes(changes, milestones),
        window,
        recorded=recorded,
        samples=SAMPLE,
    )
    ids = {s.contact_id for g in comparison.groups for s in g.samples}
    phases["compare"] = time.perf_counter() - started - phases["load"] - phases["replay"]
    return Backtest(
        draft=label,
        active=active.number,
        comparison=comparison,
        milestones=milestones,
        stage_names={s.key: s.name for s in active.playbook.stages},
        people=people(ids),
        contacts=kinds.contacts,
        events=read,
        seconds=time.perf_counter() - started,
        draft_rule=bool(draft.data.get("mql")),
        active_rule=bool(active.playbook.data.get("mql")),
        firsts=firsts,
        phases=phases,
    )


def _on_own_connection(load: Any) -> Any:
    """Run `load` in a worker thread, closing the database connection Django opened for it."""
    try:
        return load()
    finally:
        connection.close()


def people(ids: Iterable[int]) -> dict[int, Person]:
    return {
        c.pk: Person(c.pk, c.full_name, c.email or "")
        for c in Contact.objects.filter(pk__in=list(ids)).only("first_name", "last_name", "email")
    }


# --------------------------------------------------------------------------- loading


def load_events(models: Iterable[domain.Model], *, until: int) -> pl.DataFrame:
    """The events of known contacts up to day `until` that an interest rule of `models` may
    match, with contact_id, day and the event columns the rules read (all categorical: the replay
    packs their codes into one number per kind of event, `replay.kinds_of`).

    The database leaves out the events no rule can match (`narrowing.event_filter`: a superset,
    so nothing a rule matches is ever left out); which rules match exactly is decided afterwards,
    in Polars, by the domain's rules (`replay.kind_hits`)."""
    models = list(models)
    rules = [rule for model in models for rule in model.interest_rules]
    wanted = set().union(*(frames.event_columns(m) for m in models)) if models else set()
    columns = [
        Column("contact_id", "contact_id", pl.Int64),
        facts.day_column("timestamp", Event),
        *(replace(c, dtype=pl.Categorical) for c in facts.event_columns(wanted)),
    ]
    if not rules:
        return reading.empty_frame(schema(columns))
    cutoff = dt.datetime.combine(domain.day_date(until + 1), dt.time(), tzinfo=dt.UTC)
    events = Event.objects.filter(contact__isnull=False, timestamp__lt=cutoff)
    return _read(narrowing.narrow(events, rules), columns)


def load_profiles(wanted: set[str], *, now: dt.datetime) -> pl.DataFrame:
    """contact_id and a column per profile fact column in `wanted` (as `frames.columns_of` names
    them), valued as `contacts.queries.contact_facts` gives them (`facts`), for every contact."""
    columns = [Column("contact_id", "pk", pl.Int64), *facts.profile_columns(wanted)]
    return facts.derive(_read(Contact.objects.all(), columns), now)


def load_stage_changes(stages: set[str]) -> pl.DataFrame:
    """contact_id, to_stage and day of every move into one of `stages`."""
    columns = [
        Column("contact_id", "contact_id", pl.Int64),
        Column("to_stage", "to_stage", pl.String),
        facts.day_column("at", StageChange),
    ]
    if not stages:
        return reading.empty_frame(schema(columns))
    return _read(StageChange.objects.filter(to_stage__in=sorted(stages)), columns)


def _read(queryset: QuerySet[Any], columns: list[Column]) -> pl.DataFrame:
    """The rows of `queryset` as one frame (`reader`: on PostgreSQL in `STREAMS` ranges of the
    table read at once)."""
    with Reader() as reader:
        return reader.frame(queryset, columns, parts=STREAMS)


# --------------------------------------------------------------------------- the text report


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def report_text(result: Backtest) -> str:
    c = result.comparison
    start, end = c.window.dates
    m = result.milestones
    outcome_names = [
        ("accepted", f"Accepted by sales ({result.stage_name(m.accepted)})" if m.accepted else ""),
        ("opportunity", f"Reached {result.stage_name(m.opportunity)}" if m.opportunity else ""),
        ("customer", f"Won ({result.stage_name(m.customer)})"),
    ]
    outcome_names = [(k, label) for k, label in outcome_names if label]
    active = f"active v{result.active}"
    lines = [
        f"Backtest of {result.draft} against the active version (v{result.active}), "
        f"{start.isoformat()} to {end.isoformat()}",
        f"Replayed {result.contacts:,} contacts with {result.events:,} scorable events in {result.seconds:.1f} s.",
        "Fit comes from each contact's current profile: profile history is not kept.",
        "",
        f"{'':34}{'draft':>12}{active:>14}",
        f"{'MQLs in the window':34}{c.draft.mqls:>12,}{c.active.mqls:>14,}",
        f"{'Already qualified before it':34}{c.draft.already:>12,}{c.active.already:>14,}",
    ]
    for key, label in outcome_names:
        lines.append(f"{'  ' + label:34}{getattr(c.draft.outcomes, key):>12,}{getattr(c.active.outcomes, key):>14,}")
    lines += [
        f"{'Precision':34}{_percent(c.draft.precision):>12}{_percent(c.active.precision):>14}",
        f"{'Recall':34}{_percent(c.draft.recall):>12}{_percent(c.active.recall):>14}"
        f"   of {c.customers:,} eventual customer{'s' if c.customers != 1 else ''}",
    ]
    if not result.draft_rule:
        lines.append("The draft has no MQL rule: it qualifies nobody.")
    lines += ["", f"{'Contacts':34}{'count':>8}" + "".join(f"{label.split(' (')[0]:>20}" for _, label in outcome_names)]
    for group in c.groups:
        lines.append(
            f"{group.label:34}{group.outcomes.contacts:>8,}"
            + "".join(f"{getattr(group.outcomes, key):>20,}" for key, _ in outcome_names)
        )
    lines += [
        "",
        "Revenue: not tracked — no deal amounts are recorded yet.",
        "",
        f"{'MQLs per week (from Monday)':34}{'draft':>8}{'active':>8}{'recorded':>10}",
    ]
    w = c.weekly
    for week, d, a_, r in zip(w.weeks, w.draft, w.active, w.recorded, strict=True):
        lines.append(f"{week.isoformat():34}{d:>8,}{a_:>8,}{r:>10,}")
    for group in c.groups:
        if not group.samples:
            continue
        lines += ["", f"{group.label} ({group.outcomes.contacts:,}), for example:"]
        for sample in group.samples:
            person = result.people.get(sample.contact_id)
            who = f"{person.name or '(no name)'} <{person.email}>" if person else f"contact {sample.contact_id}"
            days = []
            if sample.draft_day is not None:
                days.append(f"draft {domain.day_date(sample.draft_day).isoformat()}")
            if sample.active_day is not None:
                days.append(f"active {domain.day_date(sample.active_day).isoformat()}")
            reached = [label for key, label in outcome_names if getattr(sample, key)]
            lines.append(f"  {who}  {', '.join(days)}" + (f"  → {'; '.join(reached)}" if reached else ""))
    return "\n".join(lines)
