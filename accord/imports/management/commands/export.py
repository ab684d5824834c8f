"""`accord export contacts|accounts [--format …] [filters] [-o FILE]`: see docs/exports.md."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.accounts.models import User
from accord.core.errors import AccordError
from accord.core.progress import Bar
from accord.imports import export
from accord.imports.domain.columns import Format
from accord.scoring.domain import Quadrant


def _id(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an id (a whole number from 1)")
    return int(raw)


class Command(BaseCommand):
    help = "Export contacts or accounts as CSV in Accord's, HubSpot's or Salesforce's columns."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        contacts = sub.add_parser("contacts", help="contacts, with the filters of the contacts list")
        contacts.add_argument("--search", default="", help="words in the name, email, title or account")
        contacts.add_argument("--stage", default="", help="a stage key, or 'none' for contacts without one")
        contacts.add_argument("--owner", metavar="EMAIL", help="contacts this user owns")
        contacts.add_argument("--unowned", action="store_true", help="contacts nobody owns")
        contacts.add_argument("--account", type=_id, metavar="ID", help="contacts of this account")
        contacts.add_argument("--quadrant", choices=[q.value for q in Quadrant], help="contacts in this quadrant")
        contacts.add_argument("--heating", action="store_true", help="contacts heating up now")
        accounts = sub.add_parser("accounts", help="accounts, with the filters of the accounts list")
        accounts.add_argument("--search", default="", help="words in the name or domain")
        accounts.add_argument("--industry", default="", help="accounts in this industry")
        for each in (contacts, accounts):
            each.add_argument(
                "--format",
                choices=[f.value for f in Format],
                default=Format.ACCORD.value,
                help="whose column names to write (default: accord)",
            )
            each.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = Format(options["format"])
        try:
            if options["kind"] == "contacts":
                result = export.contacts_export(filters=self._contact_filters(options), format=fmt, acting_user=None)
            else:
                filters = export.AccountFilters(search=options["search"], industry=options["industry"])
                result = export.accounts_export(filters=filters, format=fmt, acting_user=None)
        except AccordError as exc:
            raise CommandError(exc.message) from None
        started = time.perf_counter()
        if options["output"]:
            bar = Bar("rows")
            try:
                with Path(options["output"]).open("w", newline="", encoding="utf-8") as out:
                    result.write(out, progress=bar)
            except OSError as exc:
                raise CommandError(f"cannot write {options['output']}: {exc.strerror}") from None
            finally:
                bar.close()
            where, report = options["output"], self.stdout
        else:
            for text in result.csv():
                self.stdout.write(text, ending="")
            self.stdout.flush()
            where, report = "standard output", self.stderr
        noun = ("contact" if options["kind"] == "contacts" else "account") + ("" if result.written == 1 else "s")
        report.write(
            f"Exported {result.written:,} {noun} in the {fmt} format to {where} "
            f"({time.perf_counter() - started:.1f} s).",
            style_func=str,
        )

    def _contact_filters(self, options: dict[str, Any]) -> export.ContactFilters:
        owner_id = None
        if options["owner"]:
            owner = User.objects.filter(email__iexact=options["owner"].strip()).first()
            if owner is None:
                raise CommandError(f"no user has the email {options['owner']!r}")
            owner_id = owner.pk
        return export.ContactFilters(
            search=options["search"],
            stage=options["stage"],
            owner_id=owner_id,
            account_id=options["account"],
            unowned=options["unowned"],
            quadrant=options["quadrant"] or "",
            heating=options["heating"],
        )
