"""The Segment HTTP Tracking API: what lands, what is refused, and that refused input writes nothing."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import uuid

import pytest
from django.test import Client

from accord.accounts.actions import apikey_create, apikey_revoke
from accord.campaigns.models import Campaign
from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle.models import StageChange
from accord.tracking.campaigns import forget
from accord.tracking.models import Event, Identity

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_campaign_cache():
    forget()
    yield
    forget()


@pytest.fixture
def key(users):
    return apikey_create(name="site", scopes="server", acting_user=users["admin"])[1]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def post(path: str, body, *, key: str | None = None, encoding: str = "", raw: bool = False, **headers):
    data = body if raw else json.dumps(body).encode()
    if encoding == "gzip":
        data = gzip.compress(data)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    if key:
        headers["HTTP_AUTHORIZATION"] = basic(key)
    response = Client().post(path, data=data, content_type="application/json", **headers)
    response.data = response.json() if response.content else None
    return response


def page(anon="a1", **extra):
    return {
        "type": "page",
        "anonymousId": anon,
        "messageId": str(uuid.uuid4()),
        "name": "Home",
        "properties": {"url": "https://shop.example/", "path": "/"},
        **extra,
    }


def test_a_track_call_lands(key):
    with clock.frozen(NOW):
        response = post(
            "/v1/track",
            {
                "userId": "u1",
                "event": "Signed Up",
                "properties": {"plan": "pro"},
                "messageId": "m-1",
                "timestamp": "2026-03-02T11:59:00Z",
            },
            key=key,
        )
    assert response.status_code == 200
    assert response.data == {"success": True, "accepted": 1, "duplicates": 0}
    event = Event.objects.get()
    assert (event.type, event.name, event.user_id, event.message_id, event.properties) == (
        "track",
        "Signed Up",
        "u1",
        "m-1",
        {"plan": "pro"},
    )
    assert event.timestamp == dt.datetime(2026, 3, 2, 11, 59, tzinfo=dt.UTC) and event.received_at == NOW
    assert event.contact is not None and Identity.objects.get(kind="user", value="u1").contact == event.contact
    assert event.sent_with == key.split("_")[1]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_repeated_message_is_accepted_and_counted_once(key):
    body = {"anonymousId": "a1", "event": "Clicked", "messageId": "same"}
    assert post("/v1/track", body, key=key).data == {"success": True, "accepted": 1, "duplicates": 0}
    assert post("/v1/track", body, key=key).data == {"success": True, "accepted": 0, "duplicates": 1}
    batch = {
        "batch": [
            {**body, "type": "track"},
            {**body, "type": "track", "messageId": "other"},
            {**body, "type": "track", "messageId": "other"},
        ]
    }
    assert post("/v1/batch", batch, key=key).data == {"success": True, "accepted": 1, "duplicates": 2, "rejected": []}
    assert Event.objects.count() == 2


def test_clock_skew_is_corrected_with_sent_at(key):
    with clock.frozen(NOW):
        post(
            "/v1/batch", {"sentAt": "2026-03-02T12:10:00Z", "batch": [page(timestamp="2026-03-02T12:05:00Z")]}, key=key
        )
    event = Event.objects.get()
    # the sender's clock is 10 minutes fast: the page was viewed 5 minutes before it was sent
    assert event.timestamp == NOW - dt.timedelta(minutes=5)
    assert event.original_timestamp == dt.datetime(2026, 3, 2, 12, 5, tzinfo=dt.UTC)
    assert event.sent_at == dt.datetime(2026, 3, 2, 12, 10, tzinfo=dt.UTC)


def test_write_key_in_the_body_and_gzip(key):
    body = {"writeKey": key, "batch": [page(), page(anon="a2")]}
    response = post("/v1/batch", body, encoding="gzip")
    assert response.status_code == 200 and response.data["accepted"] == 2


def test_in_a_batch_the_valid_events_land_and_the_rejected_are_listed(key):
    batch = {
        "batch": [
            page(),
            {"type": "track", "anonymousId": "a1"},
            {"type": "dance", "anonymousId": "a1"},
            {"type": "page"},
            "nonsense",
            {"type": "identify", "userId": "u9", "traits": {"email": "not-an-email"}},
            {"type": "page", "anonymousId": "a1", "timestamp": "yesterday"},
            {"type": "page", "anonymousId": {"nested": 1}},
            {"type": "alias", "userId": "u1"},
            {"type": "track", "anonymousId": "a1", "event": "Ok", "properties": [1]},
            page(anon="a2"),
        ]
    }
    response = post("/v1/batch", batch, key=key)
    assert response.status_code == 200
    assert response.data["accepted"] == 2
    assert response.data["rejected"] == [
        {"index": 1, "reason": "event: a track call needs the event's name"},
        {"index": 2, "reason": "type: unknown type 'dance'; use identify, track, page, screen, group or alias"},
        {"index": 3, "reason": "userId or anonymousId is required"},
        {"index": 4, "reason": "must be an object"},
        {"index": 5, "reason": "traits.email: 'not-an-email' is not a valid email address"},
        {"index": 6, "reason": "timestamp: must be an ISO 8601 date and time, not 'yesterday'"},
        {"index": 7, "reason": "anonymousId: must be text or a number"},
        {"index": 8, "reason": "alias needs both previousId and userId"},
        {"index": 9, "reason": "properties: must be an object"},
    ]
    assert Event.objects.count() == 2 and not Identity.objects.filter(value="u9").exists()


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/v1/track", b"{not json", 400, "invalid_json"),
        ("/v1/track", b"[1, 2]", 400, "invalid_request"),
        ("/v1/batch", b'{"batch": {"type": "page"}}', 400, "invalid_request"),
        ("/v1/track", b'{"anonymousId": "a1"}', 400, "invalid_message"),
        ("/v1/track", b'{"type": "page", "anonymousId": "a1"}', 400, "invalid_message"),
        ("/v1/launch", b'{"anonymousId": "a1"}', 404, "not_found"),
        (
            "/v1/track",
            json.dumps({"anonymousId": "a1", "event": "x", "properties": {"p": "x" * 40000}}).encode(),
            413,
            "too_large",
        ),
    ],
)
def test_refused_requests_say_why_and_write_nothing(key, path, body, status, code):
    response = post(path, body, key=key, raw=True)
    assert response.status_code == status
    assert response.data["success"] is False and response.data["code"] == code and response.data["message"]
    assert Event.objects.count() == 0 and Contact.objects.count() == 0


def test_oversized_batches_are_413(key):
    big = {"batch": [page(properties={"blob": "x" * 30000}) for _ in range(20)]}
    response = post("/v1/batch", big, key=key)
    assert response.status_code == 413 and Event.objects.count() == 0
    bomb = gzip.compress(b'{"batch": [' + b" " * 2_000_000 + b"]}")
    response = post("/v1/batch", bomb, key=key, raw=True, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413


def test_an_event_over_32_kb_in_a_batch_is_rejected_alone(key):
    response = post("/v1/batch", {"batch": [page(properties={"blob": "x" * 33000}), page(anon="a2")]}, key=key)
    assert response.data["accepted"] == 1
    assert response.data["rejected"] == [{"index": 0, "reason": "the message is larger than 32768 bytes"}]


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "a write key is required"),
        ({"HTTP_AUTHORIZATION": "Basic !!!"}, 401, "not valid Basic credentials"),
        ({"HTTP_AUTHORIZATION": basic("acc_nope_nope")}, 401, "unknown or revoked"),
    ],
)
def test_authentication(key, headers, status, message):
    response = post("/v1/track", {"anonymousId": "a1", "event": "x"}, **headers)
    assert response.status_code == status and message in response.data["message"]
    assert Event.objects.count() == 0


def test_a_revoked_key_and_a_key_that_is_not_a_write_key(users, key):
    _, reader = apikey_create(name="reader", scopes="read,write", acting_user=users["admin"])
    response = post("/v1/track", {"anonymousId": "a1", "event": "x"}, key=reader)
    assert response.status_code == 403
    assert response.data["message"] == "this key is not a write key: it needs the 'browser' or 'server' scope"
    from accord.accounts.models import ApiKey

    apikey_revoke(key=ApiKey.objects.get(name="site"), acting_user=users["admin"])
    assert post("/v1/track", {"anonymousId": "a1", "event": "x"}, key=key).status_code == 401
    assert Event.objects.count() == 0


def test_a_server_key_cannot_read_the_api(key):
    response = Client().get("/api/v1/contacts", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403


def test_get_is_405_and_options_answers_cors(key):
    assert Client().get("/v1/batch").status_code == 405
    preflight = Client().options("/v1/batch")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Methods"] == "POST, OPTIONS"


def test_identify_carries_the_anonymous_history_over(key):
    post(
        "/v1/batch",
        {
            "batch": [
                page(
                    anon="browser-1",
                    context={"campaign": {"source": "LinkedIn", "medium": "paid_social", "name": "q4-revops"}},
                ),
                page(anon="browser-1"),
            ]
        },
        key=key,
    )
    assert Event.objects.filter(contact__isnull=True).count() == 2 and Contact.objects.count() == 0
    post(
        "/v1/identify",
        {
            "anonymousId": "browser-1",
            "userId": "u-42",
            "traits": {"email": "Ana@Acme.io", "firstName": "Ana", "title": "VP Marketing", "plan": "pro"},
        },
        key=key,
    )
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name, contact.title, contact.properties) == (
        "ana@acme.io",
        "Ana",
        "VP Marketing",
        {"plan": "pro"},
    )
    assert Event.objects.filter(contact=contact).count() == 3
    assert (contact.first_source, contact.first_medium, contact.first_campaign) == (
        "linkedin",
        "paid_social",
        "q4-revops",
    )
    assert set(Identity.objects.values_list("kind", "value")) == {("anonymous", "browser-1"), ("user", "u-42")}


def test_a_second_device_joins_the_same_contact(key):
    post("/v1/identify", {"anonymousId": "laptop", "userId": "u1", "traits": {"email": "ana@acme.io"}}, key=key)
    post("/v1/page", page(anon="phone"), key=key)
    post("/v1/identify", {"anonymousId": "phone", "userId": "u1"}, key=key)
    assert Contact.objects.count() == 1
    assert Event.objects.filter(contact__isnull=True).count() == 0


def test_the_same_email_from_two_user_ids_merges_the_contacts(key):
    post("/v1/identify", {"userId": "crm-1", "traits": {"email": "ana@acme.io"}}, key=key)
    older = Contact.objects.get()
    post("/v1/track", {"userId": "app-9", "event": "Logged In"}, key=key)
    assert Contact.objects.count() == 2
    post("/v1/identify", {"userId": "app-9", "traits": {"email": "ana@acme.io"}}, key=key)
    assert list(Contact.objects.values_list("pk", flat=True)) == [older.pk]
    assert Identity.objects.filter(contact=older).count() == 2
    assert Event.objects.filter(contact=older).count() == 3


def test_alias_merges_two_known_ids(key):
    post("/v1/track", {"userId": "old", "event": "A"}, key=key)
    post("/v1/track", {"userId": "new", "event": "B"}, key=key)
    assert Contact.objects.count() == 2
    post("/v1/alias", {"previousId": "old", "userId": "new"}, key=key)
    assert Contact.objects.count() == 1 and Event.objects.filter(contact__isnull=True).count() == 0


def test_a_form_submission_makes_a_lead_and_records_the_offer(key):
    post(
        "/v1/batch",
        {
            "batch": [
                page(anon="b1", context={"campaign": {"source": "google", "medium": "cpc", "name": "brand"}}),
                {"type": "identify", "anonymousId": "b1", "traits": {"email": "bo@acme.io", "consent": True}},
                {
                    "type": "track",
                    "anonymousId": "b1",
                    "event": "Form Submitted",
                    "properties": {"form": "ebook", "offer": "State of RevOps report"},
                },
            ]
        },
        key=key,
    )
    contact = Contact.objects.get()
    assert (contact.forms_submitted, contact.first_offer, contact.last_offer) == (
        1,
        "State of RevOps report",
        "State of RevOps report",
    )
    assert contact.stage == "lead" and contact.consent is True
    change = StageChange.objects.get(contact=contact)
    assert (change.to_stage, change.by_rule, change.by_user) == ("lead", "entry:lead", None)
    assert Event.objects.get(name="Form Submitted").offer == "State of RevOps report"


def test_utm_campaign_links_to_a_campaign(key):
    campaign = Campaign.objects.create(name="Q4 RevOps", utm_campaign="q4-revops")
    post("/v1/page", page(context={"campaign": {"source": "linkedin", "name": "Q4-RevOps"}}), key=key)
    assert Event.objects.get().campaign == campaign


def test_utm_from_the_page_url_when_no_campaign_context(key):
    post(
        "/v1/page",
        page(properties={"url": "https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=nov"}),
        key=key,
    )
    event = Event.objects.get()
    assert (event.utm_source, event.utm_medium, event.utm_campaign, event.path) == ("news", "email", "nov", "/")


def test_last_touch_ignores_direct_visits(key):
    post("/v1/identify", {"anonymousId": "b1", "userId": "u1", "traits": {"email": "a@acme.io"}}, key=key)
    post(
        "/v1/page",
        page(anon="b1", timestamp="2026-01-01T10:00:00Z", context={"campaign": {"source": "google", "medium": "cpc"}}),
        key=key,
    )
    post(
        "/v1/page",
        page(
            anon="b1",
            timestamp="2026-01-02T10:00:00Z",
            properties={"referrer": "https://www.bing.com/search?q=x", "url": "https://shop.example/"},
        ),
        key=key,
    )
    post("/v1/page", page(anon="b1", timestamp="2026-01-03T10:00:00Z"), key=key)
    contact = Contact.objects.get()
    assert (contact.first_source, contact.first_medium) == ("google", "cpc")
    assert (contact.last_source, contact.last_medium) == ("bing", "organic")


def test_a_crash_mid_batch_stores_none_of_it(key, monkeypatch):
    from accord.tracking import pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "accepted", boom)
    with pytest.raises(RuntimeError):
        post(
            "/v1/batch",
            {
                "batch": [
                    page(),
                    page(anon="a2"),
                    {"type": "identify", "userId": "u1", "traits": {"email": "x@acme.io"}},
                ]
            },
            key=key,
        )
    assert Event.objects.count() == 0 and Contact.objects.count() == 0 and Identity.objects.count() == 0
