"""When a run started in the background counts as stopped part-way, and how far along it is.

A background run (a Celery worker, or a thread of the web process) commits its progress with each
batch. One that is still `running` but has committed nothing for `STOPPED_AFTER` is taken to have
stopped — its process ended, or its worker was lost — and may be resumed; a younger one is still
at work, and starting it a second time would have two imports work on one file.
"""

from __future__ import annotations

import datetime as dt

from accord.imports.domain import RunStatus

STOPPED_AFTER = dt.timedelta(minutes=5)  # a batch of 500 rows takes seconds; minutes of silence is a stop


def stopped_part_way(status: str, last_sign_of_life: dt.datetime, now: dt.datetime) -> bool:
    """A run that is unfinished and silent for long enough: the page offers to resume it."""
    return status == RunStatus.RUNNING and now - last_sign_of_life >= STOPPED_AFTER


def percent(done: int, total: int, *, finished: bool) -> int:
    """Whole percent of the rows handled (a finished run is 100% whatever the count said)."""
    if finished:
        return 100
    if total <= 0:
        return 0
    return min(100, done * 100 // total)
