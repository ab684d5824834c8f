"""Reads of the scoring engine: the scoring model of a playbook version, a contact's scored history,
its score breakdown, trend and history, and `contact_score`, the one read of a contact's scores that
the score API and the contact page's Score panel both show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, Expression, F, IntegerField, OuterRef, Q, QuerySet, Subquery

from accord.contacts.models import Contact
from accord.contacts.queries import contact_facts
from accord.core import clock
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.scoring import domain
from accord.scoring.models import ScoreChange
from accord.tracking.models import Event

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

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


Hits = list[tuple[domain.InterestRule, int]]


def contact_hits(model: domain.Model, contact_id: int) -> Iterator[tuple[domain.InterestRule, int]]:
    """(rule, day) for every event of the contact that an interest rule matches, oldest first."""
    yield from contacts_hits(model, [contact_id]).get(contact_id, [])


def contacts_hits(model: domain.Model, contact_ids: Collection[int]) -> dict[int, Hits]:
    """`contact_hits` of many contacts, read with one query: by contact id (contacts without a
    matched event have no entry)."""
    found: dict[int, Hits] = {}
    if not model.interest_rules or not contact_ids:
        return found
    events = Event.objects.filter(scorable(model), contact_id__in=sorted(contact_ids)).order_by(
        "contact_id", "timestamp", "id"
    )
    for row in events.values_list("contact_id", *_EVENT_COLUMNS).iterator(chunk_size=2000):
        contact_id, type_, name, url, path, referrer, source, medium, campaign, properties, timestamp = row
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
        rules = model.rules_for(facts)
        if rules:
            day = domain.day_number(timestamp)
            found.setdefault(contact_id, []).extend((rule, day) for rule in rules)
    return found


def contacts_breakdown(
    contacts: Sequence[Contact], *, version: PlaybookVersion, now: dt.datetime | None = None
) -> dict[int, dict[str, Any]]:
    """`contact_breakdown` of many contacts under `version`, their events read with one query."""
    hits = contacts_hits(model_of(version), [c.pk for c in contacts])
    return {c.pk: contact_breakdown(c, version=version, hits=hits.get(c.pk, []), now=now) for c in contacts}



def contact_breakdown(
    contact: Contact,
    *,
    version: PlaybookVersion | None = None,
    hits: Hits | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Why the contact has its scores: the fit rules and whether each holds, the persona, every
    (rule, day) that still counts with its points today, the quadrant and the playbook version.
    `hits` (from `contact_hits` under the same version) saves reading the events again."""
    version = version or active_playbook()
    model = model_of(version)
    now = now or clock.now()
    today = domain.day_number(now)
    facts = contact_facts(contact, now=now)
    fit = model.fit(facts)
    hits = list(contact_hits(model, contact.pk)) if hits is None else hits
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


