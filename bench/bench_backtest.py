"""Backtest: a draft against the active version over 1,000,000 contacts and 10,000,000 events.

The dataset is `bench.scoring_data`'s (generated once into its own PostgreSQL database and reused;
ACCORD_BENCH_SCORING_CONTACTS / _EVENTS change its sizes). The draft is its `tweaked` playbook
(other fit and page points, a 21-day half-life, high interest at 35). The window is the default
one, the last 26 weeks, as of the day the dataset was generated, so every run replays the same
history.

The backtest runs in a subprocess of its own, so its peak memory is that process's maximum
resident set size (from `wait4`). The baseline is the naive way — a per-contact loop with the ORM
and the domain's own functions (`Model.fit`, `domain.curve`, `conditions.evaluate`) — timed on a
sample of contacts in another subprocess, extrapolated to every contact, and checked against
the backtest's answer for the same contacts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import scoring_data
from bench.support import figure

SAMPLE = int(os.environ.get("ACCORD_BENCH_BACKTEST_SAMPLE", "300"))
TIME_GOAL = 15.0  # seconds, for 1,000,000 contacts and 10,000,000 events on two cores
MEMORY_GOAL = 4096.0  # MiB


def run() -> None:
    dataset = scoring_data.ensure(log=print)
    print(
        f"   dataset: {dataset.contacts:,} contacts, {dataset.events:,} events ({dataset.scorable_events:,} scorable)"
    )
    vectorised, rss = _worker(dataset.url, "backtest")
    naive, _ = _worker(dataset.url, "naive")
    per_contact = naive["seconds"] / naive["contacts"]
    extrapolated = per_contact * dataset.contacts
    figure("backtest, draft and active version", vectorised["seconds"], "s")
    print(
        f"     ratio {vectorised['seconds'] / extrapolated:.5f} of the naive per-contact loop "
        f"({extrapolated:,.0f} s extrapolated): {extrapolated / vectorised['seconds']:,.0f}× faster"
    )
    print(
        f"     loading {vectorised['load_seconds']:.1f} s, replaying {vectorised['replay_seconds']:.1f} s;"
        f" goal ≤ {TIME_GOAL:.0f} s"
    )
    figure("peak memory of the backtest process", rss, "MiB")
    print(f"     goal ≤ {MEMORY_GOAL:,.0f} MiB")
    figure("naive loop, per contact", per_contact * 1000, "ms")
    print(
        f"     {naive['contacts']} contacts sampled, extrapolated to {dataset.contacts:,}:"
        f" {extrapolated / 3600:,.1f} h;"
        f" the first qualifying days under both versions agree with the backtest's for {naive['agree']} of them,"
        f" and for {naive['qualifying_agree']} of {naive['qualifying']} contacts who qualify"
    )
    print(
        f"   draft: {vectorised['draft_mqls']:,} MQLs, active: {vectorised['active_mqls']:,} MQLs in the window; "
        f"groups {vectorised['groups']}"
    )


def _worker(url: str, mode: str) -> tuple[dict[str, Any], float]:
    """Run this module in a subprocess on the dataset's database; its JSON answer and its peak RSS in MiB."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "accord.config.settings",
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_backtest", mode], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"the {mode} worker failed ({process.returncode}):\n{output}")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024


# --------------------------------------------------------------------------- in the subprocess


def _setup() -> tuple[Any, Any]:
    import django

    django.setup()
    from django.db import connection

    from accord.playbook.domain.document import parse

    with connection.cursor() as cursor:
        cursor.execute("SELECT generated_at FROM bench_scoring_dataset")
        (generated_at,) = cursor.fetchone()
    source = (Path(__file__).parent.parent / "accord" / "playbook" / "default.yaml").read_text(encoding="utf-8")
    for old, new in scoring_data.TWEAKED:
        source = source.replace(old, new)
    return parse(source), generated_at


