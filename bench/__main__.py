"""`make bench`: run every benchmark in bench/ against a fresh database and print its figures.

The database is PostgreSQL: ACCORD_BENCH_DATABASE_URL (or ACCORD_TEST_DATABASE_URL), else a
local server on 127.0.0.1:5432 when one answers; otherwise a temporary SQLite file. Each
benchmark measures its own baseline in the same run and prints the ratio. Nothing here asserts
a timing.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import tempfile
import time
from pathlib import Path


def _local_postgres() -> str | None:
    """The benchmarks' figures are for PostgreSQL: use a local server when one answers."""
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except Exception:
        return None
    return "postgres://postgres@127.0.0.1:5432/accord_bench"


def main() -> int:
    url = os.environ.get("ACCORD_BENCH_DATABASE_URL") or os.environ.get("ACCORD_TEST_DATABASE_URL") or _local_postgres()
    scratch = tempfile.mkdtemp(prefix="accord-bench-")
    os.environ["DATABASE_URL"] = url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
    os.environ.setdefault("ACCORD_DATA_DIR", scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    os.environ["ACCORD_DEBUG"] = "true"

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    setup_test_environment()
    engine = connection.vendor
    if engine == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(scratch) / "bench.sqlite3")
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    print(f"Accord benchmarks on {engine} ({test_name}), Python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    only = set(sys.argv[1:])
    try:
        for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
            if not module.name.startswith("bench_") or (only and module.name not in only):
                continue
            bench = importlib.import_module(f"bench.{module.name}")
            started = time.perf_counter()
            print(f"== {module.name[6:]}: {(bench.__doc__ or '').strip().splitlines()[0]}")
            bench.run()
            print(f"   ({time.perf_counter() - started:.1f} s)\n")
    finally:
        connection.creation.destroy_test_db(test_name, verbosity=0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
