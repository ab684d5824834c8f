"""The SLA and notification endpoints: calendars, a hand-off's clocks, subscriptions, the inbox and
the scoreboard; each refused call answers 4xx naming the field and writes nothing.

Given the "SDR Americas" team (the sales rep, managed by the sales manager) and one hand-off routed
on Tuesday 1 December 2026 at 15:00 UTC, when people call these endpoints, then they answer as below.
"""

from __future__ import annotations

from typing import Any

import pytest

from accord.core import clock
from accord.notify.models import Notification, Preference, Subscription
from accord.sla.models import CalendarVersion, Milestone, SlaEvent
from tests.api.test_sales_api import NOW, handoff, team  # noqa: F401 (fixtures)

WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.mark.django_db
def test_an_admin_writes_a_teams_next_calendar_version_and_reads_every_version(api_as, team, handoff):  # noqa: F811
    admin = api_as("admin")
    first = admin.get(f"/teams/{team.pk}/calendar")
    assert (first.status_code, first.data["number"]) == (200, 1)
    body = {"time_zone": "Europe/Berlin", "hours": WEEKDAYS, "holidays": ["12-25", "2026-12-24"], "note": "Xmas"}
    with clock.frozen(NOW):
        written = admin.put(f"/teams/{team.pk}/calendar", body)
    assert written.status_code == 200, written.data
    assert (written.data["number"], written.data["document"]["time_zone"], written.data["note"]) == (
        2,
        "Europe/Berlin",
        "Xmas",
    )
    versions = admin.get(f"/teams/{team.pk}/calendar/versions")
    assert [v["number"] for v in versions.data] == [2, 1]
    team.refresh_from_db()
    assert team.time_zone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"hours": {"mon": [["17:00", "09:00"]]}}, "hours.mon[0]"),
        ({"hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "hours.mon"),
        ({"holidays": ["02-30"]}, "holidays[0]"),
        ({"holidays": ["10000-01-01"]}, "holidays[0]"),
        ({"hours": WEEKDAYS, "zone": "UTC"}, "zone"),
        ({"hours": "all day"}, "hours"),
    ],
)
@pytest.mark.django_db
def test_a_calendar_that_cannot_be_used_is_refused_by_field(api_as, team, body, field):  # noqa: F811
    answer = api_as("admin").put(f"/teams/{team.pk}/calendar", body)
    assert answer.status_code == 422, answer.data
    assert answer.data["field"] == field or field in answer.data["detail"]
    assert not CalendarVersion.objects.filter(number__gt=1).exists()


@pytest.mark.django_db
def test_only_admins_write_calendars(api_as, api_key, team):  # noqa: F811
    assert api_as("sales_manager").put(f"/teams/{team.pk}/calendar", {"hours": WEEKDAYS}).status_code == 403
    assert api_key("read,write").put(f"/teams/{team.pk}/calendar", {"hours": WEEKDAYS}).status_code == 403
    assert not CalendarVersion.objects.filter(number__gt=1).exists()


@pytest.mark.django_db
def test_a_handoffs_clocks_and_their_pause(api_as, handoff):  # noqa: F811
    rep = api_as("sales_rep")
    with clock.frozen(NOW):
        clocks = rep.get(f"/handoffs/{handoff.pk}/sla")
    assert [(c["kind"], c["state"], c["target_minutes"], c["remaining_minutes"]) for c in clocks.data] == [
        ("first_touch", "running", 60, 60),
        ("touches", "running", clocks.data[1]["target_minutes"], clocks.data[1]["target_minutes"]),
        ("disposition", "running", clocks.data[2]["target_minutes"], clocks.data[2]["target_minutes"]),
    ]
    assert rep.post(f"/handoffs/{handoff.pk}/sla/pause", {}).status_code == 422  # no reason
    assert rep.post(f"/handoffs/{handoff.pk}/sla/pause", {"reason": "x", "until": "soon"}).status_code == 422
    with clock.frozen(NOW):
        paused = rep.post(f"/handoffs/{handoff.pk}/sla/pause", {"reason": "asked for next week"})
        again = rep.post(f"/handoffs/{handoff.pk}/sla/pause", {"reason": "again"})
        resumed = rep.post(f"/handoffs/{handoff.pk}/sla/resume")
    assert {c["state"] for c in paused.data} == {"paused"}
    assert again.status_code == 409
    assert {c["state"] for c in resumed.data} == {"running"}
    history = rep.get(f"/handoffs/{handoff.pk}/sla/history").data
    assert [e["kind"] for e in history].count("paused") == 3


@pytest.mark.django_db
def test_someone_elses_clock_cannot_be_paused(api_as, users, handoff):  # noqa: F811
    from accord.accounts.models import User

    User.objects.create_user("other@example.com", "pw", role="sales_rep")
    from django.test import Client

    from conftest import ApiClient

    client = Client()
    client.force_login(User.objects.get(email="other@example.com"))
    answer = ApiClient(client).post(f"/handoffs/{handoff.pk}/sla/pause", {"reason": "mine now"})
    assert answer.status_code == 403
    assert not SlaEvent.objects.filter(kind="paused").exists()
    assert not Milestone.objects.filter(state="paused").exists()


