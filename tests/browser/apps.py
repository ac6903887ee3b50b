"""The API under test, built the same way with each adapter, and the suite's policy.

Routes (the same in every adapter):

=========================  =====================================================================
``/api/data``              GET: JSON, with ``x-exposed`` (exposed) and ``x-hidden`` (not exposed)
``/api/echo``              GET POST PUT PATCH DELETE: the method, the body and ``x-allowed``
``/api/set-cookie``        GET: sets ``suite_session`` (SameSite=Lax); navigated to, not fetched
``/api/whoami``            GET: the ``suite_session`` cookie the server received, or ``none``
``/api/not-found-returned``  GET: a 404 the handler returns
``/api/not-found-raised``  GET: a 404 the handler raises (``HTTPException`` / ``HTTPNotFound``)
``/api/boom``              GET: an unhandled exception (the framework's 500)
``/api/stream``            GET: a streamed body, ``one two three``
``/api/cacheable``         GET: ``Cache-Control: max-age=60`` and a hit counter
``/api/etag``              GET: ``ETag`` + ``Cache-Control: no-cache``; 304 for ``If-None-Match``
``/api/redirect``          GET: 307 to ``/api/data`` (same query string)
``/api/ws``                WebSocket: says ``hello`` and closes (origins are checked)
``/api/static/``           static files (this directory): ``page.html``, ranges, ...
``/public/data``           GET PUT: JSON, under the ``*`` policy
``/nomaxage/echo``         GET PUT: like ``/api/echo``, under a policy without ``max_age``
``/legacy/data``           GET: the handler sets ``Access-Control-Allow-Origin: *`` itself; CORS
                           handling is off for ``/legacy``
``/legacy/wildcard-headers``  GET OPTIONS: the handler itself answers ``*`` for the origin, the
                           methods and the request headers (what corecors never does for
                           ``authorization``)
=========================  =====================================================================

Any other path is the framework's own 404.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from corecors import CORSPolicy, PathPolicies

from .harness import Recorder, RecordingASGI, record_aiohttp

COOKIE_NAME = "suite_session"
COOKIE_VALUE = "chocolate-chip"
STREAM_CHUNKS = (b"one ", b"two ", b"three")
ALLOWED_HEADER = "x-allowed"
EXPOSED_HEADER = "x-exposed"
HIDDEN_HEADER = "x-hidden"
ECHO_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
STATIC_DIRECTORY = Path(__file__).parent

ADAPTERS = ("aiohttp", "starlette-add-middleware", "starlette-wrapped")
"""How the API is served: ``corecors_aiohttp.setup`` under aiohttp's server; corecors_asgi
under uvicorn, installed with Starlette's ``add_middleware`` or wrapping the whole app."""


def suite_policy(page: str, other: str) -> PathPolicies:
    """The policies the suite runs under.

    * ``/api``: the two page origins, credentials, five methods, two request headers, one
      exposed header, ``max_age=600``;
    * ``/nomaxage``: the same without ``max_age`` (browsers then cache a preflight 5 s);
    * ``/public``: any origin (a static ``*``), any request header but ``authorization``
      (which ``*`` never covers), no credentials;
    * ``/legacy``: CORS handling off (the handler's own headers go out untouched);
    * anything else: no policy, untouched as well.

    ``debug=True`` puts each rejection's reason in a ``CORS-Rejection-Reason`` response
    header, which the recorder reads: the browser says *that* it refused, the core *why*.
    """
    api: dict[str, Any] = {
        "allow_origins": [page, other],
        "allow_methods": ECHO_METHODS,
        "allow_headers": ["content-type", ALLOWED_HEADER],
        "expose_headers": [EXPOSED_HEADER],
        "allow_credentials": True,
        "debug": True,
    }
    return PathPolicies(
        {
            "/api": CORSPolicy(**api, max_age=600),
            "/nomaxage": CORSPolicy(**api),
            "/public": CORSPolicy(
                allow_origins=["*"], allow_methods=["GET", "PUT"], allow_headers=["*"], debug=True
            ),
            "/legacy": None,
        }
    )


class SuiteError(RuntimeError):
    """What ``/api/boom`` raises."""


def _echo(method: str, body: str, allowed: str | None) -> dict[str, Any]:
    return {"method": method, "body": body, ALLOWED_HEADER: allowed}


