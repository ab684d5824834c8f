from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accord.core.management.commands.worker import celery_argv


class Command(BaseCommand):
    help = "Run Celery beat: Accord's schedule (settings.ACCORD_JOBS) for the workers (needs ACCORD_BROKER_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        schedule = str(settings.DATA_DIR / "celerybeat-schedule")
        argv = celery_argv("beat", "--loglevel", options["loglevel"], "--schedule", schedule)
        sys.stdout.flush()
        os.execv(argv[0], argv)
