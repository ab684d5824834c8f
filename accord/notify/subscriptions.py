"""Webhook and Slack subscriptions, written by admins; each change is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accord.accounts.domain import Capability, refusal
from accord.accounts.models import User
from accord.core import audit
from accord.core.errors import InvalidInput, PermissionDenied
from accord.notify import deliver, domain
from accord.notify.models import Delivery, Subscription


def require_admin(user: User) -> None:
    if not user.can(Capability.USER_ADMIN):
        raise PermissionDenied(refusal(Capability.USER_ADMIN))


def _checked(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if "name" in data or not partial:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise InvalidInput("name: give the subscription a name of at most 100 characters", field="name")
        found["name"] = name.strip()
    if "kind" in data or not partial:
        kind = data.get("kind", Subscription.Kind.WEBHOOK)
        if kind not in Subscription.Kind.values:
            raise InvalidInput(f"kind: must be one of {', '.join(Subscription.Kind.values)}", field="kind")
        found["kind"] = kind
    if "url" in data or not partial:
        kind = found.get("kind", data.get("kind"))
        check = domain.slack_url_problem if kind == Subscription.Kind.SLACK else domain.webhook_url_problem
        problem = check(data.get("url"))
        if problem:
            raise InvalidInput(f"url: {problem}", field="url")
        found["url"] = data["url"]
    if "events" in data:
        events = data["events"]
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise InvalidInput("events: must be a list of event names (empty for every event)", field="events")
        unknown = [e for e in events if e not in domain.EVENTS]
        if unknown:
            raise InvalidInput(
                f"events: unknown event {unknown[0][:60]!r}; known: {', '.join(domain.EVENTS)}", field="events"
            )
        found["events"] = sorted(set(events))
    if "active" in data:
        if not isinstance(data["active"], bool):
            raise InvalidInput("active: must be true or false", field="active")
        found["active"] = data["active"]
    return found


def subscription_create(*, data: dict[str, Any], acting_user: User) -> Subscription:
    require_admin(acting_user)
    fields = _checked(data, partial=False)
    with transaction.atomic():
        made = Subscription.objects.create(**fields, secret=domain.new_secret(), created_by=acting_user)
        audit.record(
            action="subscription_create",
            obj=made,
            actor=acting_user,
            after={k: v for k, v in fields.items() if k != "url"} | {"url": made.url},
        )
    return made


def subscription_update(*, subscription: Subscription, data: dict[str, Any], acting_user: User) -> Subscription:
    require_admin(acting_user)
    if "url" in data and "kind" not in data:
        data = {**data, "kind": subscription.kind}
    fields = _checked(data, partial=True)
    with transaction.atomic():
        before = {k: getattr(subscription, k) for k in fields}
        for key, value in fields.items():
            setattr(subscription, key, value)
        subscription.save(update_fields=list(fields) or None)
        audit.record(action="subscription_update", obj=subscription, actor=acting_user, before=before, after=fields)
    return subscription


def subscription_rotate_secret(*, subscription: Subscription, acting_user: User) -> Subscription:
    require_admin(acting_user)
    with transaction.atomic():
        subscription.secret = domain.new_secret()
        subscription.save(update_fields=["secret"])
        audit.record(action="subscription_rotate_secret", obj=subscription, actor=acting_user)
    return subscription


def subscription_delete(*, subscription: Subscription, acting_user: User) -> None:
    require_admin(acting_user)
    with transaction.atomic():
        audit.record(
            action="subscription_delete", obj=subscription, actor=acting_user, before={"url": subscription.url}
        )
        subscription.delete()


def delivery_resend(*, delivery: Delivery, acting_user: User) -> Delivery:
    require_admin(acting_user)
    deliver.resend(delivery)
    audit.record(action="delivery_resend", obj=delivery, actor=acting_user)
    delivery.refresh_from_db()
    return delivery
