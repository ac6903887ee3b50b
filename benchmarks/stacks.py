"""The policy, the requests and the applications every level measures.

One CORS configuration throughout: two allowed origins, four methods, five request headers,
credentials, one exposed header, a ten-minute max-age. Each peer gets the nearest
configuration it can express. Four kinds of request, each with the headers a browser
sends besides the CORS ones:

* ``no Origin``: a same-origin or non-browser request;
* ``simple allowed``: a GET from an allowed origin;
* ``simple disallowed``: a GET from another origin;
* ``preflight``: an OPTIONS preflight for PUT with five request headers.

Peers that are not installed are skipped, with the command that installs them.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from corecors import CORSPolicy

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
EVIL = "https://evil.example.net"
METHODS = ("GET", "POST", "PUT", "DELETE")
HEADERS = ("authorization", "content-type", "x-a", "x-b", "x-c")
EXPOSE = ("x-request-id",)
MAX_AGE = 600
PATH = "/api/items"

NO_ORIGIN = "no Origin"
SIMPLE_ALLOWED = "simple allowed"
SIMPLE_DISALLOWED = "simple disallowed"
PREFLIGHT = "preflight, 5 headers"
KINDS = (NO_ORIGIN, SIMPLE_ALLOWED, SIMPLE_DISALLOWED, PREFLIGHT)
#: Two more kinds, measured where they cost differently (aiohttp): a preflight without
#: request headers, and a GET from an allowed origin to a path with no route.
PREFLIGHT_PLAIN = "preflight"
NOT_FOUND = "404"
PREFLIGHTS = (PREFLIGHT_PLAIN, PREFLIGHT)
ALL_KINDS = (NO_ORIGIN, SIMPLE_ALLOWED, SIMPLE_DISALLOWED, PREFLIGHT_PLAIN, PREFLIGHT, NOT_FOUND)
#: What the ASGI levels measure: a 404 is the application's business there (the bare
#: application routes nothing), so it costs a middleware what an allowed request does.
ASGI_KINDS = (NO_ORIGIN, SIMPLE_ALLOWED, SIMPLE_DISALLOWED, PREFLIGHT_PLAIN, PREFLIGHT)
MISSING_PATH = "/api/nowhere"

#: What a browser sends besides the CORS headers (a typical fetch() from a page), as
#: (lowercase name, value): seven lines with the Origin of a simple request.
BROWSER_HEADERS: tuple[tuple[str, str], ...] = (
    ("host", "api.example.com"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari"),
    ("accept", "*/*"),
    ("accept-language", "en-GB,en;q=0.9"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("sec-fetch-mode", "cors"),
)


def cors_headers(kind: str) -> tuple[tuple[str, str], ...]:
    """The CORS request headers of one kind of request."""
    if kind == NO_ORIGIN:
        return ()
    if kind in (SIMPLE_ALLOWED, NOT_FOUND):
        return (("origin", APP),)
    if kind == SIMPLE_DISALLOWED:
        return (("origin", EVIL),)
    if kind == PREFLIGHT:
        return (
            ("origin", APP),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", ",".join(HEADERS)),
        )
    if kind == PREFLIGHT_PLAIN:
        return (("origin", APP), ("access-control-request-method", "PUT"))
    raise ValueError(kind)


def method_of(kind: str) -> str:
    return "OPTIONS" if kind in PREFLIGHTS else "GET"


def request_headers(kind: str) -> tuple[tuple[str, str], ...]:
    return (*BROWSER_HEADERS, *cors_headers(kind))


def raw_request(kind: str) -> bytes:
    """The HTTP/1.1 request a browser would send (keep-alive), as bytes."""
    lines = [f"{method_of(kind)} {MISSING_PATH if kind == NOT_FOUND else PATH} HTTP/1.1"]
    lines += [f"{name.title()}: {value}" for name, value in request_headers(kind)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def policy() -> CORSPolicy:
    return CORSPolicy(
        allow_origins=[APP, ADMIN],
        allow_methods=METHODS,
        allow_headers=HEADERS,
        allow_credentials=True,
        expose_headers=EXPOSE,
        max_age=MAX_AGE,
    )


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


#: Optional peers: import name -> how to install it.
PEER_INSTALL = {
    "starlette": "pip install starlette",
    "asgi_cors": "pip install asgi-cors",
    "uvicorn": "pip install uvicorn",
    "httptools": "pip install httptools",
    "aiohttp": "pip install aiohttp",
    "aiohttp_cors": "pip install aiohttp-cors",
}


def missing_note(modules: Mapping[str, bool]) -> list[str]:
    return [
        f"{module} is not installed, so its figures are missing: {PEER_INSTALL[module]}"
        for module, present in modules.items()
        if not present
    ]


# -- ASGI applications ------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
ASGIApp = Callable[..., Any]

_BODY = b"{}"
_BARE_HEADERS = ((b"content-type", b"application/json"), (b"content-length", b"2"))


async def asgi_bare(scope: Scope, receive: Any, send: Any) -> None:
    """The application alone: a fresh response start per request, as a framework builds one."""
    if scope["type"] == "lifespan":  # pragma: no cover - servers run with lifespan off
        return
    await send({"type": "http.response.start", "status": 200, "headers": list(_BARE_HEADERS)})
    await send({"type": "http.response.body", "body": _BODY})


class FixedHeadersASGI:
    """The blog-post CORS middleware: fixed headers on every response, fixed preflight answer.

    It checks nothing (every origin gets the same Access-Control-Allow-Origin); it is the
    least any middleware can do, the floor for "CORS in a middleware".
    """

    ACTUAL = (
        (b"access-control-allow-origin", APP.encode()),
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-expose-headers", b"x-request-id"),
    )
    PREFLIGHT = (
        (b"access-control-allow-origin", APP.encode()),
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-allow-methods", ", ".join(METHODS).encode()),
        (b"access-control-allow-headers", ", ".join(HEADERS).encode()),
        (b"access-control-max-age", str(MAX_AGE).encode()),
        (b"content-length", b"0"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            for name, _ in scope["headers"]:
                if name == b"access-control-request-method":
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 204,
                            "headers": list(self.PREFLIGHT),
                        }
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *self.ACTUAL]
            await send(message)

        await self.app(scope, receive, send_with_headers)


_BytesLines = tuple[tuple[bytes, bytes], ...]
_FLOOR_VARY_ORIGIN: _BytesLines = ((b"vary", b"Origin"),)
_FLOOR_ACTUAL: dict[bytes, _BytesLines] = {
    origin.encode(): (
        (b"access-control-allow-origin", origin.encode()),
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-expose-headers", ", ".join(EXPOSE).encode()),
        (b"vary", b"Origin"),
    )
    for origin in (APP, ADMIN)
}
_FLOOR_PREFLIGHT_VARY: _BytesLines = (
    (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
)
_FLOOR_PREFLIGHT_HEAD = {
    origin.encode(): (
        (b"access-control-allow-origin", origin.encode()),
        (b"access-control-allow-credentials", b"true"),
        (b"access-control-max-age", str(MAX_AGE).encode()),
        (b"access-control-allow-methods", ", ".join(METHODS).encode()),
    )
    for origin in (APP, ADMIN)
}
# Per listed origin: the answer without and with the Access-Control-Allow-Headers line.
_FLOOR_PREFLIGHT: dict[bytes, tuple[_BytesLines, _BytesLines]] = {
    origin: (
        (*head, *_FLOOR_PREFLIGHT_VARY),
        (
            *head,
            (b"access-control-allow-headers", ", ".join(HEADERS).encode()),
            *_FLOOR_PREFLIGHT_VARY,
        ),
    )
    for origin, head in _FLOOR_PREFLIGHT_HEAD.items()
}


class FloorASGI:
    """The floor: a hand-written ASGI middleware *correct* for :func:`policy`, everything
    prebuilt -- what a correct CORS middleware for this one policy cannot go below.

    No ``Origin``: ``Vary: Origin``. A listed origin: its prebuilt lines. Another origin:
    ``Vary: Origin`` only. A preflight: origin, method and every requested header checked,
    then a prebuilt answer (204 with the allow lines, or 403 with the preflight's ``Vary``).
    It reads lowercase header names only (uvicorn, Hypercorn by default and Daphne send them
    so), trusts that the application sets no CORS header and no ``Vary`` of its own, and
    copies the application's response start rather than changing it (an application may
    send the same message object every time): corecors_asgi does all three in general.
    """

    VARY_ORIGIN = _FLOOR_VARY_ORIGIN
    ACTUAL = _FLOOR_ACTUAL
    PREFLIGHT_VARY = _FLOOR_PREFLIGHT_VARY
    PREFLIGHT = _FLOOR_PREFLIGHT
    METHODS = frozenset(method.encode() for method in (*METHODS, "HEAD"))
    HEADERS = frozenset(name.encode() for name in HEADERS) | {b""}

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = request_method = request_headers = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                request_method = value
            elif name == b"access-control-request-headers":
                request_headers = value
        if origin is None:
            lines = self.VARY_ORIGIN
        elif request_method is not None and scope["method"] == "OPTIONS":
            await self.preflight(send, origin, request_method, request_headers)
            return
        else:
            lines = self.ACTUAL.get(origin, self.VARY_ORIGIN)

        def send_with_cors(message: dict[str, Any]) -> Any:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *lines]}
            return send(message)

        await self.app(scope, receive, send_with_cors)

    async def preflight(self, send: Any, origin: bytes, method: bytes, names: bytes | None) -> None:
        answers = self.PREFLIGHT.get(origin)
        status, lines = 403, self.PREFLIGHT_VARY
        if answers is not None and method in self.METHODS:
            if not names:
                status, lines = 204, answers[0]
            elif self.HEADERS.issuperset(name.strip(b" \t") for name in names.lower().split(b",")):
                status, lines = 204, answers[1]
        await send({"type": "http.response.start", "status": status, "headers": [*lines]})
        await send({"type": "http.response.body", "body": b""})


def asgi_stacks() -> tuple[dict[str, ASGIApp], list[str]]:
    """The ASGI applications to compare, and notes on the peers that are missing."""
    from corecors_asgi import CORSMiddleware

    stacks: dict[str, ASGIApp] = {"bare": asgi_bare}
    present = {"starlette": installed("starlette"), "asgi_cors": installed("asgi_cors")}
    if present["starlette"]:
        from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware

        stacks["starlette"] = StarletteCORSMiddleware(
            asgi_bare,
            allow_origins=[APP, ADMIN],
            allow_methods=METHODS,
            allow_headers=HEADERS,
            allow_credentials=True,
            expose_headers=EXPOSE,
            max_age=MAX_AGE,
        )
    if present["asgi_cors"]:
        from asgi_cors import asgi_cors

        # asgi-cors has no credentials, expose or preflight handling (the application answers
        # OPTIONS); its max_age writes a str header value that real servers refuse, so it is
        # left out.
        stacks["asgi-cors"] = asgi_cors(
            asgi_bare, hosts=[APP, ADMIN], headers=HEADERS, methods=METHODS
        )
    stacks["fixed"] = FixedHeadersASGI(asgi_bare)
    stacks["floor"] = FloorASGI(asgi_bare)
    stacks["corecors"] = CORSMiddleware(asgi_bare, policy=policy())
    return stacks, missing_note(present)


def asgi_scope(kind: str) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method_of(kind),
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in request_headers(kind)
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


# -- aiohttp applications ---------------------------------------------------------------------


def aiohttp_stacks() -> tuple[dict[str, Callable[[], Any]], list[str]]:
    """Factories of the aiohttp applications to compare, and notes on missing peers.

    ``options-204`` is the bare application plus an ``OPTIONS`` route answering 204: the
    least any application pays to answer an ``OPTIONS``, and the baseline for preflights
    (the bare application's answer to one is the router's 405, which costs more).
    ``plumbing`` is what ``corecors_aiohttp.setup`` installs with nothing in it: a
    middleware that calls the handler and an ``on_response_prepare`` hook that returns.
    """
    from aiohttp import hdrs, web
    from aiohttp.typedefs import Handler
    from multidict import istr

    import corecors_aiohttp

    async def data(request: web.Request) -> web.Response:
        return web.Response(body=_BODY, content_type="application/json")

    async def no_content(request: web.Request) -> web.Response:
        return web.Response(status=204)

    def bare() -> web.Application:
        app = web.Application()
        app.router.add_get(PATH, data)
        return app

    def options_204() -> web.Application:
        app = bare()
        app.router.add_route("OPTIONS", PATH, no_content)
        return app

    preflight_headers = {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": ", ".join(METHODS),
        "Access-Control-Allow-Headers": ", ".join(HEADERS),
        "Access-Control-Max-Age": str(MAX_AGE),
    }
    actual_headers = {
        "Access-Control-Allow-Origin": APP,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": ", ".join(EXPOSE),
    }

    @web.middleware
    async def fixed_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS" and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers:
            return web.Response(status=204, headers=preflight_headers)
        response = await handler(request)
        response.headers.update(actual_headers)
        return response

    def fixed() -> web.Application:
        app = web.Application(middlewares=[fixed_middleware])
        app.router.add_get(PATH, data)
        return app

    floor_middleware = _floor_middleware(web, hdrs)

    def floor() -> web.Application:
        app = web.Application(middlewares=[floor_middleware])
        app.router.add_get(PATH, data)
        return app

    async def no_op_hook(request: web.Request, response: web.StreamResponse) -> None:
        return None

    def plumbing() -> web.Application:
        """What setup() installs, doing nothing: an on_response_prepare hook that returns."""
        app = web.Application()
        app.router.add_get(PATH, data)
        app.on_response_prepare.append(no_op_hook)
        return app

    vary_origin = ((istr("Vary"), "Origin"),)

    async def vary_hook(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.extend(vary_origin)

    def vary_only() -> web.Application:
        """A prepare receiver adding ``Vary: Origin`` to every response and nothing else:
        the least any correct design can cost for a request without ``Origin``."""
        app = web.Application()
        app.router.add_get(PATH, data)
        app.on_response_prepare.append(vary_hook)
        return app

    def corecors_setup() -> web.Application:
        app = bare()
        corecors_aiohttp.setup(app, policy())
        return app

    def corecors_middleware() -> web.Application:
        app = web.Application(middlewares=[corecors_aiohttp.cors_middleware(policy())])
        app.router.add_get(PATH, data)
        return app

    factories: dict[str, Callable[[], Any]] = {
        "bare": bare,
        "options-204": options_204,
        "fixed": fixed,
        "floor": floor,
    }
    present = {"aiohttp_cors": installed("aiohttp_cors")}
    if present["aiohttp_cors"]:
        import aiohttp_cors

        def with_aiohttp_cors() -> web.Application:
            app = bare()
            options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]
                allow_credentials=True,
                expose_headers=EXPOSE,
                allow_headers=HEADERS,
                allow_methods=METHODS,
                max_age=MAX_AGE,
            )
            cors = aiohttp_cors.setup(app, defaults={APP: options, ADMIN: options})
            for route in list(app.router.routes()):
                cors.add(route)
            return app

        factories["aiohttp-cors"] = with_aiohttp_cors
    factories["plumbing"] = plumbing
    factories["vary-only"] = vary_only
    factories["corecors"] = corecors_setup
    factories["corecors-mw"] = corecors_middleware
    return factories, missing_note(present)


_Lines = tuple[tuple[str, str], ...]


def _floor_middleware(web: Any, hdrs: Any) -> Any:
    """The floor: a hand-written middleware that is *correct* for :func:`policy` and this
    application only, with everything computed in advance.

    No ``Origin``: ``Vary: Origin``. A listed origin: its prebuilt lines. Another origin:
    ``Vary: Origin`` only. A preflight: origin, method and every requested header checked,
    then a prebuilt answer (204, or 403 with the preflight's ``Vary``). Raised
    ``HTTPException``s (the router's 404 included) get the same lines. It knows nothing of
    prepared responses or aiohttp's 500 (a middleware cannot reach those): the floor is
    what the covered kinds cost, no more.
    """
    from multidict import istr

    vary = istr("Vary")
    vary_origin: _Lines = ((vary, "Origin"),)
    actual = {
        origin: (
            (istr("Access-Control-Allow-Origin"), origin),
            (istr("Access-Control-Allow-Credentials"), "true"),
            (istr("Access-Control-Expose-Headers"), ", ".join(EXPOSE)),
            *vary_origin,
        )
        for origin in (APP, ADMIN)
    }
    preflight_vary: _Lines = (
        (vary, "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
    )
    head = {
        origin: (
            (istr("Access-Control-Allow-Origin"), origin),
            (istr("Access-Control-Allow-Credentials"), "true"),
            (istr("Access-Control-Max-Age"), str(MAX_AGE)),
            (istr("Access-Control-Allow-Methods"), ", ".join(METHODS)),
        )
        for origin in (APP, ADMIN)
    }
    allow_headers = (istr("Access-Control-Allow-Headers"), ", ".join(HEADERS))
    answers = {
        origin: (
            (*lines, *preflight_vary),
            (*lines, allow_headers, *preflight_vary),
        )
        for origin, lines in head.items()
    }
    methods = frozenset(METHODS)
    allowed_headers = frozenset(HEADERS) | {""}
    origin_name = hdrs.ORIGIN
    request_method = hdrs.ACCESS_CONTROL_REQUEST_METHOD
    request_headers = hdrs.ACCESS_CONTROL_REQUEST_HEADERS
    http_exception = web.HTTPException
    response_class = web.Response

    @web.middleware  # type: ignore[untyped-decorator]
    async def floor(request: Any, handler: Any) -> Any:
        headers = request.headers
        origin = headers.get(origin_name)
        if origin is not None and request.method == "OPTIONS" and request_method in headers:
            pair = answers.get(origin)
            status: int = 403
            lines: _Lines = preflight_vary
            if pair is not None and headers[request_method] in methods:
                names = headers.get(request_headers)
                if not names:
                    status, lines = 204, pair[0]
                elif allowed_headers.issuperset(
                    name.strip(" \t") for name in names.lower().split(",")
                ):
                    status, lines = 204, pair[1]
            response = response_class(status=status)
            response.headers.extend(lines)
            return response
        lines = vary_origin if origin is None else actual.get(origin, vary_origin)
        try:
            response = await handler(request)
        except http_exception as exc:
            exc.headers.extend(lines)
            raise
        response.headers.extend(lines)
        return response

    return floor
