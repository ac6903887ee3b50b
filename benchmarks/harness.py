"""Timing and reporting shared by every level.

Every figure the benchmarks print is a ratio of two things measured side by side in one
run, never an absolute time compared with another run: the machines this runs on are
small, shared and noisy. Within a run, the contenders are interleaved round by round
(A B C, then B C A, ...) so that a slow moment of the machine hits all of them alike, and
each figure is a median over rounds.

In-process timings use the thread's CPU time (``time.thread_time``): everything timed runs
in one thread without I/O, and CPU time leaves out the moments another process had the
core. The garbage collector is off while a sample is taken (and run between samples),
except in the levels that measure raising paths (aiohttp), where it stays on.
"""

from __future__ import annotations

import gc
import importlib.metadata
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Level",
    "Settings",
    "Target",
    "fmt_ratio",
    "fmt_us",
    "interleave",
    "interleave_async",
    "median",
    "versions",
]

#: Packages whose versions a run records (those not installed are reported as missing).
RECORDED_PACKAGES = (
    "corecors",
    "starlette",
    "asgi-cors",
    "uvicorn",
    "httptools",
    "aiohttp",
    "aiohttp-cors",
    "multidict",
)


@dataclass(frozen=True)
class Settings:
    """How long to measure: ``quick`` is about a minute for every level together."""

    quick: bool = False

    def rounds(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def count(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def _rotations(names: Sequence[str], round_index: int) -> list[str]:
    """The contenders in a different order every round (a rotation), so none always goes first."""
    shift = round_index % len(names)
    return [*names[shift:], *names[:shift]]


def interleave(samplers: Mapping[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Call every sampler once per round, rotating the order; return each one's samples."""
    names = list(samplers)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        for name in _rotations(names, round_index):
            gc.collect()
            gc.disable()
            try:
                samples[name].append(samplers[name]())
            finally:
                gc.enable()
    return samples


async def interleave_async(
    samplers: Mapping[str, Callable[[], Awaitable[float]]],
    rounds: int,
    *,
    collect_garbage: bool = False,
) -> dict[str, list[float]]:
    """:func:`interleave` for samplers that must run inside the event loop.

    ``collect_garbage=True`` leaves the garbage collector on while sampling, so that what
    a contender leaves for it (reference cycles: a raised exception's traceback holds the
    frame that caught it) is paid for in its figures.
    """
    names = list(samplers)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        for name in _rotations(names, round_index):
            gc.collect()
            if not collect_garbage:
                gc.disable()
            try:
                samples[name].append(await samplers[name]())
            finally:
                gc.enable()
    return samples


def paired_added(samples: Mapping[str, list[float]], base: str) -> dict[str, float]:
    """Median over rounds of (contender - base) in the same round, for every contender."""
    return {
        name: median(
            value - baseline for value, baseline in zip(values, samples[base], strict=True)
        )
        for name, values in samples.items()
        if name != base
    }


def thread_time() -> float:
    return time.thread_time()


# -- reporting ------------------------------------------------------------------------------


def fmt_us(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e6:.2f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}"


@dataclass
class Target:
    """One target of the issue, checked on this run's figures."""

    text: str
    holds: bool | None  # None: could not be measured (a peer is missing)
    detail: str = ""

    @property
    def verdict(self) -> str:
        return {True: "holds", False: "NOT MET", None: "not measured"}[self.holds]


@dataclass
class Level:
    """One level's table, its notes and its targets."""

    key: str
    title: str
    what: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def render(self, markdown: bool = False) -> str:
        lines = [f"## {self.title}" if markdown else f"== {self.title}", ""]
        lines.append(self.what)
        lines.append("")
        if markdown:
            lines.append("| " + " | ".join(self.columns) + " |")
            lines.append("|" + "|".join("---" for _ in self.columns) + "|")
            lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        else:
            widths = [
                max(len(column), *(len(row[index]) for row in self.rows))
                if self.rows
                else len(column)
                for index, column in enumerate(self.columns)
            ]
            lines.append(
                "  ".join(
                    column.ljust(width) if index == 0 else column.rjust(width)
                    for index, (column, width) in enumerate(zip(self.columns, widths, strict=True))
                )
            )
            for row in self.rows:
                lines.append(
                    "  ".join(
                        cell.ljust(width) if index == 0 else cell.rjust(width)
                        for index, (cell, width) in enumerate(zip(row, widths, strict=True))
                    )
                )
        if self.notes:
            lines.append("")
            lines.extend(("* " if markdown else "  ") + note for note in self.notes)
        if self.targets:
            lines.append("")
            lines.append("Targets:" if not markdown else "**Targets**")
            if markdown:
                lines.append("")
            for target in self.targets:
                detail = f" ({target.detail})" if target.detail else ""
                prefix = "* " if markdown else "  "
                lines.append(f"{prefix}{target.verdict}: {target.text}{detail}")
        return "\n".join(lines)


# -- what ran -------------------------------------------------------------------------------


def package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def wrk_version() -> str | None:
    path = shutil.which("wrk")
    if path is None:
        return None
    try:
        completed = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (completed.stdout + completed.stderr).strip().splitlines()
    return text[0].split(" [")[0] if text else "unknown"


def versions() -> dict[str, str]:
    """Python, the platform, the CPU count, and every recorded package (or "missing")."""
    found = {
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "platform": platform.platform(),
        "cpus": str(_cpu_count()),
    }
    for name in RECORDED_PACKAGES:
        found[name] = package_version(name) or "missing"
    found["wrk"] = wrk_version() or "missing"
    return found


def _cpu_count() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
