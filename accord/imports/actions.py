"""Imports from files: contacts and accounts from CSV (Accord's columns, HubSpot or Salesforce
exports, or a person's own mapping) and events from Segment JSON Lines.

Rows are read, validated as `accord.contacts.actions` validates a contact, and written in batches:
each batch is one transaction holding its contacts, its accounts, their imported stage history and
consent evidence, its problems and the run's progress (`ImportRun.last_line`), so a run stopped
part-way resumes after its last batch. A bad optional field is left out and reported with the row
kept; a row whose identity is bad is skipped and reported. One audit row per run, when it ends.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Lower

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts import domain as contacts_domain
from accord.contacts.actions import account_fields_clean, contact_fields_clean, property_definitions_ensure
from accord.contacts.domain import ConsentSource, PropertyObject, PropertyType
from accord.contacts.models import Account, ConsentChange, Contact
from accord.contacts.queries import property_types, suppressed
from accord.core import audit, bulk, clock
from accord.core.errors import Conflict, InvalidInput
from accord.imports import domain, reading
from accord.imports.domain import Format, ImportKind, Problem, RecordObject, Row, RunStatus
from accord.imports.models import ImportProblem, ImportRun
from accord.lifecycle.actions import stage_history_import
from accord.lifecycle.domain import ImportedMove
from accord.playbook.queries import active_playbook
from accord.scoring.rescore import RescoreResult, rescore
from accord.tracking import ingest

# (rows done, rows in the file): called when a run starts or resumes and after every batch.
Progress = Callable[[int, int], None]
MAX_BATCH_SIZE = 10_000
MAX_KEY_PREFIX = 16  # tracking.Event.sent_with
PREVIEW_PROBLEMS = 20
RESCORE_ALL_SHARE = 0.5  # an import touching more than this share of contacts rescores them all


@dataclass
class ImportResult:
    run: ImportRun
    detected_from: tuple[str, ...] | None = None  # the columns that decided the format, when detected
    resumed_after: int = 0  # the last line committed before this invocation; 0 for a fresh start
    seconds: float = 0.0
    rescored: RescoreResult | None = None  # contacts imports: the scores computed afterwards

    @property
    def landed(self) -> int:
        return self.run.landed


@dataclass(frozen=True)
class ProblemGroup:
    """Problems of one field and one cause, for the summary: how many, and the first lines."""

    field: str
    cause: str
    kept: bool  # the rows were imported without the field
    count: int
    examples: tuple[str, ...]  # the first problems, as `line N: field: message`


@dataclass(frozen=True)
class Preview:
    """What an import would do, read from the file's first rows; nothing is written."""

    format: Format
    record: RecordObject
    detected_from: tuple[str, ...] | None
    columns: tuple[domain.Column, ...]
    skipped: tuple[domain.Column, ...]
    types: Mapping[str, PropertyType]
    rows_read: int
    rows_dropped: int
    rows_with_problems: int
    problems: tuple[Problem, ...]  # the first ones
    total_rows: int


# --- runs ---------------------------------------------------------------------------------------


def _identify(path: str) -> reading.FileIdentity:
    try:
        return reading.identify(path)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="file") from None


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InvalidInput(f"the batch size must be from 1 to {MAX_BATCH_SIZE:,}", field="batch_size")


def _start_run(
    *,
    kind: ImportKind,
    file: reading.FileIdentity,
    format: str,
    options: dict[str, Any],
    restart: bool,
    acting_user: User | None,
    total: int = 0,
) -> tuple[ImportRun, bool]:
    """The unfinished run of this file to resume, or a new one; (run, resumed)."""
    with transaction.atomic():
        unfinished = (
            ImportRun.objects.select_for_update()
            .filter(kind=kind, path=file.path, size=file.size, head_sha256=file.head_sha256, status=RunStatus.RUNNING)
            .order_by("-pk")
            .first()
        )
        if unfinished is not None and restart:
            _end_run(unfinished, RunStatus.ABANDONED, acting_user)
            unfinished = None
        if unfinished is not None:
            if unfinished.format != format:
                raise Conflict(
                    f"an unfinished import of {file.path} in the {unfinished.format} format stopped after line "
                    f"{unfinished.last_line:,}; use --format {unfinished.format} to resume it, or --restart",
                    field="format",
                )
            unfinished.invocations += 1
            unfinished.options = options
            unfinished.save(update_fields=["invocations", "options"])
            return unfinished, True
        run = ImportRun.objects.create(
            kind=kind,
            format=format,
            path=file.path,
            size=file.size,
            head_sha256=file.head_sha256,
            options=options,
            by_user=acting_user,
            total_rows=total,
        )
        return run, False


def _end_run(run: ImportRun, status: RunStatus, acting_user: User | None) -> None:
    """Mark the run ended and write its one audit row; inside the caller's transaction."""
    run.status = status
    run.finished_at = clock.now()
    run.save(update_fields=["status", "finished_at", "error"])
    if run.kind == ImportKind.EVENTS:
        counts: tuple[str, ...] = ("accepted", "duplicates", "skipped")
    else:
        counts = ("created", "updated", "unchanged", "skipped", "history")
    audit.record(
        action=f"{run.kind}_import",
        obj=run,
        actor=acting_user,
        details={
            "file": run.path,
            "format": run.format,
            "status": status.value,
            "rows": run.rows_done,
            **{name: getattr(run, name) for name in counts},
            "invocations": run.invocations,
        },
    )


def _save_progress(run: ImportRun, problems: list[Problem], *, rows: int, last_line: int, **counts: int) -> None:
    ImportProblem.objects.bulk_create(
        [
            ImportProblem(
                run=run, line=p.line, field=p.field[:255], message=p.message, cause=p.grouped_by[:255], kept=p.kept
            )
            for p in problems
        ]
    )
    run.rows_done += rows
    run.last_line = last_line
    for name, value in counts.items():
        setattr(run, name, getattr(run, name) + value)
    run.updated_at = clock.now()
    run.save(update_fields=["rows_done", "last_line", "updated_at", "options", *counts])


def problems_of(run: ImportRun) -> Iterator[ImportProblem]:
    """Every problem of the run, in file order."""
    return run.problems.order_by("line", "id").iterator(chunk_size=2000)


