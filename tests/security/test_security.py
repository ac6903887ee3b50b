"""Hostile requests: bounded work, no reflection of unvalidated bytes, no state kept.

Every case below is something no browser sends: huge or comma-stuffed header lists,
control characters, CR/LF, NUL and non-ASCII bytes, repeated lines, methods with spaces.
Each must still get a decision (refused, or allowed exactly as the rules say), and nothing
the client sent may reach a response header unless it passed validation. The same cases
go through the core, the ASGI middleware (hand-built scopes with raw bytes) and the aiohttp
adapter (``make_mocked_request`` with the strings aiohttp's parser would produce, and a
real server fed raw bytes on a socket).

Time is not asserted here (the project forbids timed assertions): bounded work is checked
through the limits that bound it, and measured by ``benchmarks/hostile.py``.
"""

from __future__ import annotations

import asyncio
import gc
import re
import tracemalloc
import warnings
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict, CIMultiDictProxy

import corecors_aiohttp
from corecors import (
    DEBUG_REASON_HEADER,
    CORSConfigWarning,
    CORSPolicy,
    Decision,
    Rejection,
    RequestInfo,
)
from corecors.origins import parse_origin
from corecors.tokens import is_token, parse_request_header_names
from corecors_asgi import CORSMiddleware, Receive, Scope, Send
from tests.adapters.asgi.asgi_apps import RawApp, Sent, call, http_scope

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
MIB = 1 << 20

Lines = Sequence[tuple[bytes, bytes]]


def credentialed(**extra: object) -> CORSPolicy:
    return CORSPolicy(
        allow_origins=[APP, ADMIN],
        allow_methods=["PUT", "DELETE", "PATCH"],
        allow_headers=["content-type", "authorization", "x-token"],
        expose_headers=["x-request-id"],
        allow_credentials=True,
        max_age=600,
        **extra,  # type: ignore[arg-type]
    )


