"""corecors_asgi.CORSMiddleware around a bare ASGI application.

Each test drives the middleware with a hand-built scope (so the exact header bytes are
under control) and reads back every message it sent. Framework integration is in
``test_asgi_frameworks.py``; the shared scenario table in ``test_asgi_scenarios.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from corecors import DEBUG_REASON_HEADER, CORSConfigError, CORSPolicy, PathPolicies
from corecors.browser import BrowserRequest, Headers, simulate
from corecors_asgi import CORSMiddleware, Message, Receive, Scope, Send

from .asgi_apps import (
    ACAC,
    ACAH,
    ACAM,
    ACAO,
    ACEH,
    ACMA,
    ADMIN,
    APP,
    APP_SET_ORIGIN,
    CONSTANT_START,
    EVIL,
    BoomError,
    RawApp,
    Sent,
    call,
    http_scope,
)

PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def credentialed() -> CORSPolicy:
    return CORSPolicy(
        allow_origins=[APP, ADMIN],
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["content-type", "authorization"],
        expose_headers=["x-request-id"],
        allow_credentials=True,
        max_age=600,
    )


def origin(value: str) -> tuple[bytes, bytes]:
    return (b"origin", value.encode("latin-1"))


def preflight_headers(
    origin_value: str = APP, method: str = "PUT", headers: str | None = "content-type"
) -> list[tuple[bytes, bytes]]:
    lines = [origin(origin_value), (b"access-control-request-method", method.encode())]
    if headers is not None:
        lines.append((b"access-control-request-headers", headers.encode("latin-1")))
    return lines


def cors_lines(sent: Sent) -> list[str]:
    return [name.decode() for name, _ in sent.raw_headers if name.startswith(b"access-control-")]


@pytest.fixture
def app() -> RawApp:
    return RawApp()


@pytest.fixture
def middleware(app: RawApp) -> CORSMiddleware:
    return CORSMiddleware(app, policy=credentialed())


# -- preflights --------------------------------------------------------------------------------


async def test_allowed_preflight_is_answered_without_calling_the_app(
    app: RawApp, middleware: CORSMiddleware
) -> None:
    sent = await call(middleware, "OPTIONS", "/", preflight_headers())
    assert sent.status == 204
    assert sent.header(ACAO) == APP
    assert sent.header(ACAC) == "true"
    assert sent.header(ACAM) == "GET, POST, PUT, DELETE"
    assert sent.header(ACAH) == "content-type, authorization"
    assert sent.header(ACMA) == "600"
    assert sent.header("vary") == PREFLIGHT_VARY
    assert sent.header("content-length") is None  # a 204 says nothing of its length
    assert sent.body == b""
    assert app.calls == []


async def test_rejected_preflight_is_a_403_with_no_cors_headers(
    app: RawApp, middleware: CORSMiddleware
) -> None:
    sent = await call(middleware, "OPTIONS", "/", preflight_headers(EVIL))
    assert sent.status == 403
    assert cors_lines(sent) == []
    assert sent.header("vary") == PREFLIGHT_VARY
    assert sent.body == b"Disallowed CORS origin"  # Starlette's words, nothing of the policy
    assert sent.header("content-length") == str(len(sent.body))
    assert app.calls == []


async def test_preflight_with_an_unlisted_header_is_refused(middleware: CORSMiddleware) -> None:
    sent = await call(middleware, "OPTIONS", "/", preflight_headers(headers="x-unlisted"))
    assert sent.status == 403
    assert cors_lines(sent) == []


async def test_plain_options_without_request_method_reaches_the_app(
    app: RawApp, middleware: CORSMiddleware
) -> None:
    sent = await call(middleware, "OPTIONS", "/", [origin(APP)])
    assert len(app.calls) == 1
    assert sent.status == 204
    assert sent.header("allow") == "GET, HEAD, OPTIONS"
    assert sent.header(ACAO) == APP


async def test_options_without_origin_reaches_the_app(
    app: RawApp, middleware: CORSMiddleware
) -> None:
    headers = [(b"access-control-request-method", b"PUT")]
    sent = await call(middleware, "OPTIONS", "/", headers)
    assert len(app.calls) == 1
    assert sent.header("allow") == "GET, HEAD, OPTIONS"
    assert sent.header(ACAO) is None


async def test_repeated_request_headers_lines_are_one_list(middleware: CORSMiddleware) -> None:
    headers = [
        *preflight_headers(headers="content-type"),
        (b"access-control-request-headers", b"authorization"),
    ]
    sent = await call(middleware, "OPTIONS", "/", headers)
    assert sent.status == 204
    assert sent.header(ACAO) == APP


async def test_private_network_preflight_needs_exactly_true(app: RawApp) -> None:
    middleware = CORSMiddleware(
        app, policy=CORSPolicy(allow_origins=[APP], allow_private_network=True)
    )
    asked = [*preflight_headers(method="GET", headers=None)]
    pna = b"access-control-request-private-network"
    allowed = await call(middleware, "OPTIONS", "/", [*asked, (pna, b"true")])
    assert allowed.header("access-control-allow-private-network") == "true"
    for value in (b"TRUE", b"yes"):
        other = await call(middleware, "OPTIONS", "/", [*asked, (pna, value)])
        assert other.status == 204
        assert other.header("access-control-allow-private-network") is None


# -- actual requests ---------------------------------------------------------------------------


async def test_allowed_origin_gets_the_headers(app: RawApp, middleware: CORSMiddleware) -> None:
    sent = await call(middleware, "GET", "/", [origin(APP)])
    assert sent.status == 200
    assert sent.body == b"ok"
    assert sent.header(ACAO) == APP
    assert sent.header(ACAC) == "true"
    assert sent.header(ACEH) == "x-request-id"
    assert sent.header(ACAM) is None
    assert sent.header("vary") == "Origin"
    assert sent.header("content-type") == "text/plain"


async def test_disallowed_origin_reaches_the_app_and_gets_no_cors_headers(
    app: RawApp, middleware: CORSMiddleware
) -> None:
    sent = await call(middleware, "POST", "/", [origin(EVIL)])
    assert len(app.calls) == 1
    assert sent.status == 200
    assert cors_lines(sent) == []
    assert sent.header("vary") == "Origin"


async def test_request_without_origin_only_varies(middleware: CORSMiddleware) -> None:
    sent = await call(middleware, "GET", "/")
    assert cors_lines(sent) == []
    assert sent.header("vary") == "Origin"


async def test_static_wildcard_answers_every_request_without_vary(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=CORSPolicy(allow_origins=["*"]))
    for headers in ([], [origin(EVIL)]):
        sent = await call(middleware, "GET", "/", headers)
        assert sent.header(ACAO) == "*"
        assert sent.header("vary") is None


async def test_two_origin_lines_are_refused(middleware: CORSMiddleware) -> None:
    sent = await call(middleware, "GET", "/", [origin(APP), origin(APP)])
    assert cors_lines(sent) == []
    assert sent.header("vary") == "Origin"


@pytest.mark.parametrize(
    "raw",
    [b"", b"\xff\xfe", b"https://app.example.com\r\n", b"\x00", "https://äpp.example".encode()],
    ids=["empty", "not-utf8", "crlf", "nul", "utf8"],
)
async def test_malformed_origin_bytes_never_raise(middleware: CORSMiddleware, raw: bytes) -> None:
    sent = await call(middleware, "GET", "/", [(b"origin", raw)])
    assert sent.status == 200
    assert cors_lines(sent) == []
    preflight = await call(
        middleware,
        "OPTIONS",
        "/",
        [
            (b"origin", raw),
            (b"access-control-request-method", raw),
            (b"access-control-request-headers", raw),
        ],
    )
    assert preflight.status == 403


async def test_head_request_gets_the_headers(middleware: CORSMiddleware) -> None:
    sent = await call(middleware, "HEAD", "/", [origin(APP)])
    assert sent.header(ACAO) == APP


async def test_streaming_response_gets_the_headers_once(middleware: CORSMiddleware) -> None:
    sent = await call(middleware, "GET", "/stream", [origin(APP)])
    assert sent.header(ACAO) == APP
    assert sent.body == b"one two three"
    assert [m["type"] for m in sent.messages].count("http.response.body") == 4


async def test_start_message_without_headers_key(middleware: CORSMiddleware) -> None:
    sent = await call(middleware, "GET", "/no-headers-key", [origin(APP)])
    assert sent.status == 204
    assert sent.header(ACAO) == APP


async def test_the_apps_start_message_is_never_modified(middleware: CORSMiddleware) -> None:
    before = repr(CONSTANT_START)
    first = await call(middleware, "GET", "/constant", [origin(APP)])
    second = await call(middleware, "GET", "/constant", [origin(ADMIN)])
    assert repr(CONSTANT_START) == before
    assert first.header(ACAO) == APP
    assert second.header(ACAO) == ADMIN
    assert second.header("vary") == "Accept-Encoding, Origin"


async def test_debug_policy_explains_a_rejection_in_a_header(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=CORSPolicy(allow_origins=[APP], debug=True))
    sent = await call(middleware, "GET", "/", [origin(EVIL)])
    reason = sent.header(DEBUG_REASON_HEADER)
    assert reason is not None
    assert "not allowed" in reason
    assert cors_lines(sent) == []


# -- Vary and the headers corecors owns --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "vary"),
    [
        ("/vary-accept-encoding", "Accept-Encoding, Origin"),
        ("/vary-star", "*"),
        ("/vary-origin-lowercase", "origin"),
        ("/vary-two-lines", "Accept-Encoding, Accept-Language, Origin"),
    ],
)
@pytest.mark.parametrize("request_origin", [APP, EVIL, None])
async def test_vary_is_merged_into_the_apps(
    middleware: CORSMiddleware, path: str, vary: str, request_origin: str | None
) -> None:
    headers = [] if request_origin is None else [origin(request_origin)]
    sent = await call(middleware, "GET", path, headers)
    assert sent.lines("vary") == [vary]


async def test_vary_the_app_set_is_kept_when_the_policy_does_not_vary(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=CORSPolicy(allow_origins=["*"]))
    sent = await call(middleware, "GET", "/vary-two-lines", [origin(APP)])
    assert sent.lines("vary") == ["Accept-Encoding", "Accept-Language"]


async def test_app_set_allow_origin_is_replaced_for_an_allowed_origin(
    middleware: CORSMiddleware,
) -> None:
    sent = await call(middleware, "GET", "/app-sets-cors", [origin(APP)])
    assert sent.lines(ACAO) == [APP]
    assert sent.lines(ACAC) == ["true"]
    assert sent.lines(ACEH) == ["x-request-id"]
    assert sent.header("x-request-id") == "42"


@pytest.mark.parametrize("request_origin", [EVIL, None])
async def test_app_set_cors_headers_are_removed_when_corecors_allows_nothing(
    middleware: CORSMiddleware, request_origin: str | None
) -> None:
    headers = [] if request_origin is None else [origin(request_origin)]
    sent = await call(middleware, "GET", "/app-sets-cors", headers)
    assert cors_lines(sent) == []
    assert sent.header("x-request-id") == "42"


async def test_disabled_path_changes_nothing(app: RawApp) -> None:
    policies = PathPolicies({"/app-sets-cors": None}, default=credentialed())
    middleware = CORSMiddleware(app, policy=policies)
    sent = await call(middleware, "GET", "/app-sets-cors", [origin(EVIL)])
    assert sent.lines(ACAO) == [APP_SET_ORIGIN]
    assert sent.lines(ACAC) == ["true"]
    assert sent.header("vary") is None
    calls = len(app.calls)
    preflight = await call(middleware, "OPTIONS", "/app-sets-cors/x", preflight_headers(EVIL))
    assert len(app.calls) == calls + 1  # the app answers preflights there itself
    assert preflight.status == 200
    assert preflight.lines(ACAO) == [APP_SET_ORIGIN]


# -- unhandled exceptions ----------------------------------------------------------------------


async def boom(
    middleware: CORSMiddleware,
    headers: list[tuple[bytes, bytes]],
    *,
    method: str = "GET",
    path: str = "/boom",
) -> Sent:
    """Call ``path`` (/boom: the app raises before starting), check that the app's exception
    came through, and return what reached the server."""
    sent = Sent()

    async def send(message: Message) -> None:
        sent.messages.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    with pytest.raises(BoomError):
        await middleware(http_scope(method, path, headers), receive, send)
    return sent


async def test_exception_before_start_sends_a_cors_500_and_reraises(
    app: RawApp, middleware: CORSMiddleware
) -> None:
    sent = await boom(middleware, [origin(APP)])
    assert sent.status == 500
    assert sent.body == b"Internal Server Error"
    assert sent.header(ACAO) == APP
    assert sent.header(ACAC) == "true"
    assert sent.header("vary") == "Origin"
    assert sent.header("content-length") == "21"


async def test_exception_on_head_sends_no_body(middleware: CORSMiddleware) -> None:
    sent = await boom(middleware, [origin(APP)], method="HEAD")
    assert sent.status == 500
    assert sent.header(ACAO) == APP
    assert sent.body == b""


@pytest.mark.parametrize("request_origin", [EVIL, None], ids=["refused", "no-origin"])
async def test_exception_for_a_request_cors_does_not_allow_is_left_to_the_framework(
    middleware: CORSMiddleware, request_origin: str | None
) -> None:
    """No page can read this 500, so the framework's own handler (reporting, JSON) answers."""
    sent = await boom(middleware, [] if request_origin is None else [origin(request_origin)])
    assert sent.messages == []


