"""Celery app. Used only when ACCORD_BROKER_URL is set; otherwise tasks run in-process.

Start a worker with: celery -A accord.config.celery worker --loglevel=INFO
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")


def create_app(**overrides: Any) -> Celery:
    """The Celery app configured from Django settings (CELERY_*), with optional overrides."""
    celery = Celery("accord")
    celery.config_from_object("django.conf:settings", namespace="CELERY")
    if overrides:
        celery.conf.update(**overrides)
    celery.autodiscover_tasks()
    return celery


app = create_app()
