"""Inside uvicorn (httptools), in process: its real protocol, a memory transport, no sockets.

Each stack gets its own keep-alive connection to a uvicorn ``HttpToolsProtocol`` built as
``uvicorn.Server`` builds it (same configuration: httptools, no access log, ``date`` and
``server`` headers); raw request bytes go in, the response comes out of the transport.
The figure includes everything uvicorn does per request except the system calls.
"""

from __future__ import annotations

import asyncio

from . import inserver, stacks
from .harness import Level, Settings, Target
from .transport import Connection


def connection(app: stacks.ASGIApp) -> Connection:
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    config = uvicorn.Config(
        app, http="httptools", lifespan="off", access_log=False, log_level="warning"
    )
    config.load()
    state = ServerState()
    state.default_headers = [
        (b"date", b"Mon, 24 Nov 2025 00:00:00 GMT"),
        *config.encoded_headers,
    ]
    return Connection(HttpToolsProtocol(config=config, server_state=state, app_state={}))


async def measure(settings: Settings) -> Level:
    level = Level(
        key="uvicorn",
        title="Inside uvicorn (httptools), in process",
        what=(
            "Raw HTTP/1.1 requests through uvicorn's HttpToolsProtocol and a memory "
            "transport; µs per request, added over the bare application, and throughput as "
            "a share of the bare application's (median of per-round ratios)."
        ),
        columns=inserver.SERVER_COLUMNS,
    )
    missing = {name: stacks.installed(name) for name in ("uvicorn", "httptools")}
    if not all(missing.values()):
        level.notes.extend(stacks.missing_note(missing))
        level.targets.append(Target("throughput inside uvicorn", None))
        return level
    apps, notes = stacks.asgi_stacks()
    level.notes.extend(notes)
    connections = {name: connection(app) for name, app in apps.items()}
    await inserver.measure(
        level,
        connections,
        rounds=settings.rounds(81, 21),
        count=settings.count(200, 150),
        kinds=stacks.ASGI_KINDS,
        collect_garbage=True,
    )
    level.notes.append(
        "asgi-cors answers no preflight: the bare application's 200 goes out with its "
        "headers. The preflight baseline is the bare application answering the OPTIONS. "
        "'floor' is the hand-written middleware correct for this one policy "
        "(benchmarks/stacks.py). Garbage collector on while sampling, as in a server."
    )
    return level


def run(settings: Settings) -> Level:
    return asyncio.run(measure(settings))