async def test_exception_under_a_star_policy_sends_a_500_with_star(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=CORSPolicy(allow_origins=["*"]))
    sent = await boom(middleware, [origin(EVIL)])
    assert sent.status == 500
    assert sent.header(ACAO) == "*"
    assert sent.header("vary") is None
    assert (await boom(middleware, [])).messages == []


async def test_exception_where_cors_is_off_is_left_to_the_server(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=PathPolicies({"/boom": None}, default=credentialed()))
    assert (await boom(middleware, [origin(APP)])).messages == []


async def test_handle_errors_off_leaves_the_500_to_the_server(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=credentialed(), handle_errors=False)
    assert (await boom(middleware, [origin(APP)])).messages == []


async def test_exception_after_start_is_only_reraised(middleware: CORSMiddleware) -> None:
    messages = (await boom(middleware, [origin(APP)], path="/boom-after-start")).messages
    assert [m["type"] for m in messages] == ["http.response.start"]
    assert messages[0]["status"] == 200


async def test_the_apps_exception_wins_when_the_500_cannot_be_sent(
    middleware: CORSMiddleware,
) -> None:
    async def send(message: Message) -> None:
        raise OSError("client went away")

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    with pytest.raises(BoomError):
        await middleware(http_scope("GET", "/boom", [origin(APP)]), receive, send)


