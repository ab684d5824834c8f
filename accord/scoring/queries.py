"""Reads of the scoring engine: the scoring model of a playbook version, a contact's scored history,
its score breakdown, trend and history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from accord.contacts.models import Contact
from accord.contacts.queries import contact_facts
from accord.core import clock
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.scoring import domain
from accord.scoring.models import ScoreChange
from accord.tracking.models import Event

_MODELS: dict[str, domain.Model] = {}
TREND_DAYS = 60


def model_of(version: PlaybookVersion) -> domain.Model:
    """The scoring model of a playbook version, built once per process and document."""
    found = _MODELS.get(version.digest)
    if found is None:
        found = _MODELS[version.digest] = domain.Model.of(version.playbook)
    return found


_EVENT_COLUMNS = (
    "type",
    "name",
    "url",
    "path",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "properties",
    "timestamp",
)


def scorable(model: domain.Model) -> Q:
    """The events any interest rule of `model` could match (a superset: names match without case)."""
    types = {r.event for r in model.interest_rules if r.event in domain.EVENT_TYPES}
    tracks = any(r.event not in domain.EVENT_TYPES for r in model.interest_rules)
    return Q(type__in=sorted(types | ({"track"} if tracks else set())))


def contact_hits(model: domain.Model, contact_id: int) -> Iterator[tuple[domain.InterestRule, int]]:
    """(rule, day) for every event of the contact that an interest rule matches, oldest first."""
    if not model.interest_rules:
        return
    events = Event.objects.filter(scorable(model), contact_id=contact_id).order_by("timestamp", "id")
    for row in events.values_list(*_EVENT_COLUMNS).iterator(chunk_size=2000):
        type_, name, url, path, referrer, source, medium, campaign, properties, timestamp = row
        facts = domain.event_facts(
            type=type_,
            name=name,
            url=url,
            path=path,
            referrer=referrer,
            utm_source=source,
            utm_medium=medium,
            utm_campaign=campaign,
            properties=properties,
        )
        day = domain.day_number(timestamp)
        for rule in model.rules_for(facts):
            yield rule, day


def contact_breakdown(contact: Contact, *, version: PlaybookVersion | None = None) -> dict[str, Any]:
    """Why the contact has its scores: the fit rules and whether each holds, the persona, every
    (rule, day) that still counts with its points today, the quadrant and the playbook version."""
    version = version or active_playbook()
    model = model_of(version)
    now = clock.now()
    today = domain.day_number(now)
    facts = contact_facts(contact, now=now)
    fit = model.fit(facts)
    hits = list(contact_hits(model, contact.pk))
    state = domain.recompute(model, hits, today)
    interest = model.value(state.mass, state.anchor, today)
    contributions = domain.contributions(model, hits, today)
    persona = next((p for p in model.personas if p.key == fit.persona), None)
    return {
        "playbook_version": version.number,
        "as_of": now.isoformat(),
        "fit": {
            "score": fit.score,
            "grade": fit.grade,
            "rules": domain.explain_fit(model, facts),
        },
        "persona": {"key": persona.key, "name": persona.name} if persona else None,
        "interest": {
            "score": round(interest, 2),
            "decay": _decay(model),
            "max_points": model.max_points,
            "contributions": [c.as_dict() for c in contributions[:50]],
            "more": max(0, len(contributions) - 50),
        },
        "quadrant": model.quadrant(fit.grade, interest).value,
    }


def _decay(model: domain.Model) -> dict[str, Any]:
    if model.half_life_days is not None:
        return {"half_life_days": model.half_life_days}
    return {"expire_after_days": model.expire_after_days}


def contact_trend(contact: Contact, *, days: int = TREND_DAYS) -> dict[str, Any]:
    """The interest score on each of the last `days` days and whether it is heating up."""
    model = model_of(active_playbook())
    today = domain.day_number(clock.now())
    span = list(range(today - days + 1, today + 1))
    values = domain.curve(model, list(contact_hits(model, contact.pk)), span)
    before = values[-1 - domain.HEATING_DAYS] if len(values) > domain.HEATING_DAYS else 0.0
    return {
        "dates": [domain.day_date(d).isoformat() for d in span],
        "interest": values,
        "heating_up": domain.heating_up(model, now=values[-1] if values else 0.0, before=before),
        "rise": round((values[-1] if values else 0.0) - before, 2),
    }


def score_history(contact: Contact, *, limit: int = 50) -> list[ScoreChange]:
    """The contact's latest score changes, newest first."""
    return list(
        ScoreChange.objects.filter(contact=contact).select_related("playbook_version").order_by("-at", "-id")[:limit]
    )


def heating_up(*, limit: int = 10, now: dt.datetime | None = None) -> list[tuple[Contact, float]]:
    """Contacts whose interest rose the most in the last week, with the rise, when it is at least
    the playbook's heating-up threshold."""
    now = now or clock.now()
    model = model_of(active_playbook())
    since = now - dt.timedelta(days=domain.HEATING_DAYS)
    first: dict[int, float] = {}
    for contact_id, previous in (
        ScoreChange.objects.filter(at__gte=since).order_by("at", "id").values_list("contact_id", "previous_interest")
    ):
        first.setdefault(contact_id, previous or 0.0)
    if not first:
        return []
    contacts = Contact.objects.select_related("account").filter(pk__in=list(first))
    rises = [(c, (c.interest_score or 0.0) - first[c.pk]) for c in contacts]
    hot = [(c, round(rise, 1)) for c, rise in rises if domain.heating_up(model, now=rise, before=0.0)]
    hot.sort(key=lambda item: (-item[1], item[0].pk))
    return hot[:limit]
