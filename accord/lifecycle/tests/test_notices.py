"""What hand-offs tell people, written to the outbox in the same transaction as the change.

Given the SDR Americas team (ann, bob, manager max) and a marketing manager, when a contact is
routed, queued, reassigned or handed back, then exactly these people get exactly these messages.
"""

from __future__ import annotations

import pytest

from accord.accounts.models import User
from accord.campaigns.models import Campaign
from accord.contacts.models import Contact
from accord.core import clock
from accord.lifecycle import handoff_actions
from accord.lifecycle.models import Handoff
from accord.lifecycle.tests.test_handoffs import NOW, mql, rep, team  # noqa: F401 (a fixture)
from accord.notify.models import Delivery, Message, Notification


def told(event: str) -> list[tuple[str, str]]:
    """(recipient, title) of each in-app notification of `event`."""
    return sorted(Notification.objects.filter(message__event=event).values_list("user__email", "message__title"))


@pytest.mark.django_db
def test_a_routed_hand_off_tells_its_rep_in_the_app_and_by_email(users, team):  # noqa: F811
    handoff = Handoff.objects.get(contact=mql("c1@acme.io", users["admin"]))
    assert told("handoff.assigned") == [(handoff.owner.email, "New hand-off: c1@acme.io (high priority)")]
    message = Message.objects.get(event="handoff.assigned")
    assert message.link == f"/contacts/{handoff.contact_id}/"
    assert message.payload["team"] == "SDR Americas" and message.payload["rule"] == "default"
    assert list(Delivery.objects.values_list("channel", "address")) == [("email", handoff.owner.email)]


@pytest.mark.django_db
def test_a_hand_off_nobody_can_take_tells_the_teams_manager(users, team):  # noqa: F811
    User.objects.filter(email__in=["ann@example.com", "bob@example.com"]).update(
        away_from=NOW.date(), away_until=NOW.date()
    )
    handoff = Handoff.objects.get(contact=mql("c1@acme.io", users["admin"]))
    assert handoff.owner_id is None
    assert told("handoff.queued") == [
        ("max@example.com", "Nobody could take c1@acme.io: waiting in SDR Americas's queue")
    ]
    assert not Message.objects.filter(event="handoff.assigned").exists()


@pytest.mark.django_db
def test_a_reassignment_tells_the_new_rep(users, team):  # noqa: F811
    handoff = Handoff.objects.get(contact=mql("c1@acme.io", users["admin"]))
    other = rep("bob@example.com") if handoff.owner.email == "ann@example.com" else rep("ann@example.com")
    with clock.frozen(NOW.replace(hour=16)):
        handoff_actions.handoff_reassign(handoff=handoff, acting_user=team.manager, to_user=other, reason="coverage")
    assert [email for email, _ in told("handoff.assigned")] == sorted([handoff.owner.email, other.email])


@pytest.mark.django_db
def test_a_rejection_tells_marketing_why(users, team):  # noqa: F811
    handoff = Handoff.objects.get(contact=mql("c1@acme.io", users["admin"]))
    handoff_actions.handoff_reject(handoff=handoff, acting_user=handoff.owner, reason="other", note="Student")
    assert told("handoff.rejected") == [("marketing@example.com", "Rejected by sales: c1@acme.io (other)")]
    message = Message.objects.get(event="handoff.rejected")
    assert (message.payload["reason"], message.payload["note"], message.payload["by"]) == ("other", "Student",
                                                                                          handoff.owner.email)  # fmt: skip


@pytest.mark.django_db
def test_a_recycled_contact_from_a_campaign_tells_that_campaigns_owner_only(users, team):  # noqa: F811
    owner = User.objects.create_user("cara@example.com", "pw", role="marketing")
    Campaign.objects.create(name="Webinar", utm_campaign="q4-webinar", owner=owner)
    contact = mql("c1@acme.io", users["admin"])
    Contact.objects.filter(pk=contact.pk).update(last_campaign="Q4-Webinar")
    handoff = Handoff.objects.select_related("contact").get(contact=contact)
    import datetime as dt

    handoff_actions.handoff_recycle(handoff=handoff, acting_user=handoff.owner, reason="not_ready",
                                    reengage_on=dt.date(2027, 6, 1))  # fmt: skip
    assert told("handoff.recycled") == [("cara@example.com", "Recycled by sales: c1@acme.io (not_ready)")]
    assert "Re-engage on 2027-06-01." in Message.objects.get(event="handoff.recycled").body


@pytest.mark.django_db
def test_on_its_re_engage_date_a_recycled_contact_resurfaces_once_and_may_qualify_again(users, team):  # noqa: F811
    import datetime as dt

    from accord.lifecycle.reengage import reengage_due

    handoff = Handoff.objects.select_related("contact").get(contact=mql("c1@acme.io", users["admin"]))
    with clock.frozen(NOW):
        handoff_actions.handoff_recycle(handoff=handoff, acting_user=handoff.owner, reason="not_ready",
                                        reengage_on=dt.date(2026, 12, 20))  # fmt: skip
    assert reengage_due(now=NOW + dt.timedelta(days=18)) == {"resurfaced": 0, "requalified": 0}  # the 19th
    day = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.UTC)
    with clock.frozen(day):
        assert reengage_due(now=day) == {"resurfaced": 1, "requalified": 1}
        assert reengage_due(now=day) == {"resurfaced": 0, "requalified": 0}
    assert told("contact.reengage_reached") == [("marketing@example.com", "Time to re-engage c1@acme.io")]
    contact = Contact.objects.get(pk=handoff.contact_id)
    assert (contact.stage, contact.reengage_on) == ("mql", None)
    assert Handoff.objects.filter(contact=contact).count() == 2
