"""Applications and helpers for the ASGI adapter's tests.

* :func:`call` drives any ASGI application with a hand-built scope (exact header bytes,
  including bytes no HTTP client would send) and records what it sent back.
* :class:`RawApp` is a bare ASGI application with a route per behaviour under test.
* :func:`starlette_app`, :func:`fastapi_app` and :func:`litestar_app` build the same kind of
  application with each framework (routes, mounts, exceptions, streaming, WebSockets).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi import HTTPException as FastAPIHTTPException
from litestar import Litestar
from litestar import get as litestar_get
from litestar.exceptions import NotAuthorizedException
from starlette.applications import Starlette
from starlette.exceptions import HTTPException, StarletteDeprecationWarning
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route, Router, WebSocketRoute
from starlette.websockets import WebSocket

from corecors_asgi import ASGIApp, Message, Receive, Scope, Send

with warnings.catch_warnings():
    # This Starlette asks for the httpx2 package and warns when it finds httpx instead.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient as TestClient
    from starlette.testclient import WebSocketDenialResponse as WebSocketDenialResponse

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
EVIL = "https://evil.example.net"

# Response header names as ASGI and httpx spell them (lowercase).
ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"
ACAM = "access-control-allow-methods"
ACAH = "access-control-allow-headers"
ACEH = "access-control-expose-headers"
ACMA = "access-control-max-age"
APP_SET_ORIGIN = "https://set-by-the-app.example.org"

HeaderLines = Sequence[tuple[bytes, bytes]]


class BoomError(RuntimeError):
    """The unhandled exception the test applications raise."""


# -- driving an ASGI app directly --------------------------------------------------------------


@dataclass
class Sent:
    """What an application sent for one HTTP request."""

    messages: list[Message] = field(default_factory=list)

    @property
    def start(self) -> Message:
        starts = [m for m in self.messages if m["type"] == "http.response.start"]
        assert len(starts) == 1, f"expected one http.response.start, got {self.messages}"
        return starts[0]

    @property
    def status(self) -> int:
        status: int = self.start["status"]
        return status

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return [(bytes(name), bytes(value)) for name, value in self.start.get("headers", ())]

    def lines(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = name.lower().encode("latin-1")
        return [v.decode("latin-1") for n, v in self.raw_headers if n.lower() == wanted]

    def header(self, name: str) -> str | None:
        """The value of header ``name``; fails if it appears more than once."""
        values = self.lines(name)
        assert len(values) <= 1, f"{name} appears {len(values)} times: {values}"
        return values[0] if values else None

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )


def http_scope(
    method: str = "GET",
    path: str = "/",
    headers: HeaderLines = (),
    *,
    scope_type: str = "http",
    extensions: Mapping[str, Any] | None = None,
) -> Scope:
    scope: Scope = {
        "type": scope_type,
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https" if scope_type == "http" else "wss",
        "path": path,
        "raw_path": path.encode("latin-1"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"api.example.com"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 443),
    }
    if scope_type == "websocket":
        del scope["method"]
        scope["subprotocols"] = []
    if extensions is not None:
        scope["extensions"] = dict(extensions)
    return scope


async def call(
    app: ASGIApp,
    method: str = "GET",
    path: str = "/",
    headers: HeaderLines = (),
    *,
    incoming: Sequence[Message] = (),
    scope: Scope | None = None,
) -> Sent:
    """Run ``app`` for one request; ``incoming`` are the messages ``receive`` returns."""
    sent = Sent()
    queue = list(incoming) or [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)  # like a server: nothing more until the client leaves
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.messages.append(message)

    await app(scope if scope is not None else http_scope(method, path, headers), receive, send)
    return sent


def client(app: ASGIApp, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    """An httpx client that calls ``app`` in process."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="https://api.example.com")


# -- a bare ASGI application -------------------------------------------------------------------

#: Sent as is on every request to /constant: the middleware must never change it.
CONSTANT_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain"), (b"vary", b"Accept-Encoding")],
}


async def greet_websocket(receive: Receive, send: Send) -> None:
    """Accept a WebSocket handshake, send ``hello`` and close normally."""
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": "hello"})
    await send({"type": "websocket.close", "code": 1000})


