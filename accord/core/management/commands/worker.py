from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def celery_argv(*args: str) -> list[str]:
    """`celery -A accord.config.celery …` from this environment; CommandError without a broker."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        raise CommandError(
            "ACCORD_BROKER_URL is not set: without a broker `accord serve` runs the jobs itself "
            "(or run `accord jobs`); set ACCORD_BROKER_URL=redis://127.0.0.1:6379/0 to use workers"
        )
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or shutil.which("celery")
    if celery is None:
        raise CommandError("celery is not installed in this environment")
    return [celery, "-A", "accord.config.celery", *args]


class Command(BaseCommand):
    help = "Run a Celery worker for Accord's background work (needs ACCORD_BROKER_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, help="worker processes (Celery's default: one per core)")
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = celery_argv("worker", "--loglevel", options["loglevel"])
        if options["concurrency"]:
            argv += ["--concurrency", str(options["concurrency"])]
        sys.stdout.flush()
        os.execv(argv[0], argv)
