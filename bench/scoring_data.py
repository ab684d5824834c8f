"""The scoring benchmarks' dataset: contacts with accounts and their events, in a PostgreSQL
database of its own (`accord_bench_scoring`), generated once and reused while it holds the same
dataset.

1,000,000 contacts (ACCORD_BENCH_SCORING_CONTACTS) at 200,000 accounts and 10,000,000 events
(ACCORD_BENCH_SCORING_EVENTS) over the 180 days before generation: page views (the pricing page
among them), email opens and clicks, form submissions, webinars, demo requests, unsubscribes,
identify calls and events no rule reads, some of them from visitors never identified. Activity
per contact is skewed as in life: most contacts did a little, a few did a lot. A tenth of the
contacts are somewhere in the funnel, with their stage history.

Everything is generated column-wise with NumPy and Polars (seeded: the same sizes give the same
rows) and loaded with COPY, with the event table's indexes and foreign-key checks off during the
load and rebuilt after it. A row in `bench_scoring_dataset` records what the database holds.

The benchmarks also keep a second playbook version (`tweaked`: other points, half-life and
threshold, retired) so that a run can switch versions and rescore everyone: see `activate`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

DATABASE = "accord_bench_scoring"
SERVER = "postgresql://postgres@127.0.0.1:5432"
SEED = 4
LAYOUT = 3  # bump when the generated rows change shape, so an old dataset is generated again
DAYS = 180
BLOCK = 1_000_000  # events generated and copied per block

INDUSTRIES = ["Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education", "Media", ""]
INDUSTRY_P = [0.26, 0.1, 0.1, 0.1, 0.14, 0.1, 0.1, 0.1]
COUNTRIES = ["US", "US", "US", "CA", "GB", "DE", "FR", "NL", "SE", "AU", "BR", "IN", "JP", "ES", "IT"]
TITLES = [
    ("VP Marketing", "vp"),
    ("Chief Marketing Officer", "c_level"),
    ("Marketing Director", "director"),
    ("Marketing Manager", "manager"),
    ("Demand Generation Manager", "manager"),
    ("Revenue Operations Manager", "manager"),
    ("Head of RevOps", "director"),
    ("Sales Operations Analyst", "individual"),
    ("VP Sales", "vp"),
    ("Sales Director", "director"),
    ("Account Executive", "individual"),
    ("Sales Development Representative", "individual"),
    ("Chief Executive Officer", "c_level"),
    ("Software Engineer", "individual"),
    ("Product Manager", "manager"),
    ("Student", "individual"),
    ("", ""),
]
FIRST = ["Ana", "Ben", "Chloé", "Dev", "Eva", "Finn", "Grace", "Hiro", "Ines", "Jonas", "Kofi", "Lena", "Mateo", "Nora"]
LAST = ["Alvarez", "Brown", "Chen", "Dubois", "Eriksen", "Fischer", "García", "Hughes", "Ito", "Jansen", "Kowalski"]
FREE_MAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"]
STAGES = [("", 0.9), ("subscriber", 0.03), ("lead", 0.04), ("mql", 0.012), ("sql", 0.008), ("opportunity", 0.006)]
STAGES += [("customer", 0.004)]
FUNNEL = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"]
# (type, name, path, share): what people do
PAGES = [
    ("/", 0.14),
    ("/pricing", 0.07),
    ("/pricing/enterprise", 0.015),
    ("/blog", 0.24),  # a post: /blog/post-N
    ("/customers", 0.05),
    ("/docs", 0.08),
    ("/demo", 0.025),
    ("/about", 0.02),
]
TRACKS = [
    ("Email Opened", 0.19),
    ("Email Clicked", 0.06),
    ("Form Submitted", 0.025),
    ("Webinar Attended", 0.008),
    ("Demo Requested", 0.004),
    ("Unsubscribed", 0.003),
    ("Video Played", 0.03),
    ("Signed Up", 0.006),
]
IDENTIFY = 0.02
ANONYMOUS = 0.08  # events of visitors never identified
CONTEXT = '{"ip": "203.0.113.9", "library": {"name": "accord.js", "version": "1.0.0"}, "userAgent": "Mozilla/5.0"}'

# The second version: (text of the default playbook, replacement)
TWEAKED = [
    ("      points: 20\n    - key: mid_market", "      points: 25\n    - key: mid_market"),
    ("      points: 10\n      max_per_day: 20", "      points: 12\n      max_per_day: 24"),
    ("half_life_days: 30", "half_life_days: 21"),
    ("high_interest: 40", "high_interest: 35"),
]


@dataclass(frozen=True)
class Dataset:
    url: str
    contacts: int
    events: int
    scorable_events: int  # events of known contacts whose type an interest rule can match
    generated_at: dt.datetime
    generated_now: bool
    seconds: float  # spent generating (0 when reused)


def sizes() -> tuple[int, int]:
    contacts = int(os.environ.get("ACCORD_BENCH_SCORING_CONTACTS", "1000000"))
    events = int(os.environ.get("ACCORD_BENCH_SCORING_EVENTS", "10000000"))
    return contacts, events


def database_url() -> str:
    return os.environ.get("ACCORD_BENCH_SCORING_DATABASE_URL") or f"{SERVER}/{DATABASE}"


def ensure(*, contacts: int | None = None, events: int | None = None, log: Callable[[str], None] = print) -> Dataset:
    """The dataset of the given sizes in its database: reused when it is there, else generated."""
    default_contacts, default_events = sizes()
    contacts = contacts or default_contacts
    events = events if events is not None else default_events
    url = database_url()
    _create_database(url)
    _migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_scoring_dataset (contacts bigint, events bigint, seed int, layout int, "
            "scorable bigint, generated_at timestamptz)"
        )
        row = conn.execute(
            "SELECT contacts, events, seed, layout, scorable, generated_at FROM bench_scoring_dataset"
        ).fetchone()
        if row is not None and row[:4] == (contacts, events, SEED, LAYOUT):
            return Dataset(url, contacts, events, row[4], row[5], False, 0.0)
        log(f"   generating {contacts:,} contacts and {events:,} events in {url.rsplit('/', 1)[1]} (once)…")
        started = time.perf_counter()
        generated_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        scorable = _generate(conn, contacts, events, generated_at, log)
        conn.execute("DELETE FROM bench_scoring_dataset")
        conn.execute(
            "INSERT INTO bench_scoring_dataset VALUES (%s, %s, %s, %s, %s, %s)",
            (contacts, events, SEED, LAYOUT, scorable, generated_at),
        )
        seconds = time.perf_counter() - started
    _install_tweaked_version(url)
    return Dataset(url, contacts, events, scorable, generated_at, True, seconds)


def recreate(url: str) -> None:
    """An empty, migrated database at `url` (dropped first when it exists)."""
    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _create_database(url)
    _migrate(url)


def _create_database(url: str) -> None:
    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def _migrate(url: str) -> None:
    """`accord migrate` on the dataset's database: quick when nothing is new."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "accord.config.settings"}
    subprocess.run([sys.executable, "-m", "accord.cli", "migrate", "-v0"], env=env, check=True)


