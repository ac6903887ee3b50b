"""``corecors demo``: watch CORS work and fail in your own browser, with corecors' reasons.

Starts two servers on loopback:

* an **API** under a corecors policy (the embedded default policy, plus ``/public`` open to
  every origin without credentials; or ``--config FILE``), served by the aiohttp adapter or,
  with ``--server asgi``, by the ASGI adapter under uvicorn;
* a **page** on another origin (another port is another origin) that makes real cross-origin
  ``fetch()`` calls to the API and shows, for each one, what corecors predicts and why, next
  to what the browser actually did. An iframe served from ``http://localhost:PORT`` (the same
  page server under another name, so another origin, and one the policy does not allow) runs
  the rows that come from a foreign origin.

The page server also answers ``/explain?origin=...&method=...&path=...&header=NAME:VALUE
&credentials=1`` with :func:`corecors_tools.explain.explain` (what ``corecors explain`` prints), so
the prediction comes from the very policy the API runs.

Frameworks are imported only when the demo starts: importing this module costs nothing.
Run it as ``corecors demo`` or ``python -m corecors_tools.demo``; Ctrl-C stops it (exit status 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.server
import itertools
import json
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, TextIO
from urllib.parse import parse_qs, urlsplit

from corecors.errors import CORSConfigError
from corecors.policy import CORSPolicy
from corecors.routing import CORSDecider, PathPolicies

from .defaults import PolicyFileError, default_policy, load_policy_file
from .explain import Step, explain
from .invocation import command_prefix
from .status import ExitStatus

__all__ = [
    "ROWS",
    "Row",
    "add_arguments",
    "demo_policy",
    "explain_json",
    "main",
    "run",
]

Server = Literal["aiohttp", "asgi"]

# -- the rows the page runs ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One cross-origin ``fetch()`` the demo page makes."""

    title: str
    origin: Literal["page", "foreign"]
    """``page``: from the demo page; ``foreign``: from the iframe on an origin not allowed."""
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    credentials: bool = False
    """``credentials: "include"`` (cookies go along; the response must echo the origin)."""
    read_headers: tuple[str, ...] = ()
    """Response headers the page tries to read (only exposed ones are visible)."""
    show_body: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "origin": self.origin,
            "method": self.method,
            "path": self.path,
            "headers": [list(header) for header in self.headers],
            "body": self.body,
            "credentials": self.credentials,
            "read_headers": list(self.read_headers),
            "show_body": self.show_body,
        }


_JSON = ("content-type", "application/json")

ROWS: tuple[Row, ...] = (
    Row("Simple GET", "page", "GET", "/api/items"),
    Row("POST JSON (preflighted)", "page", "POST", "/api/items", (_JSON,), '{"name": "plum"}'),
    Row(
        "PUT with a custom header; read response headers",
        "page",
        "PUT",
        "/api/items/1",
        (_JSON, ("x-request-id", "demo-3")),
        '{"name": "pear"}',
        read_headers=("x-request-id", "x-internal"),
    ),
    Row("PATCH", "page", "PATCH", "/api/items/1", (_JSON,), '{"name": "fig"}'),
    Row("DELETE", "page", "DELETE", "/api/items/2"),
    Row(
        "Lowercase patch (browsers do not uppercase it)",
        "page",
        "patch",
        "/api/items/1",
        (_JSON,),
        '{"name": "fig"}',
    ),
    Row(
        "A request header the policy does not allow",
        "page",
        "PUT",
        "/api/items/1",
        (_JSON, ("x-debug", "1")),
        '{"name": "pear"}',
    ),
    Row("Log in: the API sets a cookie", "page", "POST", "/api/session", credentials=True),
    Row(
        "With credentials: the cookie goes along",
        "page",
        "GET",
        "/api/me",
        credentials=True,
        show_body=True,
    ),
    Row("A 404 the page can read", "page", "GET", "/api/nothing-here"),
    Row("A 500 from an exception, readable too", "page", "GET", "/api/boom"),
    Row("Public path (any origin), no credentials", "page", "GET", "/public/status"),
    Row(
        "Public path with credentials",
        "page",
        "GET",
        "/public/status",
        credentials=True,
    ),
    Row("From a foreign origin: simple GET", "foreign", "GET", "/api/items"),
    Row(
        "From a foreign origin: PUT (preflighted)",
        "foreign",
        "PUT",
        "/api/items/1",
        (_JSON,),
        '{"name": "pear"}',
    ),
    Row("From a foreign origin: public path", "foreign", "GET", "/public/status"),
)


