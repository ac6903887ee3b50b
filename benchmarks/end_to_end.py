"""End to end: ``wrk`` against uvicorn and aiohttp servers on the loopback interface.

Every stack runs in its own server process (``python -m benchmarks.serve``) on 127.0.0.1;
``wrk`` (one thread, ten keep-alive connections) loads one of them at a time for a bounded
duration, the stacks interleaved round by round. Two figures per stack:

* requests per second as wrk counts them, and as a share of the baseline's in the same
  round. On a two-core machine shared with others, wrk and the server each get about one
  core, and this figure moves by ±10 % from one run to the next;
* the server process's CPU time per request over the same run (``/proc/PID/schedstat``),
  whose inverse is what the server can serve when it has a core to itself. Scheduling
  noise does not enter it, so it resolves the few per cent the targets are about. The
  targets are judged on it (median of same-round ratios); wrk's ratio is shown beside it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from . import stacks
from .harness import Level, Settings, Target, fmt_ratio, median
from .inserver import PREFLIGHT_SHARE, SIMPLE_SHARE, fixed_share
from .stacks import installed

KINDS = (stacks.SIMPLE_ALLOWED, stacks.PREFLIGHT)
CONNECTIONS = 10
SECONDS, QUICK_SECONDS = 2, 1
ROUNDS, QUICK_ROUNDS = 9, 1
_RATE = re.compile(r"Requests/sec:\s+([0-9.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_TOTAL = re.compile(r"(\d+) requests in")


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (nanosecond precision from schedstat)."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as stream:
            return int(stream.read().split()[0]) / 1e9
    except OSError:
        return float("nan")  # not Linux: only requests per second are reported


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"a benchmark server exited early (status {process.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"a benchmark server did not listen on port {port} in {timeout:.0f} s")


@contextlib.contextmanager
def servers(server: str, names: list[str]) -> Iterator[dict[str, tuple[int, int]]]:
    """Start one server per stack; yield their (port, pid); terminate them all afterwards."""
    processes: list[subprocess.Popen[bytes]] = []
    ports: dict[str, int] = {}
    root = Path(__file__).resolve().parent.parent
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    try:
        for name in names:
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.serve", server, name, str(port)],
                cwd=root,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            processes.append(process)
            ports[name] = port
        for process, port in zip(processes, ports.values(), strict=True):
            wait_for(port, process)
        yield {
            name: (port, process.pid)
            for (name, port), process in zip(ports.items(), processes, strict=True)
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def lua_script(kind: str, directory: str) -> str:
    """A wrk script sending ``kind``'s method and headers."""
    lines = [f'wrk.method = "{stacks.method_of(kind)}"']
    for name, value in stacks.request_headers(kind):
        if name != "host":
            lines.append(f'wrk.headers["{name.title()}"] = "{value}"')
    path = os.path.join(directory, f"{kind.split(',')[0].replace(' ', '_')}.lua")
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    return path


class Run(NamedTuple):
    rate: float  # requests per second, as wrk counts them
    cpu_per_request: float  # seconds of the server's CPU per request
    failed: int  # non-2xx answers


def wrk(port: int, pid: int, script: str, seconds: int) -> Run:
    """One bounded wrk run against one server, and the server's CPU time per request."""
    cpu_before = cpu_seconds(pid)
    completed = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "2s",
            "-s",
            script,
            f"http://127.0.0.1:{port}{stacks.PATH}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    cpu = cpu_seconds(pid) - cpu_before
    rate = _RATE.search(completed.stdout)
    total = _TOTAL.search(completed.stdout)
    if rate is None or total is None or int(total.group(1)) == 0:
        raise RuntimeError(f"unexpected wrk output:\n{completed.stdout}{completed.stderr}")
    errors = _NON_2XX.search(completed.stdout)
    return Run(
        float(rate.group(1)), cpu / int(total.group(1)), int(errors.group(1)) if errors else 0
    )


def share(runs: Mapping[str, list[Run]], name: str, versus: str) -> float:
    """Median over rounds of the server's capacity ratio (inverse CPU time per request)."""
    return median(
        theirs.cpu_per_request / ours.cpu_per_request
        for ours, theirs in zip(runs[name], runs[versus], strict=True)
    )


def rate_share(runs: Mapping[str, list[Run]], name: str, versus: str) -> float:
    """Median over rounds of the ratio of wrk's request rates."""
    return median(
        ours.rate / base.rate for ours, base in zip(runs[name], runs[versus], strict=True)
    )


