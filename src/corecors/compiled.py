"""The decision algorithm: a policy in its fast form, deciding each request.

``CORSPolicy`` (in :mod:`corecors.policy`) validates a configuration and compiles it into
a :class:`CompiledPolicy`; the data types it answers with are in :mod:`corecors.decision`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

from .decision import (
    ALLOW_CREDENTIALS,
    ALLOW_HEADERS,
    ALLOW_METHODS,
    ALLOW_ORIGIN,
    ALLOW_PRIVATE_NETWORK,
    DEBUG_REASON_HEADER,
    EXPOSE_HEADERS,
    MAX_AGE,
    Decision,
    DecisionKind,
    Headers,
    Rejection,
    RequestInfo,
    _decision,
    _OriginRefusal,
    _prebuilt,
    asgi_header_lines,
)
from .origins import OriginMatcher, parse_origin
from .tokens import FORBIDDEN_METHODS, is_token, parse_request_header_names, printable

__all__ = ["CompiledPolicy"]

logger: logging.Logger = logging.getLogger("corecors")
# Bound once: the hot path's refusal asks it on every request (the logger object never changes).
_debug_logged: Callable[[int], bool] = logger.isEnabledFor

# Creating a refusal without a constructor (hot path): see _OriginRefusal.
_new_refusal = object.__new__
_set_refused_origin: Callable[[Decision, str], None] = Decision.__dict__["_pending"].__set__


def _origin_refusal_class(
    policy: _Refusals,
    kind: DecisionKind,
    status: int | None,
    vary: tuple[str, ...],
    prefix: str = "",
) -> type[_OriginRefusal]:
    """The class of one policy's refusals of one kind for the origin (see _OriginRefusal)."""
    # Class attributes shadow the base's slots when read (a plain class attribute found
    # first in the MRO), so the instances leave those slots empty. _reason and _rejection
    # stay slots: they are filled when the reason is first read.
    namespace: dict[str, object] = {
        "__slots__": (),
        "__module__": __name__,
        "kind": kind,
        "status": status,
        "headers": (),
        "vary": vary,
        "_asgi": asgi_header_lines((), vary),
        "_memo": {},
        "_explainer": policy,
        "_reason_prefix": prefix,
    }
    return type("_OriginRefusal", (_OriginRefusal,), namespace)


class _AdapterDecide(Protocol):
    """The signature of :attr:`CompiledPolicy._decide_for_adapter`."""

    def __call__(
        self,
        method: str,
        origin: str | None,
        request_method: str | None = None,
        request_headers: str | None = None,
        request_private_network: bool = False,
    ) -> Decision: ...


_Value = TypeVar("_Value")
_LATIN_1 = "latin-1"


def _by_latin_1(table: Mapping[str, _Value]) -> dict[bytes, _Value]:
    """``table`` keyed by the latin-1 bytes of its keys.

    A header value decoded as latin-1 equals a key exactly when its bytes equal the key's
    latin-1 encoding, so a lookup by the raw bytes finds what a lookup by the decoded value
    finds. A key that latin-1 cannot encode equals no decoded value, and is left out.
    """
    raw: dict[bytes, _Value] = {}
    for key, value in table.items():
        try:
            raw[key.encode(_LATIN_1)] = value
        except UnicodeEncodeError:
            continue
    return raw


_DEBUG = logging.DEBUG
# A method or request-header name that is never echoed: in Access-Control-Allow-Methods or
# -Headers it is the wildcard, however the request meant it.
_STAR = "*"
_VARY_ORIGIN = ("Origin",)
# Enum members as module constants: attribute access on an Enum class is slow (hot path).
_NOT_CORS = DecisionKind.NOT_CORS
_ACTUAL_ALLOWED = DecisionKind.ACTUAL_ALLOWED
_ACTUAL_REJECTED = DecisionKind.ACTUAL_REJECTED
_PREFLIGHT_ALLOWED = DecisionKind.PREFLIGHT_ALLOWED
_PREFLIGHT_REJECTED = DecisionKind.PREFLIGHT_REJECTED


def _actual_tail(credentials: bool, expose_headers_value: str | None) -> Headers:
    """The headers every allowed actual request gets after Access-Control-Allow-Origin."""
    tail: list[tuple[str, str]] = []
    if credentials:
        tail.append((ALLOW_CREDENTIALS, "true"))
    if expose_headers_value:
        tail.append((EXPOSE_HEADERS, expose_headers_value))
    return tuple(tail)


def _preflight_tail(credentials: bool, max_age: int | None) -> Headers:
    """The headers every allowed preflight gets after Access-Control-Allow-Origin."""
    tail: list[tuple[str, str]] = []
    if credentials:
        tail.append((ALLOW_CREDENTIALS, "true"))
    if max_age is not None:
        tail.append((MAX_AGE, str(max_age)))
    return tuple(tail)


def _preflight_vary(any_origin: bool, private_network: bool) -> tuple[str, ...]:
    """The request headers a preflight's answer depends on."""
    vary = ["Access-Control-Request-Method", "Access-Control-Request-Headers"]
    if not any_origin:
        vary.insert(0, "Origin")
    if private_network:
        vary.append("Access-Control-Request-Private-Network")
    return tuple(vary)


class _Refusals:
    """Refusing a request and saying why: the reasons, the debug header, the log line.

    Off the hot path (a refusal for the origin is explained only when its reason is read).
    The fields are :class:`CompiledPolicy`'s, set by :meth:`_CompiledForm._compile`.
    """

    __slots__ = ()

    _allow_headers_line: Headers
    _allow_methods_header: tuple[str, str] | None
    _allowed_headers: frozenset[str]
    _allowed_methods: frozenset[str]
    _any_header: bool
    _any_method: bool
    _any_origin: bool
    _credentials: bool
    _debug: bool
    _max_headers_length: int
    _max_origin_length: int
    _preflight_status: int
    _rejected_preflight_status: int

    def _reject(
        self,
        kind: DecisionKind,
        status: int | None,
        vary: tuple[str, ...],
        rejection: Rejection,
        reason: str,
    ) -> Decision:
        if logger.isEnabledFor(_DEBUG):
            logger.debug("CORS %s: %s", kind.value, reason)
        headers: Headers = ((DEBUG_REASON_HEADER, reason),) if self._debug else ()
        return _decision(kind, status, headers, vary, reason, rejection)

    def _refuse_origin(self, refusal: type[_OriginRefusal], origin: str) -> Decision:
        """Refuse a request for its origin (``refusal``: one of this policy's refusal
        classes), explaining why only when someone asks; at once with ``debug=True``, whose
        answers carry the reason."""
        decision: Decision = _new_refusal(refusal)
        _set_refused_origin(decision, origin)
        if self._debug:
            rejection, reason = self._explain_origin(origin)
            return self._reject(
                decision.kind,
                decision.status,
                decision.vary,
                rejection,
                refusal._reason_prefix + reason,
            )
        if logger.isEnabledFor(_DEBUG):
            logger.debug("CORS %s: %s", decision.kind.value, decision.reason)
        return decision

    def _reject_preflight(
        self, origin: str, vary: tuple[str, ...], rejection: Rejection, reason: str
    ) -> Decision:
        """Refuse a preflight from an allowed origin (its method, headers or PNA request).

        Normally 403 (or the policy's ``rejected_preflight_status``) with no CORS headers.
        With ``debug=True`` the answer is instead the success status with the allow lists
        minus what was refused (and no max-age, so it is not cached): the browser's console
        then names the real cause ("Method patch is not allowed ...") instead of a missing
        Access-Control-Allow-Origin. The origin is an allowed one, so this discloses nothing
        it could not learn from its own preflights.
        """
        if not self._debug:
            return self._reject(
                _PREFLIGHT_REJECTED, self._rejected_preflight_status, vary, rejection, reason
            )
        if logger.isEnabledFor(_DEBUG):
            logger.debug("CORS %s: %s", _PREFLIGHT_REJECTED.value, reason)
        headers: list[tuple[str, str]] = [(ALLOW_ORIGIN, "*" if self._any_origin else origin)]
        if self._credentials:
            headers.append((ALLOW_CREDENTIALS, "true"))
        if self._allow_methods_header is not None:
            headers.append(self._allow_methods_header)
        if not self._any_header and self._allowed_headers:
            headers.extend(self._allow_headers_line)
        headers.append((DEBUG_REASON_HEADER, reason))
        return _decision(
            _PREFLIGHT_REJECTED, self._preflight_status, tuple(headers), vary, reason, rejection
        )

    def _explain_origin(self, origin: str) -> tuple[Rejection, str]:
        if origin == "null":
            return (
                Rejection.NULL_ORIGIN_NOT_ALLOWED,
                "the origin is 'null' (a sandboxed iframe, a data: or file: page, or a "
                "redirected request), which this policy does not trust",
            )
        if parse_origin(origin, max_length=self._max_origin_length) is None:
            return (
                Rejection.ORIGIN_MALFORMED,
                f"the Origin header {printable(origin)} is not a serialized origin a "
                "browser would send (or is longer than the limit)",
            )
        return (
            Rejection.ORIGIN_NOT_ALLOWED,
            f"the origin {printable(origin)} is not allowed by this policy; add it to "
            "allow_origins if it should be",
        )

    def _explain_method(self, method: str) -> tuple[Rejection | None, str]:
        """Reject ``method`` unless the policy allows any method; ``None``: allowed."""
        if len(method) > self._max_headers_length or not is_token(method):  # length first
            return (
                Rejection.METHOD_MALFORMED,
                f"Access-Control-Request-Method {printable(method)} is not a valid method name",
            )
        if method == _STAR:
            return (
                Rejection.METHOD_NOT_ALLOWED,
                "a method literally named '*' cannot be allowed: echoed in "
                "Access-Control-Allow-Methods, '*' means every method to browsers",
            )
        if method.upper() in FORBIDDEN_METHODS:
            return (
                Rejection.METHOD_FORBIDDEN,
                f"the method {printable(method)} is forbidden by the Fetch standard; no "
                "browser sends it",
            )
        if self._any_method:
            return None, ""
        hint = ""
        if method.upper() in self._allowed_methods:
            hint = (
                f" (methods are case-sensitive: {method.upper()!r} is allowed, but the page "
                f"sent {method!r}; browsers uppercase only DELETE, GET, HEAD, OPTIONS, POST "
                "and PUT, so write the method in uppercase in the page's fetch())"
            )
        return (
            Rejection.METHOD_NOT_ALLOWED,
            f"the method {printable(method)} is not in allow_methods{hint}",
        )

    def _reject_header(self, origin: str, name: str, vary: tuple[str, ...]) -> Decision:
        if name == _STAR:
            return self._reject_preflight(
                origin,
                vary,
                Rejection.HEADER_NOT_ALLOWED,
                "a request header literally named '*' cannot be allowed: echoed in "
                "Access-Control-Allow-Headers, '*' means every header to browsers",
            )
        if name == "authorization" and self._any_header:
            return self._reject_preflight(
                origin,
                vary,
                Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD,
                "'*' alone in allow_headers excludes 'authorization' (the Fetch standard never "
                "lets '*' cover it); list 'authorization' next to '*'",
            )
        return self._reject_preflight(
            origin,
            vary,
            Rejection.HEADER_NOT_ALLOWED,
            f"the request header {printable(name)} is not in allow_headers; add it if the "
            "page may send it",
        )


class _ByteAnswers(_Refusals):
    """The answers built in advance again, keyed by raw header bytes, for an adapter that
    reads request fields as bytes (ASGI): most requests are then decided without decoding
    a field or calling into the core. The tables copy :class:`_CompiledForm`'s (set by its
    ``_compile``), so they are bounded by the configuration, never by request input.
    """

    __slots__ = (
        "_raw_actual",
        "_raw_headers_or_empty",
        "_raw_methods",
        "_raw_preflight",
        "_raw_refused",
    )

    _raw_actual: dict[bytes, Decision]
    _raw_headers_or_empty: frozenset[bytes]
    _raw_methods: frozenset[bytes]
    _raw_preflight: dict[bytes, tuple[Decision | None, Decision]]
    _raw_refused: Decision | None
    # _CompiledForm's fields, which the tables copy.
    _actual_by_origin: dict[str, Decision]
    _allowed_headers_or_empty: frozenset[str]
    _has_patterns: bool
    _max_headers_count: int
    _origin_limit: int
    _preflight_by_origin: dict[str, tuple[Decision | None, Decision]]
    _refused_actual_unexplained: Decision
    _wildcard_preflight: tuple[Decision | None, Decision] | None

    def _build_raw_answers(self) -> None:
        """Build the tables. For an actual request (not a preflight) whose one ``Origin``
        line is ``raw``, no longer than ``_origin_limit``, _decide_for_adapter answers
        ``_raw_actual[raw]`` when there is one, else ``_raw_refused`` unless that is
        ``None`` or debug logging is on (the refusal is then logged in full). Preflights
        are :meth:`_decide_raw_preflight`'s. ``_origin_limit`` is at most the largest input
        limit (a configured origin is a DNS name, a few hundred characters at most), so an
        adapter's cut of a field to ``MAX_INPUT_LIMIT + 1`` never makes a value match."""
        self._raw_actual = _by_latin_1(self._actual_by_origin)
        self._raw_preflight = _by_latin_1(self._preflight_by_origin)
        self._raw_methods = frozenset(_by_latin_1(dict.fromkeys(self._allowed_methods)))
        self._raw_headers_or_empty = frozenset(
            _by_latin_1(dict.fromkeys(self._allowed_headers_or_empty))
        )
        # Only exact origins (and perhaps "null"): decide_fields refuses every origin missing
        # from the table (its last step), so a miss is the shared refusal. Not with debug=True,
        # whose refusals explain themselves in a header.
        exact_only = not (self._any_origin or self._has_patterns or self._debug)
        self._raw_refused = self._refused_actual_unexplained if exact_only else None

    def _decide_raw_preflight(
        self,
        origin: bytes,
        request_method: bytes,
        request_headers: bytes | None,
        request_private_network: bytes | None,
    ) -> Decision | None:
        """:meth:`_decide_for_adapter`'s answer to a preflight (``OPTIONS`` with these raw
        fields, each the bytes of its one header line or ``None`` when absent) when it was
        built in advance: a listed origin (or ``"*"``) asking for configured methods and
        headers, without Private Network Access. ``None`` otherwise: decode the fields
        (latin-1) and ask :meth:`_decide_for_adapter`. The steps are _decide_preflight's
        fast path, on the tables of _build_raw_answers; tests/core/test_properties.py checks
        that the two agree.
        """
        if len(origin) <= self._origin_limit:  # a longer origin is never hashed
            answers = self._raw_preflight.get(origin, self._wildcard_preflight)
        else:
            answers = self._wildcard_preflight
        if (
            answers is None
            or request_private_network is not None
            or request_method not in self._raw_methods
        ):
            return None
        with_headers, without_headers = answers
        if not request_headers:
            return without_headers
        if with_headers is None or len(request_headers) > self._max_headers_length:
            return None  # any header allowed (the answer echoes the request), or too long
        # bytes.lower() changes ASCII letters only, like str.lower() on a latin-1 value
        # (whose non-ASCII letters never lower to ASCII): the same names, the same answer.
        elements = request_headers.lower().split(b",", self._max_headers_count)
        if len(elements) > self._max_headers_count or not (
            self._raw_headers_or_empty.issuperset(elements)
        ):
            return None
        return with_headers if any(elements) else without_headers


class _CompiledForm(_ByteAnswers):
    """A policy's fast form: every field derived once from a validated configuration,
    and the answers that can be built in advance."""

    __slots__ = (
        "_actual_by_origin",
        "_actual_tail",
        "_allow_headers_line",
        "_allow_methods_header",
        "_allowed_headers",
        "_allowed_headers_or_empty",
        "_allowed_methods",
        "_any_header",
        "_any_method",
        "_any_origin",
        "_credentials",
        "_debug",
        "_decide_for_adapter",
        "_has_patterns",
        "_longest_method",
        "_matcher",
        "_max_headers_count",
        "_max_headers_length",
        "_max_origin_length",
        "_no_origin",
        "_origin_limit",
        "_preflight_by_origin",
        "_preflight_status",
        "_preflight_tail",
        "_preflight_vary",
        "_private_network",
        "_refusal_apart",
        "_refused_actual",
        "_refused_actual_unexplained",
        "_refused_preflight",
        "_refused_websocket",
        "_rejected_preflight_status",
        "_wildcard_actual",
        "_wildcard_preflight",
    )

    _actual_tail: Headers
    #: :meth:`decide_fields` for an adapter that applies the decision and shows it to nobody
    #: (set by _build_adapter_view): the same answer, except that an actual request refused
    #: for its origin gets one refusal built in advance, whose ``reason`` does not name the
    #: origin, instead of one built per request (still logged in full when debug logging is
    #: on, and explained in its header with ``debug=True``). Checked against decide_fields by
    #: tests/core/test_properties.py.
    _decide_for_adapter: _AdapterDecide
    _matcher: OriginMatcher
    _longest_method: int
    _no_origin: Decision
    _preflight_tail: Headers
    _preflight_vary: tuple[str, ...]
    _private_network: bool
    _refused_actual: type[_OriginRefusal]
    _refused_preflight: type[_OriginRefusal]
    _refused_websocket: type[_OriginRefusal]
    _refusal_apart: bool
    _wildcard_actual: Decision

    def _compile(
        self,
        *,
        matcher: OriginMatcher,
        any_origin: bool,
        credentials: bool,
        allowed_methods: frozenset[str],
        any_method: bool,
        allowed_headers: frozenset[str],
        any_header: bool,
        allow_methods_value: str,
        allow_headers_value: str,
        expose_headers_value: str | None,
        max_age: int | None,
        private_network: bool,
        preflight_status: int,
        debug: bool,
        rejected_preflight_status: int = 403,
        max_origin_length: int,
        max_headers_length: int,
        max_headers_count: int,
    ) -> None:
        """Derive the fast form. Called once, by the configuration's constructor."""
        self._matcher = matcher
        self._any_origin = any_origin
        self._credentials = credentials
        self._allowed_methods = allowed_methods
        self._any_method = any_method
        self._allowed_headers = allowed_headers
        self._any_header = any_header
        self._allow_methods_header = (
            (ALLOW_METHODS, allow_methods_value) if allow_methods_value else None
        )
        self._allow_headers_line = ((ALLOW_HEADERS, allow_headers_value),)
        self._allowed_headers_or_empty = allowed_headers | {""}
        self._private_network = private_network
        self._preflight_status = preflight_status
        self._rejected_preflight_status = rejected_preflight_status
        self._debug = debug
        self._max_origin_length = max_origin_length
        self._max_headers_length = max_headers_length
        self._max_headers_count = max_headers_count
        self._actual_tail = _actual_tail(credentials, expose_headers_value)
        self._preflight_tail = _preflight_tail(credentials, max_age)
        self._preflight_vary = _preflight_vary(any_origin, private_network)
        self._build_shared_answers()
        self._build_listed_answers()
        self._build_raw_answers()
        self._build_adapter_view()

    def _build_shared_answers(self) -> None:
        """The answers that do not depend on which origin asked, and the refusal classes."""
        # A static "*" is the same for every request, so it goes on every response and
        # needs no Vary (Fetch, "CORS protocol and HTTP caches"). Anything else depends on
        # the Origin, so every response says so -- including those without one.
        wildcard_headers = ((ALLOW_ORIGIN, "*"), *self._actual_tail)
        self._wildcard_actual = _prebuilt(_ACTUAL_ALLOWED, None, wildcard_headers, ())
        if self._any_origin:
            self._no_origin = _prebuilt(_NOT_CORS, None, wildcard_headers, ())
        else:
            self._no_origin = _prebuilt(_NOT_CORS, None, (), _VARY_ORIGIN)
        # Refusals for the origin: one class each, instantiated per refusal (_OriginRefusal).
        self._refused_actual = _origin_refusal_class(self, _ACTUAL_REJECTED, None, _VARY_ORIGIN)
        self._refused_actual_unexplained = _decision(
            _ACTUAL_REJECTED,
            None,
            (),
            _VARY_ORIGIN,
            "the origin is not allowed by this policy (an adapter's answer, which does not "
            "say which origin or why)",
            Rejection.ORIGIN_NOT_ALLOWED,
            asgi_header_lines((), _VARY_ORIGIN),
            {},
        )
        self._refused_preflight = _origin_refusal_class(
            self, _PREFLIGHT_REJECTED, self._rejected_preflight_status, self._preflight_vary
        )
        self._refused_websocket = _origin_refusal_class(
            self, _ACTUAL_REJECTED, 403, _VARY_ORIGIN, "WebSocket: "
        )

    def _build_listed_answers(self) -> None:
        """Configured exact origins are few and fixed: their answers are built now, for
        actual requests and for the preflights that ask for configured methods and headers."""
        matcher = self._matcher
        self._has_patterns = matcher.has_patterns
        self._longest_method = max((len(name) for name in self._allowed_methods), default=0)
        listed = sorted(matcher.exact_origins) + (["null"] if matcher.allow_null else [])
        # No origin longer than this is listed: a longer one is never hashed (hostile input).
        self._origin_limit = max([self._max_origin_length, *(len(origin) for origin in listed)])
        self._actual_by_origin = {
            origin: _prebuilt(
                _ACTUAL_ALLOWED, None, ((ALLOW_ORIGIN, origin), *self._actual_tail), _VARY_ORIGIN
            )
            for origin in listed
        }
        self._preflight_by_origin = {}
        self._wildcard_preflight = None
        if self._allow_methods_header is not None:
            if self._any_origin:
                self._wildcard_preflight = self._preflight_answers("*")
            else:
                self._preflight_by_origin = {
                    origin: self._preflight_answers(origin) for origin in listed
                }

    def _build_adapter_view(self) -> None:
        """:attr:`CompiledPolicy._decide_for_adapter`: this policy's ``decide_fields``,
        run on a twin of this compiled form whose refusal for the origin, on an actual
        request, is the one built in advance (``_refused_actual_unexplained``; the twin's
        ``_refusal_apart`` is set). One rule, two answers to a refusal, no extra call on any
        request."""
        twin: CompiledPolicy = object.__new__(CompiledPolicy)
        for cls in (_ByteAnswers, _CompiledForm):
            for name in cls.__slots__:
                if name not in ("_decide_for_adapter", "_refusal_apart"):
                    object.__setattr__(twin, name, getattr(self, name))
        object.__setattr__(twin, "_refusal_apart", True)
        object.__setattr__(twin, "_decide_for_adapter", twin.decide_fields)
        self._refusal_apart = self._debug
        self._decide_for_adapter = twin.decide_fields

    def _preflight_answers(self, allow_origin: str) -> tuple[Decision | None, Decision]:
        """The accepted preflight from one origin for configured methods, with and without
        the requested headers' line (``None`` when that line echoes the request)."""
        assert self._allow_methods_header is not None
        head = ((ALLOW_ORIGIN, allow_origin), *self._preflight_tail, self._allow_methods_header)
        status, vary = self._preflight_status, self._preflight_vary
        with_headers = (
            None
            if self._any_header
            else _prebuilt(_PREFLIGHT_ALLOWED, status, (*head, *self._allow_headers_line), vary)
        )
        return with_headers, _prebuilt(_PREFLIGHT_ALLOWED, status, head, vary)


class CompiledPolicy(_CompiledForm):
    """A policy in its fast form, and the decision algorithm.

    Built by :class:`corecors.CORSPolicy`; every attribute is derived from a validated
    configuration, so deciding is lookups and comparisons only. Deciding never raises
    and never stores anything derived from the request. The steps cite the Fetch
    standard by anchor (``F#anchor``) the way :mod:`corecors.browser` does.
    """

    __slots__ = ()

    def decide(self, request: RequestInfo) -> Decision:
        """Decide what to do with ``request``. Never raises."""
        # One unpacking of the named tuple: cheaper than reading its six fields by name.
        method, origin, request_method, request_headers, private_network, path = request
        return self.decide_fields(
            method, origin, request_method, request_headers, private_network, path
        )

    def decide_fields(
        self,
        method: str,
        origin: str | None,
        request_method: str | None = None,
        request_headers: str | None = None,
        request_private_network: bool = False,
        path: str = "/",
    ) -> Decision:
        """:meth:`decide` without building a :class:`RequestInfo` (for adapters).

        ``path`` is accepted so that a single policy and per-path policies are called
        the same way; a single policy ignores it.
        """
        # No Origin: not a CORS request (F#http-origin); only Vary, or a static "*", applies
        # (F#cors-protocol-and-http-caches).
        if origin is None:
            return self._no_origin
        # OPTIONS with Origin and Access-Control-Request-Method: a CORS-preflight request
        # (F#cors-preflight-fetch steps 1-5), answered here.
        if method == "OPTIONS" and request_method is not None:
            return self._decide_preflight(
                origin, request_method, request_headers, request_private_network
            )
        # Anything else: an actual request. Its response passes the CORS check (F#cors-check
        # steps 2-7) when Access-Control-Allow-Origin is the origin, byte for byte, or "*"
        # without credentials. A listed origin's answer is built in advance.
        if len(origin) <= self._origin_limit:
            decision = self._actual_by_origin.get(origin)
            if decision is not None:
                return decision
        if self._any_origin:
            return self._wildcard_actual
        if self._has_patterns and self._matcher.matches_pattern(origin):
            return self._actual_allowed(origin)
        # Not allowed: no CORS headers, so the CORS check fails (F#cors-check step 2).
        if self._refusal_apart:
            # With debug=True, a refusal explained at once; in _decide_for_adapter's twin
            # (see _build_adapter_view), the one built in advance -- unless debug logging is
            # on, which logs each refusal in full. One flag, so that the common refusal below
            # costs one check, as before the twin.
            if self._debug or _debug_logged(_DEBUG):
                return self._refuse_origin(self._refused_actual, origin)
            return self._refused_actual_unexplained
        # _refuse_origin(), inlined: the most common refusal, explained only when read.
        refusal: Decision = _new_refusal(self._refused_actual)
        _set_refused_origin(refusal, origin)
        if _debug_logged(_DEBUG):
            logger.debug("CORS %s: %s", _ACTUAL_REJECTED.value, refusal.reason)
        return refusal

    def decide_websocket(self, origin: str | None, path: str = "/") -> Decision:
        """Check a WebSocket handshake's ``Origin`` (cross-site WebSocket hijacking).

        WebSocket handshakes are not CORS: the browser sends cookies and checks nothing,
        so the server must refuse foreign origins itself. The same origin rules apply;
        a refusal has ``status`` 403. A handshake without ``Origin`` does not come from
        a browser page and is allowed. ``path`` is for per-path policies.
        """
        if origin is None:
            return self._no_origin
        if self._origin_allowed(origin):
            return self._wildcard_actual if self._any_origin else self._actual_allowed(origin)
        return self._refuse_origin(self._refused_websocket, origin)

    def _origin_allowed(self, origin: str) -> bool:
        """Whether ``origin`` is allowed (never hashes one longer than any listed origin)."""
        if self._any_origin:
            return True
        if len(origin) <= self._origin_limit and origin in self._actual_by_origin:
            return True
        return self._has_patterns and self._matcher.matches_pattern(origin)

    def _actual_allowed(self, origin: str) -> Decision:
        headers = ((ALLOW_ORIGIN, origin), *self._actual_tail)
        return _decision(_ACTUAL_ALLOWED, None, headers, _VARY_ORIGIN)

    def _actual_answers_for_adapter(self) -> tuple[dict[str, Decision], Decision | None]:
        """What :meth:`_decide_for_adapter` answers an actual request (not a preflight), by
        its origin, as far as it is built in advance: the answer to each listed origin
        (every method alike), and the one to any other origin when that is the shared
        refusal (only listed origins allowed, ``debug`` off), else ``None``. For an adapter
        that encodes these answers once; bounded by the configuration. While debug logging
        is on, ask :meth:`_decide_for_adapter` instead of using the shared refusal: it logs
        each refusal in full.
        """
        # The byte tables' shared refusal (see _build_raw_answers): one rule for both adapters.
        return dict(self._actual_by_origin), self._raw_refused

    def _decide_preflight(
        self, origin: str, method: str, header_list: str | None, private_network: bool
    ) -> Decision:
        # Access-Control-Request-Headers as browsers send it (lowercase, sorted, no spaces:
        # F#cors-preflight-fetch step 5) is checked against the configured names in one
        # C-level set operation: configured names only (True), none at all (False: empty
        # elements only), or None when the list needs the full parse (or any header is
        # allowed). Worked out here, once, for both paths below: a helper method would cost a
        # call on every preflight (+0.08 us, 4%, on a five-header preflight through the ASGI
        # adapter: python -m benchmarks --level asgi --quick, four interleaved runs).
        listed: bool | None = None
        if (
            header_list
            and not self._any_header
            and len(header_list) <= self._max_headers_length
            and header_list.isascii()  # str.lower() turns some non-ASCII letters into ASCII
        ):
            elements = header_list.lower().split(",", self._max_headers_count)
            if len(elements) <= self._max_headers_count and (
                self._allowed_headers_or_empty.issuperset(elements)
            ):
                listed = any(elements)
        # Fast path: a listed origin (or "*") asking for a configured method and configured
        # headers gets one of two answers built at compile time.
        if len(origin) <= self._origin_limit:
            answers = self._preflight_by_origin.get(origin, self._wildcard_preflight)
        else:
            answers = self._wildcard_preflight
        if (
            answers is not None
            and not private_network
            and len(method) <= self._longest_method
            and method in self._allowed_methods
        ):
            with_headers, without_headers = answers
            if not header_list or listed is False:
                return without_headers
            if listed and with_headers is not None:
                return with_headers
        return self._decide_preflight_in_full(origin, method, header_list, listed, private_network)

    def _decide_preflight_in_full(
        self,
        origin: str,
        method: str,
        header_list: str | None,
        listed: bool | None,
        private_network: bool,
    ) -> Decision:
        """The preflight's response as the browser checks it (F#cors-preflight-fetch step 7),
        each check in the browser's order; the first that fails refuses the preflight."""
        vary = self._preflight_vary
        # The CORS check on the preflight's response (step 7, F#cors-check).
        if not self._origin_allowed(origin):
            return self._refuse_origin(self._refused_preflight, origin)
        # The method: in Access-Control-Allow-Methods, byte for byte (step 7.5).
        if len(method) <= self._longest_method and method in self._allowed_methods:
            # An empty configured list (only safelisted methods) still needs a valid value.
            allow_methods = self._allow_methods_header or (ALLOW_METHODS, method)
        else:
            method_rejection, reason = self._explain_method(method)
            if method_rejection is not None:
                return self._reject_preflight(origin, vary, method_rejection, reason)
            # Any method allowed: echo the token (never "*", see _explain_method).
            allow_methods = (ALLOW_METHODS, method)
        # Each requested header: in Access-Control-Allow-Headers, "*" never covering
        # authorization (steps 7.6-7.7).
        allow_headers: Headers = ()
        if header_list:
            answer = self._answer_request_headers(origin, header_list, listed, vary)
            if isinstance(answer, Decision):
                return answer
            allow_headers = answer
        # Private Network Access: Access-Control-Allow-Private-Network (CORS-RULES.md §8).
        if private_network:
            if not self._private_network:
                return self._reject_preflight(
                    origin,
                    vary,
                    Rejection.PRIVATE_NETWORK_NOT_ALLOWED,
                    "the preflight asks for private network access "
                    "(Access-Control-Request-Private-Network: true); set "
                    "allow_private_network=True to allow it",
                )
            allow_headers = (*allow_headers, (ALLOW_PRIVATE_NETWORK, "true"))
        # An ok status (F#ok-status) with the allow lists and the max-age (steps 7.8-7.10).
        headers = (
            (ALLOW_ORIGIN, "*" if self._any_origin else origin),
            *self._preflight_tail,
            allow_methods,
            *allow_headers,
        )
        return _decision(_PREFLIGHT_ALLOWED, self._preflight_status, headers, vary)

    def _answer_request_headers(
        self, origin: str, header_list: str, listed: bool | None, vary: tuple[str, ...]
    ) -> Headers | Decision:
        """The ``Access-Control-Allow-Headers`` line for a requested list, or a rejection
        (``listed``: what the fast check in _decide_preflight found)."""
        if listed is not None:
            return self._allow_headers_line if listed else ()
        names = parse_request_header_names(
            header_list, max_length=self._max_headers_length, max_count=self._max_headers_count
        )
        if names is None:
            reason = (
                f"Access-Control-Request-Headers is malformed or longer than the limits "
                f"({self._max_headers_length} characters, {self._max_headers_count} "
                f"names): {printable(header_list)}"
            )
            return self._reject_preflight(origin, vary, Rejection.REQUEST_HEADERS_MALFORMED, reason)
        allowed = self._allowed_headers
        for name in names:
            if name not in allowed and (
                not self._any_header or name == "authorization" or name == _STAR
            ):
                return self._reject_header(origin, name, vary)
        if not names:
            return ()
        if self._any_header:
            return ((ALLOW_HEADERS, ", ".join(names)),)
        return self._allow_headers_line
