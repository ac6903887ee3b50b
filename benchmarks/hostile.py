"""Hostile requests: the worst case per request, and memory under a million distinct origins.

Run with ``.venv/bin/python benchmarks/hostile.py`` (about half a minute), ``--check`` to
exit non-zero if any hostile request takes more than a generous ceiling (1 ms by default,
``--ceiling-us``), and ``--memory`` for the million-origin run (``--requests`` to change
the count).

The table: every hostile input of ``tests/security/test_security.py``'s kind, decided by the core
(``CORSPolicy.decide_fields``, what the adapters call) and by the ASGI middleware (raw
header bytes in a scope, decoded by the middleware itself; a no-op application), in
microseconds per request, and as a ratio to an ordinary browser preflight through the same
path. Every request gets freshly built strings, as from a server, so no hash is reused.
Times are medians over rounds of the thread's CPU time; they vary with the machine, the
ratios much less. Nothing in the test suite asserts on time: this script is where the
"bounded work" claim is measured.

A second table times requests of 80 000 header lines through the ASGI middleware: each CORS
field repeated on every line, all four at once, and 80 000 lines of another header (the
pass over the lines that any middleware pays); ``--check`` also fails if one takes more
than 500 ms.

``--memory`` sends a million requests, each from an origin never seen before (allowed by a
subdomain pattern, refused, malformed, and preflights naming a fresh header), through the
core and then through the ASGI middleware, then 200 000 (``--aiohttp-requests``) as real
HTTP to aiohttp's server with ``setup()`` (pipelined on one loopback connection), and
prints the process's resident set size (``/proc/self/statm``) before and after each:
corecors keeps no state keyed by client input, so it stays flat.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from corecors import CORSPolicy
from corecors_asgi import CORSMiddleware, Message

APP = "https://app.example.com"
MIB = 1 << 20

Lines = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    lines: Lines


def preflight(
    origin: bytes = APP.encode(), method: bytes = b"PUT", headers: bytes | None = None
) -> Lines:
    lines = [(b"origin", origin), (b"access-control-request-method", method)]
    if headers is not None:
        lines.append((b"access-control-request-headers", headers))
    return lines


BASELINE = Case("ordinary preflight (baseline)", "OPTIONS", preflight(headers=b"content-type"))

CASES: list[Case] = [
    BASELINE,
    Case("ordinary GET, allowed origin", "GET", [(b"origin", APP.encode())]),
    Case("ACRH 1 MiB of 'a'", "OPTIONS", preflight(headers=b"a" * MIB)),
    Case("ACRH 1 MiB of allowed names", "OPTIONS", preflight(headers=b"x-token," * (MIB // 8))),
    Case("ACRH 100 000 commas", "OPTIONS", preflight(headers=b"," * 100_000)),
    Case(
        "ACRH 10 000 distinct names",
        "OPTIONS",
        preflight(headers=",".join(f"x-h{i}" for i in range(10_000)).encode()),
    ),
    Case("ACRH at the limit: 4096 chars", "OPTIONS", preflight(headers=b"x-token," * 512)),
    Case("ACRH at the limit: 64 names", "OPTIONS", preflight(headers=b"x-token," * 63 + b"x")),
    Case("ACRH 4096 commas", "OPTIONS", preflight(headers=b"," * 4096)),
    Case("ACRH with CR/LF", "OPTIONS", preflight(headers=b"x-token\r\nSet-Cookie: a=b")),
    Case("ACRH UTF-8 Kelvin sign", "OPTIONS", preflight(headers="x-to\u212aen".encode())),
    Case("Origin 64 KiB", "GET", [(b"origin", b"https://" + b"a" * 65536)]),
    Case("Origin 64 KiB, preflight", "OPTIONS", preflight(origin=b"https://" + b"a" * 65536)),
    Case("Origin 1 MiB", "GET", [(b"origin", b"https://" + b"a" * MIB)]),
    Case("Origin with CR/LF", "GET", [(b"origin", APP.encode() + b"\r\nSet-Cookie: a=b")]),
    Case("Origin with NUL", "GET", [(b"origin", APP.encode() + b"\x00")]),
    Case("Origin with non-ASCII", "GET", [(b"origin", "https://\u00e4pp.example.com".encode())]),
    Case("two Origin lines", "GET", [(b"origin", APP.encode()), (b"origin", APP.encode())]),
    Case("two ACRM lines", "OPTIONS", [*preflight(), (b"access-control-request-method", b"PUT")]),
    Case("ACRM with a space", "OPTIONS", preflight(method=b"PUT POST")),
    Case("ACRM 1 MiB", "OPTIONS", preflight(method=b"P" * MIB)),
    Case("method with a space", "GET POST", [(b"origin", APP.encode())]),
    Case(
        "every field hostile",
        "OPTIONS",
        [
            (b"origin", b"https://" + b"a" * 65536 + b"\r\n"),
            (b"access-control-request-method", b"P" * MIB),
            (b"access-control-request-headers", b"," * MIB),
        ],
    ),
]


def policies() -> dict[str, CORSPolicy]:
    return {
        "exact": CORSPolicy(
            allow_origins=[APP, "https://admin.example.com"],
            allow_methods=["PUT", "DELETE", "PATCH"],
            allow_headers=["content-type", "authorization", "x-token"],
            allow_credentials=True,
            max_age=600,
        ),
        "patterns": CORSPolicy(
            allow_origins=["https://*.example.com", "http://localhost:*"],
            allow_origin_regex=r"https://[a-z0-9-]+\.preview\.example\.net",
            allow_methods=["*"],
            allow_headers=["*", "authorization"],
            allow_credentials=True,
        ),
    }


# -- timing ------------------------------------------------------------------------------------


def _fresh_fields(case: Case) -> tuple[str, str | None, str | None, str]:
    """The fields as an adapter hands them to the core: new str objects, lines joined."""

    def field(name: bytes) -> str | None:
        values = [value.decode("latin-1") for key, value in case.lines if key == name]
        return ",".join(values) if values else None

    return (
        field(b"origin") or "",
        field(b"access-control-request-method"),
        field(b"access-control-request-headers"),
        case.method,
    )


def _batch(case: Case) -> int:
    size = sum(len(value) for _, value in case.lines)
    return 10 if size > 200_000 else 50 if size > 10_000 else 500


def time_core(policy: CORSPolicy, case: Case, rounds: int) -> float:
    """Median CPU microseconds per ``decide_fields`` call."""
    samples = []
    batch = _batch(case)
    decide = policy.decide_fields
    for _ in range(rounds):
        inputs = [_fresh_fields(case) for _ in range(batch)]
        gc.collect()
        gc.disable()
        start = time.thread_time_ns()
        for origin, request_method, request_headers, method in inputs:
            decide(method, origin, request_method, request_headers)
        elapsed = time.thread_time_ns() - start
        gc.enable()
        samples.append(elapsed / batch / 1000)
    return statistics.median(samples)


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    pass


def _scope(case: Case) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": case.method,
        "scheme": "https",
        "path": "/api/items",
        "raw_path": b"/api/items",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"api.example.com"), *case.lines],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 443),
    }


def time_asgi(policy: CORSPolicy, case: Case, rounds: int) -> float:
    """Median CPU microseconds per request through the ASGI middleware (raw bytes in)."""
    middleware = CORSMiddleware(_app, policy=policy)
    batch = _batch(case)
    scope = _scope(case)

    async def run() -> list[float]:
        samples = []
        for _ in range(rounds):
            scopes = [dict(scope) for _ in range(batch)]
            gc.collect()
            gc.disable()
            start = time.thread_time_ns()
            for one in scopes:
                await middleware(one, _receive, _send)
            elapsed = time.thread_time_ns() - start
            gc.enable()
            samples.append(elapsed / batch / 1000)
        return samples

    return statistics.median(asyncio.run(run()))


def table(rounds: int, ceiling_us: float) -> int:
    """Print the table; return how many hostile cases exceed ``ceiling_us`` anywhere."""
    over = 0
    for policy_name, policy in policies().items():
        base_core = time_core(policy, BASELINE, rounds)
        base_asgi = time_asgi(policy, BASELINE, rounds)
        print(f"\npolicy '{policy_name}' (ratios are to the ordinary preflight on the same path)")
        print(f"{'input':<34} {'core µs':>9} {'ratio':>7} {'ASGI µs':>9} {'ratio':>7}")
        print("-" * 70)
        worst: tuple[float, str] = (0.0, "")
        for case in CASES:
            if case is BASELINE:
                core, asgi = base_core, base_asgi
            else:
                core = time_core(policy, case, rounds)
                asgi = time_asgi(policy, case, rounds)
            print(
                f"{case.name:<34} {core:>9.2f} {core / base_core:>6.1f}x "
                f"{asgi:>9.2f} {asgi / base_asgi:>6.1f}x"
            )
            if case is not BASELINE:
                worst = max(worst, (max(core, asgi), case.name))
                if max(core, asgi) > ceiling_us:
                    over += 1
        print(f"worst hostile case: {worst[1]} ({worst[0]:.1f} µs)")
    return over


# -- many header lines -------------------------------------------------------------------------

#: A request with this many lines costs every ASGI middleware a pass over them; the figure to
#: compare with is the same count of lines corecors does not read.
LINE_COUNT = 80_000
#: The issue-12 bound for 80 000 repeated lines of a CORS field, per request.
LINES_CEILING_MS = 500.0


def line_cases() -> list[Case]:
    """80 000 lines of each CORS request field (lowercase names, as most servers deliver
    them; Origin also in the client's case, as Hypercorn can), of all four at once, and of
    another header."""
    origin = (b"origin", APP.encode())
    method = (b"access-control-request-method", b"PUT")
    return [
        Case(f"{LINE_COUNT} x-other lines (floor)", "GET", [(b"x-other", b"1")] * LINE_COUNT),
        Case(f"{LINE_COUNT} origin lines", "GET", [origin] * LINE_COUNT),
        Case(f"{LINE_COUNT} Origin lines (raw case)", "GET", [(b"Origin", origin[1])] * LINE_COUNT),
        Case(f"{LINE_COUNT} ACRM lines", "OPTIONS", [origin, *[method] * LINE_COUNT]),
        Case(
            f"{LINE_COUNT} ACRH lines",
            "OPTIONS",
            [origin, method, *[(b"access-control-request-headers", b"x-token")] * LINE_COUNT],
        ),
        Case(
            f"{LINE_COUNT} ACRPN lines",
            "OPTIONS",
            [origin, method, *[(b"access-control-request-private-network", b"true")] * LINE_COUNT],
        ),
        Case(
            f"{LINE_COUNT} lines, all four fields",
            "OPTIONS",
            [
                origin,
                method,
                (b"access-control-request-headers", b"x-token"),
                (b"access-control-request-private-network", b"true"),
            ]
            * (LINE_COUNT // 4),
        ),
    ]


def lines_table(rounds: int) -> int:
    """Print ms per request through the ASGI middleware; return how many exceed the bound."""
    policy = policies()["exact"]
    middleware = CORSMiddleware(_app, policy=policy)
    print("\nmany header lines, ASGI middleware, CPU ms per request")
    print(f"{'input':<34} {'ms':>9} {'µs/line':>9}")
    print("-" * 54)
    over = 0
    for case in line_cases():
        scope = _scope(case)

        async def run(scope: dict[str, Any] = scope) -> list[float]:
            samples = []
            for _ in range(rounds):
                one = dict(scope)
                gc.collect()
                gc.disable()
                start = time.thread_time_ns()
                await middleware(one, _receive, _send)
                samples.append((time.thread_time_ns() - start) / 1e6)
                gc.enable()
            return samples

        ms = statistics.median(asyncio.run(run()))
        print(f"{case.name:<34} {ms:>9.2f} {ms * 1000 / len(case.lines):>9.3f}")
        over += ms > LINES_CEILING_MS
    return over


# -- memory ------------------------------------------------------------------------------------


def rss_kib() -> int:
    """Resident set size of this process, in KiB (``/proc/self/statm``)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _core_requests(policy: CORSPolicy, start: int, count: int) -> None:
    decide = policy.decide_fields
    for i in range(start, start + count):
        kind = i & 3
        if kind == 0:
            decide("GET", f"https://u{i}.example.com")
        elif kind == 1:
            decide("GET", f"https://u{i}.evil.example")
        elif kind == 2:
            decide("OPTIONS", f"https://u{i}.example.com", "PUT", f"x-h{i}")
        else:
            decide("GET", f"https://U{i}.example.com/\r\n")


def _asgi_requests(policy: CORSPolicy, start: int, count: int) -> None:
    middleware = CORSMiddleware(_app, policy=policy)

    async def run() -> None:
        for i in range(start, start + count):
            origin = f"https://u{i}.example.com".encode()
            if i & 1:
                headers = [(b"origin", origin)]
                method = "GET"
            else:
                headers = preflight(origin, b"PUT", f"x-h{i}".encode())
                method = "OPTIONS"
            scope = {"type": "http", "method": method, "path": "/", "headers": headers}
            await middleware(scope, _receive, _send)

    asyncio.run(run())


def _aiohttp_requests(policy: CORSPolicy, start: int, count: int) -> None:
    """Real HTTP to aiohttp's server in this process, pipelined on one keep-alive socket."""
    from aiohttp import web

    import corecors_aiohttp

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/", ok)
        corecors_aiohttp.setup(app, policy)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
        batch = 100
        for first in range(start, start + count, batch):
            chunk = []
            for i in range(first, min(first + batch, start + count)):
                origin = f"https://u{i}.example.com"
                if i & 1:
                    chunk.append(f"GET / HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n\r\n")
                else:
                    chunk.append(
                        f"OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n"
                        "Access-Control-Request-Method: PUT\r\n"
                        f"Access-Control-Request-Headers: x-h{i}\r\n\r\n"
                    )
            writer.write("".join(chunk).encode())
            seen, tail = 0, b""
            while seen < len(chunk):
                data = tail + await reader.read(1 << 16)
                seen += data.count(b"HTTP/1.1 ")
                tail = data[-8:].replace(b"HTTP/1.1 ", b"")  # a status line cut in two
        writer.close()
        await runner.cleanup()

    asyncio.run(run())


def memory(requests: int, aiohttp_requests: int) -> None:
    policy = policies()["patterns"]
    print("each request from an origin never seen before (preflights name a new header too)")
    print(
        f"{'path':<8} {'requests':>10} {'RSS before':>12} {'RSS after':>12} {'growth':>10} "
        f"{'seconds':>8}"
    )
    runs: list[tuple[str, Callable[[CORSPolicy, int, int], None], int]] = [
        ("core", _core_requests, requests),
        ("ASGI", _asgi_requests, requests),
        ("aiohttp", _aiohttp_requests, aiohttp_requests),
    ]
    for name, run, count in runs:
        run(policy, 0, 20_000)  # warm up: everything built once is built now
        gc.collect()
        before = rss_kib()
        started = time.perf_counter()
        run(policy, 20_000, count)
        seconds = time.perf_counter() - started
        gc.collect()
        after = rss_kib()
        print(
            f"{name:<8} {count:>10,} {before:>9,} KiB {after:>9,} KiB {after - before:>+7,} KiB "
            f"{seconds:>8.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7, help="samples per figure (median)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a case is too slow")
    parser.add_argument("--ceiling-us", type=float, default=1000.0, help="for --check")
    parser.add_argument("--memory", action="store_true", help="the million-origin run")
    parser.add_argument("--requests", type=int, default=1_000_000, help="for --memory")
    parser.add_argument(
        "--aiohttp-requests", type=int, default=200_000, help="for --memory (real HTTP)"
    )
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}, corecors hostile-input benchmark")
    if args.memory:
        memory(args.requests, args.aiohttp_requests)
        return 0
    over = table(args.rounds, args.ceiling_us)
    over_lines = lines_table(args.rounds)
    if args.check and (over or over_lines):
        print(
            f"{over} hostile case(s) above {args.ceiling_us:.0f} µs, {over_lines} "
            f"many-line case(s) above {LINES_CEILING_MS:.0f} ms"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
