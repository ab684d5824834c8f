"""No message, however odd, makes a 500 or costs the rest of its batch.

Each case is a batch of good page views with one bad message in the middle: the answer is 200,
the bad one is rejected by its index with a reason naming what is wrong, every good one lands.
"""

from __future__ import annotations

import base64
import io
import json
import uuid

import orjson
import pytest
from django.test import Client

from accord.accounts.actions import apikey_create
from accord.tracking import wsgi as lean
from accord.tracking.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(users):
    return apikey_create(name="backend", scopes="server", acting_user=users["admin"])[1]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def good(n: int) -> dict:
    return {"type": "page", "anonymousId": f"anon-{n}", "messageId": f"good-{n}-{uuid.uuid4()}", "name": "Home"}


def post_raw(path: str, body: bytes, key: str):
    response = Client().post(path, data=body, content_type="application/json", HTTP_AUTHORIZATION=basic(key))
    response.data = response.json() if response.content else None
    return response


def batch_with(bad_text: str) -> bytes:
    """A batch body of two good messages around one bad message given as raw JSON text."""
    first, last = json.dumps(good(1)), json.dumps(good(2))
    return f'{{"batch": [{first}, {bad_text}, {last}], "sentAt": "2026-03-02T12:00:00Z"}}'.encode()


def nested(depth: int) -> str:
    return '{"type": "track", "anonymousId": "deep", "event": "Deep", "properties": ' + '{"a": ' * depth + "1" + "}" * depth + "}"


BAD = {
    "NUL in the event name": ('{"type": "track", "anonymousId": "x", "event": "Sign\\u0000up"}', "event: contains a NUL character"),
    "NUL in a property value": ('{"type": "track", "anonymousId": "x", "event": "E", "properties": {"plan": "p\\u0000"}}', "properties.plan: contains a NUL character"),
    "NUL in a property key": ('{"type": "track", "anonymousId": "x", "event": "E", "properties": {"pl\\u0000an": "p"}}', "properties: a property name contains a NUL character"),
    "NUL in the userId": ('{"type": "track", "userId": "u\\u0000", "event": "E"}', "userId: contains a NUL character"),
    "NUL in the anonymousId": ('{"type": "page", "anonymousId": "a\\u0000"}', "anonymousId: contains a NUL character"),
    "NUL in a trait": ('{"type": "identify", "userId": "u", "traits": {"firstName": "A\\u0000"}}', "traits.firstName: contains a NUL character"),
    "nesting of 300 levels": (nested(300), "properties: nested deeper than 32 levels"),
    "nesting of 1100 levels": (nested(1100), "not valid JSON"),
    "year 1 with +01:00": ('{"type": "page", "anonymousId": "x", "timestamp": "0001-01-01T00:30:00+01:00"}', "timestamp: out of range"),
    "year 9999 with -01:00": ('{"type": "page", "anonymousId": "x", "timestamp": "9999-12-31T23:30:00-01:00"}', "timestamp: out of range"),
    "skew correction overflows": ('{"type": "page", "anonymousId": "x", "timestamp": "0001-01-02T00:00:00Z", "sentAt": "9999-12-31T00:00:00Z"}', "sentAt: the clock-skew correction is out of range"),
    "before 1970": ('{"type": "page", "anonymousId": "x", "timestamp": "1900-01-01T00:00:00Z"}', "timestamp: before 1970-01-01"),
    "lone surrogate": ('{"type": "track", "anonymousId": "x", "event": "\\ud800"}', "not valid JSON"),
    "infinite number": ('{"type": "track", "anonymousId": "x", "event": "E", "properties": {"n": 1e400}}', "not valid JSON"),
    "NaN literal": ('{"type": "track", "anonymousId": "x", "event": "E", "properties": {"n": NaN}}', "not valid JSON"),
    "invalid UTF-8": ('{"type": "track", "anonymousId": "x", "event": "\xff\xfe"}', "not valid JSON"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(BAD))
def test_one_bad_message_is_rejected_by_index_and_the_rest_land(key, name):
    text, reason = BAD[name]
    body = batch_with(text)
    if name == "invalid UTF-8":
        body = body.replace("\xff\xfe".encode(), b"\xff\xfe")
    response = post_raw("/v1/batch", body, key)
    assert response.status_code == 200, response.data
    assert response.data["accepted"] == 2
    [rejected] = response.data["rejected"]
    assert rejected["index"] == 1 and reason in rejected["reason"], rejected
    assert sorted(Event.objects.values_list("anonymous_id", flat=True)) == ["anon-1", "anon-2"]


def test_a_bad_batch_sent_at_is_ignored_not_fatal(key):
    body = orjson.dumps({"batch": [good(1)], "sentAt": "0001-01-01T00:00:00+01:00"})
    response = post_raw("/v1/batch", body, key)
    assert response.status_code == 200 and response.data["accepted"] == 1


def test_a_huge_integer_lands_as_the_number_it_is(key):
    body = batch_with('{"type": "track", "anonymousId": "x", "event": "Big", "properties": {"n": 18446744073709551615, "m": 123456789012345678901234567890}}')
    response = post_raw("/v1/batch", body, key)
    assert response.status_code == 200 and response.data["accepted"] == 3, response.data
    assert Event.objects.get(name="Big").properties["n"] == 18446744073709551615


def test_a_single_event_endpoint_answers_400_naming_the_field(key):
    response = post_raw("/v1/track", b'{"anonymousId": "x", "event": "a\\u0000b"}', key)
    assert response.status_code == 400
    assert response.data == {"success": False, "code": "invalid_message", "message": "event: contains a NUL character"}
    assert Event.objects.count() == 0


def test_a_body_that_is_not_json_at_all_is_still_400(key):
    response = post_raw("/v1/batch", b'{"batch": [{"type": "page"', key)
    assert response.status_code == 400 and response.data["code"] == "invalid_json"
    assert Event.objects.count() == 0


def _lean(body: bytes, key: str, **environ: str) -> tuple[str, dict]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list) -> None:
        seen["status"] = status

    env = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/v1/batch", "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": basic(key), "REMOTE_ADDR": "198.51.100.7", **environ,
    }  # fmt: skip
    answer = b"".join(lean.application(env, start_response))
    return seen["status"], orjson.loads(answer)


@pytest.mark.django_db(transaction=True)  # the lean path closes the connection after the request
def test_a_chunked_body_without_content_length_is_read(key):
    body = orjson.dumps({"batch": [good(1), good(2)]})
    status, answer = _lean(body, key, HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True})
    assert status.startswith("200") and answer["accepted"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_over_the_limit_is_413(key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = orjson.dumps({"batch": [good(n) for n in range(40)]})
    status, answer = _lean(body, key, HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True})
    assert status.startswith("413") and answer["code"] == "too_large"
    assert Event.objects.count() == 0
