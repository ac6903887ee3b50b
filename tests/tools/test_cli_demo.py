"""``corecors demo`` as a user starts it: the banner, the commands it suggests, and the
headless screenshot that makes docs/demo.png.

The browser tests (tests/browser/test_demo.py) drive the page itself; these run the command
line only, each in a subprocess.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corecors_tools.demo import ROWS

STARTUP_TIMEOUT = 60.0
SCRIPT = Path(sys.executable).parent / "corecors"
BANNER_END = "Ctrl-C stops."


def corecors_command() -> list[str]:
    """The console script when installed next to this interpreter (as `make demo` runs it)."""
    return [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "corecors"]


@contextlib.contextmanager
def running_demo(cwd: Path, *arguments: str) -> Iterator[list[str]]:
    """Start ``corecors demo`` in ``cwd``; yield its output lines once the banner is complete."""
    process = subprocess.Popen(
        [*corecors_command(), "demo", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if BANNER_END in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        ready.wait(STARTUP_TIMEOUT)
        assert any(BANNER_END in line for line in lines), "".join(lines)
        yield lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(10)


def suggested_commands(lines: list[str]) -> list[str]:
    """Every command the banner suggests: indented lines and `backquoted` ones."""
    prefix = re.escape(lines_prefix(lines))
    commands = [line.strip() for line in lines if re.match(rf"\s+{prefix} ", line)]
    commands += re.findall(rf"`({prefix} [^`]*)`", "".join(lines))
    return commands


def lines_prefix(lines: list[str]) -> str:
    match = re.search(r"`(.+?) explain --show-default`", "".join(lines))
    assert match, "".join(lines)
    return match.group(1)


@pytest.mark.parametrize("server", ["aiohttp", "asgi"])
def test_demo_prints_no_refusal_before_a_browser_connects(tmp_path: Path, server: str) -> None:
    with running_demo(tmp_path, "--server", server) as lines:
        time.sleep(0.5)  # any line printed at start-up is out by now
        output = "".join(lines)
    assert "API refused" not in output, output  # no browser has made a request


def test_every_command_the_banner_suggests_runs_as_printed(tmp_path: Path) -> None:
    with running_demo(tmp_path) as lines:
        commands = suggested_commands(lines)
        assert {command.split()[len(lines_prefix(lines).split())] for command in commands} == {
            "probe",
            "explain",
        }
        for command in commands:
            result = subprocess.run(
                command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 0, (command, result.stdout, result.stderr)
            if "--show-default" not in command:
                assert "verdict: ALLOWED" in result.stdout, (command, result.stdout)
    assert len(commands) == 3, commands


def test_banner_command_is_the_path_typed_when_corecors_is_not_on_path(tmp_path: Path) -> None:
    if not SCRIPT.is_file():
        pytest.skip(f"no console script next to {sys.executable} (not installed as a venv)")
    environment = dict(os.environ, PATH="/usr/bin:/bin")
    result = subprocess.run(
        [str(SCRIPT), "explain", "--origin", "https://app.example.com"],
        cwd=SCRIPT.parent.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "(see `bin/corecors explain --show-default`)" in result.stdout, result.stdout


def test_demo_config_that_cannot_be_read(tmp_path: Path) -> None:
    result = subprocess.run(
        [*corecors_command(), "demo", "--config", str(tmp_path / "nope.toml")],
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("corecors demo: cannot read the policy file ")
    assert "invalid CORS policy" not in result.stderr


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (CI installs it: bash .ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.mark.browser
@pytest.mark.parametrize("server", ["aiohttp", "asgi"])
def test_screenshot_finishes_every_row_under_virtual_time(tmp_path: Path, server: str) -> None:
    """What `make demo-screenshot` runs: headless Chromium's --virtual-time-budget, with the
    foreign-origin rows in a cross-process iframe, must still finish all the rows."""
    png = tmp_path / "demo.png"
    result = subprocess.run(
        [
            *corecors_command(),
            "demo",
            "--server",
            server,
            "--screenshot",
            str(png),
            "--chromium",
            _chromium(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"corecors demo: every row finished; saved {png}\n"
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20]), int.from_bytes(header[20:24])
    assert width == 1400
    assert height > 100 * len(ROWS)  # as tall as the finished page, not one screen


def test_screenshot_without_chromium_says_what_to_install(tmp_path: Path) -> None:
    result = subprocess.run(
        [*corecors_command(), "demo", "--screenshot", str(tmp_path / "x.png")],
        env=dict(os.environ, PATH=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
        check=False,
    )
    assert result.returncode == 2
    assert "--screenshot needs Chromium" in result.stderr
