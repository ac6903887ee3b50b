"""corecors_asgi.CORSMiddleware with Starlette, FastAPI and Litestar.

Two ways to install it are tested with Starlette and FastAPI:

* ``add_middleware(CORSMiddleware, ...)`` (or ``middleware=[Middleware(...)]``): the
  drop-in for Starlette's own CORSMiddleware. The framework's ServerErrorMiddleware sits
  outside it, so 500s from unhandled exceptions get CORS headers only through
  ``handle_errors`` (on by default);
* wrapping the whole application, ``CORSMiddleware(FastAPI(...), ...)``: every response the
  framework sends passes through it, its own 500 pages included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.websockets import WebSocketDisconnect

from corecors import CORSConfigError, CORSPolicy, PathPolicies
from corecors_asgi import (
    STARLETTE_DEFAULT_MAX_AGE,
    ASGIApp,
    CORSMiddleware,
    policy_from_starlette_arguments,
)
from tests.scenarios import preflight_headers

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
    EVIL,
    BoomError,
    TestClient,
    WebSocketDenialResponse,
    client,
    fastapi_app,
    litestar_app,
    starlette_app,
)

Build = Callable[..., ASGIApp]


def policy() -> CORSPolicy:
    return CORSPolicy(
        allow_origins=[APP, ADMIN],
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["content-type", "authorization"],
        expose_headers=["x-request-id"],
        allow_credentials=True,
    )


def one(response: httpx.Response, name: str) -> str | None:
    values = response.headers.get_list(name)
    assert len(values) <= 1, f"{name} appears {len(values)} times: {values}"
    return values[0] if values else None


def cors_names(response: httpx.Response) -> list[str]:
    return [n for n in response.headers if n.lower().startswith("access-control-")]


def assert_allowed(response: httpx.Response, origin: str = APP) -> None:
    assert one(response, ACAO) == origin
    assert one(response, ACAC) == "true"
    assert "Origin" in (one(response, "vary") or "")


# -- the installs under test -------------------------------------------------------------------


def cors_options(
    *, handle_errors: bool = True, check_websocket_origin: bool = False
) -> dict[str, Any]:
    """The middleware's arguments in every install: the test policy and the two switches."""
    return {
        "policy": policy(),
        "handle_errors": handle_errors,
        "check_websocket_origin": check_websocket_origin,
    }


def starlette_inner(**options: bool) -> Starlette:
    """Installed like Starlette's CORSMiddleware: inside ServerErrorMiddleware."""
    return starlette_app([Middleware(CORSMiddleware, **cors_options(**options))])


def starlette_outer(**options: bool) -> CORSMiddleware:
    """Wrapping the whole Starlette application."""
    return CORSMiddleware(starlette_app(), **cors_options(**options))


def fastapi_inner(**options: bool) -> FastAPI:
    api = fastapi_app()
    api.add_middleware(CORSMiddleware, **cors_options(**options))
    return api


def fastapi_outer(**options: bool) -> CORSMiddleware:
    return CORSMiddleware(fastapi_app(), **cors_options(**options))


INSTALLS: dict[str, Build] = {
    "starlette-add-middleware": starlette_inner,
    "starlette-wrapped": starlette_outer,
    "fastapi-add-middleware": fastapi_inner,
    "fastapi-wrapped": fastapi_outer,
}


@pytest.fixture(params=list(INSTALLS))
def install(request: pytest.FixtureRequest) -> ASGIApp:
    built: ASGIApp = INSTALLS[request.param]()
    return built


@pytest.fixture(params=["starlette-add-middleware", "starlette-wrapped"])
def starlette(request: pytest.FixtureRequest) -> ASGIApp:
    built: ASGIApp = INSTALLS[request.param]()
    return built


# -- Starlette: routes, mounts, responses of every kind ----------------------------------------


async def test_preflight_accepted(install: ASGIApp) -> None:
    async with client(install) as http:
        response = await http.options(
            "/items/1" if isinstance(install, FastAPI) else "/api/items/1",
            headers=preflight_headers(APP, "PUT", "content-type"),
        )
    assert response.status_code == 204
    assert_allowed(response)
    assert one(response, ACAM) == "GET, POST, PUT, DELETE"
    assert one(response, ACAH) == "content-type, authorization"
    assert response.content == b""


