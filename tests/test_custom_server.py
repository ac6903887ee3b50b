"""examples/custom_server.py: corecors applied by hand in a standard-library server.

Each test sends real HTTP requests over loopback to the example server and reads the
real responses, so what is checked is exactly what a browser would receive.
"""

from __future__ import annotations

import http.client
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from corecors import PathPolicies
from tests.loopback import serving

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import custom_server

APP_ORIGIN = "https://app.example.com"
EVIL_ORIGIN = "https://evil.example.net"
ALLOWED_METHODS = "GET, POST, PUT, DELETE"
ALLOWED_HEADERS = "content-type, authorization"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def cors_headers(self) -> list[str]:
        return [name for name in self.headers if name.lower().startswith("access-control-")]

    def json(self) -> object:
        return json.loads(self.body)


Address = tuple[str, int]


@pytest.fixture(scope="module")
def address() -> Iterator[Address]:
    """One example server on a kernel-chosen loopback port (it keeps no state between requests)."""
    yield from serving(custom_server.make_server(port=0))


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
) -> Reply:
    """Send one request; header lines are sent as given, repeated names included."""
    connection.putrequest(method, path)
    for name, value in headers:
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    return Reply(response.status, response.msg, response.read())


def request(
    address: Address,
    method: str,
    path: str,
    headers: Sequence[tuple[str, str]] = (),
) -> Reply:
    connection = http.client.HTTPConnection(*address, timeout=5)
    try:
        return send(connection, method, path, headers)
    finally:
        connection.close()


def preflight(
    address: Address,
    origin: str = APP_ORIGIN,
    method: str = "PUT",
    headers: str | None = "content-type",
    *extra: tuple[str, str],
) -> Reply:
    lines = [("Origin", origin), ("Access-Control-Request-Method", method), *extra]
    if headers is not None:
        lines.append(("Access-Control-Request-Headers", headers))
    return request(address, "OPTIONS", "/api/hello", lines)


# -- actual requests ------------------------------------------------------------------


def test_allowed_simple_get_gets_the_origin_credentials_and_exposed_headers(
    address: Address,
) -> None:
    reply = request(address, "GET", "/api/hello", [("Origin", APP_ORIGIN)])

    assert reply.status == 200
    assert reply.json() == {"hello": "world"}
    assert reply.header("Access-Control-Allow-Origin") == APP_ORIGIN
    assert reply.header("Access-Control-Allow-Credentials") == "true"
    assert reply.header("Access-Control-Expose-Headers") == "x-request-id"
    assert reply.header("X-Request-Id")
    assert reply.header("Vary") == "Origin"


def test_loopback_origin_on_any_port_is_allowed(address: Address) -> None:
    origin = "http://127.0.0.1:5173"
    reply = request(address, "GET", "/api/hello", [("Origin", origin)])

    assert reply.status == 200
    assert reply.header("Access-Control-Allow-Origin") == origin


def test_disallowed_origin_gets_the_response_without_any_cors_header(address: Address) -> None:
    reply = request(address, "GET", "/api/hello", [("Origin", EVIL_ORIGIN)])

    assert reply.status == 200
    assert reply.json() == {"hello": "world"}
    assert reply.cors_headers() == []
    assert reply.header("Vary") == "Origin"


def test_request_without_origin_still_varies_on_origin(address: Address) -> None:
    reply = request(address, "GET", "/api/hello")

    assert reply.status == 200
    assert reply.json() == {"hello": "world"}
    assert reply.header("Access-Control-Allow-Origin") is None
    assert reply.header("Vary") == "Origin"


def test_application_404_still_carries_cors_headers_for_an_allowed_origin(
    address: Address,
) -> None:
    reply = request(address, "GET", "/api/missing", [("Origin", APP_ORIGIN)])

    assert reply.status == 404
    assert reply.json() == {"error": "this resource does not exist"}
    assert reply.header("Access-Control-Allow-Origin") == APP_ORIGIN
    assert reply.header("Access-Control-Allow-Credentials") == "true"
    assert reply.header("Vary") == "Origin"


def test_two_origin_lines_are_joined_and_not_allowed(address: Address) -> None:
    reply = request(address, "GET", "/api/hello", [("Origin", APP_ORIGIN), ("Origin", APP_ORIGIN)])

    assert reply.status == 200
    assert reply.cors_headers() == []
    assert reply.header("Vary") == "Origin"


def test_plain_options_without_request_method_reaches_the_application(
    address: Address,
) -> None:
    reply = request(address, "OPTIONS", "/api/hello", [("Origin", APP_ORIGIN)])

    assert reply.status == 204
    assert reply.header("Allow") == "GET, HEAD, OPTIONS"  # written by the application
    assert reply.header("Access-Control-Allow-Methods") is None
    assert reply.header("Access-Control-Allow-Origin") == APP_ORIGIN
    assert reply.header("Vary") == "Origin"


def test_request_body_is_drained_so_the_connection_is_reused(address: Address) -> None:
    connection = http.client.HTTPConnection(*address, timeout=5)
    try:
        first = send(connection, "POST", "/api/hello", [("Origin", APP_ORIGIN)], b"x" * 1000)
        second = send(connection, "GET", "/api/hello", [("Origin", APP_ORIGIN)])
    finally:
        connection.close()

    assert first.status == 404
    assert first.header("Access-Control-Allow-Origin") == APP_ORIGIN
    assert second.status == 200
    assert second.json() == {"hello": "world"}


