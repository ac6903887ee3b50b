"""The reference for the two ends of an exchange: reading a request, applying a decision.

Sans-IO, on plain ``(name, value)`` header lines, for servers without an adapter (see
``examples/custom_server.py``) and for the tools. The adapters read and write headers in
their own faster ways; tests/core/test_exchange.py checks that they answer exactly what these
functions answer. :func:`check_decider` is the one check of what an adapter is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .decision import OWNED_RESPONSE_HEADERS, Decision, DecisionKind, RequestInfo
from .errors import CORSConfigError
from .policy import MAX_INPUT_LIMIT
from .routing import CORSDecider
from .tokens import merge_vary

__all__ = ["check_decider", "check_optional_decider", "read_request", "response_headers"]

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
    parts: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered not in _FIELDS:
            continue
        size = sizes.get(lowered)
        if size is None:
            parts[lowered] = [value[:_FIELD_CAP]]
            sizes[lowered] = len(value)
        elif size <= _FIELD_CAP:
            parts[lowered].append(value[:_FIELD_CAP])
            sizes[lowered] = size + 1 + len(value)
    joined = {name: ",".join(lines)[:_FIELD_CAP] for name, lines in parts.items()}
    return RequestInfo(
        method=method,
        origin=joined.get(_ORIGIN),
        request_method=joined.get(_REQUEST_METHOD),
        request_headers=joined.get(_REQUEST_HEADERS),
        request_private_network=joined.get(_REQUEST_PRIVATE_NETWORK) == "true",
        path=path,
    )


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
