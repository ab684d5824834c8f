"""Celery app. Used only when ACCORD_BROKER_URL is set; otherwise tasks run in-process.

Start a worker with: celery -A accord.config.celery worker --loglevel=INFO
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")

app = Celery("accord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
