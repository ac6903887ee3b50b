"""The prepare hook (:func:`setup`): every response but the answers raised while routing gets
its headers once, just before they are written. A part of :class:`CORSMiddleware`, kept apart
by concern; its fast path is inlined on purpose (see the comments)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import web

from corecors import OWNED_RESPONSE_HEADERS

from .apply import (
    _FAST_OWNED_CHECK,
    _FINAL_TYPES,
    _MEMO_KEY,
    _OWNED,
    _VARY,
    _VARY_ONLY_LINES,
    _add_decision,
    _lines,
    apply_decision,
)
from .request import _ORIGIN, _REQUEST_METHOD, _header, _is_preflight, _routed_path

if TYPE_CHECKING:
    from .middleware import CORSMiddleware

_HTTP_EXCEPTION: Final = web.HTTPException
#: What handlers return most: a plain ``web.Response`` (never a protocol switch).
_PLAIN_RESPONSE: Final = web.Response


async def _on_response_prepare(
    self: CORSMiddleware, request: web.Request, response: web.StreamResponse
) -> None:
    """``app.on_response_prepare`` receiver: the headers of every response, once."""
    if type(response) is not _PLAIN_RESPONSE:  # the common case needs none of this
        if type(response) in _FINAL_TYPES or response.status == 101:
            return  # built by corecors, or a protocol switch (WebSocket): leave alone
        if isinstance(response, _HTTP_EXCEPTION):
            # A raised exception that became the response (the router's 404 and 405
            # included): its traceback holds the frame that caught it, which holds
            # it, a cycle left to the garbage collector. Nothing reads it now.
            response.__traceback__ = None
    headers = request.headers
    fast = self._fast
    if fast is not None:
        # One policy for everything: no owner, no route, no path to look up.
        origins = headers.getall(_ORIGIN, None)  # _header(), inlined: hot path
        if origins is None:
            decision = fast.no_origin
            lines = fast.no_origin_lines
        else:
            method = request.method
            if method == "OPTIONS" and _REQUEST_METHOD in headers:
                return  # a preflight: answered while routing
            origin = origins[0] if len(origins) == 1 else ",".join(origins)
            decision = fast.decide(method, origin)
            # _lines(), inlined: decisions built in advance, then refusals.
            memo = decision._memo
            if memo is not None:
                lines = memo.get(_MEMO_KEY) or _lines(decision)  # type: ignore[assignment]
            elif not decision.headers:
                lines = _VARY_ONLY_LINES.get(decision.vary) or _lines(decision)
            else:
                lines = _lines(decision)
        response_headers = response.headers
        if not _FAST_OWNED_CHECK or not response_headers.keys().isdisjoint(OWNED_RESPONSE_HEADERS):
            for name in _OWNED:
                response_headers.popall(name, None)
        if _VARY in response_headers:
            _add_decision(response_headers, decision)  # merges the Vary lines
        else:
            response_headers.extend(lines)  # pyright: ignore[reportArgumentType]
        return
    method = request.method
    rules = self._rules
    if self._nested is not False and self._owner(request.match_info) is not self:
        return
    if method == "OPTIONS" and _is_preflight(headers):
        return  # answered while routing, or CORS is off for it
    decider = rules.decider
    if self._per_route(rules):
        selected = self._select(rules, request.match_info)
        if selected is None:
            return
        decider = selected
    decision = decider.decide_fields(
        method, _header(headers, _ORIGIN), None, None, False, _routed_path(request)
    )
    apply_decision(response.headers, decision)