# -- other scopes ------------------------------------------------------------------------------


async def test_lifespan_passes_through(app: RawApp, middleware: CORSMiddleware) -> None:
    incoming: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = await call(middleware, incoming=incoming, scope={"type": "lifespan", "asgi": {}})
    assert app.lifespan == ["lifespan.startup", "lifespan.shutdown"]
    assert [m["type"] for m in sent.messages] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def websocket_scope(headers: list[tuple[bytes, bytes]], *, denial_extension: bool) -> Scope:
    extensions: dict[str, object] = {"websocket.http.response": {}} if denial_extension else {}
    return http_scope("GET", "/ws", headers, scope_type="websocket", extensions=extensions)


CONNECT: list[Message] = [{"type": "websocket.connect"}]


async def test_websocket_passes_through_by_default(app: RawApp, middleware: CORSMiddleware) -> None:
    scope = websocket_scope([origin(EVIL)], denial_extension=True)
    sent = await call(middleware, scope=scope, incoming=CONNECT)
    assert len(app.calls) == 1
    assert sent.messages[0]["type"] == "websocket.accept"


@pytest.mark.parametrize("headers", [[origin(APP)], []], ids=["allowed-origin", "no-origin"])
async def test_websocket_check_lets_allowed_handshakes_through(
    app: RawApp, headers: list[tuple[bytes, bytes]]
) -> None:
    middleware = CORSMiddleware(app, policy=credentialed(), check_websocket_origin=True)
    sent = await call(
        middleware, scope=websocket_scope(headers, denial_extension=True), incoming=CONNECT
    )
    assert len(app.calls) == 1
    assert sent.messages[0] == {"type": "websocket.accept"}


