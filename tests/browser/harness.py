"""Servers and recording for the browser suite.

Everything runs on loopback, every port is chosen by the kernel, every server runs in a
thread of its own (so the tests and Playwright's sync API stay free of event loops):

* :func:`page_server` serves ``page.html`` (the scenario runner) on one port, and keeps
  what pages report back to it (:class:`Reports`);
* :func:`aiohttp_server` and :func:`uvicorn_server` serve the API under test;
* :class:`RecordingASGI` and :func:`record_aiohttp` are the outermost layer around the API:
  they keep in a :class:`Recorder` every request the server received and the status and
  headers of the response it sent, so a test can say "the browser sent one preflight" or
  "the app was reached" without taking the browser's word for it;
* :class:`Outcome` is what the page observed for one request, with the engine's console lines
  about it.

The browsers themselves are in :mod:`tests.browser.engines`.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from aiohttp import web

PAGE = (Path(__file__).parent / "page.html").read_bytes()

#: How long one server may take to start or stop (generous: other test runs share 2 cores).
SERVER_TIMEOUT = 20.0

#: The query parameter that names the scenario a request belongs to.
SCENARIO_PARAMETER = "s"


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


class Reports:
    """What pages posted to ``/report?id=...`` on their own origin. Thread-safe."""

    def __init__(self) -> None:
        self._received: dict[str, Any] = {}
        self._changed = threading.Condition()

    def add(self, key: str, report: Any) -> None:
        with self._changed:
            self._received[key] = report
            self._changed.notify_all()

    def wait(self, key: str, timeout: float) -> Any:
        """The report posted under ``key``; ``TimeoutError`` when none came in time."""
        with self._changed:
            if not self._changed.wait_for(lambda: key in self._received, timeout):
                raise TimeoutError(f"no page reported {key!r} within {timeout:.0f} s")
            return self._received.pop(key)


#: The largest report a page may post.
MAX_REPORT = 1 << 20


class _PageHandler(http.server.BaseHTTPRequestHandler):
    server: _PageServer

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

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        key = parse_qs(parts.query).get("id", [""])[0]
        length = int(self.headers.get("Content-Length") or 0)
        if parts.path != "/report" or not key or length > MAX_REPORT:
            self.send_error(400)
            return
        self.server.reports.add(key, json.loads(self.rfile.read(length) or b"null"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the suite reads results, not access logs."""


class _PageServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    reports: Reports


@dataclass(frozen=True)
class PageServer:
    port: int
    reports: Reports


@contextlib.contextmanager
def page_server() -> Iterator[PageServer]:
    """Serve the scenario page on 127.0.0.1 (any host name reaches it); pages may post
    reports to ``/report?id=KEY`` on it."""
    server = _PageServer(("127.0.0.1", 0), _PageHandler)
    server.reports = Reports()
    thread = threading.Thread(target=server.serve_forever, name="page-server", daemon=True)
    thread.start()
    try:
        yield PageServer(server.server_address[1], server.reports)
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


def mentions(line: str, url: str) -> bool:
    """Whether a console line is about ``url`` exactly (not a URL it is a prefix of)."""
    return re.search(re.escape(url) + r"(?![\w%-])", line) is not None


@dataclass
class Outcome:
    """What the page's JavaScript observed, and what the engine said on the console about it."""

    url: str
    ok: bool
    status: int | None
    body: str | None
    headers: dict[str, str | None]
    error: str | None
    console: list[str]
    """The engine's console lines about this URL (none where the engine reports none)."""
    marker: str | None = None
    """What the engine's CORS console errors contain; ``None``: it reports them nowhere."""

    @property
    def cors_errors(self) -> list[str]:
        """The engine's CORS console errors for this request."""
        if self.marker is None:
            return []
        return [line for line in self.console if self.marker in line]

    def describe(self) -> str:
        if self.ok:
            return f"{self.url}: readable, status {self.status}, body {self.body!r}"
        return f"{self.url}: failed ({self.error}); console: {self.console}"
