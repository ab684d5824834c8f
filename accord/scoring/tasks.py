"""Background work of the scoring engine. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task

from accord.scoring.actions import contacts_refresh


@shared_task(name="accord.scoring.refresh")
def refresh(*, contact_ids: list[int], history: bool = False) -> int:
    """Score contacts again after an edit of their profile or account (or a merge, with history)."""
    return len(contacts_refresh(ids=contact_ids, history=history).changed)


@shared_task(name="accord.scoring.rescore")
def rescore_all() -> int:
    """Recompute every contact under the active playbook: queued when a version becomes active."""
    from accord.scoring.rescore import rescore  # the vectorised engine loads Polars: only when needed

    return rescore().changed


@shared_task(name="accord.scoring.decay")
def decay() -> int:
    """Once a day: store each contact's interest as it has faded since it was last scored."""
    from accord.scoring.rescore import refresh_interest

    return refresh_interest().changed
