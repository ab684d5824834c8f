"""Segment message rules without a database: timestamps, keys, campaign context, touches."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.tracking.domain import (
    DIRECT,
    EPOCH,
    EventType,
    Rejected,
    Touch,
    Unreadable,
    corrected,
    encoded,
    message_key,
    parse,
    parse_time,
    problem,
    split_batch,
    touch,
)

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
aware = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC))


@given(aware, aware, aware)
def test_skew_correction_keeps_the_gap_between_event_and_send(original, sent, received):
    try:
        when = corrected(original, sent, received)
    except Rejected:  # the correction would put the event before 1970
        assert received - (sent - original) < EPOCH
        return
    assert EPOCH <= when <= received
    if original <= sent:  # a sane sender: the event happened before it was sent
        assert when == received - (sent - original)


any_time = st.datetimes(timezones=st.just(dt.UTC))


@given(any_time, st.none() | any_time, any_time)
def test_skew_correction_never_overflows(original, sent, received):
    """Any times at all, year 1 to 9999: a time between 1970 and the arrival, or a rejection naming the field."""
    try:
        when = corrected(original, sent, received)
    except Rejected as exc:
        assert exc.reason.startswith(("sentAt:", "timestamp:"))
    else:
        assert EPOCH <= when <= received


def test_skew_correction_without_sent_at_or_timestamp():
    earlier = NOW - dt.timedelta(days=3)
    assert corrected(earlier, None, NOW) == earlier
    assert corrected(None, None, NOW) == NOW
    assert corrected(NOW + dt.timedelta(hours=1), None, NOW) == NOW  # never after it arrived


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T11:00:00Z", dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC)),
        ("2026-03-02T13:00:00+02:00", dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC)),
        ("2026-03-02T11:00:00.123", dt.datetime(2026, 3, 2, 11, 0, 0, 123000, tzinfo=dt.UTC)),
        ("2026-03-02", dt.datetime(2026, 3, 2, tzinfo=dt.UTC)),
        (None, None),
        ("", None),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text, "timestamp") == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-45T00:00:00Z", 1700000000, ["2026-01-01"]])
def test_parse_time_refuses(text):
    with pytest.raises(Rejected, match="timestamp: must be an ISO 8601 date and time"):
        parse_time(text, "timestamp")


@given(st.text(min_size=1, max_size=80))
def test_message_keys_are_stable_and_distinct(message_id):
    assert message_key(message_id) == message_key(message_id)
    assert message_key(message_id) != message_key(message_id + "x")


def test_a_uuid_message_id_is_its_own_key():
    value = uuid.uuid4()
    assert message_key(str(value)) == value


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=12,
)
keys = st.sampled_from(["type", "userId", "anonymousId", "event", "name", "properties", "traits", "context",
                        "timestamp", "messageId", "previousId", "sentAt", "integrations"])  # fmt: skip


@given(st.dictionaries(keys, json_values, max_size=8))
def test_any_json_either_parses_or_is_rejected_with_a_reason(raw):
    try:
        message = parse(raw, received_at=NOW)
    except Rejected as exc:
        assert exc.reason
        return
    assert message.type in EventType
    assert message.timestamp <= NOW
    assert message.user_id or message.anonymous_id


def page(**fields):
    return parse({"type": "page", "anonymousId": "a", **fields}, received_at=NOW)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"context": {"campaign": {"source": "LinkedIn", "medium": "Paid_Social", "name": "Q4"}}},
            Touch("linkedin", "paid_social", "Q4"),
        ),
        ({"properties": {"url": "https://a.io/?utm_source=news&utm_medium=email"}}, Touch("news", "email", "")),
        ({"properties": {"referrer": "https://www.google.com/search?q=accord"}}, Touch("google", "organic", "")),
        ({"properties": {"referrer": "https://www.bing.co.uk/"}}, Touch("bing", "organic", "")),
        ({"properties": {"referrer": "https://lnkd.in/abc"}}, Touch("linkedin", "social", "")),
        ({"properties": {"referrer": "https://blog.partner.io/post"}}, Touch("blog.partner.io", "referral", "")),
        ({"properties": {"referrer": "https://a.io/pricing", "url": "https://a.io/docs"}}, DIRECT),
        ({}, DIRECT),
    ],
)
def test_where_a_page_view_came_from(fields, expected):
    assert touch(page(**fields)) == expected


def test_a_track_call_without_campaign_or_referrer_is_no_touch():
    assert touch(parse({"type": "track", "userId": "u", "event": "Clicked"}, received_at=NOW)) is None


def test_batch_context_is_merged_and_the_client_ip_filled_in():
    message = parse(
        {"type": "page", "anonymousId": "a", "context": {"locale": "de-DE"}},
        received_at=NOW, batch_context={"library": {"name": "x"}, "locale": "en-US"}, client_ip="198.51.100.7",
    )  # fmt: skip
    assert message.context == {"library": {"name": "x"}, "locale": "de-DE", "ip": "198.51.100.7"}


def test_identify_keeps_traits_and_normalises_the_email():
    message = parse({"type": "identify", "userId": 42, "traits": {"email": " Ana@Acme.IO "}}, received_at=NOW)
    assert (message.user_id, message.email, message.properties) == ("42", "ana@acme.io", {"email": " Ana@Acme.IO "})


def test_a_form_submission_carries_its_offer():
    message = parse(
        {"type": "track", "anonymousId": "a", "event": "Form Submitted", "properties": {"offer": " Guide "}},
        received_at=NOW,
    )
    assert message.offer == "Guide"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
messages = st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=5), max_size=6)


@given(messages, st.dictionaries(st.sampled_from(["sentAt", "context", "writeKey", "x"]), json_values), st.integers(0, 3))
def test_reading_a_batch_piece_by_piece_gives_what_the_parser_gives(batch, members, indent):
    """Any valid batch body, however spaced, reads the same split as whole."""
    body = json.dumps({**members, "batch": batch}, indent=indent or None, ensure_ascii=bool(indent % 2)).encode()
    assert split_batch(body) == orjson.loads(body)


@given(messages, st.integers(0, 5), st.sampled_from([b'"\\ud800"', b"NaN", b'{"a": 1e999}', b"[" * 1100 + b"]" * 1100, b'"\xff"']))
def test_one_unreadable_message_costs_only_itself(batch, where, bad):
    where = min(where, len(batch))
    pieces = [json.dumps(m).encode() for m in batch]
    pieces.insert(where, bad)
    body = b'{"sentAt": "2026-03-02T12:00:00Z", "batch": [' + b", ".join(pieces) + b"]}"
    read = split_batch(body)
    assert read is not None and read["sentAt"] == "2026-03-02T12:00:00Z"
    assert isinstance(read["batch"][where], Unreadable)
    assert read["batch"][:where] + read["batch"][where + 1 :] == batch


@pytest.mark.parametrize("body", [b"", b"[]", b'{"batch": [1, 2', b'{"batch": [1]} trailing', b'x{"batch": []}', b'{"a" 1}'])
def test_a_body_that_is_not_an_object_of_whole_members_is_not_read(body):
    assert split_batch(body) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"a": "x\x00"}, "properties.a: contains a NUL character"),
        ({"a\x00": 1}, "properties: a property name contains a NUL character"),
        ({"a": ["\ud800"]}, "properties.a[0]: is not valid Unicode (an unpaired surrogate)"),
        ({"a": 2**64}, "properties.a: the number is too large"),
        ({"a": float("nan")}, "properties.a: must be a finite number"),
        ({"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}, "properties: nested deeper than 32 levels"),
        ({"a": 2**64 - 1, "b": -(2**63), "c": "\\u0000 is six characters"}, None),
    ],
)
def test_what_cannot_be_stored_is_named(value, reason):
    assert problem({"properties": value}) == reason
    if reason is None or "finite" in reason:  # orjson, which decodes every message, never yields NaN
        assert encoded({"properties": value})
    else:
        with pytest.raises(Rejected, match=re.escape(reason)):
            encoded({"properties": value})
