"""Event ingest over HTTP: Segment batches from concurrent clients into a gunicorn-served Accord.

Three mixes side by side, each 1,000,000 events (ACCORD_BENCH_EVENTS) in /v1/batch requests of
500 from several client processes (each builds its batches before the clock starts), through
authentication, validation, identity resolution, storage and the pipeline:
(a) anonymous visitors (mostly page views, ~1% identify calls);
(b) known contacts in order: every event carries the user id of one of 50,000 contacts created
    beforehand (60% page, 35% track with an offer and UTM context, 5% identify), timestamps rising;
(c) known contacts with late events: the same, timestamps scattered over the past 30 days.
Baseline for each: a raw COPY of the same rows into an equivalent table in the same database and
run. Answers other than 200 are counted, not raised. Then single-event /v1/track latency, the
server's memory at start and end, and where the time of one batch of mix (b) goes, measured
in-process: parsing and validation, identity resolution, event storage, attribution (the
tracking pipeline's `_save`) and the scoring step (`ACCORD_EVENT_STEPS`). Last, mix (b)
in-process on contacts that qualify as they engage, so moves into MQL route hand-offs among 50
reps: with routing on (and the hand-off step's own share), then with the hand-off step taken out.
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
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import connection

from accord.accounts.actions import apikey_create
from accord.accounts.models import User
from accord.tracking import domain, store
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
CAMPAIGNS = [s for s in SOURCES if s is not None]
Batches = list[list[dict[str, object]]]
# a mix: its label, how a client builds its bodies, each client's arguments, batches for the COPY baseline
Mix = tuple[str, Callable[..., list[bytes]], list[tuple[Any, ...]], Callable[[int], Batches]]


def _events(seed: int, count: int, visitors: int) -> list[dict[str, object]]:
    """A realistic mix: mostly anonymous page views, some tracked actions, ~1% identify calls."""
    rng = random.Random(seed)
    now = time.time()
    out: list[dict[str, object]] = []
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


KNOWN = 50_000  # contacts created before mixes (b) and (c)
OFFERS = ["State of RevOps report", "MQL playbook", "Pricing guide", "Webinar: pipeline math"]
TRACKS = ["Form Submitted", "Email Clicked", "Webinar Attended", "Demo Requested"]


def _known_user(n: int) -> tuple[str, str]:
    return f"known-{n}", f"known{n}@company{n % 997}.example"


def _known_events(
    seed: int, count: int, *, first: float, step: float, late: bool, known: range = range(KNOWN)
) -> list[dict[str, object]]:
    """Known contacts' events (of the contacts numbered in `known`): 60% page, 35% track with an
    offer and UTM context, 5% identify. In order (`late` false), the i-th event happens at
    `first + i * step` seconds since the epoch; late, at any moment of the past 30 days."""
    rng = random.Random(seed)
    now = time.time()
    out: list[dict[str, object]] = []
    for i in range(count):
        n = known[rng.randrange(len(known))]
        user, email = _known_user(n)
        at = now - rng.random() * 30 * 86400 if late else min(now, first + i * step)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"
        context: dict[str, object] = {"userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0", "ip": "203.0.113.9",
                                      "library": {"name": "accord.js", "version": "1.0.0"}}  # fmt: skip
        base = {
            "messageId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "userId": user,
            "anonymousId": f"kanon-{n}",
            "timestamp": stamp,
        }
        roll = rng.random()
        if roll < 0.05:
            traits = {"email": email, "firstName": "Pat", "title": rng.choice(["VP Marketing", "RevOps Lead"])}
            out.append({**base, "type": "identify", "traits": traits, "context": context})
        elif roll < 0.40:
            utm_source, medium, campaign = rng.choice(CAMPAIGNS)
            context["campaign"] = {"source": utm_source, "medium": medium, "name": campaign}
            name = rng.choice(TRACKS)
            props = {"offer": rng.choice(OFFERS), "form": "ebook"}
            out.append({**base, "type": "track", "event": name, "properties": props, "context": context})
        else:
            path = rng.choice(PAGES)
            url = f"https://www.acme.example{path}"
            context["page"] = {"url": url, "path": path, "title": "Acme", "referrer": ""}
            page = {"type": "page", "name": path, "properties": {"url": url, "path": path}, "context": context}
            out.append({**base, **page})
    return out


def _known_bodies(seed: int, batches: int, first: float, step: float, late: bool, clients: int) -> list[bytes]:
    """Client `seed`'s batches; in order, the clients' batches interleave in time (batch b of client
    c covers the (b * clients + c)-th slice of the run)."""
    bodies = []
    for number in range(batches):
        start = first + (number * clients + seed) * BATCH * step
        events = _known_events(50_000_000 + seed * 100_000 + number, BATCH, first=start, step=step, late=late)
        bodies.append(orjson.dumps({"batch": events, "sentAt": _now()}))
    return bodies


def _create_known() -> None:
    """KNOWN contacts, each with an email and a server user id, as an import would leave them."""
    from accord.contacts.models import Contact
    from accord.tracking.models import Identity

    for start in range(0, KNOWN, 5_000):
        people = [_known_user(n) for n in range(start, min(KNOWN, start + 5_000))]
        made = Contact.objects.bulk_create([Contact(email=email, first_name="Pat") for _, email in people])
        Identity.objects.bulk_create(
            [Identity(kind="user", value=user, contact_id=c.pk) for (user, _), c in zip(people, made, strict=True)]
        )


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


def _send(bodies: list[bytes], headers: dict[str, str]) -> tuple[int, list[float], list[int]]:
    """POST each body to /v1/batch over one keep-alive connection: the number of events accepted,
    each batch's milliseconds, and the status of every answer that was not 200."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
    accepted = 0
    took: list[float] = []
    failed: list[int] = []
    for body in bodies:
        started = time.perf_counter()
        conn.request("POST", "/v1/batch", body=body, headers=headers)
        response = conn.getresponse()
        answer = orjson.loads(response.read())
        took.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            failed.append(response.status)
            continue
        accepted += int(answer["accepted"])
    conn.close()
    return accepted, took, failed


