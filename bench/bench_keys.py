"""Browser keys against server keys: the same batches through the same gunicorn-served Accord.

The browser key has its origin check and both rate limits on (per key and per client address,
counted in Redis when one answers, as in production; the limits are set high enough that nothing
is refused), and its identify calls fill only empty fields. The mix is what the snippet sends:
batches of 20, mostly anonymous page views, 7% tracked actions, 1% identify calls with an email,
from 4 client processes at once: two send with the server key and two with the browser key, at
the same time, so whatever else the machine does slows both alike (runs one after the other were
20% apart either way on a shared 2-core machine). Each client's rate is its events over its own
time; five rounds, the ratio of the mean rates and the median round.
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
ROUNDS = 5
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


def _round(server_key: str, browser_key: str, seed: int, batches: int) -> tuple[float, float]:
    """Two server-key and two browser-key clients at once: the events/s of each kind."""
    kinds = [("server", server_key, {}), ("browser", browser_key, {"Origin": ORIGIN})] * (CLIENTS // 2)
    clients = [((seed * 100 + n, batches, key), {"Content-Type": "text/plain", **extra})
               for n, (_, key, extra) in enumerate(kinds)]  # fmt: skip
    results, _ = race(_snippet_bodies, clients)
    rate = {"server": 0.0, "browser": 0.0}
    for (kind, _, _), (accepted, seconds) in zip(kinds, results, strict=True):
        rate[kind] += accepted / seconds
    return rate["server"], rate["browser"]


def run() -> None:
    total = int(os.environ.get("ACCORD_BENCH_KEY_EVENTS", "24000"))  # per round
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
        _round(server_key, browser_key, 0, 5)  # warm up every worker
        rounds = [_round(server_key, browser_key, 1 + number, batches) for number in range(ROUNDS)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    where = "Redis" if cache else "each worker"
    print(f"   {batches * CLIENTS * PER_BATCH:,} events a round in batches of {PER_BATCH} from {CLIENTS} clients "
          f"(page views 92%, tracks 7%, identifies 1%); rate counts in {where}")  # fmt: skip
    server_rate, browser_rate = (sum(r[i] for r in rounds) / ROUNDS for i in (0, 1))
    ratios = ", ".join(f"{b / s:.2f}" for s, b in rounds)
    median = statistics.median(b / s for s, b in rounds)
    print(f"   {ROUNDS} rounds; browser/server by round: {ratios}; median {median:.2f}")
    figure("browser key, origin and rate checks on", browser_rate, "events/s",
           baseline=server_rate, baseline_label="server key, at the same time")  # fmt: skip
