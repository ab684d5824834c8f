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
from accord.imports.domain import DEFAULT_BATCH_SIZE, Format, ImportKind

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
    help = (
        "Import contacts or accounts from a CSV file (HubSpot or Salesforce exports, Accord's columns, or your "
        "own mapping) or events from Segment JSON Lines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        contacts = sub.add_parser(
            "contacts", help="upsert contacts from a CSV file, matched by CRM id, email, or name and company"
        )
        accounts = sub.add_parser(
            "accounts", help="upsert companies from a CSV file, matched by CRM id, domain or name"
        )
        for each in (contacts, accounts):
            each.add_argument("file")
            each.add_argument(
                "--format",
                choices=[f.value for f in Format],
                help="the file's columns (default: detected from the header; a format the header disagrees with is "
                "refused)",
            )
            each.add_argument(
                "--map",
                action="append",
                default=[],
                metavar="COLUMN=FIELD",
                help="read a column as a field (e.g. 'Lead Score=properties.lead_score', 'Region=skip'); repeatable",
            )
            each.add_argument("--mapping", metavar="FILE", help="a file of COLUMN=FIELD lines, read before --map")
            each.add_argument("--owner", metavar="EMAIL", help="owner of the records created without one")
            each.add_argument(
                "--dry-run",
                action="store_true",
                help="print the detected format, how each column will be read and the first problems; write nothing",
            )
        events = sub.add_parser("events", help="send Segment messages, one per line, through ingest")
        events.add_argument("file")
        events.add_argument("--key-prefix", default="import", help="recorded as the events' sender (default: import)")
        for each in (contacts, accounts, events):
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
        if kind != "events" and options["dry_run"]:
            self._preview(options)
            return
        bar = Bar("lines" if kind == "events" else "rows")
        scoring = Bar("contacts")
        try:
            if kind == "events":
                result = actions.events_import(
                    path=options["file"],
                    key_prefix=options["key_prefix"],
                    batch_size=options["batch_size"],
                    restart=options["restart"],
                    progress=bar,
                )
            else:
                run = actions.contacts_import if kind == "contacts" else actions.accounts_import
                result = run(
                    path=options["file"],
                    format=Format(options["format"]) if options["format"] else None,
                    mapping=self._mapping(options),
                    owner_email=options["owner"],
                    batch_size=options["batch_size"],
                    restart=options["restart"],
                    progress=bar,
                    scoring_progress=scoring,
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

    @staticmethod
    def _mapping(options: dict[str, Any]) -> dict[str, str] | None:
        try:
            return actions.read_mapping(options["mapping"], options["map"])
        except AccordError as exc:
            raise CommandError(exc.message) from None

    def _preview(self, options: dict[str, Any]) -> None:
        try:
            preview = actions.import_preview(
                path=options["file"],
                kind=ImportKind(options["kind"]),
                format=Format(options["format"]) if options["format"] else None,
                mapping=self._mapping(options),
            )
        except AccordError as exc:
            raise CommandError(exc.message) from None
        out = self.stdout.write
        if preview.detected_from is not None:
            reason = ", ".join(preview.detected_from[:8]) or "no column specific to HubSpot or Salesforce"
            out(f"Detected the {preview.format} format ({reason}).")
        else:
            out(f"Reading as the {preview.format} format.")
        out(f"{preview.total_rows:,} data rows; the columns will be read as:")
        width = max((len(c.header) for c in (*preview.columns, *preview.skipped)), default=10)
        for column in sorted((*preview.columns, *preview.skipped), key=lambda c: c.index):
            target = "(left out)" if column.target == "skip" else column.target
            kind = preview.types.get(column.target[11:]) if column.target.startswith("properties.") else None
            extra = f" [{kind}]" if kind else ""
            note = f"  — {column.note}" if column.note else ""
            out(f"  {column.index + 1:>4}  {column.header:<{width}}  → {target}{extra}{note}")
        out(
            f"Of the first {preview.rows_read:,} rows, {preview.rows_dropped:,} would be skipped and "
            f"{preview.rows_with_problems - preview.rows_dropped:,} imported without a field."
        )
        for problem in preview.problems:
            out(f"  {problem}")
        out("Dry run: nothing was written.")

    def _summary(self, name: str, result: actions.ImportResult) -> None:
        run = result.run
        if result.detected_from is not None:
            reason = ", ".join(result.detected_from) or "no column specific to HubSpot or Salesforce"
            self.stdout.write(f"Detected the {run.format} format ({reason}).")
        if result.resumed_after:
            self.stdout.write(f"Resumed an unfinished import after line {result.resumed_after:,}.")
        if run.kind != "events":
            counts = f"{run.created:,} created, {run.updated:,} updated, {run.unchanged:,} unchanged"
        else:
            counts = f"{run.accepted:,} accepted, {run.duplicates:,} duplicates"
        self.stdout.write(
            f"Imported {name}: {counts}, {run.skipped:,} skipped "
            f"({run.rows_done:,} {'lines' if run.kind == 'events' else 'rows'}; {result.seconds:.1f} s)"
            + (f"; {run.history:,} stage changes recorded from the file's history." if run.history else ".")
        )
        if result.rescored is not None:
            scored = result.rescored
            moved = f", {len(scored.moved):,} moved by the stage rules" if scored.moved else ""
            self.stdout.write(
                f"Scored {scored.contacts:,} contacts under the active playbook: {scored.changed:,} changed{moved} "
                f"({scored.seconds:.1f} s)."
            )

    def _report(self, result: actions.ImportResult, report: str | None) -> None:
        run = result.run
        unmatched = run.options.get("unmatched_owners") or {}
        if unmatched:
            names = ", ".join(f"{name} ({count:,})" for name, count in list(unmatched.items())[:10])
            self.stderr.write(f"Owners not found among Accord's active users (imported without an owner): {names}.")
        summary = actions.problem_summary(run)
        if summary:
            total = sum(group.count for group in summary)
            self.stderr.write(f"{total:,} problems, by field and cause:")
            for group in summary:
                outcome = "imported without it" if group.kept else "row skipped"
                field = group.field or "line"
                self.stderr.write(f"  {group.count:>7,}  {field}: {group.cause} ({outcome})")
                for example in group.examples:
                    self.stderr.write(f"           {example}")
            if not report:
                self.stderr.write("Add --report FILE.csv for every problem line.")
        if report:
            self._write_report(report, list(actions.problems_of(run)))

    def _write_report(self, report: str, problems: list[Any]) -> None:
        try:
            with Path(report).open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "field", "message", "outcome"])
                writer.writerows(
                    [p.line, p.field, p.message, "imported without it" if p.kept else "row skipped"] for p in problems
                )
        except OSError as exc:
            raise CommandError(f"cannot write the report to {report}: {exc.strerror or exc}") from None
        self.stdout.write(f"Wrote the report of bad lines to {report}.")
