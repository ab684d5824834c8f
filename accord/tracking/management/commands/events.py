from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.tracking.retention import events_expire


class Command(BaseCommand):
    help = "Raw events: `expire` deletes those older than ACCORD_EVENT_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        expire = sub.add_parser("expire", help="delete events older than the retention period")
        expire.add_argument("--days", type=int, help="override ACCORD_EVENT_RETENTION_DAYS for this run")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.ACCORD_EVENT_RETENTION_DAYS
        if days is None:
            self.stdout.write("ACCORD_EVENT_RETENTION_DAYS is not set: events are kept for ever; nothing deleted")
            return
        if days < 1:
            raise CommandError("--days must be at least 1", returncode=2)
        self.stdout.write(f"deleted {events_expire(days=days):,} events older than {days} days")