async def test_websocket_check_denies_with_403_when_the_server_supports_it(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=credentialed(), check_websocket_origin=True)
    scope = websocket_scope([origin(EVIL)], denial_extension=True)
    sent = await call(middleware, scope=scope, incoming=CONNECT)
    assert app.calls == []
    start, body = sent.messages
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 403
    assert not any(name.startswith(b"access-control-") for name, _ in start["headers"])
    assert body["type"] == "websocket.http.response.body"


async def test_websocket_check_closes_before_accepting_otherwise(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=credentialed(), check_websocket_origin=True)
    for headers in ([origin(EVIL)], [origin(APP), origin(APP)], [origin("null")]):
        scope = websocket_scope(headers, denial_extension=False)
        sent = await call(middleware, scope=scope, incoming=CONNECT)
        assert sent.messages == [{"type": "websocket.close", "code": 1008}]
    assert app.calls == []


async def test_websocket_check_gives_up_quietly_when_the_client_left(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=credentialed(), check_websocket_origin=True)
    scope = websocket_scope([origin(EVIL)], denial_extension=True)
    sent = await call(middleware, scope=scope, incoming=[{"type": "websocket.disconnect"}])
    assert sent.messages == []


async def test_websocket_check_respects_disabled_paths(app: RawApp) -> None:
    policies = PathPolicies({"/ws": None}, default=credentialed())
    middleware = CORSMiddleware(app, policy=policies, check_websocket_origin=True)
    sent = await call(
        middleware, scope=websocket_scope([origin(EVIL)], denial_extension=True), incoming=CONNECT
    )
    assert sent.messages[0]["type"] == "websocket.accept"


