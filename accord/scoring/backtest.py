"""Backtesting a draft playbook: replay the history under the draft and under the active version,
side by side, so both teams can see what a new definition would have done before they sign it.

What is replayed and how is in `replay` (pure): interest day by day from the stored events, fit
from each contact's *current* profile (profile history is not kept), the MQL rule on each event
day, the first day it holds; then the draft against the active version, with what actually
happened to the contacts according to the stage history. This module loads the tables into
Polars (COPY on PostgreSQL, in parts read at once), runs the replay and names the sampled
contacts. Only the events some interest rule may match are read: `rule_filter` states the rules
in SQL as a superset (text folded as the condition language folds it), and the rules themselves
decide afterwards. Profiles are the contacts' current ones: profile history is not kept.

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
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection

from accord.accounts.models import User
from accord.contacts.models import Account, Contact
from accord.core import clock, reading
from accord.core.errors import Conflict, InvalidInput
from accord.lifecycle.models import StageChange
from accord.playbook.domain import conditions
from accord.playbook.domain.conditions import Op
from accord.playbook.domain.document import Playbook
from accord.playbook.models import PlaybookVersion, VersionStatus
from accord.playbook.queries import active_playbook
from accord.scoring import domain, frames, replay
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


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _column(model: Any, name: str) -> str:
    return str(connection.ops.quote_name(model._meta.get_field(name).column))


def _day_sql(column: str) -> str:
    """SQL for the UTC day number (days since 1970-01-01) of a datetime column."""
    if connection.vendor == "postgresql":
        return f"(({column} AT TIME ZONE 'UTC')::date - DATE '1970-01-01')"
    return f"CAST(julianday(substr({column}, 1, 10)) - 2440587.5 AS INTEGER)"


def _epoch_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::float8"
    return f"(julianday({column}) - 2440587.5) * 86400.0"


def _text_sql(column: str) -> str:
    return f"{column}::text" if connection.vendor == "postgresql" else column


def read_frame(
    sql: str, params: Sequence[Any], schema: Mapping[str, Any], *, split: tuple[Any, str] | None = None
) -> pl.DataFrame:
    """The rows of a query (with a WHERE clause) as a frame (`core.reading`): on PostgreSQL in
    `STREAMS` parts read at once on connections of their own when `split` names the table (a
    model) and its ctid column in the query — each part a range of the table's pages — unless a
    transaction is open."""
    if connection.vendor != "postgresql" or split is None or STREAMS < 2 or connection.in_atomic_block:
        return reading.read_frame(sql, params, schema)  # other connections cannot see this one's writes
    table, ctid = split
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s) / current_setting('block_size')::int", [table._meta.db_table])
        (pages,) = cursor.fetchone()
    bounds = [pages * i // STREAMS for i in range(STREAMS)] + [None]
    ranged = f"{sql} AND {ctid} >= %s::tid"

    def part(index: int) -> pl.DataFrame:
        low, high = bounds[index], bounds[index + 1]
        query, values = ranged, [*params, f"({low},0)"]
        if high is not None:
            query, values = f"{ranged} AND {ctid} < %s::tid", [*values, f"({high},0)"]
        raw = connection.get_new_connection(connection.get_connection_params())
        try:
            return reading.concat_frames(reading.copy_frames(raw, query, values, schema), schema)
        finally:
            raw.close()

    with ThreadPoolExecutor(STREAMS) as pool:
        return pl.concat(list(pool.map(part, range(STREAMS))))


_EVENT_FACTS = {
    "event.type": "type",
    "event.name": "name",
    "event.url": "url",
    "event.path": "path",
    "event.referrer": "referrer",
    "event.utm_source": "utm_source",
    "event.utm_medium": "utm_medium",
    "event.utm_campaign": "utm_campaign",
    "event.properties": "properties",
}


def load_events(models: Iterable[domain.Model], *, until: int) -> pl.DataFrame:
    """The events of known contacts up to day `until` that an interest rule of `models` may
    match, with contact_id, day and the event columns the rules read (categorical).

    The database leaves out the events no rule can match (`rule_filter`: a superset, so nothing
    a rule matches is ever left out); which rules match exactly is decided afterwards, in Polars,
    by the domain's rules (`replay.kind_hits`)."""
    models = list(models)
    rules = [rule for model in models for rule in model.interest_rules]
    columns = set().union(*(frames.event_columns(m) for m in models)) if models else set()
    schema: dict[str, Any] = {"contact_id": pl.Int64, "day": pl.Int32}
    selected = [_column(Event, "contact"), _day_sql(_column(Event, "timestamp"))]
    for fact in sorted(columns):
        field = _EVENT_FACTS[fact]
        schema[fact] = pl.Categorical
        column = _column(Event, field)
        selected.append(_text_sql(column) if field == "properties" else column)
    if not rules:
        return pl.DataFrame(schema=schema)
    cutoff = dt.datetime.combine(domain.day_date(until + 1), dt.time(), tzinfo=dt.UTC)
    matches, params = rule_filter(rules)
    sql = (
        f"SELECT {', '.join(selected)} FROM {_table(Event)} "
        f"WHERE {_column(Event, 'contact')} IS NOT NULL AND {_column(Event, 'timestamp')} < %s AND ({matches})"
    )
    values = [connection.ops.adapt_datetimefield_value(cutoff), *params]
    return read_frame(sql, values, schema, split=(Event, f"{_table(Event)}.ctid"))