class RawApp:
    """A bare ASGI application that records what reached it.

    ``GET /`` answers 200 ``ok``; other paths exercise one behaviour each (see ``_routes``).
    WebSocket scopes are accepted and greeted; lifespan events are acknowledged.
    """

    def __init__(self) -> None:
        self.calls: list[Scope] = []
        self.lifespan: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        self.calls.append(scope)
        if scope["type"] == "websocket":
            await greet_websocket(receive, send)
            return
        await self._http(scope, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            self.lifespan.append(message["type"])
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, send: Send) -> None:
        path: str = scope["path"]
        headers: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain")]
        status = 200
        body = b"ok"
        if path == "/vary-accept-encoding":
            headers.append((b"vary", b"Accept-Encoding"))
        elif path == "/vary-star":
            headers.append((b"vary", b"*"))
        elif path == "/vary-origin-lowercase":
            headers.append((b"Vary", b"origin"))
        elif path == "/vary-two-lines":
            headers += [(b"vary", b"Accept-Encoding"), (b"Vary", b"Accept-Language")]
        elif path.startswith("/app-sets-cors"):
            headers += [
                (b"Access-Control-Allow-Origin", APP_SET_ORIGIN.encode()),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-expose-headers", b"x-secret"),
                (b"x-request-id", b"42"),
            ]
        elif path == "/constant":
            await send(CONSTANT_START)
            await send({"type": "http.response.body", "body": b"ok"})
            return
        elif path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            for chunk in (b"one ", b"two ", b"three"):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        elif path == "/no-headers-key":
            await send({"type": "http.response.start", "status": 204})
            await send({"type": "http.response.body"})
            return
        elif path == "/boom":
            raise BoomError("raised before the response started")
        elif path == "/boom-after-start":
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            raise BoomError("raised after the response started")
        elif scope["method"] == "OPTIONS":
            status, body = 204, b""
            headers = [(b"allow", b"GET, HEAD, OPTIONS")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# -- Starlette ---------------------------------------------------------------------------------


async def _homepage(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _item(request: Request) -> Response:
    item_id = request.path_params["item_id"]
    return JSONResponse({"id": item_id}, headers={"x-request-id": "42"})


async def _stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b"one ", b"two ", b"three"):
            yield chunk

    return StreamingResponse(chunks(), media_type="text/plain")


async def _http_error(request: Request) -> Response:
    raise HTTPException(status_code=401, detail="log in first")


async def _boom(request: Request) -> Response:
    raise BoomError("unhandled")


async def _redirect(request: Request) -> Response:
    return RedirectResponse("/", status_code=307)


async def _not_modified(request: Request) -> Response:
    return Response(status_code=304, headers={"etag": '"v1"'})


async def _sets_own_cors(request: Request) -> Response:
    return PlainTextResponse(
        "ok", headers={"access-control-allow-origin": APP_SET_ORIGIN, "vary": "Accept-Encoding"}
    )


async def _websocket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


async def _custom_500(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "custom handler"}, status_code=500)


def starlette_routes() -> list[Route | Mount | WebSocketRoute]:
    return [
        Route("/", _homepage, methods=["GET", "HEAD", "POST", "PUT", "DELETE"]),
        Route("/stream", _stream),
        Route("/http-error", _http_error),
        Route("/boom", _boom, methods=["GET", "HEAD", "POST"]),
        Route("/redirect", _redirect),
        Route("/not-modified", _not_modified),
        Route("/own-cors", _sets_own_cors),
        WebSocketRoute("/ws", _websocket),
        Mount(
            "/api",
            routes=[
                Route("/items/{item_id}", _item, methods=["GET", "PUT", "DELETE"]),
                Route("/own-cors", _sets_own_cors),
                WebSocketRoute("/ws", _websocket),
            ],
        ),
        Mount(
            "/public", app=Router([Route("/file", _homepage), Route("/own-cors", _sets_own_cors)])
        ),
        Mount("/internal", app=Router([Route("/own-cors", _sets_own_cors)])),
    ]


def starlette_app(
    middleware: Sequence[Middleware] = (), *, custom_500: bool = False, debug: bool = False
) -> Starlette:
    return Starlette(
        debug=debug,
        routes=starlette_routes(),
        middleware=list(middleware),
        exception_handlers={500: _custom_500} if custom_500 else {},
    )


# -- FastAPI -----------------------------------------------------------------------------------


def fastapi_app(*, custom_500: bool = False) -> FastAPI:
    api = FastAPI(exception_handlers={500: _custom_500} if custom_500 else {})

    @api.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @api.put("/items/{item_id}")
    async def put_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @api.get("/http-error")
    async def http_error() -> None:
        raise FastAPIHTTPException(status_code=403, detail="not yours")

    @api.get("/boom")
    async def boom() -> None:
        raise BoomError("unhandled in FastAPI")

    @api.websocket("/ws")
    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    return api


# -- Litestar ----------------------------------------------------------------------------------


@litestar_get("/", sync_to_thread=False)
def _litestar_index() -> str:
    return "ok"


@litestar_get("/protected", sync_to_thread=False)
def _litestar_protected() -> str:
    raise NotAuthorizedException("log in first")


@litestar_get("/boom", sync_to_thread=False)
def _litestar_boom() -> str:
    raise BoomError("unhandled in Litestar")


def litestar_app() -> Litestar:
    return Litestar(route_handlers=[_litestar_index, _litestar_protected, _litestar_boom])
