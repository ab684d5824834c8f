"""Imports from files: contacts from CSV (Accord's columns, HubSpot or Salesforce exports) and
events from Segment JSON Lines.

Rows are read, validated as `accord.contacts.actions` validates a contact, and written in batches:
each batch is one transaction holding its contacts, its accounts, its bad-line problems and the
run's progress (`ImportRun.last_line`), so a run stopped part-way resumes after its last batch.
Bad rows are skipped and reported; good rows land. One audit row per run, when it ends.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from accord.accounts.actions import require
from accord.accounts.domain import Capability
from accord.accounts.models import User
from accord.contacts import domain as contacts_domain
from accord.contacts.actions import _clean_account, _clean_contact
from accord.contacts.models import Account, Contact
from accord.contacts.queries import suppressed
from accord.core import audit, clock
from accord.core.errors import Conflict, InvalidInput
from accord.imports import domain, reading
from accord.imports.domain import ContactFormat, ContactRow, ImportKind, Problem, RunStatus
from accord.imports.models import ImportProblem, ImportRun
from accord.scoring.rescore import RescoreResult, rescore
from accord.tracking import ingest

# (rows done, rows in the file): called when a run starts or resumes and after every batch.
Progress = Callable[[int, int], None]
MAX_BATCH_SIZE = 10_000
MAX_KEY_PREFIX = 16  # tracking.Event.sent_with
_STAGE = "imports_contact_changes"  # PostgreSQL: a session's scratch table for updates


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
            kind=kind, format=format, path=file.path, size=file.size, head_sha256=file.head_sha256, options=options
        )
        return run, False


def _end_run(run: ImportRun, status: RunStatus, acting_user: User | None) -> None:
    """Mark the run ended and write its one audit row; inside the caller's transaction."""
    run.status = status
    run.finished_at = clock.now()
    run.save(update_fields=["status", "finished_at"])
    if run.kind == ImportKind.CONTACTS:
        counts: tuple[str, ...] = ("created", "updated", "unchanged", "skipped")
    else:
        counts = ("accepted", "duplicates", "skipped")
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
        [ImportProblem(run=run, line=p.line, field=p.field[:255], message=p.message) for p in problems]
    )
    run.rows_done += rows
    run.last_line = last_line
    for name, value in counts.items():
        setattr(run, name, getattr(run, name) + value)
    run.updated_at = clock.now()
    run.save(update_fields=["rows_done", "last_line", "updated_at", *counts])


def problems_of(run: ImportRun) -> Iterator[ImportProblem]:
    """Every bad line of the run, in file order."""
    return run.problems.order_by("line", "id").iterator(chunk_size=2000)


# --- contacts -----------------------------------------------------------------------------------