def _client(build: Callable[..., list[bytes]], args: tuple[Any, ...], headers: dict[str, str], ready: Any, go: Any,
            results: Any, number: int) -> None:  # fmt: skip
    """One client process: build its batches first, then send them when every client is ready."""
    bodies = build(*args)
    ready.put(1)
    go.wait()
    started = time.perf_counter()
    accepted, took, failed = _send(bodies, headers)
    results.put((number, accepted, time.perf_counter() - started, took, failed))


@dataclass
class Run:
    accepted: int  # events the server said it accepted
    elapsed: float  # seconds from the start signal to the last answer
    took: list[float]  # each batch's milliseconds
    failed: list[int]  # the status of each answer that was not 200


def race(build: Callable[..., list[bytes]], clients: list[tuple[tuple[Any, ...], dict[str, str]]]) -> Run:
    """One client process per (args, headers), each sending `build(*args)` with its headers once all
    have built their batches."""
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
    return Run(
        accepted=sum(a[1] for a in answers),
        elapsed=elapsed,
        took=[ms for a in answers for ms in a[3]],
        failed=[status for a in answers for status in a[4]],
    )


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


def _raw_copy_rate(batches: Batches) -> float:
    """Rows/s of a plain COPY of the same rows into an equivalent table, 500 rows per transaction."""
    received = domain.parse_time(_now(), "now")
    assert received is not None
    rows = [store._row(domain.parse(item, received_at=received), "bench") for batch in batches for item in batch]
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


