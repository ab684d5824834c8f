"""Importing a HubSpot all-properties export: 100,000 rows (ACCORD_BENCH_IMPORT_ROWS) of 300 columns,
with repeated labels, stage-date columns and typed custom properties, into an empty workspace on
PostgreSQL and on SQLite, then the same file again (every row matched, nothing changed).
Baseline: the same rows written raw into a 300-column table of text — COPY on PostgreSQL, one
executemany INSERT on SQLite — in the same run. Peak memory is the importing process's.
"""

from __future__ import annotations

import csv
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench import scoring_data
from bench.support import figure, worker

MODULE = "bench.bench_import"
DATABASE = "accord_bench_import"
COLUMNS = 300
_KNOWN = [
    "Record ID", "First Name", "Last Name", "Email", "Job Title", "Phone Number", "Mobile Phone Number",
    "Company name", "Website URL", "Industry", "Number of Employees", "Annual Revenue", "Country/Region",
    "Original Traffic Source", "Original Traffic Source Drill-Down 1", "Original Traffic Source Drill-Down 2",
    "Latest Traffic Source", "Lifecycle Stage", "Became a Subscriber Date", "Became a Lead Date",
    "Became a Marketing Qualified Lead Date", "Became a Sales Qualified Lead Date", "Became an Opportunity Date",
    "Became a Customer Date", "Create Date", "Unsubscribed from all email", "Contact owner", "Billing Contact",
    "Record ID - Company", "Company name", "Billing Contact", "Industry",
]  # fmt: skip
_COUNTRIES = ["United States", "Germany", "India", "United Kingdom", "France", "Brazil", "Japan", "Canada", "", ""]
_SOURCES = ["ORGANIC_SEARCH", "PAID_SEARCH", "DIRECT_TRAFFIC", "EMAIL_MARKETING", "SOCIAL_MEDIA", "OFFLINE"]
_STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]


def rows_wanted() -> int:
    return int(os.environ.get("ACCORD_BENCH_IMPORT_ROWS", "100000"))


def header() -> list[str]:
    extra = COLUMNS - len(_KNOWN)
    kinds = ["Number of Pageviews", "Last Activity Date", "Marketing emails opened", "Persona", "Is Partner"]
    return [*_KNOWN, *(f"{kinds[n % len(kinds)]} {n // len(kinds) + 1}" for n in range(extra))]


def _when(rng: random.Random, day: int) -> str:
    return f"2025-{1 + day // 28:02d}-{1 + day % 28:02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}"


def write_file(path: Path, rows: int) -> None:
    """A HubSpot-shaped export: a third of the cells filled, as in real all-properties exports."""
    rng = random.Random(9)
    names = header()
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(names)
        for n in range(rows):
            stage = rng.randrange(len(_STAGES))
            first_day = rng.randrange(200)
            became = [_when(rng, first_day + 7 * i) if i <= stage else "" for i in range(len(_STAGES))]
            company = n // 4
            known = [
                str(100000 + n), f"First{n}", f"Last{n}", f"person{n}@company{company}.example", "Engineer",
                f"+1 555 {n:07d}", "", f"Company {company}", f"company{company}.example", "Software",
                str(10 + company % 5000), f"{(company % 90 + 1) * 100000}", rng.choice(_COUNTRIES),
                rng.choice(_SOURCES), "google", "", rng.choice(_SOURCES), _STAGES[stage].title(), *became,
                _when(rng, first_day), "true" if n % 17 == 0 else "", "", "yes" if n % 3 else "no",
                str(500000 + company), f"Company {company} Inc", "", "SaaS",
            ]  # fmt: skip
            extra = []
            for i in range(COLUMNS - len(_KNOWN)):
                if rng.random() > 0.33:
                    extra.append("")
                elif i % 5 == 0:
                    extra.append(str(rng.randrange(400)))
                elif i % 5 == 1:
                    extra.append(f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}")
                elif i % 5 == 2:
                    extra.append(str(rng.randrange(50)))
                elif i % 5 == 3:
                    extra.append(rng.choice(["Engineer", "Buyer", "Champion"]))
                else:
                    extra.append(rng.choice(["true", "false"]))
            out.writerow([*known, *extra])


# --- in the worker process --------------------------------------------------------------------------


