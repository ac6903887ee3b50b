"""docs/coming-from-a-hand-written-middleware.md is true: its servers run as written, on
loopback under aiohttp's own server, and every ``corecors probe`` in it prints what the page
shows (only the port and the timings differ)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from .command import run

DOC = Path(__file__).resolve().parents[2] / "docs" / "coming-from-a-hand-written-middleware.md"
TEXT = DOC.read_text(encoding="utf-8")
PYTHON: list[str] = re.findall(r"```python\n(.*?)```", TEXT, re.DOTALL)
PROBE_BLOCK = re.compile(r"<!-- probe: (\w+) -->\n```console\n\$ (.*?)\n(.*?)```", re.DOTALL)
PROBES: list[tuple[str, str, str]] = PROBE_BLOCK.findall(TEXT)
DOC_PORT = "8080"
TIMING = re.compile(r"\(\d+ ms\)")


def block(marker: str) -> str:
    (found,) = [code for code in PYTHON if marker in code]
    return found


MIDDLEWARE = block('response.headers["Access-Control-Allow-Origin"] = "*"')
ROUTES = block("app = web.Application(middlewares=[cors_middleware])")
ECHOING = block('request.headers.get("Origin", "*")')
AFTER = block("corecors_aiohttp.setup(")


def build(*sources: str) -> web.Application:
    namespace: dict[str, Any] = {"__name__": "doc_example"}
    for source in sources:
        exec(compile(source, str(DOC), "exec"), namespace)
    app: web.Application = namespace["app"]
    return app


SERVERS = {
    "before": (MIDDLEWARE, ROUTES),
    "echoing": (MIDDLEWARE, ECHOING, ROUTES),
    "after": (MIDDLEWARE, ROUTES, AFTER),
}


@contextlib.contextmanager
def serving(app: web.Application) -> Iterator[int]:
    """``app`` under aiohttp's server on 127.0.0.1 in a thread of its own; yields the port."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the old-style factory, on purpose
        loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port: int = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(runner.cleanup())
        loop.close()


@dataclass(frozen=True)
class Probe:
    server: str
    command: str
    output: str


def probe_output(command: str, port: int) -> tuple[int, str]:
    argv = shlex.split(command.replace(f":{DOC_PORT}/", f":{port}/"))
    assert argv[0] == "corecors"
    result = run(*argv[1:])
    assert result.stderr == ""
    output = TIMING.sub("(N ms)", result.stdout.replace(f":{port}/", f":{DOC_PORT}/"))
    return result.returncode, output


def test_the_page_has_its_examples() -> None:
    assert len(PROBES) >= 8
    assert {server for server, _, _ in PROBES} == set(SERVERS)


def test_the_hand_written_middleware_is_the_old_style_factory() -> None:
    with pytest.warns(DeprecationWarning, match="old-style middleware"):
        asyncio.run(web.AppRunner(build(*SERVERS["before"])).setup())


@pytest.mark.parametrize(
    ("server", "command", "shown"),
    PROBES,
    ids=[f"{server}-{number}" for number, (server, _, _) in enumerate(PROBES)],
)
def test_every_probe_on_the_page_prints_what_it_shows(
    server: str, command: str, shown: str
) -> None:
    with serving(build(*SERVERS[server])) as port:
        code, output = probe_output(command, port)
    assert output == TIMING.sub("(N ms)", shown)
    verdict = output.rstrip().rsplit("verdict: ", 1)[1]
    assert code == (0 if verdict == "ALLOWED" else 1)


def test_after_the_switch_every_probe_of_the_page_is_allowed_or_refused_by_policy() -> None:
    """The same requests that showed faults before, against the corecors version: no fault
    left, only refusals of origins the policy does not list."""
    with serving(build(*SERVERS["after"])) as port:
        for _, command, _ in PROBES:
            code, output = probe_output(command, port)
            if "evil.example" in command:
                assert code == 1, output
                assert "preflight-refused" in output, output
            else:
                assert code == 0, (command, output)
                assert "findings:" not in output, (command, output)
