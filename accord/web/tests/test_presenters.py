"""Presenters format; they never query. Given what the selectors of the overview, the activity
feed, a contact's timeline, an account's page and the playbook read, when the presenters turn it
into what the templates show, then not one query runs, and the rows say exactly what they should
(the sender of an event named from what the feed read, a browser key's identify shown as a form
submission, the campaign by name)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.accounts.actions import apikey_create
from accord.accounts.models import User
from accord.accounts.queries import browser_key_prefixes
from accord.campaigns.models import Campaign
from accord.contacts.models import Contact
from accord.contacts.queries import account_contacts
from accord.core import clock
from accord.lifecycle.actions import contact_advance_by_rule
from accord.lifecycle.queries import contacts_by_stage, recent_changes, weekly_changes
from accord.playbook.queries import active_playbook
from accord.scoring import queries as scoring_queries
from accord.scoring.queries import model_of
from accord.tracking.queries import events_per_minute, events_since, recent_events
from accord.web import queries
from accord.web.presenters import scoreboard as scoreboard_present
from accord.web.presenters.activity import event_row, minutes_chart, sender_label
from accord.web.presenters.common import stage_count_rows, stage_labels
from accord.web.presenters.contacts import timeline_page
from accord.web.presenters.history import history_rows
from accord.web.presenters.overview import funnel_chart, weekly_chart
from accord.web.presenters.playbook import playbook_view
from accord.web.presenters.scores import heating_rows, quadrant_counts
from accord.web.tests.test_activity import SITE, event

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 14, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def workspace(contact: Contact, users: dict[str, User]) -> dict[str, Any]:
    """A contact who came through a campaign, sent a web form with a browser key and became a
    lead by rule; an anonymous visitor who viewed a page."""
    key, _ = apikey_create(name="Website", scopes="browser", acting_user=users["admin"])
    spring = Campaign.objects.create(name="Spring search", utm_campaign="spring-search", channel="paid_search")
    pricing = event(
        at=NOW - dt.timedelta(minutes=30), contact=contact, path="/pricing", title="Pricing | Acme",
        url=SITE + "/pricing?utm_campaign=spring-search", utm_source="google", utm_medium="cpc",
        utm_campaign="spring-search", campaign=spring,
    )
    submitted = event(
        "identify", at=NOW - dt.timedelta(minutes=20), contact=contact, path="/demo", sent_with=key.prefix,
        properties={"email": "ada@acme.com", "firstName": "Ada", "title": "VP Marketing"},
    )
    with clock.frozen(NOW - dt.timedelta(minutes=19)):
        contact_advance_by_rule(contact=contact, to_stage="lead", rule="entry:lead")
    visit = event(at=NOW - dt.timedelta(minutes=5), path="/", title="Acme")
    return {"pricing": pricing, "submitted": submitted, "visit": visit}


def test_the_presenters_of_the_main_screens_run_no_query(
    contact: Contact, workspace: dict[str, Any], django_assert_num_queries: Any
) -> None:
    # Given what each screen's selectors read (as its view calls them)
    version = active_playbook()
    playbook = version.playbook
    by_stage = contacts_by_stage(playbook, Contact.objects.all())
    weeks = weekly_changes(now=NOW)
    recent = recent_changes(10)
    tally = scoring_queries.quadrant_tally(Contact.objects.all())
    model = model_of(version)
    rising = [(Contact.objects.select_related("account").get(pk=contact.pk), 12.5)]
    feed = recent_events()
    browser_keys = browser_key_prefixes()
    minutes = events_per_minute(now=NOW)
    hour = events_since(NOW - dt.timedelta(hours=1), NOW)
    timeline = queries.contact_timeline(contact)
    on_account = contacts_by_stage(playbook, account_contacts(contact.account))

    # When the presenters format it, then no query runs
    with django_assert_num_queries(0):
        labels = stage_labels(playbook)
        counts = stage_count_rows(by_stage, labels)
        overview = {
            "funnel_chart": funnel_chart(counts),
            "weekly_chart": weekly_chart(weeks),
            "recent": history_rows(recent),
            "heating": heating_rows(rising),
            "quadrants": quadrant_counts(tally, model),
        }
        rows = [(event_row(e, browser_keys=browser_keys), sender_label(e)) for e in feed]
        chart = minutes_chart(minutes)
        page = timeline_page(timeline)
        account_counts = [c for c in stage_count_rows(on_account, labels) if c.count]
        view = playbook_view(playbook)
        heating_contact = overview["heating"][0].contact
        heating_text = f"{heating_contact} at {heating_contact.account.name}"

    # and the rows say what the page shows
    assert [(c.label.key, c.count) for c in counts if c.count] == [("lead", 1)]
    assert overview["funnel_chart"]["data"][0]["y"][0] == counts[0].label.name
    assert [(row.actor, row.to_label.key) for row in overview["recent"]] == [("the entry criteria of Lead", "lead")]
    assert heating_text == "Ada Lovelace at Acme Corp"
    assert overview["quadrants"]["unscored"] == 1
    assert [(row.label, row.summary, row.campaign, sender) for row, sender in rows] == [
        ("Viewed a page", "Acme", "", "Anonymous visitor 1a2b3c4d"),
        ("Submitted on a form", "ada@acme.com", "", "Ada Lovelace"),
        ("Viewed a page", "Pricing | Acme", "Spring search", "Ada Lovelace"),
    ]
    assert sum(chart["data"][0]["y"]) == hour.total == 3
    assert [item.key for item in page.items] == [
        f"s{recent[0].pk}", f"e{workspace['submitted'].pk}", f"e{workspace['pricing'].pk}"
    ]
    assert page.next_cursor == ""
    assert [(c.label.key, c.count) for c in account_counts] == [("lead", 1)]
    assert view["name"] == playbook.name


def test_a_timeline_page_ends_with_the_cursor_of_its_last_item(contact: Contact, workspace: dict[str, Any]) -> None:
    first = timeline_page(queries.contact_timeline(contact, limit=2))
    rest = timeline_page(queries.contact_timeline(contact, cursor=first.next_cursor, limit=2))

    assert [item.key for item in first.items][1:] == [first.next_cursor] == [f"e{workspace['submitted'].pk}"]
    assert ([item.key for item in rest.items], rest.next_cursor) == ([f"e{workspace['pricing'].pk}"], "")
    assert timeline_page(queries.contact_timeline(contact, cursor="e999999")).items == []


@pytest.mark.parametrize(
    ("minutes", "q1", "median", "q3", "low", "high"),
    [
        ([12], 12, 12, 12, 12, 12),
        ([10, 20, 30, 40, 50], 20, 30, 40, 10, 50),
        # 400 lies past q3 + 1.5 × IQR (22.75 + 12.75): the upper whisker stops at the last touch inside it
        ([10, 12, 15, 18, 20, 22, 25, 400], 14.25, 19, 22.75, 10, 25),
    ],
)
def test_a_response_box_carries_its_quartiles_and_tukeys_fences(minutes, q1, median, q3, low, high):
    chart = scoreboard_present.response_boxes({"Rep": minutes})
    (box,) = chart["data"]
    figures = (box["q1"], box["median"], box["q3"], box["lowerfence"], box["upperfence"])
    assert figures == ([q1], [median], [q3], [low], [high])
    assert (box["y"], box["orientation"], "x" in box) == (["Rep"], "h", False)  # five numbers, not every touch