# -- per-path policies and swapping the policy -------------------------------------------------


def site_policies() -> PathPolicies:
    return PathPolicies(
        {
            "/public": CORSPolicy(allow_origins=["*"]),
            "/api": CORSPolicy(
                allow_origins=[APP, ADMIN], allow_credentials=True, allow_methods=["PUT"]
            ),
        }
    )


@pytest.mark.parametrize(
    ("path", "request_origin", "expected"),
    [
        ("/public/file", EVIL, {ACAO: "*", ACAC: None, "vary": None}),
        ("/public", APP, {ACAO: "*", ACAC: None, "vary": None}),
        ("/api/items/1", APP, {ACAO: APP, ACAC: "true", "vary": "Origin"}),
        ("/api/items/1", ADMIN, {ACAO: ADMIN, ACAC: "true", "vary": "Origin"}),
        ("/api/items/1", EVIL, {ACAO: None, ACAC: None, "vary": "Origin"}),
        ("/apis/items/1", APP, {ACAO: None, ACAC: None, "vary": None}),
        ("/", APP, {ACAO: None, "vary": None}),
    ],
)
async def test_per_path_policies(
    app: RawApp, path: str, request_origin: str, expected: dict[str, str | None]
) -> None:
    middleware = CORSMiddleware(app, policy=site_policies())
    sent = await call(middleware, "GET", path, [origin(request_origin)])
    for name, value in expected.items():
        assert sent.header(name) == value, name


