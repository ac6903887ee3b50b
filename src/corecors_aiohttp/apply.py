"""Applying a decision to an aiohttp response: the only code that writes CORS headers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web
from multidict import CIMultiDict, istr

if TYPE_CHECKING:  # aiohttp's own dependencies, for annotations only
    from aiohttp.abc import AbstractStreamWriter

from corecors import (
    CORS_RESPONSE_HEADERS,
    DEBUG_REASON_HEADER,
    Decision,
    DecisionKind,
    merge_vary,
)

__all__ = ["apply_decision"]


_VARY: Final = hdrs.VARY
#: The headers corecors owns, as ``istr``: a ``CIMultiDict`` looks those up without
#: lowercasing them again.
_OWNED: Final = tuple(istr(name) for name in CORS_RESPONSE_HEADERS)
#: What a response must not carry for a decision's lines to go in as they are: a header
#: corecors owns (to be replaced) or a ``Vary`` (to be merged with).
_OWNED_OR_VARY: Final = (*_OWNED, _VARY)
_ISTR_NAMES: Final = {name: istr(name) for name in (*CORS_RESPONSE_HEADERS, DEBUG_REASON_HEADER)}
_MEMO_KEY: Final = "corecors_aiohttp"

_DISABLED: Final = DecisionKind.DISABLED  # a module constant: enum attribute access is slow
_ALLOW_METHODS: Final = "Access-Control-Allow-Methods"
_MAX_AGE: Final = "Access-Control-Max-Age"


def _keys_are_case_insensitive() -> bool:
    """Whether ``CIMultiDict.keys().isdisjoint`` compares case-insensitively (multidict 6+)."""
    sample = web.StreamResponse(headers={"ACCESS-control-allow-ORIGIN": "*", "vARY": "x"}).headers
    return not sample.keys().isdisjoint(_OWNED) and not sample.keys().isdisjoint((_VARY,))


_FAST_OWNED_CHECK: Final = _keys_are_case_insensitive()


def apply_decision(headers: CIMultiDict[str], decision: Decision) -> None:
    """Write ``decision`` into a response's (still mutable) ``headers``.

    The one place where corecors_aiohttp touches response headers. A ``DISABLED``
    decision changes nothing. Otherwise every header corecors owns
    (:data:`corecors.OWNED_RESPONSE_HEADERS`) that the application set is removed, the
    decision's headers are added, and the decision's ``Vary`` names are merged into the
    response's ``Vary`` (case-insensitively, without duplicates, ``Vary: *`` left alone;
    several ``Vary`` lines become one when something is added).
    """
    if decision.kind is _DISABLED:
        return
    if not _FAST_OWNED_CHECK or not headers.keys().isdisjoint(_OWNED):
        for name in _OWNED:
            headers.popall(name, None)
    _add_decision(headers, decision)


#: Header lines of decisions that carry only a ``Vary`` (refusals), by their Vary names.
#: Those come from policies, never from requests; the bound is a safety net.
_VARY_ONLY_LINES: dict[tuple[str, ...], tuple[tuple[istr, str], ...]] = {}
_VARY_ONLY_LIMIT: Final = 256


def _lines(decision: Decision) -> tuple[tuple[istr, str], ...]:
    """The decision's headers and ``Vary`` line, names as ``istr`` (which a ``CIMultiDict``
    stores without lowercasing them again). Kept with the decision when the core built it
    in advance (its ``_memo``); built anew for the others."""
    memo = decision._memo
    if memo is not None:
        lines = memo.get(_MEMO_KEY)
        if lines is not None:
            return lines  # type: ignore[return-value]
    elif not decision.headers:
        # A refusal, built per request by the core: its only line is the policy's Vary,
        # one of a few fixed tuples, so the encoded line is kept by that tuple.
        lines = _VARY_ONLY_LINES.get(decision.vary)
        if lines is None:
            lines = ((_VARY, ", ".join(decision.vary)),) if decision.vary else ()
            if len(_VARY_ONLY_LINES) < _VARY_ONLY_LIMIT:
                _VARY_ONLY_LINES[decision.vary] = lines
        return lines
    names = _ISTR_NAMES
    lines = tuple((names.get(name) or istr(name), value) for name, value in decision.headers)
    if decision.vary:
        lines += ((_VARY, ", ".join(decision.vary)),)
    if memo is not None:
        memo[_MEMO_KEY] = lines
    return lines


def _add_decision(headers: CIMultiDict[str], decision: Decision) -> None:
    """Add the decision's headers and merge its ``Vary`` (no owned header is present)."""
    vary = decision.vary
    if not vary or _VARY not in headers:
        # Nearly always: nothing to merge with, so the decision's lines go in as they are.
        headers.extend(_lines(decision))
        return
    if decision.headers:
        headers.extend(decision.headers)
    existing = headers.getall(_VARY)
    current = existing[0] if len(existing) == 1 else ", ".join(existing)
    merged = merge_vary(current, vary)
    if merged is not current and merged is not None:
        headers[_VARY] = merged


def _narrowed(decision: Decision, method: str, *, cache: bool) -> Decision:
    """An allowed preflight answer that lists only the requested ``method``; with
    ``cache=False``, one the browser does not cache at all (``Max-Age: 0``: without the
    header browsers cache for five seconds), for when it allows request headers, which
    browsers cache for the URL whatever the method."""
    lines: list[tuple[str, str]] = []
    for name, value in decision.headers:
        if name == _ALLOW_METHODS:
            value = method
        elif name == _MAX_AGE and not cache:
            continue
        lines.append((name, value))
    if not cache:
        lines.append((_MAX_AGE, "0"))
    return Decision(decision.kind, decision.status, tuple(lines), decision.vary)


class _CORSResponse(web.Response):
    """A response corecors built itself (a preflight answer, a refused WebSocket handshake).

    Its headers are final; the prepare hook recognizes it and leaves it alone.
    """


class _CORSAnswer(web.HTTPException):
    """A preflight answer or a refused WebSocket handshake, raised while routing.

    Raised from the router's resolution, it reaches aiohttp's server before any middleware
    or handler runs, and is sent as it is. Its headers are final (built from the decision's
    lines, encoded once per policy); the prepare hook leaves it alone.
    """

    def __init__(self, status: int, lines: tuple[tuple[istr, str], ...]) -> None:
        # Not HTTPException.__init__: no reason check, no default text body.
        web.Response.__init__(self, status=status)
        self._headers.extend(lines)

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        # A raised exception's traceback holds the frame that caught it, which holds the
        # exception: a reference cycle per request, left to the garbage collector. Sending
        # the answer is the last use of the traceback, so it is dropped here.
        self.__traceback__ = None
        return await super().prepare(request)


#: Responses corecors built itself, whose headers are final.
_FINAL_TYPES: Final = frozenset({_CORSResponse, _CORSAnswer})


def _respond(decision: Decision) -> web.Response:
    assert decision.status is not None
    response = _CORSResponse(status=decision.status)
    _add_decision(response.headers, decision)
    return response