def demo_policy() -> PathPolicies:
    """The demo's policy without ``--config``: the embedded default policy, plus ``/public``
    open to every origin without credentials (so the page can show ``*`` and its limits)."""
    return PathPolicies(
        {"/public": CORSPolicy(allow_origins=["*"], allow_methods=["GET"])},
        default=default_policy(),
    )


def demo_policy_description() -> str:
    """What :func:`demo_policy` is, with the command that prints the embedded policy."""
    return (
        f"the embedded default policy (`{command_prefix()} explain --show-default`), plus "
        "/public open to every origin without credentials"
    )


# -- what corecors predicts ------------------------------------------------------------------


def _summary(origin: str, steps: Sequence[Step]) -> str:
    """Why an allowed request is allowed, in a sentence or two: the preflight (if any) and
    the headers that let the page read the response (the page's details list them all)."""
    if len(steps) > 1:
        sent = dict(steps[0].request_headers)
        asked = sent.get("Access-Control-Request-Method", "")
        names = sent.get("Access-Control-Request-Headers")
        if names:
            asked += " with " + names.replace(",", ", ")
        first = f"Preflight for {asked}: {steps[0].response_status}, allowed. Then the response"
    else:
        first = "No preflight needed: the response"
    headers = dict(steps[-1].response_headers)
    allow_origin = headers.get("Access-Control-Allow-Origin")
    if allow_origin == origin:
        answer = "echoes the origin in Access-Control-Allow-Origin"
    else:
        answer = f"carries Access-Control-Allow-Origin: {allow_origin}"
    if headers.get("Access-Control-Allow-Credentials") == "true":
        answer += ", with Access-Control-Allow-Credentials: true"
    return f"{first} {answer}."


def explain_json(
    decider: CORSDecider,
    *,
    origin: str,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]],
    credentials: bool,
) -> dict[str, Any]:
    """What ``/explain`` answers: the prediction, the reason, and every step."""
    allowed, steps = explain(
        decider,
        origin=origin,
        method=method,
        headers=headers,
        credentials=credentials,
        path=path,
    )
    failed = next((step for step in steps if not step.browser_ok), None)
    if failed is None:
        reason = _summary(origin, steps)
        blocked_at = None
    else:
        reason = failed.decision.reason or failed.browser_message
        blocked_at = failed.name
    return {
        "allowed": allowed,
        "blocked_at": blocked_at,
        "reason": reason,
        "steps": [step.as_json() for step in steps],
    }


# -- the API (the same for both adapters) ----------------------------------------------------


class DemoError(RuntimeError):
    """What ``/api/boom`` raises, on purpose (its log line is suppressed)."""


@dataclass
class _Reply:
    status: int
    body: Any
    headers: tuple[tuple[str, str], ...] = ()


_COOKIE = "demo_session"
_ITEMS = {"1": "pear", "2": "fig", "3": "plum"}


def _api_reply(method: str, path: str, cookie_header: str | None) -> _Reply:
    """The demo API, framework-free: ``(method, path, Cookie)`` in, a reply out."""
    if path == "/api/boom":
        raise DemoError("the demo's /api/boom raised this on purpose")
    if path == "/api/items":
        if method == "POST":
            return _Reply(201, {"created": {"id": "4"}})
        if method == "GET":
            return _Reply(200, {"items": _ITEMS})
        return _Reply(405, {"error": f"{method} is not allowed here"})
    if path.startswith("/api/items/"):
        item = path.removeprefix("/api/items/")
        if item not in _ITEMS:
            return _Reply(404, {"error": f"no item {item!r}"})
        if method in ("GET", "PUT", "PATCH", "DELETE"):
            return _Reply(200, {"method": method, "item": item})
        return _Reply(405, {"error": f"{method} is not allowed here"})
    if path == "/api/session" and method == "POST":
        cookie = f"{_COOKIE}=demo-user; Path=/; SameSite=Lax; HttpOnly"
        return _Reply(200, {"logged_in": True}, (("Set-Cookie", cookie),))
    if path == "/api/me" and method == "GET":
        seen = cookie_header is not None and f"{_COOKIE}=" in cookie_header
        return _Reply(200, {"cookie_seen": seen})
    if path == "/public/status" and method == "GET":
        return _Reply(200, {"status": "ok"})
    return _Reply(404, {"error": "no such resource"})


