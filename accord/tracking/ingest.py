"""The Segment HTTP Tracking API, independent of the web framework serving it.

`handle(request)` takes the raw request (path, headers, body, client address) and returns a
status and a JSON body; the Django view and the lean WSGI path both call it. `record(...)`
validates, stores and hands on a list of messages; imports call it too.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import random
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from accord.accounts.actions import apikey_authenticate
from accord.accounts.domain import Scope, origin_allowed
from accord.accounts.models import ApiKey
from accord.contacts.queries import suppressed
from accord.core import clock, ratelimit
from accord.tracking import domain, identity, pipeline, store
from accord.tracking.campaigns import campaign_ids

logger = logging.getLogger("accord.tracking")

ENDPOINTS: dict[str, domain.EventType | None] = {
    "batch": None,
    "import": None,
    **{t.value: t for t in domain.EventType},
}


@dataclass(frozen=True)
class IngestRequest:
    endpoint: str  # "batch", "track", "identify"…
    body: bytes
    authorization: str = ""
    content_encoding: str = ""
    client_ip: str = ""  # the client's address, trusted proxies looked through
    origin: str = ""  # the Origin header a browser sends


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    suppressed: int = 0  # about people erased on request: dropped, not stored


class IngestError(Exception):
    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


CORS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
    "Vary": "Origin",
}


def cors(origin: str) -> dict[str, str]:
    """CORS headers for an answer a page at `origin` may read (any page when it sent no Origin)."""
    return {"Access-Control-Allow-Origin": origin or "*", **CORS}


def handle(request: IngestRequest) -> Answer:
    """Answer one request: 200 with what was accepted, or 4xx with a code and a message."""
    try:
        return Answer(200, _handle(request), cors(request.origin))
    except IngestError as exc:
        headers = exc.headers if exc.code == "origin_not_allowed" else {**cors(request.origin), **exc.headers}
        return Answer(exc.status, {"success": False, "code": exc.code, "message": exc.message}, headers)


def _handle(request: IngestRequest) -> dict[str, Any]:
    if request.endpoint not in ENDPOINTS:
        raise IngestError(404, "not_found", f"unknown endpoint /v1/{request.endpoint}")
    expected = ENDPOINTS[request.endpoint]
    limit = domain.MAX_BATCH_BYTES if expected is None else domain.MAX_EVENT_BYTES
    body = _decode(request.body, request.content_encoding, limit)
    try:
        payload = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        # One unreadable message must not cost a batch the others: read it message by message.
        payload = domain.split_batch(body) if expected is None else None
        if payload is None:
            raise IngestError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise IngestError(400, "invalid_request", "the body must be a JSON object")
    key = _authenticate(request.authorization, payload.get("writeKey"))
    trust = domain.Trust.BROWSER if key.is_browser else domain.Trust.SERVER
    if trust is domain.Trust.BROWSER:
        _check_browser_origin(key, request.origin)
    received_at = clock.now()
    if expected is None:
        items = payload.get("batch")
        if not isinstance(items, list):
            raise IngestError(400, "invalid_request", "batch: must be a list of messages")
        if len(items) > domain.MAX_BATCH_EVENTS:
            raise IngestError(400, "too_many_events", f"batch: at most {domain.MAX_BATCH_EVENTS} messages per request")
        if trust is domain.Trust.BROWSER:
            _check_browser_rate(key, request.client_ip, len(items))
        context = payload.get("context")
        outcome = record(
            items,
            sent_with=key.prefix,
            trust=trust,
            received_at=received_at,
            sent_at=payload.get("sentAt"),
            # A batch context that could not be stored with each message is left out, not fatal.
            batch_context=context if isinstance(context, dict) and domain.problem(context) is None else None,
            client_ip=request.client_ip,
        )
    else:
        if trust is domain.Trust.BROWSER:
            _check_browser_rate(key, request.client_ip, 1)
        outcome = record(
            [payload],
            sent_with=key.prefix,
            trust=trust,
            received_at=received_at,
            expected_type=expected,
            client_ip=request.client_ip,
        )
        if outcome.rejected:
            raise IngestError(400, "invalid_message", outcome.rejected[0][1])
    answer: dict[str, Any] = {"success": True, "accepted": outcome.accepted, "duplicates": outcome.duplicates}
    if outcome.suppressed:
        answer["suppressed"] = outcome.suppressed
    if expected is None:
        answer["rejected"] = [{"index": index, "reason": reason} for index, reason in outcome.rejected]
    return answer


def _decode(body: bytes, encoding: str, limit: int) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        window = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
        try:
            inflater = zlib.decompressobj(window)
            body = inflater.decompress(body, limit + 1)
        except zlib.error:
            raise IngestError(400, "invalid_encoding", f"the body is not valid {encoding} data") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise IngestError(413, "too_large", f"the body is larger than {limit} bytes once decompressed")
    elif encoding not in ("", "identity"):
        raise IngestError(415, "unsupported_encoding", f"Content-Encoding {encoding!r} is not supported; use gzip")
    if len(body) > limit:
        raise IngestError(413, "too_large", f"the body is {len(body)} bytes; the limit here is {limit} bytes")
    return body


def _authenticate(header: str, body_key: Any) -> ApiKey:
    secret = ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            raise IngestError(401, "unauthorized", "the Authorization header is not valid Basic credentials") from None
    elif scheme.lower() == "bearer" and value:
        secret = value.strip()
    elif isinstance(body_key, str):
        secret = body_key
    if not secret:
        raise IngestError(
            401, "unauthorized", "a write key is required: HTTP Basic with the key as user name, or writeKey"
        )
    key = apikey_authenticate(secret)
    if key is None:
        raise IngestError(401, "unauthorized", "the write key is unknown or revoked")
    if not (key.has_scope(Scope.BROWSER) or key.has_scope(Scope.SERVER)):
        raise IngestError(403, "forbidden", "this key is not a write key: it needs the 'browser' or 'server' scope")
    return key


def _check_browser_origin(key: ApiKey, origin: str) -> None:
    if not origin_allowed(origin, key.allowed_origins):
        raise IngestError(
            403, "origin_not_allowed", f"this key does not send from {origin[:200]!r}: its allowed origins are "
            f"{', '.join(key.allowed_origins)}",
        )  # fmt: skip


def _check_browser_rate(key: ApiKey, client_ip: str, count: int) -> None:
    """A browser key is public: it and each address sending with it get so many messages a minute."""
    per_ip = key.ip_rate_per_minute or settings.ACCORD_BROWSER_IP_RATE_PER_MINUTE
    per_key = key.rate_per_minute or settings.ACCORD_BROWSER_RATE_PER_MINUTE
    limits = [("key", f"key:{key.prefix}", per_key)]
    if client_ip:
        limits.insert(0, ("address", f"ip:{key.prefix}:{client_ip}", per_ip))
    waits = ratelimit.take_all([(bucket, count, limit) for _, bucket, limit in limits])
    for (what, _, limit), wait in zip(limits, waits, strict=True):
        if wait:
            raise IngestError(
                429, "rate_limited", f"this {what} sent more than {limit:,} messages this minute; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )  # fmt: skip


# A batch whose transaction lost a race is tried again from the start, this many times in all,
# waiting a little longer (and a random part more) each time.
_ATTEMPTS = 8
_RETRIED = {"DeadlockDetected", "SerializationFailure", "UniqueViolation", "ForeignKeyViolation", "LockNotAvailable"}


def _retryable(exc: BaseException) -> bool:
    """Whether `exc` says that the transaction met a concurrent one (and may well pass if run again):
    a deadlock broken or a serialization failure, a unique key or a contact another request took
    or removed meanwhile, SQLite's write lock. Raised by Django or, from COPY, by psycopg itself."""
    for error in (exc, exc.__cause__):
        if isinstance(error, (IntegrityError, identity.Clash)) or type(error).__name__ in _RETRIED:
            return True
    return "database is locked" in str(exc)


