"""Background work of imports: an import started from the browser runs here, with the same action
as `accord import` (docs/adr/0014). Tasks take ids and are idempotent."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import transaction

from accord.accounts.models import User
from accord.core.errors import AccordError
from accord.imports import actions
from accord.imports.domain import DEFAULT_BATCH_SIZE, Format, ImportKind, RunStatus
from accord.imports.models import ImportRun

logger = logging.getLogger(__name__)
MAX_ERROR = 2000  # characters of an unexpected error kept on the run


@shared_task(name="accord.imports.run")
def import_run(*, run_id: int, acting_user_id: int | None, claimed_at: str) -> str:
    """Work on the run until it ends: the import action finds it as the unfinished run of its file and
    carries on after its last committed line. Returns the run's status.

    Idempotent: a run that has ended is left as it is, and so is one that another invocation has
    claimed or moved on since this one was queued (its `updated_at` is later than `claimed_at`).
    Any exception marks the run failed with its message instead of leaving it running.
    """
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return "missing"
    if run.status != RunStatus.RUNNING or run.updated_at > dt.datetime.fromisoformat(claimed_at):
        return str(run.status)
    user = None
    try:
        if acting_user_id is not None:
            user = User.objects.get(pk=acting_user_id)
        do = actions.contacts_import if run.kind == ImportKind.CONTACTS else actions.accounts_import
        result = do(
            path=run.path,
            format=Format(run.format),
            mapping=run.options.get("mapping") or None,
            owner_email=run.options.get("owner") or None,
            batch_size=int(run.options.get("batch_size") or DEFAULT_BATCH_SIZE),
            acting_user=user,
        )
        if result.run.pk != run_id:
            raise RuntimeError(f"the import worked on run {result.run.pk} of the same file instead")
    except Exception as exc:
        if not isinstance(exc, AccordError):
            logger.exception("import run %s failed", run_id)
        return _fail(run_id, _message(exc), user)
    return str(RunStatus.FINISHED)


def _message(exc: Exception) -> str:
    if isinstance(exc, AccordError):
        return exc.message
    if isinstance(exc, User.DoesNotExist):
        return "the user who started the import no longer exists"
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]


def _fail(run_id: int, error: str, user: User | None) -> str:
    """Mark the run failed with its error, and write its audit row, unless it has ended already."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RunStatus.RUNNING:
            return str(run.status) if run else "missing"
        run.error = error
        actions._end_run(run, RunStatus.FAILED, user)
    return str(RunStatus.FAILED)
