"""Quick in-process overhead of the ASGI middleware, next to Starlette's CORSMiddleware.

Run with ``.venv/bin/python benchmarks/asgi_quick.py [--requests 20000] [--rounds 15]``.

Each case calls the ASGI callable directly, in a loop, with a prebuilt scope and no-op
``receive``/``send`` (no server, no sockets): what is measured is only the work the
middleware adds to a request. Three stacks run the same requests, interleaved round by
round so that drift in machine speed hits all of them alike:

* ``bare``: the application alone (it builds a fresh ``http.response.start`` per request,
  as a framework's response does);
* ``starlette``: ``starlette.middleware.cors.CORSMiddleware`` around it;
* ``corecors``: ``corecors_asgi.CORSMiddleware`` with the same policy.

The figure per stack is the median over rounds of the time per request; the overhead is
that minus ``bare``'s. Timings are informative only: nothing asserts on them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware

from corecors import CORSPolicy
from corecors_asgi import CORSMiddleware, Message, Receive, Scope, Send

APP = "https://app.example.com"
ORIGINS = [APP, "https://admin.example.com"]
METHODS = ["GET", "POST", "PUT", "DELETE"]
HEADERS = ["authorization", "content-type", "x-a", "x-b", "x-c"]

#: What a browser sends besides the CORS headers (a typical fetch() from a page).
BROWSER_HEADERS: list[tuple[bytes, bytes]] = [
    (b"host", b"api.example.com"),
    (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari"),
    (b"accept", b"*/*"),
    (b"accept-language", b"en-GB,en;q=0.9"),
    (b"accept-encoding", b"gzip, deflate, br, zstd"),
    (b"referer", b"https://app.example.com/"),
    (b"sec-fetch-mode", b"cors"),
    (b"connection", b"keep-alive"),
]


def scope(method: str, extra: list[tuple[bytes, bytes]]) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": "/api/items",
        "raw_path": b"/api/items",
        "root_path": "",
        "query_string": b"",
        "headers": [*BROWSER_HEADERS, *extra],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 443),
    }


CASES: dict[str, Scope] = {
    "no Origin": scope("GET", []),
    "simple allowed": scope("GET", [(b"origin", APP.encode())]),
    "simple disallowed": scope("GET", [(b"origin", b"https://evil.example.net")]),
    "preflight, 5 headers": scope(
        "OPTIONS",
        [
            (b"origin", APP.encode()),
            (b"access-control-request-method", b"PUT"),
            (b"access-control-request-headers", ",".join(HEADERS).encode()),
        ],
    ),
}


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Message) -> None:
    return None


def stacks() -> dict[str, Callable[..., Any]]:
    starlette = StarletteCORSMiddleware(
        bare,
        allow_origins=ORIGINS,
        allow_methods=METHODS,
        allow_headers=HEADERS,
        allow_credentials=True,
        expose_headers=["x-request-id"],
        max_age=600,
    )
    policy = CORSPolicy(
        allow_origins=ORIGINS,
        allow_methods=METHODS,
        allow_headers=HEADERS,
        allow_credentials=True,
        expose_headers=["x-request-id"],
        max_age=600,
    )
    return {"bare": bare, "starlette": starlette, "corecors": CORSMiddleware(bare, policy=policy)}


async def time_per_request(app: Callable[..., Any], scope: Scope, requests: int) -> float:
    """Seconds per request for ``requests`` calls of ``app``."""
    gc.collect()
    started = time.perf_counter()
    for _ in range(requests):
        await app(scope, receive, send)
    return (time.perf_counter() - started) / requests


@dataclass
class Result:
    case: str
    per_request: dict[str, float]  # stack -> median seconds per request

    def added(self, stack: str) -> float:
        return self.per_request[stack] - self.per_request["bare"]


async def measure(requests: int, rounds: int) -> list[Result]:
    apps = stacks()
    results = []
    for case, case_scope in CASES.items():
        samples: dict[str, list[float]] = {name: [] for name in apps}
        for app in apps.values():  # warm up
            await time_per_request(app, case_scope, max(requests // 10, 1))
        for _ in range(rounds):
            for name, app in apps.items():
                samples[name].append(await time_per_request(app, case_scope, requests))
        results.append(Result(case, {n: statistics.median(s) for n, s in samples.items()}))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (median)")
    args = parser.parse_args(argv)

    results = asyncio.run(measure(args.requests, args.rounds))
    print(
        f"Python {sys.version.split()[0]}, {args.requests} requests x {args.rounds} rounds, "
        "median; µs per request"
    )
    print(f"{'case':<22}{'bare':>8}{'+starlette':>12}{'+corecors':>11}{'corecors/starlette':>20}")
    for result in results:
        bare_us = result.per_request["bare"] * 1e6
        starlette_us = result.added("starlette") * 1e6
        corecors_us = result.added("corecors") * 1e6
        ratio = corecors_us / starlette_us if starlette_us > 0 else float("nan")
        print(
            f"{result.case:<22}{bare_us:>8.2f}{starlette_us:>12.2f}{corecors_us:>11.2f}"
            f"{ratio:>20.2f}"
        )


if __name__ == "__main__":
    main()
