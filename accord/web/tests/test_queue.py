"""The rep's queue and the manager's team view: each row action through the screen, who may do
what, refusals shown next to their field with nothing written."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.test import Client

from accord.accounts.away import user_set_away
from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.core import clock
from accord.core.models import AuditEntry
from accord.deals.models import Deal
from accord.lifecycle.models import Handoff, HandoffChange, Touch
from accord.web.tests.handoffs import qualified, sales_teams

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def teams(users: dict[str, Any]) -> dict[str, Any]:
    return sales_teams(users)


@pytest.fixture
def ada(users: dict[str, Any], teams: dict[str, Any]) -> Handoff:
    """Ada's hand-off, routed to the sales rep (SDR Americas), with the score breakdown handed over."""
    return qualified(users, email="ada@acme.io", first_name="Ada", last_name="Lovelace", breakdown=True)


@pytest.fixture
def bo(users: dict[str, Any], teams: dict[str, Any]) -> Handoff:
    """Bo's hand-off, routed to the second rep (an account in GB: SDR EMEA)."""
    return qualified(users, email="bo@bristol.co.uk", first_name="Bo", last_name="Brown", country="GB")


def field_error(response: Any, control: str) -> str:
    """The message shown next to the control whose id is `control`, as a person reads it."""
    found = re.search(rf'id="{control}-error">(.*?)</p>', response.content.decode(), re.S)
    return html.unescape(found.group(1)) if found else ""


def said(message: str) -> str:
    return message[0].upper() + message[1:]


def changes(handoff: Handoff) -> list[str]:
    return list(HandoffChange.objects.filter(handoff=handoff).values_list("kind", flat=True))


# --- landing ---------------------------------------------------------------------------------------


