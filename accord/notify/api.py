from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.core.schemas import Pagination, PathId, QuerySchema, errors
from accord.notify import preferences, queries, subscriptions
from accord.notify.models import Delivery, Notification, Subscription
from accord.notify.schemas import (
    DeliveryOut,
    MarkReadIn,
    NotificationOut,
    PreferenceOut,
    PreferencesIn,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionSecretOut,
    UnreadOut,
)

router = Router(tags=["notifications"])
WRITE = errors(400, 404, 413)


@router.get("/notifications", response={200: list[NotificationOut], **errors()}, summary="My notifications")
@paginate(Pagination)
def notification_list(request: HttpRequest) -> QuerySet[Notification]:
    return queries.inbox(acting_user(request, Scope.READ))


@router.get("/notifications/unread", response={200: UnreadOut, **errors()}, summary="How many are unread")
def notification_unread(request: HttpRequest) -> dict[str, int]:
    return {"unread": queries.unread_count(acting_user(request, Scope.READ))}


@router.post("/notifications/read", response={200: UnreadOut, **errors(400, 413)}, summary="Mark notifications read")
def notification_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    user = acting_user(request, Scope.WRITE)
    queries.mark_read(user, payload.ids)
    return {"unread": queries.unread_count(user)}


@router.get(
    "/notifications/preferences",
    response={200: list[PreferenceOut], **errors()},
    summary="How I hear of each event by email",
)
def preference_list(request: HttpRequest) -> list[preferences.Choice]:
    return preferences.preferences_of(acting_user(request, Scope.READ))


@router.put(
    "/notifications/preferences",
    response={200: list[PreferenceOut], **errors(413)},
    summary="Choose how I hear of events by email",
    description="At once, in a daily digest, or not at all; the in-app notification is written either way.",
)
def preference_set(request: HttpRequest, payload: PreferencesIn) -> list[preferences.Choice]:
    user = acting_user(request, Scope.WRITE)
    return preferences.preferences_set(choices=payload.email, acting_user=user)


@router.get(
    "/subscriptions", response={200: list[SubscriptionOut], **errors()}, summary="Webhook and Slack subscriptions"
)
def subscription_list(request: HttpRequest) -> list[Subscription]:
    subscriptions.require_admin(acting_user(request, Scope.ADMIN))
    return list(Subscription.objects.all())


@router.post(
    "/subscriptions",
    response={201: SubscriptionSecretOut, **WRITE},
    summary="Subscribe a webhook or Slack",
    description="Admins only. The answer shows the signing secret once; rotate it to see a new one.",
)
def subscription_create(request: HttpRequest, payload: SubscriptionIn) -> Status[Subscription]:
    user = acting_user(request, Scope.ADMIN)
    return Status(201, subscriptions.subscription_create(data=payload.model_dump(), acting_user=user))


@router.patch(
    "/subscriptions/{subscription_id}", response={200: SubscriptionOut, **WRITE}, summary="Change a subscription"
)
def subscription_update(request: HttpRequest, subscription_id: PathId, payload: SubscriptionPatch) -> Subscription:
    user = acting_user(request, Scope.ADMIN)
    found = get_object_or_404(Subscription, pk=subscription_id)
    data = payload.model_dump(exclude_unset=True)
    return subscriptions.subscription_update(subscription=found, data=data, acting_user=user)


@router.post(
    "/subscriptions/{subscription_id}/secret",
    response={200: SubscriptionSecretOut, **WRITE},
    summary="Rotate a subscription's signing secret",
)
def subscription_rotate(request: HttpRequest, subscription_id: PathId) -> Subscription:
    user = acting_user(request, Scope.ADMIN)
    found = get_object_or_404(Subscription, pk=subscription_id)
    return subscriptions.subscription_rotate_secret(subscription=found, acting_user=user)


@router.delete("/subscriptions/{subscription_id}", response={204: None, **errors(404)}, summary="Delete a subscription")
def subscription_delete(request: HttpRequest, subscription_id: PathId) -> Status[None]:
    user = acting_user(request, Scope.ADMIN)
    subscriptions.subscription_delete(
        subscription=get_object_or_404(Subscription, pk=subscription_id), acting_user=user
    )
    return Status(204, None)


class DeliveryFilters(QuerySchema):
    subscription_id: PathId | None = None


@router.get("/deliveries", response={200: list[DeliveryOut], **errors()}, summary="The delivery log, newest first")
@paginate(Pagination)
def delivery_list(request: HttpRequest, filters: Query[DeliveryFilters]) -> QuerySet[Delivery]:
    subscriptions.require_admin(acting_user(request, Scope.ADMIN))
    return queries.delivery_log(filters.subscription_id)


@router.post("/deliveries/{delivery_id}/resend", response={200: DeliveryOut, **WRITE}, summary="Send a delivery again")
def delivery_resend(request: HttpRequest, delivery_id: PathId) -> Any:
    user = acting_user(request, Scope.ADMIN)
    found = get_object_or_404(Delivery.objects.select_related("message"), pk=delivery_id)
    return subscriptions.delivery_resend(delivery=found, acting_user=user)
