"""API latency in-process (no network): contact look-up by email, one contact, a stage move."""

from __future__ import annotations

from django.test import Client

from accord.accounts.actions import apikey_create
from accord.accounts.models import User
from accord.contacts.models import Contact
from bench.support import latencies, latency_line

CONTACTS = 20_000
SAMPLES = 400


def run() -> None:
    admin = User.objects.create_user("bench-admin@example.com", "x", role="admin")
    _, key = apikey_create(name="bench", scopes="read,write", acting_user=admin)
    Contact.objects.bulk_create(
        [
            Contact(email=f"api{i}@bench{i % 89}.example", first_name=f"P{i}", consent=True, forms_submitted=1)
            for i in range(CONTACTS)
        ],
        batch_size=2000,
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[:SAMPLES])
    emails = iter([f"api{i}@bench{i % 89}.example" for i in range(SAMPLES * 2)])
    pks = iter(ids * 2)

    orm = latencies(
        lambda: list(Contact.objects.select_related("account", "owner").filter(email=next(emails))), SAMPLES
    )
    by_email = latencies(lambda: client.get("/api/v1/contacts", {"email": next(emails)}), SAMPLES)
    one = latencies(lambda: client.get(f"/api/v1/contacts/{next(pks)}"), SAMPLES)
    movers = iter(ids)
    move = latencies(
        lambda: client.post(
            f"/api/v1/contacts/{next(movers)}/stage", {"stage": "lead"}, content_type="application/json"
        ),
        SAMPLES,
    )
    latency_line("ORM query by email (baseline)", orm)
    latency_line("GET /api/v1/contacts?email=", by_email, baseline=orm, baseline_label="the ORM query")
    latency_line("GET /api/v1/contacts/{id}", one, baseline=orm, baseline_label="the ORM query")
    latency_line("POST /api/v1/contacts/{id}/stage", move, baseline=orm, baseline_label="the ORM query")