def test_a_sales_rep_lands_on_their_queue_after_signing_in(users: dict[str, Any]) -> None:
    from conftest import PASSWORD

    client = Client()
    response = client.post("/login/", {"username": "sales_rep@example.com", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (303, "/")
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/queue/")
    assert client.get("/overview/").status_code == 200


@pytest.mark.parametrize("role", ["admin", "marketing", "sales_manager", "viewer"])
def test_other_roles_keep_the_overview_as_their_home(client_as: Any, role: str) -> None:
    response = client_as(role).get("/")
    assert response.status_code == 200 and "Location" not in response
    assert response.templates[0].name == "web/overview.html"


@pytest.mark.parametrize(
    ("role", "queue", "deals"),
    [("sales_rep", True, True), ("sales_manager", True, True), ("admin", True, True), ("marketing", False, False),
     ("viewer", False, True)],
)  # fmt: skip
def test_the_navigation_shows_queue_and_deals_to_those_who_use_them(
    client_as: Any, role: str, queue: bool, deals: bool
) -> None:
    html = client_as(role).get("/contacts/").content.decode()
    assert ('<a href="/queue/">Queue</a>' in html) is queue
    assert ('<a href="/deals/">Deals</a>' in html) is deals


# --- the rep's queue -----------------------------------------------------------------------------


def test_the_queue_lists_my_open_hand_offs_oldest_first_with_why_they_qualified(
    client_as: Any, users: dict[str, Any], teams: dict[str, Any], bo: Handoff
) -> None:
    now = clock.now()
    with clock.frozen(now - dt.timedelta(hours=5)):
        older = qualified(users, email="cy@acme.io", first_name="Cy", last_name="Old")
    with clock.frozen(now - dt.timedelta(hours=2)):
        newer = qualified(users, email="ada@acme.io", first_name="Ada", last_name="Lovelace", breakdown=True)

    with clock.frozen(now):
        response = client_as("sales_rep").get("/queue/")

    assert response.status_code == 200
    rows = response.context["mine"]
    assert [r.handoff.pk for r in rows] == [older.pk, newer.pk]  # Bo's is the other rep's
    assert [(r.contact_name, r.age, r.priority, r.team) for r in rows] == [
        ("Cy Old", "5 h", "high", "SDR Americas"),
        ("Ada Lovelace", "2 h", "high", "SDR Americas"),
    ]
    assert rows[0].score is None and rows[0].why == "Good fit, high interest · High priority"
    # The breakdown the MQL rule stored, as the scoring engine worked it out (from the contact's facts).
    assert rows[1].score is not None and (rows[1].score.grade, rows[1].score.fit) == ("D", 0)
    assert [r.rule for r in rows] == ["Default", "Default"]
    html = response.content.decode()
    assert (
        "Fit D (0), interest 0 · Poor fit, low interest" in html and "Good fit, high interest · High priority" in html
    )
    assert f'hx-post="/queue/{older.pk}/accept/"' in html and f"/queue/{bo.pk}/" not in html


def test_the_queue_makes_the_same_number_of_queries_for_one_or_many(
    client_as: Any, users: dict[str, Any], ada: Handoff, django_assert_num_queries: Any
) -> None:
    client = client_as("sales_rep")
    client.get("/queue/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/queue/")
    for n in range(3):
        qualified(users, email=f"more{n}@acme.io", first_name=f"More{n}", breakdown=True)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/queue/")
    assert len(response.context["mine"]) == 4


def test_accepting_updates_the_row_in_place(client_as: Any, ada: Handoff) -> None:
    response = client_as("sales_rep").post(f"/queue/{ada.pk}/accept/", **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="card queue-item queue-item--high" id="handoff-{ada.pk}"')
    assert "Accepted Ada Lovelace." in html and ">Accepted</span>" in html
    assert "Log touch" in html and f"/queue/{ada.pk}/reject/" not in html
    ada.refresh_from_db()
    assert ada.state == "accepted"
    assert Contact.objects.get(pk=ada.contact_id).stage == "sql"


def test_without_scripts_an_action_comes_back_to_the_queue(client_as: Any, ada: Handoff) -> None:
    client = client_as("sales_rep")
    response = client.post(f"/queue/{ada.pk}/accept/")
    assert (response.status_code, response["Location"]) == (303, "/queue/")
    assert "Accepted Ada Lovelace." in client.get("/queue/").content.decode()


def test_rejecting_with_a_reason_takes_the_row_out(client_as: Any, ada: Handoff) -> None:
    response = client_as("sales_rep").post(f"/queue/{ada.pk}/reject/", {"reason": "no_budget", "note": ""}, **HX)

    assert response.status_code == 200
    assert "Rejected Ada Lovelace: No budget." in response.content.decode()
    assert 'class="card queue-item queue-item--done"' in response.content.decode()
    ada.refresh_from_db()
    assert (ada.state, ada.reason) == ("rejected", "no_budget")
    assert Contact.objects.get(pk=ada.contact_id).stage == "recycled"


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"reason": "", "note": ""}, "reason", "a reject reason is required"),
        ({"reason": "bored", "note": ""}, "reason", "unknown reject reason 'bored'; choose from not_decision_maker, no_budget, wrong_contact_data, already_in_pipeline, other"),
        ({"reason": "other", "note": "  "}, "note", "the reason 'Other' needs a note"),
    ],
)  # fmt: skip
def test_a_refused_reject_says_why_next_to_the_field_and_writes_nothing(
    client_as: Any, ada: Handoff, posted: dict[str, str], field: str, message: str
) -> None:
    before = changes(ada)
    response = client_as("sales_rep").post(f"/queue/{ada.pk}/reject/", posted, **HX)

    assert response.status_code == 422
    assert field_error(response, f"reject-{field}-{ada.pk}") == said(message)
    assert f'aria-invalid="true" aria-describedby="reject-{field}-{ada.pk}-error"' in response.content.decode()
    assert '<details class="queue-action" open>' in response.content.decode()
    ada.refresh_from_db()
    assert ada.state == "open" and changes(ada) == before


