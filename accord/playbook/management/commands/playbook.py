from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.errors import AccordError, InvalidInput
from accord.playbook import actions, queries, subcommands
from accord.playbook.domain.document import Playbook, diff


class Command(BaseCommand):
    help = "Validate, export, import and compare playbooks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser("validate", help="check a YAML file; lists every problem with its path")
        validate.add_argument("file")
        export = sub.add_parser("export", help="print a version's YAML (default: the active one)")
        export.add_argument("--version", type=int)
        load = sub.add_parser("import", help="create a draft version from a YAML file")
        load.add_argument("file")
        load.add_argument("--note", default="")
        compare = sub.add_parser("diff", help="compare two playbooks: version numbers or YAML files")
        compare.add_argument("a")
        compare.add_argument("b")
        sub.add_parser("list", help="list versions with their status and signatures")
        for extra in subcommands.registered():  # `backtest`, from scoring
            extra.add_arguments(sub.add_parser(extra.name, help=extra.help))

    def handle(self, *args: Any, **options: Any) -> None:
        extra = {s.name: s for s in subcommands.registered()}.get(options["action"])
        try:
            if extra is not None:
                self._extra(extra, options)
            else:
                getattr(self, f"_{options['action']}")(options)
        except InvalidInput as exc:
            self._problems(exc)
            raise CommandError(f"{len(exc.errors) or 1} problem(s) found") from None
        except AccordError as exc:
            raise CommandError(exc.message) from None

    def _problems(self, exc: InvalidInput) -> None:
        for path, message in exc.errors or [(exc.field or "", exc.message)]:
            self.stderr.write(f"{path}: {message}")

    def _extra(self, extra: subcommands.Subcommand, options: dict[str, Any]) -> None:
        try:
            text = extra.run(options, self._read)
        except InvalidInput as exc:
            self._problems(exc)
            raise CommandError(f"{len(exc.errors) or 1} problem(s) found", returncode=2) from None
        self.stdout.write(text)

    def _read(self, name: str) -> str:
        try:
            return Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{name} is not UTF-8 text") from None

    def _validate(self, options: dict[str, Any]) -> None:
        playbook = actions.playbook_parse(self._read(options["file"]))
        self.stdout.write(
            f"{options['file']}: valid — {len(playbook.stages)} stages, "
            f"{sum(len(r) for r in playbook.reasons.values())} reasons"
        )

    def _export(self, options: dict[str, Any]) -> None:
        number = options["version"]
        version = queries.version_get(number) if number else queries.active_playbook()
        text = version.source if version.source.endswith("\n") else version.source + "\n"
        self.stdout.write(text, ending="")

    def _import(self, options: dict[str, Any]) -> None:
        version = actions.playbook_draft_create(
            source=self._read(options["file"]), note=options["note"], acting_user=None
        )
        self.stdout.write(f"created draft version {version.number}; it needs the marketing and sales signatures")

    def _resolve(self, ref: str) -> Playbook:
        if ref.isdigit() and not Path(ref).exists():
            return queries.version_get(int(ref)).playbook
        return actions.playbook_parse(self._read(ref))

    def _diff(self, options: dict[str, Any]) -> None:
        lines = diff(self._resolve(options["a"]), self._resolve(options["b"]))
        if not lines:
            self.stdout.write("no differences")
        for line in lines:
            self.stdout.write(line)

    def _list(self, options: dict[str, Any]) -> None:
        for version in queries.version_list():
            signed = ", ".join(f"{s.side}: {s.user.email}" for s in version.signatures.all()) or "unsigned"
            self.stdout.write(
                f"v{version.number:<4} {version.status:8} {version.created_at:%Y-%m-%d}  {signed}  {version.note}"
            )
