"""Segment-format messages: validation, timestamps with clock-skew correction, the message key,
campaign context, and where a touch came from. Pure code: no Django; `received_at` is passed in.

A message that cannot be accepted raises `Rejected` with a reason naming the field.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from accord.contacts.domain import normalize_email
from accord.core.network import anonymized
from accord.core.text import MAX_DEPTH, problem


class EventType(enum.StrEnum):
    IDENTIFY = "identify"  # who someone is: a user id and traits such as email
    TRACK = "track"  # something someone did: a named event with properties
    PAGE = "page"  # a web page view
    SCREEN = "screen"  # an app screen view
    GROUP = "group"  # someone belongs to a company or group
    ALIAS = "alias"  # two ids are the same person


class Trust(enum.StrEnum):
    """How far the sender's word about who someone is counts (the kind of write key)."""

    SERVER = "server"  # a secret key on the sender's servers: identify, alias and merge as they say
    BROWSER = "browser"  # a public key in web pages: adds events, fills empty fields, never rewrites or merges


class IdentityKind(enum.StrEnum):
    ANONYMOUS = "anonymous"  # a browser's or device's anonymous id
    USER = "user"  # the sender's own id for a known person, as its servers send it
    BROWSER_USER = "browser_user"  # a user id as a browser key sent it: a claim, never the servers' own word


MAX_EVENT_BYTES = 32 * 1024
# 500 KiB: the official clients stop filling a batch at 475,000 bytes of events but may go a
# little past it with the last one, so a limit of exactly 500,000 would refuse honest batches.
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 2500
MAX_ID_LENGTH = 255
# The earliest time an event may carry: nothing tracked happened before the Unix epoch.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
FORM_SUBMITTED = "Form Submitted"  # the track event the snippet sends for a captured form

# uuid5 namespace for message ids that are not UUIDs themselves.
_MESSAGE_NAMESPACE = uuid.UUID("3b0d5f1e-6a52-4d0c-9c44-5f2f0e6f8a10")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class Rejected(ValueError):
    """The message cannot be accepted; `reason` says why, naming the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Message:
    """A validated message, ready to store."""

    type: EventType
    message_id: str
    message_key: uuid.UUID
    user_id: str
    anonymous_id: str
    name: str
    timestamp: dt.datetime
    original_timestamp: dt.datetime | None
    sent_at: dt.datetime | None
    received_at: dt.datetime
    properties: dict[str, Any]
    context: dict[str, Any]
    url: str = ""
    path: str = ""
    referrer: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    offer: str = ""
    previous_id: str = ""  # alias: the id the person had before
    email: str | None = None  # identify: traits.email, normalised
    traits: dict[str, Any] = field(default_factory=dict)
    contact_id: int | None = None  # set by identity resolution
    campaign_id: int | None = None  # set when utm_campaign names a campaign


def message_key(message_id: str) -> uuid.UUID:
    """The message id as a UUID: itself when it is one, else a stable uuid5 of it."""
    try:
        return uuid.UUID(message_id)
    except ValueError:
        return uuid.uuid5(_MESSAGE_NAMESPACE, message_id)


def parse_time(value: Any, name: str) -> dt.datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime; None when absent. Naive times are UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise Rejected(f"{name}: must be an ISO 8601 date and time, not {value!r}"[:300])
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Rejected(f"{name}: must be an ISO 8601 date and time, not {value!r}"[:300]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:30+01:00 is before year 1 in UTC
        raise Rejected(f"{name}: out of range once converted to UTC ({value!r})"[:300]) from None


def corrected(original: dt.datetime | None, sent_at: dt.datetime | None, received_at: dt.datetime) -> dt.datetime:
    """When the event happened on the server's clock: receivedAt − (sentAt − timestamp).

    Without sentAt the sender's timestamp is taken as it is; without a timestamp, receivedAt.
    Never later than receivedAt: an event cannot have happened after it arrived, nor earlier
    than 1970 (`Rejected`).
    """
    if original is None or sent_at is None:
        when = original or received_at
    else:
        try:
            when = received_at - (sent_at - original)
        except OverflowError:
            raise Rejected("sentAt: the clock-skew correction is out of range (sentAt is far from timestamp)") from None
        if when < EPOCH <= original:
            raise Rejected("sentAt: the clock-skew correction is out of range (sentAt is far from timestamp)")
    when = min(when, received_at)
    if when < EPOCH:
        raise Rejected("timestamp: before 1970-01-01")
    return when


def encoded(raw: Any) -> bytes:
    """A decoded message as compact JSON, once `problem` finds nothing wrong with it (`Rejected`).

    The fast path is orjson itself: it refuses surrogates, numbers past 64 bits and deep nesting;
    NUL characters and nesting past `MAX_DEPTH` are looked for in its output first, and only a
    message that might hold either is walked. (NaN and infinities cannot be decoded by orjson,
    the only parser messages come through.)
    """
    try:
        data = orjson.dumps(raw)
    except (orjson.JSONEncodeError, TypeError):
        raise Rejected(problem(raw) or "the message cannot be stored as JSON") from None
    if b"\\u0000" in data or data.count(b"{") + data.count(b"[") > MAX_DEPTH:
        found = problem(raw)
        if found is not None:
            raise Rejected(found)
    return data


_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},:]', re.S)


@dataclass(frozen=True)
class Unreadable:
    """A batch element that is not valid JSON on its own, with the parser's reason."""

    reason: str


