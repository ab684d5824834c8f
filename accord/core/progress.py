"""A progress bar for commands: `bar(done, total)` as long work reports it, on stderr and only on
a terminal (tqdm hides it otherwise)."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


class Bar:
    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.bar: tqdm[Any] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=max(total, done), initial=done, unit=self.unit, file=sys.stderr, disable=None)
        else:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
