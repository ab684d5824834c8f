from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Serve Accord with gunicorn (settings in accord/config/gunicorn.py; ACCORD_HOST / ACCORD_PORT)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, help="gunicorn worker processes (default ACCORD_WEB_WORKERS or 2)")

    def handle(self, *args: Any, **options: Any) -> None:
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which("gunicorn")
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment")
        if not settings.DEBUG and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
            from django.core.management import call_command

            self.stdout.write("collecting static files (once)")
            call_command("collectstatic", interactive=False, verbosity=0)
        host = os.environ.get("ACCORD_HOST", "127.0.0.1")
        port = os.environ.get("ACCORD_PORT", "8000")
        argv = [gunicorn, "accord.config.wsgi:application", "--config", "python:accord.config.gunicorn"]
        if options["workers"]:
            argv += ["--workers", str(options["workers"])]
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        database = settings.DATABASES["default"]["NAME"]
        self.stdout.write(f"Accord is serving on http://{shown}:{port}  (database: {database})")
        if settings.CELERY_TASK_ALWAYS_EAGER:  # no broker: the jobs run beside the server, in a process of their own
            subprocess.Popen([sys.executable, "-m", "accord.cli", "jobs"])
            self.stdout.write("No broker is set: the background jobs (SLA sweep, notifications) run beside it.")
        else:
            self.stdout.write("Background jobs go to the broker: run `accord worker` and `accord beat` too.")
        self.stdout.write("Press Ctrl+C to stop.")
        sys.stdout.flush()
        os.execv(gunicorn, argv)