def split_batch(body: bytes) -> dict[str, Any] | None:
    """A batch body that orjson refused as a whole, read member by member and message by message.

    One message that is not valid JSON (a lone surrogate, NaN, invalid UTF-8, nesting past the
    parser's depth) must not cost the others: the top-level object and its `batch` array are
    split at their commas by a scan that skips strings, each piece is decoded on its own, and a
    message that cannot be becomes `Unreadable`. None when the body is not a JSON object made of
    whole members (then nothing can be trusted and the request is refused).
    """
    members: dict[str, Any] = {}
    depth = 0
    key: bytes | None = None
    start = 0  # where the current member's value (or the current batch element) starts
    in_batch = False
    elements: list[Any] = []
    expect_key = False
    for token in _TOKEN.finditer(body):
        text, at = token.group(), token.start()
        if text == b"{" or text == b"[":
            if depth == 0:
                if text != b"{" or body[:at].strip():
                    return None
                expect_key = True
            elif depth == 1 and key == b'"batch"' and text == b"[" and not body[start:at].strip():
                in_batch, elements, start = True, [], at + 1
            depth += 1
        elif text == b"}" or text == b"]":
            depth -= 1
            if depth < 0:
                return None
            if depth == 1 and in_batch and text == b"]":
                _element(body[start:at], elements)
                members["batch"], in_batch, start = elements, False, token.end()
            elif depth == 0:
                if key is not None and (start == -1 or not _member(key, body[start:at], members)):
                    return None
                return members if not body[token.end() :].strip() else None
        elif depth == 1 and text == b":" and key is not None and start == -1:
            start = token.end()
        elif depth == 1 and text == b",":
            if key is None or start == -1 or not _member(key, body[start:at], members):
                return None
            key, expect_key = None, True
        elif depth == 2 and in_batch and text == b",":
            _element(body[start:at], elements)
            start = token.end()
        elif depth == 1 and expect_key and text.startswith(b'"'):
            key, expect_key, start = text, False, -1
    return None


def _element(piece: bytes, elements: list[Any]) -> None:
    if not piece.strip() and not elements:
        return  # an empty batch
    try:
        elements.append(orjson.loads(piece))
    except orjson.JSONDecodeError as exc:
        elements.append(Unreadable(f"not valid JSON: {exc}"[:300]))


def _member(key: bytes, piece: bytes, members: dict[str, Any]) -> bool:
    """Decode one top-level member; False when its name or a value outside the batch is unreadable."""
    try:
        name = orjson.loads(key)
    except orjson.JSONDecodeError:
        return False
    if name == "batch" and "batch" in members and not piece.strip():
        return True  # the array was read element by element
    try:
        members[name] = orjson.loads(piece)
    except orjson.JSONDecodeError:
        members[name] = None  # sentAt, context or writeKey unreadable: as if absent
    return True


