"""A browser key sits in every page that loads /t.js: anyone can send with it. It may add events and
fill what a contact has empty; it never rewrites what people, imports and servers recorded, and it
never merges contacts."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
from django.test import Client

from accord.accounts.actions import apikey_create
from accord.contacts.models import ConsentChange, Contact, ContactMerge, SuspectedDuplicate
from accord.core import clock
from accord.core.models import AuditEntry
from accord.tracking.models import Event, Identity

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
ORIGIN = "https://www.acme-site.test"


@pytest.fixture
def browser_key(users):
    return apikey_create(
        name="Website", scopes="browser", allowed_origins=[ORIGIN, "https://*.acme-site.test"], acting_user=users["admin"]
    )[1]


@pytest.fixture
def server_key(users):
    return apikey_create(name="Back end", scopes="server", acting_user=users["admin"])[1]


def post(path: str, body, *, key: str, origin: str | None = ORIGIN, ip: str = "198.51.100.23"):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{key}:".encode()).decode(), "REMOTE_ADDR": ip}
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    response = Client().post(path, data=json.dumps(body), content_type="application/json", **headers)
    response.data = response.json() if response.content else None
    return response


def identify(**fields):
    return {"type": "identify", "messageId": str(uuid.uuid4()), "context": {"page": {"url": f"{ORIGIN}/pricing"}}, **fields}


@pytest.fixture
def victim(users):
    """An opportunity a person has worked on: name, title, phone and consent set by people."""
    return Contact.objects.create(
        email="victim@corp.com", first_name="Vera", last_name="Stone", title="CFO", phone="+1 555 0100",
        consent=True, stage="opportunity", owner=users["sales_rep"],
    )  # fmt: skip


def fields(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (contact.first_name, contact.last_name, contact.title, contact.phone, contact.stage, contact.owner_id)


def test_a_browser_identify_cannot_rewrite_a_contact(browser_key, victim):
    before = fields(victim)
    traits = {"email": "victim@corp.com", "firstName": "Hacked", "lastName": "X", "title": "Intern", "phone": "0"}
    with clock.frozen(NOW):
        response = post("/v1/identify", identify(userId="x", traits=traits), key=browser_key)

    assert response.status_code == 200 and response.data["accepted"] == 1
    assert fields(victim) == before
    # The sender's user id is a browser's claim: it is not one of the servers' own ids.
    assert not Identity.objects.filter(kind="user", value="x").exists()
    # What was submitted is kept on the contact's timeline.
    event = Event.objects.get(type="identify")
    assert event.contact_id == victim.pk and event.properties["firstName"] == "Hacked"
    assert ContactMerge.objects.count() == 0


def test_a_browser_fills_only_what_a_contact_has_empty(browser_key, victim):
    victim.title = ""
    victim.properties = {"plan": "enterprise"}
    victim.save()
    traits = {"email": "victim@corp.com", "title": "Treasurer", "firstName": "Hacked", "plan": "free", "team": "Finance"}
    post("/v1/identify", identify(anonymousId="anon-1", traits=traits), key=browser_key)
    victim.refresh_from_db()
    assert (victim.title, victim.first_name) == ("Treasurer", "Vera")
    assert victim.properties == {"plan": "enterprise", "team": "Finance"}


def test_a_consent_withdrawal_from_a_browser_is_honoured_with_evidence(browser_key, victim):
    with clock.frozen(NOW):
        post("/v1/identify", identify(anonymousId="anon-1", traits={"email": victim.email, "consent": False}), key=browser_key)
    victim.refresh_from_db()
    assert victim.consent is False
    change = ConsentChange.objects.get()
    assert (change.contact_id, change.consent, change.via, change.ip, change.page) == (
        victim.pk, False, "browser", "198.51.100.0", f"{ORIGIN}/pricing",
    )  # fmt: skip
    assert change.via_api_key == browser_key.split("_")[1]


def test_a_browser_cannot_give_consent_back_once_withdrawn_but_may_give_it_first(browser_key, victim):
    victim.consent = False
    victim.save()
    post("/v1/identify", identify(anonymousId="a", traits={"email": victim.email, "consent": True}), key=browser_key)
    victim.refresh_from_db()
    assert victim.consent is False
    post("/v1/identify", identify(anonymousId="b", traits={"email": "new@corp.com", "consent": True}), key=browser_key)
    assert Contact.objects.get(email="new@corp.com").consent is True


def test_a_browser_alias_never_merges_two_known_contacts(browser_key, server_key):
    post("/v1/identify", identify(userId="u-1", traits={"email": "one@corp.com"}), key=server_key, origin=None)
    post("/v1/identify", identify(userId="u-2", traits={"email": "two@corp.com"}), key=server_key, origin=None)
    response = post("/v1/alias", {"type": "alias", "previousId": "u-1", "userId": "u-2"}, key=browser_key)

    assert response.status_code == 200
    one, two = Contact.objects.get(email="one@corp.com"), Contact.objects.get(email="two@corp.com")
    suspected = SuspectedDuplicate.objects.get()
    assert (suspected.contact_id, suspected.other_id) == (one.pk, two.pk) and "alias" in suspected.reason
    assert ContactMerge.objects.count() == 0
    # The same alias with the server key merges them, as it always has.
    post("/v1/alias", {"type": "alias", "previousId": "u-1", "userId": "u-2"}, key=server_key, origin=None)
    assert Contact.objects.filter(email__in=["one@corp.com", "two@corp.com"]).count() == 1


def test_an_identify_naming_another_contacts_email_is_a_suspected_duplicate(browser_key, server_key, victim):
    post("/v1/identify", identify(userId="u-9", traits={"email": "other@corp.com"}), key=server_key, origin=None)
    other = Contact.objects.get(email="other@corp.com")
    post("/v1/identify", identify(userId="u-9", traits={"email": victim.email}), key=browser_key)
    assert Contact.objects.filter(pk__in=[victim.pk, other.pk]).count() == 2
    pair = SuspectedDuplicate.objects.get()
    assert {pair.contact_id, pair.other_id} == {victim.pk, other.pk}
    # The server's id stays where the server put it.
    assert Identity.objects.get(kind="user", value="u-9").contact_id == other.pk


def test_a_form_fill_links_the_visitors_anonymous_history(browser_key, victim):
    for path in ("/", "/pricing"):
        post("/v1/page", {"type": "page", "anonymousId": "anon-7", "properties": {"path": path}}, key=browser_key)
    assert Event.objects.filter(contact__isnull=True).count() == 2
    post("/v1/identify", identify(anonymousId="anon-7", traits={"email": victim.email}), key=browser_key)
    assert Event.objects.filter(contact=victim).count() == 3
    assert Identity.objects.get(kind="anonymous", value="anon-7").contact_id == victim.pk


def test_a_browser_never_moves_an_anonymous_id_tied_to_someone(browser_key, victim):
    post("/v1/identify", identify(anonymousId="anon-7", traits={"email": victim.email}), key=browser_key)
    post("/v1/identify", identify(anonymousId="anon-7", traits={"email": "colleague@corp.com"}), key=browser_key)
    assert Identity.objects.get(kind="anonymous", value="anon-7").contact_id == victim.pk
    colleague = Contact.objects.get(email="colleague@corp.com")
    assert Event.objects.filter(contact=colleague, type="identify").count() == 1
    assert SuspectedDuplicate.objects.count() == 0  # two emails: two people, sharing a browser


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        (ORIGIN, 200),
        ("https://shop.acme-site.test", 200),
        (None, 200),  # no Origin: not a browser (a server or an app)
        ("https://acme-site.test", 403),  # the wildcard is for subdomains only
        ("https://evil.example", 403),
        ("null", 403),
    ],
)
def test_a_browser_key_sends_only_from_its_origins(browser_key, origin, status):
    response = post("/v1/page", {"type": "page", "anonymousId": "a"}, key=browser_key, origin=origin)
    assert response.status_code == status
    if status == 403:
        assert response.data["code"] == "origin_not_allowed" and "Access-Control-Allow-Origin" not in response
        assert Event.objects.count() == 0
    else:
        assert response["Access-Control-Allow-Origin"] == (origin or "*") and response["Vary"] == "Origin"


def test_a_browser_key_is_rate_limited_per_address_and_per_key(users):
    _, key = apikey_create(
        name="Site", scopes="browser", ip_rate_per_minute=5, rate_per_minute=8, acting_user=users["admin"]
    )
    batch = {"batch": [{"type": "page", "anonymousId": f"a{n}"} for n in range(3)]}
    with clock.frozen(NOW):
        assert post("/v1/batch", batch, key=key, ip="203.0.113.1").status_code == 200
        refused = post("/v1/batch", batch, key=key, ip="203.0.113.1")
        assert refused.status_code == 429 and refused.data["code"] == "rate_limited"
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert post("/v1/batch", batch, key=key, ip="203.0.113.2").status_code == 200
        over = post("/v1/batch", batch, key=key, ip="203.0.113.3")
        assert over.status_code == 429 and "this key sent more than 8" in over.data["message"]
    assert Event.objects.count() == 6


def test_a_server_key_is_not_rate_limited_or_origin_checked(server_key):
    for _ in range(3):
        body = {"batch": [{"type": "page", "anonymousId": f"a{n}"} for n in range(300)]}
        assert post("/v1/batch", body, key=server_key, origin="https://evil.example").status_code == 200
    assert Event.objects.count() == 900


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"scopes": "browser,read"}, "scopes", "a browser key is public"),
        ({"scopes": "server", "allowed_origins": [ORIGIN]}, "allowed_origins", "only a browser key has allowed origins"),
        ({"scopes": "browser", "allowed_origins": ["www.acme.test"]}, "allowed_origins", "is not an origin"),
        ({"scopes": "browser", "allowed_origins": ["https://acme.test/path"]}, "allowed_origins", "is not an origin"),
        ({"scopes": "browser", "rate_per_minute": 0}, "rate_per_minute", "must be a whole number"),
        ({"scopes": "server", "ip_rate_per_minute": 10}, "ip_rate_per_minute", "only a browser key"),
    ],
)
def test_a_bad_key_is_refused_naming_the_field_and_nothing_is_written(users, kwargs, field, message):
    from accord.accounts.models import ApiKey
    from accord.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        apikey_create(name="k", acting_user=users["admin"], **kwargs)
    assert caught.value.field == field and message in caught.value.message
    assert ApiKey.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_existing_track_keys_became_server_keys():
    import importlib

    from django.apps import apps

    from accord.accounts.models import ApiKey, User

    migration = importlib.import_module("accord.accounts.migrations.0002_browser_and_server_keys")
    owner = User.objects.create_user("owner@example.com", "x" * 12, role="admin")
    key = ApiKey.objects.create(name="old", prefix="p", digest="d", scopes=["read", "track"], created_by=owner)
    migration.track_keys_become_server_keys(apps, None)
    key.refresh_from_db()
    assert key.scopes == ["read", "server"]
