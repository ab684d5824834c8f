"""The official Segment Python client, pointed at Accord with its `host` setting, works unchanged."""

from __future__ import annotations

import time

import pytest
from segment.analytics.client import Client

from accord.accounts.actions import apikey_create
from accord.contacts.models import Contact
from accord.tracking.models import Event, Identity


@pytest.fixture
def write_key(users):
    return apikey_create(name="backend", scopes="server", acting_user=users["admin"])[1]


def wait_for(count: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while Event.objects.count() < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return Event.objects.count()


@pytest.mark.django_db(transaction=True)
def test_sync_mode_calls_land(live_server, write_key):
    client = Client(write_key, host=live_server.url, sync_mode=True)
    client.identify("user-1", {"email": "ana@acme.io", "firstName": "Ana"}, anonymous_id="anon-1")
    client.track("user-1", "Signed Up", {"plan": "pro"})
    client.page(
        "user-1", category="Docs", name="Install", properties={"url": "https://acme.io/docs?utm_source=newsletter"}
    )
    client.alias("anon-2", "user-1")
    client.group("user-1", "acme", {"name": "Acme"})
    client.screen("user-1", name="Dashboard")

    assert Event.objects.count() == 6
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name) == ("ana@acme.io", "Ana")
    assert set(Event.objects.values_list("type", flat=True)) == {
        "identify",
        "track",
        "page",
        "alias",
        "group",
        "screen",
    }
    assert Event.objects.filter(contact=contact).count() == 6
    assert set(Identity.objects.filter(contact=contact).values_list("kind", "value")) == {
        ("user", "user-1"),
        ("anonymous", "anon-1"),
        ("anonymous", "anon-2"),
    }
    library = Event.objects.get(type="track").context["library"]
    assert library["name"] == "analytics-python"


@pytest.mark.django_db(transaction=True)
def test_batched_gzip_uploads_are_deduplicated_on_retry(live_server, write_key):
    errors: list[object] = []
    client = Client(
        write_key,
        host=live_server.url,
        gzip=True,
        upload_size=3,
        upload_interval=0.01,
        max_retries=0,
        on_error=lambda error, batch: errors.append(error),
    )
    for i in range(7):
        client.track(f"user-{i}", "Clicked", {"n": i}, message_id=f"fixed-{i}")
    client.flush()
    assert wait_for(7) == 7 and errors == []
    for i in range(7):  # a retry of the same messages
        client.track(f"user-{i}", "Clicked", {"n": i}, message_id=f"fixed-{i}")
    client.flush()
    client.join()
    assert Event.objects.count() == 7 and errors == []


@pytest.mark.django_db(transaction=True)
def test_a_bad_key_is_reported_to_on_error(live_server):
    errors: list[object] = []
    client = Client(
        "acc_nope_nope", host=live_server.url, max_retries=0, on_error=lambda error, batch: errors.append(error)
    )
    client.track("user-1", "Clicked")
    client.flush()
    client.join()
    assert len(errors) == 1 and getattr(errors[0], "status", None) == 401
    assert Event.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_sdk_works_with_a_browser_key_too_and_it_never_rewrites(live_server, users):
    """An app that ships the public key (a mobile or client-side SDK sends no Origin header)."""
    _, public = apikey_create(
        name="app", scopes="browser", allowed_origins=["https://www.acme.io"], acting_user=users["admin"]
    )
    Contact.objects.create(email="ana@acme.io", first_name="Ana", title="CFO")
    client = Client(public, host=live_server.url, sync_mode=True)
    client.identify("user-9", {"email": "ana@acme.io", "firstName": "Someone", "title": "Intern", "phone": "+1 555"})
    client.track("user-9", "Opened App")

    assert Event.objects.count() == 2
    contact = Contact.objects.get(email="ana@acme.io")
    assert (contact.first_name, contact.title, contact.phone) == ("Ana", "CFO", "+1 555")  # only the empty one filled
    assert Event.objects.filter(contact=contact).count() == 2
    assert Identity.objects.get(value="user-9").kind == "browser_user"
