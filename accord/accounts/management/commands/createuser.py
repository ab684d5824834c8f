from __future__ import annotations

import getpass
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.accounts.actions import user_create
from accord.accounts.domain import Role
from accord.core.errors import AccordError


class Command(BaseCommand):
    help = "Create a user with a role. Without --password, asks for one (or generates one with --generate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--name", default="")
        parser.add_argument("--password")
        parser.add_argument("--generate", action="store_true", help="generate a password and print it")
        parser.add_argument("--time-zone", default="UTC")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if password is None and options["generate"]:
            password = secrets.token_urlsafe(12)
        elif password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords do not match")
        try:
            user = user_create(
                email=options["email"],
                role=options["role"],
                name=options["name"],
                password=password,
                time_zone=options["time_zone"],
                acting_user=None,
            )
        except AccordError as exc:
            raise CommandError(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from None
        self.stdout.write(f"created {user.email} ({user.role})")
        if options["generate"]:
            self.stdout.write(f"password: {password}")
