"""A hypothesis fuzz of /v1/batch: any mix of valid and invalid messages gets a 200, every valid one
is stored exactly once, every invalid one is reported by its index — never a 500."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.accounts.actions import apikey_create
from accord.tracking.models import Event

pytestmark = pytest.mark.django_db

names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20).filter(str.strip)
ids = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40).filter(str.strip)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
times = st.datetimes(
    min_value=__import__("datetime").datetime(2000, 1, 1), max_value=__import__("datetime").datetime(2030, 1, 1)
).map(lambda t: t.isoformat() + "Z")


@st.composite
def valid(draw: Any) -> str:
    kind = draw(st.sampled_from(["page", "track", "identify", "screen", "group"]))
    message: dict[str, Any] = {"type": kind, "messageId": str(uuid.uuid4())}
    if draw(st.booleans()):
        message["userId"] = draw(ids)
    else:
        message["anonymousId"] = draw(ids)
    if kind == "track":
        message["event"] = draw(names)
    if kind in ("page", "track", "screen"):
        message["properties"] = draw(st.dictionaries(names, values, max_size=4))
    if kind in ("identify", "group"):
        traits = draw(st.dictionaries(st.sampled_from(["firstName", "title", "plan", "company", "consent"]), values))
        if draw(st.booleans()):
            traits["email"] = draw(st.sampled_from(["ada@acme.com", "bob@acme.com", "Carla@Exämple.com"]))
        message["traits"] = traits
    if draw(st.booleans()):
        message["timestamp"] = draw(times)
    return json.dumps(message, ensure_ascii=draw(st.booleans()))


def _nested(depth: int) -> str:
    return (
        '{"type": "track", "anonymousId": "a", "event": "E", "properties": '
        + '{"a": ' * depth
        + "1"
        + "}" * depth
        + "}"
    )


INVALID = st.sampled_from(
    [
        '{"type": "track", "anonymousId": "a", "event": "x\\u0000"}',
        '{"type": "page", "anonymousId": "a\\u0000"}',
        '{"type": "track", "anonymousId": "a", "event": "E", "properties": {"k\\u0000": 1}}',
        '{"type": "identify", "userId": "u", "traits": {"title": "a\\u0000"}}',
        '{"type": "track", "anonymousId": "a", "event": "\\ud800"}',
        '{"type": "track", "anonymousId": "a", "event": "E", "properties": {"n": NaN}}',
        '{"type": "track", "anonymousId": "a", "event": "E", "properties": {"n": 1e999}}',
        '{"type": "page", "anonymousId": "a", "timestamp": "0001-01-01T00:00:00+01:00"}',
        '{"type": "page", "anonymousId": "a", "timestamp": "9999-12-31T23:59:59-01:00"}',
        '{"type": "page", "anonymousId": "a", "timestamp": "1950-01-01T00:00:00Z"}',
        '{"type": "page", "anonymousId": "a", "timestamp": "yesterday"}',
        '{"type": "page", "anonymousId": "a", "timestamp": 1700000000}',
        '{"type": "nope", "anonymousId": "a"}',
        '{"type": "track", "anonymousId": "a"}',
        '{"type": "page"}',
        '{"type": "page", "anonymousId": {"a": 1}}',
        '{"type": "page", "anonymousId": "a", "properties": [1, 2]}',
        '{"type": "identify", "userId": "u", "traits": {"email": "not an email"}}',
        '{"type": "alias", "userId": "u"}',
        '"just text"',
        "12",
        "null",
        _nested(40),
        _nested(300),
        _nested(1100),
        '{"type": "track", "anonymousId": "a", "event": "E", "properties": {"x": "' + "y" * 40_000 + '"}}',
    ]
)


@pytest.fixture
def key(users: dict[str, Any]) -> str:
    return apikey_create(name="fuzz", scopes="server", acting_user=users["admin"])[1]


@given(st.lists(st.tuples(st.booleans(), valid(), INVALID), min_size=1, max_size=12))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_mix_of_valid_and_invalid_messages(key: str, mix: list[tuple[bool, str, str]]) -> None:
    pieces = [good if is_valid else bad for is_valid, good, bad in mix]
    body = ('{"sentAt": "2026-03-02T12:00:00Z", "batch": [' + ", ".join(pieces) + "]}").encode("utf-8", "surrogatepass")
    response = Client().post(
        "/v1/batch", data=body, content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{key}:".encode()).decode(),
    )  # fmt: skip

    assert response.status_code == 200, response.content[:500]
    answer = response.json()
    invalid = [index for index, (is_valid, _, _) in enumerate(mix) if not is_valid]
    assert [r["index"] for r in answer["rejected"]] == invalid
    assert all(r["reason"] for r in answer["rejected"])
    sent = [json.loads(good)["messageId"] for is_valid, good, _ in mix if is_valid]
    assert answer["accepted"] + answer["duplicates"] == len(sent)
    stored = list(Event.objects.filter(message_id__in=sent).values_list("message_id", flat=True))
    assert sorted(stored) == sorted(set(sent))  # each valid message once