def permissive() -> CORSPolicy:
    """Every code path that parses the request: patterns, a regex, a predicate, echoes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        return CORSPolicy(
            allow_origins=["https://*.example.com", "http://localhost:*"],
            allow_origin_regex=r"https://[a-z0-9-]+\.preview\.example\.net",
            allow_origin_predicate=lambda origin: origin.endswith(".predicate.example.org"),
            allow_methods=["*"],
            allow_headers=["*", "authorization"],
            allow_null_origin=True,
            allow_private_network=True,
            debug=True,
        )


def wildcard() -> CORSPolicy:
    return CORSPolicy(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])


POLICIES: dict[str, Callable[[], CORSPolicy]] = {
    "credentialed": credentialed,
    "credentialed-debug": lambda: credentialed(debug=True),
    "permissive": permissive,
    "wildcard": wildcard,
}


@dataclass(frozen=True)
class Hostile:
    """A request no browser sends, as raw header lines."""

    id: str
    method: str
    lines: Lines
    allowed: bool = False
    """What the ``credentialed`` policy decides."""
    preflight: bool = True
    extra: dict[str, str] = field(default_factory=dict)


def preflight(
    origin: bytes = APP.encode(), method: bytes = b"PUT", headers: bytes | None = None
) -> list[tuple[bytes, bytes]]:
    lines = [(b"origin", origin), (b"access-control-request-method", method)]
    if headers is not None:
        lines.append((b"access-control-request-headers", headers))
    return lines


HOSTILE: list[Hostile] = [
    # -- Access-Control-Request-Headers -------------------------------------------------
    Hostile("acrh-1mib", "OPTIONS", preflight(headers=b"a" * MIB)),
    Hostile("acrh-1mib-of-allowed-names", "OPTIONS", preflight(headers=b"x-token," * (MIB // 8))),
    Hostile("acrh-100000-commas", "OPTIONS", preflight(headers=b"," * 100_000)),
    Hostile(
        "acrh-10000-distinct-names",
        "OPTIONS",
        preflight(headers=",".join(f"x-h{i}" for i in range(10_000)).encode()),
    ),
    Hostile("acrh-crlf-injection", "OPTIONS", preflight(headers=b"x-token\r\nSet-Cookie: a=b")),
    Hostile("acrh-lf-only", "OPTIONS", preflight(headers=b"x-token\nx-evil: 1")),
    Hostile("acrh-nul", "OPTIONS", preflight(headers=b"x-token\x00")),
    Hostile("acrh-control-character", "OPTIONS", preflight(headers=b"x-to\x1bken")),
    Hostile("acrh-latin-1-byte", "OPTIONS", preflight(headers=b"x-tok\xe9n")),
    Hostile("acrh-utf8-kelvin-sign", "OPTIONS", preflight(headers="x-to\u212aen".encode())),
    Hostile("acrh-utf8-dotted-capital-i", "OPTIONS", preflight(headers="x-token,\u0130".encode())),
    Hostile("acrh-invalid-utf8", "OPTIONS", preflight(headers=b"x-token,\xc3\x28")),
    Hostile("acrh-space-inside-name", "OPTIONS", preflight(headers=b"x token")),
    Hostile(
        "acrh-two-lines-allowed-names",
        "OPTIONS",
        [*preflight(headers=b"x-token"), (b"access-control-request-headers", b"content-type")],
        allowed=True,
    ),
    # -- Origin ---------------------------------------------------------------------------
    Hostile("origin-64kib", "GET", [(b"origin", b"https://" + b"a" * 65536)], preflight=False),
    Hostile("origin-64kib-preflight", "OPTIONS", preflight(origin=b"https://" + b"a" * 65536)),
    Hostile(
        "origin-64kib-of-allowed-prefix",
        "GET",
        [(b"origin", APP.encode() + b"a" * 65536)],
        preflight=False,
    ),
    Hostile(
        "origin-crlf-injection",
        "GET",
        [(b"origin", APP.encode() + b"\r\nSet-Cookie: session=attacker")],
        preflight=False,
    ),
    Hostile(
        "origin-crlf-injection-preflight",
        "OPTIONS",
        preflight(origin=APP.encode() + b"\r\nX-Injected: 1"),
    ),
    Hostile("origin-nul", "GET", [(b"origin", APP.encode() + b"\x00")], preflight=False),
    Hostile("origin-latin-1-byte", "GET", [(b"origin", APP.encode() + b"\xff")], preflight=False),
    Hostile(
        "origin-utf8-host",
        "GET",
        [(b"origin", "https://\u00e4pp.example.com".encode())],
        preflight=False,
    ),
    Hostile(
        "origin-utf8-lookalike-k",
        "GET",
        [(b"origin", "https://\u212aapp.example.com".encode())],
        preflight=False,
    ),
    Hostile(
        "origin-invalid-utf8",
        "GET",
        [(b"origin", b"https://\xc3\x28.example.com")],
        preflight=False,
    ),
    Hostile(
        "origin-two-lines-same",
        "GET",
        [(b"origin", APP.encode()), (b"origin", APP.encode())],
        preflight=False,
    ),
    Hostile(
        "origin-two-lines-different",
        "OPTIONS",
        [*preflight(), (b"origin", ADMIN.encode())],
    ),
    Hostile("origin-trailing-space", "GET", [(b"origin", APP.encode() + b" ")], preflight=False),
    Hostile("origin-leading-tab", "GET", [(b"origin", b"\t" + APP.encode())], preflight=False),
    Hostile(
        "origin-comma-list",
        "GET",
        [(b"origin", (APP + ", " + ADMIN).encode())],
        preflight=False,
    ),
    Hostile("origin-empty", "GET", [(b"origin", b"")], preflight=False),
    # -- Access-Control-Request-Method and the method -------------------------------------
    Hostile(
        "acrm-two-lines",
        "OPTIONS",
        [*preflight(), (b"access-control-request-method", b"PUT")],
    ),
    Hostile("acrm-with-space", "OPTIONS", preflight(method=b"PUT POST")),
    Hostile("acrm-crlf", "OPTIONS", preflight(method=b"PUT\r\nX-Injected: 1")),
    Hostile("acrm-nul", "OPTIONS", preflight(method=b"PUT\x00")),
    Hostile("acrm-latin-1-byte", "OPTIONS", preflight(method=b"P\xdbT")),
    Hostile("acrm-1mib", "OPTIONS", preflight(method=b"P" * MIB)),
    Hostile("acrm-empty", "OPTIONS", preflight(method=b"")),
    Hostile("acrm-forbidden-trace", "OPTIONS", preflight(method=b"TRACE")),
    Hostile("method-with-space", "GET POST", [(b"origin", APP.encode())], True, False),
    Hostile(
        "options-with-space-is-not-a-preflight",
        "OPTIONS X",
        preflight(),
        allowed=True,
        preflight=False,
    ),
    # -- everything at once ----------------------------------------------------------------
    Hostile(
        "private-network-garbage-is-not-true",
        "OPTIONS",
        [*preflight(), (b"access-control-request-private-network", b"true\r\nX: y")],
        allowed=True,
    ),
    Hostile(
        "all-fields-hostile",
        "OPTIONS",
        [
            (b"origin", APP.encode() + b"\r\n"),
            (b"access-control-request-method", b"PUT\x00"),
            (b"access-control-request-headers", b"\xff" * 4096),
            (b"access-control-request-private-network", b"\x00"),
        ],
    ),
]
IDS = [case.id for case in HOSTILE]


def joined(lines: Lines, name: bytes, decode: Callable[[bytes], str]) -> str | None:
    """A header's value as adapters hand it to the core: repeated lines joined with ','."""
    values = [decode(value) for key, value in lines if key == name]
    return ",".join(values) if values else None


