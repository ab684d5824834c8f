"""The SLA's scheduled job."""

from __future__ import annotations

from celery import shared_task

from accord.sla.sweep import sweep as _sweep


@shared_task(name="accord.sla.sweep")
def sweep() -> dict[str, int]:
    """Every minute: breach and escalate what is past due, remind what is about to be."""
    return _sweep()