async def test_preflight_rejected(install: ASGIApp) -> None:
    async with client(install) as http:
        response = await http.options(
            "/api/items/1",
            headers=preflight_headers(EVIL, "PUT"),
        )
    assert response.status_code == 403
    assert cors_names(response) == []


async def test_actual_request_allowed_and_disallowed(starlette: ASGIApp) -> None:
    async with client(starlette) as http:
        allowed = await http.get("/api/items/7", headers={"Origin": ADMIN})
        refused = await http.get("/api/items/7", headers={"Origin": EVIL})
        no_origin = await http.get("/api/items/7")
    assert allowed.json() == {"id": "7"}
    assert_allowed(allowed, ADMIN)
    assert one(allowed, ACEH) == "x-request-id"
    assert refused.json() == {"id": "7"}
    assert cors_names(refused) == []
    assert one(refused, "vary") == "Origin"
    assert cors_names(no_origin) == []
    assert one(no_origin, "vary") == "Origin"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/stream", 200),
        ("HEAD", "/", 200),
        ("GET", "/not-modified", 304),
        ("GET", "/redirect", 307),
        ("GET", "/no-such-route", 404),
        ("POST", "/stream", 405),
        ("GET", "/http-error", 401),
        ("OPTIONS", "/", 405),  # a plain OPTIONS (no Access-Control-Request-Method) is the app's
    ],
)
async def test_every_response_of_an_allowed_request_has_the_headers(
    starlette: ASGIApp, method: str, path: str, status: int
) -> None:
    async with client(starlette) as http:
        response = await http.request(method, path, headers={"Origin": APP})
    assert response.status_code == status
    assert_allowed(response)


async def test_streaming_body_is_intact(starlette: ASGIApp) -> None:
    async with client(starlette) as http:
        response = await http.get("/stream", headers={"Origin": APP})
    assert response.text == "one two three"


async def test_app_set_allow_origin_is_replaced(starlette: ASGIApp) -> None:
    async with client(starlette) as http:
        allowed = await http.get("/own-cors", headers={"Origin": APP})
        refused = await http.get("/own-cors", headers={"Origin": EVIL})
    assert allowed.headers.get_list(ACAO) == [APP]
    assert refused.headers.get_list(ACAO) == []
    assert allowed.headers.get_list("vary") == ["Accept-Encoding, Origin"]


# -- unhandled exceptions: 500s that a page can read -------------------------------------------


async def test_unhandled_exception_gives_a_readable_500(install: ASGIApp) -> None:
    async with client(install, raise_app_exceptions=False) as http:
        response = await http.get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert_allowed(response)
    assert response.text == "Internal Server Error"


async def test_unhandled_exception_is_still_raised_to_the_server(install: ASGIApp) -> None:
    async with client(install) as http:
        with pytest.raises(BoomError):
            await http.get("/boom", headers={"Origin": APP})


def test_unhandled_exception_with_starlettes_test_client(install: ASGIApp) -> None:
    with TestClient(install, raise_server_exceptions=False) as test_client:
        response = test_client.get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert response.headers[ACAO] == APP
    with TestClient(install) as test_client, pytest.raises(BoomError):
        test_client.get("/boom", headers={"Origin": APP})


@pytest.mark.parametrize("build", [starlette_inner, fastapi_inner], ids=["starlette", "fastapi"])
async def test_without_handle_errors_the_inner_install_loses_the_headers_on_500(
    build: Build,
) -> None:
    """What Starlette's own CORSMiddleware does, and why ``handle_errors`` exists."""
    async with client(build(handle_errors=False), raise_app_exceptions=False) as http:
        response = await http.get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert cors_names(response) == []