@pytest.mark.django_db
def test_an_admin_subscribes_a_webhook_and_sees_its_secret_once(api_as):
    admin = api_as("admin")
    made = admin.post("/subscriptions", {"name": "CRM", "url": "https://crm.example.com/in", "events": ["deal.won"]})
    assert made.status_code == 201, made.data
    assert made.data["secret"].startswith("whsec_")
    listed = admin.get("/subscriptions")
    assert "secret" not in listed.data[0]
    changed = admin.patch(f"/subscriptions/{made.data['id']}", {"active": False})
    assert (changed.status_code, changed.data["active"]) == (200, False)
    rotated = admin.post(f"/subscriptions/{made.data['id']}/secret")
    assert rotated.data["secret"] != made.data["secret"]
    assert admin.delete(f"/subscriptions/{made.data['id']}").status_code == 204
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "ftp://example.com/in"}, "url"),
        ({"name": "x", "url": "javascript:alert(1)"}, "url"),
        ({"name": "x", "kind": "slack", "url": "https://example.com/webhook"}, "url"),
        ({"name": "x", "kind": "slack", "url": "https://acme.slack.com/archives/C1"}, "url"),
        ({"name": "x", "url": "https://example.com/in", "events": ["deal.maybe"]}, "events"),
        ({"name": "x", "kind": "pager", "url": "https://example.com/in"}, "kind"),
        ({"name": " ", "url": "https://example.com/in"}, "name"),
        ({"name": "x", "url": "https://example.com/in", "secret": "mine"}, "secret"),
        ({"url": "https://example.com/in"}, "name"),
    ],
)
@pytest.mark.django_db
def test_a_subscription_that_cannot_be_used_is_refused_by_field(api_as, body, field):
    answer = api_as("admin").post("/subscriptions", body)
    assert answer.status_code == 422, answer.data
    assert field in (answer.data.get("field") or "") + answer.data["detail"]
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_only_admins_see_or_write_subscriptions_and_deliveries(api_as, api_key):
    for role in ("sales_manager", "marketing"):
        api = api_as(role)
        assert api.post("/subscriptions", {"name": "x", "url": "https://example.com/in"}).status_code == 403
        assert api.get("/deliveries").status_code == 403
    assert api_key("read,write").get("/subscriptions").status_code == 403
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_my_notifications_their_unread_count_and_marking_them_read(api_as, handoff):  # noqa: F811
    rep = api_as("sales_rep")
    inbox = rep.get("/notifications")
    assert [n["event"] for n in inbox.data["items"]] == ["handoff.assigned"]
    assert rep.get("/notifications/unread").data == {"unread": 1}
    assert api_as("marketing").get("/notifications/unread").data == {"unread": 0}
    assert rep.post("/notifications/read", {"ids": ["one"]}).status_code == 422
    assert rep.post("/notifications/read", {}).data == {"unread": 0}
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_i_choose_how_each_event_reaches_me_by_email(api_as, api_key, users):
    rep = api_as("sales_rep")
    listed = rep.get("/notifications/preferences")
    assert listed.status_code == 200
    assert {p["email"] for p in listed.data} == {"instant"} and len(listed.data) == 10
    changed = rep.put("/notifications/preferences", {"email": {"deal.won": "digest", "deal.lost": "off"}})
    assert changed.status_code == 200, changed.data
    assert {p["event"]: p["email"] for p in changed.data if p["email"] != "instant"} == {
        "deal.won": "digest",
        "deal.lost": "off",
    }
    assert api_as("sales_manager").get("/notifications/preferences").data[0]["email"] == "instant"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": {"deal.won": "weekly"}}, 422, "email.deal.won"),
        ({"email": {"deal.won": "digest", "nope": "off"}}, 422, "email.nope"),
        ({"email": {"deal.won": 3}}, 422, "email.deal.won"),
        ({"email": ["deal.won"]}, 422, "email"),
        ({}, 422, "email"),
        ({"email": {}, "sms": True}, 422, "sms"),
        ({"email": {f"e{n}": "off" for n in range(51)}}, 422, "email"),
    ],
)
def test_a_bad_choice_is_refused_naming_the_field_and_nothing_is_written(api_as, users, body, status, field):
    answer = api_as("sales_rep").put("/notifications/preferences", body)
    assert (answer.status_code, answer.data["field"]) == (status, field), answer.data
    assert not Preference.objects.exists()


@pytest.mark.django_db
def test_a_read_only_key_cannot_change_choices(api_key):
    assert api_key("read").get("/notifications/preferences").status_code == 200
    assert api_key("read").put("/notifications/preferences", {"email": {"deal.won": "off"}}).status_code == 403
    assert not Preference.objects.exists()


@pytest.mark.django_db
def test_the_scoreboard_answers_both_sides_and_refuses_an_unknown_period(api_as, handoff):  # noqa: F811
    api = api_as("marketing")
    board = api.get("/scoreboard?period=month&day=2026-12-01")
    assert board.status_code == 200
    data: dict[str, Any] = board.data
    assert data["period"] == {"kind": "month", "start": "2026-12-01", "end": "2027-01-01", "label": "December 2026"}
    assert (data["marketing"]["delivered"], data["marketing"]["commitment"]) == (1, 120.0)
    assert data["sales"]["total"]["received"] == 1
    bad = api.get("/scoreboard?period=fortnight")
    assert (bad.status_code, bad.data["field"]) == (422, "period")
    assert api.get("/scoreboard?day=2026-13-45").status_code == 422
