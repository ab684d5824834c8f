"""Deals through the screens: the list and its filters, a deal's page with Win and Lose, the board."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.contacts.models import Contact
from accord.deals.actions import deal_create, deal_win
from accord.deals.models import Deal, DealChange
from accord.web.tests.handoffs import qualified, sales_teams

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(users: dict[str, Any]) -> dict[str, Any]:
    return sales_teams(users)


def opened(
    users: dict[str, Any], email: str, name: str, amount: str, currency: str = "USD", owner: str = "sales_rep"
) -> Deal:
    handoff = qualified(users, email=email, first_name=name)
    return deal_create(contact=handoff.contact, acting_user=users[owner], name=name, amount=amount, currency=currency,
                       expected_close=dt.date(2027, 6, 30))  # fmt: skip


@pytest.fixture
def deal(users: dict[str, Any], teams: dict[str, Any]) -> Deal:
    return opened(users, "ada@acme.io", "Acme rollout", "12500")


def field_error(response: Any, control: str) -> str:
    found = re.search(rf'id="{control}-error">(.*?)</p>', response.content.decode(), re.S)
    return html.unescape(found.group(1)) if found else ""


def test_the_list_shows_amounts_with_their_currency_and_filters_by_stage_and_owner(
    client_as: Any, users: dict[str, Any], teams: dict[str, Any], deal: Deal
) -> None:
    yen = opened(users, "ken@tokyo.jp", "Tokyo pilot", "1500000", "JPY", owner="sales_manager")
    deal_win(deal=yen, acting_user=users["sales_manager"])
    client = client_as("viewer")

    every = client.get("/deals/")
    won = client.get("/deals/?stage=won")
    mine = client.get(f"/deals/?owner={users['sales_rep'].pk}")
    bad = client.get("/deals/?stage=maybe&owner=x")

    assert [r.amount for r in every.context["rows"]] == ["JPY 1,500,000", "USD 12,500.00"]
    assert "USD 12,500.00" in every.content.decode() and "JPY 1,500,000" in every.content.decode()
    assert [r.deal.pk for r in won.context["rows"]] == [yen.pk]
    assert [r.deal.pk for r in mine.context["rows"]] == [deal.pk]
    assert len(bad.context["rows"]) == 2  # a bad value drops only its own filter


def test_the_list_and_the_board_make_a_fixed_number_of_queries(
    client_as: Any, users: dict[str, Any], teams: dict[str, Any], deal: Deal
) -> None:
    client = client_as("viewer")
    counts = []
    for extra in range(2):
        if extra:
            for n in range(3):
                opened(users, f"more{n}@acme.io", f"More {n}", "100")
        for url in ("/deals/", "/deals/board/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries.captured_queries))
    assert counts[:2] == counts[2:]


def test_the_deal_page_shows_its_contacts_and_history(client_as: Any, deal: Deal) -> None:
    response = client_as("sales_rep").get(f"/deals/{deal.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<dd id="deal-amount">USD 12,500.00</dd>' in page
    assert "Acme rollout" in page and ">Primary</span>" in page
    assert [(r.label, r.actor, r.text) for r in response.context["history"]] == [
        ("Created", "Sales Rep", "USD 12,500.00")
    ]
    assert ">Win</button>" in page and ">Lose deal</button>" in page


def test_winning_a_deal(client_as: Any, deal: Deal) -> None:
    client = client_as("sales_rep")
    response = client.post(f"/deals/{deal.pk}/win/")

    assert (response.status_code, response["Location"]) == (303, f"/deals/{deal.pk}/")
    deal.refresh_from_db()
    assert deal.stage == "won"
    assert Contact.objects.get(pk=deal.primary_contact_id).stage == "customer"
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Won Acme rollout." in page and ">Win</button>" not in page


def test_losing_a_deal_with_a_reason(client_as: Any, deal: Deal) -> None:
    client = client_as("sales_rep")
    response = client.post(f"/deals/{deal.pk}/lose/", {"reason": "competitor_won", "note": "Went with Foo"})

    assert response.status_code == 303
    deal.refresh_from_db()
    assert (deal.stage, deal.loss_reason, deal.loss_note) == ("lost", "competitor_won", "Went with Foo")
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert '<dd id="deal-loss">Chose a competitor: Went with Foo</dd>' in page


@pytest.mark.parametrize(
    ("posted", "control", "message"),
    [
        ({"reason": ""}, "lose-reason", "A loss reason is required"),
        ({"reason": "boredom"}, "lose-reason", "Unknown loss reason 'boredom'; choose from price, competitor_won, no_decision, missing_feature, other"),
        ({"reason": "other", "note": ""}, "lose-note", "The reason 'Other' needs a note"),
    ],
)  # fmt: skip
def test_a_refused_loss_says_why_next_to_the_field_and_writes_nothing(
    client_as: Any, deal: Deal, posted: dict[str, str], control: str, message: str
) -> None:
    response = client_as("sales_rep").post(f"/deals/{deal.pk}/lose/", posted)

    assert response.status_code == 422
    assert field_error(response, control) == message
    assert '<details class="queue-action" open>' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == "open"
    assert list(DealChange.objects.filter(deal=deal).values_list("kind", flat=True)) == ["created"]


def test_a_deal_closed_already_says_so(client_as: Any, deal: Deal) -> None:
    client = client_as("sales_rep")
    client.post(f"/deals/{deal.pk}/win/")
    again = client.post(f"/deals/{deal.pk}/lose/", {"reason": "price"})
    assert again.status_code == 409
    assert "Cannot lose the deal: it is won already" in again.content.decode()


def test_a_viewer_sees_no_win_or_lose_and_may_not_close(client_as: Any, deal: Deal) -> None:
    client = client_as("viewer")
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert ">Win</button>" not in page and "Lose deal" not in page

    refused = client.post(f"/deals/{deal.pk}/win/")

    assert refused.status_code == 403
    assert (
        "Only RevOps admins, sales reps and sales managers can create, win or lose deals." in refused.content.decode()
    )
    deal.refresh_from_db()
    assert deal.stage == "open"


def test_the_board_shows_each_stage_with_its_totals(
    client_as: Any, users: dict[str, Any], teams: dict[str, Any], deal: Deal
) -> None:
    second = opened(users, "bo@acme.io", "Bo expansion", "2500.50")
    lost = opened(users, "cy@acme.io", "Cy renewal", "900", "EUR")
    won = opened(users, "di@acme.io", "Di upsell", "100")
    deal_win(deal=won, acting_user=users["sales_rep"])
    client_as("sales_rep").post(f"/deals/{lost.pk}/lose/", {"reason": "price"})

    response = client_as("viewer").get("/deals/board/")

    assert response.status_code == 200
    columns = {c.stage: (c.count, c.totals, [r.deal.pk for r in c.rows]) for c in response.context["columns"]}
    assert columns == {
        "open": (2, ["USD 15,000.50 (2)"], [second.pk, deal.pk]),
        "won": (1, ["USD 100.00 (1)"], [won.pk]),
        "lost": (1, ["EUR 900.00 (1)"], [lost.pk]),
    }
    assert '<p class="board__totals small" id="column-open-totals">USD 15,000.50 (2)</p>' in response.content.decode()


def test_an_unknown_deal_is_not_found(client_as: Any, teams: dict[str, Any]) -> None:
    client = client_as("sales_rep")
    assert client.get("/deals/999/").status_code == 404
    assert client.post("/deals/999/win/").status_code == 404