def _mixes(total: int, visitors: int) -> list[Mix]:
    """Each mix: its label, how a client builds its bodies, each client's arguments, and `BATCH`-event
    batches of the same kind for the COPY baseline."""
    per_client = total // BATCH // CLIENTS
    step = 3600 / total  # in order: the run's events spread over the last hour
    first = time.time() - 3600

    def anonymous(count: int) -> Batches:
        return [_events(10_000_000 + n, BATCH, visitors) for n in range(count)]

    def known(late: bool) -> Callable[[int], Batches]:
        def batches(count: int) -> Batches:
            return [_known_events(20_000_000 + n, BATCH, first=first, step=step, late=late) for n in range(count)]

        return batches

    return [
        ("(a) anonymous visitors", _bodies, [(seed, per_client, visitors) for seed in range(CLIENTS)], anonymous),
        ("(b) known contacts, in order", _known_bodies,
         [(seed, per_client, first, step, False, CLIENTS) for seed in range(CLIENTS)], known(False)),
        ("(c) known contacts, late events", _known_bodies,
         [(100 + seed, per_client, first, step, True, CLIENTS) for seed in range(CLIENTS)], known(True)),
    ]  # fmt: skip


def run() -> None:
    default = 1_000_000 if connection.vendor == "postgresql" else 200_000
    total = int(os.environ.get("ACCORD_BENCH_EVENTS", default))
    total -= total % (BATCH * CLIENTS)
    visitors = max(1000, total // 10)
    admin = User.objects.create_user("bench-ingest@example.com", "x", role="admin")
    _, key = apikey_create(name="bench ingest", scopes="server", acting_user=admin)
    _create_known()
    connection.close()  # the server and the clients open their own

    mixes = _mixes(total, visitors)
    runs: list[Run] = []
    server = _start_server()
    try:
        # warm up: each worker imports and connects; then single events on the idle server
        _send(_bodies(999, 4, visitors), basic(key))
        track_idle = _track_latencies(key)
        connection.close()
        memory_start = _rss_mb(server.pid)
        for _, build, args, _ in mixes:
            runs.append(race(build, [(a, basic(key)) for a in args]))
        memory_end = _rss_mb(server.pid)
        track_loaded = _track_latencies(key)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    print(f"   {total:,} events per mix in {total // BATCH:,} batches of {BATCH} by {CLIENTS} clients over HTTP "
          f"({os.environ.get('ACCORD_BENCH_WORKERS', '2')} server workers × 4 threads); "
          f"{KNOWN:,} known contacts")  # fmt: skip
    copy_batches = min(total, 100_000) // BATCH
    for (label, _, _, baseline), result in zip(mixes, runs, strict=True):
        copy_rate = _raw_copy_rate(baseline(copy_batches))
        print(f"   {label}: {result.accepted:,} accepted in {result.elapsed:.1f} s, "
              f"{len(result.failed)} answers not 200 {sorted(set(result.failed)) or ''}")  # fmt: skip
        figure("     events/s end-to-end over HTTP", result.accepted / result.elapsed, "events/s",
               baseline=copy_rate or None, baseline_label="raw COPY")  # fmt: skip
        latency_line("     per batch of 500", result.took)
    latency_line("single-event POST /v1/track, idle server", track_idle)
    latency_line("the same after the three mixes", track_loaded)
    print(f"   server memory (RSS, master + workers)          start {memory_start:,.0f} MB   end {memory_end:,.0f} MB")
    _breakdown()
    _with_routing()


@contextmanager
def _timed(module: Any, name: str, spent: dict[str, float], label: str) -> Iterator[None]:
    """Wrap `module.name` so that the seconds spent in it add up in `spent[label]`."""
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, original)