@pytest.mark.parametrize("build", [starlette_outer, fastapi_outer], ids=["starlette", "fastapi"])
async def test_wrapped_install_covers_500s_without_handle_errors(
    build: Build,
) -> None:
    async with client(build(handle_errors=False), raise_app_exceptions=False) as http:
        response = await http.get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert_allowed(response)


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
async def test_wrapped_install_keeps_a_custom_500_handler(framework: str) -> None:
    inner = (
        starlette_app(custom_500=True) if framework == "starlette" else fastapi_app(custom_500=True)
    )
    async with client(CORSMiddleware(inner, policy=policy()), raise_app_exceptions=False) as http:
        response = await http.get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert response.json() == {"error": "custom handler"}
    assert_allowed(response)


async def test_inner_install_keeps_the_frameworks_500_for_requests_it_does_not_allow() -> None:
    """Installed by add_middleware, corecors answers the allowed request's 500 (the page must
    read it); the others reach the framework's own 500 handler, as without corecors."""
    app = starlette_app([Middleware(CORSMiddleware, policy=policy())], custom_500=True)
    async with client(app, raise_app_exceptions=False) as http:
        no_origin = await http.get("/boom")
        refused = await http.get("/boom", headers={"Origin": EVIL})
        allowed = await http.get("/boom", headers={"Origin": APP})
    for response in (no_origin, refused):
        assert response.status_code == 500
        assert response.json() == {"error": "custom handler"}
        assert cors_names(response) == []
    assert allowed.status_code == 500
    assert allowed.text == "Internal Server Error"
    assert_allowed(allowed)


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
async def test_inner_install_500s_under_a_star_policy_say_star(framework: str) -> None:
    star = CORSPolicy(allow_origins=["*"])
    app: ASGIApp
    if framework == "fastapi":
        api = fastapi_app()
        api.add_middleware(CORSMiddleware, policy=star)
        app = api
    else:
        app = starlette_app([Middleware(CORSMiddleware, policy=star)])
    async with client(app, raise_app_exceptions=False) as http:
        response = await http.get("/boom", headers={"Origin": EVIL})
    assert response.status_code == 500
    assert one(response, ACAO) == "*"


# -- FastAPI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [fastapi_inner, fastapi_outer], ids=["add-middleware", "wrapped"])
async def test_fastapi_responses(build: Build) -> None:
    async with client(build()) as http:
        ok = await http.get("/items/3", headers={"Origin": APP})
        invalid = await http.get("/items/not-a-number", headers={"Origin": APP})
        forbidden = await http.get("/http-error", headers={"Origin": APP})
        missing = await http.get("/nowhere", headers={"Origin": APP})
        refused = await http.get("/items/3", headers={"Origin": EVIL})
    assert ok.json() == {"id": 3}
    for response, status in ((ok, 200), (invalid, 422), (forbidden, 403), (missing, 404)):
        assert response.status_code == status
        assert_allowed(response)
    assert cors_names(refused) == []


# -- Litestar: any ASGI application ------------------------------------------------------------


async def test_litestar_wrapped() -> None:
    app = CORSMiddleware(litestar_app(), policy=policy())
    async with client(app, raise_app_exceptions=False) as http:
        ok = await http.get("/", headers={"Origin": APP})
        unauthorized = await http.get("/protected", headers={"Origin": APP})
        boom = await http.get("/boom", headers={"Origin": APP})
        refused = await http.get("/", headers={"Origin": EVIL})
        preflight = await http.options("/", headers=preflight_headers(APP, "DELETE"))
    assert ok.text == "ok"
    for response, status in ((ok, 200), (unauthorized, 401), (boom, 500), (preflight, 204)):
        assert response.status_code == status
        assert_allowed(response)
    assert cors_names(refused) == []


# -- WebSockets (Starlette's TestClient) -------------------------------------------------------


@pytest.mark.parametrize("build", [starlette_inner, starlette_outer, fastapi_inner, fastapi_outer])
def test_websocket_passes_through_by_default(build: Build) -> None:
    with TestClient(build()) as test_client:
        path = "/ws" if build in (fastapi_inner, fastapi_outer) else "/api/ws"
        with test_client.websocket_connect(path, headers={"Origin": EVIL}) as websocket:
            assert websocket.receive_text() == "hello"


