"""``corecors.exchange``: the reference for reading a request and applying a decision.

First its own rules, then the property that matters: each adapter's fast paths answer
exactly what the reference answers -- the ASGI middleware through a real scope and
``send``, aiohttp through a real server on loopback (preflights answered while routing,
other responses in the prepare hook) -- for generated requests with repeated lines and
names in any case, and responses whose application set CORS headers or a ``Vary`` itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

import corecors_aiohttp
from corecors import (
    OWNED_RESPONSE_HEADERS,
    CORSConfigError,
    CORSDecider,
    CORSPolicy,
    Decision,
    DecisionKind,
    PathPolicies,
    read_request,
    response_headers,
)
from corecors.exchange import check_decider, check_optional_decider
from corecors_asgi import CORSMiddleware

APP = "https://app.example.com"
ACAO = "Access-Control-Allow-Origin"
DISABLED = Decision(DecisionKind.DISABLED, None, (), ())

Lines = list[tuple[str, str]]


# -- reading a request ------------------------------------------------------------------


def test_fields_are_read_whatever_the_case_of_their_names() -> None:
    info = read_request(
        "OPTIONS",
        "/api",
        [
            ("ORIGIN", APP),
            ("access-control-request-METHOD", "PUT"),
            ("Access-Control-Request-Headers", "content-type"),
            ("Access-Control-Request-Private-Network", "true"),
            ("Accept", "*/*"),
        ],
    )
    assert info == (
        "OPTIONS",
        APP,
        "PUT",
        "content-type",
        True,
        "/api",
    )


def test_repeated_lines_are_joined_with_a_comma() -> None:
    info = read_request(
        "OPTIONS",
        "/",
        [
            ("Origin", APP),
            ("Access-Control-Request-Headers", "a"),
            ("origin", APP),
            ("access-control-request-headers", "b"),
        ],
    )
    assert info.origin == f"{APP},{APP}"
    assert info.request_headers == "a,b"


@pytest.mark.parametrize("value", ["TRUE", "1", "true ", "false"])
def test_private_network_is_asked_only_by_the_exact_value_true(value: str) -> None:
    info = read_request("OPTIONS", "/", [("Access-Control-Request-Private-Network", value)])
    assert info.request_private_network is False


def test_absent_fields_are_none() -> None:
    assert read_request("GET", "/x", [("Accept", "*/*")]) == ("GET", None, None, None, False, "/x")


def test_a_field_stops_growing_past_every_input_limit() -> None:
    # 100 000 lines of 100 characters: the joined field is cut just past the largest input
    # limit (65 536) instead of being 10 MB long, and the policy refuses it all the same.
    lines = [("Access-Control-Request-Headers", "x" * 100)] * 100_000
    start = [("Origin", APP), ("Access-Control-Request-Method", "PUT")]
    info = read_request("OPTIONS", "/", [*start, *lines])
    assert info.request_headers is not None
    assert len(info.request_headers) == 65_537
    policy = CORSPolicy(allow_origins=[APP], allow_headers=["*"], allow_methods=["PUT"])
    assert policy.decide(info).kind is DecisionKind.PREFLIGHT_REJECTED


# -- applying a decision ----------------------------------------------------------------

POLICY = CORSPolicy(allow_origins=[APP], allow_credentials=True, expose_headers=["x-id"])


def test_owned_headers_the_application_set_are_replaced() -> None:
    app: Lines = [(name.upper(), "*") for name in sorted(OWNED_RESPONSE_HEADERS)]
    app.append(("Content-Type", "text/plain"))
    headers = response_headers(POLICY.decide_fields("GET", APP), app)
    assert headers == [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "x-id"),
        ("Vary", "Origin"),
    ]


def test_vary_lines_are_merged_into_one() -> None:
    app = [("vary", "Accept-Encoding"), ("X-Id", "1"), ("VARY", "origin")]
    headers = response_headers(POLICY.decide_fields("GET", "https://evil.example"), app)
    assert headers == [("X-Id", "1"), ("Vary", "Accept-Encoding, origin")]


def test_vary_star_is_left_alone() -> None:
    headers = response_headers(POLICY.decide_fields("GET", None), [("Vary", "*")])
    assert headers == [("Vary", "*")]


def test_a_disabled_decision_leaves_the_response_as_it_is() -> None:
    app = [(ACAO, "*"), ("Vary", "a"), ("Vary", "b")]
    assert response_headers(DISABLED, app) == app


def test_a_preflight_answer_is_the_decision_and_its_vary() -> None:
    decision = POLICY.decide_fields("OPTIONS", APP, "GET")
    assert decision.status == 204
    headers = response_headers(decision)
    assert headers[-1] == ("Vary", ", ".join(decision.vary))
    assert headers[:-1] == list(decision.headers)


# -- checking what an adapter is given --------------------------------------------------


def test_check_decider_names_the_argument_and_the_type() -> None:
    assert check_decider(POLICY) is POLICY
    with pytest.raises(CORSConfigError, match=r"routes\['x'\] must be .*CORSDecider, not str"):
        check_decider("*", "routes['x']")


def test_check_optional_decider_allows_none() -> None:
    assert check_optional_decider(None, "policy") is None
    with pytest.raises(CORSConfigError, match=r"or None to leave those responses alone"):
        check_optional_decider(42, "policy")


def test_adapters_refuse_a_non_decider_with_the_same_error() -> None:
    with pytest.raises(CORSConfigError, match="CORSDecider, not dict") as asgi:
        CORSMiddleware(app=None, policy={"allow_origins": [APP]})  # type: ignore[arg-type]
    with pytest.raises(CORSConfigError, match="CORSDecider, not dict") as aiohttp:
        corecors_aiohttp.setup(web.Application(), {"allow_origins": [APP]})  # type: ignore[arg-type]
    assert asgi.value.problems == aiohttp.value.problems


# -- the adapters against the reference ---------------------------------------------------

POLICIES: dict[str, CORSDecider] = {
    "credentials": POLICY,
    "wildcard": CORSPolicy(
        allow_origins=["*"], allow_methods=["*"], allow_headers=["*"], max_age=60
    ),
    "debug": CORSPolicy(
        allow_origins=[APP],
        allow_methods=["GET", "PUT"],
        allow_headers=["x-a"],
        allow_private_network=True,
        debug=True,
    ),
    "paths": PathPolicies({"/off": None, "/public": CORSPolicy(allow_origins=["*"])}, POLICY),
    # Listed origins and a pattern: the aiohttp fast path asks the policy for unlisted ones.
    "pattern": CORSPolicy(allow_origins=[APP, "https://*.example.com"], allow_credentials=True),
}


def _any_case(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.upper(), name.title()])


_REQUEST_LINE = st.one_of(
    st.tuples(
        _any_case("Origin"),
        st.sampled_from(
            [
                APP,
                "https://evil.example",
                "null",
                "http://127.0.0.1:8000",
                "*",
                "https://sub.example.com",  # allowed by the pattern policy only
                f"{APP}.evil.example",  # longer than any listed origin
            ]
        ),
    ),
    st.tuples(
        _any_case("Access-Control-Request-Method"),
        st.sampled_from(["GET", "PUT", "patch", "DELETE", "*"]),
    ),
    st.tuples(
        _any_case("Access-Control-Request-Headers"),
        st.sampled_from(["x-a", "content-type,x-a", "x-b", "authorization", "X-A, x-b"]),
    ),
    st.tuples(
        _any_case("Access-Control-Request-Private-Network"), st.sampled_from(["true", "TRUE"])
    ),
    st.tuples(_any_case("X-Other"), st.sampled_from(["1", "origin"])),
)


def _odd_case(name: str) -> str:
    return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(name))


_APP_LINE = st.tuples(
    st.sampled_from(
        [
            *(
                name
                for owned in sorted(OWNED_RESPONSE_HEADERS)
                for name in (owned, owned.title(), owned.upper(), _odd_case(owned))
            ),
            "Vary",
            "vary",
            "VARY",
            "vArY",
            "X-App",
            # A response with a Content-Type only is the aiohttp fast path's cheapest case.
            "Content-Type",
            "content-type",
        ]
    ),
    st.sampled_from(["*", "true", "Accept-Encoding", "Origin", "x-app, origin", "60"]),
)


@st.composite
def exchanges(draw: st.DrawFn) -> tuple[str, str, str, Lines, Lines]:
    policy = draw(st.sampled_from(sorted(POLICIES)))
    method = draw(st.sampled_from(["GET", "POST", "OPTIONS", "PUT", "DELETE"]))
    path = draw(st.sampled_from(["/api/x", "/off/x", "/public/x"]))
    request = draw(st.lists(_REQUEST_LINE, max_size=7))
    app = draw(st.lists(_APP_LINE, max_size=5))
    return policy, method, path, request, app


def expected(
    policy: str, method: str, path: str, request: Lines, app: Lines
) -> tuple[int, Lines, Lines]:
    """The reference's answer: a preflight it answers, or the application's 200; and the
    application's lines that answer carries (none in a preflight's answer)."""
    decision = POLICIES[policy].decide(read_request(method, path, request))
    if decision.status is not None:
        return decision.status, response_headers(decision), []
    return 200, response_headers(decision, app), app


def comparable(lines: Sequence[tuple[str, str]], app: Lines) -> dict[str, list[str]]:
    """The lines that CORS may touch, by lowercase name, with ``Vary`` lines as one value
    (several lines are one list in HTTP; each adapter may write them either way)."""
    names = {*OWNED_RESPONSE_HEADERS, "vary", "cors-rejection-reason"}
    names.update(name.lower() for name, _ in app)
    found: dict[str, list[str]] = {}
    for name, value in lines:
        if name.lower() in names:
            found.setdefault(name.lower(), []).append(value)
    if "vary" in found:
        found["vary"] = [", ".join(found["vary"])]
    return found


@settings(max_examples=400, deadline=None)
@given(exchanges())
def test_the_asgi_middleware_answers_what_the_reference_answers(
    exchange: tuple[str, str, str, Lines, Lines],
) -> None:
    policy, method, path, request, app_lines = exchange

    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(name.encode(), value.encode()) for name, value in app_lines]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [(name.encode(), value.encode()) for name, value in request],
    }
    asyncio.run(CORSMiddleware(app, policy=POLICIES[policy])(scope, receive, send))
    start = sent[0]
    lines = [(name.decode(), value.decode()) for name, value in start["headers"]]
    status, headers, kept = expected(policy, method, path, request, app_lines)
    assert start["status"] == status
    assert comparable(lines, kept) == comparable(headers, kept)


AIOHTTP_MODES = ("setup", "cors_middleware")


class _AiohttpServers:
    """One aiohttp application per policy and way in (``setup`` or ``cors_middleware``),
    on loopback, all served from one event loop. The handler answers 200 with the header
    lines the request asks for (as JSON in ``X-Test-Response``)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.clients: dict[tuple[str, str], TestClient[web.Request, web.Application]] = {}
        for mode in AIOHTTP_MODES:
            for name, policy in POLICIES.items():
                if mode == "setup":
                    app = web.Application()
                    corecors_aiohttp.setup(app, policy)
                else:
                    app = web.Application(middlewares=[corecors_aiohttp.cors_middleware(policy)])
                app.router.add_route("*", "/{tail:.*}", self._handler)
                client = TestClient(TestServer(app), loop=self.loop)
                self.loop.run_until_complete(client.start_server())
                self.clients[mode, name] = client

    @staticmethod
    async def _handler(request: web.Request) -> web.Response:
        lines = json.loads(request.headers["X-Test-Response"])
        response = web.Response(status=200)
        for name, value in lines:
            response.headers.add(name, value)
        return response

    def request(
        self, mode: str, policy: str, method: str, path: str, request: Lines, app: Lines
    ) -> tuple[int, Lines]:
        """Send the request's lines exactly as given (aiohttp's client would combine
        repeated names) and read the status and header lines of the answer."""
        server = self.clients[mode, policy].server
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {server.host}:{server.port}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in request),
            f"X-Test-Response: {json.dumps(app)}",
        ]

        async def send() -> bytes:
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            answer = await reader.read()
            writer.close()
            await writer.wait_closed()
            return answer

        head = self.loop.run_until_complete(send()).split(b"\r\n\r\n", 1)[0].decode()
        status_line, *header_lines = head.split("\r\n")
        headers = [tuple(line.split(": ", 1)) for line in header_lines]
        return int(status_line.split()[1]), [(name, value) for name, value in headers]

    def close(self) -> None:
        for client in self.clients.values():
            self.loop.run_until_complete(client.close())
        self.loop.close()


@pytest.fixture(scope="module")
def aiohttp_servers() -> Iterator[_AiohttpServers]:
    servers = _AiohttpServers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.mark.parametrize("mode", AIOHTTP_MODES)
@settings(max_examples=300, deadline=None)
@given(exchange=exchanges())
def test_the_aiohttp_adapter_answers_what_the_reference_answers(
    aiohttp_servers: _AiohttpServers, mode: str, exchange: tuple[str, str, str, Lines, Lines]
) -> None:
    policy, method, path, request, app_lines = exchange
    status, lines = aiohttp_servers.request(mode, policy, method, path, request, app_lines)
    want_status, want, kept = expected(policy, method, path, request, app_lines)
    assert status == want_status
    assert comparable(lines, kept) == comparable(want, kept)
