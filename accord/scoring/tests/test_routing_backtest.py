"""`accord routing backtest`: the period's real MQLs routed again under a draft's routing.

Given two teams, three contacts that became MQLs (routed by the active default: SDR Americas,
round robin) and a draft that sends German accounts to SDR EMEA, when the backtest runs from the
command line, then it prints each side's load per rep and team and the owner changes, and a file
with a mistake is refused path by path with exit code 2.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.accounts.models import Membership, Team, User
from accord.contacts.models import Account, Contact
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.lifecycle import actions
from accord.lifecycle.models import Handoff

DEFAULT = yaml.safe_load((Path(__file__).resolve().parents[2] / "playbook" / "default.yaml").read_text())
NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def history(users: dict[str, User]) -> None:
    americas = Team.objects.create(name="SDR Americas", side="sales")
    emea = Team.objects.create(name="SDR EMEA", side="sales")
    for team, email in ((americas, "ann@example.com"), (americas, "bob@example.com"), (emea, "eva@example.com")):
        Membership.objects.create(team=team, user=User.objects.create_user(email, "pw", name=email[:3].title(),
                                                                             role="sales_rep"))  # fmt: skip
    for n, country in enumerate(["US", "DE", "US"]):
        account = Account.objects.create(name=f"Co {n}", country=country)
        contact = Contact.objects.create(email=f"c{n}@co{n}.io", consent=True, forms_submitted=1, account=account)
        given_scores(contact, fit_grade="A", fit_score=70, interest_score=55, quadrant="ready")
        with clock.frozen(NOW - dt.timedelta(days=3, hours=-n)):
            actions.contact_apply_rules(contact=Contact.objects.get(pk=contact.pk))
    assert Handoff.objects.count() == 3


def draft_file(tmp_path: Path, routing: dict) -> str:
    data = copy.deepcopy(DEFAULT)
    data["routing"] = routing
    path = tmp_path / "draft.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.mark.django_db
def test_the_backtest_prints_both_sides_load_and_the_owner_changes(history, tmp_path):
    routing = copy.deepcopy(DEFAULT["routing"])
    del routing["rules"][1]  # no EMEA rule: everyone goes to SDR Americas
    out, err = io.StringIO(), io.StringIO()
    with clock.frozen(NOW):
        call_command("routing", "backtest", draft_file(tmp_path, routing), "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    ann, bob, eva = (User.objects.get(email=e).pk for e in ("ann@example.com", "bob@example.com", "eva@example.com"))
    # the active playbook sends the German account to SDR EMEA (eva) and round-robins the rest;
    # the draft round-robins all three in SDR Americas
    assert result["mqls"] == 3
    assert result["active"]["per_rep"] == {str(ann): 1, str(eva): 1, str(bob): 1}
    assert result["draft"]["per_rep"] == {str(ann): 2, str(bob): 1}
    assert result["active"]["per_team"] == {"SDR Americas": 2, "SDR EMEA": 1}
    assert result["owner_changes"] == 2  # the 2nd goes to bob instead of eva, so the 3rd to ann instead of bob
    assert "3 MQLs from" in err.getvalue()


@pytest.mark.django_db
def test_the_table_names_reps_and_teams(history, tmp_path):
    out = io.StringIO()
    with clock.frozen(NOW):
        call_command("routing", "backtest", draft_file(tmp_path, DEFAULT["routing"]), stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "Routing backtest of draft.yaml: 3 MQLs" in text
    assert "  SDR Americas " in text and "  Ann " in text, text
    assert "owner changes" in text.splitlines()[-1] and text.splitlines()[-1].endswith(" 0")


@pytest.mark.django_db
def test_a_draft_with_a_mistake_is_refused_by_path(tmp_path, capsys):
    routing = {"default": {"team": "SDR Americas", "method": "weighted", "weights": {"ann@example.com": 0}}}
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("routing", "backtest", draft_file(tmp_path, routing), stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 2
    assert "routing.default.weights.ann@example.com: must be greater than 0" in err.getvalue()


@pytest.mark.django_db
def test_the_sides_replayed_in_a_process_of_their_own_match_those_replayed_here(history, tmp_path, monkeypatch):
    from accord.scoring import routing_backtest

    routing = copy.deepcopy(DEFAULT["routing"])
    del routing["rules"][1]
    path = draft_file(tmp_path, routing)
    results = []
    for parallel_from in (10**9, 0):  # here, then the draft's side in a spawned process
        monkeypatch.setattr(routing_backtest, "PARALLEL_FROM", parallel_from)
        out = io.StringIO()
        with clock.frozen(NOW):
            call_command("routing", "backtest", path, "--json", stdout=out, stderr=io.StringIO())
        results.append(json.loads(out.getvalue()))
    assert results[0] == results[1]
    assert results[1]["draft"]["per_team"] == {"SDR Americas": 3}


@pytest.mark.django_db
def test_each_reps_response_time_is_the_median_of_their_first_touches(history):
    from accord.scoring.routing_backtest import response_hours

    ann, eva = (User.objects.get(email=e) for e in ("ann@example.com", "eva@example.com"))
    assigned = NOW - dt.timedelta(days=1)
    Handoff.objects.update(owner=ann, assigned_at=assigned, first_touch_at=None)
    first, second, third = Handoff.objects.order_by("pk")
    for handoff, touched in ((first, assigned + dt.timedelta(hours=1)), (second, assigned + dt.timedelta(hours=4))):
        Handoff.objects.filter(pk=handoff.pk).update(first_touch_at=touched)
    # a touch logged before the assignment (the rep called first, then took it) waits 0 hours
    Handoff.objects.filter(pk=third.pk).update(owner=eva, first_touch_at=assigned - dt.timedelta(hours=2))
    assert response_hours() == {ann.pk: 2.5, eva.pk: 0.0}  # ann: the median of 1 h and 4 h
