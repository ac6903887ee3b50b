"""Small aiohttp applications and helpers shared by the corecors_aiohttp tests."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from aiohttp.typedefs import Middleware

import corecors_aiohttp
from corecors import CORSPolicy, PathPolicies

# The origins and header names of the scenario table, re-exported for the aiohttp tests.
from tests.scenarios import ACAC as ACAC
from tests.scenarios import ACAH as ACAH
from tests.scenarios import ACAM as ACAM
from tests.scenarios import ACAO as ACAO
from tests.scenarios import ACEH as ACEH
from tests.scenarios import ACMA as ACMA
from tests.scenarios import ADMIN as ADMIN
from tests.scenarios import APP as APP
from tests.scenarios import EVIL as EVIL
from tests.scenarios import preflight_headers as preflight_headers

ACRH = "Access-Control-Request-Headers"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

Client = TestClient[web.Request, web.Application]


def api_policy(**overrides: Any) -> CORSPolicy:
    """The policy most tests use: two exact origins, credentials, a few methods and headers."""
    config: dict[str, Any] = {
        "allow_origins": [APP, ADMIN],
        "allow_methods": ["GET", "POST", "PUT", "DELETE"],
        "allow_headers": ["content-type", "x-token"],
        "expose_headers": ["x-request-id"],
        "allow_credentials": True,
        "max_age": 600,
    }
    config.update(overrides)
    return CORSPolicy(**config)


def public_policy() -> CORSPolicy:
    """Any origin, no credentials: a static ``*``."""
    return CORSPolicy(allow_origins=["*"], allow_methods=["GET", "PUT"])


def application(
    *routes: web.AbstractRouteDef,
    policy: CORSPolicy | PathPolicies | None = None,
    route_policies: Mapping[str, CORSPolicy | None] | None = None,
    check_websocket_origin: bool = False,
    middlewares: Iterable[Middleware] = (),
) -> web.Application:
    """An application serving ``routes``, with corecors set up when ``policy`` is given
    (``route_policies`` and ``check_websocket_origin`` are ``setup``'s ``routes`` and
    ``check_websocket_origin``)."""
    app = web.Application(middlewares=middlewares)
    app.add_routes(routes)
    if policy is not None:
        corecors_aiohttp.setup(
            app, policy, routes=route_policies, check_websocket_origin=check_websocket_origin
        )
    return app


@contextmanager
def logged(
    caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG, logger: str = "corecors"
) -> Iterator[list[logging.LogRecord]]:
    """The records ``logger`` and the loggers below it write inside the block, from ``level``
    up (the list is filled when the block ends)."""
    records: list[logging.LogRecord] = []
    with caplog.at_level(level, logger=logger):
        yield records
    records.extend(r for r in caplog.records if r.name == logger or r.name.startswith(f"{logger}."))


def cors_headers(response: ClientResponse) -> dict[str, str]:
    """The Access-Control-* response headers, by canonical name (each must appear once)."""
    found: dict[str, str] = {}
    for name, value in response.headers.items():
        if name.lower().startswith("access-control-"):
            assert name.lower() not in {key.lower() for key in found}, f"{name} sent twice"
            found[name] = value
    return found


def assert_allowed(
    response: ClientResponse, origin: str = APP, *, credentials: bool = True
) -> None:
    """The response lets ``origin`` read it: exactly one ACAO with its value, and Vary."""
    assert response.headers.getall(ACAO) == [origin]
    assert response.headers.get(ACAC) == ("true" if credentials else None)
    assert response.headers.getall("Vary") == ["Origin"]


def assert_not_allowed(response: ClientResponse) -> None:
    """No CORS header at all, but still ``Vary: Origin`` (the answer depends on it)."""
    assert cors_headers(response) == {}
    assert response.headers.getall("Vary") == ["Origin"]


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def echo(request: web.Request) -> web.WebSocketResponse:
    """A WebSocket endpoint that sends every text message back."""
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    async for message in socket:
        await socket.send_str(message.data)
    return socket


class Counter:
    """A handler that counts its calls (to show a preflight never reaches the app)."""

    def __init__(self, response: Mapping[str, str] | None = None) -> None:
        self.calls: list[str] = []
        self.headers = dict(response or {})

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(request.method)
        return web.Response(text="counted", headers=self.headers)
