"""Event ingest over HTTP: Segment batches from concurrent clients into a gunicorn-served Accord.

1,000,000 events (ACCORD_BENCH_EVENTS) in /v1/batch requests of 500, from several client
processes (each builds its batches before the clock starts), through authentication,
validation, identity resolution, storage and the pipeline.
Baseline: a raw COPY of the same rows into an equivalent table in the same database and run.
Then single-event /v1/track latency, the server's memory at start and end, and what the scoring
step of the pipeline costs per event (the same batches of known contacts' events recorded
in-process with and without `ACCORD_EVENT_STEPS`).
"""

from __future__ import annotations

import base64
import http.client
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import connection

from accord.accounts.actions import apikey_create
from accord.accounts.models import User
from accord.tracking import domain, store
from accord.tracking.models import Event
from bench.support import figure, latencies, latency_line

BATCH = 500
CLIENTS = 4
PORT = int(os.environ.get("ACCORD_BENCH_PORT", "8799"))
PAGES = ["/", "/pricing", "/blog/revops-metrics", "/blog/mql-definition", "/customers/northwind", "/demo", "/docs"]
SOURCES = [
    ("google", "cpc", "brand"),
    ("linkedin", "paid_social", "q4-revops"),
    ("newsletter", "email", "nov-digest"),
    None,
    None,
]


def _events(seed: int, count: int, visitors: int) -> list[dict[str, object]]:
    """A realistic mix: mostly anonymous page views, some tracked actions, ~1% identify calls."""
    rng = random.Random(seed)
    now = time.time()
    out = []
    for _ in range(count):
        visitor = rng.randrange(visitors)
        anon = f"anon-{visitor}"
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - rng.random() * 3600)) + ".000Z"
        roll = rng.random()
        source = rng.choice(SOURCES)
        context: dict[str, object] = {"userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0", "ip": "203.0.113.9",
                                      "library": {"name": "accord.js", "version": "1.0.0"}}  # fmt: skip
        if source:
            context["campaign"] = {"source": source[0], "medium": source[1], "name": source[2]}
        base = {
            "messageId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "anonymousId": anon,
            "timestamp": stamp,
        }
        if roll < 0.01:
            traits = {"email": f"person{visitor}@company{visitor % 997}.example", "firstName": "Pat"}
            out.append({**base, "type": "identify", "userId": f"user-{visitor}", "traits": traits, "context": context})
        elif roll < 0.08:
            name = rng.choice(["Email Opened", "Email Clicked", "Webinar Attended", "Form Submitted"])
            props = (
                {"offer": "State of RevOps report", "form": "ebook"}
                if name == "Form Submitted"
                else {"campaign": "nov"}
            )
            out.append({**base, "type": "track", "event": name, "properties": props, "context": context})
        else:
            path = rng.choice(PAGES)
            url = f"https://www.acme.example{path}"
            context["page"] = {"url": url, "path": path, "title": "Acme", "referrer": ""}
            page = {"type": "page", "name": path, "properties": {"url": url, "path": path}, "context": context}
            out.append({**base, **page})
    return out


def _bodies(seed: int, batches: int, visitors: int) -> list[bytes]:
    return [
        orjson.dumps({"batch": _events(seed * 100_000 + number, BATCH, visitors), "sentAt": _now()})
        for number in range(batches)
    ]


def basic(key: str) -> dict[str, str]:
    """The headers Segment's libraries send: the write key as an HTTP Basic user name, JSON."""
    return {
        "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode(),
        "Content-Type": "application/json",
    }


