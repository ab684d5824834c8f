"""Server time of the overview and of the heating-up contact list, at the demo size.

The demo workspace (ACCORD_BENCH_PAGES_CONTACTS, default 5,000 contacts with six months of
history and events), signed in as its admin, through Django's test client (no network).
Baseline: GET /healthz (the same middleware and one SELECT 1), asked in the same rounds; the
ORM's count of contacts and the contact list without a filter (the same template) are shown beside it.
"""

from __future__ import annotations

import os

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.demo.actions import demo_load
from accord.demo.domain import people
from bench.support import figure, latencies, latency_line, stopwatch

CONTACTS = int(os.environ.get("ACCORD_BENCH_PAGES_CONTACTS", "5000"))
SAMPLES = 30
PAGES = {
    "GET / (overview)": "/",
    "GET /contacts/?heating=1": "/contacts/?heating=1",
    "GET /contacts/ (no filter)": "/contacts/",
}
BASELINE = "/healthz"


def run() -> None:
    with stopwatch() as load:
        loaded = demo_load(contacts=CONTACTS, seed=7)
    figure(f"demo workspace loaded ({loaded.contacts:,} contacts, {loaded.events:,} events)", load[0], "s")
    client = Client()
    client.force_login(User.objects.get(email=people.ADMIN))
    queries: dict[str, int] = {}
    for url in [BASELINE, *PAGES.values()]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries[url] = len(captured.captured_queries)

    # One round asks for each URL once, so the machine's noise slows the pages and the baseline alike.
    samples: dict[str, list[float]] = {url: [] for url in [BASELINE, *PAGES.values()]}
    for _ in range(SAMPLES):
        for url, found in samples.items():
            found += latencies(lambda url=url: client.get(url), 1)
    count = latencies(lambda: Contact.objects.count(), SAMPLES)

    latency_line("ORM count of contacts", count, tail=95)
    latency_line(f"GET {BASELINE} (baseline)", samples[BASELINE], tail=95)
    for label, url in PAGES.items():
        latency_line(
            f"{label}, {queries[url]} queries", samples[url], baseline=samples[BASELINE],
            baseline_label=BASELINE, tail=95,
        )  # fmt: skip
