"""Full rescore: 1,000,000 contacts and 10,000,000 events scored again under a new playbook version.

The dataset is `bench.scoring_data`'s (generated once into its own PostgreSQL database and reused;
ACCORD_BENCH_SCORING_CONTACTS / _EVENTS change its sizes). Each run activates the one of its two
playbook versions (the default and `tweaked`) the contacts were not scored under, so every
contact's scores change and every row is written: the heaviest rescore, as after activating a
version. Then it rescores again, when nothing has changed (what a rescore costs when there is
nothing to write, with the stage rules' check on). The version active before the run is active
again after it.

Before each rescore the contacts and score history tables are vacuumed (untimed), as autovacuum
would have done on a production server. Each rescore runs in a subprocess of its own
(`accord.scoring.rescore.rescore`, the command's code path), so its peak memory is that
process's maximum resident set size (from `wait4`), Django and Polars included. Its parts:
reading (COPY of the events and the contacts), scoring, writing (temporary table and UPDATE,
ScoreChange rows).

Baseline, measured in the same run: the naive way, a per-contact loop with the ORM — load the
contact, `contact_hits`, `domain.recompute`, `Model.fit`, save — on a sample of contacts,
extrapolated to all; its answers are checked against what the rescore stored (in a transaction
rolled back, so the dataset is not changed). The stage rules are not timed in the first rescore
(`--no-stage-moves`): moving contacts would change the dataset for the next run.

Then the daily refresh as it would run a day later (every contact's interest faded by a day),
and the rescore of a demo-size workspace (`accord demo`, ACCORD_BENCH_SCORING_DEMO contacts) in
a database of its own, made afresh. The machine has 2 cores shared with other work: figures are noisy.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import time
from typing import Any

from bench import scoring_data
from bench.support import figure, worker

SAMPLE = int(os.environ.get("ACCORD_BENCH_SCORING_SAMPLE", "1000"))
DEMO = int(os.environ.get("ACCORD_BENCH_SCORING_DEMO", "2000"))
TIME_GOAL = 10.0  # seconds, for 1,000,000 contacts and 10,000,000 events on two cores
MEMORY_GOAL = 4096.0  # MiB
MODULE = "bench.bench_scoring"


def run() -> None:
    dataset = scoring_data.ensure(log=print)
    url = dataset.url
    print(
        f"   dataset: {dataset.contacts:,} contacts, {dataset.events:,} events ({dataset.scorable_events:,} scorable)"
    )
    versions = scoring_data.version_ids(url)
    was_active = scoring_data.active_version(url)
    target = versions["tweaked"] if scoring_data.scored_under(url) != versions["tweaked"] else versions["default"]
    tables = ("contacts_contact", "contacts_score", "scoring_scorechange")
    load = os.getloadavg()
    try:
        scoring_data.activate(url, target)
        scoring_data.vacuum(url, *tables)
        full, full_rss, _ = worker(MODULE, "rescore", "--no-stage-moves", database_url=url)
        scoring_data.vacuum(url, *tables)
        again, again_rss, _ = worker(MODULE, "rescore", database_url=url)
        naive, _, _ = worker(MODULE, "naive", database_url=url)
        scoring_data.vacuum(url, *tables)
        fade, fade_rss, _ = worker(MODULE, "refresh", database_url=url)
    finally:
        scoring_data.activate(url, was_active)
    name = "tweaked" if target == versions["tweaked"] else "default"
    print(f"   load average before and after the rescores: {load[0]:.1f} and {os.getloadavg()[0]:.1f} (2 cores)")
    _report(f"rescore under a new version ({name}): every row written", full, full_rss)
    _report("rescore again: nothing changed, stage rules checked", again, again_rss)
    per_contact = naive["seconds"] / naive["contacts"]
    extrapolated = per_contact * dataset.contacts
    figure("naive per-contact ORM loop, per contact", per_contact * 1000, "ms")
    print(
        f"     {naive['contacts']:,} contacts sampled, extrapolated to {dataset.contacts:,}: {extrapolated:,.0f} s "
        f"({extrapolated / 3600:.1f} h); its answers equal the rescore's for {naive['agree']:,} of them"
    )
    print(
        f"     the rescore under a new version: {extrapolated / full['seconds']:,.0f}× faster "
        f"(ratio {full['seconds'] / extrapolated:.5f}); with nothing to write: "
        f"{extrapolated / again['seconds']:,.0f}× faster"
    )
    figure("daily refresh, a day later", fade["seconds"], "s")
    print(
        f"     {fade['contacts']:,} contacts with interest, {fade['written']:,} rows written, "
        f"{fade['changed']:,} quadrant moves recorded; reading {fade['load_seconds']:.1f} s, "
        f"writing {fade['write_seconds']:.1f} s; peak memory {fade_rss:,.0f} MiB"
    )
    _demo(url)


def _report(label: str, answer: dict[str, Any], rss: float) -> None:
    figure(label, answer["seconds"], "s")
    print(
        f"     reading {answer['load_seconds']:.1f} s, scoring {answer['compute_seconds']:.1f} s, "
        f"writing {answer['write_seconds']:.1f} s, stage rules {answer['rules_seconds']:.1f} s; "
        f"goal ≤ {TIME_GOAL:.0f} s"
    )
    print(
        f"     {answer['contacts']:,} contacts, {answer['events']:,} events read ({answer['hits']:,} rule hits), "
        f"{answer['written']:,} rows written, {answer['changed']:,} score changes recorded, "
        f"{answer['handed']:,} handed to the stage rules"
    )
    figure("  peak memory of that process", rss, "MiB")
    print(f"     goal ≤ {MEMORY_GOAL:,.0f} MiB")


def _demo(url: str) -> None:
    """A demo-size workspace in a database of its own, made afresh: load it, then time a rescore."""
    demo_url = url.rpartition("/")[0] + "/accord_bench_scoring_demo"
    scoring_data.recreate(demo_url)
    answer, rss, _ = worker(MODULE, "demo", database_url=demo_url)
    figure(
        f"demo-size workspace ({answer['contacts']:,} contacts, {answer['events']:,} events read)",
        answer["seconds"],
        "s",
    )
    print(
        f"     {answer['written']:,} rows written (the demo scores as it loads: nothing is left to change); "
        f"loading the demo took {answer['load']:.0f} s; peak memory {rss:,.0f} MiB"
    )


# --------------------------------------------------------------------------- in the subprocess


def _rescore(apply_rules: bool) -> dict[str, Any]:
    import django

    django.setup()
    from accord.scoring import rescore

    result = rescore.rescore(apply_rules=apply_rules)
    return {
        "seconds": result.seconds,
        "load_seconds": result.load_seconds,
        "compute_seconds": result.compute_seconds,
        "write_seconds": result.write_seconds,
        "rules_seconds": result.rules_seconds,
        "contacts": result.contacts,
        "events": result.events,
        "hits": result.hits,
        "written": result.written,
        "changed": result.changed,
        "handed": result.handed,
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _naive() -> dict[str, Any]:
    """The per-contact loop: the ORM for the contact and its events, the domain's functions for fit
    and interest, a save — contact after contact, in a transaction rolled back at the end."""
    import django

    django.setup()
    from django.db import transaction

    from accord.contacts.models import Contact, Score
    from accord.contacts.queries import contact_facts
    from accord.core import clock
    from accord.playbook.queries import active_playbook
    from accord.scoring import domain
    from accord.scoring.queries import contact_hits, model_of
    from accord.scoring.store import SCORES

    version = active_playbook()
    model = model_of(version)
    last = Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = sorted(random.Random(4).sample(range(1, last + 1), min(SAMPLE, last)))
    state_fields = [f for f in SCORES if f not in ("scored_at", "score_version_id")]
    stored = {row[0]: row[1:] for row in Score.objects.filter(pk__in=ids).values_list("pk", *state_fields)}
    agree = 0
    with transaction.atomic():
        started = time.perf_counter()
        for pk in ids:
            now = clock.now()
            today = domain.day_number(now)
            contact = Contact.objects.select_related("account", "owner", "score").get(pk=pk)
            score = contact.current_score or Score(contact=contact)
            state = domain.recompute(model, contact_hits(model, pk), today)
            fit = model.fit(contact_facts(contact, now=now))
            score.fit_score, score.fit_grade, score.persona = fit.score, fit.grade, fit.persona
            score.interest_mass, score.interest_anchor = state.mass, state.anchor
            score.interest_caps = state.as_json()
            score.interest_score = model.value(state.mass, state.anchor, today)
            score.quadrant = model.quadrant(fit.grade, score.interest_score).value
            score.scored_at, score.score_version = now, version
            score.save()
            agree += tuple(getattr(score, f) for f in state_fields) == stored.get(pk)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": seconds, "contacts": len(ids), "agree": agree}


def _refresh() -> dict[str, Any]:
    """The daily decay as it runs tomorrow: every contact's interest faded by a day."""
    import datetime as dt

    import django

    django.setup()
    from accord.core import clock
    from accord.scoring import rescore

    result = rescore.refresh_interest(now=clock.now() + dt.timedelta(days=1))
    return {
        "seconds": result.seconds,
        "load_seconds": result.load_seconds,
        "write_seconds": result.write_seconds,
        "contacts": result.contacts,
        "written": result.written,
        "changed": result.changed,
    }


def _demo_workspace() -> dict[str, Any]:
    import django

    django.setup()
    from accord.demo.actions import demo_load
    from accord.scoring import rescore

    started = time.perf_counter()
    demo_load(contacts=DEMO, seed=7)
    loaded = time.perf_counter() - started
    result = rescore.rescore(apply_rules=False)
    return {
        "seconds": result.seconds,
        "contacts": result.contacts,
        "events": result.events,
        "written": result.written,
        "load": loaded,
    }


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "rescore":
        answer = _rescore("--no-stage-moves" not in sys.argv)
    elif mode == "demo":
        answer = _demo_workspace()
    elif mode == "refresh":
        answer = _refresh()
    else:
        answer = _naive()
    print(json.dumps(answer))
