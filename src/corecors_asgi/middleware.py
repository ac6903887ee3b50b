"""The ASGI middleware: reads the request fields corecors needs and applies its decision.

Pure ASGI: no request or response objects. Per HTTP request it makes one pass over
``scope["headers"]``, asks the policy (:class:`corecors.CORSPolicy`, :class:`corecors.PathPolicies`
or any :class:`corecors.CORSDecider`) for a :class:`corecors.Decision`, and then either answers
a preflight itself or calls the application with a ``send`` that adds the decision's headers to
``http.response.start``. Everything CORS means is decided by the core; this module only reads
and writes bytes.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any, Final, TypedDict, Unpack

from corecors import (
    CORS_RESPONSE_HEADERS,
    DEBUG_REASON_HEADER,
    OWNED_RESPONSE_HEADERS,
    CORSConfigError,
    CORSDecider,
    CORSPolicy,
    Decision,
    DecisionKind,
    Rejection,
    merge_vary,
)
from corecors.decision import AsgiHeaders, asgi_header_lines
from corecors.exchange import check_decider, core_policy, join_field_lines
from corecors.links import doc_url
from corecors.policy import MAX_INPUT_LIMIT, _unknown_key_problems

from .types import AnyASGIApp, Message, Receive, Scope, Send

__all__ = [
    "STARLETTE_ALL_METHODS",
    "STARLETTE_DEFAULT_MAX_AGE",
    "STARLETTE_SAFELISTED_HEADERS",
    "CORSMiddleware",
    "CORSPolicyOptions",
    "policy_from_starlette_arguments",
]

logger: logging.Logger = logging.getLogger("corecors")


class _Default(int):
    """An ``int`` default that can be told from the same number written by the caller."""

    __slots__ = ()


#: ``max_age`` when the Starlette-style arguments leave it out: Starlette's default, and the
#: largest value every browser honours in full (Safari caps preflight caching at 600 s).
STARLETTE_DEFAULT_MAX_AGE: Final[int] = _Default(600)

#: Request headers Starlette's CORSMiddleware always allows in preflights, whatever
#: ``allow_headers`` says. The Starlette-style arguments add them too (spelt and sorted as
#: Starlette lists them), so a page that sends ``Content-Type: application/json`` keeps
#: working after the switch.
STARLETTE_SAFELISTED_HEADERS: Final = (
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Content-Type",
)

#: What Starlette's ``allow_methods=["*"]`` stands for; the Starlette-style ``"*"`` means the
#: same, while ``CORSPolicy(allow_methods=["*"])`` allows any method.
STARLETTE_ALL_METHODS: Final = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")

# Where the Starlette-style arguments keep Starlette's answers to preflights.
_STARLETTE_PREFLIGHT_STATUS: Final = 200
_STARLETTE_REJECTED_PREFLIGHT_STATUS: Final = 400


class CORSPolicyOptions(TypedDict, total=False):
    """corecors' own options, accepted by :class:`CORSMiddleware` beside Starlette's arguments.

    Each is the :class:`corecors.CORSPolicy` keyword of the same name, so advice such as
    "set dangerously_allow_insecure_origins=True" can be followed in the ``add_middleware``
    call as written.
    """

    allow_origin_predicate: Callable[[str], bool] | None
    allow_null_origin: bool
    preflight_status: int
    rejected_preflight_status: int
    debug: bool
    dangerously_allow_insecure_origins: bool
    dangerously_allow_public_suffix_wildcards: bool
    max_origin_length: int
    max_request_headers_length: int
    max_request_headers_count: int


_STARLETTE_ARGUMENTS: Final = (
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "allow_credentials",
    "allow_origin_regex",
    "allow_private_network",
    "expose_headers",
    "max_age",
)
_MIDDLEWARE_OPTIONS: Final = ("policy", "handle_errors", "check_websocket_origin")

_DISABLED: Final = DecisionKind.DISABLED
_DEBUG_LEVEL: Final = logging.DEBUG
_LATIN_1: Final = "latin-1"
# A request field is cut to this many bytes before decoding: longer than any policy's input
# limit, so the decision is unchanged, and a megabyte-sized header costs no more to decode.
_FIELD_CAP: Final = MAX_INPUT_LIMIT + 1

# Request headers the decision reads, by their lowercase names.
_ORIGIN: Final = b"origin"
_REQUEST_METHOD: Final = b"access-control-request-method"
_REQUEST_HEADERS: Final = b"access-control-request-headers"
_REQUEST_PRIVATE_NETWORK: Final = b"access-control-request-private-network"
_REQUEST_FIELDS: Final = frozenset(
    {_ORIGIN, _REQUEST_METHOD, _REQUEST_HEADERS, _REQUEST_PRIVATE_NETWORK}
)
# Names of request headers that are not CORS fields and that most requests carry, lowercase
# and capitalized as HTTP/1.1 clients write them. ASGI servers may keep header-name case
# (Hypercorn's h11_pass_raw_headers), so any other name costs a case check; these skip it
# with one set lookup, which keeps the common lowercase request as cheap as before.
_OTHER_COMMON_FIELDS: Final = frozenset(
    spelling
    for name in (
        b"accept",
        b"accept-encoding",
        b"accept-language",
        b"authorization",
        b"cache-control",
        b"connection",
        b"content-length",
        b"content-type",
        b"cookie",
        b"dnt",
        b"forwarded",
        b"host",
        b"if-modified-since",
        b"if-none-match",
        b"pragma",
        b"priority",
        b"referer",
        b"sec-ch-ua",
        b"sec-ch-ua-mobile",
        b"sec-ch-ua-platform",
        b"sec-fetch-dest",
        b"sec-fetch-mode",
        b"sec-fetch-site",
        b"sec-fetch-user",
        b"sec-websocket-extensions",
        b"sec-websocket-key",
        b"sec-websocket-version",
        b"te",
        b"upgrade",
        b"upgrade-insecure-requests",
        b"user-agent",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-proto",
        b"x-real-ip",
        b"x-requested-with",
    )
    for spelling in (name, name.title())
)

# Response header names the core writes, pre-encoded (ASGI wants lowercase names). A fixed
# table of constants: a name missing from it (a custom decider's) is encoded when used.
_NAME_BYTES: Final[dict[str, bytes]] = {
    name: name.lower().encode(_LATIN_1) for name in (*CORS_RESPONSE_HEADERS, DEBUG_REASON_HEADER)
}
# Response header names whose app-set lines are removed before a decision's are added.
_OWNED: Final = frozenset(name.encode(_LATIN_1) for name in OWNED_RESPONSE_HEADERS)
_VARY: Final = b"vary"
# App header names that need the careful merge (owned ones to drop, Vary to merge into).
_OWNED_OR_VARY: Final = _OWNED | {_VARY}
# Lowercase names of response headers most applications set, none of them owned nor Vary:
# skipped with one set lookup; any other name is lowercased to be compared (an app or
# framework may write any case).
_OTHER_COMMON_RESPONSE_FIELDS: Final = frozenset(
    {
        b"cache-control",
        b"content-disposition",
        b"content-encoding",
        b"content-language",
        b"content-length",
        b"content-type",
        b"date",
        b"etag",
        b"expires",
        b"last-modified",
        b"location",
        b"server",
        b"set-cookie",
        b"transfer-encoding",
    }
)

_TEXT_PLAIN: Final = (b"content-type", b"text/plain; charset=utf-8")
_ERROR_BODY: Final = b"Internal Server Error"
_ERROR_HEADERS: Final = (
    _TEXT_PLAIN,
    (b"content-length", str(len(_ERROR_BODY)).encode(_LATIN_1)),
)
# Preflight answers that may have a body get Starlette's short text ones.
_PREFLIGHT_OK: Final = b"OK"
_PREFLIGHT_OK_HEADERS: Final = (_TEXT_PLAIN, (b"content-length", b"2"))
_REFUSED_PART: Final = {
    Rejection.ORIGIN_NOT_ALLOWED: "origin",
    Rejection.ORIGIN_MALFORMED: "origin",
    Rejection.NULL_ORIGIN_NOT_ALLOWED: "origin",
    Rejection.METHOD_NOT_ALLOWED: "method",
    Rejection.METHOD_MALFORMED: "method",
    Rejection.METHOD_FORBIDDEN: "method",
    Rejection.HEADER_NOT_ALLOWED: "headers",
    Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD: "headers",
    Rejection.REQUEST_HEADERS_MALFORMED: "headers",
    Rejection.PRIVATE_NETWORK_NOT_ALLOWED: "private-network",
}
_LIFESPAN_STARTUP: Final = "lifespan.startup"
_INTERNAL_ERROR: Final = 1011
_FORBIDDEN_BODY: Final = b"Forbidden: this origin may not open a WebSocket here"
_FORBIDDEN_HEADERS: Final = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_FORBIDDEN_BODY)).encode(_LATIN_1)),
)
_WEBSOCKET_DENIAL_EXTENSION: Final = "websocket.http.response"
_POLICY_VIOLATION: Final = 1008


def _encode_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """A decision's headers as ASGI header lines (lowercase names, latin-1 values)."""
    names = _NAME_BYTES
    return [
        (names.get(name) or name.lower().encode(_LATIN_1), value.encode(_LATIN_1))
        for name, value in headers
    ]


