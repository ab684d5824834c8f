"""`accord import contacts FILE.csv` and `accord import events FILE.jsonl`: see docs/imports.md."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.core.progress import Bar
from accord.imports import actions
from accord.imports.domain import DEFAULT_BATCH_SIZE, ContactFormat

EXIT_ALL_BAD = 2  # every row was bad; 1 (CommandError's default) when the file cannot be read


def _batch_size(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if not 1 <= value <= actions.MAX_BATCH_SIZE:
        raise argparse.ArgumentTypeError(f"must be from 1 to {actions.MAX_BATCH_SIZE:,}")
    return value


class Command(BaseCommand):
    help = "Import contacts from a CSV file (Accord, HubSpot or Salesforce columns) or events from Segment JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        contacts = sub.add_parser("contacts", help="upsert contacts from a CSV file, matched by email or CRM id")
        contacts.add_argument("file")
        contacts.add_argument(
            "--format",
            choices=[f.value for f in ContactFormat],
            help="the file's columns (default: detected from the header)",
        )
        contacts.add_argument("--owner", metavar="EMAIL", help="owner of the contacts created without one")
        events = sub.add_parser("events", help="send Segment messages, one per line, through ingest")
        events.add_argument("file")
        events.add_argument("--key-prefix", default="import", help="recorded as the events' sender (default: import)")
        for each in (contacts, events):
            each.add_argument(
                "--batch-size",
                type=_batch_size,
                default=DEFAULT_BATCH_SIZE,
                help=f"rows per transaction (default {DEFAULT_BATCH_SIZE})",
            )
            each.add_argument(
                "--restart", action="store_true", help="start over instead of resuming an unfinished import"
            )
            each.add_argument("--report", metavar="CSV", help="also write the bad lines to this CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        bar = Bar("rows" if kind == "contacts" else "lines")
        scoring = Bar("contacts")
        try:
            if kind == "contacts":
                result = actions.contacts_import(
                    path=options["file"],
                    format=ContactFormat(options["format"]) if options["format"] else None,
                    owner_email=options["owner"],
                    batch_size=options["batch_size"],
                    restart=options["restart"],
                    progress=bar,
                    scoring_progress=scoring,
                )
            else:
                result = actions.events_import(
                    path=options["file"],
                    key_prefix=options["key_prefix"],
                    batch_size=options["batch_size"],
                    restart=options["restart"],
                    progress=bar,
                )
        except AccordError as exc:
            raise CommandError(exc.message) from None
        except KeyboardInterrupt:
            bar.close()
            raise CommandError(
                f"interrupted; the batches written so far are kept. Run the same command again to resume "
                f"{options['file']}, or add --restart to start over.",
                returncode=130,
            ) from None
        finally:
            bar.close()
            scoring.close()
        self._summary(options["file"], result)
        self._report(result, options["report"])
        if result.landed == 0 and result.run.skipped:
            raise CommandError(
                f"no row of {options['file']} could be imported; see the report", returncode=EXIT_ALL_BAD
            )

    def _summary(self, name: str, result: actions.ImportResult) -> None:
        run = result.run
        if result.detected_from is not None:
            reason = ", ".join(result.detected_from) or "no column specific to HubSpot or Salesforce"
            self.stdout.write(f"Detected the {run.format} format ({reason}).")
        if result.resumed_after:
            self.stdout.write(f"Resumed an unfinished import after line {result.resumed_after:,}.")
        if run.kind == "contacts":
            counts = f"{run.created:,} created, {run.updated:,} updated, {run.unchanged:,} unchanged"
        else:
            counts = f"{run.accepted:,} accepted, {run.duplicates:,} duplicates"
        self.stdout.write(
            f"Imported {name}: {counts}, {run.skipped:,} skipped "
            f"({run.rows_done:,} {'rows' if run.kind == 'contacts' else 'lines'}; {result.seconds:.1f} s)."
        )
        if result.rescored is not None:
            scored = result.rescored
            moved = f", {len(scored.moved):,} moved by the stage rules" if scored.moved else ""
            self.stdout.write(
                f"Scored {scored.contacts:,} contacts under the active playbook: {scored.changed:,} changed{moved} "
                f"({scored.seconds:.1f} s)."
            )

    def _report(self, result: actions.ImportResult, report: str | None) -> None:
        if not result.run.skipped:
            if report:
                self._write_report(report, [])
            return
        problems = list(actions.problems_of(result.run))
        self.stderr.write(f"{result.run.skipped:,} skipped; the bad lines:")
        for problem in problems:
            self.stderr.write(str(problem))
        if report:
            self._write_report(report, problems)

    def _write_report(self, report: str, problems: list[Any]) -> None:
        try:
            with Path(report).open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "field", "message"])
                writer.writerows([p.line, p.field, p.message] for p in problems)
        except OSError as exc:
            raise CommandError(f"cannot write the report to {report}: {exc.strerror or exc}") from None
        self.stdout.write(f"Wrote the report of bad lines to {report}.")