# --------------------------------------------------------------------------- generation


def _generate(
    conn: psycopg.Connection, contacts: int, events: int, now: dt.datetime, log: Callable[[str], None]
) -> int:
    rng = np.random.default_rng(SEED)
    conn.execute(
        "TRUNCATE tracking_event, tracking_identity, scoring_scorechange, sla_slaevent, lifecycle_stagechange, "
        "contacts_contactmerge, contacts_contact, contacts_account RESTART IDENTITY CASCADE"
    )
    version = conn.execute("SELECT id FROM playbook_playbookversion WHERE status = 'active'").fetchone()
    assert version is not None, "the dataset's database has no active playbook version"
    accounts = max(1, contacts // 5)
    started = time.perf_counter()
    _copy(conn, "contacts_account", _accounts(rng, accounts, now))
    people = _contacts(rng, contacts, accounts, now)
    _copy(conn, "contacts_contact", people.drop("_stage_days"))
    _copy(conn, "lifecycle_stagechange", _stage_changes(people, version[0], now))
    log(f"   contacts, accounts and stage history: {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    scorable = _events(conn, rng, contacts, events, now, log)
    log(f"   events: {time.perf_counter() - started:.0f} s")
    for table in ("contacts_account", "contacts_contact", "lifecycle_stagechange"):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
        )
    started = time.perf_counter()
    conn.execute("VACUUM ANALYZE")
    log(f"   vacuum analyze: {time.perf_counter() - started:.0f} s")
    return scorable


def _copy(conn: psycopg.Connection, table: str, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
        view = buffer.getbuffer()
        for start in range(0, len(view), 1 << 22):
            copy.write(view[start : start + (1 << 22)])


def _stamp(seconds: np.ndarray) -> pl.Series:
    """Epoch seconds as timestamptz text."""
    stamps = pl.Series(np.asarray(seconds, dtype=np.int64) * 1000).cast(pl.Datetime("ms"))
    return stamps.dt.strftime("%Y-%m-%d %H:%M:%S+00")


def _accounts(rng: np.random.Generator, count: int, now: dt.datetime) -> pl.DataFrame:
    ids = np.arange(1, count + 1)
    employees = np.round(rng.lognormal(4.6, 1.6, count)).astype(np.int64)
    revenue = np.round(employees * rng.uniform(80_000, 250_000, count), 2)
    no_size = rng.random(count) < 0.12
    created = int(now.timestamp()) - rng.integers(200 * 86400, 900 * 86400, count)
    frame = pl.DataFrame(
        {
            "id": ids,
            "name": "Company " + pl.Series(ids).cast(pl.String),
            "domain": "company" + pl.Series(ids).cast(pl.String) + ".example",
            "industry": np.array(INDUSTRIES)[rng.choice(len(INDUSTRIES), count, p=INDUSTRY_P)],
            "employees": pl.Series(employees).set(pl.Series(no_size), None),
            "annual_revenue": pl.Series(revenue).set(pl.Series(no_size), None),
            "country": np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), count)],
            "properties": ["{}"] * count,
            "created_at": _stamp(created),
        }
    )
    return frame.with_columns(pl.col("created_at").alias("updated_at"))


