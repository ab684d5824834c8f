"""`accord score rescore` and `accord score refresh`: score every contact again, or let interest fade.

    accord score rescore [--no-stage-moves]   every contact from its profile and whole history
    accord score refresh                      the daily decay (what the `decay` task runs)

A progress bar goes to stderr (on a terminal), a one-line summary to stdout. Exit codes: 0 done,
1 failed (nothing of the failing chunk is kept; chunks written before it are), 2 a wrong command
line, 130 interrupted.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError
from accord.core.progress import Bar
from accord.scoring import rescore


class Command(BaseCommand):
    help = "Score every contact again under the active playbook (rescore), or store how interest has faded (refresh)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        again = sub.add_parser("rescore", help="score every contact from its profile and its whole event history")
        again.add_argument(
            "--no-stage-moves",
            action="store_true",
            help="do not hand contacts whose scores rose to the stage rules (no MQL moves)",
        )
        sub.add_parser("refresh", help="store each contact's interest as it has faded since it was scored")

    def handle(self, *args: Any, **options: Any) -> None:
        bar = Bar("contacts")
        try:
            if options["action"] == "rescore":
                result = rescore.rescore(progress=bar, apply_rules=not options["no_stage_moves"])
            else:
                result = rescore.refresh_interest(progress=bar)
        except AccordError as exc:
            raise CommandError(exc.message) from None
        except KeyboardInterrupt:
            raise CommandError(
                "interrupted; the chunks written so far are kept. Run it again to finish: "
                "contacts already scored are left as they are.",
                returncode=130,
            ) from None
        finally:
            bar.close()
        self.stdout.write(_summary(options["action"], result))


def _summary(action: str, result: rescore.RescoreResult) -> str:
    what = "Rescored" if action == "rescore" else "Refreshed the interest of"
    parts = [
        f"{what} {result.contacts:,} contacts in {result.seconds:.1f} s",
        f"{result.written:,} updated",
        f"{result.changed:,} with a score change recorded",
    ]
    if action == "rescore":
        parts.append(f"{result.events:,} events read")
    if result.moved:
        parts.append(f"{len(result.moved):,} moved by the stage rules")
    if result.skipped:
        parts.append(f"{result.skipped:,} left as the event pipeline scored them meanwhile")
    return "; ".join(parts) + "."
