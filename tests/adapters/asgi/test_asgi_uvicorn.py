"""corecors_asgi.CORSMiddleware behind a real server (uvicorn, on a loopback port).

The other ASGI tests call the application in process; these send real HTTP and WebSocket
handshakes, so what is checked is exactly what a browser would receive: header names as
the client writes them (uvicorn lowercases them for ASGI), repeated header lines, and the
403 a refused WebSocket handshake gets.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from corecors import CORSPolicy
from corecors_asgi import CORSMiddleware

from .asgi_apps import ADMIN, APP, EVIL, starlette_app
from .asgi_servers import uvicorn_server


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    policy = CORSPolicy(
        allow_origins=[APP, ADMIN], allow_methods=["PUT"], allow_headers=["content-type"]
    )
    app = CORSMiddleware(starlette_app(), policy=policy, check_websocket_origin=True)
    with uvicorn_server(app, http="auto") as bound:  # uvicorn's own choice of HTTP parser
        yield bound


def request(
    port: int, method: str, path: str, headers: list[tuple[str, str]]
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest(method, path)
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_preflight_over_http(port: int) -> None:
    response = request(
        port,
        "OPTIONS",
        "/api/items/1",
        [
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
    )
    assert response.status == 204
    assert response.headers.get_all("Access-Control-Allow-Origin") == [APP]
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"
    # A 204 says nothing of its length (RFC 9110 section 8.6), and has no chunked body.
    assert response.headers["Content-Length"] is None
    assert response.headers["Transfer-Encoding"] is None


def test_actual_request_over_http(port: int) -> None:
    allowed = request(port, "GET", "/api/items/1", [("ORIGIN", ADMIN)])
    refused = request(port, "GET", "/api/items/1", [("Origin", EVIL)])
    assert allowed.status == 200
    assert allowed.headers.get_all("Access-Control-Allow-Origin") == [ADMIN]
    assert allowed.headers["Vary"] == "Origin"
    assert refused.headers.get_all("Access-Control-Allow-Origin") is None


def test_two_origin_lines_over_http_are_refused(port: int) -> None:
    response = request(port, "GET", "/", [("Origin", APP), ("Origin", APP)])
    assert response.status == 200
    assert response.headers.get_all("Access-Control-Allow-Origin") is None


def test_websocket_handshake_from_an_allowed_origin(port: int) -> None:
    with connect(f"ws://127.0.0.1:{port}/api/ws", origin=Origin(APP), open_timeout=10) as websocket:
        assert websocket.recv(timeout=10) == "hello"


def test_websocket_handshake_from_another_origin_gets_403(port: int) -> None:
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(f"ws://127.0.0.1:{port}/api/ws", origin=Origin(EVIL), open_timeout=10),
    ):
        pass
    assert refused.value.response.status_code == 403
