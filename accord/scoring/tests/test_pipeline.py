"""Events move scores as they are ingested, and a score that meets the MQL rule makes an MQL at
once, with the breakdown of why stored on the stage change."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from accord.contacts.actions import account_update, contact_update
from accord.contacts.models import Account, Contact
from accord.core import clock
from accord.lifecycle.models import StageChange
from accord.playbook.queries import active_playbook
from accord.scoring import domain
from accord.scoring.actions import contacts_refresh
from accord.scoring.models import Cause, ScoreChange
from accord.scoring.queries import contact_breakdown, contact_hits, model_of
from accord.tracking.ingest import record

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def acme() -> Account:
    return Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")


@pytest.fixture
def ada(acme: Account) -> Contact:
    # Fit 75 (A): target industry 20, 200+ employees 20, director or above 25, territory 10.
    return Contact.objects.create(
        email="ada@acme.com", title="VP Marketing", seniority="vp", account=acme, consent=True, stage="lead"
    )


def track(contact: Contact, name: str, at: dt.datetime = NOW, **properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": name,
        "userId": f"user-{contact.pk}",
        "messageId": str(uuid.uuid4()),
        "timestamp": at.isoformat(),
        "traits": {"email": contact.email},
        "properties": properties,
    }


def page(contact: Contact, path: str, at: dt.datetime = NOW) -> dict[str, Any]:
    return {
        "type": "page",
        "name": "Page",
        "userId": f"user-{contact.pk}",
        "messageId": str(uuid.uuid4()),
        "timestamp": at.isoformat(),
        "properties": {"path": path, "url": f"https://acme.example{path}"},
    }


def identify(contact: Contact) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": f"user-{contact.pk}",
        "messageId": str(uuid.uuid4()),
        "timestamp": NOW.isoformat(),
        "traits": {"email": contact.email},
    }


def ingest(*items: dict[str, Any], at: dt.datetime = NOW) -> None:
    with clock.frozen(at):
        outcome = record(list(items), sent_with="test", received_at=at)
    assert outcome.rejected == [], outcome.rejected


def test_a_demo_request_from_a_good_fit_lead_makes_an_mql_with_the_breakdown(ada: Contact) -> None:
    ingest(identify(ada), track(ada, "Demo Requested"))
    ada.refresh_from_db()
    assert (ada.fit_score, ada.fit_grade, ada.persona) == (75, "A", "marketing_leader")
    assert ada.interest_score == pytest.approx(50, rel=1e-6)
    assert (ada.quadrant, ada.stage) == ("ready", "mql")
    move = StageChange.objects.get(contact=ada, to_stage="mql")
    assert move.by_rule == "mql"
    score = move.details["score"]
    assert score["playbook_version"] == active_playbook().number
    assert (score["fit"]["score"], score["fit"]["grade"], score["quadrant"]) == (75, "A", "ready")
    assert [r["rule"] for r in score["fit"]["rules"] if r["matched"]] == [
        "target_industry",
        "mid_market_or_larger",
        "senior_buyer",
        "in_territory",
    ]
    assert score["interest"]["contributions"] == [
        {
            "rule": "demo_request",
            "label": "Asked for a demo",
            "date": "2026-11-02",
            "events": 1,
            "points": 50,
            "now": 50.0,
        }
    ]
    assert score["persona"] == {"key": "marketing_leader", "name": "Marketing leader"}


def test_interest_below_the_threshold_scores_but_does_not_qualify(ada: Contact) -> None:
    ingest(identify(ada), *[page(ada, "/pricing") for _ in range(5)], track(ada, "Email Opened"))
    ada.refresh_from_db()
    # Pricing page: 10 points each, at most 20 a day; an email open: 1.
    assert ada.interest_score == pytest.approx(21, rel=1e-6)
    assert (ada.quadrant, ada.stage) == ("nurture", "lead")
    assert not StageChange.objects.filter(contact=ada, to_stage="mql").exists()
    change = ScoreChange.objects.filter(contact=ada).latest("id")
    assert change.cause == Cause.EVENT
    assert change.details == {"rules": {"email_open": 1, "pricing_page": 5}}


def test_a_poor_fit_with_high_interest_is_checked_not_handed_over(acme: Account) -> None:
    student = Contact.objects.create(
        email="sam@gmail.com", title="Student", seniority="individual", consent=True, stage="lead"
    )
    ingest(identify(student), track(student, "Demo Requested"), track(student, "Webinar Attended"))
    student.refresh_from_db()
    assert (student.fit_grade, student.quadrant, student.stage) == ("D", "check_fit", "lead")


def test_repeated_messages_score_once(ada: Contact) -> None:
    message = track(ada, "Webinar Attended")
    ingest(identify(ada), message)
    ingest(message)
    ada.refresh_from_db()
    assert ada.interest_score == pytest.approx(20, rel=1e-6)


def test_events_spread_over_weeks_decay_and_the_stored_state_equals_the_recompute(ada: Contact) -> None:
    ingest(identify(ada), at=NOW - dt.timedelta(days=60))
    for days_ago in (60, 45, 30, 30, 12, 3):
        at = NOW - dt.timedelta(days=days_ago)
        ingest(page(ada, "/pricing"), track(ada, "Email Clicked", at=at), at=at)
    late = NOW - dt.timedelta(days=50)
    ingest(page(ada, "/pricing", at=late), at=NOW)  # arrives weeks late
    ada.refresh_from_db()
    model = model_of(active_playbook())
    today = domain.day_number(NOW)
    expected = domain.recompute(model, contact_hits(model, ada.pk), today)
    assert (ada.score.interest_mass, ada.score.interest_anchor) == (expected.mass, expected.anchor)
    with clock.frozen(NOW):
        assert ada.interest_score == model.value(expected.mass, expected.anchor, today)
        assert contact_breakdown(ada)["interest"]["score"] == round(ada.interest_score, 2)


def test_falling_interest_does_not_demote_an_mql(ada: Contact) -> None:
    ingest(identify(ada), track(ada, "Demo Requested"))
    later = NOW + dt.timedelta(days=120)
    with clock.frozen(later):
        contacts_refresh(ids=[ada.pk], history=True)
    ada.refresh_from_db()
    assert ada.interest_score == 3.13  # 50 points after four half-lives, to the hundredth
    assert (ada.stage, ada.quadrant) == ("mql", "nurture")


def test_editing_the_account_regrades_its_contacts(
    ada: Contact, acme: Account, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    ingest(identify(ada))
    with django_capture_on_commit_callbacks(execute=True):
        account_update(account=acme, data={"employees": 10}, acting_user=users["admin"])
    ada.refresh_from_db()
    # 200+ employees (20) no longer holds; fewer than 20 (-15) does: 75 - 35 = 40, a B.
    assert (ada.fit_score, ada.fit_grade) == (40, "B")
    change = ScoreChange.objects.filter(contact=ada).latest("id")
    assert (change.cause, change.previous_fit_score, change.fit_score) == (Cause.PROFILE, 75, 40)


def test_editing_the_contact_regrades_it_and_may_qualify_it(
    ada: Contact, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(contact=ada, data={"seniority": "individual"}, acting_user=users["admin"])
    ada.refresh_from_db()
    assert (ada.fit_score, ada.fit_grade, ada.persona) == (50, "B", "")  # no longer director or above
    ingest(identify(ada), track(ada, "Demo Requested"))
    ada.refresh_from_db()
    assert (ada.interest_score, ada.stage) == (pytest.approx(50, rel=1e-6), "mql")
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(contact=ada, data={"seniority": "vp"}, acting_user=users["admin"])
    ada.refresh_from_db()
    assert (ada.fit_score, ada.fit_grade) == (75, "A")


def test_activating_a_version_rescores_everyone_under_it(
    ada: Contact, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from accord.playbook.actions import playbook_activate, playbook_draft_create, playbook_sign

    ingest(identify(ada), track(ada, "Webinar Attended"))
    ada.refresh_from_db()
    old = ada.score_version_id
    assert ada.interest_score == pytest.approx(20, rel=1e-6)
    source = active_playbook().source.replace(
        "label: Attended a webinar\n      event: Webinar Attended\n      points: 20",
        "label: Attended a webinar\n      event: Webinar Attended\n      points: 30",
    )
    assert source != active_playbook().source
    draft = playbook_draft_create(source=source, acting_user=users["admin"])
    playbook_sign(version=draft, acting_user=users["marketing"])
    playbook_sign(version=draft, acting_user=users["sales_manager"])
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        playbook_activate(version=draft, acting_user=users["admin"])
    ada.refresh_from_db()
    assert ada.score_version_id == draft.pk != old
    assert ada.interest_score == pytest.approx(30, rel=1e-6)
    change = ScoreChange.objects.filter(contact=ada).latest("id")
    assert (change.cause, change.previous_interest, change.playbook_version_id) == (
        Cause.RESCORE,
        pytest.approx(20, rel=1e-6),
        draft.pk,
    )