def _store(messages: list[domain.Message], sent_with: str, trust: domain.Trust) -> list[domain.Message]:
    with transaction.atomic():
        # PostgreSQL finds repeats itself while storing (store.insert says which rows were new);
        # elsewhere they are looked up first. Resolving a repeat again changes nothing.
        stored = set() if connection.vendor == "postgresql" else store.already_stored(messages)
        fresh = [m for m in messages if m.message_key not in stored]
        if not fresh:
            return []
        resolution = identity.resolve(fresh, trust=trust, sent_with=sent_with)
        ids = campaign_ids()
        for m in fresh:
            if m.utm_campaign:
                m.campaign_id = ids.get(m.utm_campaign.lower())
        inserted = store.insert(fresh, sent_with=sent_with)
        pipeline.accepted(inserted, resolution)
        return inserted


def _not_suppressed(messages: list[domain.Message]) -> list[domain.Message]:
    """The messages not about someone erased on request (by their email or the sender's user id)."""
    keys = {m.email for m in messages if m.email} | {f"user:{m.user_id}" for m in messages if m.user_id}
    if not keys:
        return messages
    gone = suppressed(keys)
    if not gone:
        return messages
    return [m for m in messages if m.email not in gone and f"user:{m.user_id}" not in gone]


def record(
    items: list[Any],
    *,
    sent_with: str,
    trust: domain.Trust = domain.Trust.SERVER,
    received_at: dt.datetime | None = None,
    expected_type: domain.EventType | None = None,
    sent_at: Any = None,
    batch_context: Mapping[str, Any] | None = None,
    client_ip: str = "",
) -> Outcome:
    """Validate `items` (Segment messages), store the valid ones once each, resolve who they are
    about and hand them on — all in one transaction: either all valid ones land or none."""
    received_at = received_at or clock.now()
    outcome = Outcome()
    try:
        batch_sent_at = domain.parse_time(sent_at, "sentAt")
    except domain.Rejected:
        batch_sent_at = None
    messages: list[domain.Message] = []
    for index, item in enumerate(items):
        try:
            if isinstance(item, domain.Unreadable):
                raise domain.Rejected(item.reason)
            if len(domain.encoded(item)) > domain.MAX_EVENT_BYTES:
                raise domain.Rejected(f"the message is larger than {domain.MAX_EVENT_BYTES} bytes")
            messages.append(
                domain.parse(
                    item,
                    received_at=received_at,
                    expected_type=expected_type,
                    sent_at=batch_sent_at,
                    batch_context=batch_context,
                    client_ip=client_ip,
                    anonymize_ip=settings.ACCORD_IP_ANONYMIZE,
                )
            )
        except domain.Rejected as exc:
            outcome.rejected.append((index, exc.reason))
    unique = store.unique(messages)
    outcome.duplicates = len(messages) - len(unique)
    kept = _not_suppressed(unique)
    outcome.suppressed, unique = len(unique) - len(kept), kept
    if not unique:
        return outcome
    for attempt in range(_ATTEMPTS):
        try:
            inserted = _store(unique, sent_with, trust)
            break
        except Exception as exc:
            # Another request created the same contact or id at the same moment, or the database
            # chose this transaction to break a deadlock: nothing of it was kept; start over.
            if attempt == _ATTEMPTS - 1 or not _retryable(exc):
                raise
            logger.info("batch of %d retried (attempt %d): %s", len(unique), attempt + 2, str(exc).splitlines()[0])
            for m in unique:
                m.contact_id = None
            time.sleep(0.02 * (attempt + 1) * (1 + random.random()))
    outcome.accepted = len(inserted)
    outcome.duplicates += len(unique) - len(inserted)
    return outcome