def latin_1(value: bytes) -> str:
    return value.decode("latin-1")


def like_aiohttp(value: bytes) -> str:
    """How aiohttp's HTTP parser turns header bytes into ``str``."""
    return value.decode("utf-8", "surrogateescape")


def request_info(case: Hostile, decode: Callable[[bytes], str] = latin_1) -> RequestInfo:
    return RequestInfo(
        case.method,
        joined(case.lines, b"origin", decode),
        joined(case.lines, b"access-control-request-method", decode),
        joined(case.lines, b"access-control-request-headers", decode),
        joined(case.lines, b"access-control-request-private-network", decode) == "true",
    )


# -- what may appear in a response ---------------------------------------------------------

_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_LIST_HEADERS = ("access-control-allow-methods", "access-control-allow-headers")


def assert_safe(headers: Iterable[tuple[str, str]], policy: CORSPolicy) -> None:
    """Every CORS header value is printable ASCII, was validated, and appears once."""
    seen: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        assert is_token(name), name
        assert _PRINTABLE.fullmatch(value), f"{name}: {value!r}"
        if lowered.startswith("access-control-") or lowered == DEBUG_REASON_HEADER.lower():
            assert lowered not in seen, f"{name} appears twice"
            seen[lowered] = value
        if lowered in _LIST_HEADERS:
            items = [item.strip() for item in value.split(",")]
            assert all(is_token(item) for item in items), f"{name}: {value!r}"
            assert "*" not in items, f"{name}: a '*' from the request would be the wildcard"
        if lowered == DEBUG_REASON_HEADER.lower():
            assert len(value) <= 1024, len(value)
    origin = seen.get("access-control-allow-origin")
    if origin is not None and origin not in ("*", "null"):
        # Reflected only after validation: a serialized origin the policy allows.
        assert parse_origin(origin) is not None, origin
        assert policy.decide(RequestInfo("GET", origin)).allowed, origin
    if origin == "*":
        assert "access-control-allow-credentials" not in seen


def assert_decision_safe(decision: Decision, policy: CORSPolicy) -> None:
    assert_safe(decision.headers, policy)
    if decision.reason is not None:
        assert _PRINTABLE.fullmatch(decision.reason), decision.reason
        assert len(decision.reason) <= 1024
    for name in decision.vary:
        assert is_token(name)


