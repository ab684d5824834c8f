"""`accord demo`: load a realistic demo workspace (users, teams, playbook history, contacts)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accord.core.errors import AccordError
from accord.demo import actions, queries
from accord.demo.domain.people import DEMO_PASSWORD


def _at_least(minimum: int) -> Any:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


class _Bars:
    """One progress bar per step on stderr; only on a terminal (tqdm hides it otherwise)."""

    def __init__(self) -> None:
        self.step = ""
        self.bar: tqdm[Any] | None = None

    def __call__(self, step: str, advance: int, total: int) -> None:
        if step != self.step:
            self.close()
            self.step = step
            unit = "events" if step.endswith("events") else "contacts"
            self.bar = tqdm(total=total, desc=step, unit=unit, file=sys.stderr, disable=None, leave=False)
        if self.bar is not None:
            self.bar.update(advance)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Load a demo workspace: a user per role (password accord-demo), sales and marketing teams, "
        "a second playbook version, a campaign calendar, accounts and contacts with six months of stage "
        "history, hand-offs and deals, and of web, form and email events. "
        "The same --seed gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--contacts", type=_at_least(0), default=5000, help="how many contacts (default 5000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed; the same seed, the same data (default 7)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the workspace already has contacts"
        )
        parser.add_argument(
            "--force", action="store_true", help="add the demo data even though the workspace has contacts"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        existing = queries.contact_count()
        if existing:
            if options["if_empty"]:
                self.stdout.write("demo workspace already loaded")
                self._logins()
                return
            if not options["force"]:
                raise CommandError(
                    f"the workspace already has {existing:,} contacts; use --force to add the demo data anyway, "
                    "or --if-empty to skip when there is data"
                )
        count, seed = options["contacts"], options["seed"]
        self.stdout.write(f"Loading the demo workspace: {count:,} contacts, seed {seed}")
        bars = _Bars()
        try:
            result = actions.demo_load(contacts=count, seed=seed, progress=bars)
        except AccordError as exc:
            raise CommandError(exc.message) from None
        finally:
            bars.close()
        if result.playbook_version is not None:
            version = result.playbook_version
            signers = ", ".join(f"{s.user.display_name} ({s.side})" for s in version.signatures.select_related("user"))
            when = f"{version.activated_at:%Y-%m-%d}" if version.activated_at else "now"
            self.stdout.write(f"Playbook v{version.number} signed by {signers}; active since {when}.")
        by_size = sorted(result.by_stage.items(), key=lambda item: -item[1])
        stages = ", ".join(f"{stage or 'no stage'} {n:,}" for stage, n in by_size)
        self.stdout.write(f"Contacts by stage: {stages or 'none'}.")
        self.stdout.write(
            f"Wrote {result.rows:,} rows in {result.seconds:.1f} s: {result.contacts:,} contacts, "
            f"{result.stage_changes:,} stage changes, {result.handoffs:,} hand-offs, {result.deals:,} deals, "
            f"{result.events:,} events, {result.identities:,} identities, "
            f"{result.accounts:,} accounts, {result.campaigns} campaigns, {result.users} users, "
            f"{result.teams} teams, {result.memberships} team memberships, {result.playbook_rows} playbook rows, "
            f"{result.audit_entries} audit entries."
        )
        self.stdout.write(
            f"SLA: {result.milestones:,} milestones replayed from the hand-off history; "
            f"{result.breached:,} open ones breached and escalated by today's sweep."
        )
        self._logins()

    def _logins(self) -> None:
        logins = queries.demo_logins()
        if not logins:
            self.stdout.write("No demo logins exist in this workspace.")
            return
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD})")
        rows = [("Email", "Name", "Role", "Does", "Team")] + [
            (login.email, login.name, login.role, login.job, login.teams or "—") for login in logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for index, row in enumerate(rows):
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(("  " + "  ".join(cells)).rstrip())
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))
