"""Subcommands of `accord playbook` that belong to a higher layer (`accord playbook backtest`).

Django names a management command by its file, so `accord playbook` lives here, below scoring,
and cannot import the backtest. The app that owns such a subcommand registers it from its
`AppConfig.ready()` (scoring registers `backtest`); the command adds every registered one to its
parser and runs it.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Subcommand:
    name: str  # the word after `accord playbook`
    help: str  # one line for `accord playbook --help`
    add_arguments: Callable[[ArgumentParser], None]
    # Runs it with the parsed options and the command's file reader; returns what to print.
    # An InvalidInput it raises is reported path by path with exit code 2.
    run: Callable[[dict[str, Any], Callable[[str], str]], str]


_registered: dict[str, Subcommand] = {}


def register(subcommand: Subcommand) -> None:
    known = _registered.get(subcommand.name)
    if known is not None and known != subcommand:
        raise RuntimeError(f"`accord playbook {subcommand.name}` is registered twice")
    _registered[subcommand.name] = subcommand


def registered() -> list[Subcommand]:
    return sorted(_registered.values(), key=lambda s: s.name)
