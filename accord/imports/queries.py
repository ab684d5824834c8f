"""Reads of import runs for the Import pages: the recent runs, and one run's progress and outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.core.errors import NotFound
from accord.imports.actions import ProblemGroup, problem_summary
from accord.imports.domain import ImportKind, RunStatus
from accord.imports.domain.runs import percent, stopped_part_way
from accord.imports.models import ImportRun
from accord.imports.uploads import upload_for_path

RECENT_RUNS = 20


@dataclass(frozen=True)
class RunRow:
    """One run in the list of recent imports."""

    run: ImportRun
    file_name: str
    percent: int
    stopped: bool  # unfinished and silent: it may be resumed


@dataclass(frozen=True)
class RunPage:
    """What a run's page shows: how far it is, and once it has ended, what it did."""

    run: ImportRun
    file_name: str
    upload_token: str | None  # the uploaded file it imports, when it came from the browser
    percent: int
    queued: bool  # no invocation has started on it yet
    working: bool  # running, and committed a batch recently: the page keeps polling
    stopped: bool  # running, but silent for long enough to be taken as stopped: it may be resumed
    resumable: bool  # stopped, and of a kind the page can resume
    summary: tuple[ProblemGroup, ...]
    problems: int
    unmatched_owners: tuple[tuple[str, int], ...]


def _file_name(run: ImportRun) -> tuple[str, str | None]:
    upload = upload_for_path(run.path)
    if upload is not None:
        return upload.name, upload.token
    return Path(run.path).name, None


def import_runs_recent(*, now: dt.datetime, limit: int = RECENT_RUNS, acting_user: User) -> list[RunRow]:
    require(acting_user, Capability.CONTACT_IMPORT)
    rows = []
    for run in ImportRun.objects.select_related("by_user").order_by("-started_at", "-id")[:limit]:
        rows.append(
            RunRow(
                run=run,
                file_name=_file_name(run)[0],
                percent=percent(run.rows_done, run.total_rows, finished=run.status == RunStatus.FINISHED),
                stopped=stopped_part_way(run.status, run.updated_at, now),
            )
        )
    return rows


def import_run_get(*, pk: int, acting_user: User) -> ImportRun:
    require(acting_user, Capability.CONTACT_IMPORT)
    run = ImportRun.objects.filter(pk=pk).first()
    if run is None:
        raise NotFound(f"no import run {pk}")
    return run


def import_run_page(*, pk: int, now: dt.datetime, acting_user: User) -> RunPage:
    require(acting_user, Capability.CONTACT_IMPORT)
    run = ImportRun.objects.select_related("by_user").filter(pk=pk).first()
    if run is None:
        raise NotFound(f"no import run {pk}")
    name, token = _file_name(run)
    running = run.status == RunStatus.RUNNING
    stopped = stopped_part_way(run.status, run.updated_at, now)
    settled = not running or stopped  # its problems will not change while the page shows them
    summary = tuple(problem_summary(run)) if settled else ()
    unmatched = run.options.get("unmatched_owners") or {}
    return RunPage(
        run=run,
        file_name=name,
        upload_token=token,
        percent=percent(run.rows_done, run.total_rows, finished=run.status == RunStatus.FINISHED),
        queued=running and run.invocations == 0,
        working=running and not stopped,
        stopped=stopped,
        resumable=stopped and run.kind in (ImportKind.CONTACTS, ImportKind.ACCOUNTS),
        summary=summary,
        problems=run.problems.count() if settled else 0,
        unmatched_owners=tuple((str(owner), int(count)) for owner, count in unmatched.items()),
    )
