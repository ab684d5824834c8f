"""The routing backtest: a period's MQLs routed again under a draft's routing and under the active
version's, side by side (`lifecycle.routing_replay` does the replay, in pure code).

It sits with scoring because it reads the way the scoring backtest does: the facts the routing
rules name come from the vectorised reader (one COPY on PostgreSQL) and the facts registry, not
contact by contact. What it reads:
- every move into the MQL stage in the window, in time order, with the hand-off it opened (its
  priority and when it closed);
- for each of those contacts, the facts both sections' rules name, as they are today (the profile
  is not versioned: a contact who changed company is routed by their company now), and the owner
  of their account;
- the teams and reps as they are today (away dates, inactive people and capacities are today's);
- each rep's median time from assignment to first touch over all their hand-offs, which projects
  a first-touch SLA miss against the playbook's first-contact hours for the hand-off's priority.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import orjson
import polars as pl

from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle import handoffs, routing, routing_replay
from accord.lifecycle.models import Handoff, StageChange
from accord.playbook.domain.document import Playbook
from accord.playbook.domain.routing import Routing
from accord.playbook.queries import active_playbook
from accord.scoring import facts as profile_facts
from accord.scoring.backtest import parse_window
from accord.scoring.facts import Column
from accord.scoring.frames import columns_of
from accord.scoring.reader import Reader

SCORE_COLUMNS = {
    "score.fit": Column("score.fit", "score__fit_score", pl.Float64),
    "score.grade": Column("score.grade", "score__fit_grade", pl.String),
    "score.interest": Column("score.interest", "score__interest_score", pl.Float64),
    "score.quadrant": Column("score.quadrant", "score__quadrant", pl.String),
    "contact.persona": Column("contact.persona", "score__persona", pl.String),
}
_IN_LIMIT = 5_000
PARALLEL_FROM = 20_000  # MQLs: below this, starting a process costs more than it saves
EPOCH_DAY = dt.date(1970, 1, 1)  # day numbers (`domain.day_number`) count from here


def routing_backtest(
    draft: Playbook, *, start: dt.date, end: dt.date, progress: Callable[[str], None] | None = None
) -> tuple[routing_replay.Comparison, dict[str, Any]]:
    """Replay the MQLs that entered from `start` to `end` (both days included) under the active
    routing and the draft's. The comparison, and what the report names (reps, seconds)."""
    started = time.perf_counter()
    active = active_playbook().playbook
    now = clock.now()
    mql = active.mql_stage
    if mql is None:
        empty = routing_replay.compare(routing_replay.Side("active"), routing_replay.Side("draft"))
        return empty, {"reps": {}, "seconds": 0.0}
    since = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    moves = list(
        StageChange.objects.filter(to_stage=mql.key, at__gte=since, at__lt=until)
        .order_by("at", "id")
        .values_list("id", "contact_id", "at")
    )
    if progress:
        progress(f"{len(moves):,} MQLs from {start} to {end}")
    opened = _handoffs_since(since, [m[0] for m in moves] if len(moves) <= _IN_LIMIT else None)
    names = _facts_named(active.routing) | _facts_named(draft.routing)
    facts = _read_facts({m[1] for m in moves}, names, now)
    plan_active, plan_draft = active.routing, draft.routing
    places = handoffs.workspace(plan_active, now=now, lock=False)
    reps = {i: routing.Rep(id=r.id, email=r.email, name=r.name, active=r.active, away_from=r.away_from,
                           away_until=r.away_until) for i, r in places.reps.items()}  # fmt: skip
    past = []
    for change_id, contact_id, at in moves:
        found = facts.get(contact_id, {})
        priority, closed = opened.get(change_id, (None, None))
        quadrant = found.get("score.quadrant")
        past.append(
            routing_replay.PastMql(
                contact_id=contact_id,
                at=at,
                facts=found,
                account_owner_id=found.get("_account_owner"),
                priority=priority or plan_active.priority_of(quadrant),
                closed_at=closed,
            )
        )
    response = response_hours()
    if progress:
        progress(f"replaying {len(past):,} MQLs under both routing sections")
    jobs = [
        routing_replay.Replay(name, plan, past, places.teams, reps, response, _sla_hours(book))
        for name, plan, book in (("active", plan_active, active), ("draft", plan_draft, draft))
    ]
    comparison = routing_replay.compare(*replay_sides(jobs, parallel=len(past) >= PARALLEL_FROM))
    shown = {r.id: r.name or r.email for r in reps.values()}
    return comparison, {"reps": shown, "seconds": time.perf_counter() - started}


def replay_sides(jobs: Sequence[routing_replay.Replay], *, parallel: bool) -> list[routing_replay.Side]:
    """Each job's side. The replays are pure and independent: with `parallel` (and a second core),
    every job but the first runs in a process of its own (spawned: it imports only the pure
    replay, never Django or the database) while this one runs the first."""
    if not parallel or len(jobs) < 2 or (os.cpu_count() or 1) < 2:
        return [job() for job in jobs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(jobs) - 1, mp_context=context) as pool:
        elsewhere = [pool.submit(job) for job in jobs[1:]]
        here = jobs[0]()
        return [here, *(future.result() for future in elsewhere)]