class _Api:
    """Numbers the replies (``x-request-id``) and encodes them."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def reply(
        self, method: str, path: str, cookie: str | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        reply = _api_reply(method, path, cookie)
        headers = [
            ("Content-Type", "application/json"),
            ("X-Request-Id", str(next(self._ids))),
            ("X-Internal", "not exposed, so the page cannot read it"),
            *reply.headers,
        ]
        return reply.status, headers, json.dumps(reply.body).encode()


def _aiohttp_app(decider: CORSDecider) -> Any:
    from aiohttp import web

    import corecors_aiohttp

    api = _Api()

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        status, headers, body = api.reply(
            request.method, request.path, request.headers.get("Cookie")
        )
        response = web.Response(status=status, body=body)
        for name, value in headers:
            response.headers.add(name, value)
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    corecors_aiohttp.setup(app, decider)
    return app


def _asgi_app(decider: CORSDecider) -> Any:
    from corecors_asgi import CORSMiddleware

    api = _Api()

    async def app(
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        cookie = next(
            (value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"),
            None,
        )
        status, headers, body = api.reply(scope["method"], scope["path"], cookie)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return CORSMiddleware(app, policy=decider)


# -- the page server -------------------------------------------------------------------------


def _page_html() -> bytes:
    return resources.files("corecors_tools").joinpath("demo_page.html").read_bytes()


@dataclass(frozen=True)
class _Site:
    """What the page server knows: the policy, the three origins, and the rows."""

    decider: CORSDecider
    api: str
    page: str
    foreign: str
    server: str
    policy_description: str

    def config(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "page_origin": self.page,
            "foreign_origin": self.foreign,
            "server": self.server,
            "policy": self.policy_description,
            "rows": [row.as_json() for row in ROWS],
        }


_HOLD_SECONDS = 0.1


class _PageHandler(http.server.BaseHTTPRequestHandler):
    server: _PageServer  # pyright: ignore[reportIncompatibleVariableOverride]
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        site = self.server.site
        if url.path in ("/", "/frame"):
            self._send(200, "text/html; charset=utf-8", self.server.html)
        elif url.path == "/config.json":
            self._send_json(200, site.config())
        elif url.path == "/explain":
            self._explain(parse_qs(url.query))
        elif url.path == "/hold":
            time.sleep(_HOLD_SECONDS)  # see holdWhile() in the page
            self._send(204, "text/plain", b"")
        elif url.path == "/favicon.ico":
            self._send(204, "text/plain", b"")
        else:
            self._send_json(404, {"error": "not found"})

    def _explain(self, query: dict[str, list[str]]) -> None:
        origin = query.get("origin", [""])[0]
        if not origin:
            self._send_json(400, {"error": "origin= is required"})
            return
        headers: list[tuple[str, str]] = []
        for text in query.get("header", []):
            name, _, value = text.partition(":")
            headers.append((name.strip(), value.strip()))
        document = explain_json(
            self.server.site.decider,
            origin=origin,
            method=query.get("method", ["GET"])[0],
            path=query.get("path", ["/"])[0],
            headers=headers,
            credentials=query.get("credentials", ["0"])[0] == "1",
        )
        self._send_json(200, document)

    def _send_json(self, status: int, document: Any) -> None:
        self._send(status, "application/json", json.dumps(document).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the page shows what happens."""


