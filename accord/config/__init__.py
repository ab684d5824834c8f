"""Wiring. The Celery app is loaded with Django, so that `task.delay()` anywhere uses Accord's
configuration: the broker when ACCORD_BROKER_URL is set, in-process execution otherwise."""

from accord.config.celery import app as celery_app

__all__ = ["celery_app"]
