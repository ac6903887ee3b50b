"""In-process ASGI: each middleware's callable awaited in a loop, no server, no sockets.

Every stack wraps the same bare application (a fresh ``http.response.start`` per request,
as a framework builds one) and is called with a prebuilt scope and no-op ``receive`` and
``send``: what is measured is only the work a middleware adds to a request. The figure is
the median over interleaved rounds of (stack - bare) in the same round.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from . import stacks
from .harness import (
    Level,
    Settings,
    Target,
    fmt_ratio,
    fmt_us,
    interleave_async,
    median,
    paired_added,
    thread_time,
)

#: Issue 13's targets: µs added by corecors ÷ µs added by the hand-written floor, and ÷
#: µs added by Starlette's CORSMiddleware, for every kind.
FLOOR = 1.25
STARLETTE = 0.30


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


def sampler(
    app: Callable[..., Any], scope: stacks.Scope, count: int
) -> Callable[[], Awaitable[float]]:
    async def sample() -> float:
        receive, send = _receive, _send
        start = thread_time()
        for _ in range(count):
            await app(scope, receive, send)
        return (thread_time() - start) / count

    return sample


def ratio(ours: float, theirs: float | None) -> float | None:
    if theirs is None or theirs <= 0:
        return None
    return ours / theirs


async def measure(settings: Settings) -> Level:
    rounds = settings.rounds(101, 31)
    count = settings.count(1000, 500)
    apps, missing = stacks.asgi_stacks()
    level = Level(
        key="asgi",
        title="In-process ASGI: µs each middleware adds to a request",
        what=(
            "The ASGI callable awaited in a loop with a prebuilt scope (7-9 header lines) "
            "and no-op receive/send; µs added over the bare application, median of "
            "per-round differences. 'floor': a hand-written middleware correct for this one "
            "policy, everything prebuilt; 'fixed': fixed headers, nothing checked."
        ),
        columns=[
            "request",
            "bare µs",
            "+floor",
            "+fixed",
            "+starlette",
            "+asgi-cors",
            "+corecors",
            "÷ floor",
            "÷ starlette",
            "÷ asgi-cors",
            "÷ fixed",
        ],
    )
    level.notes.extend(missing)
    for kind in stacks.ASGI_KINDS:
        scope = stacks.asgi_scope(kind)
        samplers = {name: sampler(app, scope, count) for name, app in apps.items()}
        for sample in samplers.values():  # warm up (first-call costs, specialisation)
            await sample()
        samples = await interleave_async(samplers, rounds)
        added = paired_added(samples, "bare")
        ours = added["corecors"]
        floor = added["floor"]
        starlette = added.get("starlette")
        asgi_cors = added.get("asgi-cors")
        fixed = added["fixed"]
        level.rows.append(
            [
                kind,
                fmt_us(median(samples["bare"])),
                fmt_us(floor),
                fmt_us(fixed),
                fmt_us(starlette),
                fmt_us(asgi_cors),
                fmt_us(ours),
                fmt_ratio(ratio(ours, floor)),
                fmt_ratio(ratio(ours, starlette)),
                fmt_ratio(ratio(ours, asgi_cors)),
                fmt_ratio(ratio(ours, fixed)),
            ]
        )
        versus_floor = ratio(ours, floor)
        level.targets.append(
            Target(
                f"corecors_asgi adds ≤ {FLOOR:.2f}x the hand-written floor: {kind}",
                None if versus_floor is None else versus_floor <= FLOOR,
                "" if versus_floor is None else f"{versus_floor:.2f}",
            )
        )
        versus_starlette = ratio(ours, starlette)
        level.targets.append(
            Target(
                f"corecors_asgi adds ≤ {STARLETTE:.2f}x Starlette's CORSMiddleware: {kind}",
                None if versus_starlette is None else versus_starlette <= STARLETTE,
                "" if versus_starlette is None else f"{versus_starlette:.2f}",
            )
        )
    level.notes.append(
        "asgi-cors answers no preflight (the application does) and handles no credentials. "
        "'floor' (benchmarks/stacks.py) reads lowercase names only and trusts the application "
        "to set no CORS header and no Vary; corecors_asgi checks both. No raising path here, "
        "so the garbage collector is off while sampling."
    )
    return level


def run(settings: Settings) -> Level:
    return asyncio.run(measure(settings))
