"""The full rescore and the daily refresh: every contact scored again from its profile and its whole
event history, in seconds, with the exact results of the incremental path.

`rescore` (`accord score rescore`, queued when a playbook version becomes active) reads the
scorable events once (COPY on PostgreSQL, streamed in blocks, narrowed in SQL to the events a
rule could match) and finds the interest rule hits of each block as it arrives; from all hits it
computes every contact's interest state at once; then it reads the contacts in chunks (on
PostgreSQL streaming already, on a second connection, while the events were read), scores each chunk
with `frames` (fit, persona, interest state and score, quadrant — exactly what
`domain.Model.fit`, `domain.recompute` and `Model.value` give), compares it with what is stored,
and writes only the contacts whose stored scores differ (PostgreSQL: COPY into a temporary table
and one `UPDATE … FROM`; elsewhere `executemany`), with a `ScoreChange` (cause "rescore") for
each contact whose fit, grade or quadrant changed or whose interest moved by at least
`actions.NOTICEABLE` — the same rule as the event pipeline. Contacts whose scores rose (as the
pipeline decides it) are handed to `lifecycle.actions.contact_apply_rules` (the MQL rule then
stores the score breakdown), but only those for which `lifecycle.domain.rule_target` finds a
stage: `frames.rule_target_expr` checks that for the whole chunk first, so a rescore that moves
no one costs no per-contact work. After a new playbook version, so are the contacts whose scores
did not rise but whom its MQL rule now moves (a lower bar, say). Other entry criteria read the
profile, not the scores: the profile's own writes apply those.

**Consistency with the event pipeline.** On PostgreSQL every read happens in one REPEATABLE
READ snapshot (two connections of its own sharing it); each chunk is written in its own
transaction, which locks its rows in id order (as `contacts_score` does, so the two do not wait
on each other in a circle; a chunk PostgreSQL still picks to break a deadlock is written again)
and updates a contact only while its `scored_at` is still the one read: a contact the pipeline
scored after the snapshot keeps the pipeline's (newer) scores and is counted in `skipped`.
Called inside a transaction (a test, the demo loader), it reads on that transaction's
connection instead, so it sees what the transaction wrote, and reads everything before writing.

`refresh_interest` is the daily decay: with a half-life, the interest score of every contact is
recomputed from its stored (mass, anchor) — no history needed — and the contacts whose score
or quadrant changed are written. With an expiry window the stored state stays exact until its
earliest counted day expires; those contacts (and any scored under another playbook version)
go through the full rescore path. To keep the score history small, the decay writes a
`ScoreChange` (cause "decay") only when a contact's quadrant (or grade) changes, not for every
day its score fades.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson
import polars as pl
import psycopg
from django.db import OperationalError, connection, transaction
from django.db.models import BooleanField, Field, QuerySet
from django.db.models.expressions import RawSQL

from accord.contacts.models import Contact, Score
from accord.core import clock, reading
from accord.core.bulk import stamp_text, write_frame
from accord.lifecycle.actions import contact_apply_rules
from accord.playbook.domain.vocabulary import SCORE_FIELDS as SCORE_FACTS
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.scoring import domain, frames
from accord.scoring.actions import NOTICEABLE
from accord.scoring.models import Cause, ScoreChange
from accord.scoring.queries import contact_breakdown, model_of, scorable
from accord.tracking.models import Event

Progress = Callable[[int, int], None]

CHUNK = 200_000  # contacts scored and written together
STREAM_DEPTH = 4  # blocks read ahead of the parsing, at most
EVENT_PARTS = 2  # PostgreSQL: the events are read in this many ranges of the table at once
WRITERS = 2  # PostgreSQL: chunks written at once, each on a connection of its own
PART_MIN_PAGES = 64  # … each of at least this many pages (8 kB each)
RULES_BATCH = 500  # contacts loaded at a time for the stage rules
ESTIMATE_ABOVE = 100_000  # more contacts than this: the progress total is PostgreSQL's estimate
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_DAY_MICROSECONDS = 86_400_000_000


@dataclass
class RescoreResult:
    """What a rescore (or a refresh) did."""

    contacts: int = 0  # contacts scored
    changed: int = 0  # contacts whose scores changed enough for a ScoreChange
    written: int = 0  # contact rows written (changed, or only their stored state or version)
    skipped: int = 0  # scored by the event pipeline meanwhile: left with the pipeline's scores
    events: int = 0  # scorable events read
    hits: int = 0  # (event, interest rule) matches
    moved: dict[int, str] = field(default_factory=dict)  # contact id -> the stage the rules moved it to
    handed: int = 0  # contacts handed to the stage rules
    load_seconds: float = 0.0  # reading the events and contacts
    compute_seconds: float = 0.0  # scoring
    write_seconds: float = 0.0  # writing contacts and ScoreChanges
    rules_seconds: float = 0.0  # the stage rules
    seconds: float = 0.0  # in all

    def add(self, other: RescoreResult) -> None:
        for name in ("contacts", "changed", "written", "skipped", "events", "hits", "handed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("load_seconds", "compute_seconds", "write_seconds", "rules_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.moved.update(other.moved)


# --------------------------------------------------------------------------- entry points


def rescore(
    *,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    apply_rules: bool = True,
    contact_ids: Collection[int] | None = None,
    chunk_size: int = CHUNK,
    rules_at: Callable[[Contact], dt.datetime] | None = None,
) -> RescoreResult:
    """Score every contact (or those in `contact_ids`) again under the active playbook version
    from its profile and whole event history; write what changed. `progress(done, total)` is
    called as chunks of contacts are done. `rules_at(contact)`, when given, is the moment the
    stage rules look at a contact handed to them, and so the time of the move they make (a load
    of past history dates each move when its events made it; default: now). See the module's
    docstring."""
    return _rescore(
        now=now or clock.now(),
        progress=progress,
        apply_rules=apply_rules,
        contact_ids=contact_ids,
        chunk_size=chunk_size,
        cause=Cause.RESCORE,
        rules_at=rules_at,
    )


def refresh_interest(*, now: dt.datetime | None = None, progress: Progress | None = None) -> RescoreResult:
    """The daily decay: store each contact's interest as it has faded by `now`. See the module's
    docstring for which contacts need their history and when a ScoreChange is written."""
    now = now or clock.now()
    started = time.perf_counter()
    version = active_playbook()
    model = model_of(version)
    today = domain.day_number(now)
    result = RescoreResult()
    with _Reader() as reader:
        loaded = time.perf_counter()
        stored = reader.frame(
            Score.objects.filter(interest_anchor__isnull=False, score_version=version).order_by("pk"),
            [
                _Column("contact_id", "pk", pl.Int64),
                _Column("fit_score", "fit_score", pl.Int64),
                _Column("fit_grade", "fit_grade", pl.String),
                _Column("interest_before", "interest_score", pl.Float64),
                _Column("quadrant_before", "quadrant", pl.String),
                _Column("mass", "interest_mass", pl.Int64),
                _Column("anchor", "interest_anchor", pl.Int64),
                _Column("scored_before", "scored_at", pl.String, stamp=True),
            ],
        )
        stale = reader.frame(
            Contact.objects.exclude(score__score_version=version).order_by("pk"),
            [_Column("contact_id", "pk", pl.Int64)],
        )
        result.load_seconds = time.perf_counter() - loaded
    computing = time.perf_counter()
    expired_ids: set[int] = set()
    if model.half_life_days is None:
        assert model.expire_after_days is not None
        expired = stored.filter(pl.col("anchor") <= today - model.expire_after_days)
        expired_ids = set(expired["contact_id"].to_list())
        faded = stored.clear()
    else:
        faded = stored.with_columns(frames.value_expr(model, today).alias("interest")).with_columns(
            frames.quadrant_expr(model).alias("quadrant")
        )
        faded = faded.filter(
            pl.col("interest").ne_missing(pl.col("interest_before"))
            | pl.col("quadrant").ne_missing(pl.col("quadrant_before"))
        )
    result.compute_seconds = time.perf_counter() - computing
    result.contacts = stored.height
    writing = time.perf_counter()
    total = faded.height
    with _Writer(partial(_write_faded, version=version, now=now), threads=_apart()) as writer:
        finished = []
        for start in range(0, max(total, 1), CHUNK):
            finished += writer.put(faded.slice(start, CHUNK))
            if progress is not None:
                progress(min(start + CHUNK, total), total)
        finished += writer.finish()
    for written, noted, chunk, _ in finished:
        result.written += written.height
        result.skipped += chunk.height - written.height
        result.changed += noted.height
    result.write_seconds = time.perf_counter() - writing
    result.contacts += stale.height
    for ids, cause in ((expired_ids, Cause.DECAY), (set(stale["contact_id"].to_list()), Cause.RESCORE)):
        if ids:
            full = _rescore(now=now, progress=None, apply_rules=True, contact_ids=ids, chunk_size=CHUNK, cause=cause)
            full.contacts = 0  # counted above
            result.add(full)
    result.seconds = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------- the full rescore


def _rescore(
    *,
    now: dt.datetime,
    progress: Progress | None,
    apply_rules: bool,
    contact_ids: Collection[int] | None,
    chunk_size: int,
    cause: Cause,
    rules_at: Callable[[Contact], dt.datetime] | None = None,
) -> RescoreResult:
    started = time.perf_counter()
    version = active_playbook()
    model = model_of(version)
    playbook = version.playbook
    today = domain.day_number(now)
    only = sorted(set(contact_ids)) if contact_ids is not None else None
    result = RescoreResult()
    rising: list[int] = []
    with _Reader() as reader:
        total = len(only) if only is not None else reader.count(Contact.objects.all(), estimate_above=ESTIMATE_ABOVE)
        if progress is not None:
            progress(0, total)
        profile = frames.profile_columns(model) | (frames.rule_columns(playbook) if apply_rules else set())
        columns = _contact_columns(profile - set(SCORE_FACTS))
        contacts = Contact.objects.order_by("pk")
        if only is not None:
            contacts = contacts.filter(pk__in=only) if len(only) <= _IN_LIMIT else contacts
        # On PostgreSQL the contacts start streaming now, on a second connection in the same
        # snapshot, while the events are read and counted.
        blocks = reader.frames(contacts, columns, rows=chunk_size, early=True)
        interest = _interest(reader, model, today, only, result)
        done = 0
        write = partial(_write_scores, version=version, now=now, cause=cause)
        with _Writer(write, threads=WRITERS if reader.own else 0) as writer:
            loading = time.perf_counter()
            for block in blocks:
                result.load_seconds += time.perf_counter() - loading
                if only is not None and len(only) > _IN_LIMIT:
                    block = block.filter(pl.col("contact_id").is_in(only))
                block = _derived(block, now)
                computing = time.perf_counter()
                scored = _score_chunk(model, block, _slice(interest, block), version, today)
                changed = scored.filter(pl.col("_write"))
                candidates = _rule_candidates(playbook, scored) if apply_rules else None
                result.compute_seconds += time.perf_counter() - computing
                result.contacts += block.height
                writing = time.perf_counter()
                for written in writer.put(changed, candidates):
                    _count(result, rising, *written)
                result.write_seconds += time.perf_counter() - writing
                done += block.height
                if progress is not None:
                    progress(done, max(total, done))
                loading = time.perf_counter()
            result.load_seconds += time.perf_counter() - loading
            writing = time.perf_counter()
            for written in writer.finish():
                _count(result, rising, *written)
            result.write_seconds += time.perf_counter() - writing
    if progress is not None and done != total:
        progress(done, done)  # the total was an estimate
    if rising:
        moving = time.perf_counter()
        result.handed = len(rising)
        result.moved = _apply_rules(rising, version, rules_at)
        result.rules_seconds = time.perf_counter() - moving
    result.seconds = time.perf_counter() - started
    return result


_IN_LIMIT = 5_000  # larger id sets are filtered after reading rather than in SQL


def _count(
    result: RescoreResult,
    rising: list[int],
    written: pl.DataFrame,
    noticed: pl.DataFrame,
    changed: pl.DataFrame,
    candidates: pl.DataFrame | None,
) -> None:
    """Add a written chunk to the result and to the contacts to hand to the stage rules."""
    result.written += written.height
    result.skipped += changed.height - written.height
    result.changed += noticed.height
    if candidates is not None:
        # Whose scores rose, among those a stage rule would move; and whom a new playbook
        # version scored for the first time, among those its MQL rule would move.
        found = written.join(candidates, on="contact_id", how="inner")
        up = found.filter((pl.col("_rising") & pl.col("_noticed")) | (pl.col("_new_version") & pl.col("_to_mql")))
        rising += up["contact_id"].to_list()


_Written = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame | None]


class _Writer:
    """Writes chunks with `write` (one transaction each: scores and their ScoreChange rows
    together), which answers the rows written and those noted in the score history. With
    `threads`, that many at once, each in a thread with a database connection of its own, while
    the next chunks are scored (PostgreSQL, outside a caller's transaction: it keeps both cores
    busy maintaining the contact table's indexes); else each at once, in the caller's connection
    and transaction. On leaving, it waits for the chunks being written."""

    def __init__(self, write: Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]], *, threads: int) -> None:
        self.write = write
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="rescore-writer") if threads else None
        self.threads = threads
        self.pending: list[tuple[Future[tuple[pl.DataFrame, pl.DataFrame]], pl.DataFrame, Any]] = []

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def put(self, changed: pl.DataFrame, extra: Any = None) -> list[_Written]:
        """Write a chunk (or start writing it); the chunks written meanwhile, each with `extra`."""
        if self.pool is None:
            return [(*self._write(changed), changed, extra)]
        self.pending.append((self.pool.submit(self._write_apart, changed), changed, extra))
        done = []
        while len(self.pending) > self.threads:  # at most one chunk waits for a free writer
            future, waiting, found = self.pending.pop(0)
            done.append((*future.result(), waiting, found))
        return done

    def finish(self) -> list[_Written]:
        """Wait for the chunks being written; those chunks."""
        done = [(*future.result(), changed, found) for future, changed, found in self.pending]
        self.pending = []
        return done

    def _write_apart(self, changed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        try:
            return self._write(changed)
        finally:
            connection.close()  # this thread's own connection

    def _write(self, changed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        if not changed.height:
            return changed, changed
        return self.write(changed)


def _apart() -> int:
    """How many writers at once: on PostgreSQL outside a caller's transaction, WRITERS; else none
    (the caller's connection writes)."""
    return WRITERS if connection.vendor == "postgresql" and not connection.in_atomic_block else 0


def _interest(
    reader: _Reader, model: domain.Model, today: int, only: Sequence[int] | None, result: RescoreResult
) -> pl.DataFrame:
    """The interest state of every contact with hits, from one pass over the scorable events."""
    if not model.interest_rules:
        return pl.DataFrame(schema=frames.INTEREST_SCHEMA)
    events = Event.objects.filter(scorable(model), contact__isnull=False)
    if only is not None and len(only) <= _IN_LIMIT:
        events = events.filter(contact_id__in=only)
    narrowed = reader.could_match(model)
    if narrowed is not None:
        events = events.filter(narrowed)
    columns = [_Column("contact_id", "contact_id", pl.Int64), _day_column()]
    for fact in sorted(frames.event_columns(model)):
        kind = pl.String if fact in _FREE_TEXT else pl.Categorical
        convert = _json_text if fact == "event.properties" else None
        columns.append(_Column(fact, _EVENT_FIELDS[fact], kind, convert=convert))
    found: list[pl.DataFrame] = []
    loading = time.perf_counter()
    for block in reader.frames(events, columns, parts=EVENT_PARTS):
        result.load_seconds += time.perf_counter() - loading
        computing = time.perf_counter()
        if only is not None and len(only) > _IN_LIMIT:
            block = block.filter(pl.col("contact_id").is_in(only))
        result.events += block.height
        hits = frames.event_hits(model, block)
        result.hits += hits.height
        found.append(hits)
        result.compute_seconds += time.perf_counter() - computing
        loading = time.perf_counter()
    result.load_seconds += time.perf_counter() - loading
    computing = time.perf_counter()
    order = "jsonb" if reader.postgres else "sorted"  # as the database prints the stored caps
    interest = frames.interest_frame(model, pl.concat(found) if found else pl.DataFrame(), today, key_order=order)
    interest = interest.sort("contact_id")  # sorted already: a check, so chunks can take their slice
    result.compute_seconds += time.perf_counter() - computing
    return interest


def _slice(interest: pl.DataFrame, block: pl.DataFrame) -> pl.DataFrame:
    """The rows of `interest` (sorted by contact) within the contact ids of `block`."""
    if not block.height or not interest.height:
        return interest.clear()
    ids, low, high = interest["contact_id"], int(block["contact_id"].min()), int(block["contact_id"].max())  # type: ignore[arg-type]
    start, end = ids.search_sorted(low, side="left"), ids.search_sorted(high, side="right")
    return interest.slice(start, end - start)


def _score_chunk(
    model: domain.Model, block: pl.DataFrame, interest: pl.DataFrame, version: PlaybookVersion, today: int
) -> pl.DataFrame:
    """The new scores of a chunk of contacts beside the stored ones, with what must be written."""
    fit = frames.fit_frame(model, block)
    scored = (
        block.join(fit, on="contact_id", how="left", maintain_order="left")
        .join(interest, on="contact_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("mass").fill_null(0),
            pl.col("caps").fill_null(frames.NO_CAPS),
            pl.col("interest").fill_null(0.0),
        )
        .with_columns(frames.quadrant_expr(model).alias("quadrant"))
    )
    regraded = (
        pl.col("fit_score").ne_missing(pl.col("fit_score_before"))
        | pl.col("fit_grade").ne_missing(pl.col("fit_grade_before"))
        | pl.col("quadrant").ne_missing(pl.col("quadrant_before"))
    )
    noticed = (
        regraded
        | pl.col("interest_before").is_null()
        | ((pl.col("interest") - pl.col("interest_before")).abs() >= NOTICEABLE)
    ).fill_null(True)
    write = (
        noticed
        | pl.col("persona").ne_missing(pl.col("persona_before"))
        | pl.col("interest").ne_missing(pl.col("interest_before"))
        | pl.col("mass").ne_missing(pl.col("mass_before"))
        | pl.col("anchor").ne_missing(pl.col("anchor_before"))
        | pl.col("version_before").ne_missing(version.pk)
        # keys are [a-z0-9_]: without whitespace, the stored JSON text is the text computed
        | pl.col("caps").ne_missing(pl.col("caps_before").str.replace_all(r"\s+", ""))
    )
    rising = pl.col("fit_grade").ne_missing(pl.col("fit_grade_before")) | (
        pl.col("interest") > pl.col("interest_before").fill_null(0.0)
    )
    return scored.with_columns(
        regraded.alias("_regraded"),
        noticed.alias("_noticed"),
        write.fill_null(True).alias("_write"),
        rising.alias("_rising"),
        pl.col("version_before").ne_missing(version.pk).alias("_new_version"),
    )


def _rule_candidates(playbook: Any, scored: pl.DataFrame) -> pl.DataFrame:
    """contact_id of the contacts to hand to the stage rules, those whose scores rose for which a
    stage rule would now find a stage to move them to, and those a new version scored for the
    first time for which that stage is the MQL stage (see the module's docstring)."""
    facts = scored.with_columns(
        pl.col("fit_score").alias("score.fit"),
        pl.col("fit_grade").alias("score.grade"),
        pl.col("interest").alias("score.interest"),
        pl.col("quadrant").alias("score.quadrant"),
        pl.col("persona").alias("contact.persona"),
    )
    keys = facts["contact.stage"].unique().to_list()
    distinct = frames.distinct_values(facts)
    mql = playbook.mql_stage
    to_mql = frames.rule_target_expr(playbook, keys, distinct=distinct, to=mql.key) if mql else pl.lit(False)
    return facts.select(
        "contact_id",
        frames.rule_target_expr(playbook, keys, distinct=distinct).alias("_any_target"),
        to_mql.alias("_to_mql"),
    ).filter(pl.col("_any_target"))


def _apply_rules(
    ids: list[int], version: PlaybookVersion, at: Callable[[Contact], dt.datetime] | None = None
) -> dict[int, str]:
    """Let the stage rules look at each contact (the MQL rule stores its score breakdown), at
    `at(contact)` when given."""
    moved: dict[int, str] = {}
    for start in range(0, len(ids), RULES_BATCH):
        batch = ids[start : start + RULES_BATCH]
        for contact in Contact.objects.select_related("account", "owner").filter(pk__in=batch).order_by("pk"):
            with clock.frozen(at(contact)) if at is not None else contextlib.nullcontext():
                change = contact_apply_rules(contact=contact, version=version, explain=contact_breakdown)
            if change is not None:
                moved[contact.pk] = change.to_stage
    return moved


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Column:
    """One column to read: its frame name, the ORM path, its type; `sql` replaces the path on
    PostgreSQL (read through COPY); `convert` turns an ORM value into the frame's value elsewhere;
    `stamp` keeps a datetime as the database's own text, to compare it in an UPDATE."""

    name: str
    path: str
    dtype: Any
    sql: str | None = None
    convert: Callable[[Any], Any] | None = None
    stamp: bool = False


_EVENT_FIELDS = {fact: fact.removeprefix("event.") for fact in frames.EVENT_KINDS} | {"event.properties": "properties"}
_FREE_TEXT = {"event.url", "event.referrer", "event.properties"}  # too varied to be categories
_CONTACT_FACTS = {
    "contact.email": "email",
    "contact.first_name": "first_name",
    "contact.last_name": "last_name",
    "contact.title": "title",
    "contact.seniority": "seniority",
    "contact.phone": "phone",
    "contact.country": "country",
    "contact.stage": "stage",
    "contact.owner": "owner__email",
    "contact.first_source": "first_source",
    "contact.first_medium": "first_medium",
    "contact.first_campaign": "first_campaign",
    "contact.first_offer": "first_offer",
    "contact.last_source": "last_source",
    "contact.last_medium": "last_medium",
    "contact.last_campaign": "last_campaign",
    "contact.last_offer": "last_offer",
    "account.name": "account__name",
    "account.domain": "account__domain",
    "account.industry": "account__industry",
    "account.country": "account__country",
    "account.owner": "account__owner__email",
}


# Text facts with about as many values as contacts: plain text; the others are categorical, so
# each comparison runs once per distinct value (`frames.distinct_values`).
_VARIED = {
    "contact.email",
    "contact.first_name",
    "contact.last_name",
    "contact.phone",
    "account.name",
    "account.domain",
}


def _contact_columns(facts: set[str]) -> list[_Column]:
    """The contact id, the profile fact columns in `facts` (valued as `contact_facts` values them)
    and the stored scores."""
    columns = [_Column("contact_id", "pk", pl.Int64)]
    wanted = set(facts)
    if "contact.email_domain" in wanted:
        wanted.add("contact.email")
    for fact in sorted(wanted):
        if fact in _CONTACT_FACTS:
            kind = pl.String if fact in _VARIED else pl.Categorical
            columns.append(_Column(fact, _CONTACT_FACTS[fact], kind))
        elif fact == "contact.consent":
            columns.append(_Column(fact, "consent", pl.Boolean))
        elif fact == "contact.forms_submitted":
            columns.append(_Column(fact, "forms_submitted", pl.Int64))
        elif fact == "contact.days_in_stage":
            columns.append(_micros("_stage_changed", "stage_changed_at"))
        elif fact == "contact.properties":
            columns.append(_Column(fact, "properties", pl.String, convert=_json_text))
        elif fact == "account.properties":
            columns.append(_Column(fact, "account__properties", pl.String, convert=_json_text))
        elif fact == "account.employees":
            columns.append(_Column(fact, "account__employees", pl.Int64))
        elif fact == "account.annual_revenue":
            columns.append(_Column(fact, "account__annual_revenue", pl.Float64, convert=_decimal))
        elif fact != "contact.email_domain":
            raise ValueError(f"the rescore cannot read the fact {fact!r}")
    return [
        *columns,
        _Column("fit_score_before", "score__fit_score", pl.Int64),
        _Column("fit_grade_before", "score__fit_grade", pl.String),
        _Column("persona_before", "score__persona", pl.String),
        _Column("interest_before", "score__interest_score", pl.Float64),
        _Column("quadrant_before", "score__quadrant", pl.String),
        _Column("mass_before", "score__interest_mass", pl.Int64),
        _Column("anchor_before", "score__interest_anchor", pl.Int64),
        _Column("caps_before", "score__interest_caps", pl.String, convert=_json_text),
        _Column("version_before", "score__score_version_id", pl.Int64),
        _Column("scored_before", "score__scored_at", pl.String, stamp=True),
    ]


def _derived(block: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """Facts computed from read columns, as `contact_facts` computes them."""
    extra = []
    if "contact.email" in block.columns:
        # email.rpartition("@")[2] when there is an email (the whole text without an @), else ""
        domain_of = pl.col("contact.email").fill_null("").str.split("@").list.last()
        extra.append(domain_of.cast(pl.Categorical).alias("contact.email_domain"))
    if "_stage_changed" in block.columns:
        since = (now - _EPOCH) // _MICROSECOND
        extra.append(((since - pl.col("_stage_changed")) // _DAY_MICROSECONDS).alias("contact.days_in_stage"))
    return block.with_columns(extra).drop("_stage_changed", strict=False) if extra else block


def _micros(name: str, path: str) -> _Column:
    column = _column(path, Contact)
    sql = f'(EXTRACT(EPOCH FROM "{Contact._meta.db_table}"."{column}") * 1000000)::bigint'
    return _Column(name, path, pl.Int64, sql=sql, convert=lambda v: None if v is None else (v - _EPOCH) // _MICROSECOND)


def _day_column() -> _Column:
    column = _column("timestamp", Event)
    sql = f"(\"{Event._meta.db_table}\".\"{column}\" AT TIME ZONE 'UTC')::date - DATE '1970-01-01'"
    return _Column("day", "timestamp", pl.Int32, sql=sql, convert=domain.day_number)


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _decimal(value: Any) -> float | None:
    """A DecimalField value as `contact_facts` reads it: float(Decimal)."""
    return None if value is None else float(value)


class _Reader:
    """Reads query sets as Polars frames. On PostgreSQL through COPY: outside a transaction on a
    connection of its own, in one REPEATABLE READ snapshot, parsed in blocks as the text streams
    in; inside one (a caller's atomic block, a test) on the same connection, so it sees what the
    transaction wrote, and read in full before anything is written. Elsewhere through the ORM (so
    values convert as the ORM converts them), read in full before anything is written."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.conn: psycopg.Connection[Any] | None = None
        self.own = False
        self.snapshot = ""
        self.conns: list[psycopg.Connection[Any]] = []
        self.streams: list[_Stream] = []

    def __enter__(self) -> _Reader:
        if self.postgres:
            connection.ensure_connection()
            if connection.in_atomic_block:
                self.conn = connection.connection
            else:
                self.own = True
                self.conn = self._connect()
                row = self.conn.execute("SELECT pg_export_snapshot()").fetchone()
                self.snapshot = str(row[0]) if row else ""
        return self

    def _connect(self, snapshot: str = "") -> psycopg.Connection[Any]:
        """A connection of our own, in a REPEATABLE READ READ ONLY transaction: in `snapshot` when
        given (another connection's exported snapshot), so both read the same data."""
        conn = psycopg.connect(**connection.get_connection_params())
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        if snapshot:
            conn.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])  # the transaction's first statement
        else:
            conn.execute("SELECT 1")  # begins the transaction: every read on this connection is in it
        self.conns.append(conn)
        return conn

    def __exit__(self, *exc: object) -> None:
        for stream in self.streams:
            stream.close()
        for conn in self.conns:
            conn.close()

    def could_match(self, model: domain.Model) -> RawSQL | None:
        """On PostgreSQL, a condition that holds for every event an interest rule of `model` could
        match — and for few others (see `_narrowing`): fewer rows to send. None elsewhere, or when
        the database's encoding is not UTF-8 (where non-ASCII text could not be told apart)."""
        if self.conn is None:
            return None
        row = self.conn.execute("SELECT current_setting('server_encoding') = 'UTF8'").fetchone()
        if not row or not row[0]:
            return None
        found = _narrowing(model)
        return None if found is None else RawSQL(found[0], found[1], output_field=BooleanField())

    def count(self, queryset: QuerySet[Any], *, estimate_above: int | None = None) -> int:
        """How many rows `queryset` has. With `estimate_above`, PostgreSQL's own estimate of the
        table's rows when it is above that (counting a large table costs a scan; a progress bar
        needs no exact total), else the exact count."""
        if self.conn is None:
            return queryset.count()
        if estimate_above is not None:
            row = self.conn.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
            ).fetchone()
            if row and row[0] > estimate_above:
                return int(row[0])
        sql, params = queryset.values("pk").query.sql_with_params()
        found = self.conn.execute(f"SELECT count(*) FROM ({sql}) AS counted", params).fetchone()
        return int(found[0]) if found else 0

    def frame(self, queryset: QuerySet[Any], columns: list[_Column]) -> pl.DataFrame:
        blocks = list(self.frames(queryset, columns))
        return reading.concat_frames(blocks, _schema(columns))

    def frames(
        self,
        queryset: QuerySet[Any],
        columns: list[_Column],
        *,
        rows: int | None = None,
        early: bool = False,
        parts: int = 1,
    ) -> Iterator[pl.DataFrame]:
        """The rows of `queryset` as frames of `columns`: blocks of `rows` rows when given.

        On connections of our own: with `early`, the rows start streaming at once, on another
        connection (in the same snapshot), while the first one is used for other reads; with
        `parts`, the table is read in that many ranges of its pages at once, each on a
        connection of its own, in no particular order."""
        if self.conn is not None and self.own:
            sources = []
            for index, part in enumerate(self._parts(queryset, parts)):
                conn = self.conn if index == 0 and not early else self._connect(self.snapshot)
                sources.append((conn, self._statement(part, columns, conn)))
            stream = _Stream(sources)
            self.streams.append(stream)
            blocks = reading.csv_frames(stream, _schema(columns))
        else:
            found = (
                self._postgres_frames(queryset, columns)
                if self.conn is not None
                else self._orm_frames(queryset, columns)
            )
            # One connection reads and writes, and it isolates nothing between its own statements:
            # read it all before writing.
            blocks = iter(list(found))
        return reading.rechunk(blocks, rows) if rows is not None else blocks

    def _parts(self, queryset: QuerySet[Any], parts: int) -> list[QuerySet[Any]]:
        """`queryset` split into `parts` ranges of its table's pages (by ctid), the last one open."""
        if parts <= 1 or self.conn is None:
            return [queryset]
        table = queryset.model._meta.db_table
        row = self.conn.execute(
            "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::bigint", [table]
        ).fetchone()
        pages = int(row[0]) if row else 0
        if pages < parts * PART_MIN_PAGES:
            return [queryset]
        bounds = [pages * i // parts for i in range(parts)]
        found = []
        for index, low in enumerate(bounds):
            ctid = f'"{table}".ctid'
            if index + 1 < len(bounds):
                sql, params = f"{ctid} >= %s::tid AND {ctid} < %s::tid", [f"({low},0)", f"({bounds[index + 1]},0)"]
            else:
                sql, params = f"{ctid} >= %s::tid", [f"({low},0)"]
            found.append(queryset.filter(RawSQL(sql, params, output_field=BooleanField())))
        return found

    def _statement(self, queryset: QuerySet[Any], columns: list[_Column], conn: psycopg.Connection[Any]) -> bytes:
        annotations = {f"_{c.name}": RawSQL(c.sql, ()) for c in columns if c.sql}
        paths = [f"_{c.name}" if c.sql else c.path for c in columns]
        sql, params = queryset.annotate(**annotations).values_list(*paths).query.sql_with_params()
        return reading.copy_statement(conn, sql, params)

    def _postgres_frames(self, queryset: QuerySet[Any], columns: list[_Column]) -> Iterator[pl.DataFrame]:
        assert self.conn is not None
        rows = reading.copy_rows(self.conn, self._statement(queryset, columns, self.conn))
        return reading.csv_frames(rows, _schema(columns))

    def _orm_frames(self, queryset: QuerySet[Any], columns: list[_Column]) -> Iterator[pl.DataFrame]:
        rows = reading.FETCH_ROWS
        paths = [c.path for c in columns]
        converters = [c.convert if not c.stamp else stamp_text for c in columns]
        schema = {
            c.name: (pl.String if c.stamp else c.dtype if c.dtype != pl.Categorical else pl.String) for c in columns
        }
        batch: list[tuple[Any, ...]] = []
        for row in queryset.values_list(*paths).iterator(chunk_size=min(rows, 2000)):
            batch.append(tuple(v if f is None else f(v) for v, f in zip(row, converters, strict=True)))
            if len(batch) >= rows:
                yield _cast(pl.DataFrame(batch, schema=schema, orient="row"), columns)
                batch = []
        if batch:
            yield _cast(pl.DataFrame(batch, schema=schema, orient="row"), columns)


# --------------------------------------------------------------------------- narrowing the events read

_Sql = tuple[str, list[Any]]


def _narrowing(model: domain.Model) -> _Sql | None:
    """SQL true for every event some interest rule could match: a superset, decided cheaply.

    Python compares text after str.casefold(). For ASCII text that is ASCII lower-casing, which
    PostgreSQL's lower() under the "C" collation does; text with any other character is always
    let through (`octet_length <> length`, in UTF-8), and Python decides. So a rule's event name or
    a `when` comparison becomes `lower(column) = 'literal folded' OR the column is not ASCII`.
    Negations and anything else not narrowed this way let every event through."""
    parts = []
    for rule in model.interest_rules:
        if rule.event in domain.EVENT_TYPES:
            kind: _Sql = (f"{_event_column('type')} = %s", [rule.event])
        else:
            named = _folded(_event_column("name"), "=", rule.event.casefold())
            kind = (f"{_event_column('type')} = 'track' AND {named[0]}", named[1])
        when = _superset(rule.when) if rule.when is not None else None
        parts.append(kind if when is None else (f"{kind[0]} AND {when[0]}", kind[1] + when[1]))
    if not parts:
        return None
    return "(" + " OR ".join(f"({sql})" for sql, _ in parts) + ")", [p for _, params in parts for p in params]


def _superset(condition: Any) -> _Sql | None:
    """SQL true whenever `condition` holds, or None for "always" (no narrowing)."""
    if "all" in condition:
        parts = [found for part in condition["all"] if (found := _superset(part)) is not None]
        if not parts:
            return None
        return " AND ".join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params]
    if "any" in condition:
        alternatives: list[_Sql] = []
        for part in condition["any"]:
            narrowed = _superset(part)
            if narrowed is None:
                return None
            alternatives.append(narrowed)
        if not alternatives:
            return "FALSE", []  # an empty `any` never holds
        return " OR ".join(f"({sql})" for sql, _ in alternatives), [p for _, params in alternatives for p in params]
    if "not" in condition:
        return None
    field = _EVENT_FIELDS.get(condition["field"])
    op, value = condition["op"], condition.get("value")
    if field is None or field == "properties":
        return None
    column = _event_column(field)
    if op == "is_set":
        return f"{column} <> ''", []
    if op == "in" and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        parts = [_folded(column, "=", v.casefold()) for v in value]
        return " OR ".join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params]
    if not isinstance(value, str):
        return None
    folded = value.casefold()
    patterns = {"eq": None, "starts_with": "{}%", "ends_with": "%{}", "contains": "%{}%"}
    if op not in patterns:
        return None
    pattern = patterns[op]
    if pattern is None:
        return _folded(column, "=", folded)
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return _folded(column, "LIKE", pattern.format(escaped), ascii_literal=folded.isascii())


def _folded(column: str, operator: str, literal: str, *, ascii_literal: bool | None = None) -> _Sql:
    """`lower(column) <operator> literal`, or the column holds non-ASCII text. An ASCII text's
    case folding is ASCII: when the literal is not, only non-ASCII text can match it."""
    other = f"octet_length({column}) <> length({column})"
    if not (literal.isascii() if ascii_literal is None else ascii_literal):
        return other, []
    # Under the "C" collation lower() changes the ASCII letters only (a byte at a time, fast, the
    # same whatever the database's locale): exactly Python's casefold of ASCII text.
    return f'lower({column} COLLATE "C") {operator} %s OR {other}', [literal]


def _event_column(field: str) -> str:
    return f'"{Event._meta.db_table}"."{_column(field, Event)}"'


def _schema(columns: list[_Column]) -> dict[str, Any]:
    """The frame's schema of `columns` (`core.reading`)."""
    return {c.name: c.dtype for c in columns}


_END = object()


class _Stream:
    """The text of one or more COPY statements (each on a connection of its own), read by a
    thread each into one short queue, so that PostgreSQL keeps sending while the rows already here
    are parsed and scored (Polars works outside the GIL). Blocks hold whole rows; at most
    STREAM_DEPTH of them wait in the queue: memory stays bounded. With several statements, their
    blocks interleave."""

    def __init__(self, sources: list[tuple[psycopg.Connection[Any], bytes]]) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=STREAM_DEPTH)
        self.stopped = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=source, daemon=True) for source in sources]
        for thread in self.threads:
            thread.start()

    def _read(self, conn: psycopg.Connection[Any], statement: bytes) -> None:
        try:
            for text in reading.copy_rows(conn, statement):
                if not self._put(text):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def _put(self, item: Any) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[bytes]:
        running = len(self.threads)
        while running:
            item = self.queue.get()
            if item is _END:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item

    def close(self) -> None:
        """Stop reading (the connections are closed after: a COPY may be left unfinished)."""
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=5)


