"""`accord playbook backtest FILE [--from D] [--to D] [--json]`: a draft against the active version.

The `playbook` command lives in the playbook app, below scoring; `ScoringConfig.ready()`
registers this subcommand with it (`accord.playbook.subcommands`).
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accord.playbook import actions
from accord.playbook.subcommands import Subcommand


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("file")
    parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day (default: 26 weeks ago)")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day (default: today)")
    parser.add_argument("--json", dest="as_json", action="store_true", help="print the result as JSON")


def run(options: dict[str, Any], read: Callable[[str], str]) -> str:
    # Imported when run, so that starting Accord does not load the replay (Polars) for every process.
    from accord.scoring.backtest import backtest_command

    playbook = actions.playbook_parse(read(options["file"]))
    return backtest_command(
        playbook=playbook,
        label=Path(options["file"]).name,
        start=options["start"],
        end=options["end"],
        as_json=options["as_json"],
    )


BACKTEST = Subcommand(
    name="backtest",
    help="replay the history under a draft YAML file and under the active version, side by side",
    add_arguments=add_arguments,
    run=run,
)