# --------------------------------------------------------------------------- which events to read

Sql = tuple[str, list[Any]]
_TEXT_OPS = (Op.EQ, Op.IN, Op.STARTS_WITH, Op.ENDS_WITH, Op.CONTAINS)


def rule_filter(rules: Sequence[domain.InterestRule]) -> Sql:
    """SQL that holds for every event one of `rules` matches (and perhaps for others).

    Text is compared as the condition language does, without regard to case: ASCII text is
    lower-cased in SQL (in the C collation, ASCII only), which is exactly Python's case folding
    for ASCII; text with other characters is always kept. Parts of a condition SQL cannot state
    (negations, numbers, properties) keep every event."""
    kind, name = _column(Event, "type"), _column(Event, "name")
    parts: dict[tuple[str, tuple[Any, ...]], None] = {}
    names: set[str] = set()  # track events read by name alone
    for rule in rules:
        when = _condition_sql(rule.when) if rule.when is not None else None
        if rule.event not in domain.EVENT_TYPES and when is None:
            names.add(rule.event)
            continue
        sql, params = _rule_sql(rule, when)
        parts[sql, tuple(params)] = None
    if names:
        folded = sorted({conditions._fold(n) for n in names})
        ascii_names = [n for n in folded if n.isascii()]
        lowered, other = _lowered(name)
        marks = ", ".join(["%s"] * len(ascii_names))
        test = f"{lowered} IN ({marks}) OR {other}" if ascii_names else other
        parts[f"{kind} = %s AND ({test})", ("track", *ascii_names)] = None
    return " OR ".join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params]


def _rule_sql(rule: domain.InterestRule, when: Sql | None) -> Sql:
    kind = _column(Event, "type")
    if rule.event in domain.EVENT_TYPES:
        sql, params = f"{kind} = %s", [rule.event]
    else:
        name, name_params = _text_sql_match(_column(Event, "name"), Op.EQ, rule.event)
        sql, params = f"{kind} = %s AND {name}", ["track", *name_params]
    if when is not None:
        sql, params = f"{sql} AND ({when[0]})", params + when[1]
    return sql, params


def _condition_sql(condition: Mapping[str, Any]) -> Sql | None:
    """A superset of a condition over event facts as SQL, or None when every event may match."""
    if "all" in condition:
        parts = [p for p in (_condition_sql(c) for c in condition["all"]) if p is not None]
        if not parts:
            return None
        return " AND ".join(f"({sql})" for sql, _ in parts), [v for _, params in parts for v in params]
    if "any" in condition:
        found = [_condition_sql(c) for c in condition["any"]]
        parts = [p for p in found if p is not None]
        if not parts or len(parts) < len(found):
            return None
        return " OR ".join(f"({sql})" for sql, _ in parts), [v for _, params in parts for v in params]
    if "not" in condition:
        return None
    field = _EVENT_FACTS.get(condition["field"])
    op, value = Op(condition["op"]), condition.get("value")
    if field is None or field == "properties" or op not in _TEXT_OPS:
        return None
    values: list[Any] = list(value or []) if op is Op.IN else [value]
    texts = [v for v in values if isinstance(v, str)]
    if len(texts) < len(values):
        return None
    parts = [_text_sql_match(_column(Event, field), Op.EQ if op is Op.IN else op, v) for v in texts]
    return " OR ".join(sql for sql, _ in parts), [v for _, params in parts for v in params]


def _lowered(column: str) -> tuple[str, str]:
    """SQL for a text column lower-cased in ASCII only, and SQL that holds when it has other characters."""
    if connection.vendor == "postgresql":
        return f'lower({column} COLLATE "C")', f"octet_length({column}) <> char_length({column})"
    return f"lower({column})", f"length(CAST({column} AS BLOB)) <> length({column})"


def _text_sql_match(column: str, op: Op, expected: str) -> Sql:
    """SQL that holds for every text `compare(actual, op, expected)` holds for (EQ, STARTS_WITH,
    ENDS_WITH, CONTAINS): ASCII text lower-cased and compared, any other text kept."""
    lowered, other = _lowered(column)
    folded = conditions._fold(expected)
    if not folded.isascii():
        return f"({other})", []  # ASCII text folds to ASCII: only other text can match
    if op is Op.EQ:
        return f"({lowered} = %s OR {other})", [folded]
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = {Op.STARTS_WITH: f"{escaped}%", Op.ENDS_WITH: f"%{escaped}", Op.CONTAINS: f"%{escaped}%"}[op]
    return f"({lowered} LIKE %s ESCAPE '\\' OR {other})", [pattern]


