from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.module_loading import import_string

from accord.core.jobs import due_jobs


class Command(BaseCommand):
    help = (
        "Run Accord's scheduled jobs in this process (the SLA sweep, the outbox, re-engage dates, the "
        "daily interest refresh): what `accord serve` starts when no ACCORD_BROKER_URL is set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once, then stop (for cron)")
        parser.add_argument("--only", action="append", default=[], help="run only this job (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        only = set(options["only"])
        jobs = {name: spec for name, spec in settings.ACCORD_JOBS.items() if not only or name in only}
        parent = os.getppid()
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        last: dict[str, float] = {}
        while not stopping:
            now = time.monotonic()
            for name in due_jobs(jobs, last, now) if not options["once"] else list(jobs):
                task, _ = jobs[name]
                started = time.perf_counter()
                try:
                    result = import_string(_callable(task))()
                except Exception as error:  # a failing job is reported and tried again next time
                    self.stderr.write(f"{name}: failed: {type(error).__name__}: {error}")
                    result = None
                finally:
                    close_old_connections()
                last[name] = now
                took = (time.perf_counter() - started) * 1000
                worked = any(result.values()) if isinstance(result, dict) else bool(result)
                if worked or options["verbosity"] > 1:
                    self.stdout.write(f"{name}: {result} ({took:.0f} ms)")
            if options["once"]:
                return
            if os.getppid() != parent and parent != 1:  # the server that started us is gone
                return
            time.sleep(1.0)
        sys.stdout.flush()


def _callable(task: str) -> str:
    """The dotted path of a Celery task's function from its name (accord.sla.sweep → accord.sla.tasks.sweep)."""
    module, _, name = task.rpartition(".")
    return f"{module}.tasks.{name}"