def problem_summary(run: ImportRun, *, groups: int = 30) -> list[ProblemGroup]:
    """The run's problems grouped by field and cause, most frequent first, each with its first lines."""
    found = (
        run.problems.values("field", "cause", "kept")
        .annotate(count=Count("id"), first=Min("line"))
        .order_by("-count", "first", "field", "cause")[:groups]
    )
    summary = []
    for group in found:
        examples = run.problems.filter(field=group["field"], cause=group["cause"], kept=group["kept"]).order_by(
            "line", "id"
        )[: domain.SUMMARY_EXAMPLES]
        summary.append(
            ProblemGroup(
                field=group["field"],
                cause=group["cause"],
                kept=group["kept"],
                count=group["count"],
                examples=tuple(str(problem) for problem in examples),
            )
        )
    return summary


# --- the file's layout -----------------------------------------------------------------------------


@dataclass
class _Opened:
    layout: domain.Layout
    detected_from: tuple[str, ...] | None
    types: dict[str, PropertyType]
    stage_keys: frozenset[str]


def _read_layout(
    source: reading.CsvFile, record: RecordObject, format: Format | None, mapping: Mapping[str, str] | None
) -> tuple[domain.Layout, tuple[str, ...] | None]:
    detected_from = None
    if format is None:
        format, detected_from = domain.detect_format(source.header)
    elif not mapping:
        domain.check_format(source.header, format)
    return domain.layout(source.header, format, record, mapping), detected_from


def _seen_types(path: str, layout: domain.Layout) -> dict[str, tuple[str, PropertyType]]:
    """What each custom-property column of the file's first rows holds: {name: (label, type)}."""
    columns = layout.property_columns
    if not columns:
        return {}
    samples: dict[str, list[str]] = {column.target[11:]: [] for column in columns}
    with reading.CsvFile(path) as source:
        for number, record in enumerate(source.records()):
            if number >= domain.TYPE_SAMPLE_ROWS:
                break
            if record.problem is None:
                for column in columns:
                    if column.index < len(record.cells):
                        samples[column.target[11:]].append(record.cells[column.index])
    labels = {column.target[11:]: column.header for column in columns}
    return {name: (labels[name], domain.infer_type(values)) for name, values in samples.items()}


def _open(
    path: str,
    source: reading.CsvFile,
    record: RecordObject,
    format: Format | None,
    mapping: Mapping[str, str] | None,
    *,
    define: bool,
) -> _Opened:
    """The layout, the custom properties' types (defined now when `define`) and the playbook's stages."""
    layout, detected_from = _read_layout(source, record, format, mapping)
    seen = _seen_types(path, layout)
    object_ = PropertyObject.CONTACT if record is RecordObject.CONTACT else PropertyObject.ACCOUNT
    if define:
        types = property_definitions_ensure(object=object_, columns=seen)
    else:
        defined = property_types(object_, list(seen))
        types = {name: PropertyType(defined.get(name, kind)) for name, (_, kind) in seen.items()}
    stage_keys = frozenset(stage.key for stage in active_playbook().playbook.stages)
    return _Opened(layout=layout, detected_from=detected_from, types=types, stage_keys=stage_keys)


def _mapping(mapping: Mapping[str, str] | Sequence[str] | None) -> dict[str, str] | None:
    if mapping is None:
        return None
    if isinstance(mapping, Mapping):
        return {domain.header_key(column): target for column, target in mapping.items()}
    try:
        return domain.parse_mapping(list(mapping))
    except domain.HeaderError as exc:
        raise InvalidInput(str(exc), field="mapping") from None


def read_mapping(path: str | None, entries: Sequence[str] = ()) -> dict[str, str] | None:
    """A mapping file (`Column=field` per line, `#` for comments) and then `--map` entries, as one
    mapping; InvalidInput naming the line of an entry that is not `Column=field`."""
    mapping: dict[str, str] = {}
    try:
        if path:
            lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
            mapping.update(domain.parse_mapping(lines, source=path))
        mapping.update(domain.parse_mapping(list(entries)))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the mapping file {path}: {exc}", field="mapping") from None
    except domain.HeaderError as exc:
        raise InvalidInput(str(exc), field="mapping") from None
    return mapping or None


