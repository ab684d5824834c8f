"""What text and JSON values Accord can store, in one statement used at every edge (the tracking
API, the JSON API, imports). Pure code: no Django.

Text must be valid Unicode without NUL characters (PostgreSQL stores neither), numbers must be
finite and fit 64 bits, and objects and lists nest at most `MAX_DEPTH` levels.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_ID = 2**63 - 1  # the largest id a table holds (PostgreSQL's bigint)

# Objects and lists may nest this deep (Segment's own calls nest three or four levels).
MAX_DEPTH = 32


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, in words that follow its name; None when it can."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "is not valid Unicode (an unpaired surrogate)"
    return None


_ROOT = re.compile(r"^[^.\[]*")


def problem(value: Any, path: str = "", depth: int = 0) -> str | None:
    """Why a decoded JSON value cannot be stored as it is, naming where; None when it can.

    Text must be valid Unicode without NUL characters (PostgreSQL stores neither), numbers must be
    finite and fit 64 bits, and objects and lists may nest at most `MAX_DEPTH` levels (the walk
    stops there, so no input is too deep for it).
    """
    where = path or "message"
    if isinstance(value, str):
        found = text_problem(value)
        return f"{where}: {found}" if found else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if -(2**63) <= value < 2**64 else f"{where}: the number is too large"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where}: must be a finite number"
    if not isinstance(value, (dict, list)):
        return f"{where}: {type(value).__name__} is not a JSON value"
    if depth > MAX_DEPTH:
        return f"{_ROOT.match(path).group() or 'message'}: nested deeper than {MAX_DEPTH} levels"  # type: ignore[union-attr]
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = problem(item, f"{path}[{index}]", depth + 1)
            if found is not None:
                return found
        return None
    for key, item in value.items():
        name_problem = text_problem(key) if isinstance(key, str) else "is not text"
        if name_problem is not None:
            return f"{where}: a property name {name_problem}"
        found = problem(item, f"{path}.{key}" if path else key, depth + 1)
        if found is not None:
            return found
    return None


