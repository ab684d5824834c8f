"""The stage machine's scheduled job."""

from __future__ import annotations

from celery import shared_task

from accord.lifecycle.reengage import reengage_due


@shared_task(name="accord.lifecycle.reengage")
def reengage() -> dict[str, int]:
    """Every quarter of an hour: resurface recycled contacts whose re-engage date has come."""
    return reengage_due()