class _PageServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sock: socket.socket, site: _Site, html: bytes) -> None:
        self.address_family = sock.family
        super().__init__(sock.getsockname()[:2], _PageHandler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.site = site
        self.html = html


# -- logging ---------------------------------------------------------------------------------


class _DropDemoErrors(logging.Filter):
    """Drop the servers' tracebacks for ``/api/boom``'s exception: it is raised on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DemoError))


class _RefusalPrinter(logging.Handler):
    """Prints the core's rejections made while serving the API (not those of ``/explain``)."""

    def __init__(self, out: TextIO, thread: int) -> None:
        super().__init__(logging.DEBUG)
        self._out = out
        self._thread = thread

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self._out.write(f"  API refused  {record.getMessage().removeprefix('CORS ')}\n")
            self._out.flush()


@contextlib.contextmanager
def _demo_logging(out: TextIO, quiet: bool) -> Iterator[None]:
    drop = _DropDemoErrors()
    servers = [logging.getLogger(name) for name in ("aiohttp.server", "uvicorn.error")]
    core = logging.getLogger("corecors")
    printer = _RefusalPrinter(out, threading.get_ident())
    old_level = core.level
    for logger in servers:
        logger.addFilter(drop)
    if not quiet:
        core.addHandler(printer)
        core.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for logger in servers:
            logger.removeFilter(drop)
        core.removeHandler(printer)
        core.setLevel(old_level)


# -- serving ---------------------------------------------------------------------------------


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)


def _url_host(host: str) -> str:
    """The host name to put in URLs for a server listening on ``host``."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def _serve_aiohttp(app: Any, sock: socket.socket, stop: asyncio.Event) -> None:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        await stop.wait()
    finally:
        await runner.cleanup()


async def _serve_asgi(app: Any, sock: socket.socket, stop: asyncio.Event) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn without its own signal handling: the demo handles Ctrl-C itself."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", access_log=False, log_config=None
    )
    server = Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopping.cancel()
        await serving


async def _serve(
    server: Server,
    api_app: Any,
    api_socket: socket.socket,
    started: Callable[[Callable[[], None]], None],
) -> None:
    """Serve the API until Ctrl-C, SIGTERM or the stop function ``started`` receives is called
    (from any thread)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    serve = _serve_aiohttp if server == "aiohttp" else _serve_asgi
    task = asyncio.create_task(serve(api_app, api_socket, stop))

    def stop_from_any_thread() -> None:
        loop.call_soon_threadsafe(stop.set)

    loop.call_soon(started, stop_from_any_thread)
    await task


def _load(config: str | None) -> tuple[CORSDecider, str]:
    if config is None:
        return demo_policy(), demo_policy_description()
    return load_policy_file(config), config