async def test_per_path_preflights(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=site_policies())
    api = await call(middleware, "OPTIONS", "/api/items/1", preflight_headers(APP, "PUT", None))
    assert (api.status, api.header(ACAO), api.header(ACAC)) == (204, APP, "true")
    public = await call(middleware, "OPTIONS", "/public/file", preflight_headers(EVIL, "PUT", None))
    assert public.status == 403  # /public allows any origin, but only the safelisted methods


async def test_policy_can_be_swapped_at_run_time(app: RawApp) -> None:
    middleware = CORSMiddleware(app, policy=CORSPolicy(allow_origins=[APP]))
    assert (await call(middleware, "GET", "/", [origin(ADMIN)])).header(ACAO) is None
    new_policy = CORSPolicy(allow_origins=[ADMIN])
    middleware.policy = new_policy
    assert middleware.policy is new_policy
    assert (await call(middleware, "GET", "/", [origin(ADMIN)])).header(ACAO) == ADMIN
    assert (await call(middleware, "GET", "/", [origin(APP)])).header(ACAO) is None


async def test_a_request_in_flight_keeps_the_policy_it_started_with() -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        started.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = CORSMiddleware(slow_app, policy=CORSPolicy(allow_origins=[APP]))
    in_flight = asyncio.ensure_future(call(middleware, "GET", "/", [origin(APP)]))
    await started.wait()
    middleware.policy = CORSPolicy(allow_origins=[ADMIN])
    release.set()
    assert (await in_flight).header(ACAO) == APP


def test_swapping_in_something_that_is_not_a_policy_is_refused(middleware: CORSMiddleware) -> None:
    before = middleware.policy
    with pytest.raises(CORSConfigError, match="CORSDecider"):
        middleware.policy = {"allow_origins": [APP]}  # type: ignore[assignment]
    assert middleware.policy is before


# -- logging -----------------------------------------------------------------------------------


async def test_rejections_are_logged_once_at_debug_level(
    middleware: CORSMiddleware, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="corecors")
    await call(middleware, "GET", "/", [origin(EVIL)])
    await call(middleware, "OPTIONS", "/", preflight_headers(headers="x-unlisted"))
    records = [r for r in caplog.records if r.name.startswith("corecors")]
    assert [r.levelno for r in records] == [logging.DEBUG, logging.DEBUG]
    assert EVIL in records[0].getMessage()
    assert "x-unlisted" in records[1].getMessage()


async def test_allowed_requests_log_nothing(
    middleware: CORSMiddleware, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="corecors")
    await call(middleware, "GET", "/", [origin(APP)])
    await call(middleware, "OPTIONS", "/", preflight_headers())
    await call(middleware, "GET", "/")
    assert [r for r in caplog.records if r.name.startswith("corecors")] == []


# -- the browser's view ------------------------------------------------------------------------


def browser_send(middleware: CORSMiddleware) -> Callable[[str, Headers], tuple[int, Headers]]:
    def send(method: str, headers: Headers) -> tuple[int, Headers]:
        raw = [(name.lower().encode(), value.encode("latin-1")) for name, value in headers]
        sent = asyncio.run(call(middleware, method, "/", raw))
        return sent.status, [(n.decode(), v.decode("latin-1")) for n, v in sent.raw_headers]

    return send


@pytest.mark.parametrize(
    ("request_", "ok"),
    [
        (
            BrowserRequest(APP, "PUT", (("Content-Type", "application/json"),), credentials=True),
            True,
        ),
        (BrowserRequest(ADMIN, "DELETE", (("Authorization", "Bearer x"),), credentials=True), True),
        (BrowserRequest(APP, "GET", credentials=True), True),
        (BrowserRequest(APP, "PATCH", credentials=True), False),
        (BrowserRequest(EVIL, "GET"), False),
        (BrowserRequest(EVIL, "PUT", (("Content-Type", "application/json"),)), False),
    ],
)
def test_a_browser_accepts_exactly_what_the_policy_allows(
    request_: BrowserRequest, ok: bool
) -> None:
    middleware = CORSMiddleware(RawApp(), policy=credentialed())
    send = browser_send(middleware)
    verdict = simulate(request_, send)
    assert verdict.ok is ok, verdict.message
