from __future__ import annotations

import os

import pytest
import redis

from accord.config.celery import app, create_app
from accord.core.tasks import after_commit, ping
from conftest import must_have


def test_without_a_broker_tasks_run_in_process():
    assert app.conf.task_always_eager is True
    assert ping.delay(payload="here").get(timeout=1) == "here"


@pytest.mark.django_db
def test_after_commit_waits_for_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        after_commit(ping, payload="later")
    assert len(callbacks) == 1
    assert callbacks[0]().get(timeout=1) == "later"


def test_a_real_worker_runs_tasks_through_redis():
    url = os.environ.get("ACCORD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        must_have(f"Redis at {url}")
    from celery.contrib.testing.worker import start_worker

    real = create_app(broker_url=url, result_backend=url, task_always_eager=False)
    with start_worker(real, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = real.tasks["accord.ping"].delay(payload="through redis")
        assert result.get(timeout=20) == "through redis"