def _contacts(rng: np.random.Generator, count: int, accounts: int, now: dt.datetime) -> pl.DataFrame:
    ids = np.arange(1, count + 1)
    account = rng.integers(1, accounts + 1, count)
    no_account = rng.random(count) < 0.1
    free = rng.random(count) < 0.15
    title = rng.integers(0, len(TITLES), count)
    domains = "company" + pl.Series(account).cast(pl.String) + ".example"
    domains = pl.select(
        pl.when(pl.Series(free)).then(pl.Series(np.array(FREE_MAIL)[rng.integers(0, 4, count)])).otherwise(domains)
    ).to_series()
    emails = pl.select(pl.lit("person") + pl.Series(ids).cast(pl.String) + "@" + domains).to_series()
    consent_roll = rng.random(count)
    consent = pl.Series(np.where(consent_roll < 0.1, False, True)).set(pl.Series(consent_roll > 0.7), None)
    stage_index = rng.choice(len(STAGES), count, p=[p for _, p in STAGES])
    stage_days = rng.integers(1, 170, count)
    created = int(now.timestamp()) - rng.integers(190 * 86400, 700 * 86400, count)
    staged = stage_index > 0
    changed = np.where(staged, int(now.timestamp()) - stage_days * 86400, 0)
    sources = np.array(["", "google", "linkedin", "newsletter", "direct"])[rng.integers(0, 5, count)]
    blank = [""] * count
    frame = pl.DataFrame(
        {
            "id": ids,
            "email": emails,
            "first_name": np.array(FIRST)[rng.integers(0, len(FIRST), count)],
            "last_name": np.array(LAST)[rng.integers(0, len(LAST), count)],
            "title": np.array([t for t, _ in TITLES])[title],
            "seniority": np.array([s for _, s in TITLES])[title],
            "phone": blank,
            "country": np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), count)],
            "account_id": pl.Series(account).set(pl.Series(no_account), None),
            "consent": consent,
            "properties": ["{}"] * count,
            "stage": np.array([s for s, _ in STAGES])[stage_index],
            "stage_changed_at": _stamp(changed).set(pl.Series(~staged), None),
            "first_source": sources,
            "first_medium": blank,
            "first_campaign": blank,
            "first_offer": blank,
            "last_source": sources,
            "last_medium": blank,
            "last_campaign": blank,
            "last_offer": blank,
            "forms_submitted": rng.choice(4, count, p=[0.8, 0.12, 0.05, 0.03]),
            "created_at": _stamp(created),
            "_stage_days": stage_days,
        }
    )
    return frame.with_columns(pl.col("created_at").alias("updated_at"))