def test_recycling_needs_a_date_after_today(client_as: Any, ada: Handoff) -> None:
    client = client_as("sales_rep")
    yesterday = (clock.now().date() - dt.timedelta(days=1)).isoformat()

    refused = client.post(f"/queue/{ada.pk}/recycle/", {"reason": "timing", "reengage_on": yesterday}, **HX)

    assert refused.status_code == 422
    assert field_error(refused, f"recycle-reengage-{ada.pk}") == "Must be a date after today"
    ada.refresh_from_db()
    assert ada.state == "open" and changes(ada) == ["routed"]

    later = clock.now().date() + dt.timedelta(days=60)
    done = client.post(f"/queue/{ada.pk}/recycle/", {"reason": "timing", "reengage_on": later.isoformat()}, **HX)

    assert done.status_code == 200
    assert f"Recycled Ada Lovelace: marketing may look again on {later.day} {later:%b %Y}." in done.content.decode()
    ada.refresh_from_db()
    assert (ada.state, ada.reason, ada.reengage_on) == ("recycled", "timing", later)


def test_a_date_that_is_no_date_is_refused_by_name(client_as: Any, ada: Handoff) -> None:
    response = client_as("sales_rep").post(
        f"/queue/{ada.pk}/recycle/", {"reason": "timing", "reengage_on": "soon"}, **HX
    )
    assert response.status_code == 422
    assert field_error(response, f"recycle-reengage-{ada.pk}") == "Enter the date as YYYY-MM-DD"
    assert Handoff.objects.get(pk=ada.pk).state == "open"


