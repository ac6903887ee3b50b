"""What a request is, what corecors answers, and the algorithm between them.

:class:`CompiledPolicy` holds a policy in its fast form and decides; ``CORSPolicy``
(in :mod:`corecors.policy`) validates a configuration and compiles it into one.
The algorithm below is the whole of CORS on the server side, top to bottom:

1. no ``Origin``: not a CORS request;
2. ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``: a preflight,
   answered here (2xx with the allow headers, or 403 -- or 400 -- with none);
3. anything else with ``Origin``: an actual request, passed to the application with
   ``Access-Control-Allow-Origin`` added when the origin is allowed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, NamedTuple

if TYPE_CHECKING:
    from .compiled import CompiledPolicy

__all__ = [
    "CORS_RESPONSE_HEADERS",
    "DEBUG_REASON_HEADER",
    "OWNED_RESPONSE_HEADERS",
    "Decision",
    "DecisionKind",
    "Rejection",
    "RequestInfo",
]

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
    """Reply to the preflight with ``status`` (403, or 400) and no CORS headers."""
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


AsgiHeaders = tuple[tuple[bytes, bytes], ...]


class Decision:
    """What to do with one request. Immutable; compare and log it freely.

    Built as ``Decision(kind, status, headers, vary, reason=None, rejection=None)``; equal
    when those six fields are equal. A refusal's ``reason`` and ``rejection`` are worked
    out when first read, so that a refusal nobody reads costs no explanation.
    """

    __slots__ = (
        "_asgi",
        "_memo",
        "_pending",
        "_reason",
        "_rejection",
        "headers",
        "kind",
        "status",
        "vary",
    )

    # Plain annotations of the slots, so that every type checker reads each field as its own
    # type. Read-only all the same: __setattr__ refuses every assignment at run time.
    kind: DecisionKind
    """Which of the answers this is."""
    status: int | None
    """A status to reply with (preflights) instead of calling the app; ``None``: call the app."""
    headers: Headers
    """The CORS response headers to set (``Vary`` is separate)."""
    vary: tuple[str, ...]
    """Header names to merge into the response's ``Vary``."""
    _reason: str | None
    _rejection: Rejection | None
    # The origin of a refusal not explained yet (see _OriginRefusal), else None.
    _pending: str | None
    # Who explains a pending refusal, and the start of its reason (set by _OriginRefusal's
    # per-policy subclasses; a decision with nothing pending never reads them).
    _explainer: ClassVar[CompiledPolicy | None] = None
    _reason_prefix: ClassVar[str] = ""
    # The headers and the Vary line as ASGI header lines (lowercase names, latin-1 bytes),
    # when known in advance (prebuilt decisions); None: the ASGI adapter encodes them.
    _asgi: AsgiHeaders | None
    # For decisions built once at compile time (and so few and long-lived): where an adapter
    # may keep its own encoding of this decision, under a key of its own. None otherwise,
    # so that nothing is ever stored per request.
    _memo: dict[str, object] | None

    def __init__(
        self,
        kind: DecisionKind,
        status: int | None,
        headers: Headers,
        vary: tuple[str, ...],
        reason: str | None = None,
        rejection: Rejection | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "kind", kind)
        set_(self, "status", status)
        set_(self, "headers", headers)
        set_(self, "vary", vary)
        set_(self, "_reason", reason)
        set_(self, "_rejection", rejection)
        set_(self, "_pending", None)
        set_(self, "_asgi", None)
        set_(self, "_memo", None)

    @property
    def reason(self) -> str | None:
        """Why the request was not allowed, in words a developer understands."""
        if self._pending is not None:
            self._explain()
        return self._reason

    @property
    def rejection(self) -> Rejection | None:
        """``reason`` as a machine-readable code."""
        if self._pending is not None:
            self._explain()
        return self._rejection

    @property
    def allowed(self) -> bool:
        """Whether the browser will let the page read the response (or send the request)."""
        return self.kind in (DecisionKind.ACTUAL_ALLOWED, DecisionKind.PREFLIGHT_ALLOWED)

    @property
    def is_preflight(self) -> bool:
        return self.kind in (DecisionKind.PREFLIGHT_ALLOWED, DecisionKind.PREFLIGHT_REJECTED)

    def _explain(self) -> None:
        origin = self._pending
        policy = self._explainer
        if origin is None or policy is None:
            return
        rejection, reason = policy._explain_origin(origin)
        set_ = object.__setattr__
        set_(self, "_rejection", rejection)
        set_(self, "_reason", self._reason_prefix + reason)
        set_(self, "_pending", None)

    def _fields(self) -> tuple[object, ...]:
        return (self.kind, self.status, self.headers, self.vary, self.reason, self.rejection)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self is other or self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __iter__(self) -> Iterator[object]:
        """The six fields in order, so that a decision unpacks like the named tuple it was."""
        return iter(self._fields())

    def __repr__(self) -> str:
        return (
            f"Decision(kind={self.kind!r}, status={self.status!r}, headers={self.headers!r}, "
            f"vary={self.vary!r}, reason={self.reason!r}, rejection={self.rejection!r})"
        )

    def __reduce__(self) -> tuple[type[Decision], tuple[object, ...]]:
        return (Decision, self._fields())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Decision is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Decision is immutable; cannot delete {name!r}")