def test_head_gets_the_headers_without_a_body(address: Address) -> None:
    reply = request(address, "HEAD", "/api/hello", [("Origin", APP_ORIGIN)])

    assert reply.status == 200
    assert reply.body == b""
    assert reply.header("Access-Control-Allow-Origin") == APP_ORIGIN


# -- preflights -----------------------------------------------------------------------


def test_accepted_preflight_is_answered_with_204_and_the_allow_headers(
    address: Address,
) -> None:
    reply = preflight(address, headers="content-type, authorization")

    assert reply.status == 204
    assert reply.body == b""
    assert reply.header("Content-Length") == "0"
    assert reply.header("Access-Control-Allow-Origin") == APP_ORIGIN
    assert reply.header("Access-Control-Allow-Credentials") == "true"
    assert reply.header("Access-Control-Allow-Methods") == ALLOWED_METHODS
    assert reply.header("Access-Control-Allow-Headers") == ALLOWED_HEADERS
    assert reply.header("Access-Control-Max-Age") == "600"
    assert reply.header("Vary") == PREFLIGHT_VARY
    assert reply.header("Allow") is None  # the application was not called


def test_repeated_request_headers_lines_parse_as_one_list(address: Address) -> None:
    reply = preflight(
        address,
        APP_ORIGIN,
        "PUT",
        None,
        ("Access-Control-Request-Headers", "content-type"),
        ("Access-Control-Request-Headers", "authorization"),
    )

    assert reply.status == 204
    assert reply.header("Access-Control-Allow-Headers") == ALLOWED_HEADERS


@pytest.mark.parametrize(
    ("origin", "method", "headers", "extra"),
    [
        pytest.param(APP_ORIGIN, "PUT", "x-custom", (), id="header-not-allowed"),
        pytest.param(EVIL_ORIGIN, "PUT", "content-type", (), id="origin-not-allowed"),
        pytest.param(APP_ORIGIN, "patch", None, (), id="lowercase-patch-not-allowed"),
        pytest.param(APP_ORIGIN, "PATCH", None, (), id="method-not-allowed"),
        pytest.param(
            APP_ORIGIN,
            "GET",
            None,
            (("Access-Control-Request-Private-Network", "true"),),
            id="private-network-not-allowed",
        ),
    ],
)
def test_rejected_preflight_is_403_without_any_allow_header(
    address: Address,
    origin: str,
    method: str,
    headers: str | None,
    extra: tuple[tuple[str, str], ...],
) -> None:
    reply = preflight(address, origin, method, headers, *extra)

    assert reply.status == 403
    assert reply.body == b""
    assert reply.header("Content-Length") == "0"
    allow = [name for name in reply.headers if name.lower().startswith("access-control-allow-")]
    assert allow == []
    assert (reply.header("Vary") or "").startswith(PREFLIGHT_VARY)
    assert reply.header("Allow") is None  # the application was not called


# -- the application's own CORS headers -------------------------------------------------


def legacy_application(method: str, path: str) -> custom_server.Response:
    """An application that still writes CORS headers of its own, and two ``Vary`` lines."""
    headers = [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", "*"),
        ("access-control-allow-credentials", "true"),
        ("Vary", "Accept-Encoding"),
        ("Vary", "Accept-Language"),
    ]
    return 200, headers, b"legacy"


@pytest.fixture(scope="module")
def legacy_address() -> Iterator[Address]:
    """The example server around :func:`legacy_application`, CORS off under ``/legacy``."""
    policy = PathPolicies({"/legacy": None}, default=custom_server.POLICY)
    yield from serving(custom_server.make_server(port=0, policy=policy, app=legacy_application))


def test_cors_headers_the_application_set_are_replaced_by_the_decision(
    legacy_address: Address,
) -> None:
    reply = request(legacy_address, "GET", "/api/hello", [("Origin", APP_ORIGIN)])

    assert reply.status == 200
    assert reply.headers.get_all("Access-Control-Allow-Origin") == [APP_ORIGIN]
    assert reply.headers.get_all("Access-Control-Allow-Credentials") == ["true"]
    assert reply.headers.get_all("Vary") == ["Accept-Encoding, Accept-Language, Origin"]


def test_a_refused_origin_loses_the_wildcard_the_application_set(
    legacy_address: Address,
) -> None:
    reply = request(legacy_address, "GET", "/api/hello", [("Origin", EVIL_ORIGIN)])

    assert reply.status == 200
    assert reply.cors_headers() == []
    assert reply.headers.get_all("Vary") == ["Accept-Encoding, Accept-Language, Origin"]


def test_where_cors_is_off_the_application_response_goes_out_as_it_was(
    legacy_address: Address,
) -> None:
    reply = request(legacy_address, "GET", "/legacy/page", [("Origin", EVIL_ORIGIN)])

    assert reply.status == 200
    assert reply.body == b"legacy"
    assert reply.headers.get_all("Access-Control-Allow-Origin") == ["*"]
    assert reply.headers.get_all("Access-Control-Allow-Credentials") == ["true"]
    assert reply.headers.get_all("Vary") == ["Accept-Encoding", "Accept-Language"]