def contact_trend(
    contact: Contact,
    *,
    days: int = TREND_DAYS,
    version: PlaybookVersion | None = None,
    hits: Hits | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The interest score on each of the last `days` days and whether it is heating up."""
    model = model_of(version or active_playbook())
    today = domain.day_number(now or clock.now())
    span = list(range(today - days + 1, today + 1))
    values = domain.curve(model, list(contact_hits(model, contact.pk)) if hits is None else hits, span)
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


@dataclass(frozen=True)
class ContactScore:
    """A contact's scores as the score API and the contact page's Score panel show them: the scores
    stored on the contact (with the persona as the playbook version that scored them words it), the
    breakdown and the trend worked out at `now` under the active playbook, and the latest score changes."""

    contact_id: int
    now: dt.datetime
    model: domain.Model  # the active playbook's scoring model, which the breakdown and the trend use
    fit_score: int | None
    fit_grade: str
    persona: domain.Persona | None  # the stored persona, from the scoring version's personas
    interest_score: float | None
    quadrant: str
    scored_at: dt.datetime | None
    score_version: int | None  # the number of the playbook version that scored the stored scores
    breakdown: Mapping[str, Any]  # as `contact_breakdown`
    trend: Mapping[str, Any]  # as `contact_trend`
    history: tuple[ScoreChange, ...]  # newest first, with their playbook versions

    @property
    def scored(self) -> bool:
        return self.fit_score is not None


def contact_score(contact: Contact, *, now: dt.datetime, history: int = 20) -> ContactScore:
    """The contact's stored scores, its breakdown and trend at `now` under the active playbook (its
    events read once for both) and its latest `history` score changes."""
    version = active_playbook()
    model = model_of(version)
    hits = list(contact_hits(model, contact.pk))
    current = contact.current_score
    stored = current.score_version if current else None
    stored_model = model_of(stored) if stored else model
    return ContactScore(
        contact_id=contact.pk,
        now=now,
        model=model,
        fit_score=current.fit_score if current else None,
        fit_grade=current.fit_grade if current else "",
        persona=next((p for p in stored_model.personas if current and p.key == current.persona), None),
        interest_score=current.interest_score if current else None,
        quadrant=current.quadrant if current else "",
        scored_at=current.scored_at if current else None,
        score_version=stored.number if stored else None,
        breakdown=contact_breakdown(contact, version=version, hits=hits, now=now),
        trend=contact_trend(contact, version=version, hits=hits, now=now),
        history=tuple(score_history(contact, limit=history)) if history else (),
    )


def heating_up(
    *, limit: int = 10, now: dt.datetime | None = None, version: PlaybookVersion | None = None
) -> list[tuple[Contact, float]]:
    """The `limit` contacts whose interest rose the most in the last week (see `heating_rises`),
    with their account, and the rise."""
    rises = heating_rises(now=now, version=version)[:limit]
    found = Contact.objects.select_related("account", "score").in_bulk([pk for pk, _ in rises])
    return [(found[pk], rise) for pk, rise in rises if pk in found]


def heating_rises(*, now: dt.datetime | None = None, version: PlaybookVersion | None = None) -> list[tuple[int, float]]:
    """(contact id, rise) of every contact heating up, the fastest first (then the oldest contact):
    whose interest rose in the last week by at least the playbook's heating-up threshold. The rise
    is today's interest minus the interest a week ago — the last score stored before then, faded to
    that day — as on the contact's trend.

    Only contacts whose stored interest reaches the threshold can rise that far (interest is never
    below zero and only fades, so today's is at most the stored one), so only they are read, a few
    columns each; the rule itself is `domain.heating_up` on the faded scores, as before.
    `version`: the playbook version in force, when the caller has it already."""
    now = now or clock.now()
    model = model_of(version or active_playbook())
    today = domain.day_number(now)
    since = now - dt.timedelta(days=domain.HEATING_DAYS)
    this_week = ScoreChange.objects.filter(contact=OuterRef("pk"), at__gte=since).order_by("at", "id")
    earlier = ScoreChange.objects.filter(contact=OuterRef("pk"), at__lt=since).order_by("-at", "-id")
    rows = (
        Contact.objects.filter(score__interest_score__gte=model.heating_points)
        .filter(Exists(this_week))
        .annotate(
            before=Subquery(earlier.values("interest_score")[:1]),
            before_at=Subquery(earlier.values("at")[:1]),
            before_mass=Subquery(earlier.values("interest_mass")[:1]),
            before_anchor=Subquery(earlier.values("interest_anchor")[:1]),
            # Without history before the week, what the week's first change started from.
            started=Subquery(this_week.values("previous_interest")[:1]),
        )
        .order_by()
        .values_list(
            "pk", "score__interest_score", "score__scored_at", "score__interest_mass", "score__interest_anchor",
            "before", "before_at", "before_mass", "before_anchor", "started",
        )
    )
    rises: list[tuple[int, float]] = []
    for pk, interest, scored_at, mass, anchor, before, before_at, before_mass, before_anchor, started in rows:
        now_value = interest_on(model, today, value=interest, at=scored_at, mass=mass, anchor=anchor)
        if before_at is not None:
            week_ago = interest_on(
                model, today - domain.HEATING_DAYS, value=before, at=before_at, mass=before_mass, anchor=before_anchor
            )
        else:
            week_ago = started or 0.0
        if domain.heating_up(model, now=now_value, before=week_ago):
            rises.append((pk, round(now_value - week_ago, 1)))
    rises.sort(key=lambda item: (-item[1], item[0]))
    return rises


def interest_on(
    model: domain.Model, day: int, *, value: float | None, at: dt.datetime | None, mass: int | None, anchor: int | None
) -> float:
    """A stored interest score (with the state stored with it) as it reads on `day`, no events
    since: under a half-life, the state read with `Model.value`, as the live score reads it; under
    an expiry window, the stored score while the day it was stored still counts, else nothing (what
    expired in between is not known without the events). Rows stored before the state was kept
    with them fade the stored score."""
    if value is None or at is None:
        return 0.0
    if model.half_life_days is not None and mass is not None:
        return model.value(mass, anchor, day)
    return model.clamp(model.decayed(value, min(domain.day_number(at), day), day))


# --------------------------------------------------------------------------- the lists' score filters and sorts


def quadrant_tally(contacts: QuerySet[Contact]) -> dict[str, int]:
    """How many of `contacts` are in each quadrant, by quadrant key ("" for those not scored)."""
    found: dict[str, int] = {}
    for row in contacts.order_by().values("score__quadrant").annotate(n=Count("id")):
        key = row["score__quadrant"] or ""  # no Score row: not scored
        found[key] = found.get(key, 0) + row["n"]
    return found


def heating_ids(limit: int = 1000) -> list[int]:
    """The ids of contacts heating up now (the list's filter), the fastest-rising first."""
    return [pk for pk, _ in heating_rises()[:limit]]


class _Place(Expression):
    """Where a row's `expression` stands in `ids`, from 0: one `CASE expression WHEN id THEN place … END`
    written out at once (a Case of When(pk=…) resolves, hashes and compiles a lookup per id, 120 ms
    of CPU for the heating-up list's 1,000)."""

    output_field = IntegerField()

    def __init__(self, expression: Any, ids: list[int]) -> None:
        super().__init__()
        self.expression, self.ids = expression, [int(pk) for pk in ids]

    def get_source_expressions(self) -> list[Any]:
        return [self.expression]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.expression,) = exprs

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _AsSqlType:
        sql, params = compiler.compile(self.expression)
        places = " ".join(f"WHEN {pk} THEN {place}" for place, pk in enumerate(self.ids))  # integers only
        return f"CASE {sql} {places} END", params


CONTACT_SORTS: dict[str, tuple[Any, ...]] = {
    "interest": (F("score__interest_score").desc(nulls_last=True), "-id"),
    "fit": (F("score__fit_score").desc(nulls_last=True), F("score__interest_score").desc(nulls_last=True), "-id"),
}


def scored_contacts(
    contacts: QuerySet[Contact], *, quadrant: str = "", heating: bool = False, sort: str = ""
) -> QuerySet[Contact]:
    """The contact list narrowed to a quadrant or to those heating up, and sorted by a score (the
    highest first); heating up alone sorts by how fast interest rose."""
    if quadrant:
        contacts = contacts.filter(score__quadrant=quadrant)
    if heating:
        ids = heating_ids()
        contacts = contacts.filter(pk__in=ids)
        if not sort:
            return contacts.order_by(_Place(F("pk"), ids)) if ids else contacts
    if sort in CONTACT_SORTS:
        contacts = contacts.order_by(*CONTACT_SORTS[sort])
    return contacts