def measure_server(
    level: Level,
    server: str,
    names: list[str],
    settings: Settings,
    directory: str,
    preflight_baseline: str,
) -> None:
    rounds = settings.rounds(ROUNDS, QUICK_ROUNDS)
    seconds = settings.count(SECONDS, QUICK_SECONDS)
    with servers(server, names) as running:
        for kind in KINDS:
            script = lua_script(kind, directory)
            baseline = preflight_baseline if kind == stacks.PREFLIGHT else "bare"
            contenders = [
                name for name in names if name == baseline or name not in ("bare", "options-204")
            ]
            for name in contenders:
                wrk(*running[name], script, 1)  # warm up
            runs: dict[str, list[Run]] = {name: [] for name in contenders}
            for round_index in range(rounds):
                shift = round_index % len(contenders)
                for name in [*contenders[shift:], *contenders[:shift]]:
                    runs[name].append(wrk(*running[name], script, seconds))

            first = True
            for name in contenders:
                failed = sum(run.failed for run in runs[name])
                level.rows.append(
                    [
                        f"{server}: {kind}" if first else "",
                        name,
                        f"{median(run.rate for run in runs[name]):.0f}",
                        fmt_ratio(rate_share(runs, name, baseline)),
                        f"{median(run.cpu_per_request for run in runs[name]) * 1e6:.1f}",
                        fmt_ratio(share(runs, name, baseline)),
                        str(failed) if failed else "",
                    ]
                )
                first = False
            ours = share(runs, "corecors", baseline)
            versus_fixed = share(runs, "corecors", "fixed")
            target = PREFLIGHT_SHARE if kind == stacks.PREFLIGHT else SIMPLE_SHARE
            level.targets.append(
                Target(
                    f"{server}: corecors throughput ≥ {target:.2f} of {baseline}: {kind}",
                    ours >= target,
                    f"{ours:.3f} by server CPU, "
                    f"{rate_share(runs, 'corecors', baseline):.3f} by wrk's rate",
                )
            )
            level.targets.append(
                Target(
                    f"{server}: corecors throughput ≥ {fixed_share(kind):.2f} of the "
                    f"fixed-header middleware's: {kind}",
                    versus_fixed >= fixed_share(kind),
                    f"{versus_fixed:.3f} of fixed by server CPU",
                )
            )


def run(settings: Settings) -> Level:
    level = Level(
        key="e2e",
        title="End to end: wrk on the loopback interface",
        what=(
            f"wrk -t1 -c{CONNECTIONS}, {settings.count(SECONDS, QUICK_SECONDS)} s per run, "
            f"{settings.rounds(ROUNDS, QUICK_ROUNDS)} interleaved round(s). Requests per second "
            "as wrk counts them (noisy here: wrk and the server share two busy cores), and the "
            "server process's CPU time per request (from /proc/PID/schedstat), whose inverse "
            "is the server's capacity; shares are medians of same-round ratios."
        ),
        columns=[
            "server: request",
            "stack",
            "requests/s",
            "÷ base",
            "server CPU µs/request",
            "capacity ÷ base",
            "non-2xx",
        ],
    )
    if shutil.which("wrk") is None:
        level.notes.append("wrk is not installed, so this level did not run: apt-get install wrk")
        level.targets.append(Target("end-to-end throughput", None))
        return level
    plans: list[tuple[str, Mapping[str, bool], str]] = [
        ("uvicorn", {"uvicorn": installed("uvicorn"), "httptools": installed("httptools")}, "bare"),
        ("aiohttp", {"aiohttp": installed("aiohttp")}, "options-204"),
    ]
    with tempfile.TemporaryDirectory(prefix="corecors-bench-") as directory:
        for server, needs, preflight_baseline in plans:
            if not all(needs.values()):
                level.notes.extend(stacks.missing_note(needs))
                level.targets.append(Target(f"{server}: end-to-end throughput", None))
                continue
            if server == "uvicorn":
                apps, notes = stacks.asgi_stacks()
                names = list(apps)
            else:
                factories, notes = stacks.aiohttp_stacks()
                names = [name for name in factories if name not in ("corecors-mw", "plumbing")]
            level.notes.extend(notes)
            measure_server(level, server, names, settings, directory, preflight_baseline)
    level.notes.append(
        "The uvicorn preflight baseline is the bare application answering the OPTIONS (200 "
        "with a body); asgi-cors lets the application answer too. The aiohttp one is an "
        "OPTIONS route answering 204."
    )
    return level
