from __future__ import annotations

import datetime as dt

import pytest

from accord.contacts.actions import contact_create
from accord.contacts.models import Contact
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.lifecycle import actions
from accord.lifecycle.models import StageChange
from accord.lifecycle.queries import move_options, stage_history
from accord.playbook.queries import active_playbook

NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def contact(users):
    """A contact who filled in a form: the default playbook's lead criteria hold."""
    created = contact_create(data={"email": "ana@acme.io", "consent": True}, acting_user=users["admin"])
    Contact.objects.filter(pk=created.pk).update(forms_submitted=1)
    created.refresh_from_db()
    return created


def qualify(contact: Contact) -> None:
    given_scores(contact, fit_grade="A", fit_score=70, interest_score=55)
    contact.refresh_from_db()


@pytest.mark.django_db
def test_a_move_writes_one_history_row_and_the_contact_in_one_go(users, contact):
    with clock.frozen(NOW):
        change = actions.contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])
    contact.refresh_from_db()
    assert (contact.stage, contact.stage_changed_at, contact.playbook_version) == ("lead", NOW, active_playbook())
    row = StageChange.objects.get()
    assert row == change
    assert (row.from_stage, row.to_stage, row.kind, row.at, row.by_user, row.by_rule) == (
        "",
        "lead",
        "advance",
        NOW,
        users["marketing"],
        "",
    )
    assert row.playbook_version.number == 1
    assert row.details["criteria"]["ok"] is True


@pytest.mark.django_db
def test_a_full_journey(users, contact):
    rep, marketer = users["sales_rep"], users["marketing"]
    actions.contact_change_stage(contact=contact, to_stage="lead", acting_user=marketer)
    qualify(contact)
    assert actions.contact_apply_rules(contact=contact).by_rule == "mql"
    actions.contact_change_stage(contact=contact, to_stage="sql", acting_user=rep)
    with pytest.raises(Conflict, match=r"entry criteria of Opportunity: contact.open_deals ≥ 1 \(is 0\)"):
        actions.contact_change_stage(contact=contact, to_stage="opportunity", acting_user=rep)
    Contact.objects.filter(pk=contact.pk).update(open_deals=1)  # as deals.actions.deal_create counts it
    actions.contact_change_stage(contact=contact, to_stage="opportunity", acting_user=rep)
    actions.contact_change_stage(
        contact=contact, to_stage="recycled", acting_user=rep, reason="timing", reengage_on=dt.date(2099, 1, 1)
    )
    contact.refresh_from_db()
    assert contact.stage == "recycled" and contact.reengage_on == dt.date(2099, 1, 1)
    assert [(c.from_stage, c.to_stage, c.kind) for c in stage_history(contact)] == [
        ("", "lead", "advance"),
        ("lead", "mql", "advance"),
        ("mql", "sql", "advance"),
        ("sql", "opportunity", "advance"),
        ("opportunity", "recycled", "hand_back"),
    ]
    # marketing nurtures; the MQL rule may bring the contact back
    assert actions.contact_apply_rules(contact=contact).to_stage == "mql"
    contact.refresh_from_db()
    assert contact.reengage_on is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setup", "kwargs", "error", "message"),
    [
        ([], {"to_stage": "mql"}, Conflict, "the contact does not meet the entry criteria of MQL"),
        ([], {"to_stage": "won"}, InvalidInput, "unknown stage 'won'"),
        ([], {"to_stage": ""}, InvalidInput, "stage: is required"),
        (["lead"], {"to_stage": "lead"}, Conflict, "the contact is already in stage Lead"),
        (["lead"], {"to_stage": "visitor"}, Conflict, "moving a contact back to Visitor needs a reject reason"),
        (["lead"], {"to_stage": "recycled", "reason": "no_budget"}, Conflict, "unknown recycle reason 'no_budget'"),
        (
            [],
            {"to_stage": "recycled", "reason": "timing"},
            Conflict,
            "only a contact in the funnel can be moved to Recycled",
        ),
        (["lead"], {"to_stage": "disqualified", "reason": "other"}, Conflict, "the reason 'Other' needs a note"),
    ],
)
def test_refused_moves_write_nothing(users, contact, setup, kwargs, error, message):
    for stage in setup:
        actions.contact_change_stage(contact=contact, to_stage=stage, acting_user=users["admin"])
    before = list(StageChange.objects.values_list("pk", flat=True))
    stage_before = Contact.objects.get(pk=contact.pk).stage
    with pytest.raises(error) as caught:
        actions.contact_change_stage(contact=contact, acting_user=users["admin"], **kwargs)
    assert caught.value.message.startswith(message)
    assert list(StageChange.objects.values_list("pk", flat=True)) == before
    assert Contact.objects.get(pk=contact.pk).stage == stage_before


@pytest.mark.django_db
def test_roles_decide_who_moves(users, contact):
    with pytest.raises(PermissionDenied):
        actions.contact_change_stage(contact=contact, to_stage="lead", acting_user=users["viewer"])
    with pytest.raises(Conflict, match="for marketing"):
        actions.contact_change_stage(contact=contact, to_stage="lead", acting_user=users["sales_rep"])
    actions.contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])
    qualify(contact)
    actions.contact_change_stage(contact=contact, to_stage="mql", acting_user=users["marketing"])
    with pytest.raises(Conflict, match="for sales"):
        actions.contact_change_stage(contact=contact, to_stage="sql", acting_user=users["marketing"])
    actions.contact_change_stage(contact=contact, to_stage="sql", acting_user=users["sales_manager"])
    assert StageChange.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.django_db
def test_a_lead_must_have_submitted_a_form(users):
    contact = contact_create(data={"email": "bo@acme.io"}, acting_user=users["admin"])
    with pytest.raises(Conflict, match=r"entry criteria of Lead: contact.forms_submitted ≥ 1 \(is 0\)"):
        actions.contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])
    assert actions.contact_apply_rules(contact=contact) is None
    Contact.objects.filter(pk=contact.pk).update(forms_submitted=2)
    contact.refresh_from_db()
    assert actions.contact_apply_rules(contact=contact).to_stage == "lead"


def test_apply_rules_does_nothing_when_no_criteria_hold(users):
    contact = contact_create(data={"first_name": "Anonymous"}, acting_user=users["admin"])
    assert actions.contact_apply_rules(contact=contact) is None
    assert not StageChange.objects.exists()


@pytest.mark.django_db
def test_rule_moves_record_the_rule_and_no_person(users, contact):
    change = actions.contact_advance_by_rule(
        contact=contact, to_stage="lead", rule="form:ebook", details={"offer": "ebook"}
    )
    assert (change.by_user, change.by_rule, change.details["offer"]) == (None, "form:ebook", "ebook")


@pytest.mark.django_db
def test_move_options_follow_the_table_and_the_role(users, contact):
    playbook = active_playbook().playbook
    actions.contact_change_stage(contact=contact, to_stage="lead", acting_user=users["admin"])
    contact.refresh_from_db()
    rep = {o.stage.key: o.kind for o in move_options(playbook, contact, users["sales_rep"])}
    assert rep == {"sql": "advance", "opportunity": "advance", "customer": "advance"}
    marketer = {o.stage.key: o for o in move_options(playbook, contact, users["marketing"])}
    assert set(marketer) == {"visitor", "subscriber", "mql", "recycled", "disqualified"}
    assert [r.key for r in marketer["recycled"].reasons][:2] == ["not_ready", "no_response"]
    assert marketer["recycled"].needs_reengage_date is True
    assert move_options(playbook, contact, users["viewer"]) == []