def _whoami(cookie: str | None) -> str:
    return f"cookie: {cookie if cookie is not None else 'none'}"


DATA = {"data": "from the API"}
DATA_HEADERS = {EXPOSED_HEADER: "yes", HIDDEN_HEADER: "no"}
CACHEABLE_HEADERS = {"Cache-Control": "public, max-age=60"}
LEGACY_HEADERS = {"Access-Control-Allow-Origin": "*"}
WILDCARD_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "*",
    "Access-Control-Allow-Headers": "*",
}
ETAG = '"v1"'
ETAG_HEADERS = {"ETag": ETAG, "Cache-Control": "no-cache"}
SET_COOKIE = f"{COOKIE_NAME}={COOKIE_VALUE}; Path=/; SameSite=Lax"


# -- aiohttp -----------------------------------------------------------------------------------


def aiohttp_api(policy: PathPolicies, recorder: Recorder) -> Any:
    """The API as an aiohttp application with ``corecors_aiohttp.setup``."""
    from aiohttp import web

    import corecors_aiohttp

    hits = itertools.count(1)

    async def data(request: web.Request) -> web.Response:
        return web.json_response(DATA, headers=DATA_HEADERS)

    async def echo(request: web.Request) -> web.Response:
        body = await request.text()
        return web.json_response(_echo(request.method, body, request.headers.get(ALLOWED_HEADER)))

    async def set_cookie(request: web.Request) -> web.Response:
        return web.Response(text="cookie set", headers={"Set-Cookie": SET_COOKIE})

    async def whoami(request: web.Request) -> web.Response:
        return web.Response(text=_whoami(request.cookies.get(COOKIE_NAME)))

    async def not_found_returned(request: web.Request) -> web.Response:
        return web.Response(status=404, text="returned 404")

    async def not_found_raised(request: web.Request) -> web.Response:
        raise web.HTTPNotFound(text="raised 404")

    async def boom(request: web.Request) -> web.Response:
        raise SuiteError("unhandled, on purpose")

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)  # the headers go out here, before the body
        for chunk in STREAM_CHUNKS:
            await response.write(chunk)
        await response.write_eof()
        return response

    async def cacheable(request: web.Request) -> web.Response:
        return web.Response(text=f"hits={next(hits)}", headers=CACHEABLE_HEADERS)

    async def legacy(request: web.Request) -> web.Response:
        return web.json_response(DATA, headers=LEGACY_HEADERS)

    async def wildcard_headers(request: web.Request) -> web.Response:
        return web.json_response(DATA, headers=WILDCARD_HEADERS)

    async def etag(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers=ETAG_HEADERS)
        return web.Response(text="tagged", headers=ETAG_HEADERS)

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"/api/data?{request.query_string}")

    async def socket(request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse()
        await websocket.prepare(request)
        await websocket.send_str("hello")
        await websocket.close()
        return websocket

    app = web.Application()
    router = app.router
    router.add_get("/api/data", data)
    for method in ECHO_METHODS:
        router.add_route(method, "/api/echo", echo)
    router.add_get("/api/set-cookie", set_cookie)
    router.add_get("/api/whoami", whoami)
    router.add_get("/api/not-found-returned", not_found_returned)
    router.add_get("/api/not-found-raised", not_found_raised)
    router.add_get("/api/boom", boom)
    router.add_get("/api/stream", stream)
    router.add_get("/api/cacheable", cacheable)
    router.add_get("/api/etag", etag)
    router.add_get("/api/redirect", redirect)
    router.add_get("/api/ws", socket)
    router.add_static("/api/static", STATIC_DIRECTORY)
    router.add_get("/public/data", data)
    router.add_put("/public/data", data)
    router.add_get("/nomaxage/echo", echo)
    router.add_put("/nomaxage/echo", echo)
    router.add_get("/legacy/data", legacy)
    router.add_get("/legacy/wildcard-headers", wildcard_headers)
    router.add_route("OPTIONS", "/legacy/wildcard-headers", wildcard_headers)
    corecors_aiohttp.setup(app, policy, check_websocket_origin=True)
    record_aiohttp(app, recorder)
    return app


# -- Starlette ---------------------------------------------------------------------------------


def starlette_api(policy: PathPolicies, recorder: Recorder, *, wrapped: bool) -> Any:
    """The API as a Starlette application under corecors_asgi.

    ``wrapped``: ``CORSMiddleware(app, policy=...)`` around the whole application; otherwise
    ``app.add_middleware(CORSMiddleware, policy=...)``, the documented Starlette install.
    """
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import (
        JSONResponse,
        PlainTextResponse,
        RedirectResponse,
        Response,
        StreamingResponse,
    )
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.websockets import WebSocket

    from corecors_asgi import CORSMiddleware

    hits = itertools.count(1)

    async def data(request: Request) -> Response:
        return JSONResponse(DATA, headers=DATA_HEADERS)

    async def echo(request: Request) -> Response:
        body = (await request.body()).decode()
        return JSONResponse(_echo(request.method, body, request.headers.get(ALLOWED_HEADER)))

    async def set_cookie(request: Request) -> Response:
        return PlainTextResponse("cookie set", headers={"Set-Cookie": SET_COOKIE})

    async def whoami(request: Request) -> Response:
        return PlainTextResponse(_whoami(request.cookies.get(COOKIE_NAME)))

    async def not_found_returned(request: Request) -> Response:
        return PlainTextResponse("returned 404", status_code=404)

    async def not_found_raised(request: Request) -> Response:
        raise HTTPException(status_code=404, detail="raised 404")

    async def boom(request: Request) -> Response:
        raise SuiteError("unhandled, on purpose")

    async def stream(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for chunk in STREAM_CHUNKS:
                yield chunk

        return StreamingResponse(chunks(), media_type="text/plain")

    async def cacheable(request: Request) -> Response:
        return PlainTextResponse(f"hits={next(hits)}", headers=CACHEABLE_HEADERS)

    async def legacy(request: Request) -> Response:
        return JSONResponse(DATA, headers=LEGACY_HEADERS)

    async def wildcard_headers(request: Request) -> Response:
        return JSONResponse(DATA, headers=WILDCARD_HEADERS)

    async def etag(request: Request) -> Response:
        if request.headers.get("If-None-Match") == ETAG:
            return Response(status_code=304, headers=ETAG_HEADERS)
        return PlainTextResponse("tagged", headers=ETAG_HEADERS)

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"/api/data?{request.url.query}", status_code=307)

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    routes: list[Route | WebSocketRoute | Mount] = [
        Route("/api/data", data),
        Route("/api/echo", echo, methods=ECHO_METHODS),
        Route("/api/set-cookie", set_cookie),
        Route("/api/whoami", whoami),
        Route("/api/not-found-returned", not_found_returned),
        Route("/api/not-found-raised", not_found_raised),
        Route("/api/boom", boom),
        Route("/api/stream", stream),
        Route("/api/cacheable", cacheable),
        Route("/api/etag", etag),
        Route("/api/redirect", redirect),
        WebSocketRoute("/api/ws", socket),
        Mount("/api/static", app=StaticFiles(directory=STATIC_DIRECTORY)),
        Route("/public/data", data, methods=["GET", "PUT"]),
        Route("/nomaxage/echo", echo, methods=["GET", "PUT"]),
        Route("/legacy/data", legacy),
        Route("/legacy/wildcard-headers", wildcard_headers, methods=["GET", "OPTIONS"]),
    ]
    app = Starlette(routes=routes)
    if wrapped:
        cors = CORSMiddleware(app, policy=policy, check_websocket_origin=True)
        return RecordingASGI(cors, recorder)
    app.add_middleware(CORSMiddleware, policy=policy, check_websocket_origin=True)
    return RecordingASGI(app, recorder)


def build_api(adapter: str, policy: PathPolicies, recorder: Recorder) -> tuple[str, Any]:
    """``(server, application)`` for ``adapter``; server is ``"aiohttp"`` or ``"uvicorn"``."""
    builders: dict[str, Callable[[], tuple[str, Any]]] = {
        "aiohttp": lambda: ("aiohttp", aiohttp_api(policy, recorder)),
        "starlette-add-middleware": lambda: (
            "uvicorn",
            starlette_api(policy, recorder, wrapped=False),
        ),
        "starlette-wrapped": lambda: ("uvicorn", starlette_api(policy, recorder, wrapped=True)),
    }
    return builders[adapter]()


def parse_json(text: str | None) -> Any:
    return json.loads(text or "null")
