"""Stage moves through the lifecycle engine (checks, history row, contact update) against raw inserts."""

from __future__ import annotations

from django.db import connection, transaction

from accord.accounts.models import User
from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle.actions import contact_change_stage
from accord.lifecycle.models import StageChange
from accord.playbook.queries import active_playbook
from bench.support import figure, stopwatch

CONTACTS = 3_000


def run() -> None:
    user = User.objects.create_user("bench-marketing@example.com", "x", role="marketing")
    Contact.objects.bulk_create(
        [Contact(email=f"mover{i}@bench{i % 97}.example", consent=True, forms_submitted=1) for i in range(CONTACTS)],
        batch_size=1000,
    )
    contacts = list(Contact.objects.filter(email__startswith="mover").order_by("pk"))
    half = CONTACTS // 2

    with stopwatch() as engine:
        for contact in contacts[:half]:
            contact_change_stage(contact=contact, to_stage="lead", acting_user=user)
    engine_rate = half / engine[0]

    # Baseline: the same rows written with one bulk insert and one UPDATE per contact, no checks.
    version = active_playbook()
    now = clock.now()
    rows = [
        StageChange(
            contact=c, from_stage="", to_stage="lead", kind="advance", at=now, by_user=user, playbook_version=version
        )
        for c in contacts[half:]
    ]
    with stopwatch() as raw, transaction.atomic():
        StageChange.objects.bulk_create(rows, batch_size=1000)
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE contacts_contact SET stage = %s, stage_changed_at = %s, playbook_version_id = %s WHERE id = %s",
                [("lead", now, version.pk, c.pk) for c in contacts[half:]],
            )
    raw_rate = (CONTACTS - half) / raw[0]

    figure(
        "moves/s, one transaction each (engine)",
        engine_rate,
        "moves/s",
        baseline=raw_rate,
        baseline_label="raw batched writes",
    )
    figure("ms per move (engine)", 1000 / engine_rate, "ms")
    assert StageChange.objects.filter(contact__in=contacts).count() == CONTACTS
