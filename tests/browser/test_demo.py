"""``corecors demo`` (``python -m corecors_tools.demo``) in a real browser, with each adapter.

The demo runs as a subprocess, exactly as a newcomer starts it; Chromium opens the page it
prints and reads the table. ``CORECORS_UPDATE_DEMO_PNG=1`` also writes the screenshot kept at
``docs/demo.png``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from corecors_tools.demo import ROWS

from .harness import SERVER_TIMEOUT, port_is_closed

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "demo.png"
STARTUP_TIMEOUT = 60.0
PAGE_LINE = re.compile(r"^\s+page\s+(http://\S+?)/?\s")
API_LINE = re.compile(r"^\s+API\s+(http://\S+)\s")

#: Rows the browser must block under the demo's default policy; every other row is readable.
BLOCKED = {
    "Lowercase patch (browsers do not uppercase it)": "methods are case-sensitive",
    "A request header the policy does not allow": "'x-debug' is not in allow_headers",
    "Public path with credentials": "'Access-Control-Allow-Origin: *'",
    "From a foreign origin: simple GET": "is not allowed by this policy",
    "From a foreign origin: PUT (preflighted)": "is not allowed by this policy",
}


@dataclass
class Demo:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    page: str = ""
    api: str = ""

    @property
    def output(self) -> str:
        return "".join(self.lines)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].rstrip("/"))


@contextlib.contextmanager
def demo_process(*arguments: str) -> Iterator[Demo]:
    """Start ``python -m corecors_tools.demo ARGUMENTS`` and wait for the two URLs it prints."""
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "corecors_tools.demo", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    demo = Demo(process)
    started = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            demo.lines.append(line)
            if match := PAGE_LINE.match(line):
                demo.page = match.group(1)
            if match := API_LINE.match(line):
                demo.api = match.group(1)
            if demo.page and demo.api:
                started.set()
        started.set()

    reader = threading.Thread(target=read, name="demo-output", daemon=True)
    reader.start()
    try:
        started.wait(STARTUP_TIMEOUT)
        assert demo.page, f"the demo did not start:\n{demo.output}"
        assert demo.api, f"the demo did not start:\n{demo.output}"
        yield demo
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(SERVER_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(SERVER_TIMEOUT)


def _table(browser: Browser, url: str, screenshot: Path | None) -> list[dict[str, Any]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(url + "/", timeout=30_000)
        page.wait_for_function("document.body.dataset.done", timeout=60_000)
        assert page.evaluate("document.body.dataset.done") == "true", page.content()
        rows: list[dict[str, Any]] = page.eval_on_selector_all(
            "#rows tr",
            """trs => trs.map(tr => ({
                ...tr.dataset,
                title: tr.querySelector('.title').textContent,
                browserText: tr.querySelector('.browser').innerText,
                reason: tr.querySelector('.reason-text').textContent,
            }))""",
        )
        if screenshot is not None:
            # A viewport as tall as the page: full-page captures leave the iframe blank.
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size({"width": 1400, "height": height})
            page.screenshot(path=str(screenshot))
        summary = page.inner_text("#summary")
        assert f"did what corecors predicted for {len(ROWS)} of {len(ROWS)}" in summary
        return rows
    finally:
        context.close()


@pytest.mark.parametrize("server", ["aiohttp", "asgi"])
def test_demo_page_shows_what_the_browser_did_and_why(
    chromium: Browser, server: str, tmp_path: Path
) -> None:
    update = server == "aiohttp" and bool(os.environ.get("CORECORS_UPDATE_DEMO_PNG"))
    screenshot = DOCS_PNG if update else tmp_path / "demo.png"
    with demo_process("--server", server) as demo:
        rows = _table(chromium, demo.page, screenshot)
        assert demo.process.poll() is None, demo.output

    assert [row["title"] for row in rows] == [row.title for row in ROWS]
    for row in rows:
        expected = "blocked" if row["title"] in BLOCKED else "allowed"
        assert (row["predicted"], row["browser"], row["agree"]) == (expected, expected, "yes"), row
        if row["title"] in BLOCKED:
            assert BLOCKED[row["title"]] in row["reason"], row
    by_title = {row["title"]: row for row in rows}
    assert (
        '"cookie_seen": true' in by_title["With credentials: the cookie goes along"]["browserText"]
    )
    read = by_title["PUT with a custom header; read response headers"]["browserText"]
    assert re.search(r"x-request-id: \d+", read), read
    assert "x-internal: (hidden" in read
    assert "500" in by_title["A 500 from an exception, readable too"]["browserText"]
    assert screenshot.stat().st_size > 10_000

    # Ctrl-C: exit status 0, both sockets closed, and the refusals were printed on the way.
    assert demo.process.returncode == 0, demo.output
    assert demo.output.rstrip().endswith("corecors demo: stopped."), demo.output
    assert port_is_closed(_port(demo.page))
    assert port_is_closed(_port(demo.api))
    assert "API refused  preflight-rejected: the method 'patch'" in demo.output
    assert "Traceback" not in demo.output, demo.output


def _run_demo(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corecors_tools.demo", *arguments],
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
        check=False,
    )


def test_demo_refuses_an_invalid_policy_file(tmp_path: Path) -> None:
    config = tmp_path / "cors.toml"
    config.write_text('allow_origins = ["*"]\nallow_credentials = true\n')
    result = _run_demo("--config", str(config))
    assert result.returncode == 2
    assert result.stderr.startswith("corecors demo: ")
    assert "allow_credentials" in result.stderr


def test_demo_reports_a_port_in_use() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = _run_demo("--page-port", str(port))
    assert result.returncode == 2
    assert f"port {port} (--page-port)" in result.stderr
    assert "0 picks a free one" in result.stderr


def test_importing_the_demo_imports_no_framework() -> None:
    code = (
        "import sys, corecors_tools.demo; "
        "print(sorted(m for m in ('aiohttp', 'uvicorn', 'starlette', 'corecors_aiohttp', "
        "'corecors_asgi') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_demo_stops_cleanly_on_sigint_before_any_request() -> None:
    started = time.monotonic()
    with demo_process("--server", "asgi", "--quiet") as demo:
        pass
    assert demo.process.returncode == 0, demo.output
    assert port_is_closed(_port(demo.page))
    assert port_is_closed(_port(demo.api))
    assert time.monotonic() - started < STARTUP_TIMEOUT
