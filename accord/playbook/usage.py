"""How the rest of Accord uses the playbook's words: which stage keys contacts are in.

Contacts sit above the playbook, so the playbook does not read them. The app whose rows hold stage
keys registers a counter here from its `AppConfig.ready()` (contacts registers
`contacts.queries.stage_counts`); activating a version asks every counter which stages are in use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

StageCounter = Callable[[], Mapping[str, int]]

_counters: list[StageCounter] = []


def register(counter: StageCounter) -> None:
    """Count stage use with `counter` too (stage key -> rows in it); registering twice counts once."""
    if counter not in _counters:
        _counters.append(counter)


def stages_in_use() -> dict[str, int]:
    if not _counters:
        raise RuntimeError("no app counts the stages in use: is accord.contacts in INSTALLED_APPS?")
    total: Counter[str] = Counter()
    for counter in _counters:
        total.update(counter())
    return dict(total)