@pytest.mark.parametrize("build", [starlette_inner, starlette_outer, fastapi_inner, fastapi_outer])
def test_websocket_origin_check(build: Build) -> None:
    path = "/ws" if build in (fastapi_inner, fastapi_outer) else "/api/ws"
    with TestClient(build(check_websocket_origin=True)) as test_client:
        for headers in ({"Origin": APP}, {}):
            with test_client.websocket_connect(path, headers=headers) as websocket:
                assert websocket.receive_text() == "hello"
        with (
            pytest.raises(WebSocketDenialResponse) as denied,
            test_client.websocket_connect(path, headers={"Origin": EVIL}),
        ):
            pass
    assert denied.value.status_code == 403
    assert ACAO not in denied.value.headers


def test_websocket_close_before_accept_is_a_denial_for_the_client() -> None:
    """Where the server lacks the denial-response extension, the handshake is closed."""
    app = starlette_app([Middleware(CORSMiddleware, policy=policy(), check_websocket_origin=True)])

    async def without_extension(scope: dict[str, object], receive: object, send: object) -> None:
        scope.pop("extensions", None)
        await app(scope, receive, send)  # type: ignore[arg-type]

    with TestClient(without_extension) as test_client:  # type: ignore[arg-type]
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            test_client.websocket_connect("/api/ws", headers={"Origin": EVIL}),
        ):
            pass
        with test_client.websocket_connect("/api/ws", headers={"Origin": APP}) as websocket:
            assert websocket.receive_text() == "hello"
    assert closed.value.code == 1008


# -- per-path policies with mounts -------------------------------------------------------------


def per_path() -> PathPolicies:
    return PathPolicies(
        {
            "/public": CORSPolicy(allow_origins=["*"]),
            "/api": CORSPolicy(allow_origins=[APP, ADMIN], allow_credentials=True),
            "/internal": None,
        },
    )


async def test_per_path_policies_on_mounts() -> None:
    app = starlette_app([Middleware(CORSMiddleware, policy=per_path())])
    async with client(app) as http:
        public = await http.get("/public/file", headers={"Origin": EVIL})
        api = await http.get("/api/items/1", headers={"Origin": APP})
        api_refused = await http.get("/api/items/1", headers={"Origin": EVIL})
        internal = await http.get("/internal/own-cors", headers={"Origin": EVIL})
        elsewhere = await http.get("/", headers={"Origin": APP})
    assert (one(public, ACAO), one(public, ACAC), one(public, "vary")) == ("*", None, None)
    assert (one(api, ACAO), one(api, ACAC), one(api, "vary")) == (APP, "true", "Origin")
    assert cors_names(api_refused) == []
    assert internal.headers.get_list(ACAO) == [APP_SET_ORIGIN]  # untouched: CORS is off there
    assert cors_names(elsewhere) == []


async def test_policy_swap_through_the_framework() -> None:
    middleware = CORSMiddleware(starlette_app(), policy=CORSPolicy(allow_origins=[APP]))
    async with client(middleware) as http:
        before = await http.get("/", headers={"Origin": ADMIN})
        middleware.policy = per_path()
        after = await http.get("/api/items/1", headers={"Origin": ADMIN})
    assert cors_names(before) == []
    assert one(after, ACAO) == ADMIN


# -- Starlette-compatible arguments ------------------------------------------------------------


async def test_the_issues_starlette_style_example() -> None:
    app = starlette_app()
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://app.example.com"],
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
        expose_headers=["x-request-id"],
        allow_origin_regex=None,
        max_age=600,
    )
    async with client(app) as http:
        preflight = await http.options("/", headers=preflight_headers(APP, "POST", "content-type"))
        actual = await http.post("/", headers={"Origin": APP})
    assert preflight.status_code == 200  # as Starlette answers
    assert one(preflight, ACAM) == "GET, POST"
    assert one(preflight, ACMA) == "600"
    assert_allowed(preflight)
    assert_allowed(actual)
    assert one(actual, ACEH) == "x-request-id"