def _handoffs_since(since: dt.datetime, changes: list[int] | None) -> dict[int, tuple[str, dt.datetime | None]]:
    """The hand-offs the moves opened, by the move's id (all those opened since `since`, for many moves)."""
    rows = Handoff.objects.filter(stage_change_id__isnull=False)
    rows = rows.filter(stage_change_id__in=changes) if changes is not None else rows.filter(created_at__gte=since)
    return {
        change: (priority, closed)
        for change, priority, closed in rows.values_list("stage_change_id", "priority", "closed_at").iterator(
            chunk_size=10_000
        )
    }


def _facts_named(plan: Routing) -> set[str]:
    names: set[str] = set()
    for rule in plan.rules:
        names |= columns_of(rule.when)
    return names | {"score.quadrant"}


def _read_facts(ids: set[int], names: set[str], now: dt.datetime) -> dict[int, dict[str, Any]]:
    """The named facts of each contact in `ids`, as `contact_facts` gives them."""
    if not ids:
        return {}
    profile = {n for n in names if n not in SCORE_COLUMNS}
    columns = [
        Column("contact_id", "pk", pl.Int64),
        Column("_account_owner", "account__owner_id", pl.Int64),
        *profile_facts.profile_columns(profile),
        *(SCORE_COLUMNS[n] for n in sorted(names & set(SCORE_COLUMNS))),
    ]
    contacts = Contact.objects.order_by("pk")
    if len(ids) <= _IN_LIMIT:
        contacts = contacts.filter(pk__in=sorted(ids))
    with Reader() as reader:
        frame = reader.frame(contacts, columns)
    frame = profile_facts.derive(frame.filter(pl.col("contact_id").is_in(list(ids))), now)
    frame = frame.with_columns(pl.col(pl.Categorical).cast(pl.String))
    found: dict[int, dict[str, Any]] = {}
    for row in frame.iter_rows(named=True):
        for name in profile_facts.PROPERTY_FACTS & row.keys():
            row[name] = orjson.loads(row[name]) if row[name] else {}
        found[row["contact_id"]] = row
    return found


def response_hours() -> dict[int, float]:
    """Each rep's median hours from assignment to a first touch, over their hand-offs (a touch
    logged before the assignment counts as 0)."""
    rows = Handoff.objects.filter(first_touch_at__isnull=False, assigned_at__isnull=False, owner__isnull=False)
    columns = [
        Column("owner", "owner_id", pl.Int64),
        Column("assigned", "assigned_at", pl.Datetime("us", "UTC")),
        Column("touched", "first_touch_at", pl.Datetime("us", "UTC")),
    ]
    with Reader() as reader:
        frame = reader.frame(rows, columns)
    waits = frame.group_by("owner").agg(
        ((pl.col("touched") - pl.col("assigned")).dt.total_microseconds() / 3_600_000_000).clip(0).median()
    )
    return {owner: float(hours) for owner, hours in waits.iter_rows()}


def _sla_hours(playbook: Playbook) -> dict[str, float]:
    hours = (playbook.data.get("sla") or {}).get("sales", {}).get("first_contact_hours", {})
    return {priority: float(value) for priority, value in hours.items()}


def backtest_command(*, draft: Playbook, label: str, start: str | None, end: str | None, as_json: bool,
                     progress: Callable[[str], None] | None = None) -> str:  # fmt: skip
    """What `accord routing backtest FILE` prints: a table per rep and team, or JSON."""
    window = parse_window(start, end, today=clock.now().astimezone(dt.UTC).date())
    first, last = (EPOCH_DAY + dt.timedelta(days=window.start), EPOCH_DAY + dt.timedelta(days=window.end))
    comparison, named = routing_backtest(draft, start=first, end=last, progress=progress)
    if as_json:
        return json.dumps({**comparison.as_dict(), "reps": named["reps"], "from": first.isoformat(),
                           "to": last.isoformat()}, indent=2, default=str)  # fmt: skip
    return report(comparison, named["reps"], label=label, start=first, end=last, seconds=named["seconds"])


def report(comparison: routing_replay.Comparison, reps: dict[int, str], *, label: str, start: dt.date, end: dt.date,
           seconds: float) -> str:  # fmt: skip
    a, d = comparison.active, comparison.draft
    lines = [
        f"Routing backtest of {label}: {comparison.mqls:,} MQLs from {start} to {end} ({seconds:.1f} s)",
        "",
        f"{'':32} {'active':>8} {'draft':>8}",
    ]
    for rep in sorted(set(a.per_rep) | set(d.per_rep), key=lambda r: reps.get(r, str(r))):
        lines.append(f"  {reps.get(rep, f'user {rep}')[:30]:30} {a.per_rep[rep]:>8,} {d.per_rep[rep]:>8,}")
    lines.append("teams")
    for team in sorted(set(a.per_team) | set(d.per_team)):
        lines.append(f"  {team[:30]:30} {a.per_team[team]:>8,} {d.per_team[team]:>8,}")
    for title, left, right in (
        ("left in a team's queue", a.queued, d.queued),
        ("reps skipped at capacity", sum(a.capped.values()), sum(d.capped.values())),
        ("assigned outside working hours", a.outside_hours, d.outside_hours),
        ("projected first-touch SLA misses", a.sla_misses, d.sla_misses),
        ("owner never touched a hand-off", a.sla_unknown, d.sla_unknown),
    ):
        lines.append(f"{title:34} {left:>8,} {right:>8,}")
    lines.append(f"{'owner changes':34} {comparison.owner_changes:>17,}")
    return "\n".join(lines) + "\n"
