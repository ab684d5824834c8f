"""The SLA's scheduled job."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from accord.sla.sweep import sweep as _sweep


@shared_task(name="accord.sla.sweep")
def sweep(*, now: str | None = None) -> dict[str, int]:
    """Every minute: breach and escalate what is past due, remind what is about to be. `now` (an
    ISO moment) runs it as of another time: tests and replays control the clock."""
    return _sweep(now=dt.datetime.fromisoformat(now) if now else None)