# -- the core ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", HOSTILE, ids=IDS)
def test_core_decides_hostile_request(case: Hostile) -> None:
    policy = credentialed()
    decision = policy.decide(request_info(case))
    assert decision.allowed is case.allowed
    assert decision.is_preflight is case.preflight
    if decision.is_preflight:
        assert decision.status == (204 if case.allowed else 403)
    if not decision.allowed:
        assert decision.headers == ()
        assert decision.reason is not None
    assert_decision_safe(decision, policy)


@pytest.mark.parametrize("case", HOSTILE, ids=IDS)
@pytest.mark.parametrize("policy_name", POLICIES)
@pytest.mark.parametrize("decode", [latin_1, like_aiohttp], ids=["latin-1", "utf-8"])
def test_core_never_reflects_unvalidated_input(
    case: Hostile, policy_name: str, decode: Callable[[bytes], str]
) -> None:
    policy = POLICIES[policy_name]()
    info = request_info(case, decode)
    assert_decision_safe(policy.decide(info), policy)
    assert_decision_safe(policy.decide_websocket(info.origin), policy)


@pytest.mark.parametrize("origin", ["", "\r\nSet-Cookie: a=b", "https://evil.example\x00"])
def test_websocket_decision_of_a_wildcard_policy_does_not_echo_the_origin(origin: str) -> None:
    """Found by the atheris harness: ``*`` answered a handshake by echoing its Origin."""
    decision = wildcard().decide_websocket(origin)
    assert decision.status is None
    assert dict(decision.headers).get("Access-Control-Allow-Origin") == "*"


def test_unicode_that_lowercases_to_an_allowed_name_is_not_allowed() -> None:
    """'\u212a' (KELVIN SIGN) lowercases to 'k', so 'x-to\u212aen'.lower() == 'x-token'.

    It is not a token, so no browser sends it, and it must not pass for 'x-token'. aiohttp
    hands the core such strings (it decodes header bytes as UTF-8), so this is reachable.
    """
    decision = credentialed().decide(RequestInfo("OPTIONS", APP, "PUT", "x-to\u212aen"))
    assert not decision.allowed
    assert decision.rejection is Rejection.REQUEST_HEADERS_MALFORMED


@pytest.mark.parametrize("name", ["x-to\u212aen", "\u0130", "x-\u017ftoken", "x-token\u0307"])
def test_non_ascii_header_names_are_refused_even_with_star(name: str) -> None:
    policy = CORSPolicy(allow_origins=[APP], allow_headers=["*"], allow_methods=["PUT"])
    assert not policy.decide(RequestInfo("OPTIONS", APP, "PUT", name)).allowed


# -- limits: what bounds the work ----------------------------------------------------------


def test_request_header_list_over_the_length_limit_is_not_parsed() -> None:
    assert parse_request_header_names("a" * 4097, max_length=4096, max_count=64) is None
    assert parse_request_header_names("," * MIB, max_length=4096, max_count=64) is None


def test_request_header_list_over_the_count_limit_is_not_parsed() -> None:
    names = ",".join(f"x-{i}" for i in range(65))
    assert parse_request_header_names(names, max_length=4096, max_count=64) is None
    assert parse_request_header_names("," * 64, max_length=4096, max_count=64) is None
    at_limit = ",".join(f"x-{i}" for i in range(64))
    assert parse_request_header_names(at_limit, max_length=4096, max_count=64) is not None


def test_default_limits() -> None:
    policy = CORSPolicy(allow_origins=[APP])
    assert policy.max_origin_length == 512
    assert policy.max_request_headers_length == 4096
    assert policy.max_request_headers_count == 64


def test_configured_header_limits_are_enforced() -> None:
    policy = CORSPolicy(
        allow_origins=[APP],
        allow_headers=["*"],
        allow_methods=["PUT"],
        max_request_headers_length=20,
        max_request_headers_count=3,
    )
    ok = policy.decide(RequestInfo("OPTIONS", APP, "PUT", "x-a,x-b,x-c"))
    too_many = policy.decide(RequestInfo("OPTIONS", APP, "PUT", "x-a,x-b,x-c,x-d"))
    too_long = policy.decide(RequestInfo("OPTIONS", APP, "PUT", "x-" + "a" * 19))
    assert ok.allowed
    assert too_many.rejection is Rejection.REQUEST_HEADERS_MALFORMED
    assert too_long.rejection is Rejection.REQUEST_HEADERS_MALFORMED