class _NewDecision(Decision):
    """Builds a :class:`Decision` fast (hot path): plain slot stores, then the class swap.

    ``Decision.__setattr__`` refuses every assignment, which makes its own constructor go
    through ``object.__setattr__`` eight times. This twin has the same slots and ordinary
    assignment; :func:`_decision` fills one and turns it into a ``Decision``.
    """

    __slots__ = ()
    __setattr__ = object.__setattr__  # type: ignore[assignment]
    __delattr__ = object.__delattr__  # pyright: ignore[reportAssignmentType]

    def __init__(
        self,
        kind: DecisionKind,
        status: int | None,
        headers: Headers,
        vary: tuple[str, ...],
        reason: str | None,
        rejection: Rejection | None,
        asgi: AsgiHeaders | None,
        memo: dict[str, object] | None = None,
    ) -> None:
        self.kind = kind
        self.status = status
        self.headers = headers
        self.vary = vary
        self._reason = reason
        self._rejection = rejection
        self._pending = None
        self._asgi = asgi
        self._memo = memo


def _decision(
    kind: DecisionKind,
    status: int | None,
    headers: Headers,
    vary: tuple[str, ...],
    reason: str | None = None,
    rejection: Rejection | None = None,
    asgi: AsgiHeaders | None = None,
    memo: dict[str, object] | None = None,
) -> Decision:
    decision = _NewDecision(kind, status, headers, vary, reason, rejection, asgi, memo)
    decision.__class__ = Decision  # type: ignore[assignment]
    return decision


class _OriginRefusal(Decision):
    """A refusal for the origin, explained only when its ``reason`` is read.

    Everything but the origin is the same for every refusal of one kind under one policy,
    so each policy makes one subclass per kind (:func:`_origin_refusal_class`) whose class
    attributes hold the fields, and a refusal is an empty instance plus one slot store: the
    origin, which the reason names. Working out the reason (parsing the origin again to tell
    a malformed one from one not listed, quoting it safely) costs more than the rest of the
    decision, and nobody reads it unless debug logging is on or the caller asks.
    Its fields, equality, hash, repr and pickling are a :class:`Decision`'s.
    """

    __slots__ = ()


_LATIN_1 = "latin-1"


def asgi_header_lines(headers: Headers, vary: tuple[str, ...]) -> AsgiHeaders:
    """A decision's headers and ``Vary`` as ASGI header lines: lowercase names, latin-1 bytes.

    The names in ``vary`` are distinct (as the core makes them) and become one line.
    """
    lines = [(name.lower().encode(_LATIN_1), value.encode(_LATIN_1)) for name, value in headers]
    if vary:
        lines.append((b"vary", ", ".join(vary).encode(_LATIN_1)))
    return tuple(lines)


def _prebuilt(
    kind: DecisionKind, status: int | None, headers: Headers, vary: tuple[str, ...]
) -> Decision:
    """A decision built at compile time, with its ASGI header lines encoded once."""
    return _decision(kind, status, headers, vary, asgi=asgi_header_lines(headers, vary), memo={})
