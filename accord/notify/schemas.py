from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from accord.core.schemas import Id, InputSchema


class NotificationOut(Schema):
    id: int
    event: str = Field(alias="message.event")
    title: str = Field(alias="message.title")
    body: str = Field(alias="message.body")
    link: str = Field(alias="message.link")
    created_at: dt.datetime
    read_at: dt.datetime | None


class UnreadOut(Schema):
    unread: int


class MarkReadIn(InputSchema):
    ids: list[Id] | None = Field(None, max_length=500, description="These notifications; leave out for all of them.")


class PreferenceOut(Schema):
    event: str
    label: str = Field(description="What the event is, in words.")
    email: str = Field(description="instant (an email each time), digest (one email a day) or off (in-app only).")


class PreferencesIn(InputSchema):
    email: dict[str, str] = Field(
        max_length=50,
        description="Event name → instant, digest or off; the events left out keep their choice.",
        examples=[{"handoff.assigned": "instant", "deal.won": "digest", "deal.lost": "off"}],
    )


class SubscriptionIn(InputSchema):
    name: str = Field(max_length=100)
    kind: str = Field("webhook", max_length=10, description="webhook (signed JSON) or slack (an incoming webhook).")
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, max_length=50, description="Event names; empty for every event.")
    active: bool = True


class SubscriptionPatch(InputSchema):
    name: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(None, max_length=50)
    active: bool | None = None


class SubscriptionOut(Schema):
    id: int
    name: str
    kind: str
    url: str
    events: list[str]
    active: bool
    created_at: dt.datetime


class SubscriptionSecretOut(SubscriptionOut):
    secret: str = Field(description="Signs each webhook body; shown when created or rotated.")


class AttemptOut(Schema):
    at: dt.datetime
    status: int | None
    error: str
    ms: int


class DeliveryOut(Schema):
    id: int
    event: str = Field(alias="message.event")
    key: str
    channel: str
    address: str
    state: str
    attempts: int
    next_attempt_at: dt.datetime
    last_status: int | None
    last_error: str
    sent_at: dt.datetime | None
    created_at: dt.datetime
    tries: list[AttemptOut] = Field(alias="tries.all")
    payload: dict[str, Any] = Field(alias="message.payload")
