from __future__ import annotations

import sys
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.contacts.actions import suppression_remove
from accord.contacts.models import Contact
from accord.core.errors import AccordError
from accord.trust.actions import contact_erase
from accord.trust.queries import contact_export


class Command(BaseCommand):
    help = "A person's data (GDPR): export it as JSON, erase it on request, or let an erased address back in."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print everything Accord holds about a contact as JSON")
        export.add_argument("contact_id", type=int)
        export.add_argument("--output", "-o", help="write to this file instead of standard output")
        erase = sub.add_parser("erase", help="erase a contact's personal data; the contact stays as a tombstone")
        erase.add_argument("contact_id", type=int)
        erase.add_argument("--reason", required=True, help="why, e.g. the person's request and its date")
        unsuppress = sub.add_parser("unsuppress", help="let an erased email address be added again")
        unsuppress.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "unsuppress":
                found = suppression_remove(email=options["email"], acting_user=None)
                self.stdout.write("removed from the suppression list" if found else "that address was not suppressed")
                return
            contact = Contact.objects.filter(pk=options["contact_id"]).first()
            if contact is None:
                raise CommandError(f"no contact {options['contact_id']}", returncode=2)
            if options["action"] == "export":
                data = orjson.dumps(
                    contact_export(contact=contact, acting_user=None), default=str, option=orjson.OPT_INDENT_2
                )
                if options["output"]:
                    with open(options["output"], "wb") as out:  # noqa: PTH123
                        out.write(data)
                    self.stdout.write(f"wrote {len(data):,} bytes to {options['output']}")
                else:
                    sys.stdout.buffer.write(data + b"\n")
                return
            erasure = contact_erase(contact=contact, reason=options["reason"], acting_user=None)
        except AccordError as exc:
            raise CommandError(f"{exc.field + ': ' if exc.field else ''}{exc.message}", returncode=2) from None
        counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in erasure.counts.items() if n)
        self.stdout.write(
            f"erased contact {contact.pk} ({counts or 'nothing else held'}); its addresses are suppressed"
        )