def _breakdown(batches: int = 20) -> None:
    """Where the time of one 500-event batch of mix (b) goes, in-process, averaged over `batches`."""
    from accord.tracking import identity, ingest, pipeline

    first = time.time() - 600
    work = [
        _known_events(30_000_000 + n, BATCH, first=first + n * BATCH * 0.05, step=0.05, late=False)
        for n in range(batches)
    ]
    spent: dict[str, float] = defaultdict(float)
    original_steps = pipeline.steps
    steps = original_steps()

    def scoring(accepted: pipeline.Accepted) -> None:
        started = time.perf_counter()
        for step in steps:
            step(accepted)
        spent["scoring step (ACCORD_EVENT_STEPS)"] += time.perf_counter() - started

    with (
        _timed(ingest, "_store", spent, "whole transaction"),
        _timed(identity, "resolve", spent, "identity resolution"),
        _timed(store, "insert", spent, "event storage"),
        _timed(pipeline, "accepted", spent, "pipeline"),
        _timed(pipeline, "_save", spent, "attribution (pipeline._save)"),
    ):
        pipeline.steps = lambda: (scoring,)  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            for batch in work:
                ingest.record(batch, sent_with="bench")
            whole = time.perf_counter() - started
        finally:
            pipeline.steps = original_steps
    stages = {
        "parsing and validation": whole - spent["whole transaction"],
        "identity resolution": spent["identity resolution"],
        "event storage": spent["event storage"],
        "attribution (pipeline._save)": spent["attribution (pipeline._save)"],
        "scoring step (ACCORD_EVENT_STEPS)": spent["scoring step (ACCORD_EVENT_STEPS)"],
    }
    stages["pipeline's locks and relinks"] = (
        spent["pipeline"] - stages["attribution (pipeline._save)"] - stages["scoring step (ACCORD_EVENT_STEPS)"]
    )
    stages["the rest (campaigns, commit)"] = (
        spent["whole transaction"] - spent["identity resolution"] - spent["event storage"] - spent["pipeline"]
    )
    print(f"   one batch of {BATCH} events of mix (b), in-process, mean of {batches}: {whole / batches * 1000:,.0f} ms")
    for label, seconds in stages.items():
        print(f"     {label:<44} {seconds / batches * 1000:8.1f} ms  {seconds / whole:6.1%}")


def _with_routing(batches: int = 20) -> None:
    """Mix (b) in-process on contacts that qualify as they engage — every 5th has consent and a
    good-fit account, so the batch's events move some of them into MQL, each move routing a
    hand-off among 50 reps in three teams — with the routing step on, then on other contacts of the
    same kind with the hand-off step taken out."""
    from unittest import mock

    from accord.accounts.models import Team
    from accord.contacts.models import Account, Contact
    from accord.lifecycle import handoffs
    from accord.lifecycle.models import Handoff, StageChange
    from accord.tracking import ingest
    from bench.bench_handoffs import _workspace

    if not Team.objects.exists():
        _workspace()
    fit = Account.objects.create(name="Bench fit", country="US", employees=300, industry="Software")
    ready = [_known_user(n)[1] for n in range(0, KNOWN, 5)]
    Contact.objects.filter(email__in=ready).update(consent=True, account=fit, title="VP Marketing")
    halves = (range(0, KNOWN // 2), range(KNOWN // 2, KNOWN))
    first = time.time() - 300
    spent: dict[str, float] = defaultdict(float)
    for number, (label, known) in enumerate((("routing on", halves[0]), ("hand-off step taken out", halves[1]))):
        work = [
            _known_events(
                40_000_000 + number * 1000 + n, BATCH, first=first + n * 5.0, step=0.01, late=False, known=known
            )
            for n in range(batches)
        ]
        moves_before, handoffs_before = StageChange.objects.filter(to_stage="mql").count(), Handoff.objects.count()
        timed = _timed(handoffs, "moved", spent, "routing")
        with timed if not number else mock.patch.object(handoffs, "moved", _none):
            started = time.perf_counter()
            for batch in work:
                ingest.record(batch, sent_with="bench")
            whole = time.perf_counter() - started
        moved = StageChange.objects.filter(to_stage="mql").count() - moves_before
        routed = Handoff.objects.count() - handoffs_before
        print(
            f"   mix (b) on qualifying contacts, {label}, in-process: {whole / batches * 1000:,.0f} ms a batch "
            f"of {BATCH}, {batches * BATCH / whole:,.0f} events/s; {moved:,} moves into MQL, {routed:,} routed"
        )
        if not number:
            print(
                f"     of which the hand-off step (route, write): {spent['routing'] / batches * 1000:.1f} ms a batch,"
                f" {spent['routing'] / whole:.1%}"
            )


def _none(*args: Any, **kwargs: Any) -> list[Any]:
    return []
