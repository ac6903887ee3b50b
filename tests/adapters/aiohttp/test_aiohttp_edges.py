"""corecors_aiohttp at the edges (issue 12): per-route preflight answers and the browser's
preflight cache, the path per-path policies see, wire details, and the WebSocket check.

Where a bug only shows on the wire (raw paths, repeated handshake methods, header framing),
the test speaks HTTP/1.1 to aiohttp's real server on loopback through a plain socket, so
no client library normalizes the request or the answer.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import warnings
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from aiohttp.typedefs import Handler
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict
from pytest_aiohttp import AiohttpClient

import corecors_aiohttp
from corecors import (
    OWNED_RESPONSE_HEADERS,
    CORSConfigWarning,
    CORSPolicy,
    PathPolicies,
    read_request,
    response_headers,
)
from corecors_aiohttp import rules

from .aiohttp_apps import (
    ACAH,
    ACAM,
    ACAO,
    ACMA,
    ADMIN,
    APP,
    EVIL,
    Client,
    Counter,
    api_policy,
    application,
    cors_headers,
    ok,
    preflight_headers,
    public_policy,
)

# -- speaking HTTP/1.1 to aiohttp's server ----------------------------------------------------


async def raw_exchange(client: Client, request_line: str, headers: dict[str, str]) -> bytes:
    """Send one request exactly as written; the status line and header block of the answer."""
    host, port = client.server.host, client.server.port
    assert port is not None
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = [request_line, f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()


def status_of(head: bytes) -> int:
    return int(head.split(b" ", 2)[1])


def header_names(head: bytes) -> list[str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return [line.split(":", 1)[0].lower() for line in lines if ":" in line]


def header_value(head: bytes, name: str) -> str | None:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def handshake_headers(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
    }


async def socket_handler(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    await socket.close()
    return socket


# -- 3: per-route policies sharing a URL never widen the browser's preflight cache --------------


def admin_only() -> CORSPolicy:
    return api_policy(allow_origins=[ADMIN], allow_methods=["DELETE"], allow_headers=[])


async def shared_url_client(aiohttp_client: AiohttpClient, *, by_name: bool = False) -> Client:
    """``/items/{id}``: GET and PUT under the application's policy (APP and ADMIN may use
    GET, POST, PUT, DELETE), DELETE under a stricter policy of its own (ADMIN only)."""
    app = web.Application()
    app.router.add_get("/items/{id}", ok)
    app.router.add_put("/items/{id}", ok)
    if by_name:
        app.router.add_delete("/items/{id}", ok, name="delete-item")
        corecors_aiohttp.setup(app, api_policy(), routes={"delete-item": admin_only()})
    else:
        app.router.add_delete("/items/{id}", with_policy(admin_only()))
        corecors_aiohttp.setup(app, api_policy())
    return await aiohttp_client(app)


def handler(text: str = "ok") -> Handler:
    """A new handler each time: route_policy() marks the function it decorates."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return web.Response(text=text)

    return handle


def with_policy(policy: CORSPolicy | None) -> Handler:
    return corecors_aiohttp.route_policy(policy)(handler())


async def test_shared_url_preflight_lists_only_the_requested_method(
    aiohttp_client: AiohttpClient,
) -> None:
    for by_name in (False, True):
        client = await shared_url_client(aiohttp_client, by_name=by_name)
        put = await client.options("/items/1", headers=preflight_headers(APP, "PUT"))
        assert put.status == 204
        # Never "GET, POST, PUT, DELETE": a browser would cache DELETE for APP and send it
        # to the admin-only handler without asking again.
        assert put.headers.getall(ACAM) == ["PUT"]
        assert put.headers[ACMA] == "600"  # caching PUT alone is safe
        refused = await client.options("/items/1", headers=preflight_headers(APP, "DELETE"))
        assert refused.status == 403
        admin = await client.options("/items/1", headers=preflight_headers(ADMIN, "DELETE"))
        assert admin.status == 204
        assert admin.headers.getall(ACAM) == ["DELETE"]


async def test_shared_url_preflight_with_headers_is_not_cached(
    aiohttp_client: AiohttpClient,
) -> None:
    # The browser caches allowed headers for the URL, not per method: x-token cached from a
    # PUT preflight would let a later (cached) DELETE or a simple POST carry it unasked.
    client = await shared_url_client(aiohttp_client)
    put = await client.options("/items/1", headers=preflight_headers(APP, "PUT", "x-token"))
    assert put.status == 204
    assert put.headers.getall(ACAM) == ["PUT"]
    assert put.headers[ACAH] == "content-type, x-token"
    assert put.headers.getall(ACMA) == ["0"]


