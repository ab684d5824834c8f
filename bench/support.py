"""Small helpers shared by the benchmarks: timing, percentiles, printing a figure with its ratio."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


def latencies(call: Callable[[], object], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def figure(label: str, value: float, unit: str, *, baseline: float | None = None, baseline_label: str = "") -> None:
    line = f"   {label:<46} {value:>12,.1f} {unit}"
    if baseline:
        line += f"   ratio {value / baseline:.2f} of {baseline_label} ({baseline:,.1f} {unit})"
    print(line)


def latency_line(
    label: str,
    samples: list[float],
    *,
    baseline: list[float] | None = None,
    baseline_label: str = "",
    tail: int = 99,
) -> None:
    """The median, the `tail` percentile (p99 unless told) and the mean; the median's ratio to a baseline's."""
    p50, high = percentile(samples, 50), percentile(samples, tail)
    line = f"   {label:<46} p50 {p50:6.2f} ms  p{tail} {high:6.2f} ms  mean {statistics.fmean(samples):6.2f} ms"
    if baseline:
        line += f"   p50 ratio {p50 / percentile(baseline, 50):.1f}× {baseline_label}"
    print(line)


def worker(module: str, *args: str, database_url: str) -> tuple[dict[str, object], float, float]:
    """Run `python -m module args…` on another database; its last stdout line as JSON, its peak
    resident memory in MiB (`wait4`) and its wall-clock seconds."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "accord.config.settings",
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", module, *args], env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{output}")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024, seconds