def _api_factory(server: Server) -> Callable[[CORSDecider], Any]:
    """The adapter's application factory; ImportError names what to install."""
    if server == "aiohttp":
        import aiohttp  # noqa: F401 - fail now, with a clear message, if it is missing

        return _aiohttp_app
    import uvicorn  # noqa: F401

    return _asgi_app


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options to ``parser`` (the ``corecors demo`` subcommand)."""
    parser.add_argument(
        "--server",
        choices=("aiohttp", "asgi"),
        default="aiohttp",
        help="the adapter serving the API: aiohttp (corecors_aiohttp), or asgi "
        "(corecors_asgi under uvicorn) (default: aiohttp)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="a TOML policy file (default: the embedded default policy, plus /public open "
        "to every origin)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--api-port",
        type=_port,
        default=0,
        metavar="PORT",
        help="port of the API (default: 0, any free port)",
    )
    parser.add_argument(
        "--page-port",
        type=_port,
        default=0,
        metavar="PORT",
        help="port of the page (default: 0, any free port)",
    )
    parser.add_argument("--open", action="store_true", help="open the page in your web browser")
    parser.add_argument(
        "--quiet", action="store_true", help="do not print the requests the API refuses"
    )
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        help="load the page in headless Chromium, check that every row finished, save a "
        "screenshot of it to PNG and stop (docs/demo.png is made so: make demo-screenshot)",
    )
    parser.add_argument(
        "--chromium",
        metavar="PATH",
        help="the Chromium (or Chrome) executable for --screenshot (default: chromium, "
        "chromium-browser or google-chrome, from PATH)",
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> ExitStatus:
    """Run the demo until Ctrl-C (or SIGTERM); returns the exit status (0, or 2 on errors)."""
    stream = out if out is not None else sys.stdout
    server: Server = args.server
    try:
        decider, description = _load(args.config)
    except (CORSConfigError, PolicyFileError) as error:
        return _refuse(f"{error}")
    screenshot: str | None = args.screenshot
    chromium: str | None = args.chromium or _find_chromium()
    if screenshot is not None and chromium is None:
        return _refuse(
            "--screenshot needs Chromium: install it (apt-get install chromium) "
            "or name it with --chromium PATH"
        )
    try:
        factory = _api_factory(server)
    except ImportError as error:
        package = "aiohttp" if server == "aiohttp" else "uvicorn"
        return _refuse(
            f"--server {server} needs {package} ({error}); install it with "
            "pip install 'corecors[demo]'"
        )

    sockets: list[socket.socket] = []
    try:
        for port, what in ((args.page_port, "--page-port"), (args.api_port, "--api-port")):
            try:
                sockets.append(_listen(args.host, port))
            except OSError as error:
                return _refuse(
                    f"cannot listen on {args.host} port {port} ({what}): "
                    f"{error.strerror or error}; choose another port (0 picks a free one)"
                )
        page_socket, api_socket = sockets
        site = _site(args.host, page_socket, api_socket, decider, server, description)
        outcome: list[str | None] = []
        with _page_served(page_socket, site):
            # Before the refusal printer is installed: the banner's own checks are no requests.
            banner = _banner(site, decider, args.config)
            started = _on_started(args, stream, banner, site.page, chromium, outcome)
            try:
                with _demo_logging(stream, args.quiet or screenshot is not None):
                    asyncio.run(_serve(server, factory(decider), api_socket, started))
            except KeyboardInterrupt:  # Ctrl-C before the signal handler was in place
                pass
    finally:
        for sock in sockets:
            sock.close()
    if screenshot is not None:
        problem = outcome[0] if outcome else "the screenshot was interrupted"
        if problem is not None:
            return _refuse(problem)
        stream.write(f"corecors demo: every row finished; saved {screenshot}\n")
        return ExitStatus.OK
    stream.write("corecors demo: stopped.\n")
    stream.flush()
    return ExitStatus.OK


def _refuse(problem: str) -> ExitStatus:
    sys.stderr.write(f"corecors demo: {problem}\n")
    return ExitStatus.ERROR


def _site(
    host_argument: str,
    page_socket: socket.socket,
    api_socket: socket.socket,
    decider: CORSDecider,
    server: Server,
    description: str,
) -> _Site:
    """The demo's origins: the page's, the API's, and another that the policy does not allow."""
    host = _url_host(host_argument)
    page = f"http://{host}:{page_socket.getsockname()[1]}"
    api = f"http://{host}:{api_socket.getsockname()[1]}"
    other_host = "localhost" if host != "localhost" else "127.0.0.1"
    foreign = f"http://{other_host}:{page_socket.getsockname()[1]}"
    return _Site(decider, api, page, foreign, server, description)


