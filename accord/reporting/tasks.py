"""The reporting job: roll up the scoreboard's settled days."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from accord.reporting.rollups import rollup_build


@shared_task(name="accord.reporting.rollup")
def rollup(*, now: str | None = None) -> dict[str, int]:
    """Every quarter of an hour: the days settled since, and the settled days history has changed."""
    return rollup_build(now=dt.datetime.fromisoformat(now) if now else None)
