"""Reads of notifications: a person's inbox and its unread count, a subscription's delivery log."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.accounts.models import User
from accord.core import clock
from accord.notify.models import Delivery, Notification


def inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("message").order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (these, or all); how many were unread."""
    found = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        found = found.filter(pk__in=ids)
    return found.update(read_at=clock.now())


def delivery_log(subscription_id: int | None = None) -> QuerySet[Delivery]:
    found = Delivery.objects.select_related("message", "subscription").prefetch_related("tries")
    if subscription_id is not None:
        found = found.filter(subscription_id=subscription_id)
    return found.exclude(channel=Delivery.Channel.EMAIL).order_by("-created_at", "-id")