def _vary_line(existing: list[bytes] | None, names: tuple[str, ...]) -> tuple[bytes, bytes] | None:
    """The one ``Vary`` line that merges ``names`` into the app's ``Vary`` lines (if any)."""
    if existing is None:
        # Nothing to merge with: the names (distinct, as the core makes them), joined.
        return (_VARY, ", ".join(names).encode(_LATIN_1)) if names else None
    merged = merge_vary(", ".join(value.decode(_LATIN_1) for value in existing), names)
    return None if merged is None else (_VARY, merged.encode(_LATIN_1))


def _response_headers(raw: Iterable[Any], decision: Decision) -> list[Any]:
    """The app's response header lines with the decision applied.

    The app's lines for headers corecors owns are dropped (so there is never a second
    ``Access-Control-Allow-Origin``), the decision's lines are added, and ``Vary`` is merged
    into one line when the decision varies. Names compare case-insensitively.
    """
    vary = decision.vary
    owned = _OWNED
    existing_vary: list[bytes] | None = None
    headers = []
    for name, value in raw:
        lowered = name.lower()
        if lowered in owned:
            continue
        if lowered == _VARY and vary:
            if existing_vary is None:
                existing_vary = [value]
            else:
                existing_vary.append(value)
            continue
        headers.append((name, value))
    if decision.headers:
        headers += _encode_headers(decision.headers)
    if vary:
        line = _vary_line(existing_vary, vary)
        if line is not None:
            headers.append(line)
    return headers


