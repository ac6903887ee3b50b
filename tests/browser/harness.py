"""Servers, recording and the browser for the browser suite.

Everything runs on loopback, every port is chosen by the kernel, every server runs in a
thread of its own (so the tests and Playwright's sync API stay free of event loops):

* :func:`page_server` serves ``page.html`` (the scenario runner) on one port;
* :func:`aiohttp_server` and :func:`uvicorn_server` serve the API under test;
* :class:`RecordingASGI` and :func:`record_aiohttp` are the outermost layer around the API:
  they keep in a :class:`Recorder` every request the server received and the status and
  headers of the response it sent, so a test can say "the browser sent one preflight" or
  "the app was reached" without taking the browser's word for it;
* :func:`launch_chromium` starts Debian's Chromium through Playwright (never a downloaded one).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import parse_qs, urlsplit

import pytest

if TYPE_CHECKING:
    from aiohttp import web
    from playwright.sync_api import Browser, Playwright

PAGE = (Path(__file__).parent / "page.html").read_bytes()

#: Chromium's command line for the suite (and the demo's test).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-features=CorsNonWildcardRequestHeadersSupport",
)
#: Where Debian installs Chromium; ``CORECORS_CHROMIUM`` overrides it.
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: How long one server may take to start or stop (generous: other test runs share 2 cores).
SERVER_TIMEOUT = 20.0

#: The query parameter that names the scenario a request belongs to.
SCENARIO_PARAMETER = "s"


# -- Chromium --------------------------------------------------------------------------------


def chromium_path() -> str | None:
    """The Chromium executable to use, or ``None`` when there is none."""
    configured = os.environ.get("CORECORS_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def unavailable(reason: str) -> NoReturn:
    """Skip the browser tests for ``reason`` -- or fail them on CI, where they must run."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    print(f"skipping browser tests: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright's sync API (skip or fail when missing)."""
    executable = chromium_path()
    if executable is None:
        configured = os.environ.get("CORECORS_CHROMIUM")
        where = (
            f"CORECORS_CHROMIUM={configured} is not an executable"
            if configured
            else f"no Chromium at {DEFAULT_CHROMIUM}"
        )
        unavailable(
            f"{where}: install Debian's chromium package "
            "(apt-get install chromium), or set CORECORS_CHROMIUM to a Chromium executable"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a test dependency
        unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    manager = sync_playwright()
    playwright: Playwright = manager.start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), timeout=60_000
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        manager.__exit__(None, None, None)


# -- recording what the API server saw -------------------------------------------------------


@dataclass
class Exchange:
    """One request as the API server received it, and the response it sent."""

    method: str
    path: str
    scenario: str | None
    origin: str | None
    cookie: str | None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ", ".join(values) if values else None