def test_configured_origin_length_limit_is_enforced_before_matching() -> None:
    seen: list[str] = []

    def predicate(origin: str) -> bool:
        seen.append(origin)
        return True

    policy = CORSPolicy(allow_origin_predicate=predicate, max_origin_length=40)
    short = "https://" + "a" * 32
    long = "https://" + "a" * 33
    assert policy.decide(RequestInfo("GET", short)).allowed
    assert not policy.decide(RequestInfo("GET", long)).allowed
    assert seen == [short]


def test_configured_method_length_limit_is_enforced() -> None:
    policy = CORSPolicy(allow_origins=[APP], allow_methods=["*"], max_request_headers_length=16)
    assert policy.decide(RequestInfo("OPTIONS", APP, "M" * 16)).allowed
    too_long = policy.decide(RequestInfo("OPTIONS", APP, "M" * 17))
    assert too_long.rejection is Rejection.METHOD_MALFORMED


def test_rejection_reasons_are_bounded_whatever_the_input() -> None:
    policy = credentialed(debug=True)
    for case in HOSTILE:
        decision = policy.decide(request_info(case))
        if decision.reason is not None:
            assert len(decision.reason) < 600, case.id


# -- no state keyed by client input ----------------------------------------------------------


def _retained_growth(run: Callable[[int], None], count: int) -> int:
    """Bytes still allocated after ``run(count)`` beyond what a first short run left."""
    run(1000)  # warm up: caches that are filled once (interned names, regex state, ...)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run(count)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before


def test_distinct_origins_leave_no_state_in_the_core() -> None:
    """100 000 distinct origins (allowed by a pattern, refused, malformed; actual requests
    and preflights) leave retained memory where it was: nothing is cached per origin."""
    policy = CORSPolicy(
        allow_origins=["https://*.example.com"],
        allow_origin_regex=r"https://[a-z0-9-]+\.preview\.example\.net",
        allow_methods=["PUT"],
        allow_headers=["*"],
    )
    decide = policy.decide_fields

    def run(count: int) -> None:
        for i in range(0, count, 4):
            decide("GET", f"https://u{i}.example.com")
            decide("GET", f"https://u{i}.evil.example")
            decide("OPTIONS", f"https://u{i}.example.com", "PUT", f"x-h{i}")
            decide("GET", f"https://U{i}.example.com/\r\n")

    assert _retained_growth(run, 100_000) < 64 * 1024


async def _plain_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_distinct_origins_leave_no_state_in_the_asgi_middleware() -> None:
    middleware = CORSMiddleware(_plain_app, policy=permissive())

    async def one(i: int) -> None:
        origin = f"https://u{i}.example.com".encode()
        await call(middleware, "GET", "/", [(b"origin", origin)])
        await call(middleware, "OPTIONS", "/", preflight(origin, b"PUT", f"x-h{i}".encode()))

    def run(count: int) -> None:
        async def many() -> None:
            for i in range(count):
                await one(i)

        asyncio.run(many())

    assert _retained_growth(run, 5_000) < 64 * 1024


# -- the ASGI middleware, raw bytes ------------------------------------------------------------


def asgi_headers(sent: Sent) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in sent.raw_headers]


@pytest.mark.parametrize("case", HOSTILE, ids=IDS)
async def test_asgi_decides_hostile_request(case: Hostile) -> None:
    app = RawApp()
    policy = credentialed()
    middleware = CORSMiddleware(app, policy=policy)
    sent = await call(middleware, scope=http_scope(case.method, "/", case.lines))
    headers = asgi_headers(sent)
    assert_safe(headers, policy)
    acao = [value for name, value in headers if name == "access-control-allow-origin"]
    if case.preflight:
        assert app.calls == []
        assert sent.status == (204 if case.allowed else 403)
    else:
        assert len(app.calls) == 1
    assert bool(acao) is case.allowed
    if not case.allowed:
        assert not any(name.startswith("access-control-") for name, _ in headers)