@contextlib.contextmanager
def _page_served(page_socket: socket.socket, site: _Site) -> Iterator[None]:
    """Serve the demo page from a thread while the block runs."""
    page_server = _PageServer(page_socket, site, _page_html())
    page_server.server_activate()
    thread = threading.Thread(
        target=page_server.serve_forever, name="corecors-demo-page", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        page_server.shutdown()
        page_server.server_close()
        thread.join(10)


def _on_started(
    args: argparse.Namespace,
    stream: TextIO,
    banner: str,
    page: str,
    chromium: str | None,
    outcome: list[str | None],
) -> Callable[[Callable[[], None]], None]:
    """What to do once the API listens: print the banner, or take the screenshot and stop."""
    screenshot: str | None = args.screenshot

    def started(stop: Callable[[], None]) -> None:
        if screenshot is None:
            stream.write(banner)
            stream.flush()
            if args.open:
                webbrowser.open(page + "/")
            return

        def shoot() -> None:
            assert chromium is not None
            assert screenshot is not None
            try:
                outcome.append(screenshot_page(page + "/", screenshot, chromium))
            finally:
                stop()

        threading.Thread(target=shoot, name="corecors-demo-screenshot", daemon=True).start()

    return started


def _banner(site: _Site, decider: CORSDecider, config: str | None) -> str:
    adapter = "corecors_aiohttp" if site.server == "aiohttp" else "corecors_asgi under uvicorn"

    def allows(origin: str) -> bool:
        return decider.decide_fields("GET", origin, path="/api/items").allowed

    foreign = "allows it too" if allows(site.foreign) else "does not allow it"
    command = command_prefix()
    config = "" if config is None else f" --config {shlex.quote(config)}"
    lines = [
        f"corecors demo: an API served by {adapter}, under {site.policy_description}.",
        "",
        f"  page  {site.page}/    <- open this in your browser",
        f"  API   {site.api}    (another port: another origin)",
        f"  foreign origin  {site.foreign}    (the same page under another name, in an "
        f"iframe; the policy {foreign})",
        "",
    ]
    if not allows(site.page):
        lines.append(
            f"  note: the policy does not allow the page's origin {site.page} on /api, so most "
            "rows will be blocked."
        )
    lines += [
        "From another terminal, ask the API what the page's PUT asks, and why it is answered so:",
        f"  {command} probe {site.api}/api/items/1 --origin {site.page} --method PUT "
        "--header content-type --credentials",
        f"  {command} explain{config} --origin {site.page} --method PUT "
        "--header content-type --credentials --path /api/items/1",
        "",
        "The API's refusals are printed below, with corecors' reason. Ctrl-C stops.",
    ]
    return "\n".join(lines) + "\n"


# -- the screenshot --------------------------------------------------------------------------

_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_SCREENSHOT_WIDTH = 1400
_SCREENSHOT_TIMEOUT = 120.0
_VIRTUAL_TIME_BUDGET_MS = 60_000
_DONE = re.compile(r'<body[^>]*\bdata-done="(\w+)"')
_HEIGHT = re.compile(r'<body[^>]*\bdata-height="(\d+)"')
_SUMMARY = re.compile(r'<div id="summary">([^<]*)</div>')


def _find_chromium() -> str | None:
    return next(filter(None, map(shutil.which, _CHROMIUM_NAMES)), None)


def _headless(chromium: str, url: str, height: int, *options: str) -> str:
    command = [
        chromium,
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={_SCREENSHOT_WIDTH},{height}",
        f"--virtual-time-budget={_VIRTUAL_TIME_BUDGET_MS}",
        *options,
        url,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=_SCREENSHOT_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise OSError(f"{chromium} exited with status {result.returncode}: {result.stderr[-500:]}")
    return result.stdout


def screenshot_page(url: str, path: str, chromium: str) -> str | None:
    """Load the demo page at ``url`` in headless Chromium under virtual time, check that every
    row finished, and save a screenshot as tall as the page to ``path``.

    Returns None on success, else what went wrong.
    """
    try:
        dom = _headless(chromium, url, 900, "--dump-dom")
        done, height = _DONE.search(dom), _HEIGHT.search(dom)
        if done is None or done.group(1) != "true" or height is None:
            summary = _SUMMARY.search(dom)
            shown = summary.group(1) if summary else "no summary"
            return f"the page did not finish under headless Chromium ({shown})"
        _headless(chromium, url, int(height.group(1)), f"--screenshot={os.path.abspath(path)}")
    except (OSError, subprocess.SubprocessError) as error:
        return f"headless Chromium failed: {error}"
    if not os.path.isfile(path):
        return f"headless Chromium wrote no screenshot to {path}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m corecors_tools.demo``."""
    parser = argparse.ArgumentParser(
        prog="corecors demo",
        description="Serve an API under a corecors policy and a page on another origin that "
        "shows, request by request, what the browser allows and why.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
