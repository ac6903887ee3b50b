"""Inside aiohttp's own server, in process: its request handler, a memory transport, no sockets.

Every request goes through aiohttp's real server stack -- the HTTP parser, the protocol's
request loop, the router, middlewares, ``on_response_prepare`` and the response writer --
so the figures include everything a request pays except the system calls. Stacks:

* ``bare``: no CORS (the baseline; for preflights ``options-204``, the bare application
  plus an ``OPTIONS`` route answering 204, since the bare application's 405 costs more);
* ``fixed``: a hand-written middleware setting fixed headers and answering preflights with
  fixed headers (the blog-post approach, checking nothing: naive, and wrong);
* ``floor``: a hand-written middleware *correct* for this one policy, everything prebuilt
  (``Vary: Origin`` without Origin, prebuilt lines for listed origins, preflights checked
  and answered with prebuilt lines): what a correct CORS middleware cannot go below;
* ``aiohttp-cors``: aiohttp-cors with the route registered;
* ``corecors``: ``corecors_aiohttp.setup(app, policy)`` (the recommended way);
* ``corecors-mw``: ``corecors_aiohttp.cors_middleware(policy)`` alone;
* ``plumbing``: an ``on_response_prepare`` receiver that returns -- the fixed part of
  ``setup``'s design (which has no middleware);
* ``vary-only``: a receiver that adds ``Vary: Origin`` to every response and does nothing
  else -- the least any correct design can cost for a request without ``Origin`` (a
  middleware costs more than a receiver).

The garbage collector stays on: the router's 404 raised through a middleware and a
preflight answer raised while routing leave reference cycles unless the code avoids them.
"""

from __future__ import annotations

import asyncio

from . import inserver, stacks
from .harness import Level, Settings, Target, fmt_ratio
from .transport import Connection

#: Issue 13's targets: µs added by corecors ÷ µs added by the peer, per kind.
LOOSE = 0.55  # ÷ aiohttp-cors, every kind but the 404
TIGHT = 0.40  # ÷ aiohttp-cors, allowed requests and preflights
TIGHT_KINDS = (stacks.SIMPLE_ALLOWED, stacks.PREFLIGHT_PLAIN, stacks.PREFLIGHT)
FIXED = 1.1  # ÷ the naive fixed-header middleware, simple requests
SIMPLE_KINDS = (stacks.NO_ORIGIN, stacks.SIMPLE_ALLOWED, stacks.SIMPLE_DISALLOWED)


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
        kinds=stacks.ALL_KINDS,
        collect_garbage=True,
    )
    level.notes.append(
        "Garbage collector on while sampling: raising paths (the router's 404 through a "
        "middleware, corecors' preflight answers) pay for the cycles they leave."
    )
    for kind, figures in added.items():
        ours = figures["corecors"]
        ratios = {
            peer: _ratio(ours, figures.get(peer)) for peer in ("floor", "aiohttp-cors", "fixed")
        }
        level.notes.append(
            f"{kind}: corecors adds {fmt_ratio(ratios['floor'])}x the floor's µs, "
            f"{fmt_ratio(ratios['aiohttp-cors'])}x aiohttp-cors', "
            f"{fmt_ratio(ratios['fixed'])}x the fixed-header middleware's"
        )
        least = _ratio(figures.get("vary-only", 0.0), figures.get("aiohttp-cors"))
        if kind == stacks.NO_ORIGIN and least is not None:
            level.notes.append(
                f"{kind}: 'vary-only' (the least a correct answer costs) adds "
                f"{least:.2f}x aiohttp-cors' µs, corecors {fmt_ratio(ratios['aiohttp-cors'])}x"
            )
        versus_peer = ratios["aiohttp-cors"]
        if kind != stacks.NOT_FOUND:  # aiohttp-cors does nothing for a 404
            bound = TIGHT if kind in TIGHT_KINDS else LOOSE
            level.targets.append(
                Target(
                    f"corecors_aiohttp adds ≤ {bound:.2f}x what aiohttp-cors adds: {kind}",
                    None if versus_peer is None else versus_peer <= bound,
                    "" if versus_peer is None else f"{versus_peer:.2f}",
                )
            )
        if kind in SIMPLE_KINDS:
            versus_fixed = ratios["fixed"]
            level.targets.append(
                Target(
                    f"corecors_aiohttp adds ≤ {FIXED:.2f}x the fixed-header middleware: {kind}",
                    None if versus_fixed is None else versus_fixed <= FIXED,
                    f"{ours * 1e6:.2f} vs {figures['fixed'] * 1e6:.2f} µs",
                )
            )
    level.notes.append(
        "'floor' is a hand-written middleware correct for this one policy and application, "
        "everything prebuilt (benchmarks/stacks.py). 'plumbing' is an on_response_prepare "
        "receiver that returns: the fixed part of setup()'s design, before any CORS work. "
        "'vary-only' adds Vary: Origin to every response and nothing else: the least a "
        "correct answer to a request without Origin can cost."
    )
    return level


def _ratio(ours: float, other: float | None) -> float | None:
    """``ours ÷ other`` for µs added (``None`` when the peer is missing or adds nothing)."""
    if other is None or other <= 0:
        return None
    return max(ours, 0.0) / other


def run(settings: Settings) -> Level:
    return asyncio.run(measure(settings))