def _import(path: str) -> dict[str, object]:
    import django

    django.setup()
    from accord.imports.actions import contacts_import

    started = time.perf_counter()
    result = contacts_import(path=path, restart=True)
    seconds = time.perf_counter() - started
    run = result.run
    return {
        "seconds": seconds,
        "rows": run.rows_done,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "skipped": run.skipped,
        "history": run.history,
        "problems": run.problems.count(),
        "scoring_seconds": result.rescored.seconds if result.rescored else 0.0,
    }


def _empty(url: str) -> None:
    """Every table the import writes, emptied, so that each database starts as a new workspace."""
    import django

    django.setup()
    from django.db import connection

    tables = [
        "lifecycle_stagechange", "contacts_consentchange", "scoring_scorechange", "contacts_score", "contacts_contact",
        "contacts_account", "contacts_propertydefinition", "imports_importproblem", "imports_importrun",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")


# --- baselines --------------------------------------------------------------------------------------


def _raw_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return list(reader)


def _copy_baseline(url: str, path: Path) -> float:
    rows = _raw_rows(path)
    columns = ", ".join(f"c{i} text" for i in range(COLUMNS))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_import_raw")
        conn.execute(f"CREATE UNLOGGED TABLE bench_import_raw ({columns})")
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy("COPY bench_import_raw FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_import_raw")
    return len(rows) / seconds


def _insert_baseline(sqlite_path: str, path: Path) -> float:
    rows = _raw_rows(path)
    conn = sqlite3.connect(sqlite_path)
    columns = ", ".join(f"c{i} text" for i in range(COLUMNS))
    conn.execute("DROP TABLE IF EXISTS bench_import_raw")
    conn.execute(f"CREATE TABLE bench_import_raw ({columns})")
    started = time.perf_counter()
    conn.executemany(f"INSERT INTO bench_import_raw VALUES ({', '.join('?' * COLUMNS)})", rows)
    conn.commit()
    seconds = time.perf_counter() - started
    conn.execute("DROP TABLE bench_import_raw")
    conn.close()
    return len(rows) / seconds


def _report(engine: str, first: dict[str, object], peak: float, again: dict[str, object], raw: float, how: str) -> None:
    rate = float(first["rows"]) / float(first["seconds"])  # type: ignore[arg-type]
    figure(f"{engine}: first import, rows/s", rate, "rows/s", baseline=raw, baseline_label=how)
    print(
        f"      {first['created']:,} created, {first['history']:,} imported stage changes, "
        f"{first['problems']:,} problems; peak memory {peak:,.0f} MiB; scoring {float(first['scoring_seconds']):.1f} s "  # type: ignore[arg-type]
        "(within the time)"
    )
    rate = float(again["rows"]) / float(again["seconds"])  # type: ignore[arg-type]
    figure(f"{engine}: the same file again, rows/s", rate, "rows/s", baseline=raw, baseline_label=how)
    print(f"      {again['unchanged']:,} unchanged, {again['created']:,} created, {again['history']:,} stage changes")


def run() -> None:
    count = rows_wanted()
    scratch = Path(tempfile.mkdtemp(prefix="accord-bench-import-"))
    path = scratch / "hubspot-crm-exports-all-contacts.csv"
    started = time.perf_counter()
    write_file(path, count)
    size = path.stat().st_size / 2**20
    print(
        f"   workload: {count:,} HubSpot rows × {COLUMNS} columns ({size:,.0f} MiB; repeated labels, six stage-date "
        f"columns, a third of the cells filled), written in {time.perf_counter() - started:.0f} s"
    )
    pg = f"{scoring_data.SERVER}/{DATABASE}"
    scoring_data._create_database(pg)
    scoring_data._migrate(pg)
    worker(MODULE, "empty", database_url=pg)
    first, peak, _ = worker(MODULE, "import", str(path), database_url=pg)
    again, _, _ = worker(MODULE, "import", str(path), database_url=pg)
    _report("PostgreSQL", first, peak, again, _copy_baseline(pg, path), "raw COPY")
    sqlite_path = scratch / "import.sqlite3"
    lite = f"sqlite:///{sqlite_path}"
    scoring_data._migrate(lite)
    first, peak, _ = worker(MODULE, "import", str(path), database_url=lite)
    again, _, _ = worker(MODULE, "import", str(path), database_url=lite)
    _report("SQLite", first, peak, again, _insert_baseline(str(sqlite_path), path), "raw INSERT")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "import":
        print(json.dumps(_import(sys.argv[2])))
    elif command == "empty":
        _empty(os.environ["DATABASE_URL"])
        print(json.dumps({"emptied": True}))
