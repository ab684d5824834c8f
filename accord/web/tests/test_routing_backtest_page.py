"""The routing backtest page from a draft's sign-off screen: each side's load per rep and team."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.accounts.models import Membership, Team, User
from accord.contacts.models import Account, Contact
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.lifecycle import actions
from accord.playbook import actions as playbook

pytestmark = pytest.mark.django_db
DEFAULT = yaml.safe_load((Path(__file__).resolve().parents[2] / "playbook" / "default.yaml").read_text())
NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def test_the_page_shows_both_sides_load_and_the_owner_changes(client_as: Any, users: dict[str, User]) -> None:
    americas = Team.objects.create(name="SDR Americas", side="sales")
    emea = Team.objects.create(name="SDR EMEA", side="sales")
    for team, name in ((americas, "Ann"), (americas, "Bob"), (emea, "Eva")):
        user = User.objects.create_user(f"{name.lower()}@example.com", "pw", name=name, role="sales_rep")
        Membership.objects.create(team=team, user=user)
    for n, country in enumerate(["US", "DE", "US"]):
        contact = Contact.objects.create(email=f"c{n}@co.io", consent=True, forms_submitted=1,
                                         account=Account.objects.create(name=f"Co {n}", country=country))  # fmt: skip
        given_scores(contact, fit_grade="A", fit_score=70, interest_score=55, quadrant="ready")
        with clock.frozen(NOW - dt.timedelta(days=2, hours=-n)):
            actions.contact_apply_rules(contact=Contact.objects.get(pk=contact.pk))
    data = copy.deepcopy(DEFAULT)
    del data["routing"]["rules"][1]
    draft = playbook.playbook_draft_create(source=yaml.safe_dump(data), acting_user=users["admin"])

    with clock.frozen(NOW):
        response = client_as("sales_manager").get(f"/playbook/versions/{draft.number}/routing-backtest/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "3 MQLs from" in html
    assert "Hand-offs whose owner changes</th><td class=\"num\" colspan=\"2\">2</td>" in html
    assert '<th scope="row">Eva</th><td class="num">1</td><td class="num">0</td>' in html
    assert '<th scope="row">SDR EMEA</th><td class="num">1</td><td class="num">0</td>' in html


def test_a_bad_window_is_named(client_as: Any, users: dict[str, User]) -> None:
    draft = playbook.playbook_draft_create(source=yaml.safe_dump(DEFAULT), acting_user=users["admin"])
    response = client_as("viewer").get(f"/playbook/versions/{draft.number}/routing-backtest/?from=yesterday")
    assert response.status_code == 422
    assert "not a date" in response.content.decode()