def contacts_import(
    *,
    path: str,
    format: ContactFormat | None = None,
    owner_email: str | None = None,
    batch_size: int = domain.DEFAULT_BATCH_SIZE,
    restart: bool = False,
    progress: Progress | None = None,
    scoring_progress: Progress | None = None,
    acting_user: User | None = None,
) -> ImportResult:
    """Upsert the contacts of a CSV file, then score every contact again under the active
    playbook. `format` None: detected from the header.

    Raises InvalidInput when the file cannot be imported at all (missing, not UTF-8, a header
    without an email or CRM id column, an unknown --owner) and Conflict when an unfinished run of
    the file used another format.
    """
    require(acting_user, Capability.CONTACT_WRITE)
    _check_batch_size(batch_size)
    started = time.perf_counter()
    default_owner = _default_owner(owner_email) if owner_email else None
    file = _identify(path)
    try:
        with reading.CsvFile(path) as source:
            detected_from = None
            if format is None:
                format, detected_from = domain.detect_format(source.header)
            layout = domain.contact_layout(source.header, format)
            run, resumed = _start_run(
                kind=ImportKind.CONTACTS,
                file=file,
                format=format,
                options={"owner": owner_email or "", "batch_size": batch_size},
                restart=restart,
                acting_user=acting_user,
            )
            resumed_after = run.last_line if resumed else 0
            total = max(reading.count_lines(path) - 1, 0)
            importer = _ContactImporter(
                run=run, layout=layout, default_owner=default_owner, batch_size=batch_size, total=total
            )
            importer.import_rows(source.records(), progress)
    except domain.HeaderError as exc:
        raise InvalidInput(f"{path}: {exc}", field="file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="file") from None
    with transaction.atomic():
        _end_run(run, RunStatus.FINISHED, acting_user)
    # New and changed contacts get their fit at once, for the whole workspace in one vectorised
    # pass: cheaper than scoring row by row as they land. Like the import itself, this moves no
    # stages (imported contacts come with theirs); their next event lets the rules look.
    rescored = rescore(progress=scoring_progress, apply_rules=False) if run.created or run.updated else None
    return ImportResult(
        run=run,
        detected_from=detected_from,
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
class _Item:
    """One data row of a batch: either a row to write or the problems that keep it out."""

    line: int
    row: ContactRow | None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Plan:
    """What one batch writes."""

    new_accounts: list[Account] = field(default_factory=list)
    changed_accounts: dict[int, Account] = field(default_factory=dict)
    creates: list[tuple[_Item, dict[str, Any], Account | None]] = field(default_factory=list)  # field values
    updates: list[tuple[_Item, Contact, Account | None, set[str]]] = field(default_factory=list)
    unchanged: int = 0


# What an import may compare or change on an existing contact; the rest is not loaded.
_LOADED_FIELDS = (
    *domain.CONTACT_TARGETS,
    *domain.ATTRIBUTION_TARGETS,
    "properties",
    "consent_at",
    "owner_id",
    "account_id",
    "updated_at",
)


class _ContactImporter:
    def __init__(
        self, *, run: ImportRun, layout: domain.Layout, default_owner: int | None, batch_size: int, total: int
    ) -> None:
        self.run = run
        self.layout = layout
        self.crm = layout.format is not ContactFormat.ACCORD
        self.default_owner = default_owner
        self.batch_size = batch_size
        self.total = total
        # The first line of each email and CRM id in the file: a later row with the same is a duplicate.
        self.seen: dict[str, dict[str, int]] = {name: {} for name in domain.IDENTITY_TARGETS}
        self.touched: dict[int, int] = {}  # contact id → the line that updated it in this run
        self.owners: dict[str, int | None] = {}  # as written, case-folded → user id
        self.by_domain: dict[str, list[Account]] = {}
        self.by_name: dict[str, list[Account]] = {}
        self.erased: set[str] = set()  # the batch's emails of people erased on request

    def import_rows(self, records: Iterable[reading.Record], progress: Progress | None) -> None:
        if progress is not None:
            progress(self.run.rows_done, self.total)
        batch: list[_Item] = []
        resume_after = end_line = self.run.last_line
        for record in records:
            if record.line <= resume_after:
                self._check(record)  # committed already; read again only to know its emails and ids
                continue
            batch.append(self._check(record))
            end_line = record.end_line
            if len(batch) >= self.batch_size:
                _write_contact_batch(self, batch, end_line)
                batch = []
                if progress is not None:
                    progress(self.run.rows_done, self.total)
        if batch:
            _write_contact_batch(self, batch, end_line)
            if progress is not None:
                progress(self.run.rows_done, self.total)

    def _check(self, record: reading.Record) -> _Item:
        """Validate a row without the database: its cells, its fields, duplicates within the file."""
        if record.problem is not None:
            return _Item(record.line, None, [record.problem])
        if len(record.cells) != self.layout.width:
            message = f"has {len(record.cells)} cells; the header has {self.layout.width}"
            return _Item(record.line, None, [Problem(record.line, "row", message)])
        row = domain.read_contact_row(record.cells, self.layout, record.line)
        try:
            row.contact = _clean_contact(row.contact)
        except InvalidInput as exc:
            for name, message in exc.errors:
                row.fail(name, message)
        if row.account:
            try:
                row.account = _clean_account(row.account, creating=False)
            except InvalidInput as exc:
                for name, message in exc.errors:
                    row.fail(f"account.{name}", message)
        if row.problems:
            return _Item(record.line, None, row.problems)
        for name in domain.IDENTITY_TARGETS:
            value = row.contact.get(name)
            if value and value in self.seen[name]:
                row.fail(name, f"{value!r} is already on line {self.seen[name][value]}; only the first is imported")
        if row.problems:
            return _Item(record.line, None, row.problems)
        for name in domain.IDENTITY_TARGETS:
            if row.contact.get(name):
                self.seen[name][row.contact[name]] = record.line
        return _Item(record.line, row)

    # The database side of a batch: owners, existing contacts, accounts.

    def plan(self, items: list[_Item]) -> _Plan:
        rows = [item for item in items if item.row is not None]
        self._load_owners({item.row.owner for item in rows if item.row is not None and item.row.owner})
        existing = self._existing([item.row for item in rows if item.row is not None])
        self.erased = suppressed({item.row.contact.get("email") or "" for item in rows if item.row is not None})
        self._load_accounts([item.row for item in rows if item.row is not None])
        plan = _Plan()
        now = clock.now()
        for item in rows:
            assert item.row is not None
            self._plan_row(item, item.row, existing, plan, now)
        return plan

    def _load_owners(self, names: set[str]) -> None:
        wanted = {name.casefold() for name in names} - set(self.owners)
        if not wanted:
            return
        users = User.objects.filter(is_active=True).annotate(lname=Lower("name"))
        condition = Q(email__in=wanted)
        if self.crm:  # CRM exports name the owner; Accord's own format gives the email
            condition |= Q(lname__in=wanted)
        by_key: dict[str, set[int]] = {}
        for pk, email, lname in users.filter(condition).values_list("pk", "email", "lname"):
            by_key.setdefault(email, set()).add(pk)
            if self.crm and lname:
                by_key.setdefault(lname, set()).add(pk)
        for key in wanted:
            found = by_key.get(key, set())
            self.owners[key] = next(iter(found)) if len(found) == 1 else None

    def _existing(self, rows: list[ContactRow]) -> dict[str, dict[str, Contact]]:
        emails = [row.contact["email"] for row in rows if row.contact.get("email")]
        hubspot = [row.contact["hubspot_id"] for row in rows if row.contact.get("hubspot_id")]
        salesforce = [
            form
            for row in rows
            if row.contact.get("salesforce_id")
            for form in domain.salesforce_id_forms(row.contact["salesforce_id"])
        ]
        found: dict[str, dict[str, Contact]] = {name: {} for name in domain.IDENTITY_TARGETS}
        # One query per key rather than one with OR, so that each uses its unique index; a key
        # already seen on a contact loaded by an earlier query is not asked for again.
        for name, values in (("email", emails), ("hubspot_id", hubspot), ("salesforce_id", salesforce)):
            wanted = [value for value in values if value not in found[name]]
            if not wanted:
                continue
            for contact in Contact.objects.filter(**{f"{name}__in": wanted}).only(*_LOADED_FIELDS):
                for key in domain.IDENTITY_TARGETS:
                    value = getattr(contact, key)
                    if value:
                        found[key].setdefault(value, contact)
        return found

    def _load_accounts(self, rows: list[ContactRow]) -> None:
        domains: set[str] = set()
        names: set[str] = set()
        for row in rows:
            if row.account.get("domain"):
                domains.add(row.account["domain"])
            company = contacts_domain.company_domain(row.contact.get("email"))
            if company:
                domains.add(company)
            if row.account.get("name"):
                names.add(row.account["name"].casefold())
        domains -= set(self.by_domain)
        names -= set(self.by_name)
        for name in domains:
            self.by_domain[name] = []
        for name in names:
            self.by_name[name] = []
        if not (domains or names):
            return
        loaded: dict[int, Account] = {}
        if domains:
            loaded.update((a.pk, a) for a in Account.objects.filter(domain__in=domains))
        if names:
            loaded.update((a.pk, a) for a in Account.objects.annotate(lname=Lower("name")).filter(lname__in=names))
        for _, account in sorted(loaded.items()):
            if account.domain in domains:
                self.by_domain[account.domain].append(account)
            lname = account.name.casefold()
            if lname in names:
                self.by_name[lname].append(account)

    def _account_for(self, row: ContactRow, *, new_contact: bool, plan: _Plan) -> Account | None:
        """The row's account: by its domain (the domain column, else the email's company domain),
        then by name; created when the row names a company that is not there yet. A row without
        a company joins, when new, the one account that has its email's domain, as contact_create does."""
        given = row.account
        explicit = given.get("domain", "")
        name = given.get("name", "")
        email_domain = contacts_domain.company_domain(row.contact.get("email"))
        account: Account | None = None
        if explicit and self.by_domain.get(explicit):
            account = self.by_domain[explicit][0]
        elif not explicit and email_domain and (name or new_contact):
            matches = self.by_domain.get(email_domain, [])
            account = matches[0] if len(matches) == 1 else None
        if account is None and name and self.by_name.get(name.casefold()):
            account = self.by_name[name.casefold()][0]
        if account is None and (name or explicit):
            account = Account(name=name or explicit, domain=explicit or (email_domain if name else ""))
            plan.new_accounts.append(account)
            if account.domain:
                self.by_domain.setdefault(account.domain, []).append(account)
            self.by_name.setdefault(account.name.casefold(), []).append(account)
        if account is not None and given:
            changed = False
            for key in ("industry", "employees", "annual_revenue"):
                value = given.get(key)
                if value not in (None, "") and getattr(account, key) != value:
                    setattr(account, key, value)
                    changed = True
            if explicit and not account.domain:
                account.domain = explicit
                changed = True
            if changed and account.pk is not None:
                account.updated_at = clock.now()
                plan.changed_accounts[account.pk] = account
        return account

    def _plan_row(
        self, item: _Item, row: ContactRow, existing: dict[str, dict[str, Contact]], plan: _Plan, now: dt.datetime
    ) -> None:
        values = dict(row.contact)
        if values.get("email") in self.erased:
            row.fail("email", "was erased on request (GDPR): the person is not imported again")
            item.problems, item.row = row.problems, None
            return
        keys = {name: values.get(name) for name in domain.IDENTITY_TARGETS}
        match: Contact | None = None
        for name, value in keys.items():
            if value and match is None:
                forms = domain.salesforce_id_forms(value) if name == "salesforce_id" else (value,)
                match = next((existing[name][f] for f in forms if f in existing[name]), None)
        if match is not None:
            for name, value in keys.items():
                forms = domain.salesforce_id_forms(value) if name == "salesforce_id" and value else (value,)
                other = next((existing[name][f] for f in forms if f and f in existing[name]), None)
                if other is not None and other.pk != match.pk:
                    row.fail(name, f"{value!r} belongs to another contact (id {other.pk})")
            if match.pk in self.touched:
                row.fail("row", f"is the same contact as line {self.touched[match.pk]} (id {match.pk})")
        owner: int | None = None
        if row.owner:
            owner = self.owners.get(row.owner.casefold())
            if owner is None and self.crm:
                key = domain.property_name(row.columns[domain.OWNER], self.layout.format)
                values["properties"] = {**values.get("properties", {}), key: row.owner}
            elif owner is None:
                row.fail(domain.OWNER, f"no active user with email {row.owner!r}")
        if row.problems:
            item.problems = row.problems
            item.row = None
            return
        account = self._account_for(row, new_contact=match is None, plan=plan)
        if match is None:
            new = {**values, **row.attribution, "owner_id": owner or self.default_owner, "created_at": now}
            new["updated_at"] = now
            if values.get("consent") is not None:
                new["consent_at"] = now
            plan.creates.append((item, new, account))
            return
        self.touched[match.pk] = item.line
        changed: set[str] = set()
        for name, value in values.items():
            if name == "properties":
                value = {**(match.properties or {}), **value}
            if getattr(match, name) != value:
                setattr(match, name, value)
                changed.add(name)
        if "consent" in changed:
            match.consent_at = now
            changed.add("consent_at")
        for name, value in row.attribution.items():
            if not getattr(match, name):
                setattr(match, name, value)
                changed.add(name)
        if owner is not None and match.owner_id != owner:
            match.owner_id = owner
            changed.add("owner")
        if row.account and account is not None and (account.pk is None or account.pk != match.account_id):
            changed.add("account")
        else:
            account = None
        if changed:
            match.updated_at = now
            changed.add("updated_at")
            plan.updates.append((item, match, account, changed))
        else:
            plan.unchanged += 1


def _write_contact_batch(importer: _ContactImporter, items: list[_Item], end_line: int) -> None:
    """Write one batch and the run's progress in one transaction."""
    with transaction.atomic():
        plan = importer.plan(items)
        try:
            with transaction.atomic():
                created, updated = _apply(plan)
        except IntegrityError:
            # Someone else wrote the same email or id meanwhile, or two rows swap one: row by row,
            # so that only the rows in conflict are refused.
            created, updated = _apply_one_by_one(plan)
        problems = [problem for item in items for problem in item.problems]
        _save_progress(
            importer.run,
            problems,
            rows=len(items),
            last_line=end_line,
            created=created,
            updated=updated,
            unchanged=plan.unchanged,
            skipped=sum(1 for item in items if item.problems),
        )


def _link(contact: Contact, account: Account | None) -> None:
    if account is not None:
        contact.account_id = account.pk


def _apply(plan: _Plan) -> tuple[int, int]:
    Account.objects.bulk_create(plan.new_accounts)
    if plan.changed_accounts:
        Account.objects.bulk_update(
            list(plan.changed_accounts.values()), ["industry", "employees", "annual_revenue", "domain", "updated_at"]
        )
    for _, values, account in plan.creates:
        values["account_id"] = account.pk if account is not None else None
    _insert_contacts([values for _, values, _ in plan.creates])
    for _, contact, account, _ in plan.updates:
        _link(contact, account)
    _update_contacts([(contact, changed) for _, contact, _, changed in plan.updates])
    return len(plan.creates), len(plan.updates)


def _insert_contacts(rows: list[dict[str, Any]]) -> None:
    """INSERT the new contacts with one executemany (COPY on PostgreSQL). Django's bulk_create
    builds a model and prepares each of a contact's forty-odd fields for every row, which for wide
    rows costs several times what the database does; here a field the import does not set takes
    its default, prepared once per batch (a callable default is still called per row)."""
    if not rows:
        return
    fields = [f for f in Contact._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(f)) for f in fields)
    table = quote(Contact._meta.db_table)
    fixed = {
        f.attname: f.get_db_prep_save(f.get_default(), connection)
        for f in fields
        if not (f.has_default() and callable(f.default))
    }
    missing = object()
    params: list[tuple[Any, ...]] = []
    for values in rows:
        prepared = []
        for f in fields:
            value = values.get(f.attname, missing)
            if value is not missing:
                prepared.append(f.get_db_prep_save(value, connection))
            elif f.attname in fixed:
                prepared.append(fixed[f.attname])
            else:
                prepared.append(f.get_db_prep_save(f.get_default(), connection))
        params.append(tuple(prepared))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the rows as data, not as SQL text the server must parse, as tracking's store does.
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", params)


def _update_contacts(updates: list[tuple[Contact, set[str]]]) -> None:
    """UPDATE the changed fields, grouped by which fields changed. bulk_update's CASE WHEN over every
    row of a batch makes the database compare each row with each other; instead, one executemany
    per group, or on PostgreSQL one COPY into a scratch table and one UPDATE … FROM it."""
    groups: dict[tuple[str, ...], list[Contact]] = {}
    for contact, changed in updates:
        groups.setdefault(tuple(sorted(changed)), []).append(contact)
    quote = connection.ops.quote_name
    table = quote(Contact._meta.db_table)
    with connection.cursor() as cursor:
        for names, contacts in groups.items():
            fields = [field for name in names if isinstance(field := Contact._meta.get_field(name), models.Field)]
            columns = [quote(_column(f)) for f in fields]
            params = [
                (contact.pk, *(f.get_db_prep_save(getattr(contact, f.attname), connection) for f in fields))
                for contact in contacts
            ]
            if connection.vendor == "postgresql":
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} AS SELECT * FROM {table} WITH NO DATA")
                cursor.execute(f"TRUNCATE {_STAGE}")
                with (
                    connection.wrap_database_errors,
                    cursor.cursor.copy(f"COPY {_STAGE} (id, {', '.join(columns)}) FROM STDIN") as copy,
                ):
                    for row in params:
                        copy.write_row(row)
                assignments = ", ".join(f"{column} = s.{column}" for column in columns)
                cursor.execute(f"UPDATE {table} AS c SET {assignments} FROM {_STAGE} AS s WHERE c.id = s.id")
            else:
                assignments = ", ".join(f"{column} = %s" for column in columns)
                cursor.executemany(
                    f"UPDATE {table} SET {assignments} WHERE id = %s", [(*row[1:], row[0]) for row in params]
                )


