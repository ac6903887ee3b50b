"""Cross-site WebSocket hijacking: the opt-in origin check, over real sockets.

A browser opens a WebSocket to any server with the user's cookies and checks nothing, so
a server must refuse handshakes from foreign origins itself (CORS-RULES rule 66, pitfall
P19). Both adapters do it with ``check_websocket_origin=True``. These tests use a real
WebSocket client (the ``websockets`` package) against aiohttp's own server and against
Starlette under uvicorn, on 127.0.0.1 with kernel-chosen ports:

* an allowed origin connects and its messages are echoed;
* a foreign origin (and ``null``, and two ``Origin`` lines) gets HTTP 403 on the handshake;
* a handshake without ``Origin`` (not from a browser page) connects;
* with the check off (the default), every handshake connects.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as sync_connect
from websockets.typing import Origin

import corecors_aiohttp
from corecors import CORSPolicy
from corecors_asgi import CORSMiddleware
from tests.adapters.aiohttp.aiohttp_apps import echo
from tests.adapters.asgi.asgi_servers import uvicorn_server

APP = "https://app.example.com"
EVIL = "https://evil.example.net"


def policy() -> CORSPolicy:
    return CORSPolicy(allow_origins=[APP, "https://*.trusted.example.org"], allow_credentials=True)


# (id, Origin lines the client sends, whether the check refuses it with 403)
HANDSHAKES: list[tuple[str, list[str], bool]] = [
    ("allowed-origin", [APP], False),
    ("allowed-by-pattern", ["https://chat.trusted.example.org"], False),
    ("foreign-origin", [EVIL], True),
    ("lookalike-suffix", ["https://app.example.com.evil.example"], True),
    ("http-instead-of-https", ["http://app.example.com"], True),
    ("null-origin", ["null"], True),
    ("two-origin-lines", [APP, APP], True),
    ("no-origin", [], False),
]
IDS = [i for i, _, _ in HANDSHAKES]

#: uvicorn's WebSocket protocol refuses two Origin lines itself, with 400, before any
#: application (or middleware) sees the handshake.
UVICORN_REFUSES = ["two-origin-lines"]


def _headers(origins: list[str]) -> list[tuple[str, str]]:
    return [("Origin", origin) for origin in origins]


# -- aiohttp's server ------------------------------------------------------------------------


async def _aiohttp_server(check: bool) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_get("/ws", echo)
    corecors_aiohttp.setup(app, policy(), check_websocket_origin=check)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = runner.addresses[0][1]
    return runner, port


@pytest.fixture
async def aiohttp_checked() -> AsyncIterator[int]:
    runner, port = await _aiohttp_server(check=True)
    yield port
    await runner.cleanup()


@pytest.fixture
async def aiohttp_unchecked() -> AsyncIterator[int]:
    runner, port = await _aiohttp_server(check=False)
    yield port
    await runner.cleanup()


async def _async_echo(port: int, origins: list[str]) -> str:
    async with async_connect(
        f"ws://127.0.0.1:{port}/ws",
        additional_headers=_headers(origins),
        proxy=None,
        open_timeout=10,
    ) as socket:
        await socket.send("ping")
        reply = await socket.recv()
        assert isinstance(reply, str)
        return reply


@pytest.mark.parametrize(("origins", "refused"), [(o, r) for _, o, r in HANDSHAKES], ids=IDS)
async def test_aiohttp_websocket_origin_check(
    aiohttp_checked: int, origins: list[str], refused: bool
) -> None:
    if refused:
        with pytest.raises(InvalidStatus) as caught:
            await _async_echo(aiohttp_checked, origins)
        assert caught.value.response.status_code == 403
        assert not any(
            name.lower().startswith("access-control-") for name in caught.value.response.headers
        )
    else:
        assert await _async_echo(aiohttp_checked, origins) == "ping"


@pytest.mark.parametrize("origins", [o for _, o, _ in HANDSHAKES], ids=IDS)
async def test_aiohttp_websocket_default_lets_every_origin_in(
    aiohttp_unchecked: int, origins: list[str]
) -> None:
    assert await _async_echo(aiohttp_unchecked, origins) == "ping"


async def test_aiohttp_websocket_origin_helper_with_the_origin_keyword(
    aiohttp_checked: int,
) -> None:
    """The way browsers' Origin reaches the server through the client's own option."""
    async with async_connect(
        f"ws://127.0.0.1:{aiohttp_checked}/ws", origin=Origin(APP), proxy=None, open_timeout=10
    ) as socket:
        await socket.send("hello")
        assert await socket.recv() == "hello"
    with pytest.raises(InvalidStatus) as caught:
        async with async_connect(
            f"ws://127.0.0.1:{aiohttp_checked}/ws", origin=Origin(EVIL), proxy=None
        ):
            pass
    assert caught.value.response.status_code == 403


# -- Starlette under uvicorn ---------------------------------------------------------------------


async def _starlette_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


def _starlette_app(check: bool) -> CORSMiddleware:
    starlette = Starlette(routes=[WebSocketRoute("/ws", _starlette_echo)])
    return CORSMiddleware(starlette, policy=policy(), check_websocket_origin=check)


@pytest.fixture(scope="module")
def uvicorn_ports() -> Iterator[dict[bool, int]]:
    """Two servers: the check on (key True) and off (key False)."""
    with contextlib.ExitStack() as servers:
        yield {
            check: servers.enter_context(uvicorn_server(_starlette_app(check), http="auto"))
            for check in (True, False)
        }


def _sync_echo(port: int, origins: list[str]) -> str:
    with sync_connect(
        f"ws://127.0.0.1:{port}/ws",
        additional_headers=_headers(origins),
        proxy=None,
        open_timeout=10,
    ) as socket:
        socket.send("ping")
        reply = socket.recv(timeout=10)
        assert isinstance(reply, str)
        return reply


def _uvicorn_cases() -> list[tuple[str, list[str], bool]]:
    return [case for case in HANDSHAKES if case[0] not in UVICORN_REFUSES]


@pytest.mark.parametrize(
    ("origins", "refused"),
    [(o, r) for _, o, r in _uvicorn_cases()],
    ids=[i for i, _, _ in _uvicorn_cases()],
)
def test_uvicorn_starlette_websocket_origin_check(
    uvicorn_ports: dict[bool, int], origins: list[str], refused: bool
) -> None:
    if refused:
        with pytest.raises(InvalidStatus) as caught:
            _sync_echo(uvicorn_ports[True], origins)
        assert caught.value.response.status_code == 403
        assert not any(
            name.lower().startswith("access-control-") for name in caught.value.response.headers
        )
    else:
        assert _sync_echo(uvicorn_ports[True], origins) == "ping"


@pytest.mark.parametrize(
    "origins", [o for _, o, _ in _uvicorn_cases()], ids=[i for i, _, _ in _uvicorn_cases()]
)
def test_uvicorn_starlette_websocket_default_lets_every_origin_in(
    uvicorn_ports: dict[bool, int], origins: list[str]
) -> None:
    assert _sync_echo(uvicorn_ports[False], origins) == "ping"


@pytest.mark.parametrize("check", [True, False], ids=["checked", "unchecked"])
def test_uvicorn_refuses_two_origin_lines_itself(
    uvicorn_ports: dict[bool, int], check: bool
) -> None:
    with pytest.raises(InvalidStatus) as caught:
        _sync_echo(uvicorn_ports[check], [APP, APP])
    assert caught.value.response.status_code == 400
