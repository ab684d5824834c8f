"""Each person's choice of how to hear of each event by email, and the daily digest.

Given people and notes, when a person chose an event's email at once, in a digest or off, then the
outbox writes the in-app notification either way and the email at once, never, or into the digest;
and the digest job, run at any moments, sends each person at most one digest a local day, from the
digest hour in their own time zone, listing what is still unread, each notification in one digest.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.accounts.models import User
from accord.core import clock
from accord.core.errors import InvalidInput
from accord.notify import deliver, domain
from accord.notify.digests import digest_send
from accord.notify.domain import Event
from accord.notify.models import Delivery, Message, Notification, Preference
from accord.notify.outbox import Note, outbox_write
from accord.notify.preferences import preferences_of, preferences_set
from accord.notify.tests.receivers import arrived, smtp_mail

# Monday 7 December 2026, 13:00 UTC: 08:00 in New York, 14:00 in Berlin, 22:00 in Tokyo.
NOW = dt.datetime(2026, 12, 7, 13, 0, tzinfo=dt.UTC)


def note(n: int, users: tuple[int, ...], event: Event = Event.DEAL_WON) -> Note:
    return Note(event, f"{event}:{n}", f"Won: deal {n}", "", f"/deals/{n}/", {"deal": n}, users)


def choose(user: User, **modes: str) -> None:
    preferences_set(choices={Event[name.upper()].value: mode for name, mode in modes.items()}, acting_user=user)


# --- the pure part ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "digest_hour", "due"), [(7, 8, False), (8, 8, True), (23, 8, True), (0, 0, True), (22, 23, False)]
)
def test_a_digest_is_due_from_its_hour_local_time(hour: int, digest_hour: int, due: bool) -> None:
    assert domain.digest_due(hour, digest_hour) is due


def test_a_digest_lists_each_notification_with_its_link_and_counts_the_rest() -> None:
    text = domain.digest_text(
        [("Won: Acme", "Mon 7 Dec, 09:12", "/deals/1/"), ("Lost: Initech", "Mon 7 Dec, 10:00", "")],
        base_url="https://accord.example.com",
        more=3,
    )
    assert text.splitlines() == [
        "- Won: Acme (Mon 7 Dec, 09:12)",
        "  https://accord.example.com/deals/1/",
        "- Lost: Initech (Mon 7 Dec, 10:00)",
        "… and 3 more: https://accord.example.com/notifications/",
    ]


def test_every_event_has_a_label_and_the_digest_is_no_event() -> None:
    assert set(domain.EVENT_LABELS) == set(Event)
    assert domain.DIGEST not in domain.EVENTS


# --- choosing --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_choice_every_email_goes_at_once(users: dict[str, Any]) -> None:
    choices = preferences_of(users["sales_rep"])
    assert [c.event for c in choices] == list(domain.EVENTS)
    assert {c.email for c in choices} == {"instant"}


@pytest.mark.django_db
def test_a_person_changes_the_events_given_and_keeps_the_others(users: dict[str, Any]) -> None:
    rep = users["sales_rep"]
    choose(rep, deal_won="digest", deal_lost="off")
    choose(rep, deal_won="instant", sla_reminder="digest")
    assert {c.event: c.email for c in preferences_of(rep) if c.email != "instant"} == {
        "deal.lost": "off",
        "sla.reminder": "digest",
    }
    assert preferences_of(users["sales_manager"])[0].email == "instant"  # only the rep's own


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("choices", "field", "says"),
    [
        ({"deal.won": "digest", "deal.wonn": "off"}, "email.deal.wonn", "unknown event"),
        ({"deal.won": "weekly"}, "email.deal.won", "must be one of instant, digest, off"),
        ({"deal.won": 3}, "email.deal.won", "must be one of"),
    ],
)
def test_a_bad_choice_is_named_and_nothing_is_written(
    users: dict[str, Any], choices: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        preferences_set(choices=choices, acting_user=users["sales_rep"])
    assert refused.value.field == field
    assert says in str(refused.value)
    assert Preference.objects.count() == 0


# --- the outbox honours the choice -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "emails", "awaits"), [("instant", 1, False), ("digest", 0, True), ("off", 0, False)])
def test_the_in_app_notification_is_written_whatever_the_choice_and_the_email_as_chosen(
    users: dict[str, Any], mode: str, emails: int, awaits: bool
) -> None:
    rep, manager = users["sales_rep"], users["sales_manager"]
    choose(rep, deal_won=mode, deal_lost="off")  # another event's choice changes nothing here
    with clock.frozen(NOW):
        outbox_write([note(1, (rep.pk, manager.pk))])
    assert list(Notification.objects.filter(user=rep).values_list("awaits_digest", flat=True)) == [awaits]
    assert Notification.objects.filter(user=manager, awaits_digest=False).count() == 1
    assert Delivery.objects.filter(user=rep).count() == emails
    assert Delivery.objects.filter(user=manager).count() == 1  # no choice: at once


# --- the digest ------------------------------------------------------------------------------------


def _person(email: str, zone: str) -> User:
    person = User.objects.create_user(email, "pw", time_zone=zone)
    choose(person, deal_won="digest")
    return person


@pytest.mark.django_db
def test_each_digest_goes_from_the_digest_hour_in_the_persons_own_time_zone() -> None:
    york, berlin, tokyo = (
        _person(f"{c}@example.com", z)
        for c, z in (("york", "America/New_York"), ("berlin", "Europe/Berlin"), ("tokyo", "Asia/Tokyo"))
    )
    with clock.frozen(NOW - dt.timedelta(hours=6)):  # 07:00 UTC: 02:00 in New York, 08:00 in Berlin, 16:00 in Tokyo
        outbox_write([note(1, (york.pk, berlin.pk, tokyo.pk))])
    with override_settings(ACCORD_DIGEST_HOUR=9):
        assert digest_send(now=NOW - dt.timedelta(hours=6)) == {"sent": 1, "waiting": 2}  # Tokyo's
        assert digest_send(now=NOW) == {"sent": 1, "waiting": 1}  # 14:00 in Berlin; 08:00 in New York
        assert digest_send(now=NOW + dt.timedelta(hours=1)) == {"sent": 1, "waiting": 0}
    assert sorted(Message.objects.filter(event=domain.DIGEST).values_list("key", flat=True)) == [
        f"notify.digest:{york.pk}:2026-12-07",
        f"notify.digest:{berlin.pk}:2026-12-07",
        f"notify.digest:{tokyo.pk}:2026-12-07",
    ]
    assert sorted(Delivery.objects.filter(message__event=domain.DIGEST).values_list("address", flat=True)) == [
        "berlin@example.com",
        "tokyo@example.com",
        "york@example.com",
    ]
    assert not Notification.objects.filter(awaits_digest=True).exists()


@pytest.mark.django_db
def test_a_digest_lists_what_is_unread_once_a_day_and_later_notes_wait_for_the_next(users: dict[str, Any]) -> None:
    rep = users["sales_rep"]
    choose(rep, deal_won="digest")
    with clock.frozen(NOW - dt.timedelta(hours=5)):
        outbox_write([note(n, (rep.pk,)) for n in (1, 2, 3)])
    Notification.objects.filter(message__key="deal.won:2").update(read_at=NOW)  # read in Accord already
    assert digest_send(now=NOW) == {"sent": 1, "waiting": 0}
    assert digest_send(now=NOW) == {"sent": 0, "waiting": 0}  # nothing waits
    digest = Message.objects.get(event=domain.DIGEST)
    assert digest.title == "Your Accord digest: 2 notifications"
    assert digest.body.splitlines() == [
        "- Won: deal 1 (Mon 7 Dec, 08:00)",
        "  http://127.0.0.1:8000/deals/1/",
        "- Won: deal 3 (Mon 7 Dec, 08:00)",
        "  http://127.0.0.1:8000/deals/3/",
    ]
    assert set(Notification.objects.values_list("digest_id", flat=True)) == {digest.pk}
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        outbox_write([note(4, (rep.pk,))])
    assert digest_send(now=NOW + dt.timedelta(hours=2)) == {"sent": 0, "waiting": 0}  # today's went
    assert Notification.objects.get(message__key="deal.won:4").awaits_digest
    assert digest_send(now=NOW + dt.timedelta(days=1)) == {"sent": 1, "waiting": 0}
    assert Message.objects.filter(event=domain.DIGEST).count() == 2
    assert Delivery.objects.filter(message__event=domain.DIGEST).count() == 2


@pytest.mark.django_db
def test_nothing_unread_and_nobody_to_mail_send_no_digest(users: dict[str, Any]) -> None:
    rep, manager = users["sales_rep"], users["sales_manager"]
    for person in (rep, manager):
        choose(person, deal_won="digest")
    with clock.frozen(NOW - dt.timedelta(hours=1)):
        outbox_write([note(1, (rep.pk, manager.pk))])
    Notification.objects.filter(user=rep).update(read_at=NOW)
    User.objects.filter(pk=manager.pk).update(is_active=False)
    assert digest_send(now=NOW) == {"sent": 0, "waiting": 0}
    assert (Message.objects.filter(event=domain.DIGEST).count(), Delivery.objects.count()) == (0, 0)
    assert not Notification.objects.filter(awaits_digest=True).exists()


@pytest.mark.django_db
def test_the_digest_arrives_through_a_real_smtp_server(users: dict[str, Any]) -> None:
    rep = users["sales_rep"]
    choose(rep, deal_won="digest")
    with clock.frozen(NOW - dt.timedelta(hours=1)):
        outbox_write([note(n, (rep.pk,)) for n in range(1, 61)])
    with smtp_mail() as inbox:
        digest_send(now=NOW)
        assert deliver.deliver_due(now=NOW) == {"sent": 1, "retrying": 0, "dead": 0}
        arrived(inbox)
    assert len(inbox) == 1
    mail = inbox[0]
    assert (mail["Subject"], mail["To"], mail["X-Accord-Event"]) == (
        "Your Accord digest: 60 notifications",
        rep.email,
        "notify.digest",
    )
    body = mail.get_payload()
    assert body.count("- Won: deal") == domain.DIGEST_MOST
    assert "… and 10 more: http://127.0.0.1:8000/notifications/" in body


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.integers(0, 72 * 60), st.booleans()),  # minutes after the start: a note, or a digest run
        min_size=1,
        max_size=25,
    ),
    st.sampled_from(["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland"]),
)
def test_whenever_the_job_runs_a_person_gets_at_most_one_digest_a_day_and_each_note_once(
    users: dict[str, Any], steps: list[tuple[int, bool]], zone: str
) -> None:
    Message.objects.all().delete()
    rep = users["sales_rep"]
    User.objects.filter(pk=rep.pk).update(time_zone=zone)
    rep.refresh_from_db()
    choose(rep, deal_won="digest")
    start = dt.datetime(2026, 3, 27, 0, 0, tzinfo=dt.UTC)  # across Europe's and New Zealand's clock changes
    for n, (minutes, is_note) in enumerate(sorted(steps)):
        at = start + dt.timedelta(minutes=minutes)
        if is_note:
            with clock.frozen(at):
                outbox_write([note(n, (rep.pk,))])
        else:
            digest_send(now=at)
    for hours in (0, 12):  # at last, whatever waited goes: one of these is past the hour in any zone
        digest_send(now=start + dt.timedelta(days=5, hours=hours))
    keys = list(Message.objects.filter(event=domain.DIGEST).values_list("key", flat=True))
    assert len(keys) == len(set(keys))  # one a local day
    listed = [pk for m in Message.objects.filter(event=domain.DIGEST) for pk in m.payload["notifications"]]
    assert sorted(listed) == sorted(Notification.objects.values_list("pk", flat=True))  # each once
    assert not Notification.objects.filter(awaits_digest=True).exists()
    assert Delivery.objects.filter(message__event=domain.DIGEST).count() == len(keys)
    for message in Message.objects.filter(event=domain.DIGEST):
        local = message.created_at.astimezone(zoneinfo.ZoneInfo(zone))
        assert local.hour >= 8 and message.key.endswith(local.date().isoformat())