def _column(field: models.Field[Any, Any]) -> str:
    return field.column or field.attname


def _apply_one_by_one(plan: _Plan) -> tuple[int, int]:
    for account in plan.new_accounts:
        account.pk = None
        account._state.adding = True
    Account.objects.bulk_create(plan.new_accounts)
    for account in plan.changed_accounts.values():
        account.save(update_fields=["industry", "employees", "annual_revenue", "domain", "updated_at"])
    created = updated = 0
    for item, values, linked in plan.creates:
        values["account_id"] = linked.pk if linked is not None else None
        try:
            with transaction.atomic():
                Contact.objects.create(**values)
            created += 1
        except IntegrityError as exc:
            item.problems.append(_unique_problem(item, exc))
    for item, contact, relinked, changed in plan.updates:
        _link(contact, relinked)
        try:
            with transaction.atomic():
                contact.save(update_fields=sorted(changed))
            updated += 1
        except IntegrityError as exc:
            item.problems.append(_unique_problem(item, exc))
    return created, updated


def _unique_problem(item: _Item, exc: IntegrityError) -> Problem:
    assert item.row is not None
    text = str(exc).lower()
    for name in domain.IDENTITY_TARGETS:
        value = item.row.contact.get(name)
        if value and name in text:
            return Problem(item.line, item.row.columns.get(name, name), f"another contact already has {value!r}")
    return Problem(item.line, "row", f"conflicts with another contact: {exc}")


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
    require(acting_user, Capability.CONTACT_WRITE)
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
