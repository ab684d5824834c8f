"""The tracking snippet (/t.js) on a customer's site at another origin, https://shop.example, which
Playwright serves from memory.

The first tests watch what the snippet posts to /v1/batch (the request is captured and answered
by the test) with the script as the snippet view serves it; the last ones run it end to end:
the real /t.js route, the ingest endpoint and attribution, then look at Accord's database.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory

from accord.accounts.actions import apikey_create
from accord.contacts.models import Contact
from accord.tracking.models import Event
from accord.tracking.snippet import snippet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = "https://shop.example"
LANDING = f"{SHOP}/landing?utm_source=linkedin&utm_medium=paid_social&utm_campaign=q4-revops"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

FORM = """
<form data-accord-form="ebook" data-accord-offer="State of RevOps report" method="post" action="/thanks">
  <label>Work email <input type="email" name="email" required></label>
  <label>First name <input name="first_name"></label>
  <label>Last name <input name="last_name"></label>
  <label>Company <input name="company"></label>
  {extra}
  <button>Get the report</button>
</form>"""
# Fields a form may hold that must never leave the page.
SECRETS = """
  <label>Password <input type="password" name="pw"></label>
  <label>Card <input name="cardnumber" autocomplete="cc-number"></label>
  <label>Code <input name="security_code" autocomplete="cc-csc"></label>
  <label>SSN <input name="ssn"></label>
  <input type="hidden" name="csrfmiddlewaretoken" value="hidden-token">
  <label>Team size <select name="team_size"><option>1-10</option><option selected>11-50</option></select></label>
"""


def site(context: Any, accord: str, key: str, *, attributes: str = "", extra: str = "") -> None:
    """Serve the customer's site: a landing page with the form, a pricing page and a thank-you page."""
    script = f'<script async src="{accord}/t.js" data-key="{key}"{attributes}></script>'

    def html(title: str, body: str) -> str:
        return f"<!doctype html><html><head><title>{title}</title>{script}</head><body>{body}</body></html>"

    pages = {
        "/landing": html("State of RevOps", "<h1>The State of RevOps report</h1>" + FORM.format(extra=extra)),
        "/pricing": html("Pricing", "<h1>Pricing</h1>"),
        "/thanks": html("Thank you", "<h1>Thank you</h1>"),
    }

    def answer(route: Any) -> None:
        body = pages.get(urlsplit(route.request.url).path)
        if body is None:
            route.fulfill(status=404, body="not found")
        else:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    context.route(f"{SHOP}/**", answer)


def serve_snippet_from_view(context: Any, accord: str) -> None:
    """/t.js as the view answers it, whatever the URL configuration (the end-to-end tests use the route)."""
    response = snippet(RequestFactory().get("/t.js"))
    context.route(
        f"{accord}/t.js",
        lambda route: route.fulfill(status=200, body=response.content, headers=dict(response.items())),
    )


class Batches:
    """Captures what the snippet posts to /v1/batch and answers like Accord would."""

    def __init__(self, context: Any, accord: str) -> None:
        self.posts: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        context.route(f"{accord}/v1/batch", self._capture)

    def _capture(self, route: Any) -> None:
        request = route.request
        if request.method == "POST":
            self.content_types.append(request.headers.get("content-type", ""))
            self.posts.append(json.loads(request.post_data))
        route.fulfill(
            status=200,
            content_type="application/json",
            body='{"success": true}',
            headers={"Access-Control-Allow-Origin": "*"},
        )

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [message for post in self.posts for message in post["batch"]]

    def wait_for(self, page: Any, found: Callable[[list[dict[str, Any]]], Any], timeout: float = 10) -> Any:
        """Wait until `found(messages)` is truthy (the snippet sends every 2 seconds and on unload)."""
        deadline = time.monotonic() + timeout
        while not (result := found(self.messages)):
            assert time.monotonic() < deadline, f"not sent within {timeout} s; sent: {self.messages}"
            page.wait_for_timeout(100)
        return result


def pages_at(path: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    return lambda messages: [m for m in messages if m["type"] == "page" and m["context"]["page"]["path"] == path]


def cookie(context: Any, name: str) -> str | None:
    return next((c["value"] for c in context.cookies(SHOP) if c["name"] == name), None)


@pytest.fixture
def write_key(users: dict[str, Any]) -> str:
    _, secret = apikey_create(name="Website snippet", scopes="browser", acting_user=users["admin"])
    return secret


@pytest.fixture
def context(browser: Any) -> Any:
    # Accord listens on localhost here; Chromium lets a public site (shop.example) reach the loopback
    # address only with the visitor's permission. A real Accord has a public address and needs none.
    context = browser.new_context(permissions=["local-network-access"])
    context.set_default_timeout(10_000)
    yield context
    context.close()


# -- what the snippet sends


def test_page_views_carry_the_campaign_and_one_anonymous_id(context: Any, live_server: Any, write_key: str) -> None:
    accord = live_server.url
    site(context, accord, write_key)
    serve_snippet_from_view(context, accord)
    batches = Batches(context, accord)
    page = context.new_page()

    page.goto(LANDING)
    (landing,) = batches.wait_for(page, pages_at("/landing"))

    post = batches.posts[0]
    assert set(post) == {"batch", "sentAt", "writeKey"}
    assert post["writeKey"] == write_key
    assert ISO.match(post["sentAt"])
    assert batches.content_types[0].startswith("text/plain")  # no CORS preflight
    assert landing["type"] == "page"
    assert UUID.match(landing["messageId"]) and ISO.match(landing["timestamp"])
    assert landing["context"]["page"] == {
        "url": LANDING,
        "path": "/landing",
        "referrer": "",
        "title": "State of RevOps",
        "search": "?utm_source=linkedin&utm_medium=paid_social&utm_campaign=q4-revops",
    }
    assert landing["context"]["campaign"] == {"source": "linkedin", "medium": "paid_social", "name": "q4-revops"}
    assert landing["context"]["library"] == {"name": "accord.js", "version": "1.0.0"}
    assert "HeadlessChrome" in landing["context"]["userAgent"]
    assert "userId" not in landing

    anonymous_id = landing["anonymousId"]
    assert UUID.match(anonymous_id)
    assert cookie(context, "accord_aid") == anonymous_id
    assert page.evaluate("localStorage.getItem('accord_aid')") == anonymous_id
    assert page.evaluate("accord.anonymousId()") == anonymous_id
    (aid_cookie,) = [c for c in context.cookies(SHOP) if c["name"] == "accord_aid"]
    assert aid_cookie["sameSite"] == "Lax" and aid_cookie["path"] == "/" and aid_cookie["secure"]
    assert aid_cookie["expires"] > time.time() + 360 * 86400  # a year

    # A later page in the same session: the same visitor, still credited to the campaign.
    page.goto(f"{SHOP}/pricing")
    (pricing,) = batches.wait_for(page, pages_at("/pricing"))
    assert pricing["anonymousId"] == anonymous_id
    assert pricing["context"]["campaign"] == landing["context"]["campaign"]
    assert pricing["context"]["page"]["search"] == ""
    assert pricing["messageId"] != landing["messageId"]

    # A new session (the last call more than 30 minutes ago) no longer carries it.
    page.evaluate("""() => {
        const s = JSON.parse(localStorage.getItem('accord_utm')); s.t -= 31 * 60 * 1000;
        localStorage.setItem('accord_utm', JSON.stringify(s));
    }""")
    page.reload()
    later = batches.wait_for(page, lambda ms: pages_at("/pricing")(ms)[1:])
    assert later[0]["anonymousId"] == anonymous_id
    assert "campaign" not in later[0]["context"]


def test_a_submitted_form_sends_identify_and_form_submitted_at_once(
    context: Any, live_server: Any, write_key: str
) -> None:
    accord = live_server.url
    site(context, accord, write_key, extra=SECRETS)
    serve_snippet_from_view(context, accord)
    batches = Batches(context, accord)
    page = context.new_page()
    page.goto(LANDING)
    page.wait_for_function("window.accord && accord.anonymousId()")
    anonymous_id = page.evaluate("accord.anonymousId()")

    page.get_by_label("Work email").fill("Dana.Scully@Example.org")
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Scully")
    page.get_by_label("Company").fill("Example Org")
    page.get_by_label("Password").fill("hunter2-secret")
    page.get_by_label("Card").fill("4111 1111 1111 1111")
    page.get_by_label("Code").fill("7391")
    page.get_by_label("SSN").fill("078-05-1120")
    page.get_by_role("button", name="Get the report").click()  # at once: before the 2-second timer
    page.wait_for_url(f"{SHOP}/thanks")  # the form's own submission went through

    submitted = batches.wait_for(page, lambda ms: [m for m in ms if m.get("event") == "Form Submitted"])
    post = next(p for p in batches.posts if any(m.get("event") == "Form Submitted" for m in p["batch"]))
    types = [m["type"] for m in post["batch"]]
    assert types[-2:] == ["identify", "track"]  # in the same batch, identify first
    identify, track = post["batch"][-2:]
    assert identify["traits"] == {
        "email": "Dana.Scully@Example.org",
        "firstName": "Dana",
        "lastName": "Scully",
        "company": "Example Org",
        "team_size": "11-50",
    }
    assert track["properties"] == {
        "form": "ebook",
        "offer": "State of RevOps report",
        "url": LANDING,
        "path": "/landing",
    }
    assert identify["anonymousId"] == track["anonymousId"] == anonymous_id
    assert track["context"]["campaign"]["source"] == "linkedin"
    assert len(submitted) == 1
    sent = json.dumps(batches.posts)
    for secret in ("hunter2-secret", "4111 1111 1111 1111", "7391", "078-05-1120", "hidden-token"):
        assert json.dumps(secret) not in sent

    (thanks,) = batches.wait_for(page, pages_at("/thanks"))
    assert thanks["anonymousId"] == anonymous_id
    assert thanks["context"]["page"]["referrer"] == LANDING
    assert thanks["context"]["campaign"] == {"source": "linkedin", "medium": "paid_social", "name": "q4-revops"}


def test_the_javascript_api(context: Any, live_server: Any, write_key: str) -> None:
    accord = live_server.url
    site(context, accord, write_key, attributes=' data-forms="off"')
    serve_snippet_from_view(context, accord)
    batches = Batches(context, accord)
    page = context.new_page()
    page.goto(f"{SHOP}/pricing")
    batches.wait_for(page, pages_at("/pricing"))

    page.evaluate("""() => {
        accord.identify('user-42', {email: 'fox@example.org', plan: 'team'});
        accord.track('Pricing Viewed', {plan: 'team'});
        history.pushState({}, '', '/pricing/enterprise');
        accord.page('Enterprise pricing', {tier: 'enterprise'});
        for (let i = 0; i < 25; i++) accord.track('Scrolled', {i});
        accord.flush();
    }""")
    messages = batches.wait_for(page, lambda ms: len(ms) >= 29 and ms)

    identify, track, spa_page = messages[1:4]
    assert identify["type"] == "identify" and identify["userId"] == "user-42"
    assert identify["traits"] == {"email": "fox@example.org", "plan": "team"}
    assert track == {
        **track,
        "type": "track",
        "event": "Pricing Viewed",
        "properties": {"plan": "team"},
        "userId": "user-42",
    }
    assert spa_page["name"] == "Enterprise pricing" and spa_page["properties"] == {"tier": "enterprise"}
    assert spa_page["context"]["page"]["path"] == "/pricing/enterprise"
    assert [len(post["batch"]) for post in batches.posts] == [1, 20, 8]  # at most 20 a batch
    assert len({m["messageId"] for m in messages}) == len(messages)

    # data-forms="off": a marked form is left alone.
    page.goto(LANDING)
    batches.wait_for(page, pages_at("/landing"))
    page.get_by_label("Work email").fill("fox@example.org")
    page.get_by_role("button", name="Get the report").click()
    page.wait_for_url(f"{SHOP}/thanks")
    batches.wait_for(page, pages_at("/thanks"))
    assert not [m for m in batches.messages if m.get("event") == "Form Submitted"]


def test_nothing_is_sent_or_stored_before_consent(context: Any, live_server: Any, write_key: str) -> None:
    accord = live_server.url
    site(context, accord, write_key, attributes=' data-consent="required"')
    serve_snippet_from_view(context, accord)
    batches = Batches(context, accord)
    page = context.new_page()
    page.goto(LANDING)
    page.wait_for_function("window.accord !== undefined")
    page.evaluate("accord.track('Clicked', {}); accord.flush()")
    page.wait_for_timeout(2500)

    assert batches.posts == []
    assert context.cookies(SHOP) == []
    assert page.evaluate("Object.keys(localStorage)") == []
    assert page.evaluate("accord.anonymousId()") is None

    page.evaluate("accord.consent(true)")
    messages = batches.wait_for(page, lambda ms: len(ms) >= 2 and ms)
    anonymous_id = cookie(context, "accord_aid")
    assert [m["type"] for m in messages] == ["page", "track"]  # held in memory, sent with the consent
    assert {m["anonymousId"] for m in messages} == {anonymous_id}
    assert messages[0]["context"]["campaign"]["name"] == "q4-revops"

    # Remembered on the next page; withdrawn with consent(false), which forgets the visitor.
    page.goto(f"{SHOP}/pricing")
    (pricing,) = batches.wait_for(page, pages_at("/pricing"))
    assert pricing["anonymousId"] == anonymous_id
    page.evaluate("accord.consent(false)")
    assert cookie(context, "accord_aid") is None
    assert page.evaluate("localStorage.getItem('accord_aid')") is None
    assert page.evaluate("accord.anonymousId()") is None
    sent = len(batches.messages)
    page.evaluate("accord.track('After withdrawal', {}); accord.flush()")
    page.reload()
    page.wait_for_timeout(2500)
    assert len(batches.messages) == sent
    assert context.cookies(SHOP) == []


def test_global_privacy_control_counts_as_no_consent_until_given(
    context: Any, live_server: Any, write_key: str
) -> None:
    accord = live_server.url
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})")
    site(context, accord, write_key)  # consent is not required by the site
    serve_snippet_from_view(context, accord)
    batches = Batches(context, accord)
    page = context.new_page()
    page.goto(LANDING)
    page.wait_for_function("window.accord !== undefined")
    page.wait_for_timeout(2500)
    assert batches.posts == [] and context.cookies(SHOP) == []

    page.evaluate("accord.consent(true)")
    (landing,) = batches.wait_for(page, pages_at("/landing"))
    assert landing["anonymousId"] == cookie(context, "accord_aid")


def test_calls_queued_before_loading_run_once_it_has_loaded(context: Any, live_server: Any, write_key: str) -> None:
    accord = live_server.url
    context.add_init_script("window.accord = [['consent', true], ['track', 'Early', {when: 'before load'}]]")
    site(context, accord, write_key, attributes=' data-consent="required"')
    serve_snippet_from_view(context, accord)
    batches = Batches(context, accord)
    page = context.new_page()
    page.goto(LANDING)

    messages = batches.wait_for(page, lambda ms: len(ms) >= 2 and ms)
    assert [m["type"] for m in messages] == ["page", "track"]
    assert messages[1]["event"] == "Early" and messages[1]["properties"] == {"when": "before load"}

    # The same line works once the script has loaded.
    page.evaluate("(window.accord = window.accord || []).push(['track', 'Late'])")
    late = batches.wait_for(page, lambda ms: [m for m in ms if m.get("event") == "Late"])
    assert late[0]["anonymousId"] == messages[0]["anonymousId"]


# -- end to end: the /t.js route, the ingest endpoint and attribution


def eventually(check: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    """Poll the database: beacons are sent asynchronously."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.2)
    return result


def snippet_route_is_public(context: Any, accord: str) -> None:
    response = context.request.get(f"{accord}/t.js", max_redirects=0)
    assert response.status == 200, f"GET /t.js answered {response.status}: the route must exist and be public"


def test_a_visitor_from_a_campaign_becomes_a_lead_with_its_source_and_offer(
    context: Any, live_server: Any, write_key: str
) -> None:
    snippet_route_is_public(context, live_server.url)
    site(context, live_server.url, write_key)
    page = context.new_page()

    page.goto(LANDING)
    page.wait_for_function("window.accord && accord.anonymousId()")
    anonymous_id = page.evaluate("accord.anonymousId()")
    page.get_by_label("Work email").fill("ada@acme.example")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Company").fill("Acme")
    page.get_by_role("button", name="Get the report").click()
    page.wait_for_url(f"{SHOP}/thanks")

    contact = eventually(lambda: Contact.objects.filter(email="ada@acme.example").first(), "a contact")
    events = eventually(
        lambda: (
            (found := list(Event.objects.filter(anonymous_id=anonymous_id).order_by("pk")))
            and sum(e.type == "page" for e in found) >= 2
            and found
        ),
        "the thank-you page view",
    )
    assert sorted((e.type, e.name or e.path) for e in events) == [
        ("identify", "/landing"),
        ("page", "/landing"),
        ("page", "/thanks"),
        ("track", "Form Submitted"),
    ]
    assert {e.contact_id for e in events} == {contact.pk}  # the anonymous page view before the form too
    landing = next(e for e in events if e.path == "/landing" and e.type == "page")
    submitted = next(e for e in events if e.name == "Form Submitted")
    assert (landing.utm_source, landing.utm_medium, landing.utm_campaign) == ("linkedin", "paid_social", "q4-revops")
    assert submitted.offer == "State of RevOps report"
    assert submitted.properties == {
        "form": "ebook",
        "offer": "State of RevOps report",
        "url": LANDING,
        "path": "/landing",
    }

    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name) == ("Ada", "Lovelace")
    assert (contact.first_source, contact.first_medium, contact.first_campaign) == (
        "linkedin",
        "paid_social",
        "q4-revops",
    )
    assert contact.first_offer == "State of RevOps report"


def test_with_consent_required_nothing_reaches_accord_before_consent(
    context: Any, live_server: Any, write_key: str
) -> None:
    snippet_route_is_public(context, live_server.url)
    site(context, live_server.url, write_key, attributes=' data-consent="required"')
    posts: list[str] = []
    context.on("request", lambda r: posts.append(r.url) if "/v1/" in r.url else None)
    page = context.new_page()

    page.goto(LANDING)
    page.wait_for_function("window.accord !== undefined")
    page.wait_for_timeout(2500)
    assert posts == [] and Event.objects.count() == 0
    assert cookie(context, "accord_aid") is None

    page.evaluate("accord.consent(true)")
    anonymous_id = page.evaluate("accord.anonymousId()")
    (event,) = eventually(lambda: list(Event.objects.all()), "the page view after consent")
    assert (event.type, event.path, event.anonymous_id) == ("page", "/landing", anonymous_id)
    assert cookie(context, "accord_aid") == anonymous_id
