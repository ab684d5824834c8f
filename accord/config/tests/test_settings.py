"""Settings come from the environment; the default is production (debug off) with a working SQLite."""

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


def test_the_default_is_production_with_a_secret_key_generated_once_into_the_data_dir(tmp_path):
    show = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS, s.SECRET_KEY)"
    first = run(show, tmp_path)
    assert first.returncode == 0, first.stderr
    debug, *hosts, key = first.stdout.split()
    assert debug == "False" and " ".join(hosts) == "['127.0.0.1', 'localhost', '[::1]']"
    assert len(key) >= 50 and (tmp_path / "secret_key").read_text().strip() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    again = run(show, tmp_path)
    assert again.stdout.split()[-1] == key  # the same key on every start: sessions survive restarts


@pytest.mark.parametrize("key", ["k", "x" * 49, "ab" * 30])
def test_a_weak_secret_key_is_refused_at_start(tmp_path, key):
    result = run("import django; django.setup()", tmp_path, ACCORD_SECRET_KEY=key)
    assert result.returncode != 0
    assert "ACCORD_SECRET_KEY must be at least 50 characters (of at least 5 different ones)" in result.stderr


def test_production_with_a_key_starts(tmp_path):
    key = "k3y-" + "0123456789" * 5
    result = run(SHOW, tmp_path, ACCORD_DEBUG="false", ACCORD_SECRET_KEY=key, ACCORD_ALLOWED_HOSTS="a.example, b.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:3] == ["False", "['a.example',", "'b.example']"]
    assert not (tmp_path / "secret_key").exists()


def test_debug_is_on_only_when_asked_for(tmp_path):
    result = run(SHOW, tmp_path, ACCORD_DEBUG="true")
    assert result.returncode == 0 and result.stdout.split()[0] == "True"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ACCORD_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local", "'proxy.local' is not an IP address or network"),
        ("ACCORD_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto", "must look like 'X-Forwarded-Proto: https'"),
        ("ACCORD_EVENT_RETENTION_DAYS", "-3", "ACCORD_EVENT_RETENTION_DAYS must be a whole number of days"),
        ("ACCORD_WEBHOOK_TIMEOUT", "soon", "ACCORD_WEBHOOK_TIMEOUT must be a number of at least 0.1, not 'soon'"),
        ("ACCORD_DELIVERY_THREADS", "0", "ACCORD_DELIVERY_THREADS must be a whole number of at least 1, not '0'"),
        ("ACCORD_OUTBOX_POLL_SECONDS", "nan", "ACCORD_OUTBOX_POLL_SECONDS must be a number of at least 1"),
    ],
)
def test_a_bad_security_setting_is_refused_by_name(tmp_path, name, value, message):
    result = run("import django; django.setup()", tmp_path, **{name: value})
    assert result.returncode != 0 and message in result.stderr


def test_gunicorn_keeps_its_control_socket_in_the_data_dir(tmp_path):
    code = "import accord.config.gunicorn as g; print(g.control_socket)"
    result = run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "gunicorn.ctl")


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