class Recorder:
    """Every exchange the API server had, in order. Thread-safe (servers run in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []

    def begin(
        self, method: str, path: str, query: str, origin: str | None, cookie: str | None
    ) -> Exchange:
        scenario = parse_qs(query).get(SCENARIO_PARAMETER, [None])[0]
        exchange = Exchange(method, path, scenario, origin, cookie)
        with self._lock:
            self._exchanges.append(exchange)
        return exchange

    def exchanges(self, scenario: str | None = None, path: str | None = None) -> list[Exchange]:
        with self._lock:
            found = list(self._exchanges)
        return [
            exchange
            for exchange in found
            if (scenario is None or exchange.scenario == scenario)
            and (path is None or exchange.path == path)
        ]

    def methods(self, scenario: str) -> list[str]:
        """The methods of the requests the server received for ``scenario``, in order."""
        return [exchange.method for exchange in self.exchanges(scenario)]

    def preflights(self, path: str, scenario: str | None = None) -> int:
        """How many preflights (OPTIONS with Access-Control-Request-Method) reached ``path``."""
        return sum(
            1
            for exchange in self.exchanges(scenario, path)
            if exchange.method == "OPTIONS" and exchange.origin is not None
        )


class RecordingASGI:
    """The outermost ASGI layer: records each request and the response start it sends."""

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        exchange = self.recorder.begin(
            scope.get("method", "GET"),  # a WebSocket handshake is a GET
            scope["path"],
            scope["query_string"].decode("latin-1"),
            headers.get("origin"),
            headers.get("cookie"),
        )

        async def recording_send(message: Any) -> None:
            kind = message["type"]
            if kind == "websocket.accept":
                exchange.status = 101
            elif kind == "websocket.close" and exchange.status is None:
                exchange.status = 403  # closed before accepting: the server answers 403
            elif kind in ("http.response.start", "websocket.http.response.start"):
                exchange.status = message["status"]
                exchange.headers = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers", ())
                ]
            await send(message)

        await self.app(scope, receive, recording_send)


def record_aiohttp(app: web.Application, recorder: Recorder) -> None:
    """Record ``app``'s exchanges: call after ``corecors_aiohttp.setup(app, ...)``.

    A response-prepare hook registered after corecors' records each request with the status
    and the final headers of its response. (Not a middleware: corecors answers preflights
    and refused WebSocket handshakes while routing, before any middleware runs, and aiohttp
    calls the application's prepare receivers for those answers too.)
    """

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        exchange = recorder.begin(
            request.method,
            request.path,
            request.query_string,
            request.headers.get("Origin"),
            request.headers.get("Cookie"),
        )
        exchange.status = response.status
        exchange.headers = list(response.headers.items())

    app.on_response_prepare.append(on_prepare)


# -- servers ---------------------------------------------------------------------------------


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if urlsplit(self.path).path != "/":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the suite reads results, not access logs."""


@contextlib.contextmanager
def page_server() -> Iterator[int]:
    """Serve the scenario page on 127.0.0.1 (any host name reaches it); yields the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="page-server", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(SERVER_TIMEOUT)


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.contextmanager
def aiohttp_server(app: web.Application) -> Iterator[int]:
    """Run an aiohttp application with aiohttp's own server in a thread; yields the port."""
    from aiohttp import web

    sock = _bound_socket()
    port: int = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []
    stop = asyncio.Event()

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
        except BaseException as error:
            failure.append(error)
            ready.set()
            raise
        ready.set()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    def main() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(Exception):
            loop.run_until_complete(serve())

    thread = threading.Thread(target=main, name=f"aiohttp-{port}", daemon=True)
    thread.start()
    if not ready.wait(SERVER_TIMEOUT) or failure:
        raise RuntimeError(f"the aiohttp server did not start: {failure}")
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(SERVER_TIMEOUT)
        if not thread.is_alive():
            loop.close()
        sock.close()


@contextlib.contextmanager
def uvicorn_server(app: Any) -> Iterator[int]:
    """Run an ASGI application under uvicorn in a thread; yields the port."""
    import uvicorn

    sock = _bound_socket()
    port: int = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", access_log=False, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + SERVER_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(SERVER_TIMEOUT)
        sock.close()


def port_is_closed(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``host:port`` any more."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, port)) != 0


# -- what the page observed ------------------------------------------------------------------

BLOCKED_BY_CORS = "has been blocked by CORS policy"


@dataclass
class Outcome:
    """What the page's JavaScript observed, and what Chromium said on the console about it."""

    url: str
    ok: bool
    status: int | None
    body: str | None
    headers: dict[str, str | None]
    error: str | None
    console: list[str]

    @property
    def cors_errors(self) -> list[str]:
        """Chromium's "blocked by CORS policy" console errors for this request."""
        return [line for line in self.console if BLOCKED_BY_CORS in line]

    @property
    def blocked_by_cors(self) -> bool:
        """Refused by the browser's CORS checks (not a crashed server, not a network error)."""
        return not self.ok and bool(self.cors_errors)

    def describe(self) -> str:
        if self.ok:
            return f"{self.url}: readable, status {self.status}, body {self.body!r}"
        return f"{self.url}: failed ({self.error}); console: {self.console}"
