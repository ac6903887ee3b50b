"""What a request is, what corecors answers, and the algorithm between them.

:class:`CompiledPolicy` holds a policy in its fast form and decides; ``CORSPolicy``
(in :mod:`corecors.policy`) validates a configuration and compiles it into one.
The algorithm below is the whole of CORS on the server side, top to bottom:

1. no ``Origin``: not a CORS request;
2. ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``: a preflight,
   answered here (2xx with the allow headers, or 403 with none);
3. anything else with ``Origin``: an actual request, passed to the application with
   ``Access-Control-Allow-Origin`` added when the origin is allowed.
"""

from __future__ import annotations

import enum
import logging
from typing import NamedTuple

from .origins import OriginMatcher, parse_origin
from .tokens import FORBIDDEN_METHODS, is_token, parse_request_header_names, printable

__all__ = [
    "CORS_RESPONSE_HEADERS",
    "DEBUG_REASON_HEADER",
    "OWNED_RESPONSE_HEADERS",
    "CompiledPolicy",
    "Decision",
    "DecisionKind",
    "Rejection",
    "RequestInfo",
]

logger = logging.getLogger("corecors")

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials"
ALLOW_METHODS = "Access-Control-Allow-Methods"
ALLOW_HEADERS = "Access-Control-Allow-Headers"
ALLOW_PRIVATE_NETWORK = "Access-Control-Allow-Private-Network"
EXPOSE_HEADERS = "Access-Control-Expose-Headers"
MAX_AGE = "Access-Control-Max-Age"

#: Every response header a decision can carry, spelled as corecors writes them.
CORS_RESPONSE_HEADERS = (
    ALLOW_ORIGIN,
    ALLOW_CREDENTIALS,
    ALLOW_METHODS,
    ALLOW_HEADERS,
    ALLOW_PRIVATE_NETWORK,
    EXPOSE_HEADERS,
    MAX_AGE,
)

#: Response headers corecors owns (lowercase): an adapter removes any the application set
#: before applying a decision, so a response never carries two Access-Control-Allow-Origin.
OWNED_RESPONSE_HEADERS = frozenset(name.lower() for name in CORS_RESPONSE_HEADERS)

#: Response header that carries the rejection reason when a policy has ``debug=True``.
DEBUG_REASON_HEADER = "CORS-Rejection-Reason"

Headers = tuple[tuple[str, str], ...]


class DecisionKind(enum.Enum):
    """The five answers ``decide`` can give."""

    NOT_CORS = "not-cors"
    """No ``Origin``: pass the request on; only ``Vary`` (or a static ``*``) applies."""
    ACTUAL_ALLOWED = "actual-allowed"
    """Pass the request on and add the headers to its response."""
    ACTUAL_REJECTED = "actual-rejected"
    """Pass the request on, add no CORS headers: the browser will hide the response."""
    PREFLIGHT_ALLOWED = "preflight-allowed"
    """Reply to the preflight with ``status`` and the headers; do not call the app."""
    PREFLIGHT_REJECTED = "preflight-rejected"
    """Reply to the preflight with ``status`` (403) and no CORS headers."""
    DISABLED = "disabled"
    """CORS handling is off here (a per-path policy of ``None``): change nothing at all."""


class Rejection(enum.Enum):
    """Machine-readable reason a CORS request was not allowed."""

    ORIGIN_NOT_ALLOWED = "origin-not-allowed"
    ORIGIN_MALFORMED = "origin-malformed"
    NULL_ORIGIN_NOT_ALLOWED = "null-origin-not-allowed"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    METHOD_MALFORMED = "method-malformed"
    METHOD_FORBIDDEN = "method-forbidden"
    HEADER_NOT_ALLOWED = "header-not-allowed"
    AUTHORIZATION_NOT_COVERED_BY_WILDCARD = "authorization-not-covered-by-wildcard"
    REQUEST_HEADERS_MALFORMED = "request-headers-malformed"
    PRIVATE_NETWORK_NOT_ALLOWED = "private-network-not-allowed"


class RequestInfo(NamedTuple):
    """The few request fields the decision needs. Immutable.

    Repeated header lines are joined with ``","`` before they go in (RFC 9110 list
    syntax): two ``Origin`` lines then make a value no browser sends, which is not
    allowed, and two ``Access-Control-Request-Headers`` lines parse as one list.
    """

    method: str
    origin: str | None = None
    request_method: str | None = None
    """``Access-Control-Request-Method``, or ``None`` when absent."""
    request_headers: str | None = None
    """The raw ``Access-Control-Request-Headers`` value, or ``None`` when absent."""
    request_private_network: bool = False
    """Whether ``Access-Control-Request-Private-Network: true`` was sent."""
    path: str = "/"
    """The request path, for choosing among per-path policies."""


class Decision(NamedTuple):
    """What to do with one request. Immutable; compare and log it freely."""

    kind: DecisionKind
    status: int | None
    """A status to reply with (preflights) instead of calling the app; ``None``: call the app."""
    headers: Headers
    """The CORS response headers to set (``Vary`` is separate)."""
    vary: tuple[str, ...]
    """Header names to merge into the response's ``Vary``."""
    reason: str | None = None
    """Why the request was not allowed, in words a developer understands."""
    rejection: Rejection | None = None
    """``reason`` as a machine-readable code."""

    @property
    def allowed(self) -> bool:
        """Whether the browser will let the page read the response (or send the request)."""
        return self.kind in (DecisionKind.ACTUAL_ALLOWED, DecisionKind.PREFLIGHT_ALLOWED)

    @property
    def is_preflight(self) -> bool:
        return self.kind in (DecisionKind.PREFLIGHT_ALLOWED, DecisionKind.PREFLIGHT_REJECTED)


_VARY_ORIGIN = ("Origin",)
# Building the tuple directly skips the named tuple's Python-level __new__ (hot path).
_new_decision = tuple.__new__


class CompiledPolicy:
    """A policy in its fast form, and the decision algorithm.

    Built by :class:`corecors.CORSPolicy`; every attribute is derived from a validated
    configuration, so deciding is lookups and comparisons only. Deciding never raises
    and never stores anything derived from the request.
    """

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
        "_matcher",
        "_max_headers_count",
        "_max_headers_length",
        "_max_origin_length",
        "_no_origin",
        "_preflight_status",
        "_preflight_tail",
        "_preflight_vary",
        "_private_network",
        "_wildcard_actual",
    )

    _actual_by_origin: dict[str, Decision]
    _actual_tail: Headers
    _allow_headers_line: Headers
    _allow_methods_header: tuple[str, str] | None
    _allowed_headers_or_empty: frozenset[str]
    _allowed_headers: frozenset[str]
    _allowed_methods: frozenset[str]
    _any_header: bool
    _any_method: bool
    _any_origin: bool
    _credentials: bool
    _debug: bool
    _matcher: OriginMatcher
    _max_headers_count: int
    _max_headers_length: int
    _max_origin_length: int
    _no_origin: Decision
    _preflight_status: int
    _preflight_tail: Headers
    _preflight_vary: tuple[str, ...]
    _private_network: bool
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
        self._debug = debug
        self._max_origin_length = max_origin_length
        self._max_headers_length = max_headers_length
        self._max_headers_count = max_headers_count

        actual_tail: list[tuple[str, str]] = []
        if credentials:
            actual_tail.append((ALLOW_CREDENTIALS, "true"))
        if expose_headers_value:
            actual_tail.append((EXPOSE_HEADERS, expose_headers_value))
        self._actual_tail = tuple(actual_tail)

        preflight_tail: list[tuple[str, str]] = []
        if credentials:
            preflight_tail.append((ALLOW_CREDENTIALS, "true"))
        if max_age is not None:
            preflight_tail.append((MAX_AGE, str(max_age)))
        self._preflight_tail = tuple(preflight_tail)

        preflight_vary = ["Access-Control-Request-Method", "Access-Control-Request-Headers"]
        if not any_origin:
            preflight_vary.insert(0, "Origin")
        if private_network:
            preflight_vary.append("Access-Control-Request-Private-Network")
        self._preflight_vary = tuple(preflight_vary)

        # A static "*" is the same for every request, so it goes on every response and
        # needs no Vary (Fetch, "CORS protocol and HTTP caches"). Anything else depends on
        # the Origin, so every response says so -- including those without one.
        wildcard_headers = ((ALLOW_ORIGIN, "*"), *self._actual_tail)
        self._wildcard_actual = Decision(DecisionKind.ACTUAL_ALLOWED, None, wildcard_headers, ())
        if any_origin:
            self._no_origin = Decision(DecisionKind.NOT_CORS, None, wildcard_headers, ())
        else:
            self._no_origin = Decision(DecisionKind.NOT_CORS, None, (), _VARY_ORIGIN)

        # Configured exact origins are few and fixed: their answers are built now.
        self._actual_by_origin = {
            origin: self._actual_allowed(origin) for origin in sorted(matcher.exact_origins)
        }
        if matcher.allow_null:
            self._actual_by_origin["null"] = self._actual_allowed("null")

    # -- deciding -------------------------------------------------------------------

    def decide(self, request: RequestInfo) -> Decision:
        """Decide what to do with ``request``. Never raises."""
        return self.decide_fields(
            request.method,
            request.origin,
            request.request_method,
            request.request_headers,
            request.request_private_network,
            request.path,
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
        if origin is None:
            return self._no_origin
        if method == "OPTIONS" and request_method is not None:
            return self._decide_preflight(
                origin, request_method, request_headers, request_private_network
            )
        decision = self._actual_by_origin.get(origin)
        if decision is not None:
            return decision
        if self._any_origin:
            return self._wildcard_actual
        if self._matcher.matches(origin):
            return self._actual_allowed(origin)
        rejection, reason = self._explain_origin(origin)
        return self._reject(DecisionKind.ACTUAL_REJECTED, None, _VARY_ORIGIN, rejection, reason)

    def decide_websocket(self, origin: str | None, path: str = "/") -> Decision:
        """Check a WebSocket handshake's ``Origin`` (cross-site WebSocket hijacking).

        WebSocket handshakes are not CORS: the browser sends cookies and checks nothing,
        so the server must refuse foreign origins itself. The same origin rules apply;
        a refusal has ``status`` 403. A handshake without ``Origin`` does not come from
        a browser page and is allowed. ``path`` is for per-path policies.
        """
        if origin is None:
            return self._no_origin
        if self._any_origin or origin in self._actual_by_origin or self._matcher.matches(origin):
            return self._actual_allowed(origin)
        rejection, reason = self._explain_origin(origin)
        return self._reject(
            DecisionKind.ACTUAL_REJECTED, 403, _VARY_ORIGIN, rejection, "WebSocket: " + reason
        )

    def _actual_allowed(self, origin: str) -> Decision:
        headers = ((ALLOW_ORIGIN, origin), *self._actual_tail)
        return _new_decision(
            Decision, (DecisionKind.ACTUAL_ALLOWED, None, headers, _VARY_ORIGIN, None, None)
        )

    def _decide_preflight(
        self, origin: str, method: str, header_list: str | None, private_network: bool
    ) -> Decision:
        vary = self._preflight_vary
        if not (
            self._any_origin or origin in self._actual_by_origin or self._matcher.matches(origin)
        ):
            rejection, reason = self._explain_origin(origin)
            return self._reject(DecisionKind.PREFLIGHT_REJECTED, 403, vary, rejection, reason)

        if method in self._allowed_methods:
            # An empty configured list (only safelisted methods) still needs a valid value.
            allow_methods = self._allow_methods_header or (ALLOW_METHODS, method)
        else:
            method_rejection, reason = self._explain_method(method)
            if method_rejection is not None:
                return self._reject_preflight(origin, vary, method_rejection, reason)
            allow_methods = (ALLOW_METHODS, method)  # any method allowed: echo the token

        allow_headers: Headers = ()
        if header_list:
            answer = self._answer_request_headers(origin, header_list, vary)
            if type(answer) is Decision:
                return answer
            allow_headers = answer  # type: ignore[assignment]

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
        headers = (
            (ALLOW_ORIGIN, "*" if self._any_origin else origin),
            *self._preflight_tail,
            allow_methods,
            *allow_headers,
        )
        return _new_decision(
            Decision,
            (DecisionKind.PREFLIGHT_ALLOWED, self._preflight_status, headers, vary, None, None),
        )

    def _answer_request_headers(
        self, origin: str, header_list: str, vary: tuple[str, ...]
    ) -> Headers | Decision:
        """The ``Access-Control-Allow-Headers`` line for a requested list, or a rejection."""
        if not self._any_header and len(header_list) <= self._max_headers_length:
            # Fast path for what browsers send (lowercase, sorted, no spaces): every element
            # in the allowed set, empty elements included, is one C-level set operation.
            elements = header_list.lower().split(",", self._max_headers_count)
            if len(
                elements
            ) <= self._max_headers_count and self._allowed_headers_or_empty.issuperset(elements):
                return self._allow_headers_line if any(elements) else ()
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
            if name not in allowed and (not self._any_header or name == "authorization"):
                return self._reject_header(origin, name, vary)
        if not names:
            return ()
        if self._any_header:
            return ((ALLOW_HEADERS, ", ".join(names)),)
        return self._allow_headers_line

    # -- explaining rejections ------------------------------------------------------

    def _reject(
        self,
        kind: DecisionKind,
        status: int | None,
        vary: tuple[str, ...],
        rejection: Rejection,
        reason: str,
    ) -> Decision:
        logger.debug("CORS %s: %s", kind.value, reason)
        headers: Headers = ((DEBUG_REASON_HEADER, reason),) if self._debug else ()
        return Decision(kind, status, headers, vary, reason, rejection)

    def _reject_preflight(
        self, origin: str, vary: tuple[str, ...], rejection: Rejection, reason: str
    ) -> Decision:
        """Refuse a preflight from an allowed origin (its method, headers or PNA request).

        Normally 403 with no CORS headers. With ``debug=True`` the answer is instead the
        success status with the allow lists minus what was refused (and no max-age, so it
        is not cached): the browser's console then names the real cause ("Method patch is
        not allowed ...") instead of a missing Access-Control-Allow-Origin. The origin is
        an allowed one, so this discloses nothing it could not learn from its own preflights.
        """
        if not self._debug:
            return self._reject(DecisionKind.PREFLIGHT_REJECTED, 403, vary, rejection, reason)
        logger.debug("CORS %s: %s", DecisionKind.PREFLIGHT_REJECTED.value, reason)
        headers: list[tuple[str, str]] = [(ALLOW_ORIGIN, "*" if self._any_origin else origin)]
        if self._credentials:
            headers.append((ALLOW_CREDENTIALS, "true"))
        if self._allow_methods_header is not None:
            headers.append(self._allow_methods_header)
        if not self._any_header and self._allowed_headers:
            headers.extend(self._allow_headers_line)
        headers.append((DEBUG_REASON_HEADER, reason))
        return Decision(
            DecisionKind.PREFLIGHT_REJECTED,
            self._preflight_status,
            tuple(headers),
            vary,
            reason,
            rejection,
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
        if not is_token(method) or len(method) > self._max_headers_length:
            return (
                Rejection.METHOD_MALFORMED,
                f"Access-Control-Request-Method {printable(method)} is not a valid method name",
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
        if name == "authorization" and self._any_header:
            return self._reject_preflight(
                origin,
                vary,
                Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD,
                "'authorization' is not covered by '*' in allow_headers (the Fetch standard "
                "excludes it); list 'authorization' explicitly",
            )
        return self._reject_preflight(
            origin,
            vary,
            Rejection.HEADER_NOT_ALLOWED,
            f"the request header {printable(name)} is not in allow_headers; add it if the "
            "page may send it",
        )
