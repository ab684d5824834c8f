from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.accounts.actions import apikey_create, apikey_revoke
from accord.accounts.domain import Role
from accord.accounts.models import ApiKey, User
from accord.core.errors import AccordError


class Command(BaseCommand):
    help = "Create, list or revoke API keys. `create` prints the key on its last line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", required=True, help="comma-separated: read, write, track, admin")
        create.add_argument("--owner", help="email of the admin the key acts for (default: the first admin)")
        sub.add_parser("list", help="list keys")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for key in ApiKey.objects.select_related("created_by"):
                state = "revoked" if key.revoked_at else "active"
                used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
                self.stdout.write(f"{key.prefix}  {state:8} {','.join(key.scopes):24} used {used:16} {key.name}")
            return
        if action == "revoke":
            found = ApiKey.objects.filter(prefix=options["prefix"]).first()
            if found is None:
                raise CommandError(f"no key with prefix {options['prefix']!r}")
            apikey_revoke(key=found, acting_user=self._owner(None))
            self.stdout.write(f"revoked {found.prefix}")
            return
        owner = self._owner(options["owner"])
        try:
            key, secret = apikey_create(name=options["name"], scopes=options["scopes"], acting_user=owner)
        except AccordError as exc:
            raise CommandError(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from None
        self.stdout.write(f"created key {key.prefix} '{key.name}' with scopes {','.join(key.scopes)} for {owner.email}")
        self.stdout.write("store it now; it is not shown again:")
        self.stdout.write(secret)

    def _owner(self, email: str | None) -> User:
        users = User.objects.filter(role=Role.ADMIN, is_active=True)
        if email:
            users = users.filter(email=email.strip().lower())
        owner = users.order_by("pk").first()
        if owner is None:
            raise CommandError(
                "an API key acts for an active admin; create one first: accord createuser --email E --role admin"
                if not email
                else f"no active admin with email {email}"
            )
        return owner
