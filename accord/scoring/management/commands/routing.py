"""`accord routing backtest FILE [--from D] [--to D] [--json]`: the period's MQLs routed under a
draft's routing section and under the active version's, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError, InvalidInput
from accord.playbook import actions


class Command(BaseCommand):
    help = "Routing: backtest a draft's routing against the active version's."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        backtest = sub.add_parser("backtest", help="replay the period's MQLs under a draft YAML file's routing")
        backtest.add_argument("file")
        backtest.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day (default: 26 weeks ago)")
        backtest.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day (default: today)")
        backtest.add_argument("--json", dest="as_json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from accord.scoring.routing_backtest import backtest_command

        name = options["file"]
        try:
            source = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{name} is not UTF-8 text") from None
        try:
            draft = actions.playbook_parse(source)
            text = backtest_command(
                draft=draft, label=Path(name).name, start=options["start"], end=options["end"],
                as_json=options["as_json"], progress=lambda line: self.stderr.write(line),
            )  # fmt: skip
        except InvalidInput as exc:
            for path, message in exc.errors or [(exc.field or "", exc.message)]:
                self.stderr.write(f"{path}: {message}")
            raise CommandError(f"{len(exc.errors) or 1} problem(s) found", returncode=2) from None
        except AccordError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(text, ending="")