def test_logging_a_touch_counts_it_on_the_row(client_as: Any, ada: Handoff) -> None:
    response = client_as("sales_rep").post(
        f"/queue/{ada.pk}/touch/", {"channel": "call", "outcome": "left_message", "note": "Voicemail"}, **HX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Logged a touch: call, left a message." in html
    assert '<dd class="queue-item__touches">1</dd>' in html
    touch = Touch.objects.get()
    assert (touch.handoff_id, touch.channel, touch.outcome, touch.note) == (ada.pk, "call", "left_message", "Voicemail")


def test_a_touch_on_an_unknown_channel_is_refused(client_as: Any, ada: Handoff) -> None:
    response = client_as("sales_rep").post(f"/queue/{ada.pk}/touch/", {"channel": "fax", "outcome": "connected"}, **HX)
    assert response.status_code == 422
    assert field_error(response, f"touch-channel-{ada.pk}") == "Must be one of call, email, meeting, linkedin"
    assert not Touch.objects.exists()


def test_creating_a_deal_from_the_row(client_as: Any, ada: Handoff, users: dict[str, Any]) -> None:
    posted = {"name": "Acme rollout", "amount": "12,500.50", "currency": "usd", "expected_close": "2027-03-31"}
    response = client_as("sales_rep").post(f"/queue/{ada.pk}/deal/", posted, **HX)

    assert response.status_code == 200
    deal = Deal.objects.get()
    assert (deal.name, deal.amount, deal.currency, deal.expected_close, deal.owner) == (
        "Acme rollout", 1250050, "USD", dt.date(2027, 3, 31), users["sales_rep"],
    )  # fmt: skip
    assert f'Created the deal Acme rollout. <a href="/deals/{deal.pk}/">Open the deal</a>' in response.content.decode()


@pytest.mark.parametrize(
    ("posted", "control", "message"),
    [
        ({"name": "Acme", "amount": "-5", "currency": "USD"}, "amount", "must not be negative"),
        ({"name": "Acme", "amount": "100", "currency": "XYZ"}, "currency", "unknown currency 'XYZ'; use an ISO 4217 code such as USD, EUR or GBP"),
        ({"name": "", "amount": "100", "currency": "USD"}, "name", "is required"),
        ({"name": "Acme", "amount": "100", "currency": "USD", "expected_close": "31/03/2027"}, "close", "enter the date as YYYY-MM-DD"),
    ],
)  # fmt: skip
def test_a_refused_deal_says_why_next_to_the_field_and_writes_nothing(
    client_as: Any, ada: Handoff, posted: dict[str, str], control: str, message: str
) -> None:
    response = client_as("sales_rep").post(f"/queue/{ada.pk}/deal/", posted, **HX)

    assert response.status_code == 422
    assert field_error(response, f"deal-{control}-{ada.pk}") == said(message)
    assert f'id="deal-{control}-{ada.pk}"' in response.content.decode()
    assert not Deal.objects.exists()
    assert Contact.objects.get(pk=ada.contact_id).stage == "mql"


# --- who may -------------------------------------------------------------------------------------


def test_a_rep_cannot_act_on_another_reps_hand_off(client_as: Any, ada: Handoff, bo: Handoff) -> None:
    client = client_as("sales_rep")
    message = "This hand-off is rep2@example.com&#x27;s: only its owner or a sales manager can act on it."

    by_htmx = client.post(f"/queue/{bo.pk}/reject/", {"reason": "no_budget"}, **HX)
    plain = client.post(f"/queue/{bo.pk}/accept/")
    deal = client.post(f"/queue/{bo.pk}/deal/", {"name": "Mine", "amount": "1", "currency": "USD"}, **HX)

    assert by_htmx.status_code == 403 and message in by_htmx.content.decode()
    assert (
        plain.status_code == 403
        and f'<div class="alert alert--error" role="alert" id="page-error">{message}</div>' in plain.content.decode()
    )
    assert (
        deal.status_code == 403 and "only its owner or a sales manager can open a deal on it" in deal.content.decode()
    )
    bo.refresh_from_db()
    assert bo.state == "open" and changes(bo) == ["routed"] and not Deal.objects.exists()


def test_a_viewer_sees_no_action_and_may_not_act(client_as: Any, ada: Handoff) -> None:
    client = client_as("viewer")

    team = client.get("/queue/team/")
    refused = client.post(f"/queue/{ada.pk}/accept/", **HX)

    assert team.status_code == 200
    html = team.content.decode()
    assert "Ada Lovelace" in html
    assert ">Reassign</button>" not in html and "Save away dates" not in html and "/accept/" not in html
    assert refused.status_code == 403
    assert "Only RevOps admins, sales reps and sales managers can work hand-offs." in refused.content.decode()
    ada.refresh_from_db()
    assert ada.state == "open"


def test_a_second_answer_to_a_hand_off_is_told_it_was_taken(client_as: Any, ada: Handoff) -> None:
    client = client_as("sales_rep")
    client.post(f"/queue/{ada.pk}/accept/", **HX)
    again = client.post(f"/queue/{ada.pk}/reject/", {"reason": "no_budget"}, **HX)
    assert again.status_code == 409
    assert "The hand-off is accepted already (by sales_rep@example.com)" in again.content.decode()


# --- the manager's view --------------------------------------------------------------------------


def test_the_team_view_puts_the_unassigned_first_and_shows_each_reps_load(
    client_as: Any, users: dict[str, Any], teams: dict[str, Any], ada: Handoff
) -> None:
    today = clock.now().date()
    user_set_away(
        user=teams["rep2"], away_from=today, away_until=today + dt.timedelta(days=4), acting_user=users["admin"]
    )
    queued = qualified(users, email="di@berlin.de", first_name="Di", last_name="Diaz", country="DE")
    assert queued.owner is None  # the only EMEA rep is away: the team's queue

    response = client_as("sales_manager").get("/queue/team/")

    assert response.status_code == 200
    assert [r.handoff.pk for r in response.context["rows"]] == [queued.pk, ada.pk]
    loads = {row.name: (row.open_text, row.today_text, row.away_text) for row in response.context["loads"]}
    until = today + dt.timedelta(days=4)
    assert loads == {
        "Sales Rep": ("1 open (no limit)", "1 today (no limit)", ""),
        "Grace Hopper": ("0 open (no limit)", "0 today (no limit)",
                         f"Away {today.day} {today:%b %Y} – {until.day} {until:%b %Y}"),
    }  # fmt: skip
    html = response.content.decode()
    assert ">Unassigned</span>" in html and html.count(">Reassign</button>") == 2


def test_a_manager_reassigns_a_hand_off_with_a_reason(
    client_as: Any, users: dict[str, Any], teams: dict[str, Any], ada: Handoff
) -> None:
    client = client_as("sales_manager")
    rep2 = teams["rep2"]

    refused = client.post(f"/queue/{ada.pk}/reassign/", {"owner": str(rep2.pk), "reason": ""}, **HX)
    assert refused.status_code == 422
    assert field_error(refused, f"reassign-reason-{ada.pk}") == "Say why the hand-off is reassigned"
    assert Handoff.objects.get(pk=ada.pk).owner == users["sales_rep"]

    done = client.post(f"/queue/{ada.pk}/reassign/", {"owner": str(rep2.pk), "reason": "Speaks Portuguese"}, **HX)

    assert done.status_code == 200
    assert "Reassigned to Grace Hopper." in done.content.decode()
    ada.refresh_from_db()
    assert ada.owner == rep2
    assert HandoffChange.objects.filter(handoff=ada, kind="reassigned").get().note == "Speaks Portuguese"


def test_a_rep_leading_no_team_may_not_open_the_team_view_or_reassign(
    client_as: Any, teams: dict[str, Any], ada: Handoff
) -> None:
    client = client_as("sales_rep")
    assert client.get("/queue/team/").status_code == 403
    refused = client.post(f"/queue/{ada.pk}/reassign/", {"owner": str(teams["rep2"].pk), "reason": "x"})
    assert refused.status_code == 403
    assert "Only sales managers and the team&#x27;s manager can reassign a hand-off." in refused.content.decode()
    assert Handoff.objects.get(pk=ada.pk).owner_id != teams["rep2"].pk


def test_a_manager_sets_a_reps_away_dates(client_as: Any, teams: dict[str, Any]) -> None:
    rep2: User = teams["rep2"]
    client = client_as("sales_manager")

    response = client.post(f"/queue/team/away/{rep2.pk}/", {"away_from": "2027-01-04", "away_until": "2027-01-08"})

    assert (response.status_code, response["Location"]) == (303, "/queue/team/")
    rep2.refresh_from_db()
    assert (rep2.away_from, rep2.away_until) == (dt.date(2027, 1, 4), dt.date(2027, 1, 8))
    entry = AuditEntry.objects.get(action="user_set_away")
    assert (entry.before, entry.after) == (
        {"away_from": None, "away_until": None}, {"away_from": "2027-01-04", "away_until": "2027-01-08"},
    )  # fmt: skip
    assert "Grace Hopper: away 4 jan 2027 – 8 jan 2027." in client.get("/queue/team/").content.decode()


def test_away_dates_that_end_before_they_start_are_refused(client_as: Any, teams: dict[str, Any]) -> None:
    rep2: User = teams["rep2"]
    response = client_as("sales_manager").post(
        f"/queue/team/away/{rep2.pk}/", {"away_from": "2027-01-08", "away_until": "2027-01-04"}
    )

    assert response.status_code == 422
    assert response.context["away_failure"]["errors"] == {"away_until": "must be on or after the first day away"}
    assert f'id="away-until-{rep2.pk}-error">Must be on or after the first day away</p>' in response.content.decode()
    rep2.refresh_from_db()
    assert (rep2.away_from, rep2.away_until) == (None, None)
    assert not AuditEntry.objects.filter(action="user_set_away").exists()


def test_only_sales_managers_and_admins_set_away_dates(
    client_as: Any, users: dict[str, Any], teams: dict[str, Any]
) -> None:
    rep2: User = teams["rep2"]
    refused = client_as("sales_rep").post(f"/queue/team/away/{rep2.pk}/", {"away_from": "2027-01-04"})
    assert refused.status_code == 403
    rep2.refresh_from_db()
    assert rep2.away_from is None


def test_every_form_posts_with_a_csrf_token(users: dict[str, Any], ada: Handoff) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["sales_rep"])
    assert client.post(f"/queue/{ada.pk}/accept/").status_code == 403
    assert Handoff.objects.get(pk=ada.pk).state == "open"
    html = client.get("/queue/").content.decode()
    assert html.count('<form method="post"') == html.count('name="csrfmiddlewaretoken"') - 0
