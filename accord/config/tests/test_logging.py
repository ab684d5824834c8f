"""Each log record is written once, with debug on or off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LOG = (
    "import django, logging; django.setup(); "
    "logging.getLogger('django.request').warning('Forbidden: %s', '/probe/'); "
    "logging.getLogger('accord.refused').warning('refused POST /probe/')"
)


@pytest.mark.parametrize("debug", ["false", "true"])
def test_a_record_is_written_once(tmp_path: Path, debug: str) -> None:
    # given Accord's logging, with ACCORD_DEBUG off and on
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_") and k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="accord.config.settings", ACCORD_DATA_DIR=str(tmp_path), ACCORD_DEBUG=debug)

    # when Django and Accord each log a line
    result = subprocess.run([sys.executable, "-c", LOG], env=env, capture_output=True, text=True, timeout=60)

    # then each appears once (Django's own console handler would print Django's a second time under debug)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert sum("Forbidden: /probe/" in line for line in lines) == 1
    assert sum("refused POST /probe/" in line for line in lines) == 1
