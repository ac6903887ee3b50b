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

QUARTER = 0.25


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
            "The ASGI callable awaited in a loop with a prebuilt scope (8-10 header lines) "
            "and no-op receive/send; µs added over the bare application, median of "
            "per-round differences."
        ),
        columns=[
            "request",
            "bare µs",
            "+starlette",
            "+asgi-cors",
            "+fixed",
            "+corecors",
            "÷ starlette",
            "÷ asgi-cors",
            "÷ fixed",
        ],
    )
    level.notes.extend(missing)
    for kind in stacks.KINDS:
        scope = stacks.asgi_scope(kind)
        samplers = {name: sampler(app, scope, count) for name, app in apps.items()}
        for sample in samplers.values():  # warm up (first-call costs, specialisation)
            await sample()
        samples = await interleave_async(samplers, rounds)
        added = paired_added(samples, "bare")
        ours = added["corecors"]
        starlette = added.get("starlette")
        asgi_cors = added.get("asgi-cors")
        fixed = added["fixed"]
        level.rows.append(
            [
                kind,
                fmt_us(median(samples["bare"])),
                fmt_us(starlette),
                fmt_us(asgi_cors),
                fmt_us(fixed),
                fmt_us(ours),
                fmt_ratio(ratio(ours, starlette)),
                fmt_ratio(ratio(ours, asgi_cors)),
                fmt_ratio(ratio(ours, fixed)),
            ]
        )
        quarter = ratio(ours, starlette)
        level.targets.append(
            Target(
                f"corecors_asgi adds ≤ ¼ of Starlette's CORSMiddleware: {kind}",
                None if quarter is None else quarter <= QUARTER,
                "" if quarter is None else f"{quarter:.2f}",
            )
        )
        versus = ratio(ours, asgi_cors)
        level.targets.append(
            Target(
                f"corecors_asgi adds less than asgi-cors: {kind}",
                None if versus is None else versus < 1.0,
                "" if versus is None else f"{versus:.2f}",
            )
        )
    level.notes.append(
        "asgi-cors answers no preflight (the application does) and handles no credentials; "
        "'fixed' is a hand-written middleware adding fixed headers without checking anything."
    )
    return level


def run(settings: Settings) -> Level:
    return asyncio.run(measure(settings))
