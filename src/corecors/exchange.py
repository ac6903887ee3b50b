"""The reference for the two ends of an exchange: reading a request, applying a decision.

Sans-IO, on plain ``(name, value)`` header lines, for servers without an adapter (see
``examples/custom_server.py``) and for the tools. The adapters read and write headers in
their own faster ways; tests/core/test_exchange.py checks that they answer exactly what these
functions answer. :func:`check_decider` is the one check of what an adapter is given.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import AnyStr, Final

from .decision import OWNED_RESPONSE_HEADERS, Decision, DecisionKind, RequestInfo
from .errors import CORSConfigError
from .policy import MAX_INPUT_LIMIT, CORSPolicy
from .routing import CORSDecider
from .tokens import merge_vary

__all__ = [
    "check_decider",
    "check_optional_decider",
    "core_policy",
    "join_field_lines",
    "read_request",
    "response_headers",
]

HeaderLines = Iterable[tuple[str, str]]

_ORIGIN: Final = "origin"
_REQUEST_METHOD: Final = "access-control-request-method"
_REQUEST_HEADERS: Final = "access-control-request-headers"
_REQUEST_PRIVATE_NETWORK: Final = "access-control-request-private-network"
_FIELDS: Final = frozenset({_ORIGIN, _REQUEST_METHOD, _REQUEST_HEADERS, _REQUEST_PRIVATE_NETWORK})
#: A field stops growing past this many characters: it is then longer than any policy's
#: input limit, so refused whatever follows, and more lines cost no more than a lookup.
_FIELD_CAP: Final = MAX_INPUT_LIMIT + 1


def read_request(method: str, path: str, headers: HeaderLines) -> RequestInfo:
    """The :class:`RequestInfo` for a request with these header lines.

    Names compare case-insensitively. A field sent on several lines is joined with ``","``
    (RFC 9110 list syntax): two ``Origin`` lines make a value no browser sends, which the
    core refuses; two ``Access-Control-Request-Headers`` lines make one list. The request
    asks for private-network access when that field is exactly ``"true"``. Linear in the
    number of lines, whatever they hold. ``path`` is the path the application routes
    (no query string), for per-path policies.
    """
    joined = join_field_lines(headers, _FIELDS, ",")
    return RequestInfo(
        method=method,
        origin=joined.get(_ORIGIN),
        request_method=joined.get(_REQUEST_METHOD),
        request_headers=joined.get(_REQUEST_HEADERS),
        request_private_network=joined.get(_REQUEST_PRIVATE_NETWORK) == "true",
        path=path,
    )


def join_field_lines(
    lines: Iterable[tuple[AnyStr, AnyStr]], fields: Collection[AnyStr], comma: AnyStr
) -> dict[AnyStr, AnyStr]:
    """The value of each of ``fields`` (lowercase names) sent in ``lines``, its lines joined
    with ``comma`` (RFC 9110 list syntax); names compare case-insensitively.

    The one rule for reading repeated request fields, on ``str`` (:func:`read_request`) or on
    ``bytes`` (the ASGI adapter, for requests its lowercase single-line fast path does not
    take). Linear in the number of lines, whatever they hold: a field stops growing once it
    is longer than every policy's input limit (it is then refused whatever follows), so each
    line past that costs a lookup.
    """
    parts: dict[AnyStr, list[AnyStr]] = {}
    sizes: dict[AnyStr, int] = {}
    for name, value in lines:
        if name not in fields:
            name = name.lower()
            if name not in fields:
                continue
        size = sizes.get(name)
        if size is None:
            parts[name] = [value[:_FIELD_CAP]]
            sizes[name] = len(value)
        elif size <= _FIELD_CAP:
            parts[name].append(value[:_FIELD_CAP])
            sizes[name] = size + 1 + len(value)
    # Typed once: pyright does not narrow ``comma.join`` over a constrained type variable.
    join: Callable[[list[AnyStr]], AnyStr] = comma.join  # pyright: ignore[reportAssignmentType]
    return {name: join(values)[:_FIELD_CAP] for name, values in parts.items()}


def response_headers(decision: Decision, headers: HeaderLines = ()) -> list[tuple[str, str]]:
    """The response's header lines (``headers``, the application's) with ``decision`` applied.

    A ``DISABLED`` decision (CORS off for this path or route) leaves them exactly as they
    are. Otherwise the application's lines for the headers corecors owns
    (:data:`corecors.OWNED_RESPONSE_HEADERS`) are dropped, so that a response never carries
    two ``Access-Control-Allow-Origin``; the decision's lines are added; and when the
    decision varies, its names are merged into the application's ``Vary`` (with
    :func:`corecors.merge_vary`, into one line). For a preflight the decision answers
    (``decision.status`` is not ``None``), call it without ``headers``.
    """
    if decision.kind is DecisionKind.DISABLED:
        return list(headers)
    vary = decision.vary
    kept: list[tuple[str, str]] = []
    existing_vary: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in OWNED_RESPONSE_HEADERS:
            continue
        if vary and lowered == "vary":
            existing_vary.append(value)
            continue
        kept.append((name, value))
    kept.extend(decision.headers)
    if vary:
        merged = merge_vary(", ".join(existing_vary) if existing_vary else None, vary)
        if merged is not None:
            kept.append(("Vary", merged))
    return kept


_EXPECTED: Final = "a corecors.CORSPolicy, a corecors.PathPolicies or another CORSDecider"


def check_decider(decider: object, what: str = "policy") -> CORSDecider:
    """``decider``, if it is a :class:`~corecors.CORSDecider`; else :class:`CORSConfigError`.

    The adapters' one check of the policy they are given (``what`` names the argument).
    A configuration error, like every other refusal at startup, so that a framework that
    builds the middleware late (the ASGI adapter) reports it the same way.
    """
    if not isinstance(decider, CORSDecider):
        raise CORSConfigError([f"{what} must be {_EXPECTED}, not {type(decider).__name__}"])
    return decider


def check_optional_decider(decider: object, what: str) -> CORSDecider | None:
    """:func:`check_decider`, where ``None`` (leave those responses alone) is allowed too."""
    if decider is None:
        return None
    if not isinstance(decider, CORSDecider):
        raise CORSConfigError(
            [
                f"{what} must be {_EXPECTED} (or None to leave those responses alone), "
                f"not {type(decider).__name__}"
            ]
        )
    return decider


def core_policy(decider: CORSDecider) -> CORSPolicy | None:
    """``decider`` when it is a :class:`~corecors.CORSPolicy` deciding by the core's own rule
    (one policy for every path, not a subclass with a ``decide_fields`` of its own); else
    ``None``. Only such a policy may be answered from the core's prebuilt tables and its
    adapters' entry, which skip ``decide_fields``."""
    if isinstance(decider, CORSPolicy) and type(decider).decide_fields is CORSPolicy.decide_fields:
        return decider
    return None
