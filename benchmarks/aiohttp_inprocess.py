"""Inside aiohttp's own server, in process: its request handler, a memory transport, no sockets.

Every request goes through aiohttp's real server stack -- the HTTP parser, the protocol's
request loop, the router, middlewares, ``on_response_prepare`` and the response writer --
so the figures include everything a request pays except the system calls. Stacks:

* ``bare``: no CORS (the baseline; for preflights ``options-204``, the bare application
  plus an ``OPTIONS`` route answering 204, since the bare application's 405 costs more);
* ``fixed``: a hand-written middleware setting fixed headers and answering preflights with
  fixed headers (the blog-post approach, checking nothing);
* ``aiohttp-cors``: aiohttp-cors with the route registered;
* ``corecors``: ``corecors_aiohttp.setup(app, policy)`` (the recommended way);
* ``corecors-mw``: ``corecors_aiohttp.cors_middleware(policy)`` alone;
* ``plumbing``: what ``setup`` installs, doing nothing -- a middleware that calls the handler
  and an ``on_response_prepare`` hook that returns: the floor of ``setup``'s design.
"""

from __future__ import annotations

import asyncio

from . import inserver, stacks
from .harness import Level, Settings, Target, fmt_ratio
from .transport import Connection

THIRD = 1 / 3


def connection(factory: object) -> Connection:
    app = factory()  # type: ignore[operator]
    server = app._make_handler(access_log=None)
    return Connection(server())


async def measure(settings: Settings) -> Level:
    level = Level(
        key="aiohttp",
        title="Inside aiohttp's server, in process",
        what=(
            "Raw HTTP/1.1 requests through aiohttp's RequestHandler and a memory transport; "
            "µs per request, added over the baseline, and throughput as a share of the "
            "baseline's (median of per-round ratios)."
        ),
        columns=inserver.SERVER_COLUMNS,
    )
    if not stacks.installed("aiohttp"):
        level.notes.extend(stacks.missing_note({"aiohttp": False}))
        return level
    factories, notes = stacks.aiohttp_stacks()
    level.notes.extend(notes)
    connections = {name: connection(factory) for name, factory in factories.items()}
    added = await inserver.measure(
        level,
        connections,
        rounds=settings.rounds(81, 21),
        count=settings.count(200, 150),
        preflight_baseline="options-204",
    )
    summary = []
    for kind, figures in added.items():
        ours = figures["corecors"]
        other = figures.get("aiohttp-cors")
        fixed = figures["fixed"]
        share = None if other is None or other <= 0 else ours / other
        summary.append(
            f"{kind}: corecors adds {fmt_ratio(share)} of what aiohttp-cors adds, "
            f"{fmt_ratio(ours / fixed if fixed > 0 else None)} of the fixed-header middleware's"
        )
        level.targets.append(
            Target(
                f"corecors_aiohttp adds ≤ ⅓ of aiohttp-cors: {kind}",
                None if share is None else share <= THIRD,
                "" if share is None else f"{share:.2f}",
            )
        )
        level.targets.append(
            Target(
                f"corecors_aiohttp adds no more than the fixed-header middleware: {kind}",
                ours <= fixed or ours <= 0,
                f"{ours * 1e6:.2f} vs {fixed * 1e6:.2f} µs",
            )
        )
    level.notes.extend(summary)
    level.notes.append(
        "'plumbing' is setup()'s middleware and prepare hook with nothing in them: what "
        "aiohttp charges for the design before any CORS work."
    )
    return level


def run(settings: Settings) -> Level:
    return asyncio.run(measure(settings))