def _backtest() -> dict[str, Any]:
    draft, now = _setup()
    from accord.scoring import backtest

    started = time.perf_counter()
    result = backtest.backtest_playbook(playbook=draft, label="tweaked", now=now)
    seconds = time.perf_counter() - started
    Path(os.environ.get("ACCORD_BENCH_BACKTEST_FIRSTS", "/tmp/accord-bench-backtest-firsts.json")).write_text(
        json.dumps({name: dict(frame.rows()) for name, frame in result.firsts.items()})
    )
    return {
        "seconds": seconds,
        "load_seconds": result.phases["load"],
        "replay_seconds": result.phases["replay"],
        "draft_mqls": result.comparison.draft.mqls,
        "active_mqls": result.comparison.active.mqls,
        "groups": {g.key: g.outcomes.contacts for g in result.comparison.groups},
    }


def _naive() -> dict[str, Any]:
    """The per-contact loop: the ORM for the contact, its events and its stage history, and the
    domain's functions for fit, the interest curve and the MQL rule, contact after contact."""
    draft, now = _setup()
    from accord.contacts.models import Contact
    from accord.contacts.queries import contact_facts
    from accord.lifecycle.models import StageChange
    from accord.playbook.domain.conditions import evaluate
    from accord.playbook.queries import active_playbook
    from accord.scoring import backtest, domain
    from accord.scoring.queries import contact_hits

    window = backtest.parse_window(None, None, today=now.date())
    versions = {"draft": draft, "active": active_playbook().playbook}
    models = {name: domain.Model.of(playbook) for name, playbook in versions.items()}

    def first_days(contact_id: int) -> dict[str, int | None]:
        contact = Contact.objects.select_related("account", "owner").get(pk=contact_id)
        facts = contact_facts(contact, now=now)
        found: dict[str, int | None] = {}
        for name, model in models.items():
            when = versions[name].data["mql"]["when"]
            fit = model.fit(facts)
            hits = [(rule, day) for rule, day in contact_hits(model, contact_id) if day <= window.end]
            days = sorted({day for _, day in hits})
            found[name] = None
            for day, interest in zip(days, domain.curve(model, hits, days), strict=True):
                scored = {
                    **facts,
                    "score.fit": fit.score,
                    "score.grade": fit.grade,
                    "contact.persona": fit.persona or None,
                    "score.interest": interest,
                    "score.quadrant": model.quadrant(fit.grade, interest).value,
                }
                if evaluate(when, scored):
                    found[name] = day
                    break
        list(StageChange.objects.filter(contact_id=contact_id).values_list("to_stage", "at"))
        return found

    vectorised = json.loads(
        Path(os.environ.get("ACCORD_BENCH_BACKTEST_FIRSTS", "/tmp/accord-bench-backtest-firsts.json")).read_text()
    )

    def agrees(contact_id: int, found: dict[str, int | None]) -> bool:
        return all(found[name] == vectorised[name].get(str(contact_id)) for name in found)

    every = max(1, Contact.objects.count() // SAMPLE)
    ids = list(Contact.objects.order_by("id").values_list("id", flat=True)[::every])
    started = time.perf_counter()
    answers = {contact_id: first_days(contact_id) for contact_id in ids}
    seconds = time.perf_counter() - started
    # Also contacts that qualify under either version: a small share of a uniform sample.
    qualifying = sorted({int(i) for name in vectorised for i in vectorised[name]})
    checked = qualifying[:: max(1, len(qualifying) // SAMPLE)]
    return {
        "seconds": seconds,
        "contacts": len(ids),
        "agree": sum(agrees(i, found) for i, found in answers.items()),
        "qualifying": len(checked),
        "qualifying_agree": sum(agrees(i, first_days(i)) for i in checked),
    }


if __name__ == "__main__":
    mode = sys.argv[1]
    answer = _backtest() if mode == "backtest" else _naive()
    print(json.dumps(answer))
