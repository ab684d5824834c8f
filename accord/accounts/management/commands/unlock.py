from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.accounts.actions import signin_unlock
from accord.core.errors import AccordError


class Command(BaseCommand):
    help = "Lift a sign-in lockout at once: of an account (--email) or of an address (--ip)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default="", help="the account's email")
        parser.add_argument("--ip", default="", help="the client address")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cleared = signin_unlock(email=options["email"], ip=options["ip"], acting_user=None)
        except AccordError as exc:
            raise CommandError(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from None
        self.stdout.write(f"unlocked {options['email'] or options['ip']} ({cleared} attempt records cleared)")