@pytest.mark.parametrize("case", HOSTILE, ids=IDS)
@pytest.mark.parametrize("policy_name", POLICIES)
async def test_asgi_never_reflects_unvalidated_input(case: Hostile, policy_name: str) -> None:
    policy = POLICIES[policy_name]()
    middleware = CORSMiddleware(RawApp(), policy=policy)
    sent = await call(middleware, scope=http_scope(case.method, "/", case.lines))
    assert_safe(asgi_headers(sent), policy)


@pytest.mark.parametrize(
    "origin",
    [
        APP.encode() + b"\r\nSet-Cookie: a=b",
        b"https://" + b"a" * 65536,
        APP.encode() + b"\x00",
        "https://\u212aapp.example.com".encode(),
        b"null",
    ],
    ids=["crlf", "64kib", "nul", "utf8", "null"],
)
async def test_asgi_websocket_check_refuses_hostile_origins_without_reflecting(
    origin: bytes,
) -> None:
    app = RawApp()
    middleware = CORSMiddleware(app, policy=credentialed(debug=True), check_websocket_origin=True)
    scope = http_scope(
        "GET",
        "/ws",
        [(b"origin", origin)],
        scope_type="websocket",
        extensions={"websocket.http.response": {}},
    )
    sent = await call(middleware, scope=scope, incoming=[{"type": "websocket.connect"}])
    start = sent.messages[0]
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 403
    assert app.calls == []
    for name, value in start["headers"]:
        assert _PRINTABLE.fullmatch(value.decode("latin-1")), (name, value)
        assert not name.startswith(b"access-control-")


async def test_asgi_websocket_check_refuses_two_origin_lines() -> None:
    app = RawApp()
    middleware = CORSMiddleware(app, policy=credentialed(), check_websocket_origin=True)
    scope = http_scope(
        "GET",
        "/ws",
        [(b"origin", APP.encode()), (b"origin", APP.encode())],
        scope_type="websocket",
        extensions={"websocket.http.response": {}},
    )
    sent = await call(middleware, scope=scope, incoming=[{"type": "websocket.connect"}])
    assert sent.messages[0]["status"] == 403
    assert app.calls == []


# -- the aiohttp adapter -------------------------------------------------------------------------


async def _ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def aiohttp_answer(
    policy: CORSPolicy, method: str, headers: Sequence[tuple[str, str]]
) -> tuple[web.StreamResponse, bool]:
    """The response ``setup()`` gives a mocked request, the way aiohttp's server runs it:
    routing (where preflights and refused handshakes are answered, raised), the handler,
    then the prepare hook."""
    called = False

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal called
        called = True
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/", handler)
    middleware = corecors_aiohttp.setup(app, policy)
    app.freeze()
    request = make_mocked_request(method, "/", app=app)
    # make_mocked_request encodes its headers as strict UTF-8, which the strings aiohttp's
    # parser makes from invalid UTF-8 (lone surrogates) are not: set them afterwards.
    request._headers = CIMultiDictProxy(CIMultiDict(headers))
    try:
        match_info = await app.router.resolve(request)
    except web.HTTPException as answer:
        assert middleware.installed
        return answer, called
    match_info.add_app(app)
    request._match_info = match_info
    response = await match_info.handler(request)
    await app.on_response_prepare.send(request, response)
    return response, called


def aiohttp_lines(case: Hostile) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), like_aiohttp(value)) for name, value in case.lines]


@pytest.mark.parametrize("case", HOSTILE, ids=IDS)
async def test_aiohttp_decides_hostile_request(case: Hostile) -> None:
    policy = credentialed()
    response, called = await aiohttp_answer(policy, case.method, aiohttp_lines(case))
    headers = list(response.headers.items())
    assert_safe(headers, policy)
    if case.preflight:
        assert not called
        assert response.status == (204 if case.allowed else 403)
    acao = response.headers.getall("Access-Control-Allow-Origin", [])
    assert bool(acao) is case.allowed
    if not case.allowed:
        assert not any(name.lower().startswith("access-control-") for name, _ in headers)


