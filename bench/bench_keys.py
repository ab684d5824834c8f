"""Browser keys against server keys: the same batches through the same gunicorn-served Accord.

The browser key has its origin check and both rate limits on (per key and per client address,
counted in Redis when one answers, as in production; the limits are set high enough that nothing
is refused), and its identify calls fill only empty fields. The mix is what the snippet sends:
batches of 20, mostly anonymous page views, 7% tracked actions, 1% identify calls with an email,
from 4 client processes. Short runs alternate server and browser, eight of each; the medians are
compared (on a shared 2-core machine one run can be 20% off the next, either way).
"""

from __future__ import annotations

import os
import signal
import statistics

import orjson
from django.db import connection

from accord.accounts.actions import apikey_create
from accord.accounts.models import User
from bench.bench_ingest import _events, _now, _start_server, race
from bench.support import figure

PER_BATCH = 20
CLIENTS = 4
ROUNDS = 8
ORIGIN = "https://www.acme.example"


def _redis() -> str:
    url = os.environ.get("ACCORD_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return ""
    return url


def _snippet_bodies(seed: int, batches: int, key: str) -> list[bytes]:
    """What /t.js sends: batches of 20 with the key in the body."""
    return [
        orjson.dumps({"batch": _events(seed * 1_000_003 + n, PER_BATCH, 20_000), "sentAt": _now(), "writeKey": key})
        for n in range(batches)
    ]


def _run(key: str, origin: str, seed: int, batches: int) -> float:
    headers = {"Content-Type": "text/plain", **({"Origin": origin} if origin else {})}
    accepted, elapsed = race(_snippet_bodies, [(seed * 100 + n, batches, key) for n in range(CLIENTS)], headers)
    return accepted / elapsed


def run() -> None:
    total = int(os.environ.get("ACCORD_BENCH_KEY_EVENTS", "12000"))  # per run
    batches = max(1, total // PER_BATCH // CLIENTS)
    admin = User.objects.create_user("bench-keys@example.com", "x", role="admin")
    _, server_key = apikey_create(name="bench server", scopes="server", acting_user=admin)
    _, browser_key = apikey_create(
        name="bench browser", scopes="browser", allowed_origins=[ORIGIN, "https://*.acme.example"],
        rate_per_minute=10_000_000, ip_rate_per_minute=10_000_000, acting_user=admin,
    )  # fmt: skip
    connection.close()
    cache = _redis()
    server = _start_server(**({"ACCORD_CACHE_URL": cache} if cache else {}))
    try:
        _run(server_key, "", 0, 5)  # warm up every worker
        rates: dict[str, list[float]] = {"server": [], "browser": []}
        for round_number in range(ROUNDS):
            for name, key, origin in (("server", server_key, ""), ("browser", browser_key, ORIGIN)):
                rates[name].append(_run(key, origin, 1 + round_number * 2 + (name == "browser"), batches))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    where = "Redis" if cache else "each worker"
    print(f"   {batches * CLIENTS * PER_BATCH:,} events a run in batches of {PER_BATCH} from {CLIENTS} clients "
          f"(page views 92%, tracks 7%, identifies 1%); rate counts in {where}")  # fmt: skip
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"   {ROUNDS} runs each; server {min(rates['server']):,.0f}–{max(rates['server']):,.0f} events/s, "
          f"browser {min(rates['browser']):,.0f}–{max(rates['browser']):,.0f}")  # fmt: skip
    figure("browser key, origin and rate checks on (median)", median["browser"], "events/s",
           baseline=median["server"], baseline_label="server key")  # fmt: skip