def _id(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Rejected(f"{name}: must be text or a number")
    text = str(value).strip()
    if len(text) > MAX_ID_LENGTH:
        raise Rejected(f"{name}: must be at most {MAX_ID_LENGTH} characters")
    return text


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Rejected(f"{name}: must be an object")
    return value


def _text(value: Any, limit: int = 2048) -> str:
    return value[:limit] if isinstance(value, str) else ""


def parse(
    raw: Any,
    *,
    received_at: dt.datetime,
    expected_type: EventType | None = None,
    sent_at: dt.datetime | None = None,
    batch_context: Mapping[str, Any] | None = None,
    client_ip: str = "",
    anonymize_ip: bool = False,
) -> Message:
    """Validate one message. `expected_type` is the endpoint's type (/v1/track); None in a batch,
    where each message names its own. `sent_at` and `batch_context` come from the batch."""
    if not isinstance(raw, dict):
        raise Rejected("must be an object")
    kind = raw.get("type", expected_type.value if expected_type else None)
    if kind is None:
        raise Rejected("type: is required (identify, track, page, screen, group or alias)")
    try:
        event_type = EventType(kind)
    except (ValueError, TypeError):
        raise Rejected(
            f"type: unknown type {kind!r}; use identify, track, page, screen, group or alias"[:300]
        ) from None
    if expected_type is not None and event_type is not expected_type:
        raise Rejected(f"type: {kind!r} sent to the {expected_type.value} endpoint")

    user_id = _id(raw.get("userId"), "userId")
    anonymous_id = _id(raw.get("anonymousId"), "anonymousId")
    previous_id = ""
    if event_type is EventType.ALIAS:
        previous_id = _id(raw.get("previousId"), "previousId")
        if not previous_id or not user_id:
            raise Rejected("alias needs both previousId and userId")
    elif not user_id and not anonymous_id:
        raise Rejected("userId or anonymousId is required")

    properties = _object(raw.get("properties"), "properties")
    traits = _object(raw.get("traits"), "traits")
    context = _object(raw.get("context"), "context")
    if batch_context:
        context = {**batch_context, **context}
    if client_ip and not context.get("ip"):
        context = {**context, "ip": client_ip}
    if anonymize_ip and context.get("ip"):
        ip = context["ip"]
        context = {**context, "ip": anonymized(ip) if isinstance(ip, str) else ""}
    _object(raw.get("integrations"), "integrations")

    name = ""
    if event_type is EventType.TRACK:
        event = raw.get("event")
        if not isinstance(event, str) or not event.strip():
            raise Rejected("event: a track call needs the event's name")
        name = event.strip()[:255]
    elif event_type in (EventType.PAGE, EventType.SCREEN):
        value = raw.get("name")
        if value is not None and not isinstance(value, str):
            raise Rejected("name: must be text")
        name = (value or "").strip()[:255]

    email = None
    if event_type is EventType.IDENTIFY:
        raw_email = traits.get("email")
        if raw_email is not None:
            if not isinstance(raw_email, str):
                raise Rejected("traits.email: must be text")
            try:
                email = normalize_email(raw_email)
            except ValueError:
                raise Rejected(f"traits.email: {raw_email!r} is not a valid email address"[:300]) from None

    message_id = _id(raw.get("messageId"), "messageId") or str(uuid.uuid4())
    original = parse_time(raw.get("timestamp", raw.get("originalTimestamp")), "timestamp")
    own_sent_at = parse_time(raw.get("sentAt"), "sentAt") or sent_at

    page: dict[str, Any] = context["page"] if isinstance(context.get("page"), dict) else {}
    url = _text(properties.get("url")) or _text(page.get("url"))
    path = _text(properties.get("path")) or _text(page.get("path")) or (urlsplit(url).path if url else "")
    referrer = _text(properties.get("referrer")) or _text(page.get("referrer"))
    campaign: dict[str, Any] = context["campaign"] if isinstance(context.get("campaign"), dict) else {}
    utm = _utm(campaign, url)
    offer = _text(properties.get("offer"), 255) if event_type is EventType.TRACK else ""

    return Message(
        type=event_type,
        message_id=message_id,
        message_key=message_key(message_id),
        user_id=user_id,
        anonymous_id=anonymous_id,
        name=name,
        timestamp=corrected(original, own_sent_at, received_at),
        original_timestamp=original,
        sent_at=own_sent_at,
        received_at=received_at,
        properties=traits if event_type in (EventType.IDENTIFY, EventType.GROUP) else properties,
        context=context,
        url=url,
        path=path[:2048],
        referrer=referrer,
        utm_source=utm["utm_source"],
        utm_medium=utm["utm_medium"],
        utm_campaign=utm["utm_campaign"],
        utm_term=utm["utm_term"],
        utm_content=utm["utm_content"],
        offer=offer.strip(),
        previous_id=previous_id,
        email=email,
        traits=traits,
    )


_UTM_KEYS = {
    "source": "utm_source",
    "medium": "utm_medium",
    "name": "utm_campaign",
    "term": "utm_term",
    "content": "utm_content",
}


def _utm(campaign: Mapping[str, Any], url: str) -> dict[str, str]:
    """UTM fields from context.campaign, else from the page URL's query string."""
    found = {column: _text(campaign.get(key), 255).strip() for key, column in _UTM_KEYS.items()}
    if not any(found.values()) and url and "utm_" in url:
        query = parse_qs(urlsplit(url).query)
        for column in _UTM_KEYS.values():
            values = query.get(column)
            if values:
                found[column] = values[0][:255].strip()
    return found


SEARCH_ENGINES = {"google", "bing", "duckduckgo", "yahoo", "baidu", "yandex", "ecosia", "qwant", "startpage"}
SOCIAL_NETWORKS = {
    "linkedin": "linkedin",
    "lnkd": "linkedin",
    "facebook": "facebook",
    "fb": "facebook",
    "t": "twitter",
    "twitter": "twitter",
    "x": "twitter",
    "instagram": "instagram",
    "youtube": "youtube",
    "reddit": "reddit",
}


@dataclass(frozen=True)
class Touch:
    """Where a visit came from: a UTM source / medium / campaign, a referring site, or direct."""

    source: str
    medium: str
    campaign: str

    @property
    def is_direct(self) -> bool:
        return self.source == "direct"


DIRECT = Touch("direct", "(none)", "")


def touch(message: Message, *, own_domains: frozenset[str] = frozenset()) -> Touch | None:
    """The touch a message records: UTM tags win, then an outside referrer; a page view with
    neither is direct; other messages without either record no touch."""
    if message.utm_source or message.utm_medium or message.utm_campaign:
        return Touch(
            message.utm_source.lower() or "(not set)", message.utm_medium.lower() or "(not set)", message.utm_campaign
        )
    if message.referrer:
        host = (urlsplit(message.referrer).hostname or "").lower().removeprefix("www.")
        if host and host not in own_domains and (not message.url or host != _host(message.url)):
            labels = host.split(".")[:-1]  # "www.google.co.uk" -> google, co
            engine = next((label for label in labels if label in SEARCH_ENGINES), None)
            if engine:
                return Touch(engine, "organic", "")
            network = next((SOCIAL_NETWORKS[label] for label in labels if label in SOCIAL_NETWORKS), None)
            if network:
                return Touch(network, "social", "")
            return Touch(host, "referral", "")
    return DIRECT if message.type is EventType.PAGE else None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


@dataclass
class Attribution:
    """What a contact's events say about where they came from: folded one message at a time, in
    any order. The first touch is the earliest; the last touch the latest that is not direct."""

    first: tuple[dt.datetime, Touch] | None = None
    last: tuple[dt.datetime, Touch] | None = None
    seen: dt.datetime | None = None
    forms: int = 0
    first_offer: tuple[dt.datetime, str] | None = None
    last_offer: tuple[dt.datetime, str] | None = None

    @property
    def first_offer_name(self) -> str:
        return self.first_offer[1] if self.first_offer else ""

    @property
    def last_offer_name(self) -> str:
        return self.last_offer[1] if self.last_offer else ""

    def add(self, m: Message) -> None:
        at = m.timestamp
        self.seen = max(self.seen, at) if self.seen else at
        found = touch(m)
        if found is not None:
            if self.first is None or at < self.first[0]:
                self.first = (at, found)
            if not found.is_direct and (self.last is None or at >= self.last[0]):
                self.last = (at, found)
        if m.type is EventType.TRACK and m.name == FORM_SUBMITTED:
            self.forms += 1
            if m.offer:
                if self.first_offer is None or at < self.first_offer[0]:
                    self.first_offer = (at, m.offer)
                if self.last_offer is None or at >= self.last_offer[0]:
                    self.last_offer = (at, m.offer)
