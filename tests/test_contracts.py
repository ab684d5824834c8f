"""The import-linter contracts can fail: each one breaks on a violation planted in a copy of the tree.

Given a copy of `accord/` and pyproject.toml in a temporary directory, when one module of the copy
gets an import its contract forbids, then `lint-imports` run on the copy fails and names that
contract as broken and the others as kept. The real tree is never touched, and it passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = [
    c["name"] for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
]
DOMAIN, FRAMES, LAYERS = CONTRACTS

# (module of the copy, the line planted in it, the contracts it breaks). Frames and replay import
# the playbook's, lifecycle's and scoring's domain modules, so a Django import planted in one of
# those breaks both purity contracts.
PLANTS = [
    # a new module in the package that was once a namespace, and an existing one in it
    ("accord/playbook/domain/planted.py", "import django.db", {DOMAIN}),
    ("accord/playbook/domain/conditions.py", "import django.db", {DOMAIN, FRAMES}),
    ("accord/lifecycle/domain.py", "import ninja", {DOMAIN, FRAMES}),
    ("accord/lifecycle/routing.py", "import accord.lifecycle.models", {DOMAIN}),
    ("accord/deals/domain.py", "import django.db", {DOMAIN}),
    ("accord/sla/domain.py", "import django.utils.timezone", {DOMAIN}),
    # a pure module reaching Django through another Accord module (indirect imports count)
    ("accord/scoring/domain.py", "import accord.scoring.models", {DOMAIN, FRAMES}),
    ("accord/scoring/frames.py", "import django.db", {FRAMES}),
    ("accord/scoring/replay.py", "import celery", {FRAMES}),
    ("accord/scoring/replay.py", "import accord.scoring.queries", {FRAMES}),
    # upward: contacts sit below scoring, the playbook below contacts, core below everything
    ("accord/contacts/planted.py", "import accord.scoring", {LAYERS}),
    ("accord/playbook/usage.py", "import accord.contacts.models", {LAYERS}),
    ("accord/core/planted.py", "from accord.playbook import actions", {LAYERS}),
    # deals sit above the stage machine: lifecycle must not reach up to them
    ("accord/lifecycle/planted.py", "import accord.deals.models", {LAYERS}),
    # the SLA clocks sit below the stage machine and above contacts
    ("accord/sla/planted.py", "import accord.lifecycle.handoffs", {LAYERS}),
    ("accord/contacts/planted_sla.py", "import accord.sla.domain", {LAYERS}),
    # notifications sit below the clocks: every app that notifies imports them, they import none of those
    ("accord/notify/planted.py", "import accord.sla.models", {LAYERS}),
    ("accord/notify/domain.py", "import django.conf", {DOMAIN}),
    # reports read everything below them and nothing reads them but the screens
    ("accord/scoring/planted_report.py", "import accord.reporting.scoreboard", {LAYERS}),
    ("accord/reporting/domain.py", "import django.utils", {DOMAIN}),
]


def lint_imports(cwd: Path) -> tuple[int, str]:
    """Run `lint-imports` on the tree under `cwd`: its exit code and its report, whitespace folded."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, " ".join((done.stdout + done.stderr).split())


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "accord", tmp_path / "accord", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_contract_has_a_planted_violation():
    assert set().union(*(broken for _, _, broken in PLANTS)) == set(CONTRACTS)
    assert {DOMAIN} in [b for _, _, b in PLANTS] and {FRAMES} in [b for _, _, b in PLANTS]


def test_the_real_tree_keeps_every_contract():
    code, report = lint_imports(ROOT)

    assert code == 0, report
    for name in CONTRACTS:
        assert f"{name} KEPT" in report


def test_the_copy_keeps_every_contract_before_anything_is_planted(tree):
    code, report = lint_imports(tree)

    assert code == 0, report
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in report


@pytest.mark.parametrize(("module", "line", "broken"), PLANTS, ids=[f"{m}: {line}" for m, line, _ in PLANTS])
def test_a_planted_import_breaks_its_contract(tree, module, line, broken):
    path = tree / module
    source = path.read_text() if path.exists() else ""
    path.write_text(f"{source}\n{line}\n")

    code, report = lint_imports(tree)

    assert code != 0, report
    for name in CONTRACTS:
        assert f"{name} {'BROKEN' if name in broken else 'KEPT'}" in report
    assert f"Contracts: {len(CONTRACTS) - len(broken)} kept, {len(broken)} broken." in report