def test_starlette_arguments_can_be_positional_in_starlettes_order() -> None:
    middleware = CORSMiddleware(
        starlette_app(), [APP], ["PUT"], ["x-token"], True, None, True, ["x-request-id"], 60
    )
    compiled = middleware.policy
    assert isinstance(compiled, CORSPolicy)
    assert compiled.allow_origins == (APP,)
    assert compiled.allow_methods == ("PUT",)
    assert compiled.allow_credentials is True
    assert compiled.allow_private_network is True
    assert compiled.expose_headers == ("x-request-id",)
    assert compiled.max_age == 60


def test_starlette_defaults_as_corecors_applies_them() -> None:
    compiled = policy_from_starlette_arguments(allow_origins=[APP])
    assert compiled.max_age == STARLETTE_DEFAULT_MAX_AGE == 600
    assert compiled.allow_methods == ("GET", "HEAD", "POST")
    assert compiled.allow_headers == (
        "accept",
        "accept-language",
        "content-language",
        "content-type",
    )
    assert compiled.allow_credentials is False
    with_star = policy_from_starlette_arguments(allow_origins=[APP], allow_headers=["*"])
    # Starlette's "*" echoes every requested header, authorization included: said explicitly.
    assert with_star.allow_headers == ("authorization", "*")


async def test_json_post_keeps_working_after_the_switch_from_starlette() -> None:
    """Starlette always allows content-type in preflights; the Starlette-style arguments too."""
    app = starlette_app([Middleware(CORSMiddleware, allow_origins=[APP])])
    async with client(app) as http:
        response = await http.options("/", headers=preflight_headers(APP, "POST", "content-type"))
    assert response.status_code == 200  # as Starlette answers
    assert one(response, ACAO) == APP
    assert one(response, ACMA) == "600"


def test_wildcard_with_credentials_is_refused_and_says_it_differs_from_starlette() -> None:
    with pytest.raises(CORSConfigError) as error:
        CORSMiddleware(starlette_app(), allow_origins=["*"], allow_credentials=True)
    message = str(error.value)
    assert "allow_credentials=True" in message
    assert "differs from Starlette" in message
    assert "docs/asgi.md" in message
    assert any("reflects" in p or "echoes every" in p for p in error.value.notes)
    # The heading counts problems only; the notes follow it, apart.
    assert message.startswith("invalid CORS policy (1 problem):\n")
    assert len(error.value.problems) == 1
    assert all(not problem.startswith("this differs") for problem in error.value.problems)
    assert "\nnote: this differs from Starlette" in message


def test_other_refusals_point_to_the_starlette_differences() -> None:
    with pytest.raises(CORSConfigError) as error:
        CORSMiddleware(starlette_app(), allow_origins=["https://app.example.com/"])
    assert "Coming from Starlette" in str(error.value)
    assert "differs from Starlette:" not in str(error.value)


def test_starlette_arguments_and_a_policy_together_are_refused() -> None:
    with pytest.raises(CORSConfigError, match=r"either policy= or Starlette-style .*allow_origins"):
        CORSMiddleware(starlette_app(), allow_origins=[APP], policy=policy())
    with pytest.raises(CORSConfigError, match="max_age"):
        CORSMiddleware(starlette_app(), max_age=0, policy=policy())


def test_policy_must_be_a_decider() -> None:
    with pytest.raises(CORSConfigError, match="CORSDecider, not dict"):
        CORSMiddleware(starlette_app(), policy={"allow_origins": [APP]})  # type: ignore[arg-type]


async def test_starlette_style_origin_regex() -> None:
    preview = "https://pr-7.preview.example.com"
    app = starlette_app(
        [
            Middleware(
                CORSMiddleware, allow_origin_regex=r"https://[a-z0-9-]+\.preview\.example\.com"
            )
        ]
    )
    async with client(app) as http:
        allowed = await http.get("/", headers={"Origin": preview})
        suffix_attack = await http.get("/", headers={"Origin": preview + ".evil.net"})
    assert one(allowed, ACAO) == preview
    assert cors_names(suffix_attack) == []
