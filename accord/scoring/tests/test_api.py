"""GET /api/v1/contacts/{id}/score: the stored scores, the breakdown, the trend and the history of a
contact whose events came in through ingest; bad ids, unknown contacts, credentials and scopes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.contacts.models import Account, Contact
from accord.core import clock
from accord.scoring.models import ScoreChange
from accord.scoring.tests.events import ingest, message

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
OFFER_AT = NOW - dt.timedelta(days=14)  # 2026-10-19: a content offer, 15 points
PRICING_AT = NOW - dt.timedelta(days=3)  # 2026-10-30: three pricing page views, 10 each, at most 20 a day
HALF_LIFE = 30  # the default playbook's half-life in days


def decayed(points: float, days: int) -> float:
    """What `points` earned `days` ago are worth today under the default playbook."""
    return points * 2 ** (-days / HALF_LIFE)


FIT_RULES = [
    ("target_industry", "In a target industry", 20, True),
    ("mid_market_or_larger", "200 employees or more", 20, True),
    ("small_company", "Fewer than 20 employees", -15, False),
    ("senior_buyer", "Director level or above", 25, True),
    ("in_territory", "In a country we sell to", 10, True),
    ("free_mail", "Uses a free mailbox", -20, False),
]


@pytest.fixture
def ada(db: Any) -> Contact:
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    # Fit 75 (A): target industry 20, 200+ employees 20, director or above 25, territory 10.
    return Contact.objects.create(
        email="ada@acme.com", title="VP Marketing", seniority="vp", account=acme, consent=True, stage="lead"
    )


def history_of(contact: Contact) -> None:
    """Three batches, each scored as it arrives: an offer, pricing views, a demo request."""
    ingest(
        OFFER_AT,
        message(contact, "identify", OFFER_AT, traits={"email": contact.email}),
        message(contact, "track", OFFER_AT, event="Form Submitted", properties={"offer": "Guide"}),
    )
    ingest(
        PRICING_AT,
        *[
            message(contact, "page", PRICING_AT, properties={"path": "/pricing", "url": "https://a.test/pricing"})
            for _ in range(3)
        ],
    )
    ingest(NOW, message(contact, "track", NOW, event="Demo Requested"))


@pytest.fixture
def reader(api_key: Any) -> Any:
    return api_key("read")


def get(api: Any, path: str) -> Any:
    with clock.frozen(NOW):
        return api.get(path)


# --------------------------------------------------------------------------- the answer


def test_a_scored_contact_answers_its_scores_breakdown_trend_and_history(reader: Any, ada: Contact) -> None:
    history_of(ada)
    offer_now, pricing_now = decayed(15, 14), decayed(20, 3)
    interest = offer_now + pricing_now + 50
    week_ago = round(decayed(15, 7), 2)

    response = get(reader, f"/contacts/{ada.pk}/score")

    assert response.status_code == 200
    body = response.data
    assert body["contact_id"] == ada.pk
    current = body["current"]
    assert current["interest"] == pytest.approx(interest, abs=0.005)  # scores are kept to the hundredth
    assert {k: v for k, v in current.items() if k != "interest"} == {
        "fit_score": 75,
        "fit_grade": "A",
        "persona": {"key": "marketing_leader", "name": "Marketing leader"},
        "quadrant": {"key": "ready", "label": "Good fit, high interest"},
        "scored_at": "2026-11-02T15:00:00Z",
        "playbook_version": 1,
    }
    breakdown = body["breakdown"]
    assert breakdown["playbook_version"] == 1
    assert breakdown["as_of"] == "2026-11-02T15:00:00Z"
    assert breakdown["persona"] == {"key": "marketing_leader", "name": "Marketing leader"}
    assert breakdown["quadrant"] == {"key": "ready", "label": "Good fit, high interest"}
    assert (breakdown["fit"]["score"], breakdown["fit"]["grade"]) == (75, "A")
    assert [(r["rule"], r["label"], r["points"], r["matched"]) for r in breakdown["fit"]["rules"]] == FIT_RULES
    assert breakdown["fit"]["rules"][1]["condition"] == "account.employees ≥ 200"
    assert breakdown["interest"] == {
        "score": round(interest, 2),
        "decay": {"half_life_days": 30.0, "expire_after_days": None},
        "max_points": 200.0,
        "contributions": [
            {"rule": "demo_request", "label": "Asked for a demo", "date": "2026-11-02", "events": 1, "points": 50,
             "now": 50.0},
            {"rule": "pricing_page", "label": "Viewed the pricing page", "date": "2026-10-30", "events": 3,
             "points": 20, "now": round(pricing_now, 2)},
            {"rule": "content_offer", "label": "Downloaded an offer", "date": "2026-10-19", "events": 1,
             "points": 15, "now": round(offer_now, 2)},
        ],
        "more": 0,
    }  # fmt: skip
    trend = body["trend"]
    assert (trend["dates"][0], trend["dates"][-1], len(trend["dates"])) == ("2026-09-04", "2026-11-02", 60)
    assert trend["interest"] == (
        [0.0] * 45
        + [round(decayed(15, k), 2) for k in range(11)]
        + [round(decayed(15, 11 + k) + decayed(20, k), 2) for k in range(3)]
        + [round(interest, 2)]
    )
    assert trend["interest"][-8] == week_ago
    assert (trend["heating_up"], trend["rise"]) == (True, round(round(interest, 2) - week_ago, 2))
    assert [
        (h["at"], h["cause"], h["fit_score"], h["fit_grade"], h["quadrant"], h["previous_grade"], h["details"])
        for h in body["history"]
    ] == [
        ("2026-11-02T15:00:00Z", "event", 75, "A", "ready", "A", {"rules": {"demo_request": 1}}),
        ("2026-10-30T15:00:00Z", "event", 75, "A", "nurture", "A", {"rules": {"pricing_page": 3}}),
        ("2026-10-19T15:00:00Z", "event", 75, "A", "nurture", "", {"rules": {"content_offer": 1}}),
    ]
    at_pricing = decayed(15, 11) + 20
    assert [h["interest_score"] for h in body["history"]] == pytest.approx([interest, at_pricing, 15.0], abs=0.005)
    assert [h["previous_interest"] for h in body["history"][:2]] == pytest.approx([at_pricing, 15.0], abs=0.005)
    assert body["history"][2]["previous_interest"] is None
    assert body["history"][2]["previous_fit_score"] is None
    assert {h["playbook_version"] for h in body["history"]} == {1}


def test_a_contact_never_scored_answers_empty_scores_and_the_breakdown_of_today(reader: Any, ada: Contact) -> None:
    response = get(reader, f"/contacts/{ada.pk}/score")

    assert response.status_code == 200
    body = response.data
    assert body["current"] == {
        "fit_score": None,
        "fit_grade": "",
        "persona": None,
        "interest": None,
        "quadrant": None,
        "scored_at": None,
        "playbook_version": None,
    }
    assert (body["breakdown"]["fit"]["score"], body["breakdown"]["fit"]["grade"]) == (75, "A")
    assert body["breakdown"]["interest"]["score"] == 0.0
    assert body["breakdown"]["interest"]["contributions"] == []
    assert body["breakdown"]["quadrant"] == {"key": "nurture", "label": "Good fit, low interest"}
    assert body["trend"]["interest"] == [0.0] * 60
    assert (body["trend"]["heating_up"], body["trend"]["rise"]) == (False, 0.0)
    assert body["history"] == []
    assert ScoreChange.objects.count() == 0  # reading scores writes nothing
    ada.refresh_from_db()
    assert (ada.fit_score, ada.scored_at) == (None, None)


@pytest.mark.parametrize(("history", "expected"), [("1", ["2026-11-02T15:00:00Z"]), ("0", [])])
def test_history_answers_the_latest_changes_asked_for(reader: Any, ada: Contact, history: str, expected: Any) -> None:
    history_of(ada)

    response = get(reader, f"/contacts/{ada.pk}/score?history={history}")

    assert response.status_code == 200
    assert [h["at"] for h in response.data["history"]] == expected


# --------------------------------------------------------------------------- refused requests


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [
        ("/contacts/abc/score", "contact_id", "Input should be a valid integer, unable to parse string as an integer"),
        ("/contacts/1.5/score", "contact_id", "Input should be a valid integer, unable to parse string as an integer"),
        ("/contacts/0/score", "contact_id", "Input should be greater than or equal to 1"),
        ("/contacts/-4/score", "contact_id", "Input should be greater than or equal to 1"),
        ("/contacts/99999999999999999999999/score", "contact_id", "Input should be less than or equal to 9223372036854775807"),
        ("/contacts/{pk}/score?history=lots", "history", "Input should be a valid integer, unable to parse string as an integer"),
        ("/contacts/{pk}/score?history=201", "history", "Input should be less than or equal to 200"),
        ("/contacts/{pk}/score?history=-1", "history", "Input should be greater than or equal to 0"),
    ],
)  # fmt: skip
def test_bad_input_is_422_naming_the_field(reader: Any, ada: Contact, path: str, field: str, message: str) -> None:
    response = get(reader, path.format(pk=ada.pk))

    assert response.status_code == 422
    assert response.data["field"] == field
    assert response.data["detail"] == f"{field}: {message}"


@pytest.mark.parametrize("contact_id", ["999999", "9223372036854775807"])
def test_an_unknown_contact_is_404_with_a_message(reader: Any, ada: Contact, contact_id: str) -> None:
    response = get(reader, f"/contacts/{contact_id}/score")

    assert response.status_code == 404
    assert response.data == {"detail": f"no contact {contact_id}", "field": "contact_id"}


def test_no_credentials_is_401(client: Any, ada: Contact) -> None:
    response = client.get(f"/api/v1/contacts/{ada.pk}/score")

    assert response.status_code == 401
    assert response.json()["detail"] == "authentication required: send 'Authorization: Bearer <API key>' or sign in"


def test_an_unknown_key_is_401(client: Any, ada: Contact) -> None:
    response = client.get(f"/api/v1/contacts/{ada.pk}/score", HTTP_AUTHORIZATION="Bearer acc_nope_nope")

    assert response.status_code == 401
    assert response.json()["detail"] == "the API key is unknown or revoked"


def test_a_key_without_the_read_scope_is_403(api_key: Any, ada: Contact) -> None:
    response = get(api_key("track"), f"/contacts/{ada.pk}/score")

    assert response.status_code == 403
    assert response.data == {"detail": "this API key lacks the 'read' scope (it has: server)"}


@pytest.mark.parametrize("scopes", ["read", "admin", "read,write"])
def test_keys_that_may_read_get_the_scores(api_key: Any, ada: Contact, scopes: str) -> None:
    assert get(api_key(scopes), f"/contacts/{ada.pk}/score").status_code == 200


def test_a_signed_in_viewer_gets_the_scores(api_as: Any, ada: Contact) -> None:
    assert get(api_as("viewer"), f"/contacts/{ada.pk}/score").status_code == 200


def test_the_openapi_schema_names_the_endpoint_and_its_output(client: Any) -> None:
    spec = client.get("/api/openapi.json").json()

    operation = spec["paths"]["/api/v1/contacts/{contact_id}/score"]["get"]
    assert operation["tags"] == ["scoring"]
    assert set(operation["responses"]) == {"200", "401", "403", "404", "422", "500"}
    schemas = spec["components"]["schemas"]
    assert {"ContactScoreOut", "CurrentScoresOut", "BreakdownOut", "TrendOut", "ScoreChangeOut"} <= set(schemas)
    assert set(schemas["ContactScoreOut"]["properties"]) == {"contact_id", "current", "breakdown", "trend", "history"}
    assert "Contact" not in schemas and "ScoreChange" not in schemas
