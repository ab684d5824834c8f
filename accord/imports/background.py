"""Imports started from the browser: the run is written at once, so the page can follow it, and
the work is handed to the background — a Celery worker when ACCORD_BROKER_URL is set, otherwise a
thread of the web process, since in-process Celery would run it inside the request (docs/adr/0014).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from functools import partial

from django.conf import settings
from django.db import connections, transaction

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.core import clock
from accord.core.errors import Conflict, InvalidInput
from accord.imports import actions, reading, tasks
from accord.imports.domain import DEFAULT_BATCH_SIZE, Format, ImportKind, RunStatus, header_key
from accord.imports.domain.runs import STOPPED_AFTER, stopped_part_way
from accord.imports.models import ImportRun
from accord.imports.uploads import Upload


def import_run_start(
    *, upload: Upload, format: Format | None, mapping: Mapping[str, str] | None, acting_user: User
) -> ImportRun:
    """A new run of the uploaded file, queued for the background once this transaction commits.

    The file is read as the preview reads it first, so what the import would refuse (a header it
    cannot use, a bad mapping) is refused here, with nothing written. The run is created as the
    action itself would create it — same file identity, format and options — so the action, when
    the background calls it, finds it as the unfinished run of its file and works on it.
    """
    require(acting_user, Capability.CONTACT_IMPORT)
    path = str(upload.path)
    preview = actions.import_preview(
        path=path, kind=upload.kind, format=format, mapping=mapping, acting_user=acting_user
    )
    try:
        file = reading.identify(path)
    except OSError as exc:
        raise InvalidInput(f"cannot read {upload.name}: {exc.strerror or exc}", field="file") from None
    with transaction.atomic():
        unfinished = (
            ImportRun.objects.select_for_update()
            .filter(kind=upload.kind, path=file.path, status=RunStatus.RUNNING)
            .order_by("-pk")
            .first()
        )
        if unfinished is not None:
            if stopped_part_way(unfinished.status, unfinished.updated_at, clock.now()):
                raise Conflict(
                    f"an import of {upload.name} stopped after line {unfinished.last_line:,}; resume it from its "
                    "page instead",
                    field="file",
                )
            raise Conflict(f"{upload.name} is being imported already; follow it on its page", field="file")
        run = ImportRun.objects.create(
            kind=upload.kind,
            format=preview.format,
            path=file.path,
            size=file.size,
            head_sha256=file.head_sha256,
            options={
                "owner": "",
                "batch_size": DEFAULT_BATCH_SIZE,
                "mapping": {header_key(column): target for column, target in (mapping or {}).items()},
                "file_name": upload.name,
            },
            by_user=acting_user,
            total_rows=preview.total_rows,
            invocations=0,  # the action counts itself in when it picks the run up
        )
        transaction.on_commit(partial(_hand_off, run_id=run.pk, acting_user_id=acting_user.pk, at=run.updated_at))
    return run


def import_run_resume(*, run: ImportRun, acting_user: User) -> ImportRun:
    """Hand a run that stopped part-way to the background again; it carries on after its last
    committed line. Conflict when it is still at work, or has ended."""
    require(acting_user, Capability.CONTACT_IMPORT)
    if run.kind not in (ImportKind.CONTACTS, ImportKind.ACCOUNTS):
        raise Conflict("an events import resumes from the command line: run `accord import events FILE` again")
    now = clock.now()
    with transaction.atomic():
        # Claimed in one statement: two clicks on Resume hand it over once.
        claimed = ImportRun.objects.filter(
            pk=run.pk, status=RunStatus.RUNNING, updated_at__lte=now - STOPPED_AFTER
        ).update(updated_at=now)
        if not claimed:
            run.refresh_from_db()
            if run.status != RunStatus.RUNNING:
                raise Conflict(f"this import has {run.status}; there is nothing to resume")
            raise Conflict("this import is still at work; it can be resumed once it has been silent for a while")
        transaction.on_commit(partial(_hand_off, run_id=run.pk, acting_user_id=acting_user.pk, at=now))
    run.refresh_from_db()
    return run


def _hand_off(*, run_id: int, acting_user_id: int, at: dt.datetime) -> None:
    kwargs = {"run_id": run_id, "acting_user_id": acting_user_id, "claimed_at": at.isoformat()}
    if settings.CELERY_TASK_ALWAYS_EAGER:
        in_thread(**kwargs)
    else:
        tasks.import_run.delay(**kwargs)


def in_thread(**kwargs: object) -> threading.Thread:
    """Run the task on a thread of its own (tests replace this to run it in the test's thread).

    A daemon thread: stopping the server does not wait for it; the run then stays unfinished and
    its page offers to resume it.
    """
    thread = threading.Thread(target=_thread_main, kwargs=kwargs, name=f"accord-import-{kwargs['run_id']}", daemon=True)
    thread.start()
    return thread


def _thread_main(**kwargs: object) -> None:
    try:
        tasks.import_run(**kwargs)
    finally:
        connections.close_all()  # this thread's own connections
