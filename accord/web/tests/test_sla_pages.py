"""The SLA screens: the clock on the queue and the contact page, notifications, the scoreboard, team
calendars and webhooks. Refused input shows its error by the field (or the line of a box) and
saves nothing."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core import clock
from accord.notify.models import Delivery, Message, Notification, Preference, Subscription
from accord.sla.models import CalendarVersion
from accord.web.tests.handoffs import qualified, sales_teams

pytestmark = pytest.mark.django_db


@pytest.fixture
def handoff(users: dict[str, Any]) -> Any:
    sales_teams(users)
    return qualified(users, email="ada@acme.com", first_name="Ada")


def test_the_queue_and_the_contact_page_show_the_running_clock(client_as: Any, handoff: Any) -> None:
    page = client_as("sales_rep").get("/queue/").content.decode()
    assert 'data-sla-kind="first_touch"' in page and "data-countdown" in page and "left</span>" in page
    contact = client_as("sales_rep").get(f"/contacts/{handoff.contact_id}/").content.decode()
    assert 'id="sla"' in contact
    assert contact.count("data-sla-kind=") == 3


def test_notifications_list_count_and_mark_read(client_as: Any, handoff: Any, users: dict[str, Any]) -> None:
    rep = client_as("sales_rep")
    assert b'aria-label="1 unread"' in rep.get("/notifications/badge/").content
    page = rep.get("/notifications/").content.decode()
    assert "New hand-off: Ada" in page and "notice--unread" in page
    assert rep.post("/notifications/read/").status_code == 303
    assert not Notification.objects.filter(user=users["sales_rep"], read_at__isnull=True).exists()
    assert b"aria-label" not in rep.get("/notifications/badge/").content


def test_notification_settings_show_each_event_and_save_a_choice(client_as: Any, users: dict[str, Any]) -> None:
    rep = client_as("sales_rep")
    page = rep.get("/notifications/settings/").content.decode()
    assert page.count('type="radio"') == 30 and page.count(" checked") == 10
    assert rep.post("/notifications/settings/", {"deal.won": "digest", "deal.lost": "off"}).status_code == 303
    assert dict(Preference.objects.filter(user=users["sales_rep"]).values_list("event", "email")) == {
        "deal.won": "digest",
        "deal.lost": "off",
    }
    refused = rep.post("/notifications/settings/", {"deal.won": "weekly", "deal.lost": "instant"})
    assert refused.status_code == 200 and "email.deal.won: must be one of" in refused.content.decode()
    assert Preference.objects.get(event="deal.lost").email == "off"  # nothing written


@pytest.mark.parametrize("role", ["admin", "marketing", "sales_rep", "sales_manager", "viewer"])
def test_every_role_reads_the_scoreboard(client_as: Any, handoff: Any, role: str) -> None:
    page = client_as(role).get(f"/scoreboard/?period=month&day={clock.now().date().isoformat()}")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="mk-delivered">1 of 120' in text
    assert 'id="delivery-data"' in text


def test_a_period_that_cannot_be_read_shows_this_week(client_as: Any, handoff: Any) -> None:
    assert b"Week of" in client_as("marketing").get("/scoreboard/?period=fortnight&day=nonsense").content


def test_an_admin_saves_a_calendar_version_from_the_form(client_as: Any, handoff: Any) -> None:
    team = handoff.team
    form = {"time_zone": "Europe/Berlin", "hours_mon": "09:00-12:00, 13:00-17:00", "hours_fri": "09:00-15:00",
            "holidays": "2026-12-24 Christmas Eve\n\n12-25 Christmas", "closures": "", "note": "winter"}  # fmt: skip
    answer = client_as("admin").post(f"/admin/calendars/{team.pk}/", form)
    assert answer.status_code == 303
    version = CalendarVersion.objects.get(team=team, number=2)
    assert version.document["hours"] == {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "fri": [["09:00", "15:00"]]}
    assert version.document["holidays"] == [{"date": "2026-12-24", "label": "Christmas Eve"},
                                            {"date": "12-25", "label": "Christmas"}]  # fmt: skip
    page = client_as("admin").get(f"/admin/calendars/{team.pk}/").content.decode()
    assert "<strong>v2</strong>" in page and "winter" in page


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("time_zone", "Mars/Base", "is not a time zone"),
        ("hours_tue", "17:00-09:00", "starts at or after it ends"),
        ("hours_wed", "nine to five", "write spans as"),
        ("holidays", "2026-12-24\n\n02-30 never", "line 3: '02-30' is not a day of any year"),
        ("closures", "2026-12-31T13:00 2026-12-31T17:00", "line 1: write a closure as"),
    ],
)
def test_a_calendar_form_that_cannot_be_saved_names_the_field_and_line(
    client_as: Any, handoff: Any, field: str, value: str, shown: str
) -> None:
    form = {"time_zone": "UTC", "hours_mon": "09:00-17:00", field: value}
    answer = client_as("admin").post(f"/admin/calendars/{handoff.team.pk}/", form)
    assert answer.status_code == 422
    assert shown.lower() in answer.content.decode().replace("&#x27;", "'").lower()
    assert not CalendarVersion.objects.filter(number__gt=1).exists()


def test_only_admins_reach_calendars_and_webhooks(client_as: Any, handoff: Any) -> None:
    for role in ("marketing", "sales_manager", "sales_rep", "viewer"):
        client = client_as(role)
        assert client.get("/admin/calendars/").status_code == 403
        assert client.post(f"/admin/calendars/{handoff.team.pk}/", {"time_zone": "UTC"}).status_code == 403
        assert client.post("/admin/webhooks/", {"name": "x", "url": "https://example.com/in"}).status_code == 403
    assert not Subscription.objects.exists()
    assert not CalendarVersion.objects.filter(number__gt=1).exists()


def test_an_admin_subscribes_a_webhook_sees_the_secret_once_and_re_sends_a_delivery(client_as: Any) -> None:
    admin = client_as("admin")
    answer = admin.post("/admin/webhooks/", {"name": "CRM", "kind": "webhook", "url": "https://crm.example.com/in",
                                             "events": ["deal.won", "sla.breached"]})  # fmt: skip
    assert answer.status_code == 303
    subscription = Subscription.objects.get()
    assert subscription.events == ["deal.won", "sla.breached"]
    first = admin.get(answer["Location"]).content.decode()
    assert subscription.secret in first
    assert subscription.secret not in admin.get(answer["Location"]).content.decode()
    message = Message.objects.create(key="k", event="deal.won", title="Won: Acme")
    dead = Delivery.objects.create(message=message, channel="webhook", subscription=subscription,
                                   address=subscription.url, state="dead", attempts=8, last_status=500)  # fmt: skip
    log = admin.get(answer["Location"]).content.decode()
    assert f'id="delivery-{dead.pk}"' in log and "dead" in log
    assert admin.post(f"/admin/deliveries/{dead.pk}/resend/").status_code == 303
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == ("pending", 0)


@pytest.mark.parametrize(
    ("form", "shown"),
    [
        ({"name": "x", "kind": "slack", "url": "https://example.com/hook"}, "incoming-webhook"),
        ({"name": "x", "kind": "webhook", "url": "ftp://example.com/"}, "must be http or https"),
    ],
)
def test_a_subscription_form_that_cannot_be_saved_says_why(client_as: Any, form: dict[str, str], shown: str) -> None:
    answer = client_as("admin").post("/admin/webhooks/", form)
    assert answer.status_code == 422
    assert shown in answer.content.decode()
    assert not Subscription.objects.exists()