async def test_shared_url_preflight_without_max_age_is_not_cached(
    aiohttp_client: AiohttpClient,
) -> None:
    # No Max-Age means five seconds in browsers: the answer must say 0 explicitly.
    routes = web.put("/items/{id}", ok), web.delete("/items/{id}", with_policy(admin_only()))
    client = await aiohttp_client(application(*routes, policy=api_policy(max_age=None)))
    put = await client.options("/items/1", headers=preflight_headers(APP, "PUT", "x-token"))
    assert put.headers.getall(ACMA) == ["0"]


async def test_shared_url_across_resources(aiohttp_client: AiohttpClient) -> None:
    # Two resources match /items/admin: the plain one (DELETE, strict) and the dynamic one.
    routes = web.delete("/items/admin", with_policy(admin_only())), web.put("/items/{id}", ok)
    client = await aiohttp_client(application(*routes, policy=api_policy()))
    put = await client.options("/items/admin", headers=preflight_headers(APP, "PUT"))
    assert put.headers.getall(ACAM) == ["PUT"]
    other = await client.options("/items/7", headers=preflight_headers(APP, "PUT"))
    assert other.headers.getall(ACAM) == ["GET, POST, PUT, DELETE"]  # one policy: full list


async def test_shared_url_safelisted_method_of_another_policy(
    aiohttp_client: AiohttpClient,
) -> None:
    # A POST route under a stricter policy shares the URL of a PUT route: x-token cached
    # from the PUT preflight would let a simple POST from APP carry it without asking.
    routes = web.put("/form", ok), web.post("/form", with_policy(admin_only()))
    client = await aiohttp_client(application(*routes, policy=api_policy()))
    put = await client.options("/form", headers=preflight_headers(APP, "PUT", "x-token"))
    assert put.headers.getall(ACAM) == ["PUT"]
    assert put.headers.getall(ACMA) == ["0"]


async def test_one_policy_per_url_keeps_the_full_answer(aiohttp_client: AiohttpClient) -> None:
    routes = web.put("/items/{id}", ok), web.get("/public", with_policy(public_policy()))
    client = await aiohttp_client(application(*routes, policy=api_policy()))
    put = await client.options("/items/1", headers=preflight_headers(APP, "PUT", "x-token"))
    assert cors_headers(put)[ACAM] == "GET, POST, PUT, DELETE"
    assert put.headers[ACMA] == "600"
    public = await client.options("/public", headers=preflight_headers(EVIL, "GET"))
    assert cors_headers(public) == {ACAO: "*", ACAM: "GET, PUT"}


# -- 4b: per-path policies see the path the router matches ----------------------------------


async def test_encoded_slash_does_not_escape_the_websocket_check(
    aiohttp_client: AiohttpClient,
) -> None:
    app = web.Application()
    app.router.add_get("/ws/{channel}", socket_handler)
    policy = PathPolicies({"/ws/public": public_policy()}, default=api_policy())
    corecors_aiohttp.setup(app, policy, check_websocket_origin=True)
    client = await aiohttp_client(app)
    # /ws/public%2Fprivate reaches /ws/{channel} with channel "public/private": it is not
    # under the /ws/public carve-out, so the default policy refuses EVIL.
    escaped = await raw_exchange(
        client, "GET /ws/public%2Fprivate HTTP/1.1", handshake_headers(EVIL)
    )
    assert status_of(escaped) == 403
    carved_out = await raw_exchange(client, "GET /ws/public HTTP/1.1", handshake_headers(EVIL))
    assert status_of(carved_out) == 101


async def test_encoded_slash_follows_the_router_for_responses(
    aiohttp_client: AiohttpClient,
) -> None:
    counter = Counter()
    app = web.Application()
    app.router.add_get("/files/{name}", counter.handle)
    policy = PathPolicies({"/files/public": public_policy()}, default=api_policy())
    corecors_aiohttp.setup(app, policy)
    client = await aiohttp_client(app)
    head = await raw_exchange(client, "GET /files/public%2Fsecret HTTP/1.1", {"Origin": EVIL})
    assert status_of(head) == 200
    assert counter.calls == ["GET"]
    assert header_value(head, ACAO) is None  # the default policy refuses EVIL
    assert header_value(head, "Vary") == "Origin"
    public = await raw_exchange(client, "GET /files/public HTTP/1.1", {"Origin": EVIL})
    assert header_value(public, ACAO) == "*"


# -- 5: what aiohttp's own error responses carry ----------------------------------------------


