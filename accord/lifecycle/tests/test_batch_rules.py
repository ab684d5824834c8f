"""The stage rules applied to a batch of contacts at once (the event pipeline's way) move each
contact exactly as applying them to it alone does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from accord.contacts.models import Contact
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.lifecycle import actions
from accord.lifecycle.models import StageChange
from accord.playbook.queries import active_playbook

NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)

# (email, consent, forms submitted, stage, scores or None)
PEOPLE = [
    ("", None, 0, "", None),  # an anonymous visitor: nothing to move
    ("sub@acme.io", True, 0, "", None),
    ("form@acme.io", True, 1, "", None),  # filled in a form: a lead
    ("hot@acme.io", True, 1, "lead", {"fit_grade": "A", "fit_score": 70, "interest_score": 55}),  # the MQL rule
    ("cold@acme.io", True, 1, "lead", {"fit_grade": "D", "fit_score": 5, "interest_score": 55}),
    ("warm@acme.io", True, 1, "", {"fit_grade": "A", "fit_score": 70, "interest_score": 55}),  # straight to MQL?
    ("spam@acme.io", True, 1, "disqualified", {"fit_grade": "A", "fit_score": 70, "interest_score": 90}),
    ("back@acme.io", True, 1, "recycled", {"fit_grade": "A", "fit_score": 70, "interest_score": 90}),
    ("sql@acme.io", True, 1, "sql", {"fit_grade": "A", "fit_score": 70, "interest_score": 90}),
]


def workspace() -> list[Contact]:
    made = []
    for email, consent, forms, stage, scores in PEOPLE:
        contact = Contact.objects.create(email=email or None, consent=consent, forms_submitted=forms, stage=stage)
        made.append(given_scores(contact, **scores) if scores else contact)
    return made


def moves() -> list[tuple[Any, ...]]:
    return list(
        StageChange.objects.order_by("contact__email", "id").values_list(
            "contact__email", "from_stage", "to_stage", "kind", "by_rule", "details"
        )
    )


def explain(contact: Contact) -> dict[str, Any]:
    return {"fit": contact.fit_score}


@pytest.mark.django_db
def test_a_batch_moves_each_contact_as_the_rules_move_it_alone() -> None:
    version = active_playbook()
    with clock.frozen(NOW):
        with transaction.atomic():
            for contact in workspace():
                actions.contact_apply_rules(contact=contact, version=version, explain=explain)
            alone = moves()
            stages = dict(Contact.objects.values_list("email", "stage"))
            transaction.set_rollback(True)
        contacts = workspace()
        changed = actions.contacts_apply_rules(
            contacts=contacts, version=version, explain=lambda handed: {c.pk: explain(c) for c in handed}
        )
    assert moves() == alone
    assert dict(Contact.objects.values_list("email", "stage")) == stages
    assert {Contact.objects.get(pk=pk).email: change.to_stage for pk, change in changed.items()} == {
        email: to for email, _, to, *_ in alone
    }
    assert [to for email, _, to, *_ in alone if email == "hot@acme.io"] == ["mql"]  # the rules did move someone