_CONTACT_TEXT = (
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "phone",
    "country",
    "stage",
    "first_source",
    "first_medium",
    "first_campaign",
    "first_offer",
    "last_source",
    "last_medium",
    "last_campaign",
    "last_offer",
)
_ACCOUNT_TEXT = ("name", "domain", "industry", "country")


def load_profiles(facts: set[str], *, now: dt.datetime) -> pl.DataFrame:
    """contact_id and a column per profile fact column in `facts` (as `frames.columns_of` names
    them), valued as `contacts.queries.contact_facts` gives them, for every contact."""
    c, a = "c", "a"
    selected: list[str] = [f"{c}.{_column(Contact, 'id')}"]
    schema: dict[str, Any] = {"contact_id": pl.Int64}
    later: dict[str, pl.Expr] = {}
    joins: list[str] = []
    account_join = (
        f"LEFT JOIN {_table(Account)} {a} ON {a}.{_column(Account, 'id')} = {c}.{_column(Contact, 'account')}"
    )

    def add(name: str, sql: str, kind: Any) -> None:
        selected.append(sql)
        schema[name] = kind

    def owner(alias: str, table: str, model: Any) -> str:
        joins.append(
            f"LEFT JOIN {_table(User)} {alias} ON {alias}.{_column(User, 'id')} = {table}.{_column(model, 'owner')}"
        )
        return f"{alias}.{_column(User, 'email')}"

    wanted = set(facts)  # column names as `frames.columns_of` gives them: properties by their prefix
    if any(f.startswith("account.") for f in wanted):
        joins.append(account_join)
    for fact in sorted(wanted):
        scope, _, field = fact.partition(".")
        if fact == "contact.email_domain":
            if "contact.email" not in schema:
                add("contact.email", f"{c}.{_column(Contact, 'email')}", pl.String)
            later[fact] = pl.col("contact.email").fill_null("").str.split("@").list.last().cast(pl.Categorical)
        elif fact == "contact.days_in_stage":
            add("_stage_changed", _epoch_sql(f"{c}.{_column(Contact, 'stage_changed_at')}"), pl.Float64)
            later[fact] = ((now.timestamp() - pl.col("_stage_changed")) / 86400).floor().cast(pl.Int64)
        elif fact == "contact.owner":
            add(fact, owner("uc", c, Contact), pl.Categorical)
        elif fact == "account.owner":
            add(fact, owner("ua", a, Account), pl.Categorical)
        elif fact == "contact.consent":
            add(fact, f"{c}.{_column(Contact, 'consent')}", pl.Boolean)
        elif fact == "contact.forms_submitted":
            add(fact, f"{c}.{_column(Contact, 'forms_submitted')}", pl.Int64)
        elif fact == "contact.properties":
            add(fact, _text_sql(f"{c}.{_column(Contact, 'properties')}"), pl.String)
        elif fact == "account.properties":
            add(fact, _text_sql(f"{a}.{_column(Account, 'properties')}"), pl.String)
        elif fact == "account.employees":
            add(fact, f"{a}.{_column(Account, 'employees')}", pl.Int64)
        elif fact == "account.annual_revenue":
            add(fact, f"CAST({a}.{_column(Account, 'annual_revenue')} AS DOUBLE PRECISION)", pl.Float64)
        elif scope == "contact" and field in _CONTACT_TEXT:
            if fact not in schema:
                add(fact, f"{c}.{_column(Contact, field)}", pl.String if field == "email" else pl.Categorical)
        elif scope == "account" and field in _ACCOUNT_TEXT:
            add(fact, f"{a}.{_column(Account, field)}", pl.Categorical)
        else:
            raise ValueError(f"the backtest cannot load the fact {fact!r}")
    sql = f"SELECT {', '.join(selected)} FROM {_table(Contact)} {c} {' '.join(dict.fromkeys(joins))} WHERE TRUE"
    found = read_frame(sql, [], schema, split=(Contact, f"{c}.ctid"))
    if later:
        found = found.with_columns(**later)
    return found.drop([n for n in found.columns if n.startswith("_")])


def load_stage_changes(stages: set[str]) -> pl.DataFrame:
    """contact_id, to_stage and day of every move into one of `stages`."""
    schema = {"contact_id": pl.Int64, "to_stage": pl.String, "day": pl.Int32}
    if not stages:
        return pl.DataFrame(schema=schema)
    marks = ", ".join(["%s"] * len(stages))
    sql = (
        f"SELECT {_column(StageChange, 'contact')}, {_column(StageChange, 'to_stage')}, "
        f"{_day_sql(_column(StageChange, 'at'))} FROM {_table(StageChange)} "
        f"WHERE {_column(StageChange, 'to_stage')} IN ({marks})"
    )
    return read_frame(sql, sorted(stages), schema)


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
