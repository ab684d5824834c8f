"""Serve Plotly's browser bundle from the installed plotly package as static/vendor/plotly.min.js."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

_BUNDLE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_NAME = "vendor/plotly.min.js"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.storage = FileSystemStorage(location=str(_BUNDLE.parent))
        self.storage.prefix = "vendor"  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        if path == _NAME:
            return [str(_BUNDLE)] if find_all else str(_BUNDLE)
        return [] if find_all else None

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield _BUNDLE.name, self.storage


# Plotly adds its own stylesheet rules at run time, in a <style> element a strict
# Content-Security-Policy refuses. It skips that when the page already has an element with the
# id `plotly.js-style-global` and the class `no-inline-styles`: Accord's pages link
# vendor/plotly.css with that id and class instead. The file holds the bundle's rules, read out
# of the bundle by `plotly_css` (a test checks the two still agree after an upgrade).
_RULES = re.compile(r'\{"X,X div":.*?\}(?=;for\()', re.S)
_PAIR = re.compile(r'("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'):("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')')


def _literal(text: str) -> str:
    body = text[1:-1]
    return body.replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")


def plotly_css(bundle: str | None = None) -> str:
    """The stylesheet Plotly's bundle would add to each page, as a file."""
    source = bundle if bundle is not None else _BUNDLE.read_text(encoding="utf-8")
    found = _RULES.search(source)
    if found is None:
        raise ValueError("the Plotly bundle's style rules were not found; see accord/web/staticfinders.py")
    lines = [f"/* Plotly's own style rules, read from {_NAME} ({_version(source)}): see accord/web/staticfinders.py */"]
    for key, value in _PAIR.findall(found.group()):
        selector = _literal(key)
        if selector.startswith(","):
            selector = " " + selector
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        lines.append(f"{selector}{{{_literal(value)}}}")
    return "\n".join(lines) + "\n"


def _version(source: str) -> str:
    found = re.search(r"plotly\.js (v[\d.]+)", source[:500])
    return found.group(1) if found else "unknown version"


_INJECTED = re.compile(r'getElementById\("([0-9a-f]{20,})"\)\)\{var [A-Za-z_$]+=document\.createElement\("style"\)')


def plotly_injected_style_ids(bundle: str | None = None) -> list[str]:
    """Ids of the style elements parts of the bundle add when no element has that id yet (the map
    library's); base.html has an empty element with each id, so none is added."""
    source = bundle if bundle is not None else _BUNDLE.read_text(encoding="utf-8")
    return _INJECTED.findall(source)
