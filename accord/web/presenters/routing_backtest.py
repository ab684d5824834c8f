"""The routing backtest page's rows: each rep's and team's load under the active and the draft
routing, as bars on one scale, and the summary figures. Pure formatting."""

from __future__ import annotations

from typing import Any

from accord.lifecycle.routing_replay import Comparison


def present_routing_backtest(comparison: Comparison, reps: dict[int, str]) -> dict[str, Any]:
    a, d = comparison.active, comparison.draft
    top = max([*a.per_rep.values(), *d.per_rep.values(), *a.per_team.values(), *d.per_team.values(), 1])

    def row(name: str, left: int, right: int) -> dict[str, Any]:
        return {"name": name, "active": left, "draft": right, "top": top, "delta": right - left}

    rep_rows = [row(reps.get(r, f"user {r}"), a.per_rep[r], d.per_rep[r]) for r in set(a.per_rep) | set(d.per_rep)]
    team_rows = [row(t, a.per_team[t], d.per_team[t]) for t in set(a.per_team) | set(d.per_team)]
    summary = [
        ("Left in a team's queue", a.queued, d.queued),
        ("Reps skipped at capacity", sum(a.capped.values()), sum(d.capped.values())),
        ("Assigned outside working hours", a.outside_hours, d.outside_hours),
        ("Projected first-touch SLA misses", a.sla_misses, d.sla_misses),
        ("Owner has no first touch on record", a.sla_unknown, d.sla_unknown),
    ]
    return {
        "comparison": comparison,
        "rep_rows": sorted(rep_rows, key=lambda r: r["name"].lower()),
        "team_rows": sorted(team_rows, key=lambda r: r["name"].lower()),
        "summary": [{"label": label, "active": left, "draft": right} for label, left, right in summary],
    }