def _stage_changes(people: pl.DataFrame, version: int, now: dt.datetime) -> pl.DataFrame:
    """One move per funnel stage up to the contact's, a few days apart, ending at stage_changed_at."""
    staged = people.filter(pl.col("stage") != "").select("id", "stage", "_stage_days")
    rows = []
    for position, stage in enumerate(FUNNEL):
        reached = staged.filter(pl.col("stage").replace_strict(FUNNEL, list(range(len(FUNNEL)))) >= position)
        later = reached.with_columns(
            (pl.col("stage").replace_strict(FUNNEL, list(range(len(FUNNEL)))) - position).alias("_back")
        )
        days = later["_stage_days"].to_numpy() + later["_back"].to_numpy() * 4
        rows.append(
            pl.DataFrame(
                {
                    "contact_id": later["id"],
                    "from_stage": FUNNEL[position - 1] if position else "",
                    "to_stage": stage,
                    "kind": "advance",
                    "at": _stamp(int(now.timestamp()) - days * 86400),
                    "by_rule": "mql"
                    if stage == "mql"
                    else (f"entry:{stage}" if stage in {"subscriber", "lead"} else ""),
                    "reason": "",
                    "note": "",
                    "details": "{}",
                    "playbook_version_id": version,
                }
            )
        )
    return pl.concat(rows).sort("contact_id", "at")


