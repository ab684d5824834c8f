"""Settings come from the environment; production refuses to start without a secret key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SHOW = (
    "import django; django.setup(); from django.conf import settings as s; from django.db import connection as c; "
    "cur = c.cursor(); cur.execute('PRAGMA journal_mode'); mode = cur.fetchone()[0]; "
    "cur.execute('PRAGMA busy_timeout'); busy = cur.fetchone()[0]; "
    "print(s.DEBUG, s.ALLOWED_HOSTS, s.CELERY_TASK_ALWAYS_EAGER, mode, busy)"
)


def run(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k != "DATABASE_URL"}
    clean.update(DJANGO_SETTINGS_MODULE="accord.config.settings", ACCORD_DATA_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run("import django; django.setup()", tmp_path, ACCORD_DEBUG="false")
    assert result.returncode != 0
    assert "ACCORD_SECRET_KEY is required when ACCORD_DEBUG=false" in result.stderr


def test_production_with_a_key_starts(tmp_path):
    result = run(
        SHOW, tmp_path, ACCORD_DEBUG="false", ACCORD_SECRET_KEY="k" * 50, ACCORD_ALLOWED_HOSTS="a.example, b.example"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:3] == ["False", "['a.example',", "'b.example']"]


def test_the_default_is_a_working_sqlite_in_wal_mode_with_a_busy_timeout(tmp_path):
    result = run(SHOW, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["True", "wal", "20000"]
    assert (tmp_path / "accord.sqlite3").exists()


def test_a_broker_url_turns_on_celery_workers(tmp_path):
    result = run(SHOW, tmp_path, ACCORD_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.stdout.split()[-3] == "False"


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_boolean_is_refused_by_name(tmp_path, value):
    result = run("import django; django.setup()", tmp_path, ACCORD_DEBUG=value)
    assert result.returncode != 0 and f"ACCORD_DEBUG must be true or false, not '{value}'" in result.stderr
