"""Export: 1,000,000 contacts (ACCORD_BENCH_EXPORT_CONTACTS) written in HubSpot's columns, streamed.

The dataset lives in a PostgreSQL database of its own (`accord_bench_export`), generated once
with `bench.scoring_data`'s column-wise generators and COPY and reused while it holds the same
rows: contacts at 200,000 accounts with owners, scores, first and last touch and offers, a tenth
of them with their stage history (so the "Became a … Date" columns are read from it).

The export runs in a subprocess of its own, on the command's code path (`contacts_export` and
`Export.write` to a file): its rows/s, and its resident memory before the export, after the
first tenth of the rows and at the end (`ru_maxrss`), which stays flat when nothing is loaded
whole. Baseline, in the same run: PostgreSQL's own `COPY (SELECT …) TO STDOUT WITH CSV` of the
same rows with the same 35 columns, formatted in SQL (built from the same column table), written
to a file by psycopg. The two files are compared afterwards (line endings aside: Accord writes
CRLF as RFC 4180 says, COPY writes LF) — the baseline must write the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import psycopg

from bench import scoring_data
from bench.support import figure, worker

DATABASE = "accord_bench_export"
SEED = 11
LAYOUT = 1  # bump when the generated rows change shape
USERS = 20
MODULE = "bench.bench_export"
RATE_GOAL = 50_000.0  # rows/s on PostgreSQL


def contacts_wanted() -> int:
    return int(os.environ.get("ACCORD_BENCH_EXPORT_CONTACTS", "1000000"))


def database_url() -> str:
    return os.environ.get("ACCORD_BENCH_EXPORT_DATABASE_URL") or f"{scoring_data.SERVER}/{DATABASE}"


def run() -> None:
    url = database_url()
    count = contacts_wanted()
    scoring_data._create_database(url)
    scoring_data._migrate(url)
    generated, _, seconds = worker(MODULE, "generate", str(count), database_url=url)
    if generated["generated"]:
        name = url.rsplit("/", 1)[1]
        print(f"   generated {count:,} contacts and their stage history in {name} ({seconds:.0f} s, once)")
    print(
        f"   dataset: {generated['contacts']:,} contacts, {generated['accounts']:,} accounts, "
        f"{generated['stage_changes']:,} stage changes"
    )
    scratch = Path(tempfile.mkdtemp(prefix="accord-bench-export-"))
    ours, theirs = scratch / "accord.csv", scratch / "copy.csv"
    load = os.getloadavg()[0]
    try:
        answer, peak, _ = worker(MODULE, "export", str(ours), database_url=url)
        baseline = _copy_baseline(url, theirs)
        rate = answer["rows"] / answer["seconds"]
        copy_rate = baseline["rows"] / baseline["seconds"]
        figure("export, HubSpot columns, to a file", rate, "rows/s", baseline=copy_rate, baseline_label="COPY TO")
        print(f"     {answer['rows']:,} rows in {answer['seconds']:.1f} s (COPY: {baseline['seconds']:.1f} s); "
              f"{answer['bytes'] / 2**20:,.0f} MiB written; goal ≥ {RATE_GOAL:,.0f} rows/s")  # fmt: skip
        figure("resident memory before the export", answer["rss_before"], "MiB")
        figure(f"… after the first {answer['tenth_rows']:,} rows", answer["rss_tenth"], "MiB")
        figure(f"… after all {answer['rows']:,} rows", answer["rss_end"], "MiB")
        print(
            f"     growth over the last nine tenths {answer['rss_end'] - answer['rss_tenth']:+,.1f} MiB; "
            f"the process's peak (wait4) {peak:,.0f} MiB"
        )
        print(f"     load average before and after: {load:.1f} and {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
        for label, measured in (("export", answer), ("COPY", baseline)):
            client, server = measured["client_cpu"], measured["server_cpu"]
            print(
                f"     CPU per row, {label}: {client / measured['rows'] * 1e6:5.1f} µs in the client, "
                f"{server / measured['rows'] * 1e6:5.1f} µs in PostgreSQL — "
                f"{measured['rows'] / max(client, server):,.0f} rows/s when each has a core of its own"
            )
        same = _digest(ours) == _digest(theirs)
        print(f"     the COPY baseline wrote the same rows and cells: {'yes' if same else 'NO'}")
    finally:
        for path in (ours, theirs):
            path.unlink(missing_ok=True)
        scratch.rmdir()


# --------------------------------------------------------------------------- the baseline


def baseline_sql() -> str:
    """The export's HubSpot columns as one SELECT: the same column table, formatted in SQL."""
    from accord.imports.domain import exports as domain
    from accord.imports.domain.columns import Format, RecordObject

    columns = domain.columns(Format.HUBSPOT, RecordObject.CONTACT)
    stages = domain.plan(columns).stages

    def case(mapping: dict[str, str], value: str) -> str:
        whens = " ".join(f"WHEN '{key}' THEN '{text}'" for key, text in mapping.items())
        return f"CASE {value} {whens} END"

    def source(name: str) -> str:
        if name.startswith(domain.ENTERED):
            return f'h."{name[len(domain.ENTERED) :]}"'
        if name == "owner__email":
            return "u.email"
        if name.startswith("account__"):
            return f"a.{name[len('account__') :]}"
        if name.startswith("score__"):
            return f"s.{name[len('score__') :]}"
        return f"c.{name}"

    formats: dict[domain.Value, str] = {
        domain.Value.TEXT: "NULLIF({}, '')",
        domain.Value.NUMBER: "trim_scale(round({}::numeric, 2))",
        domain.Value.BOOLEAN: "CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END",
        domain.Value.OPTED_OUT: "CASE WHEN {0} THEN 'false' WHEN NOT {0} THEN 'true' END",
        domain.Value.MOMENT: """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')""",
        domain.Value.LIFECYCLE: case(domain.HUBSPOT_LIFECYCLE_OF, "{}"),
        domain.Value.LEAD_STATUS: case(domain.LEAD_STATUS_OF, "{}"),
    }
    select = ", ".join(f'{formats[c.value].format(source(c.source))} AS "{c.header}"' for c in columns)
    firsts = ", ".join(f"min(at) FILTER (WHERE to_stage = '{s}') AS \"{s}\"" for s in stages)
    wanted = ", ".join(f"'{s}'" for s in stages)
    return (
        f"SELECT {select} FROM contacts_contact c "
        "LEFT JOIN contacts_account a ON a.id = c.account_id LEFT JOIN accounts_user u ON u.id = c.owner_id "
        "LEFT JOIN contacts_score s ON s.contact_id = c.id "
        f"LEFT JOIN (SELECT contact_id, {firsts} FROM lifecycle_stagechange WHERE to_stage IN ({wanted}) "
        "GROUP BY contact_id) h ON h.contact_id = c.id "
        "WHERE c.erased_at IS NULL ORDER BY c.id"
    )


def _copy_baseline(url: str, path: Path) -> dict[str, Any]:
    sql = baseline_sql()
    with psycopg.connect(url) as conn, conn.cursor() as cursor, path.open("wb") as out:
        # One backend, as the export's cursor has (a cursor's query is not run in parallel).
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        backend = conn.info.backend_pid
        started, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(backend)
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for data in copy:
                out.write(data)
        seconds = time.perf_counter() - started
        client_cpu, server_cpu = time.process_time() - cpu, backend_cpu(backend) - server
    with path.open("rb") as handle:
        rows = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1
    return {"rows": rows, "seconds": seconds, "client_cpu": client_cpu, "server_cpu": server_cpu}


def backend_cpu(pid: int) -> float:
    """CPU seconds a PostgreSQL backend on this machine has used (user + system, from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block.replace(b"\r\n", b"\n"))
    return digest.hexdigest()


# --------------------------------------------------------------------------- in the subprocess


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export(path: str) -> dict[str, Any]:
    import django

    os.environ["ACCORD_DEBUG"] = "false"  # as in production: no log of every query kept in memory
    django.setup()
    from django.db import connection

    from accord.imports import export
    from accord.imports.domain.columns import Format

    before = _rss()
    marks: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if "tenth" not in marks and done >= total // 10:
            marks["tenth"], marks["tenth_rows"] = _rss(), done

    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    started, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(backend)
    result = export.contacts_export(filters=export.ContactFilters(), format=Format.HUBSPOT, acting_user=None)
    with open(path, "w", newline="", encoding="utf-8") as out:  # noqa: PTH123
        rows = result.write(out, progress=progress)
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": seconds,
        "client_cpu": time.process_time() - cpu,
        "server_cpu": backend_cpu(backend) - server,
        "bytes": os.path.getsize(path),  # noqa: PTH202
        "rss_before": before,
        "rss_tenth": marks.get("tenth", before),
        "tenth_rows": marks.get("tenth_rows", 0),
        "rss_end": _rss(),
    }


def _generate(count: int) -> dict[str, Any]:
    """The dataset in this process's database: reused when it holds these rows, else made afresh."""
    import django

    django.setup()
    from django.db import connection

    from accord.accounts.models import User

    connection.ensure_connection()
    conn = connection.connection
    assert isinstance(conn, psycopg.Connection)
    conn.execute("CREATE TABLE IF NOT EXISTS bench_export_dataset (contacts bigint, seed int, layout int)")
    row = conn.execute("SELECT contacts, seed, layout FROM bench_export_dataset").fetchone()
    made = row != (count, SEED, LAYOUT)
    if made:
        conn.execute(
            "TRUNCATE tracking_event, tracking_identity, scoring_scorechange, sla_slaevent, lifecycle_stagechange, "
            "contacts_contactmerge, contacts_contact, contacts_account RESTART IDENTITY CASCADE"
        )
        User.objects.filter(email__endswith="@bench-export.example").delete()
        owners = [
            User.objects.create_user(f"owner{n}@bench-export.example", None, name=f"Owner {n}", role="sales_rep").pk
            for n in range(USERS)
        ]
        version = conn.execute("SELECT id FROM playbook_playbookversion WHERE status = 'active'").fetchone()
        assert version is not None
        _fill(conn, count, owners, int(version[0]))
        conn.execute("DELETE FROM bench_export_dataset")
        conn.execute("INSERT INTO bench_export_dataset VALUES (%s, %s, %s)", (count, SEED, LAYOUT))
    counts = [
        conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        for table in ("contacts_contact", "contacts_account", "lifecycle_stagechange")
    ]
    return {"generated": made, "contacts": counts[0], "accounts": counts[1], "stage_changes": counts[2]}


def _fill(conn: psycopg.Connection, count: int, owners: list[int], version: int) -> None:
    rng = np.random.default_rng(SEED)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    accounts = max(1, count // 5)
    sizes = scoring_data._accounts(rng, accounts, now)
    scoring_data._copy(conn, "contacts_account", sizes.with_columns(hubspot_company_id=pl.col("id").cast(pl.String)))
    people = scoring_data._contacts(rng, count, accounts, now)
    fit = rng.integers(0, 101, count)
    interest = rng.integers(0, 161, count) / 2  # halves: a score as the list shows it, written exactly
    grade = np.array(["D", "C", "B", "A"])[np.minimum(fit // 25, 3)]
    good, hot = fit >= 50, interest >= 40
    quadrant = np.where(good & hot, "ready", np.where(good, "nurture", np.where(hot, "check_fit", "low")))
    owner = pl.Series(np.array(owners)[rng.integers(0, len(owners), count)]).set(
        pl.Series(rng.random(count) < 0.15), None
    )
    campaigns = np.array(["", "brand", "q4-revops", "nov-digest", "webinar-sla"])
    media = np.array(["", "cpc", "paid_social", "email", "organic"])
    offers = np.array(["", "", "", "State of RevOps report", "SLA template", "Pricing demo"])
    people = people.with_columns(
        hubspot_id=(pl.col("id") + 5_000_000).cast(pl.String),
        owner_id=owner,
        phone=pl.Series(np.where(rng.random(count) < 0.4, "+1 555 0100", "")),
        first_medium=pl.Series(media[rng.integers(0, len(media), count)]),
        first_campaign=pl.Series(campaigns[rng.integers(0, len(campaigns), count)]),
        last_medium=pl.Series(media[rng.integers(0, len(media), count)]),
        last_campaign=pl.Series(campaigns[rng.integers(0, len(campaigns), count)]),
        first_offer=pl.Series(offers[rng.integers(0, len(offers), count)]),
        last_offer=pl.Series(offers[rng.integers(0, len(offers), count)]),
    )
    scoring_data._copy(conn, "contacts_contact", people.drop("_stage_days"))
    scores = pl.DataFrame(
        {
            "contact_id": people["id"],
            "fit_score": fit,
            "fit_grade": grade,
            "persona": [""] * count,
            "interest_score": interest,
            "quadrant": quadrant,
            "interest_mass": np.zeros(count, dtype=np.int64),
            "interest_caps": ["{}"] * count,
        }
    )
    scoring_data._copy(conn, "contacts_score", scores)
    scoring_data._copy(conn, "lifecycle_stagechange", scoring_data._stage_changes(people, version, now))
    for table in ("contacts_account", "contacts_contact", "lifecycle_stagechange"):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
        )
    for table in ("contacts_account", "contacts_contact", "contacts_score", "lifecycle_stagechange"):
        conn.execute(f"VACUUM ANALYZE {table}")


if __name__ == "__main__":
    mode = sys.argv[1]
    answer = _generate(int(sys.argv[2])) if mode == "generate" else _export(sys.argv[2])
    print(json.dumps(answer))
