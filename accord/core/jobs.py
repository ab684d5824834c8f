"""The schedule of Accord's periodic jobs, shared by `accord beat` (Celery) and `accord jobs` (in-process)."""

from __future__ import annotations

from collections.abc import Mapping


def due_jobs(jobs: Mapping[str, tuple[str, float]], last: Mapping[str, float], now: float) -> list[str]:
    """The jobs to run at `now` (monotonic seconds): those never run, and those run `every` ago or more."""
    return [name for name, (_, every) in jobs.items() if name not in last or now - last[name] >= every]