@pytest.mark.parametrize("case", HOSTILE, ids=IDS)
@pytest.mark.parametrize("policy_name", POLICIES)
async def test_aiohttp_never_reflects_unvalidated_input(case: Hostile, policy_name: str) -> None:
    policy = POLICIES[policy_name]()
    response, _ = await aiohttp_answer(policy, case.method, aiohttp_lines(case))
    assert_safe(response.headers.items(), policy)


async def _raw_exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1 << 20), 10)
    finally:
        writer.close()


def _status_and_headers(response: bytes) -> tuple[int, list[tuple[str, str]]]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1])
    headers = [tuple(line.split(": ", 1)) for line in head[1:]]
    return status, [(name, value) for name, value in headers]


RAW_REQUESTS: list[tuple[str, bytes, int, bool]] = [
    # (id, header lines after the request line, expected status, allowed)
    (
        "kelvin-sign-in-acrh",
        b"Origin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\n"
        b"Access-Control-Request-Headers: x-to\xe2\x84\xaaen\r\n",
        403,
        False,
    ),
    (
        "two-origin-lines",
        b"Origin: https://app.example.com\r\nOrigin: https://app.example.com\r\n",
        200,
        False,
    ),
    ("latin-1-byte-in-origin", b"Origin: https://app.example.com\xff\r\n", 200, False),
    (
        "two-acrm-lines",
        b"Origin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\n"
        b"Access-Control-Request-Method: PUT\r\n",
        403,
        False,
    ),
    (
        "acrh-two-lines",
        b"Origin: https://app.example.com\r\nAccess-Control-Request-Method: PUT\r\n"
        b"Access-Control-Request-Headers: x-token\r\n"
        b"Access-Control-Request-Headers: content-type\r\n",
        204,
        True,
    ),
    ("nul-in-origin", b"Origin: https://app.example.com\x00\r\n", 400, False),
    ("cr-in-origin", b"Origin: https://app.example.com\rX: y\r\n", 400, False),
    ("origin-over-the-server-limit", b"Origin: https://" + b"a" * 65536 + b"\r\n", 400, False),
]


@pytest.mark.parametrize(
    ("lines", "status", "allowed"),
    [(lines, status, allowed) for _, lines, status, allowed in RAW_REQUESTS],
    ids=[i for i, _, _, _ in RAW_REQUESTS],
)
async def test_aiohttp_real_server_with_raw_bytes(lines: bytes, status: int, allowed: bool) -> None:
    policy = credentialed()
    app = web.Application()
    app.router.add_get("/", _ok)
    corecors_aiohttp.setup(app, policy)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        method = b"OPTIONS" if b"Request-Method" in lines else b"GET"
        raw = method + b" / HTTP/1.1\r\nHost: api.example.com\r\n" + lines
        response = await _raw_exchange(port, raw + b"Connection: close\r\n\r\n")
    finally:
        await runner.cleanup()
    got_status, headers = _status_and_headers(response)
    assert got_status == status
    assert_safe(headers, policy)
    acao = [v for n, v in headers if n.lower() == "access-control-allow-origin"]
    assert bool(acao) is allowed


async def test_asgi_adapter_cuts_megabyte_fields_before_decoding_and_still_refuses() -> None:
    """A field longer than MAX_INPUT_LIMIT is cut before decoding; the answer is unchanged."""
    from corecors.policy import MAX_INPUT_LIMIT
    from corecors_asgi import CORSMiddleware

    seen: list[dict[str, object]] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(scope)

    policy = CORSPolicy(
        allow_origins=["https://app.example.com"],
        allow_headers=["*"],
        max_request_headers_length=MAX_INPUT_LIMIT,
    )
    middleware = CORSMiddleware(app, policy=policy)
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    huge = b"x-a," * (MIB // 4)
    scope = {
        "type": "http",
        "method": "OPTIONS",
        "path": "/",
        "headers": [
            (b"origin", b"https://app.example.com"),
            (b"access-control-request-method", b"PUT"),
            (b"access-control-request-headers", huge),
        ],
    }
    await middleware(scope, receive, send)
    assert sent[0]["status"] == 403
    assert seen == []
