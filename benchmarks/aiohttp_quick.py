"""Quick in-process benchmark: the per-request cost corecors_aiohttp adds to an aiohttp app.

Run it with ``.venv/bin/python benchmarks/aiohttp_quick.py`` (``--help`` for options).
It needs ``aiohttp-cors`` installed for the comparison (``pip install aiohttp-cors``);
without it that column is skipped.

Every request goes through aiohttp's real server stack -- the HTTP parser, the
protocol's request loop, the router, middlewares, ``on_response_prepare`` and the
response writer -- over an in-memory transport, so the figures include everything a
real request pays except the socket. Six applications serve the same route:

* ``bare``: no CORS at all (the baseline every other figure is compared with, except
  for preflights, compared with ``options-204``: the bare application plus an ``OPTIONS``
  route answering 204, the least any application pays to answer an ``OPTIONS``);
* ``fixed``: a hand-written middleware that answers ``OPTIONS`` preflights with fixed
  headers and sets fixed headers on every other response (the cheapest "CORS");
* ``aiohttp-cors``: aiohttp-cors with the route registered;
* ``corecors``: ``corecors_aiohttp.setup(app, policy)``;
* ``corecors-mw``: ``corecors_aiohttp.cors_middleware(policy)`` alone.

Four requests: no ``Origin``; a simple GET from an allowed origin; the same from a
disallowed origin; a preflight for PUT with five request headers. Rounds interleave the
applications so that drift (CPU frequency, other load) hits them alike; the figure per
application is the median over rounds of the mean CPU time per request, and "added" is
that minus the baseline's. No assertion is made: this is for reading, not for CI.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestHandler

import corecors_aiohttp
from corecors import CORSPolicy

try:
    import aiohttp_cors
except ImportError:  # pragma: no cover - optional comparison
    aiohttp_cors = None  # type: ignore[assignment]

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
EVIL = "https://evil.example.net"
METHODS = ("GET", "POST", "PUT", "DELETE")
HEADERS = ("content-type", "x-a", "x-b", "x-c", "x-d")

REQUESTS: dict[str, bytes] = {
    "no Origin": b"GET /api/data HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "simple allowed": (
        b"GET /api/data HTTP/1.1\r\nHost: localhost\r\nOrigin: " + APP.encode() + b"\r\n\r\n"
    ),
    "simple disallowed": (
        b"GET /api/data HTTP/1.1\r\nHost: localhost\r\nOrigin: " + EVIL.encode() + b"\r\n\r\n"
    ),
    "preflight, 5 headers": (
        b"OPTIONS /api/data HTTP/1.1\r\nHost: localhost\r\nOrigin: "
        + APP.encode()
        + b"\r\nAccess-Control-Request-Method: PUT\r\n"
        + b"Access-Control-Request-Headers: "
        + ",".join(HEADERS).encode()
        + b"\r\n\r\n"
    ),
}


async def data(request: web.Request) -> web.Response:
    return web.Response(text='{"ok": true}', content_type="application/json")


def bare_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/api/data", data)
    return app


async def no_content(request: web.Request) -> web.Response:
    return web.Response(status=204)


def options_app() -> web.Application:
    """The bare application plus an OPTIONS route answering 204: the floor for preflights."""
    app = bare_app()
    app.router.add_route("OPTIONS", "/api/data", no_content)
    return app


def fixed_app() -> web.Application:
    preflight_headers = {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": ", ".join(METHODS),
        "Access-Control-Allow-Headers": ", ".join(HEADERS),
        "Access-Control-Max-Age": "600",
    }
    actual_headers = {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "x-request-id",
    }

    @web.middleware
    async def fixed(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS" and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers:
            return web.Response(status=204, headers=preflight_headers)
        response = await handler(request)
        response.headers.update(actual_headers)
        return response

    app = web.Application(middlewares=[fixed])
    app.router.add_get("/api/data", data)
    return app


def policy() -> CORSPolicy:
    return CORSPolicy(
        allow_origins=[APP, ADMIN],
        allow_methods=METHODS,
        allow_headers=HEADERS,
        expose_headers=["x-request-id"],
        allow_credentials=True,
        max_age=600,
    )


def corecors_app() -> web.Application:
    app = bare_app()
    corecors_aiohttp.setup(app, policy())
    return app


def corecors_middleware_app() -> web.Application:
    app = web.Application(middlewares=[corecors_aiohttp.cors_middleware(policy())])
    app.router.add_get("/api/data", data)
    return app


def aiohttp_cors_app() -> web.Application:
    assert aiohttp_cors is not None
    app = bare_app()
    options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]
        allow_credentials=True,
        expose_headers=("x-request-id",),
        allow_headers=HEADERS,
        allow_methods=METHODS,
        max_age=600,
    )
    cors = aiohttp_cors.setup(app, defaults={APP: options, ADMIN: options})
    for route in list(app.router.routes()):
        cors.add(route)
    return app


class MemoryTransport(asyncio.Transport):
    """Collects what the server writes and signals each complete response."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.buffer += data
        self._check()

    def writelines(self, list_of_data: Any) -> None:
        for chunk in list_of_data:
            self.buffer += chunk
        self._check()

    def _check(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        for line in head.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if len(self.buffer) >= end + 4 + length:
            response = bytes(self.buffer[: end + 4 + length])
            del self.buffer[: end + 4 + length]
            self.waiter.set_result(response)
            self.waiter = None

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Connection:
    """One keep-alive connection to an application, through aiohttp's own server."""

    def __init__(self, app: web.Application) -> None:
        server = app._make_handler(access_log=None)
        self.protocol: RequestHandler = server()
        self.transport = MemoryTransport()
        self.protocol.connection_made(self.transport)

    async def send(self, raw: bytes) -> bytes:
        waiter: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.transport.waiter = waiter
        self.protocol.data_received(raw)
        return await waiter


async def time_requests(connection: Connection, raw: bytes, count: int) -> float:
    """Mean seconds per request over ``count`` requests, in this thread's CPU time.

    CPU time rather than wall time: everything here runs in one thread without I/O, and
    CPU time does not count the moments another process had the core.
    """
    send = connection.send
    start = time.thread_time()
    for _ in range(count):
        await send(raw)
    return (time.thread_time() - start) / count


async def run(count: int, rounds: int) -> None:
    factories: dict[str, Callable[[], web.Application]] = {
        "bare": bare_app,
        "options-204": options_app,
        "fixed": fixed_app,
        "corecors": corecors_app,
        "corecors-mw": corecors_middleware_app,
    }
    if aiohttp_cors is not None:
        factories["aiohttp-cors"] = aiohttp_cors_app
    connections = {name: Connection(factory()) for name, factory in factories.items()}

    print(
        f"Python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}, "
        f"{count} requests x {rounds} rounds, interleaved; median of per-round means\n"
    )
    for case, raw in REQUESTS.items():
        # Show what each application answers, once, so the comparison is meaningful.
        statuses = {}
        for name, connection in connections.items():
            response = await connection.send(raw)
            statuses[name] = response.split(b" ", 2)[1].decode()
        samples: dict[str, list[float]] = {name: [] for name in connections}
        for _ in range(rounds):
            gc.collect()
            gc.disable()
            try:
                for name, connection in connections.items():
                    await time_requests(connection, raw, count // 10)  # warm-up
                    samples[name].append(await time_requests(connection, raw, count))
            finally:
                gc.enable()
        medians = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
        # A preflight costs the bare application a 405 (raising HTTPMethodNotAllowed);
        # the fair floor for answering one is an OPTIONS route returning 204.
        baseline = "options-204" if case.startswith("preflight") else "bare"
        base = medians[baseline]
        print(f"{case}  (added = minus {baseline})")
        print(f"  {'app':<14}{'status':>7}{'µs/request':>12}{'added µs':>10}")
        for name, value in medians.items():
            added = "" if name == baseline else f"{value - base:10.2f}"
            print(f"  {name:<14}{statuses[name]:>7}{value:12.2f}{added}")
        added_corecors = medians["corecors"] - base
        if "aiohttp-cors" in medians:
            added_other = medians["aiohttp-cors"] - base
            print(f"  corecors / aiohttp-cors added: {_ratio(added_corecors, added_other)}")
        print(f"  corecors / fixed added:        {_ratio(added_corecors, medians['fixed'] - base)}")
        print()


def _ratio(numerator: float, denominator: float) -> str:
    if denominator <= 0:
        return "n/a (baseline adds nothing measurable)"
    return f"{numerator / denominator:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="requests per round (2000)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds (15)")
    args = parser.parse_args()
    asyncio.run(run(args.count, args.rounds))


if __name__ == "__main__":
    main()
