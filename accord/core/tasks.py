"""Background work. With ACCORD_BROKER_URL set, tasks go to Celery workers through the broker;
without it, Celery runs them in-process at once (CELERY_TASK_ALWAYS_EAGER)."""

from __future__ import annotations

from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils.module_loading import import_string


def after_commit(task: Any, **kwargs: Any) -> None:
    """Queue `task` with keyword arguments (ids, never objects) once the current transaction commits.

    `task` may be the dotted path of a task ("accord.scoring.tasks.refresh"): lower layers name
    the next step of a higher one that way, without importing it.
    """
    if isinstance(task, str):
        task = import_string(task)
    transaction.on_commit(partial(task.delay, **kwargs))


@shared_task(name="accord.ping")
def ping(*, payload: str = "pong") -> str:
    """A health check for the worker: `accord.ping.delay().get(timeout=5)` answers the payload."""
    return payload
