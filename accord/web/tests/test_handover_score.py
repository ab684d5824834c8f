"""A contact's timeline shows, on the move the MQL rule made, the scores that made it."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest

from accord.contacts.models import Account, Contact
from accord.core import clock
from accord.tracking.ingest import record

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


def text(response: Any) -> str:
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def test_the_mql_move_shows_why_it_was_handed_over(client_as: Any) -> None:
    acme = Account.objects.create(name="Acme", domain="acme.com", industry="Software", employees=500, country="US")
    ada = Contact.objects.create(
        email="ada@acme.com", title="VP Marketing", seniority="vp", account=acme, consent=True, stage="lead"
    )
    messages = [
        {"type": "identify", "userId": "ada", "messageId": str(uuid.uuid4()), "traits": {"email": "ada@acme.com"}},
        {"type": "track", "event": "Demo Requested", "userId": "ada", "messageId": str(uuid.uuid4())},
        {"type": "track", "event": "Email Opened", "userId": "ada", "messageId": str(uuid.uuid4())},
    ]
    with clock.frozen(NOW):
        record(messages, sent_with="test", received_at=NOW)
        response = client_as("sales_rep").get(f"/contacts/{ada.pk}/")

    assert response.status_code == 200
    page = text(response)
    assert (
        "Why it was handed over: fit A (75), interest 51.0 · Good fit, high interest Marketing leader · fit rules "
        "that held: In a target industry (+20), 200 employees or more (+20), Director level or above (+25), "
        "In a country we sell to (+10) Asked for a demo · 2026-11-02 · 50 earned, 50.0 then Opened an email · "
        "2026-11-02 · 1 earned, 1.0 then"
    ) in page


def test_other_moves_show_no_score(client_as: Any) -> None:
    ada = Contact.objects.create(email="ada@acme.com", consent=True)
    messages = [
        {"type": "identify", "userId": "ada", "messageId": str(uuid.uuid4()), "traits": {"email": "ada@acme.com"}},
        {"type": "track", "event": "Form Submitted", "userId": "ada", "messageId": str(uuid.uuid4())},
    ]
    with clock.frozen(NOW):
        record(messages, sent_with="test", received_at=NOW)
        response = client_as("sales_rep").get(f"/contacts/{ada.pk}/")
    ada.refresh_from_db()
    assert ada.stage == "lead"
    assert "Why it was handed over" not in text(response)