def import_preview(
    *,
    path: str,
    kind: ImportKind = ImportKind.CONTACTS,
    format: Format | None = None,
    mapping: Mapping[str, str] | Sequence[str] | None = None,
    rows: int = domain.TYPE_SAMPLE_ROWS,
    acting_user: User | None = None,
) -> Preview:
    """The dry run: the detected format, how each column will be used and the first problems,
    from the file's first `rows` rows. Writes nothing."""
    require(acting_user, Capability.CONTACT_IMPORT)
    record = RecordObject.CONTACT if kind == ImportKind.CONTACTS else RecordObject.ACCOUNT
    try:
        with reading.CsvFile(path) as source:
            opened = _open(path, source, record, format, _mapping(mapping), define=False)
            checker = _RowChecker(opened)
            problems: list[Problem] = []
            read = dropped = with_problems = 0
            for item in source.records():
                if read >= rows:
                    break
                read += 1
                checked = checker.check(item)
                dropped += checked.row is None
                with_problems += bool(checked.problems)
                problems.extend(checked.problems[: PREVIEW_PROBLEMS - len(problems)])
        total = max(reading.count_lines(path) - 1, 0)
    except domain.HeaderError as exc:
        raise InvalidInput(f"{Path(path).name}: {exc}", field="file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="file") from None
    return Preview(
        format=opened.layout.format,
        record=record,
        detected_from=opened.detected_from,
        columns=opened.layout.columns,
        skipped=opened.layout.skipped,
        types=opened.types,
        rows_read=read,
        rows_dropped=dropped,
        rows_with_problems=with_problems,
        problems=tuple(problems),
        total_rows=total,
    )


# --- checking a row without the database ----------------------------------------------------------


@dataclass
class _Item:
    """One data row of a batch: the row to write (None when it is skipped) and its problems."""

    line: int
    row: Row | None
    problems: list[Problem] = field(default_factory=list)
    person: str | None = None  # the name-and-company key of a row without an email or CRM id
    moves: tuple[list[ImportedMove], ImportedMove | None] | None = None
    record_id: int | None = None  # the contact or account the row matched or created
    unchanged: bool = False  # matched a record the row did not change


_CONTACT_IDENTITY = domain.IDENTITY_TARGETS  # email, hubspot_id, salesforce_lead_id, salesforce_contact_id
_ACCOUNT_IDENTITY = ("hubspot_company_id", "salesforce_account_id")


class _RowChecker:
    """Reads and validates rows as contacts.actions would, and finds rows repeated in the file."""

    def __init__(self, opened: _Opened) -> None:
        self.opened = opened
        self.layout = opened.layout
        self.contact = self.layout.record is RecordObject.CONTACT
        # The first line of each email, CRM id or person in the file: a later row with the same is a repeat.
        self.seen: dict[str, dict[str, int]] = {}

    def check(self, record: reading.Record) -> _Item:
        if record.problem is not None:
            return _Item(record.line, None, [record.problem])
        cells = record.cells
        padded: Problem | None = None
        if len(cells) > self.layout.width and any(cell.strip() for cell in cells[self.layout.width :]):
            message = f"has {len(cells)} cells; the header has {self.layout.width}"
            return _Item(record.line, None, [Problem(record.line, "row", message, "has more cells than the header")])
        if len(cells) < self.layout.width:
            padded = Problem(
                record.line,
                "row",
                f"has {len(cells)} cells; the header has {self.layout.width} (the missing ones are read as empty)",
                "has fewer cells than the header",
                kept=True,
            )
            cells = [*cells, *([""] * (self.layout.width - len(cells)))]
        row = domain.read_row(cells, self.layout, record.line, self.opened.types, self.opened.stage_keys)
        if padded is not None:
            row.problems.insert(0, padded)
        self._clean(row)
        person = None
        if self.contact and not row.dropped and not any(row.record.get(name) for name in _CONTACT_IDENTITY):
            person = domain.person_key(
                row.record.get("first_name", ""), row.record.get("last_name", ""), row.account.get("name", "")
            )
            if person is None:
                row.fail(
                    "row",
                    "has no email, no CRM id, and no name and company to know the person by",
                    cause="has no email, CRM id, or name and company",
                )
        if row.dropped:
            return _Item(record.line, None, row.problems)
        keys = self._keys(row, person)
        for name, value in keys:
            first = self.seen.get(name, {}).get(value)
            if first is not None:
                label = "person (name and company)" if name == "person" else name
                row.fail(
                    name if name != "person" else "row",
                    f"the same {label} as line {first} ({value!r}); only the first is imported",
                    cause="repeats an earlier line",
                )
        if row.dropped:
            return _Item(record.line, None, row.problems)
        for name, value in keys:
            self.seen.setdefault(name, {})[value] = record.line
        return _Item(record.line, row, row.problems, person)

    def _keys(self, row: Row, person: str | None) -> list[tuple[str, str]]:
        if self.contact:
            keys = [(name, row.record[name]) for name in _CONTACT_IDENTITY if row.record.get(name)]
            return [*keys, ("person", person)] if person else keys
        keys = [(name, row.record[name]) for name in _ACCOUNT_IDENTITY if row.record.get(name)]
        if row.record.get("domain"):
            keys.append(("domain", row.record["domain"]))
        elif row.record.get("name") and not keys:
            keys.append(("name", row.record["name"].casefold()))
        return keys

    def _clean(self, row: Row) -> None:
        """Validate as contacts.actions does: a bad identity skips the row; any other bad field is
        left out with the row kept."""
        if self.contact:
            values = dict(row.record)
            if row.properties:
                values["properties"] = row.properties
            row.record = self._cleaned(row, values, contact_fields_clean, "", _CONTACT_IDENTITY)
            if row.account:
                row.account = self._cleaned(row, dict(row.account), _account_update_fields, "account.", ())
        else:
            values = dict(row.record)
            if row.properties:
                values["properties"] = row.properties
            row.record = self._cleaned(row, values, _account_update_fields, "", ("name", *_ACCOUNT_IDENTITY))

    @staticmethod
    def _cleaned(
        row: Row,
        values: dict[str, Any],
        clean: Callable[[dict[str, Any]], dict[str, Any]],
        prefix: str,
        identity: tuple[str, ...],
    ) -> dict[str, Any]:
        for _ in range(len(values) + 1):
            try:
                return clean(values)
            except InvalidInput as exc:
                for name, message in exc.errors:
                    base = name.split(".", 1)[0]
                    value = values.pop(base, None)
                    shown, cause = _quoted(value, message)
                    row.fail(f"{prefix}{base}", shown, cause=cause, kept=base not in identity)
        return {}


def _account_update_fields(data: dict[str, Any]) -> dict[str, Any]:
    return account_fields_clean(data, creating=False)


def _quoted(value: Any, message: str) -> tuple[str, str]:
    """(the message with the bad value quoted, the message without it: the summary's cause)."""
    if not isinstance(value, str):
        return message, message
    quoted = repr(value[:60])
    if message.startswith(quoted):
        return message, message[len(quoted) :].strip()
    return f"{quoted} {message}", message


# --- contacts -----------------------------------------------------------------------------------


def contacts_import(
    *,
    path: str,
    format: Format | None = None,
    mapping: Mapping[str, str] | Sequence[str] | None = None,
    owner_email: str | None = None,
    batch_size: int = domain.DEFAULT_BATCH_SIZE,
    restart: bool = False,
    progress: Progress | None = None,
    scoring_progress: Progress | None = None,
    acting_user: User | None = None,
) -> ImportResult:
    """Upsert the contacts of a CSV file with their accounts and stage history, then score the
    contacts it created or changed under the active playbook. `format` None: detected from the
    header (a given format the header disagrees with is refused); `mapping` ({column: field} or
    `Column=field` lines) comes before the format's tables.

    Raises InvalidInput when the file cannot be imported at all (missing, not UTF-8, a header
    without a column that identifies a contact, a bad mapping, an unknown --owner) and Conflict
    when an unfinished run of the file used another format.
    """
    return _import(
        kind=ImportKind.CONTACTS,
        path=path,
        format=format,
        mapping=mapping,
        owner_email=owner_email,
        batch_size=batch_size,
        restart=restart,
        progress=progress,
        scoring_progress=scoring_progress,
        acting_user=acting_user,
    )


def accounts_import(
    *,
    path: str,
    format: Format | None = None,
    mapping: Mapping[str, str] | Sequence[str] | None = None,
    owner_email: str | None = None,
    batch_size: int = domain.DEFAULT_BATCH_SIZE,
    restart: bool = False,
    progress: Progress | None = None,
    scoring_progress: Progress | None = None,
    acting_user: User | None = None,
) -> ImportResult:
    """Upsert the companies of a CSV file (HubSpot's companies export, Salesforce's Account.csv or
    Accord's columns), matched by CRM id, then domain, then name; then score their contacts."""
    return _import(
        kind=ImportKind.ACCOUNTS,
        path=path,
        format=format,
        mapping=mapping,
        owner_email=owner_email,
        batch_size=batch_size,
        restart=restart,
        progress=progress,
        scoring_progress=scoring_progress,
        acting_user=acting_user,
    )


def _import(
    *,
    kind: ImportKind,
    path: str,
    format: Format | None,
    mapping: Mapping[str, str] | Sequence[str] | None,
    owner_email: str | None,
    batch_size: int,
    restart: bool,
    progress: Progress | None,
    scoring_progress: Progress | None,
    acting_user: User | None,
) -> ImportResult:
    require(acting_user, Capability.CONTACT_IMPORT)
    _check_batch_size(batch_size)
    started = time.perf_counter()
    default_owner = _default_owner(owner_email) if owner_email else None
    file = _identify(path)
    record = RecordObject.CONTACT if kind == ImportKind.CONTACTS else RecordObject.ACCOUNT
    given = _mapping(mapping)
    try:
        with reading.CsvFile(path) as source:
            opened = _open(path, source, record, format, given, define=True)
            total = max(reading.count_lines(path) - 1, 0)
            run, resumed = _start_run(
                kind=kind,
                file=file,
                format=opened.layout.format,
                options={
                    "owner": owner_email or "",
                    "batch_size": batch_size,
                    "mapping": dict(given or {}),
                    "file_name": Path(path).name,
                },
                restart=restart,
                acting_user=acting_user,
                total=total,
            )
            resumed_after = run.last_line if resumed else 0
            importer = _Importer(
                run=run, opened=opened, default_owner=default_owner, batch_size=batch_size, acting_user=acting_user
            )
            importer.import_rows(source.records(), progress, total)
    except domain.HeaderError as exc:
        raise InvalidInput(f"{Path(path).name}: {exc}", field="file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="file") from None
    with transaction.atomic():
        _end_run(run, RunStatus.FINISHED, acting_user)
    # The contacts created or changed get their fit at once, in one vectorised pass: cheaper than
    # scoring row by row as they land. Like the import itself, this moves no stages (imported
    # contacts come with theirs); their next event lets the rules look.
    rescored = None
    if importer.touched_contacts:
        everyone = len(importer.touched_contacts) > RESCORE_ALL_SHARE * Contact.objects.count()
        ids = None if everyone else sorted(importer.touched_contacts)
        rescored = rescore(progress=scoring_progress, apply_rules=False, contact_ids=ids)
    return ImportResult(
        run=run,
        detected_from=opened.detected_from,
        resumed_after=resumed_after,
        seconds=time.perf_counter() - started,
        rescored=rescored,
    )


def _default_owner(email: str) -> int:
    owner = User.objects.filter(email=email.strip().lower(), is_active=True).values_list("pk", flat=True).first()
    if owner is None:
        raise InvalidInput(f"--owner: no active user with email {email!r}", field="owner")
    return owner


@dataclass
class _Plan:
    """What one batch writes."""

    new_accounts: list[Account] = field(default_factory=list)
    changed_accounts: dict[int, tuple[Account, set[str]]] = field(default_factory=dict)
    creates: list[tuple[_Item, dict[str, Any], Account | None]] = field(default_factory=list)  # field values
    updates: list[tuple[_Item, Contact, Account | None, set[str]]] = field(default_factory=list)
    consents: list[tuple[_Item, int | None, bool]] = field(default_factory=list)  # (item, contact id, consent)
    unchanged: int = 0


# What an import may compare or change on an existing contact; the rest is not loaded.
_LOADED_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "phone",
    "country",
    "consent",
    *domain.columns.CONTACT_IDS,
    *domain.columns.ATTRIBUTION_TARGETS,
    "properties",
    "consent_at",
    "owner_id",
    "account_id",
    "created_at",
    "imported_at",
    "updated_at",
)
_ACCOUNT_UPDATABLE = (
    "name",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "domain",
    "owner",
    "hubspot_company_id",
    "salesforce_account_id",
    "properties",
    "created_at",
    "imported_at",
    "updated_at",
)


class _Owners:
    """Active users by email, by name and by CRM id, loaded once per import (users are few)."""

    def __init__(self) -> None:
        self.by_key: dict[str, set[int]] = {}
        self.crm_ids: dict[int, list[str]] = {}
        self.unmatched: Counter[str] = Counter()
        self.learned: dict[int, set[str]] = {}
        for pk, email, name, crm_ids in User.objects.filter(is_active=True).values_list(
            "pk", "email", "name", "crm_ids"
        ):
            self.by_key.setdefault(email.casefold(), set()).add(pk)
            if name:
                self.by_key.setdefault(" ".join(name.split()).casefold(), set()).add(pk)
            ids = [str(value) for value in crm_ids or []]
            self.crm_ids[pk] = ids
            for value in ids:
                self.by_key.setdefault(f"id:{value}", set()).add(pk)

    def find(self, written: str, crm_id: str) -> int | None:
        """The user a row names (by email or name, else by CRM id); None when no one or several."""
        found: int | None = None
        if written:
            users = self.by_key.get(" ".join(written.split()).casefold(), set())
            found = next(iter(users)) if len(users) == 1 else None
        if found is None and crm_id:
            users = self.by_key.get(f"id:{crm_id}", set())
            found = next(iter(users)) if len(users) == 1 else None
        elif found is not None and crm_id and not self.by_key.get(f"id:{crm_id}"):
            self.learned.setdefault(found, set()).add(crm_id)
            self.crm_ids[found].append(crm_id)
            self.by_key[f"id:{crm_id}"] = {found}
        if found is None and (written or crm_id):
            self.unmatched[written or crm_id] += 1
        return found

    def save_learned(self) -> None:
        """Keep the CRM ids learned from rows that named the owner both ways."""
        for pk in self.learned:
            User.objects.filter(pk=pk).update(crm_ids=self.crm_ids[pk])
        self.learned.clear()


class _Importer:
    def __init__(
        self, *, run: ImportRun, opened: _Opened, default_owner: int | None, batch_size: int, acting_user: User | None
    ) -> None:
        self.run = run
        self.opened = opened
        self.layout = opened.layout
        self.contact = self.layout.record is RecordObject.CONTACT
        self.crm = self.layout.format is not Format.ACCORD
        self.checker = _RowChecker(opened)
        self.default_owner = default_owner
        self.batch_size = batch_size
        self.acting_user = acting_user
        self.owners = _Owners()
        self.touched: dict[int, int] = {}  # record id → the line that wrote it in this run
        self.touched_contacts: set[int] = set()
        self.by_id: dict[str, dict[str, Account]] = {name: {} for name in _ACCOUNT_IDENTITY}
        self.by_domain: dict[str, list[Account]] = {}
        self.by_name: dict[str, list[Account]] = {}
        self.erased: set[str] = set()  # the batch's emails of people erased on request
        self.source = {"run": run.pk, "file": Path(run.path).name, "by": acting_user.email if acting_user else ""}

    def import_rows(self, records: Iterable[reading.Record], progress: Progress | None, total: int) -> None:
        if progress is not None:
            progress(self.run.rows_done, total)
        batch: list[_Item] = []
        resume_after = end_line = self.run.last_line
        for record in records:
            if record.line <= resume_after:
                self.checker.check(record)  # committed already; read again only to know its emails and ids
                continue
            batch.append(self.checker.check(record))
            end_line = record.end_line
            if len(batch) >= self.batch_size:
                self._write(batch, end_line)
                batch = []
                if progress is not None:
                    progress(self.run.rows_done, total)
        if batch:
            self._write(batch, end_line)
            if progress is not None:
                progress(self.run.rows_done, total)

    def _write(self, items: list[_Item], end_line: int) -> None:
        """Write one batch and the run's progress in one transaction."""
        with transaction.atomic():
            plan = self._plan(items)
            reserved = bulk.reserve_ids(Contact, len(plan.creates)) if self.contact else []
            for (_, values, _), pk in zip(plan.creates, reserved, strict=True):
                values["id"] = pk
            try:
                with transaction.atomic():
                    created, updated = self._apply(plan)
            except IntegrityError:
                # Someone else wrote the same email or id meanwhile, or two rows swap one: row by row,
                # so that only the rows in conflict are refused.
                created, updated = self._apply_one_by_one(plan)
            history = self._after(plan, items) if self.contact else 0
            self.owners.save_learned()
            if self.owners.unmatched:
                self.run.options = {**self.run.options, "unmatched_owners": dict(self.owners.unmatched.most_common(50))}
            problems = [problem for item in items for problem in item.problems]
            _save_progress(
                self.run,
                problems,
                rows=len(items),
                last_line=end_line,
                created=created,
                updated=updated,
                unchanged=plan.unchanged,
                skipped=sum(1 for item in items if item.row is None),
                history=history,
            )

    # The database side of a batch: owners, existing records, accounts.

    def _plan(self, items: list[_Item]) -> _Plan:
        rows = [item for item in items if item.row is not None]
        plan = _Plan()
        now = clock.now()
        if self.contact:
            existing = self._existing(rows)
            self.erased = suppressed({item.row.record.get("email") or "" for item in rows if item.row is not None})
            self._load_accounts([item.row.account for item in rows if item.row is not None], rows)
            for item in rows:
                self._plan_contact(item, existing, plan, now)
        else:
            self._load_accounts([item.row.record for item in rows if item.row is not None], [])
            for item in rows:
                self._plan_account(item, plan, now)
        return plan

    def _existing(self, items: list[_Item]) -> dict[str, dict[str, Contact]]:
        wanted: dict[str, list[str]] = {name: [] for name in _CONTACT_IDENTITY}
        for item in items:
            assert item.row is not None
            for name in _CONTACT_IDENTITY:
                value = item.row.record.get(name)
                if value:
                    forms = domain.salesforce_id_forms(value) if name.startswith("salesforce") else (value,)
                    wanted[name].extend(forms)
        found: dict[str, dict[str, Contact]] = {name: {} for name in (*_CONTACT_IDENTITY, "person")}
        # One query per key rather than one with OR, so that each uses its unique index; a key
        # already seen on a contact loaded by an earlier query is not asked for again.
        for name, values in wanted.items():
            missing = [value for value in values if value not in found[name]]
            if missing:
                for contact in Contact.objects.filter(**{f"{name}__in": missing}).only(*_LOADED_FIELDS):
                    self._index(found, contact)
        people = {item.person for item in items if item.person}
        if people:
            last_names = {key.split("|")[1] for key in people}
            first_names = {key.split("|")[0] for key in people}
            candidates = (
                Contact.objects.filter(email__isnull=True, erased_at__isnull=True)
                .annotate(lfirst=Lower("first_name"), llast=Lower("last_name"))
                .filter(Q(llast__in=last_names) | Q(lfirst__in=first_names))
                .select_related("account")
                .only(*_LOADED_FIELDS, "account__name")
            )
            for contact in candidates:
                key = domain.person_key(
                    contact.first_name, contact.last_name, contact.account.name if contact.account else ""
                )
                if key in people:
                    found["person"].setdefault(key, contact)
                    self._index(found, contact)
        return found

    @staticmethod
    def _index(found: dict[str, dict[str, Contact]], contact: Contact) -> None:
        for key in _CONTACT_IDENTITY:
            value = getattr(contact, key)
            if value:
                found[key].setdefault(value, contact)

    def _load_accounts(self, given: list[dict[str, Any]], items: list[_Item]) -> None:
        ids: dict[str, set[str]] = {name: set() for name in _ACCOUNT_IDENTITY}
        domains: set[str] = set()
        names: set[str] = set()
        for fields in given:
            for name in _ACCOUNT_IDENTITY:
                if fields.get(name):
                    ids[name].update(
                        domain.salesforce_id_forms(fields[name]) if name.startswith("salesforce") else [fields[name]]
                    )
            if fields.get("domain"):
                domains.add(fields["domain"])
            if fields.get("name"):
                names.add(fields["name"].casefold())
        for item in items:
            assert item.row is not None
            company = contacts_domain.company_domain(item.row.record.get("email"))
            if company:
                domains.add(company)
        for name in _ACCOUNT_IDENTITY:
            ids[name] -= set(self.by_id[name])
        domains -= set(self.by_domain)
        names -= set(self.by_name)
        for name in domains:
            self.by_domain[name] = []
        for lname in names:
            self.by_name[lname] = []
        condition = Q(pk__in=[])
        for name, wanted in ids.items():
            if wanted:
                condition |= Q(**{f"{name}__in": wanted})
        if domains:
            condition |= Q(domain__in=domains)
        loaded: dict[int, Account] = {}
        if any(ids.values()) or domains:
            loaded.update((a.pk, a) for a in Account.objects.filter(condition))
        if names:
            loaded.update((a.pk, a) for a in Account.objects.annotate(lname=Lower("name")).filter(lname__in=names))
        for _, account in sorted(loaded.items()):
            self._remember(account, domains=domains, names=names)

    def _remember(self, account: Account, *, domains: set[str] | None = None, names: set[str] | None = None) -> None:
        for name in _ACCOUNT_IDENTITY:
            value = getattr(account, name)
            if value:
                self.by_id[name].setdefault(value, account)
                if name == "salesforce_account_id":
                    self.by_id[name].setdefault(value[:15], account)
        if account.domain and (domains is None or account.domain in domains):
            self.by_domain.setdefault(account.domain, []).append(account)
        lname = account.name.casefold()
        if names is None or lname in names:
            self.by_name.setdefault(lname, []).append(account)

    def _find_account(self, given: Mapping[str, Any], email: str | None, *, new_contact: bool) -> Account | None:
        for name in _ACCOUNT_IDENTITY:
            value = given.get(name)
            if value:
                forms = domain.salesforce_id_forms(value) if name.startswith("salesforce") else (value,)
                account = next((self.by_id[name][f] for f in forms if f in self.by_id[name]), None)
                if account is not None:
                    return account
        explicit = given.get("domain", "")
        company = given.get("name", "")
        if explicit and self.by_domain.get(explicit):
            return self.by_domain[explicit][0]
        email_domain = contacts_domain.company_domain(email)
        if not explicit and email_domain and (company or new_contact):
            matches = self.by_domain.get(email_domain, [])
            if len(matches) == 1:
                return matches[0]
        if company and self.by_name.get(company.casefold()):
            return self.by_name[company.casefold()][0]
        return None

    def _account_for(self, row: Row, *, new_contact: bool, plan: _Plan, now: dt.datetime) -> Account | None:
        """The row's account: by its CRM id, by its domain (the domain column, else the email's
        company domain), then by name; created when the row names a company that is not there yet.
        A row without a company joins, when new, the one account that has its email's domain, as
        contact_create does. The row's company fields fill in or update the account."""
        given = row.account
        email = row.record.get("email")
        account = self._find_account(given, email, new_contact=new_contact)
        name, explicit = given.get("name", ""), given.get("domain", "")
        if account is None and (name or explicit):
            email_domain = contacts_domain.company_domain(email)
            values = {
                k: v
                for k, v in given.items()
                if k in ("industry", "employees", "annual_revenue", "country", *_ACCOUNT_IDENTITY)
            }
            account = Account(
                name=name or explicit,
                domain=explicit or (email_domain if name else ""),
                created_at=now,
                updated_at=now,
                imported_at=now,
                **values,
            )
            plan.new_accounts.append(account)
            self._remember(account)
            return account
        if account is not None and given:
            self._update_account(account, given, plan, now)
        return account

    def _update_account(self, account: Account, given: Mapping[str, Any], plan: _Plan, now: dt.datetime) -> bool:
        changed: set[str] = set()
        for key in ("industry", "employees", "annual_revenue", "country"):
            value = given.get(key)
            if value not in (None, "") and getattr(account, key) != value:
                setattr(account, key, value)
                changed.add(key)
        for key in ("domain", *_ACCOUNT_IDENTITY):
            value = given.get(key)
            if value and not getattr(account, key):  # an id or domain fills in; it never re-points
                setattr(account, key, value)
                changed.add(key)
                self._remember(account)
        if changed and account.pk is not None:
            account.updated_at = now
            changed.add("updated_at")
            known = plan.changed_accounts.get(account.pk)
            plan.changed_accounts[account.pk] = (account, (known[1] if known else set()) | changed)
        return bool(changed)

    def _owner(self, row: Row, values: dict[str, Any]) -> int | None:
        if not (row.owner or row.owner_id):
            return None
        owner = self.owners.find(row.owner, row.owner_id)
        if owner is None and self.crm and row.owner:
            key = domain.property_name(row.columns[domain.columns.OWNER], self.layout.format)
            values["properties"] = {**values.get("properties", {}), key: row.owner}
        return owner

    def _plan_contact(
        self, item: _Item, existing: dict[str, dict[str, Contact]], plan: _Plan, now: dt.datetime
    ) -> None:
        row = item.row
        assert row is not None
        values = dict(row.record)
        if values.get("email") in self.erased:
            row.fail(
                "email", "was erased on request (GDPR): the person is not imported again", cause="was erased on request"
            )
            item.problems, item.row = row.problems, None
            return
        keys = {name: values.get(name) for name in _CONTACT_IDENTITY}
        match: Contact | None = None
        matched_by = ""
        for name in ("hubspot_id", "salesforce_contact_id", "salesforce_lead_id", "email"):
            value = keys[name]
            if value and match is None:
                forms = domain.salesforce_id_forms(value) if name.startswith("salesforce") else (value,)
                match = next((existing[name][f] for f in forms if f in existing[name]), None)
                matched_by = name
        if match is None and item.person:
            match, matched_by = existing["person"].get(item.person), "name and company"
        if match is not None:
            for name, value in keys.items():
                if not value:
                    continue
                forms = domain.salesforce_id_forms(value) if name.startswith("salesforce") else (value,)
                other = next((existing[name][f] for f in forms if f in existing[name]), None)
                if other is not None and other.pk != match.pk:
                    row.fail(
                        name,
                        f"{value!r} belongs to another contact (id {other.pk})",
                        cause="belongs to another contact",
                    )
                stored = getattr(match, name)
                if name != "email" and stored and stored not in forms:
                    row.fail(
                        name,
                        f"the contact found by {matched_by} (id {match.pk}) has {name} {stored!r}, not {value!r}",
                        cause="differs from the contact's stored id",
                    )
            if match.pk in self.touched:
                row.fail(
                    "row",
                    f"is the same contact as line {self.touched[match.pk]} (id {match.pk})",
                    cause="repeats an earlier line",
                )
        owner = self._owner(row, values)
        if row.dropped:
            item.problems, item.row = row.problems, None
            return
        account = self._account_for(row, new_contact=match is None, plan=plan, now=now)
        item.moves = self._moves(row)
        if match is None:
            new = {**values, **row.attribution, "owner_id": owner or self.default_owner}
            new.update(created_at=row.created_at or now, updated_at=now, imported_at=now)
            if values.get("consent") is not None:
                new["consent_at"] = now
                plan.consents.append((item, None, values["consent"]))
            plan.creates.append((item, new, account))
            return
        self.touched[match.pk] = item.line
        item.record_id = match.pk
        changed: set[str] = set()
        for name, value in values.items():
            if name == "properties":
                value = {**(match.properties or {}), **value}
            stored = getattr(match, name) if name in domain.columns.CONTACT_IDS else None
            if stored and stored not in domain.salesforce_id_forms(str(value)):
                continue  # a CRM id fills in (or takes its 18-character form); it never re-points
            if getattr(match, name) != value:
                setattr(match, name, value)
                changed.add(name)
        if "consent" in changed:
            match.consent_at = now
            changed.add("consent_at")
            plan.consents.append((item, match.pk, values["consent"]))
        for name, value in row.attribution.items():
            if not getattr(match, name):
                setattr(match, name, value)
                changed.add(name)
        if owner is not None and match.owner_id != owner:
            match.owner_id = owner
            changed.add("owner")
        if row.created_at is not None and row.created_at < match.created_at:
            match.created_at = row.created_at
            changed.add("created_at")
        if match.imported_at is None:
            match.imported_at = now
            changed.add("imported_at")
        if (
            account is not None
            and (account.pk is None or account.pk != match.account_id)
            and (row.account or not match.account_id)
        ):
            changed.add("account")
        else:
            account = None
        if changed - {"imported_at"}:
            match.updated_at = now
            changed.add("updated_at")
            plan.updates.append((item, match, account, changed))
            return
        item.unchanged = True  # at most noted as imported: nothing a person would see changed
        plan.unchanged += 1
        if changed:
            plan.updates.append((item, match, None, changed))

    def _moves(self, row: Row) -> tuple[list[ImportedMove], ImportedMove | None] | None:
        if not row.stages and row.current_stage is None:
            return None

        def move(stage: domain.StageDate) -> ImportedMove:
            return ImportedMove(stage.stage, stage.at, {**self.source, "line": row.line, "column": stage.column})

        return [move(s) for s in row.stages], move(row.current_stage) if row.current_stage is not None else None

    def _plan_account(self, item: _Item, plan: _Plan, now: dt.datetime) -> None:
        row = item.row
        assert row is not None
        given = row.record
        account = self._find_account(given, None, new_contact=False)
        owner = self._owner(row, given)
        if account is not None and account.pk in self.touched:
            row.fail(
                "row",
                f"is the same account as line {self.touched[account.pk]} (id {account.pk})",
                cause="repeats an earlier line",
            )
            item.problems, item.row = row.problems, None
            return
        if account is not None and account.pk is None:
            row.fail("row", "is the same account as an earlier line", cause="repeats an earlier line")
            item.problems, item.row = row.problems, None
            return
        if account is None:
            values = {k: v for k, v in given.items() if k != "name"}
            account = Account(
                name=given.get("name") or given.get("domain") or "",
                created_at=row.created_at or now,
                updated_at=now,
                imported_at=now,
                owner_id=owner or self.default_owner,
                **values,
            )
            if not account.name:
                row.fail("row", "has no company name or domain", cause="has no company name or domain")
                item.problems, item.row = row.problems, None
                return
            plan.new_accounts.append(account)
            self._remember(account)
            return
        self.touched[account.pk] = item.line
        changed: set[str] = set()
        for key, value in given.items():
            if key in ("domain", *_ACCOUNT_IDENTITY) and getattr(account, key):
                continue
            if key == "properties":
                value = {**(account.properties or {}), **value}
            if getattr(account, key) != value:
                setattr(account, key, value)
                changed.add(key)
        if owner is not None and account.owner_id != owner:
            account.owner_id = owner
            changed.add("owner")
        if row.created_at is not None and row.created_at < account.created_at:
            account.created_at = row.created_at
            changed.add("created_at")
        if account.imported_at is None:
            account.imported_at = now
            changed.add("imported_at")
        if changed - {"imported_at"}:
            account.updated_at = now
            plan.changed_accounts[account.pk] = (account, changed | {"updated_at"})
        else:
            item.unchanged = True
            plan.unchanged += 1
            if changed:
                plan.changed_accounts[account.pk] = (account, changed)

    # Writing a batch.

    def _apply(self, plan: _Plan) -> tuple[int, int]:
        Account.objects.bulk_create(plan.new_accounts)
        self._save_accounts(plan, one_by_one=False)
        for _, values, account in plan.creates:
            values["account_id"] = account.pk if account is not None else None
        bulk.insert_rows(Contact, [values for _, values, _ in plan.creates])
        for _, contact, account, _ in plan.updates:
            if account is not None:
                contact.account_id = account.pk
        bulk.update_rows(Contact, [(contact, changed) for _, contact, _, changed in plan.updates])
        return self._counts(plan)

    def _save_accounts(self, plan: _Plan, *, one_by_one: bool) -> None:
        groups: dict[tuple[str, ...], list[Account]] = {}
        for account, changed in plan.changed_accounts.values():
            groups.setdefault(tuple(sorted(changed)), []).append(account)
        for fields, accounts in groups.items():
            if one_by_one:
                for account in accounts:
                    account.save(update_fields=list(fields))
            else:
                Account.objects.bulk_update(accounts, list(fields), batch_size=500)

    def _counts(self, plan: _Plan) -> tuple[int, int]:
        if self.contact:
            created = len(plan.creates)
            updated = sum(1 for item, *_ in plan.updates if not item.unchanged)
            self.touched_contacts.update(values["id"] for _, values, _ in plan.creates)
            self.touched_contacts.update(contact.pk for item, contact, _, _ in plan.updates if not item.unchanged)
            return created, updated
        created = len(plan.new_accounts)
        updated = sum(1 for account, changed in plan.changed_accounts.values() if changed - {"imported_at"})
        changed_ids = [account.pk for account, changed in plan.changed_accounts.values() if changed - {"imported_at"}]
        if changed_ids:
            self.touched_contacts.update(
                Contact.objects.filter(account_id__in=changed_ids).values_list("pk", flat=True)
            )
        return created, updated

    def _apply_one_by_one(self, plan: _Plan) -> tuple[int, int]:
        for account in plan.new_accounts:
            account.pk = None
            account._state.adding = True
        Account.objects.bulk_create(plan.new_accounts)
        self._save_accounts(plan, one_by_one=True)
        kept_creates, kept_updates = [], []
        for item, values, linked in plan.creates:
            values["account_id"] = linked.pk if linked is not None else None
            try:
                with transaction.atomic():
                    Contact.objects.create(**values)
                kept_creates.append((item, values, linked))
            except IntegrityError as exc:
                self._refuse(item, exc)
        for item, contact, relinked, changed in plan.updates:
            if relinked is not None:
                contact.account_id = relinked.pk
            try:
                with transaction.atomic():
                    contact.save(update_fields=sorted(changed))
                kept_updates.append((item, contact, relinked, changed))
            except IntegrityError as exc:
                self._refuse(item, exc)
        plan.creates, plan.updates = kept_creates, kept_updates
        return self._counts(plan)

    @staticmethod
    def _refuse(item: _Item, exc: IntegrityError) -> None:
        assert item.row is not None
        text = str(exc).lower()
        problem = Problem(item.line, "row", f"conflicts with another contact: {exc}", "conflicts with another contact")
        for name in _CONTACT_IDENTITY:
            value = item.row.record.get(name)
            if value and name in text:
                problem = Problem(
                    item.line,
                    item.row.columns.get(name, name),
                    f"another contact already has {value!r}",
                    "belongs to another contact",
                )
                break
        item.problems.append(problem)
        item.row = None

    def _after(self, plan: _Plan, items: list[_Item]) -> int:
        """What the contacts written bring with them: consent evidence and stage history."""
        now = clock.now()
        for item, values, _ in plan.creates:
            item.record_id = values["id"]
        ConsentChange.objects.bulk_create(
            [
                ConsentChange(
                    contact_id=item.record_id,
                    consent=consent,
                    at=now,
                    via=ConsentSource.IMPORT,
                    by_user=self.acting_user,
                    page=f"{self.source['file']}, line {item.line}",
                )
                for item, _, consent in plan.consents
                if item.row is not None and item.record_id is not None
            ]
        )
        moves = {
            item.record_id: item.moves
            for item in items
            if item.row is not None and item.record_id is not None and item.moves is not None
        }
        written = stage_history_import(moves=moves, acting_user=self.acting_user)
        if written:
            self.touched_contacts.update(moves)
        return written


# --- events -------------------------------------------------------------------------------------


def events_import(
    *,
    path: str,
    key_prefix: str = "import",
    batch_size: int = domain.DEFAULT_BATCH_SIZE,
    restart: bool = False,
    progress: Progress | None = None,
    acting_user: User | None = None,
) -> ImportResult:
    """Hand a JSON Lines file of Segment messages to ingest, in batches; `key_prefix` is recorded
    as the events' `sent_with`. Lines that are not JSON, and messages ingest rejects, are reported."""
    require(acting_user, Capability.CONTACT_IMPORT)
    _check_batch_size(batch_size)
    if not isinstance(key_prefix, str) or not 1 <= len(key_prefix.strip()) <= MAX_KEY_PREFIX:
        raise InvalidInput(f"the key prefix must be 1 to {MAX_KEY_PREFIX} characters", field="key_prefix")
    key_prefix = key_prefix.strip()
    started = time.perf_counter()
    file = _identify(path)
    run, resumed = _start_run(
        kind=ImportKind.EVENTS,
        file=file,
        format=domain.EVENTS_FORMAT,
        options={"key_prefix": key_prefix, "batch_size": batch_size},
        restart=restart,
        acting_user=acting_user,
    )
    resumed_after = run.last_line if resumed else 0
    try:
        total = reading.count_lines(path)
        if progress is not None:
            progress(run.rows_done, total)
        batch: list[tuple[int, Any]] = []
        problems: list[Problem] = []
        lines = 0
        end_line = run.last_line
        for number, raw in reading.json_lines(path):
            if number <= resumed_after:
                continue
            lines += 1
            end_line = number
            message, problem = _read_message(number, raw)
            if problem is not None:
                problems.append(problem)
            else:
                batch.append((number, message))
            if lines >= batch_size:
                _write_events_batch(run, batch, problems, rows=lines, end_line=end_line, key_prefix=key_prefix)
                batch, problems, lines = [], [], 0
                if progress is not None:
                    progress(run.rows_done, total)
        if lines:
            _write_events_batch(run, batch, problems, rows=lines, end_line=end_line, key_prefix=key_prefix)
            if progress is not None:
                progress(run.rows_done, total)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="file") from None
    with transaction.atomic():
        _end_run(run, RunStatus.FINISHED, acting_user)
    return ImportResult(run=run, resumed_after=resumed_after, seconds=time.perf_counter() - started)


def _read_message(number: int, raw: bytes) -> tuple[Any, Problem | None]:
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return None, Problem(number, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at character {exc.start + 1})")
    try:
        # The wire's parser: no NaN, no lone surrogates, a bounded depth (its error is json's).
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return None, Problem(number, "", f"not valid JSON ({exc.msg} at character {exc.pos + 1})")
    return domain.prepare_message(message, raw), None


def _write_events_batch(
    run: ImportRun, batch: list[tuple[int, Any]], problems: list[Problem], *, rows: int, end_line: int, key_prefix: str
) -> None:
    """Hand one batch to ingest and save the run's progress, in one transaction."""
    with transaction.atomic():
        outcome = ingest.Outcome()
        if batch:
            outcome = ingest.record([message for _, message in batch], sent_with=key_prefix)
        rejected = [Problem(batch[index][0], "", reason) for index, reason in outcome.rejected]
        _save_progress(
            run,
            sorted([*problems, *rejected], key=lambda p: p.line),
            rows=rows,
            last_line=end_line,
            accepted=outcome.accepted,
            duplicates=outcome.duplicates,
            skipped=len(problems) + len(rejected),
        )
