"""The scores' move into their own table (contacts 0008) keeps every scored contact's scores, and
undoing it puts them back on the contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("contacts", "0007_crm_ids_per_object_and_property_types")]
AFTER = [("contacts", "0008_scores_in_their_own_table")]
AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def rows(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_scored_contacts_keep_their_scores_in_the_new_table_and_get_them_back_when_undone() -> None:
    try:
        apps = migrate(BEFORE)
        Contact = apps.get_model("contacts", "Contact")
        version = apps.get_model("playbook", "PlaybookVersion").objects.order_by("pk").first()
        ada = Contact.objects.create(
            email="ada@acme.test", fit_score=80, fit_grade="A", persona="ops", interest_score=41.5,
            quadrant="ready", interest_mass=123456, interest_anchor=20500, interest_caps={"r": [20500, 2]},
            scored_at=AT, score_version=version,
        )  # fmt: skip
        bob = Contact.objects.create(email="bob@acme.test")  # never scored

        migrate(AFTER)
        assert rows(
            "SELECT contact_id, fit_score, fit_grade, persona, interest_score, quadrant, interest_mass,"
            " interest_anchor, score_version_id FROM contacts_score"
        ) == [(ada.pk, 80, "A", "ops", 41.5, "ready", 123456, 20500, version.pk if version else None)]
        assert rows(f"SELECT count(*) FROM contacts_score WHERE contact_id = {bob.pk}") == [(0,)]

        apps = migrate(BEFORE)
        back = apps.get_model("contacts", "Contact").objects.get(pk=ada.pk)
        assert (back.fit_score, back.fit_grade, back.persona, back.interest_score, back.quadrant) == (
            80, "A", "ops", 41.5, "ready",
        )  # fmt: skip
        assert (back.interest_mass, back.interest_anchor, back.interest_caps, back.scored_at) == (
            123456, 20500, {"r": [20500, 2]}, AT,
        )  # fmt: skip
        assert apps.get_model("contacts", "Contact").objects.get(pk=bob.pk).fit_score is None
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