def _send(bodies: list[bytes], headers: dict[str, str]) -> int:
    """POST each body to /v1/batch over one keep-alive connection; the number of events accepted."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    accepted = 0
    for number, body in enumerate(bodies):
        conn.request("POST", "/v1/batch", body=body, headers=headers)
        response = conn.getresponse()
        answer = orjson.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"batch {number}: {response.status} {answer}")
        accepted += int(answer["accepted"])
    conn.close()
    return accepted


def _client(build: Callable[..., list[bytes]], args: tuple[Any, ...], headers: dict[str, str], ready: Any, go: Any,
            results: Any, number: int) -> None:  # fmt: skip
    """One client process: build its batches first, then send them when every client is ready."""
    bodies = build(*args)
    ready.put(1)
    go.wait()
    started = time.perf_counter()
    accepted = _send(bodies, headers)
    results.put((number, accepted, time.perf_counter() - started))


def race(
    build: Callable[..., list[bytes]], clients: list[tuple[tuple[Any, ...], dict[str, str]]]
) -> tuple[list[tuple[int, float]], float]:
    """One client process per (args, headers), each sending `build(*args)` with its headers once all
    have built their batches. Each client's (events accepted, its own seconds), in order, and the
    seconds from the start signal to the last answer."""
    context = multiprocessing.get_context("fork")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(target=_client, args=(build, args, headers, ready, go, results, number))
        for number, (args, headers) in enumerate(clients)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=600)  # every client has built its batches
    started = time.perf_counter()
    go.set()
    answers = sorted(results.get(timeout=3600) for _ in processes)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    return [(accepted, seconds) for _, accepted, seconds in answers], elapsed


def _track_latencies(key: str, count: int = 1000) -> list[float]:
    """Milliseconds for single-event POST /v1/track calls, one after another on one connection."""
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    single = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)

    def one() -> None:
        body = orjson.dumps({"anonymousId": f"lat-{random.random()}", "event": "Clicked", "properties": {"x": 1}})
        single.request(
            "POST", "/v1/track", body=body, headers={"Authorization": auth, "Content-Type": "application/json"}
        )
        response = single.getresponse()
        response.read()
        assert response.status == 200

    try:
        return latencies(one, count)
    finally:
        single.close()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the gunicorn master and its workers)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _start_server(**extra_env: str) -> subprocess.Popen[bytes]:
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    workers = os.environ.get("ACCORD_BENCH_WORKERS", "2")
    env = {**os.environ, "DATABASE_URL": url, "ACCORD_DEBUG": "false",
           "ACCORD_SECRET_KEY": "bench-" + "0123456789abcdef" * 4, "ACCORD_ALLOWED_HOSTS": "127.0.0.1,localhost",
           "ACCORD_PORT": str(PORT), "ACCORD_ACCESS_LOG": "",
           "ACCORD_WEB_WORKERS": workers, "ACCORD_WEB_THREADS": "4", "ACCORD_DB_CONN_MAX_AGE": "600",
           **extra_env}  # fmt: skip
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "accord.config.wsgi:application", "--config", "python:accord.config.gunicorn"]
    with Path(os.environ.get("ACCORD_BENCH_SERVER_LOG", os.devnull)).open("wb") as log:
        server = subprocess.Popen(
            [*command, "--access-logfile", "/dev/null"], env=env, stdout=subprocess.DEVNULL, stderr=log
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start (set ACCORD_BENCH_SERVER_LOG=FILE to see why)")


def _raw_copy_rate(total: int, visitors: int) -> float:
    """Rows/s of a plain COPY of the same rows into an equivalent table, 500 rows per transaction."""
    received = domain.parse_time(_now(), "now")
    assert received is not None
    rows = []
    for number in range(total // BATCH):
        for item in _events(10_000_000 + number, BATCH, visitors):
            rows.append(store._row(domain.parse(item, received_at=received), "bench"))
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_event")
        cursor.execute("CREATE TABLE bench_raw_event (LIKE tracking_event INCLUDING ALL)")
    started = time.perf_counter()
    raw = connection.connection
    columns = ", ".join(store.COLUMNS)
    for start in range(0, len(rows), BATCH):
        with (
            raw.transaction(),
            raw.cursor() as cursor,
            cursor.copy(f"COPY bench_raw_event ({columns}) FROM STDIN") as copy,
        ):
            for row in rows[start : start + BATCH]:
                copy.write_row(row)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_event")
    return len(rows) / elapsed


def run() -> None:
    default = 1_000_000 if connection.vendor == "postgresql" else 200_000
    total = int(os.environ.get("ACCORD_BENCH_EVENTS", default))
    total -= total % (BATCH * CLIENTS)
    visitors = max(1000, total // 10)
    admin = User.objects.create_user("bench-ingest@example.com", "x", role="admin")
    _, key = apikey_create(name="bench ingest", scopes="server", acting_user=admin)
    connection.close()  # the server and the clients open their own

    server = _start_server()
    try:
        # warm up: each worker imports and connects; then single events on the idle server
        _send(_bodies(999, 4, visitors), basic(key))
        track_idle = _track_latencies(key)
        before = Event.objects.count()
        connection.close()
        memory_start = _rss_mb(server.pid)
        per_client = total // BATCH // CLIENTS
        per_client_results, elapsed = race(
            _bodies, [((seed, per_client, visitors), basic(key)) for seed in range(CLIENTS)]
        )
        accepted = sum(n for n, _ in per_client_results)
        memory_end = _rss_mb(server.pid)
        stored = Event.objects.count() - before

        track_loaded = _track_latencies(key)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    rate = accepted / elapsed
    copy_rate = _raw_copy_rate(min(total, 200_000), visitors)
    print(f"   {total:,} events sent in {total // BATCH:,} batches of {BATCH} by {CLIENTS} clients; "
          f"{accepted:,} accepted, {stored:,} rows stored, in {elapsed:.1f} s")  # fmt: skip
    figure("events/s end-to-end over HTTP", rate, "events/s", baseline=copy_rate or None, baseline_label="raw COPY")
    latency_line("single-event POST /v1/track, idle server", track_idle)
    latency_line("the same after the 1M-event load", track_loaded)
    print(f"   server memory (RSS, master + workers)          start {memory_start:,.0f} MB   end {memory_end:,.0f} MB")
    _scoring_cost()


def _scoring_cost(count: int = 50_000) -> None:
    """The scoring step's cost per event: known contacts' events recorded in-process in batches of
    500, once with the scoring step and once without it (the difference is the step's cost)."""
    from accord.tracking import ingest, pipeline

    rng = random.Random(7)
    people = 5_000
    identify = [
        {"type": "identify", "userId": f"scored-{n}", "messageId": str(uuid.uuid4()),
         "traits": {"email": f"scored{n}@company{n % 211}.example", "title": "VP Marketing"}}
        for n in range(people)
    ]  # fmt: skip
    for start in range(0, people, BATCH):
        ingest.record(identify[start : start + BATCH], sent_with="bench")

    def batches(seed: int) -> list[list[dict[str, object]]]:
        events = []
        for n in range(count):
            who = f"scored-{rng.randrange(people)}"
            if n % 4 == 0:
                name = rng.choice(["Email Opened", "Email Clicked", "Webinar Attended", "Demo Requested"])
                events.append({"type": "track", "event": name, "userId": who, "messageId": str(uuid.uuid4())})
            else:
                path = rng.choice(PAGES)
                events.append({"type": "page", "name": path, "userId": who, "messageId": str(uuid.uuid4()),
                               "properties": {"path": path, "url": f"https://www.acme.example{path}"}})  # fmt: skip
        return [events[i : i + BATCH] for i in range(0, count, BATCH)]

    timings = {}
    for label, steps in (("without scoring", []), ("with scoring", settings.ACCORD_EVENT_STEPS)):
        work = batches(len(timings))
        original = settings.ACCORD_EVENT_STEPS
        settings.ACCORD_EVENT_STEPS = steps
        pipeline.steps.cache_clear()
        try:
            started = time.perf_counter()
            for batch in work:
                ingest.record(batch, sent_with="bench")
            timings[label] = time.perf_counter() - started
        finally:
            settings.ACCORD_EVENT_STEPS = original
            pipeline.steps.cache_clear()
    per_event = (timings["with scoring"] - timings["without scoring"]) / count * 1e6
    print(f"   in-process, {count:,} events of {people:,} known contacts in batches of {BATCH}: "
          f"{count / timings['without scoring']:,.0f} events/s without the scoring step, "
          f"{count / timings['with scoring']:,.0f} with it")  # fmt: skip
    whole = timings["with scoring"] / count * 1e6
    figure("scoring step per event inside ingest", per_event, "µs/event",
           baseline=whole, baseline_label="whole in-process ingest per event")  # fmt: skip