def _events(
    conn: psycopg.Connection,
    rng: np.random.Generator,
    contacts: int,
    total: int,
    now: dt.datetime,
    log: Callable[[str], None],
) -> int:
    """COPY the events in blocks with the table's indexes and foreign-key checks off; rebuild them."""
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tracking_event' AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = 'tracking_event'::regclass)"
    ).fetchall()
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'tracking_event'::regclass AND contype IN ('u', 'f')"
    ).fetchall()
    for name, _ in constraints:
        conn.execute(f'ALTER TABLE tracking_event DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    weights = rng.lognormal(0.0, 1.3, contacts)
    cumulative = np.cumsum(weights / weights.sum())
    names_page = [p for p, _ in PAGES]
    kinds = [("page", p) for p in names_page] + [("track", t) for t, _ in TRACKS] + [("identify", "")]
    shares = np.array([s for _, s in PAGES] + [s for _, s in TRACKS] + [IDENTIFY])
    shares = shares / shares.sum()
    scorable = 0
    done = 0
    number = 0
    while done < total:
        size = min(BLOCK, total - done)
        block = _event_block(rng, cumulative, kinds, shares, size, done, now)
        scorable += block.filter(pl.col("contact_id").is_not_null() & pl.col("type").is_in(["page", "track"])).height
        _copy(conn, "tracking_event", block)
        done += size
        number += 1
        if number % 5 == 0:
            log(f"   … {done:,} events")
    started = time.perf_counter()
    for _, definition in indexes:
        conn.execute(definition)
    for name, definition in constraints:
        conn.execute(f'ALTER TABLE tracking_event ADD CONSTRAINT "{name}" {definition}')
    conn.execute(f"SELECT setval(pg_get_serial_sequence('tracking_event', 'id'), {max(total, 1)})")
    log(f"   event indexes and constraints: {time.perf_counter() - started:.0f} s")
    return scorable


def _event_block(
    rng: np.random.Generator,
    cumulative: np.ndarray,
    kinds: list[tuple[str, str]],
    shares: np.ndarray,
    size: int,
    offset: int,
    now: dt.datetime,
) -> pl.DataFrame:
    ids = np.arange(offset + 1, offset + size + 1)
    contact = np.minimum(np.searchsorted(cumulative, rng.random(size)), len(cumulative) - 1) + 1
    anonymous = rng.random(size) < ANONYMOUS
    kind = rng.choice(len(kinds), size, p=shares)
    types = np.array([k for k, _ in kinds])[kind]
    labels = np.array([n for _, n in kinds])[kind]
    is_page = types == "page"
    post = rng.integers(1, 400, size)
    path = pl.select(
        pl.when(pl.Series(labels) == "/blog")
        .then(pl.lit("/blog/post-") + pl.Series(post).cast(pl.String))
        .otherwise(pl.Series(labels))
    ).to_series()
    path = pl.select(pl.when(pl.Series(is_page)).then(path).otherwise(pl.lit(""))).to_series()
    name = pl.select(pl.when(pl.Series(is_page)).then(path).otherwise(pl.Series(labels))).to_series()
    # recent days a little busier than old ones
    age = (rng.power(1.4, size) * DAYS * 86400).astype(np.int64)
    stamp = int(now.timestamp()) - (DAYS * 86400 - age) - 60
    stamps = _stamp(stamp)
    key = pl.Series(ids).cast(pl.String).str.zfill(12)
    campaign = rng.random(size) < 0.2
    url = pl.select(pl.when(pl.Series(is_page)).then(pl.lit("https://www.acme.example") + path).otherwise(pl.lit("")))
    properties = pl.select(
        pl.when(pl.Series(is_page))
        .then(pl.lit('{"path": "') + path + '"}')
        .when(pl.Series(labels) == "Form Submitted")
        .then(pl.lit('{"offer": "State of RevOps report", "form": "ebook"}'))
        .otherwise(pl.lit('{"campaign": "nov"}'))
    ).to_series()
    anon_ids = pl.Series(np.where(anonymous, -ids, contact)).cast(pl.String)
    return pl.DataFrame(
        {
            "id": ids,
            "message_id": "bench-" + pl.Series(ids).cast(pl.String),
            "message_key": "00000000-0000-4000-8000-" + key,
            "type": types,
            "name": name,
            "user_id": pl.select(
                pl.when(pl.Series(anonymous)).then(pl.lit("")).otherwise("user-" + anon_ids)
            ).to_series(),
            "anonymous_id": "anon-" + anon_ids,
            "contact_id": pl.Series(contact).set(pl.Series(anonymous), None),
            "timestamp": stamps,
            "received_at": stamps,
            "url": url.to_series(),
            "path": path,
            "referrer": [""] * size,
            "utm_source": np.where(campaign, "newsletter", ""),
            "utm_medium": np.where(campaign, "email", ""),
            "utm_campaign": np.where(campaign, "nov-digest", ""),
            "utm_term": [""] * size,
            "utm_content": [""] * size,
            "offer": np.where(labels == "Form Submitted", "State of RevOps report", ""),
            "properties": properties,
            "context": [CONTEXT] * size,
            "sent_with": ["bench"] * size,
        }
    )


# --------------------------------------------------------------------------- playbook versions


def _install_tweaked_version(url: str) -> None:
    """A second version of the default playbook (other points, half-life and threshold), retired,
    so `activate` can make the benchmark rescore everyone under other rules."""
    source = (Path(__file__).parent.parent / "accord" / "playbook" / "default.yaml").read_text(encoding="utf-8")
    tweaked = source
    for old, new in TWEAKED:
        assert old in tweaked, f"the default playbook changed: {old!r} is gone; update bench.scoring_data.TWEAKED"
        tweaked = tweaked.replace(old, new)
    script = (
        "from accord.playbook.actions import playbook_draft_create\n"
        "from accord.playbook.models import PlaybookVersion\n"
        "import sys\n"
        "if not PlaybookVersion.objects.filter(note='bench: tweaked').exists():\n"
        "    v = playbook_draft_create(source=sys.stdin.read(), note='bench: tweaked', acting_user=None)\n"
        "    PlaybookVersion.objects.filter(pk=v.pk).update(status='retired')\n"
    )
    _django(url, script, stdin=tweaked)


def vacuum(url: str, *tables: str) -> None:
    """VACUUM ANALYZE `tables`: what autovacuum does between runs on a production server (it is
    off on some development servers, where every full rescore would leave the next one a table
    twice the size to read)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            conn.execute(f'VACUUM (ANALYZE) "{table}"')


def version_ids(url: str) -> dict[str, int]:
    """The ids of the two versions: "default" (number 1, installed by the migrations) and "tweaked"."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT number, note, id FROM playbook_playbookversion WHERE number = 1 OR note = 'bench: tweaked'"
        ).fetchall()
    return {("default" if number == 1 else "tweaked"): pk for number, _, pk in rows}


def active_version(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT id FROM playbook_playbookversion WHERE status = 'active'").fetchone()
    assert row is not None
    return int(row[0])


def scored_under(url: str) -> int | None:
    """The version the dataset's contacts were last scored under (the first contact's)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT score_version_id FROM contacts_score ORDER BY contact_id LIMIT 1").fetchone()
    return row[0] if row else None


def activate(url: str, version_id: int) -> None:
    """Make a version the active one directly in the table: unlike `playbook_activate`, this queues
    no rescore, so the benchmark can run and time the rescore itself."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE playbook_playbookversion SET status = 'retired', retired_at = now() "
            "WHERE status = 'active' AND id <> %s",
            [version_id],
        )
        conn.execute(
            "UPDATE playbook_playbookversion SET status = 'active', activated_at = now(), retired_at = NULL "
            "WHERE id = %s",
            [version_id],
        )


def _django(url: str, script: str, *, stdin: str = "") -> str:
    code = "import django\ndjango.setup()\n" + script
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "accord.config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout
