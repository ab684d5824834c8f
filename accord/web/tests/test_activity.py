"""The contact's timeline and the live activity page through the test client: what each shows,
in which order, page by page, and what the polling answers."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import pytest
from django.db import connection

from accord.accounts.models import User
from accord.campaigns.models import Campaign
from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle.actions import contact_advance_by_rule, contact_change_stage
from accord.lifecycle.models import StageChange
from accord.tracking import queries
from accord.tracking.domain import message_key
from accord.tracking.models import Event
from accord.web.tests.test_views import text

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 14, 15, 30, tzinfo=dt.UTC)
SITE = "https://www.acme-site.test"
ANON = "1a2b3c4d-5e6f-4a5b-8c7d-0123456789ab"


def event(
    kind: str = "page", *, at: dt.datetime, contact: Contact | None = None, name: str = "", path: str = "/",
    title: str = "", properties: dict[str, Any] | None = None, **fields: Any,
) -> Event:
    """An event as ingest stores it."""
    message_id = str(uuid.uuid4())
    props = dict(properties or {})
    if kind == "page":
        props = {"path": path, "title": title, "url": fields.get("url", SITE + path), **props}
    return Event.objects.create(
        message_id=message_id, message_key=message_key(message_id), type=kind, name=name,
        anonymous_id=fields.pop("anonymous_id", ANON), contact=contact, timestamp=at, original_timestamp=at,
        received_at=at + dt.timedelta(milliseconds=300), url=fields.pop("url", SITE + path), path=path,
        properties=props, context={"library": {"name": "accord.js"}}, **fields,
    )


def ids_in(html: str, prefix: str) -> list[str]:
    return re.findall(rf'id="{prefix}([es]?\d+)"', html)


# --------------------------------------------------------------------------- the contact's timeline


def test_the_timeline_merges_events_and_stage_changes_newest_first(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    spring = Campaign.objects.create(name="Spring search", utm_campaign="spring-search", channel="paid_search")
    pricing = event(
        at=NOW - dt.timedelta(hours=5), contact=contact, path="/pricing", title="Pricing | Acme",
        url=SITE + "/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring-search",
        referrer="https://www.google.com/", utm_source="google", utm_medium="cpc", utm_campaign="spring-search",
        campaign=spring,
    )
    identify = event(
        "identify", at=NOW - dt.timedelta(hours=4), contact=contact, path="/resources/guide",
        properties={"email": "ada@acme.com", "firstName": "Ada", "lastName": "Lovelace", "company": "Acme Corp"},
    )
    form = event(
        "track", at=NOW - dt.timedelta(hours=4) + dt.timedelta(seconds=1), contact=contact, name="Form Submitted",
        path="/resources/guide", offer="Lead scoring guide",
        properties={"form": "content-download", "offer": "Lead scoring guide"},
    )
    with clock.frozen(NOW - dt.timedelta(hours=4) + dt.timedelta(seconds=3)):
        contact_advance_by_rule(contact=contact, to_stage="lead", rule="entry:lead")
    opened = event(
        "track", at=NOW - dt.timedelta(hours=2), contact=contact, name="Email Opened", anonymous_id="",
        user_id="ada@acme.com", properties={"email_subject": "Your guide, and what teams do next"},
    )
    custom = event(
        "track", at=NOW - dt.timedelta(minutes=3), contact=contact, name="Trial Started", path="/signup",
        properties={"plan": "pro", "seats": 5},
    )
    event(at=NOW - dt.timedelta(minutes=1), path="/elsewhere", title="Not Ada's")  # an anonymous visitor's
    change = StageChange.objects.get()

    with clock.frozen(NOW):
        response = client_as("sales_rep").get(f"/contacts/{contact.pk}/")

    html = response.content.decode()
    assert ids_in(html, "timeline-") == [
        f"e{custom.pk}", f"e{opened.pk}", f"s{change.pk}", f"e{form.pk}", f"e{identify.pk}", f"e{pricing.pk}"
    ]
    items = html.split("</ol>")[0].split('<li class="timeline__item')[1:]
    shown = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item.split(">", 1)[1])).strip() for item in items]
    assert shown == [
        "Tracked “Trial Started” plan: pro, seats: 5 3 min ago · 14 Mar 2025, 15:27 · /signup",
        "Opened an email Your guide, and what teams do next 2 h ago · 14 Mar 2025, 13:30",
        "Stage change Entered Lead 3 h ago · 14 Mar 2025, 11:30 · by the entry criteria of Lead · playbook v1 "
        "Entry criteria checked ✓ all of ✓ contact.email is set (is ada@acme.com) "
        "✓ contact.forms_submitted ≥ 1 (is 1)",
        "Submitted a form Lead scoring guide 3 h ago · 14 Mar 2025, 11:30 · content-download · /resources/guide",
        "Identified ada@acme.com 4 h ago · 14 Mar 2025, 11:30 · Ada Lovelace, Acme Corp",
        "Viewed a page Pricing | Acme 5 h ago · 14 Mar 2025, 10:30 · /pricing Spring search google / cpc",
    ]
    assert 'class="timeline__item timeline__item--event timeline__item--form"' in html
    assert f'<time datetime="{pricing.timestamp.isoformat()}" title="14 Mar 2025, 10:30:00 UTC">' in html
    assert "Not Ada" not in html


def test_page_views_name_the_outside_site_they_came_from(client_as: Any, contact: Contact) -> None:
    event(at=NOW - dt.timedelta(days=2), contact=contact, path="/blog/mql", title="What is an MQL?",
          referrer="https://www.linkedin.com/feed/")
    event(at=NOW - dt.timedelta(days=1), contact=contact, path="/pricing", title="Pricing",
          referrer=SITE + "/blog/mql")

    with clock.frozen(NOW):
        body = text(client_as("viewer").get(f"/contacts/{contact.pk}/"))

    assert "Viewed a page Pricing 1 day ago · 13 Mar 2025, 15:30 · /pricing Viewed a page" in body
    assert "What is an MQL? 2 days ago · 12 Mar 2025, 15:30 · /blog/mql from linkedin.com" in body


def test_the_timeline_pages_fifty_at_a_time_without_losing_or_repeating_an_item(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    start = NOW - dt.timedelta(days=10)
    made: list[tuple[dt.datetime, int, int, str]] = []  # (time, is stage change, id, key)
    for n in range(118):
        # Pairs of events at the same instant: the page boundary falls inside a tie.
        at = start + dt.timedelta(minutes=10 * (n // 2))
        e = event(at=at, contact=contact, path=f"/p{n}", title=f"Page {n}")
        made.append((at, 0, e.pk, f"e{e.pk}"))
    Contact.objects.filter(pk=contact.pk).update(open_deals=1)  # the opportunity stage wants an open deal
    for minutes, stage in ((100, "lead"), (250, "sql"), (400, "opportunity")):
        at = start + dt.timedelta(minutes=minutes)  # the same instant as two events
        with clock.frozen(at):
            contact_change_stage(contact=contact, to_stage=stage, acting_user=users["admin"])
        change = StageChange.objects.latest("id")
        made.append((at, 1, change.pk, f"s{change.pk}"))
    expected = [key for *_, key in sorted(made, reverse=True)]
    client = client_as("viewer")

    first = client.get(f"/contacts/{contact.pk}/").content.decode()
    seen = ids_in(first, "timeline-")
    assert len(seen) == 50
    pages = 1
    cursor = re.search(r'hx-get="/contacts/\d+/timeline/\?cursor=([es]\d+)"', first)
    while cursor:
        assert cursor.group(1) == seen[-1]
        part = client.get(f"/contacts/{contact.pk}/timeline/?cursor={cursor.group(1)}", HTTP_HX_REQUEST="true")
        html = part.content.decode()
        assert "<html" not in html
        found = ids_in(html, "timeline-")
        assert 0 < len(found) <= 50
        seen += found
        pages += 1
        cursor = re.search(r'hx-get="/contacts/\d+/timeline/\?cursor=([es]\d+)"', html)
    assert seen == expected
    assert pages == 3 and len(seen) == 121


def test_without_javascript_show_older_opens_the_page_from_there(client_as: Any, contact: Contact) -> None:
    made = [event(at=NOW - dt.timedelta(minutes=n), contact=contact, path=f"/p{n}", title=f"Page {n}")
            for n in range(55)]

    first = client_as("viewer").get(f"/contacts/{contact.pk}/").content.decode()
    link = re.search(r'<a class="btn btn--small" href="(/contacts/\d+/\?cursor=e\d+)#timeline"', first)
    assert link is not None
    older = client_as("viewer").get(link.group(1))

    html = older.content.decode()
    assert "Showing older activity." in text(older)
    assert ids_in(html, "timeline-") == [f"e{e.pk}" for e in made[50:]]
    assert "Show older" not in html


def test_a_cursor_of_another_contact_or_an_unknown_one_shows_nothing(client_as: Any, contact: Contact) -> None:
    other = Contact.objects.create(email="grace@navy.mil")
    theirs = event(at=NOW, contact=other, path="/x", title="Grace's page")
    mine = event(at=NOW - dt.timedelta(hours=1), contact=contact, path="/y", title="Ada's page")
    client = client_as("viewer")

    assert ids_in(client.get(f"/contacts/{contact.pk}/timeline/?cursor=e{theirs.pk}").content.decode(), "timeline-") == []
    assert ids_in(client.get(f"/contacts/{contact.pk}/timeline/?cursor=s999999").content.decode(), "timeline-") == []
    # Not a cursor at all: the newest items.
    assert ids_in(client.get(f"/contacts/{contact.pk}/?cursor=bogus").content.decode(), "timeline-") == [f"e{mine.pk}"]
    assert client.get("/contacts/424242/timeline/").status_code == 404


def test_an_empty_timeline_says_so(client_as: Any, contact: Contact) -> None:
    Contact.objects.filter(pk=contact.pk).update(forms_submitted=0)

    body = text(client_as("viewer").get(f"/contacts/{contact.pk}/"))

    assert "Timeline Visits, forms, emails and stage changes, newest first. Nothing has happened yet" in body
    assert "Attribution No tracked visits or forms yet." in body


def test_the_attribution_panel_shows_first_and_last_touch(client_as: Any, contact: Contact) -> None:
    Campaign.objects.create(name="Spring search", utm_campaign="spring-search", channel="paid_search")
    Contact.objects.filter(pk=contact.pk).update(
        first_source="google", first_medium="cpc", first_campaign="Spring-Search",
        first_seen_at=NOW - dt.timedelta(days=3), first_offer="Lead scoring guide",
        last_source="newsletter", last_medium="email", last_campaign="march-issue",
        last_seen_at=NOW - dt.timedelta(minutes=5), last_offer="Demo request", forms_submitted=2,
    )

    with clock.frozen(NOW):
        body = text(client_as("sales_rep").get(f"/contacts/{contact.pk}/"))

    assert (
        "Attribution First touch seen by Accord's tracking. First touch Source google Medium cpc Campaign Spring search "
        "When 3 days ago · 11 Mar 2025, 15:30 First offer Lead scoring guide "
        "Last touch Source newsletter Medium email Campaign march-issue "
        "Last seen 5 min ago · 14 Mar 2025, 15:25 Last offer Demo request 2 forms submitted"
    ) in body


def test_the_contact_page_reads_a_fixed_number_of_rows(
    client_as: Any, contact: Contact, users: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    campaign = Campaign.objects.create(name="Spring search", utm_campaign="spring-search")
    for n in range(80):
        event(at=NOW - dt.timedelta(minutes=n), contact=contact, path=f"/p{n}", title=f"Page {n}",
              utm_campaign="spring-search", campaign=campaign)
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])
    client = client_as("viewer")
    middle = Event.objects.order_by("id")[40].pk

    with django_assert_max_num_queries(13):  # … and the SLA card: the latest hand-off
        assert client.get(f"/contacts/{contact.pk}/").status_code == 200
    with django_assert_max_num_queries(7):  # the session, the user, the contact, the cursor, events, stage changes, browser keys
        assert client.get(f"/contacts/{contact.pk}/timeline/?cursor=e{middle}").status_code == 200


# --------------------------------------------------------------------------- recent activity


def feed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="activity__item[^"]*" id="event-(\d+)"', html)]


@pytest.mark.parametrize("role", ["admin", "marketing", "sales_rep", "sales_manager", "viewer"])
def test_every_signed_in_role_reads_recent_activity(client_as: Any, role: str, contact: Contact) -> None:
    event(at=NOW, contact=contact, path="/pricing", title="Pricing")

    response = client_as(role).get("/activity/")

    assert response.status_code == 200
    assert '<a href="/activity/" aria-current="page">Activity</a>' in response.content.decode()
    assert "Recent activity" in text(response)


def test_the_feed_shows_the_latest_hundred_events_newest_first(client_as: Any, contact: Contact) -> None:
    made = [event(at=NOW - dt.timedelta(minutes=200 - n), path=f"/p{n}", title=f"Page {n}") for n in range(103)]
    form = event(
        "track", at=NOW - dt.timedelta(seconds=30), contact=contact, name="Form Submitted", path="/demo",
        offer="Demo request", properties={"form": "demo-request", "offer": "Demo request"},
        utm_source="google", utm_medium="cpc", utm_campaign="brand",
    )

    with clock.frozen(NOW):
        response = client_as("viewer").get("/activity/")

    html = response.content.decode()
    assert feed(html) == [form.pk, *[e.pk for e in reversed(made)][:99]]
    rows = re.findall(r'<li class="activity__item.*?</li>', html, re.S)
    as_text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    assert as_text[0] == "Submitted a form Demo request demo-request · /demo Ada Lovelace brand google / cpc " \
                         "30 s ago · 14 Mar 2025, 15:29"
    assert as_text[1] == "Viewed a page Page 102 /p102 Anonymous visitor 1a2b3c4d 1 h ago · 14 Mar 2025, 13:52"
    assert f'<a href="/contacts/{contact.pk}/">Ada Lovelace</a>' in html
    assert f'hx-get="/activity/?after={form.pk}"' in html and 'hx-trigger="every 3s"' in html
    assert 'hx-swap="afterbegin"' in html and 'hx-target="#activity-feed"' in html


def test_polling_answers_only_what_is_newer_with_the_next_after(client_as: Any, contact: Contact) -> None:
    old = [event(at=NOW - dt.timedelta(minutes=n), path=f"/old{n}", title=f"Old {n}") for n in range(3)]
    client = client_as("sales_rep")
    newest = old[-1].pk

    nothing = client.get(f"/activity/?after={newest}", HTTP_HX_REQUEST="true")
    assert feed(nothing.content.decode()) == []
    assert f'hx-get="/activity/?after={newest}"' in nothing.content.decode()

    fresh = [event(at=NOW, contact=contact, path="/pricing", title="Pricing"),
             event(at=NOW, path="/blog", title="Blog", anonymous_id="ffeeddcc-0000-4000-8000-000000000001")]
    with clock.frozen(NOW + dt.timedelta(seconds=2)):
        response = client.get(f"/activity/?after={newest}", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html
    assert feed(html) == [fresh[1].pk, fresh[0].pk]
    assert "Anonymous visitor ffeeddcc" in html
    poller = re.search(r'<div id="activity-poll"[^>]*>', html)
    assert poller is not None
    assert f'hx-get="/activity/?after={fresh[1].pk}"' in poller.group(0) and 'hx-swap-oob="true"' in poller.group(0)
    hour = re.search(r'<div id="activity-hour" hx-swap-oob="true">(.*?)</dl>', html, re.S)
    assert hour is not None
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", hour.group(1))).strip() == (
        "5 events in the last 60 minutes Page views 5 Forms 0 Emails 0 Other 0"
    )
    assert '<div id="minutes-data-box" hx-swap-oob="true">' in html


def test_filters_narrow_the_feed_and_its_polls(client_as: Any, contact: Contact) -> None:
    page = event(at=NOW, path="/pricing", title="Pricing")
    identify = event("identify", at=NOW, contact=contact, properties={"email": "ada@acme.com"})
    form = event("track", at=NOW, contact=contact, name="Form Submitted", offer="Guide",
                 properties={"form": "f", "offer": "Guide"})
    opened = event("track", at=NOW, contact=contact, name="Email Opened", anonymous_id="", user_id="ada@acme.com")
    client = client_as("marketing")

    assert feed(client.get("/activity/?type=page").content.decode()) == [page.pk]
    assert feed(client.get("/activity/?type=track").content.decode()) == [opened.pk, form.pk]
    assert feed(client.get("/activity/?type=identify").content.decode()) == [identify.pk]
    only_forms = client.get("/activity/?forms=1").content.decode()
    assert feed(only_forms) == [form.pk]
    assert f'hx-get="/activity/?after={opened.pk}&amp;forms=1"' in only_forms
    assert '<input type="checkbox" id="activity-forms" name="forms" value="1" checked>' in only_forms
    # A filter swapped in by htmx: only the live part of the page.
    live = client.get("/activity/?type=page", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="activity-live")
    assert live.content.decode().lstrip().startswith('<div id="activity-live"')

    later_page = event(at=NOW, path="/demo", title="Demo")
    later_form = event("track", at=NOW, contact=contact, name="Form Submitted", offer="Demo request",
                       properties={"form": "demo-request", "offer": "Demo request"})
    poll = client.get(f"/activity/?after={opened.pk}&forms=1", HTTP_HX_REQUEST="true").content.decode()
    assert feed(poll) == [later_form.pk]
    assert f'hx-get="/activity/?after={later_form.pk}&amp;forms=1"' in poll
    poll = client.get(f"/activity/?after={later_form.pk}&type=page").content.decode()
    assert feed(poll) == [] and f'after={later_form.pk}&amp;type=page' in poll
    assert later_page.pk < later_form.pk


def test_no_events_yet(client_as: Any, db: Any) -> None:
    with clock.frozen(NOW):
        body = text(client_as("viewer").get("/activity/"))

    assert "Last hour 0 events in the last 60 minutes Page views 0 Forms 0 Emails 0 Other 0" in body
    assert "No events yet. New ones will appear here." in body
    assert "No events match these filters." in text(client_as("viewer").get("/activity/?forms=1"))


def test_the_last_hour_is_counted_and_charted_by_minute(client_as: Any, db: Any) -> None:
    for minutes in (0, 10, 59):
        event(at=NOW - dt.timedelta(minutes=minutes), path="/x", title="X")
    event("track", at=NOW - dt.timedelta(minutes=10), name="Form Submitted", offer="Guide")
    event("track", at=NOW - dt.timedelta(minutes=10), name="Email Clicked", anonymous_id="", user_id="a@b.co")
    event(at=NOW - dt.timedelta(minutes=61), path="/x", title="X")
    event(at=NOW + dt.timedelta(minutes=5), path="/x", title="From a clock ahead")  # not yet

    with clock.frozen(NOW):
        response = client_as("viewer").get("/activity/")

    html = response.content.decode()
    assert '<p class="stat__value" id="activity-hour-count">5</p>' in html
    assert "Page views 3 Forms 1 Emails 1 Other 0" in text(response)
    chart = json.loads(re.search(r'<script id="minutes-data" type="application/json">(.*?)</script>', html).group(1))
    bars = dict(zip(chart["data"][0]["x"], chart["data"][0]["y"], strict=True))
    minutes = list(bars)
    assert (len(minutes), minutes[0], minutes[-1]) == (60, "14:31", "15:30")
    assert (bars["14:31"], bars["15:20"], bars["15:30"], sum(bars.values())) == (1, 3, 1, 5)


def test_the_feed_walks_the_primary_key_backwards(db: Any) -> None:
    """The list query is ORDER BY id DESC LIMIT 100, answered from the primary key without sorting."""
    at = NOW - dt.timedelta(days=1)
    rows = []
    for n in range(3000):
        message_id = str(uuid.uuid4())
        rows.append(Event(message_id=message_id, message_key=message_key(message_id), type="page",
                          anonymous_id=ANON, timestamp=at, received_at=at, path=f"/p{n % 40}"))
    Event.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    query = queries.recent_events_query()

    sql = str(query.query)
    assert sql.endswith('ORDER BY "tracking_event"."id" DESC LIMIT 100')
    plan = query.explain()
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in plan and "SCAN tracking_event" in plan
    else:
        assert "Index Scan Backward using tracking_event_pkey" in plan and "Sort" not in plan