class CORSMiddleware:
    """CORS for any ASGI application, decided by corecors. docs/asgi.md has the details.

    Configure it with Starlette's arguments (``allow_origins``, ``allow_methods``, ...: a
    change of import for a Starlette or FastAPI user), plus any of corecors' own options
    (:class:`CORSPolicyOptions`), which build a :class:`corecors.CORSPolicy` through
    :func:`policy_from_starlette_arguments`; or with ``policy=``: a
    :class:`corecors.CORSPolicy`, :class:`corecors.PathPolicies` or any
    :class:`corecors.CORSDecider`. Not both.

    A refused configuration raises :class:`corecors.CORSConfigError`; built lazily by a
    framework (Starlette's ``add_middleware``), the middleware instead fails the
    ``lifespan`` startup with the problem list. ``handle_errors`` (default on): an allowed
    CORS request whose application raises before responding gets a 500 that carries the
    CORS headers, and the exception is re-raised. ``check_websocket_origin`` (default off):
    WebSocket handshakes from origins the policy does not allow are refused with 403. The
    ``policy`` property can be reassigned while serving; each request sees one policy whole.
    """

    __slots__ = ("_policy", "_refusal", "_single", "app", "check_websocket_origin", "handle_errors")

    def __init__(
        self,
        app: AnyASGIApp,
        allow_origins: Collection[str] | None = None,
        allow_methods: Collection[str] | None = None,
        allow_headers: Collection[str] | None = None,
        allow_credentials: bool | None = None,
        allow_origin_regex: str | None = None,
        allow_private_network: bool | None = None,
        expose_headers: Collection[str] | None = None,
        max_age: int | None = STARLETTE_DEFAULT_MAX_AGE,
        *,
        policy: CORSDecider | None = None,
        handle_errors: bool = True,
        check_websocket_origin: bool = False,
        **options: Unpack[CORSPolicyOptions],
    ) -> None:
        self.app: AnyASGIApp = app
        self.handle_errors: bool = handle_errors
        self.check_websocket_origin: bool = check_websocket_origin
        self._refusal: CORSConfigError | None = None
        # The policy when it is one CORSPolicy for every path (corecors.exchange.core_policy):
        # each request is then decided without its path, from the core's tables or through
        # its adapters' entry. None otherwise: the policy is asked with the routed path.
        self._single: CORSPolicy | None
        try:
            self._policy: CORSDecider = check_decider(
                _decider_from_arguments(
                    policy,
                    allow_origins,
                    allow_methods,
                    allow_headers,
                    allow_credentials,
                    allow_origin_regex,
                    allow_private_network,
                    expose_headers,
                    max_age,
                    options,
                )
            )
        except CORSConfigError as error:
            if not _built_by_framework():
                raise
            # Raised here, the error would end the framework's first ASGI call, which servers
            # take for "lifespan unsupported" before answering every request with 500.
            self._refusal = error
            self._policy = _REFUSED
        self._single = core_policy(self._policy)

    @property
    def policy(self) -> CORSDecider:
        """The policy in force. Assigning a new one swaps it atomically for later requests.

        Reading it raises :class:`corecors.CORSConfigError` when the configuration was refused.
        """
        if self._refusal is not None:
            raise self._refusal
        return self._policy

    @policy.setter
    def policy(self, policy: CORSDecider) -> None:
        checked = check_decider(policy)
        # The single policy last: a request that reads it sees the new policy whole.
        self._single = None
        self._policy = checked
        self._refusal = None
        self._single = core_policy(checked)

    def __repr__(self) -> str:
        policy = "<refused>" if self._refusal is not None else repr(self._policy)
        return f"{type(self).__name__}(app={self.app!r}, policy={policy})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        # One pass over the request headers, keeping the CORS fields' raw bytes. The common
        # case, lowercase names and each field at most once, is read here; a field on several
        # lines (never from a browser) or a name in another case (a server may keep the
        # client's, as Hypercorn can) is irregular: _decide_in_full reads the list again.
        origin = request_method = request_headers = private_network = None
        irregular = False
        for name, raw in scope["headers"]:
            if name in _OTHER_COMMON_FIELDS:
                continue
            if name == _ORIGIN:
                if origin is not None:
                    irregular = True
                    break
                origin = raw
            elif name == _REQUEST_METHOD:
                if request_method is not None:
                    irregular = True
                    break
                request_method = raw
            elif name == _REQUEST_HEADERS:
                if request_headers is not None:
                    irregular = True
                    break
                request_headers = raw
            elif name == _REQUEST_PRIVATE_NETWORK:
                if private_network is not None:
                    irregular = True
                    break
                private_network = raw
            elif not name.islower() and name.lower() in _REQUEST_FIELDS:
                irregular = True
                break
        single = self._single
        decision = None
        if single is not None and not irregular:
            # One CORSPolicy: most requests are answered from its tables by their raw bytes,
            # as the core would answer them decoded (see CompiledPolicy._build_raw_answers).
            if origin is None:
                decision = single._no_origin
            elif request_method is None or scope["method"] != "OPTIONS":
                if len(origin) <= single._origin_limit:  # a longer one is never hashed
                    decision = single._raw_actual.get(origin)
                if decision is None and not logger.isEnabledFor(_DEBUG_LEVEL):
                    decision = single._raw_refused
            else:
                decision = single._decide_raw_preflight(
                    origin, request_method, request_headers, private_network
                )
        if decision is None:
            if self._refusal is not None:
                await _refuse_to_serve(self._refusal, scope, receive, send)
                return
            fields = (origin, request_method, request_headers, private_network)
            decision = _decide_in_full(self._policy, single, scope, None if irregular else fields)
            if decision is None:
                await self.app(scope, receive, send)  # CORS is off here: change nothing
                return
        if decision.status is not None:
            # A preflight: answered here, the application is not called.
            lines = decision._asgi or asgi_header_lines(decision.headers, decision.vary)
            if decision.status == 204:
                # The common answer, inline (no coroutine of its own): no body, and nothing
                # said of its length (RFC 9110).
                await send({"type": "http.response.start", "status": 204, "headers": [*lines]})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await _answer_preflight(send, decision, lines)
            return
        started = False

        # A plain function returning send()'s awaitable, not a coroutine function of its own:
        # the application awaits what it returns, and no extra coroutine is made per message.
        # It reads the decision's lines from the decision (encoded in advance by the core,
        # nearly always): one variable fewer shared with it costs less than reading one more.
        def send_with_cors(message: Message) -> Awaitable[None]:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                try:
                    raw = message["headers"]
                except KeyError:  # optional in ASGI (cheaper than .get when present)
                    raw = ()
                if type(raw) is not list and type(raw) is not tuple:
                    raw = list(raw)  # any iterable: read it once
                for name, _ in raw:
                    if name in _OTHER_COMMON_RESPONSE_FIELDS:
                        continue
                    if name.lower() in _OWNED_OR_VARY:
                        headers = _response_headers(raw, decision)
                        break
                else:
                    # Nearly always: the app set no header corecors owns and no Vary.
                    lines = decision._asgi or asgi_header_lines(decision.headers, decision.vary)
                    headers = [*raw, *lines]
                # A copy: an app may send the same (module-level) message on every request.
                message = {**message, "headers": headers}
            return send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            # Only an allowed request needs corecors' 500 (the page must read it); any other
            # keeps the framework's 500 handler, which may report the error or answer JSON.
            if self.handle_errors and not started and decision.allowed:
                lines = decision._asgi or asgi_header_lines(decision.headers, decision.vary)
                # The app's exception, re-raised below, is the one worth reporting.
                with contextlib.suppress(Exception):
                    await _send_error(send, lines, scope["method"])
            raise

    async def _not_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Lifespan and WebSocket scopes (and any other type): passed through untouched,
        except a refused configuration and, when checked, a WebSocket's origin."""
        if self._refusal is not None:
            await _refuse_to_serve(self._refusal, scope, receive, send)
        elif scope["type"] == "websocket" and self.check_websocket_origin:
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a WebSocket handshake from a disallowed origin; pass the rest through."""
        origin = _joined_fields(scope["headers"])[0]
        origin_text = None if origin is None else origin[:_FIELD_CAP].decode(_LATIN_1)
        path: str = scope["path"]
        root_path = scope.get("root_path")
        if root_path:
            path = _route_path(path, root_path)
        decision = self._policy.decide_websocket(origin_text, path)
        if decision.status is None:
            await self.app(scope, receive, send)
            return
        message = await receive()
        if message["type"] != "websocket.connect":
            return  # the client went away before the handshake
        if _WEBSOCKET_DENIAL_EXTENSION in (scope.get("extensions") or {}):
            headers = [*_FORBIDDEN_HEADERS, *_encode_headers(decision.headers)]
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": decision.status,
                    "headers": headers,
                }
            )
            await send({"type": "websocket.http.response.body", "body": _FORBIDDEN_BODY})
        else:
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": _POLICY_VIOLATION})


_RawFields = tuple[bytes | None, bytes | None, bytes | None, bytes | None]


def _decide_in_full(
    policy: CORSDecider, single: CORSPolicy | None, scope: Scope, fields: _RawFields | None
) -> Decision | None:
    """The decision for a request the single-policy tables do not answer: the fields
    (``None``: irregular, read again from the scope) decoded, then decided by the one policy
    without a path, or by the policy in force for the routed path. ``None``: CORS is off
    for this path (a per-path policy of ``None``), so nothing may change."""
    if fields is None:
        fields = _joined_fields(scope["headers"])
    origin, request_method, request_headers, private_network = fields
    decoded = (
        None if origin is None else origin[:_FIELD_CAP].decode(_LATIN_1),
        None if request_method is None else request_method[:_FIELD_CAP].decode(_LATIN_1),
        None if request_headers is None else request_headers[:_FIELD_CAP].decode(_LATIN_1),
        private_network == b"true",
    )
    method: str = scope["method"]
    if single is not None:
        # One policy for every path (a CORSPolicy): no path to work out, and a refusal for
        # the origin is built once, not per request (nothing here reads its reason).
        return single._decide_for_adapter(method, *decoded)
    path: str = scope["path"]
    root_path = scope.get("root_path")
    if root_path:
        path = _route_path(path, root_path)
    decision = policy.decide_fields(method, *decoded, path)
    if decision.kind is _DISABLED and decision.status is None:
        return None
    return decision


def _joined_fields(headers: Iterable[tuple[bytes, bytes]]) -> _RawFields:
    """Origin, Access-Control-Request-Method, -Headers and -Private-Network, each field's
    lines joined by the core's one rule (:func:`corecors.exchange.join_field_lines`).

    Two ``Origin`` lines then make a value no browser sends, which the core refuses, and two
    ``Access-Control-Request-Headers`` lines one list. Linear in the lines, whatever their number.
    """
    joined = join_field_lines(headers, _REQUEST_FIELDS, b",")
    return (
        joined.get(_ORIGIN),
        joined.get(_REQUEST_METHOD),
        joined.get(_REQUEST_HEADERS),
        joined.get(_REQUEST_PRIVATE_NETWORK),
    )


def _route_path(path: str, root_path: str) -> str:
    """The path the application routes: ``path`` without the ``root_path`` it is mounted at.

    Starlette's rule (``get_route_path``; Django and Litestar agree on every path under the
    root path): servers that put the root path in ``path`` (uvicorn ``--root-path``, a
    Starlette ``Mount``) have it removed; servers that leave it out (Hypercorn) give ``path``
    unchanged. ``/`` when ``path`` is the root path itself.
    """
    if not path.startswith(root_path):
        return path
    if len(path) == len(root_path):
        return "/"
    if path[len(root_path)] == "/":
        return path[len(root_path) :]
    return path


async def _answer_preflight(send: Send, decision: Decision, lines: AsgiHeaders) -> None:
    """Answer a preflight whose status is not 204 (sent inline by the caller): the decision's
    status and lines, and Starlette's short text body ("OK", "Disallowed CORS origin", ...)."""
    status = decision.status
    if decision.allowed:
        headers, body = [*lines, *_PREFLIGHT_OK_HEADERS], _PREFLIGHT_OK
    else:
        part = _REFUSED_PART.get(decision.rejection) if decision.rejection else None
        body = f"Disallowed CORS {part or 'preflight'}".encode(_LATIN_1)
        headers = [*lines, _TEXT_PLAIN, (b"content-length", str(len(body)).encode(_LATIN_1))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _refuse_to_serve(
    error: CORSConfigError, scope: Scope, receive: Receive, send: Send
) -> None:
    """Keep an application whose CORS configuration was refused from serving anything.

    The ``lifespan`` startup fails with the problem list (servers log it and exit); should
    a server run no lifespan, each request gets a 500 and the error is logged.
    """
    text = (
        "corecors_asgi.CORSMiddleware refused its configuration, so the application must "
        f"not start:\n{error}"
    )
    kind = scope["type"]
    if kind == "lifespan":
        message = await receive()
        if message["type"] == _LIFESPAN_STARTUP:
            await send({"type": "lifespan.startup.failed", "message": text})
        return
    logger.error("%s", text)
    if kind == "http":
        await _send_error(send, (), scope.get("method", "GET"))
    elif kind == "websocket":
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": _INTERNAL_ERROR})


def _built_by_framework() -> bool:
    """Whether a framework is building the middleware lazily, inside an ASGI call.

    Starlette (and FastAPI, which inherits it) build ``add_middleware`` and ``middleware=[...]``
    classes in ``build_middleware_stack``, called from the first ASGI call. Called from
    ``CORSMiddleware.__init__``, frame 2 is whoever called the class (``type.__call__`` has
    no Python frame).
    """
    getframe = getattr(sys, "_getframe", None)
    if getframe is None:  # pragma: no cover - every CPython and PyPy has it
        return False
    try:
        caller = getframe(2)
    except ValueError:  # pragma: no cover - built from the top of a stack
        return False
    return bool(caller.f_code.co_name == "build_middleware_stack")


async def _send_error(send: Send, lines: AsgiHeaders, method: str) -> None:
    """Send a plain 500 carrying the decision's headers (the app raised before starting)."""
    headers = [*_ERROR_HEADERS, *lines]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    body = b"" if method == "HEAD" else _ERROR_BODY
    await send({"type": "http.response.body", "body": body, "more_body": False})


class _RefusedConfiguration:
    """Stands in for the policy of a middleware whose configuration was refused."""

    __slots__ = ()

    def _refused(self, *args: object) -> Decision:  # pragma: no cover - never called
        raise RuntimeError("the CORS configuration was refused; nothing may be decided")

    decide = decide_fields = decide_websocket = _refused


_REFUSED: Final[Any] = _RefusedConfiguration()


def _decider_from_arguments(
    policy: CORSDecider | None,
    allow_origins: Collection[str] | None,
    allow_methods: Collection[str] | None,
    allow_headers: Collection[str] | None,
    allow_credentials: bool | None,
    allow_origin_regex: str | None,
    allow_private_network: bool | None,
    expose_headers: Collection[str] | None,
    max_age: int | None,
    options: CORSPolicyOptions,
) -> object:
    """What the constructor's arguments ask for: ``policy``, or the Starlette-style policy."""
    unknown = [name for name in options if name not in CORSPolicyOptions.__annotations__]
    if unknown:
        known = {*_STARLETTE_ARGUMENTS, *CORSPolicyOptions.__annotations__, *_MIDDLEWARE_OPTIONS}
        raise CORSConfigError(
            [
                problem.replace("configuration key", "CORSMiddleware option")
                for problem in _unknown_key_problems(unknown, known)
            ]
        )
    starlette_arguments = {
        "allow_origins": allow_origins,
        "allow_methods": allow_methods,
        "allow_headers": allow_headers,
        "allow_credentials": allow_credentials,
        "allow_origin_regex": allow_origin_regex,
        "allow_private_network": allow_private_network,
        "expose_headers": expose_headers,
        "max_age": None if max_age is STARLETTE_DEFAULT_MAX_AGE else max_age,
    }
    given = [name for name, value in starlette_arguments.items() if value is not None]
    given += list(options)
    if max_age is None:
        given.append("max_age")
    if policy is None:
        return policy_from_starlette_arguments(
            allow_origins,
            allow_methods,
            allow_headers,
            allow_credentials,
            allow_origin_regex,
            allow_private_network,
            expose_headers,
            max_age,
            **options,
        )
    if given:
        names = sorted(given)
        raise CORSConfigError(
            [
                "CORSMiddleware takes either policy= or Starlette-style arguments, not both; "
                f"got policy= and {', '.join(names)}. Put those settings in the policy: "
                "CORSPolicy(" + ", ".join(f"{name}=..." for name in names) + ")"
            ]
        )
    return policy


def policy_from_starlette_arguments(
    allow_origins: Collection[str] | None = None,
    allow_methods: Collection[str] | None = None,
    allow_headers: Collection[str] | None = None,
    allow_credentials: bool | None = None,
    allow_origin_regex: str | None = None,
    allow_private_network: bool | None = None,
    expose_headers: Collection[str] | None = None,
    max_age: int | None = STARLETTE_DEFAULT_MAX_AGE,
    **options: Unpack[CORSPolicyOptions],
) -> CORSPolicy:
    """The :class:`corecors.CORSPolicy` that Starlette-style arguments describe.

    It answers as Starlette's CORSMiddleware does wherever that is safe:

    * ``None`` means "not given". ``allow_methods`` not given allows GET, HEAD and POST (the
      methods that never need listing); ``["*"]`` means Starlette's eight methods
      (:data:`STARLETTE_ALL_METHODS`).
    * :data:`STARLETTE_SAFELISTED_HEADERS` are added to ``allow_headers``, as Starlette does;
      ``["*"]`` allows every requested header, ``authorization`` included (Starlette echoes
      whatever is asked), so it becomes ``"*"`` plus an explicit ``"authorization"``:
      ``CORSPolicy``'s own ``"*"`` keeps the Fetch standard's meaning, which excludes it.
    * ``max_age`` left out is 600, as in Starlette; ``None`` leaves the header out.
    * Preflights are answered 200 and refused ones 400, unless ``preflight_status`` or
      ``rejected_preflight_status`` say otherwise.
    * ``options`` are passed on to ``CORSPolicy`` as they are.

    A configuration the core refuses raises :class:`corecors.CORSConfigError`, with a note
    where Starlette would have accepted it.
    """
    origins: Iterable[str] = () if allow_origins is None else allow_origins
    if isinstance(origins, Iterable) and not isinstance(origins, str):
        origins = list(origins)  # read once: it may be a generator
    arguments: dict[str, Any] = {
        "preflight_status": _STARLETTE_PREFLIGHT_STATUS,
        "rejected_preflight_status": _STARLETTE_REJECTED_PREFLIGHT_STATUS,
        **options,
    }
    try:
        return CORSPolicy(
            allow_origins=origins,
            allow_origin_regex=allow_origin_regex,
            allow_methods=_starlette_methods(allow_methods),
            allow_headers=_starlette_headers(allow_headers),
            expose_headers=() if expose_headers is None else expose_headers,
            allow_credentials=False if allow_credentials is None else allow_credentials,
            max_age=int(max_age) if type(max_age) is _Default else max_age,
            allow_private_network=(
                False if allow_private_network is None else allow_private_network
            ),
            **arguments,
        )
    except CORSConfigError as error:
        raise _with_starlette_notes(error, allow_credentials, origins) from None


def _starlette_methods(allow_methods: Collection[str] | None) -> Iterable[str]:
    """Starlette's ``allow_methods``: GET, HEAD and POST when not given; ``"*"``, its eight."""
    methods: Iterable[str] = ("GET", "HEAD", "POST") if allow_methods is None else allow_methods
    if isinstance(methods, Iterable) and not isinstance(methods, str):
        methods = list(methods)
        if "*" in methods:
            methods = list(STARLETTE_ALL_METHODS)
    return methods


def _starlette_headers(allow_headers: Collection[str] | None) -> Iterable[str]:
    """Starlette's ``allow_headers``: with the safelisted four; ``"*"`` with authorization."""
    headers: Iterable[str] = () if allow_headers is None else allow_headers
    if isinstance(headers, Iterable) and not isinstance(headers, str):
        headers = list(headers)
        if "*" in headers:
            if not any(
                isinstance(name, str) and name.lower() == "authorization" for name in headers
            ):
                headers.append("authorization")
        else:
            # Starlette's order and spelling: the sorted union with the safelisted four.
            headers = sorted({*STARLETTE_SAFELISTED_HEADERS, *headers}, key=_sort_key)
    return headers


def _with_starlette_notes(
    error: CORSConfigError, allow_credentials: bool | None, origins: Iterable[str]
) -> CORSConfigError:
    """``error`` with notes on where Starlette would have accepted the configuration."""
    notes = []
    if allow_credentials is True and isinstance(origins, list) and "*" in origins:
        notes.append(
            "this differs from Starlette: Starlette's CORSMiddleware accepts "
            "allow_origins=['*'] with allow_credentials=True and then echoes every "
            "request's Origin with Access-Control-Allow-Credentials: true, so any website "
            "can read your users' authenticated responses. corecors refuses it: list the "
            "origins that may send credentials, or drop allow_credentials"
        )
    notes.append(
        "corecors_asgi.CORSMiddleware takes Starlette's arguments, and every CORSPolicy "
        "option beside them, but refuses configurations Starlette accepts silently; the "
        "differences are in "
        f"'Coming from Starlette': {doc_url('docs/asgi.md', 'coming-from-starlette')}"
    )
    return CORSConfigError(error.problems, error.warnings, [*error.notes, *notes])


def _sort_key(name: object) -> str:
    """Sort key for a configured name that may not be a string (CORSPolicy reports that)."""
    return name if isinstance(name, str) else repr(name)
