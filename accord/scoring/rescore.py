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
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import polars as pl
from django.db import OperationalError, connection, transaction

from accord.contacts.models import Contact, Score
from accord.core import clock
from accord.core.bulk import write_frame
from accord.lifecycle.actions import contact_apply_rules
from accord.playbook.domain.vocabulary import SCORE_FIELDS as SCORE_FACTS
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook
from accord.scoring import domain, frames, narrowing
from accord.scoring import facts as profile_facts
from accord.scoring.actions import NOTICEABLE
from accord.scoring.facts import Column, db_column
from accord.scoring.models import Cause, ScoreChange
from accord.scoring.queries import contact_breakdown, model_of, scorable
from accord.scoring.reader import Reader
from accord.tracking.models import Event

Progress = Callable[[int, int], None]

CHUNK = 200_000  # contacts scored and written together
EVENT_PARTS = 2  # PostgreSQL: the events are read in this many ranges of the table at once
WRITERS = 2  # PostgreSQL: chunks written at once, each on a connection of its own
RULES_BATCH = 500  # contacts loaded at a time for the stage rules
ESTIMATE_ABOVE = 100_000  # more contacts than this: the progress total is PostgreSQL's estimate


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
    with Reader() as reader:
        loaded = time.perf_counter()
        stored = reader.frame(
            Score.objects.filter(interest_anchor__isnull=False, score_version=version).order_by("pk"),
            [Column("contact_id", "pk", pl.Int64), *_stored_columns(_FADING)],
        ).rename(
            {
                "fit_score_before": "fit_score",
                "fit_grade_before": "fit_grade",
                "mass_before": "mass",
                "anchor_before": "anchor",
            }
        )
        stale = reader.frame(
            Contact.objects.exclude(score__score_version=version).order_by("pk"),
            [Column("contact_id", "pk", pl.Int64)],
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
    with Reader() as reader:
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
                block = profile_facts.derive(block, now)
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
    reader: Reader, model: domain.Model, today: int, only: Sequence[int] | None, result: RescoreResult
) -> pl.DataFrame:
    """The interest state of every contact with hits, from one pass over the scorable events."""
    if not model.interest_rules:
        return pl.DataFrame(schema=frames.INTEREST_SCHEMA)
    events = Event.objects.filter(scorable(model), contact__isnull=False)
    if only is not None and len(only) <= _IN_LIMIT:
        events = events.filter(contact_id__in=only)
    events = narrowing.narrow(events, model.interest_rules)
    columns = [
        Column("contact_id", "contact_id", pl.Int64),
        profile_facts.day_column("timestamp", Event),
        *profile_facts.event_columns(frames.event_columns(model)),
    ]
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
    facts = scored.with_columns(frames.score_facts())
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


def _contact_columns(facts: set[str]) -> list[Column]:
    """The contact id, the columns of the profile facts in `facts` (`facts.profile_columns`) and
    the stored scores."""
    return [
        Column("contact_id", "pk", pl.Int64),
        *profile_facts.profile_columns(facts),
        *_stored_columns({name for name, *_ in _STORED}, via="score__"),
    ]


# The stored scores, read beside the new ones as "<name>_before": name, field of Score, type.
_STORED = (
    ("fit_score", "fit_score", pl.Int64),
    ("fit_grade", "fit_grade", pl.String),
    ("persona", "persona", pl.String),
    ("interest", "interest_score", pl.Float64),
    ("quadrant", "quadrant", pl.String),
    ("mass", "interest_mass", pl.Int64),
    ("anchor", "interest_anchor", pl.Int64),
    ("caps", "interest_caps", pl.String),
    ("version", "score_version_id", pl.Int64),
    ("scored", "scored_at", pl.String),
)
_FADING = {"fit_score", "fit_grade", "interest", "quadrant", "mass", "anchor", "scored"}  # what the decay reads


def _stored_columns(names: set[str], *, via: str = "") -> list[Column]:
    """The columns of the stored scores in `names`, from Score (`via` the path to it). The caps
    are read as JSON text, scored_at as the database's own text (compared when writing)."""
    return [
        Column(
            f"{name}_before",
            via + path,
            dtype,
            convert=profile_facts.json_text if name == "caps" else None,
            stamp=name == "scored",
        )
        for name, path, dtype in _STORED
        if name in names
    ]


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
    return db_column(model, name)


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
        pl.col("mass").alias("interest_mass"),
        pl.col("anchor").alias("interest_anchor"),
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
            "interest_mass",
            "interest_anchor",
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
                interest_mass=row["interest_mass"],
                interest_anchor=row["interest_anchor"],
                details={},
            )
            for row in history.iter_rows(named=True)
        ],
        batch_size=1000,
    )