def _cast(frame: pl.DataFrame, columns: list[_Column]) -> pl.DataFrame:
    return frame.with_columns(pl.col(c.name).cast(pl.Categorical) for c in columns if c.dtype == pl.Categorical)


# --------------------------------------------------------------------------- writing


_SCORE_COLUMNS = {
    "fit_score": "fit_score",
    "fit_grade": "fit_grade",
    "persona": "persona",
    "interest_score": "interest",
    "quadrant": "quadrant",
    "interest_mass": "mass",
    "interest_anchor": "anchor",
    "interest_caps": "caps",
}
_STAMPED = ("scored_at", "score_version_id")  # written with every score: when, under which version
_GUARD = ("scored_at", "scored_before")  # a contact the pipeline scored after it was read is left alone


def _write_scores(
    changed: pl.DataFrame, version: PlaybookVersion, now: dt.datetime, *, cause: Cause
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Write the new scores of `changed` (scored_at = now, score_version = version) where the
    contact's scored_at is still the one read, and a ScoreChange for those of them whose scores
    changed enough (the decay notes only moves between grades or quadrants), in one transaction;
    the rows written, and those noted."""
    rows = changed.select(
        "contact_id",
        *[pl.col(source).alias(target) for target, source in _SCORE_COLUMNS.items()],
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("scored_at"),
        pl.lit(version.pk, dtype=pl.Int64).alias("score_version_id"),
        "scored_before",
    )
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                ids = write_frame(Score, rows, columns=[*_SCORE_COLUMNS, *_STAMPED], guard=_GUARD)
                written = changed.filter(pl.col("contact_id").is_in(ids))
                noticed = written.filter(pl.col("_regraded") if cause is Cause.DECAY else pl.col("_noticed"))
                _write_history(noticed, version, now, cause, previous=True)
            return written, noticed
        except OperationalError as exc:
            if attempt == _ATTEMPTS - 1 or type(exc.__cause__).__name__ != "DeadlockDetected":
                raise
    raise AssertionError("unreachable")  # pragma: no cover


_ATTEMPTS = 3  # a chunk PostgreSQL broke a deadlock with is written again


def _column(name: str, model: Any) -> str:
    """The database column of a model field."""
    found = model._meta.get_field(name)
    assert isinstance(found, Field) and found.column, f"{name} is not a column"
    return str(found.column)


def _write_faded(
    rows: pl.DataFrame, *, version: PlaybookVersion, now: dt.datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The decay's write of a chunk: the faded interest and quadrant where scored_at is still the
    one read, and a ScoreChange (cause "decay") for the contacts whose quadrant changed, in one
    transaction; the rows written, and those noted."""
    faded = rows.select(
        "contact_id",
        pl.col("interest").alias("interest_score"),
        "quadrant",
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("scored_at"),
        "scored_before",
    )
    with transaction.atomic():
        ids = write_frame(Score, faded, columns=["interest_score", "quadrant", "scored_at"], insert=False, guard=_GUARD)
        written = rows.filter(pl.col("contact_id").is_in(ids))
        noted = written.filter(pl.col("quadrant").ne_missing(pl.col("quadrant_before")))
        _write_history(noted, version, now, Cause.DECAY)
    return written, noted


def _write_history(
    rows: pl.DataFrame, version: PlaybookVersion, now: dt.datetime, cause: Cause, *, previous: bool = False
) -> None:
    """One ScoreChange per row: the new scores and those before."""
    if not rows.height:
        return
    history = rows.select(
        pl.col("contact_id"),
        pl.col("fit_score").fill_null(0),
        pl.col("fit_grade").fill_null(""),
        pl.col("interest"),
        pl.col("quadrant"),
        (pl.col("fit_score_before") if previous else pl.col("fit_score")).alias("previous_fit_score"),
        (pl.col("fit_grade_before") if previous else pl.col("fit_grade")).fill_null("").alias("previous_grade"),
        pl.col("interest_before").alias("previous_interest"),
    )
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        history.with_columns(
            pl.lit(now.isoformat()).alias("at"),
            pl.lit(cause.value).alias("cause"),
            pl.lit(version.pk).alias("playbook_version_id"),
            pl.lit("{}").alias("details"),
        ).write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
        names = [
            "contact_id",
            "fit_score",
            "fit_grade",
            "interest_score",
            "quadrant",
            "previous_fit_score",
            "previous_grade",
            "previous_interest",
            "at",
            "cause",
            "playbook_version_id",
            "details",
        ]
        table = ScoreChange._meta.db_table
        columns = ", ".join(f'"{_column(n.removesuffix("_id"), ScoreChange)}"' for n in names)
        statement = f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv)'
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            copy.write(buffer.getvalue())
        return
    ScoreChange.objects.bulk_create(
        [
            ScoreChange(
                contact_id=row["contact_id"],
                at=now,
                cause=cause,
                playbook_version=version,
                fit_score=row["fit_score"],
                fit_grade=row["fit_grade"],
                interest_score=row["interest"],
                quadrant=row["quadrant"],
                previous_fit_score=row["previous_fit_score"],
                previous_grade=row["previous_grade"],
                previous_interest=row["previous_interest"],
                details={},
            )
            for row in history.iter_rows(named=True)
        ],
        batch_size=1000,
    )