async def test_unhandled_exception_500_carries_vary_without_origin(
    aiohttp_client: AiohttpClient,
) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("boom")

    client = await aiohttp_client(application(web.get("/boom", boom), policy=api_policy()))
    for headers in ({}, {"Origin": EVIL}):
        head = await raw_exchange(client, "GET /boom HTTP/1.1", headers)
        assert status_of(head) == 500
        assert header_value(head, "Vary") == "Origin"
        assert header_value(head, ACAO) is None


# -- 6: wire details ----------------------------------------------------------------------------


async def test_204_preflights_carry_no_content_length(aiohttp_client: AiohttpClient) -> None:
    app = application(web.get("/get-only", ok), web.route("*", "/any", ok), policy=api_policy())
    client = await aiohttp_client(app)
    for path in ("/get-only", "/any", "/unrouted"):
        head = await raw_exchange(client, f"OPTIONS {path} HTTP/1.1", preflight_headers(APP))
        assert status_of(head) == 204, head
        assert "content-length" not in header_names(head), head
        assert "transfer-encoding" not in header_names(head), head


async def test_websocket_check_applies_to_every_handshake_method(
    aiohttp_client: AiohttpClient,
) -> None:
    app = web.Application()
    app.router.add_route("*", "/ws", socket_handler)
    corecors_aiohttp.setup(app, api_policy(), check_websocket_origin=True)
    client = await aiohttp_client(app)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        refused = await raw_exchange(client, f"{method} /ws HTTP/1.1", handshake_headers(EVIL))
        assert status_of(refused) == 403, (method, refused)
    allowed = await raw_exchange(client, "POST /ws HTTP/1.1", handshake_headers(APP))
    assert status_of(allowed) == 101


async def test_subapp_setup_keeps_the_parents_websocket_check(
    aiohttp_client: AiohttpClient,
) -> None:
    for parent_setup in (True, False):
        sub = web.Application()
        sub.router.add_get("/ws", socket_handler)
        corecors_aiohttp.setup(sub, api_policy())  # its own policy, no check of its own
        if parent_setup:
            app = web.Application()
            corecors_aiohttp.setup(app, api_policy(), check_websocket_origin=True)
        else:
            middleware = corecors_aiohttp.cors_middleware(api_policy(), check_websocket_origin=True)
            app = web.Application(middlewares=[middleware])
        app.add_subapp("/sub", sub)
        client = await aiohttp_client(app)
        refused = await raw_exchange(client, "GET /sub/ws HTTP/1.1", handshake_headers(EVIL))
        assert status_of(refused) == 403, parent_setup
        allowed = await raw_exchange(client, "GET /sub/ws HTTP/1.1", handshake_headers(APP))
        assert status_of(allowed) == 101, parent_setup


async def test_subapp_websocket_check_uses_the_subapps_policy(
    aiohttp_client: AiohttpClient,
) -> None:
    sub = web.Application()
    sub.router.add_get("/ws", socket_handler)
    corecors_aiohttp.setup(sub, public_policy())
    app = web.Application()
    corecors_aiohttp.setup(app, api_policy(), check_websocket_origin=True)
    app.add_subapp("/public", sub)
    client = await aiohttp_client(app)
    admitted = await raw_exchange(client, "GET /public/ws HTTP/1.1", handshake_headers(EVIL))
    assert status_of(admitted) == 101


# -- the single-policy fast path ---------------------------------------------------------------


async def test_fast_path_refusal_is_the_policys_own(aiohttp_client: AiohttpClient) -> None:
    """One CORSPolicy: a refused origin gets the refusal built in advance, whose lines are
    those of the refusal decide_fields would build (Vary: Origin and nothing else)."""
    policy = CORSPolicy(allow_origins=["https://app.example.com"])
    app = web.Application()
    app.router.add_get("/", ok)
    corecors_aiohttp.setup(app, policy)
    client = await aiohttp_client(app)
    response = await client.get("/", headers={"Origin": "https://evil.example"})
    expected = policy.decide_fields("GET", "https://evil.example")
    assert not expected.allowed
    assert [(k, v) for k, v in response.headers.items() if k.lower().startswith("access-")] == []
    assert response.headers.getall("Vary") == [", ".join(expected.vary)]


async def test_fast_path_asks_a_policy_subclass_that_decides_for_itself(
    aiohttp_client: AiohttpClient,
) -> None:
    """A CORSPolicy subclass overriding decide_fields is asked, not bypassed by the fast path."""
    asked: list[str | None] = []

    class Recording(CORSPolicy):
        def decide_fields(self, method: str, origin: str | None, *args: Any, **kwargs: Any) -> Any:
            asked.append(origin)
            return super().decide_fields(method, origin, *args, **kwargs)

    app = web.Application()
    app.router.add_get("/", ok)
    corecors_aiohttp.setup(app, Recording(allow_origins=["https://app.example.com"]))
    client = await aiohttp_client(app)
    await client.get("/", headers={"Origin": "https://evil.example"})
    assert asked[-1] == "https://evil.example"  # (the first ask, at set-up, is for no Origin)


_LISTED = ["https://a.example", "https://b.example", "http://localhost:3000"]
_ORIGINS = [*_LISTED, "https://x.example.org", "https://evil.example", "null", "*", ""]


@st.composite
def _single_policies(draw: st.DrawFn) -> CORSPolicy:
    """Policies the fast path serves: listed origins only (its prebuilt refusal), with a
    pattern, null or any origin (it asks), debug (refusals explained in a header)."""
    any_origin = draw(st.booleans())
    origins = ["*"] if any_origin else draw(st.lists(st.sampled_from(_LISTED), unique=True))
    if not any_origin and draw(st.booleans()):
        origins.append("https://*.example.org")
    credentials = not any_origin and draw(st.booleans())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        return CORSPolicy(
            allow_origins=origins,
            allow_null_origin=not any_origin and not credentials and draw(st.booleans()),
            allow_credentials=credentials,
            expose_headers=draw(st.sampled_from([[], ["x-id"]])),
            debug=draw(st.booleans()),
        )


_APP_NAMES = [
    *(name for owned in sorted(OWNED_RESPONSE_HEADERS) for name in (owned, owned.upper())),
    "Vary",
    "vARY",
    "Content-Type",
    "content-type",
    "X-App",
]


def _touched(lines: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Every line by lowercase name, ``Vary`` lines as one list (as HTTP reads them)."""
    found: dict[str, list[str]] = {}
    for name, value in lines:
        found.setdefault(name.lower(), []).append(value)
    if "vary" in found:
        found["vary"] = [", ".join(found["vary"])]
    return found


@settings(max_examples=400, deadline=None)
@given(
    policy=_single_policies(),
    method=st.sampled_from(["GET", "POST", "PUT", "OPTIONS"]),
    origins=st.lists(st.sampled_from(_ORIGINS) | st.text(max_size=30), max_size=2),
    app_lines=st.lists(
        st.tuples(st.sampled_from(_APP_NAMES), st.sampled_from(["*", "Accept", "origin"])),
        max_size=3,
    ),
    debug_logging=st.booleans(),
)
def test_fast_path_answers_what_the_reference_answers(
    policy: CORSPolicy,
    method: str,
    origins: list[str],
    app_lines: list[tuple[str, str]],
    debug_logging: bool,
) -> None:
    """The prepare hook's single-policy path (prebuilt lines by listed origin, the shared
    refusal, the policy asked otherwise; a Content-Type-only response shown free of owned
    headers without lookups) writes what corecors.response_headers writes for the decision
    of corecors.read_request, whatever the application set and whatever is logged."""
    app = web.Application()
    app.router.add_get("/", ok)
    cors = corecors_aiohttp.setup(app, policy)
    app.freeze()
    cors._survey()  # what the first request does
    assert cors._fast is not None
    request_lines = [("Origin", origin) for origin in origins]
    request = make_mocked_request(method, "/", headers=CIMultiDict(request_lines), app=app)
    response = web.Response()
    for name, value in app_lines:
        response.headers.add(name, value)
    logger = logging.getLogger("corecors")
    level = logger.level
    logger.setLevel(logging.DEBUG if debug_logging else logging.WARNING)
    try:
        asyncio.run(cors._on_response_prepare(request, response))
    finally:
        logger.setLevel(level)
    decision = policy.decide(read_request(method, "/", request_lines))
    assert _touched(list(response.headers.items())) == _touched(
        response_headers(decision, app_lines)
    )


async def test_fast_path_is_off_where_header_lookups_are_case_sensitive(
    aiohttp_client: AiohttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its one check for owned headers relies on case-insensitive key lookups (multidict
    6+); without them, the general path replaces the application's lines all the same."""
    monkeypatch.setattr(rules, "_FAST_OWNED_CHECK", False)
    app = web.Application()
    app.router.add_get("/", Counter({"access-control-allow-origin": "*"}).handle)
    cors = corecors_aiohttp.setup(app, api_policy())
    client = await aiohttp_client(app)
    response = await client.get("/", headers={"Origin": APP})
    assert cors._fast is None
    assert response.headers.getall(ACAO) == [APP]
