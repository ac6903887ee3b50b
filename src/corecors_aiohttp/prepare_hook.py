"""The prepare hook (:func:`setup`): every response but the answers raised while routing gets
its headers once, just before they are written. A part of :class:`CORSMiddleware`, kept apart
by concern; its single-policy fast path is inlined on purpose (see the comments)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import web

from .apply import _FINAL_TYPES, _MEMO_KEY, _OWNED_OR_VARY, _lines, apply_decision
from .request import _ORIGIN, _REQUEST_METHOD, _header, _is_preflight, _routed_path

if TYPE_CHECKING:
    from .middleware import CORSMiddleware

_HTTP_EXCEPTION: Final = web.HTTPException
#: What handlers return most: a plain ``web.Response`` (never a protocol switch).
_PLAIN_RESPONSE: Final = web.Response


async def _on_response_prepare(
    self: CORSMiddleware, request: web.Request, response: web.StreamResponse
) -> None:
    """``app.on_response_prepare`` receiver: the headers of every response, once.

    The fast path (one policy for everything, :attr:`CORSMiddleware._fast`) is
    ``apply_decision`` and the request reading written out, which tests/core/test_exchange.py
    checks against the reference: calls cost more here than the work they do.
    """
    if type(response) is not _PLAIN_RESPONSE and _leave_alone(response):
        return
    fast = self._fast
    if fast is None:
        _prepare_in_general(self, request, response)
        return
    origins = request.headers.getall(_ORIGIN, None)  # _header(), inlined
    if origins is None:
        decision = fast.no_origin
        lines = fast.no_origin_lines
    else:
        method = request.method
        if method == "OPTIONS" and _REQUEST_METHOD in request.headers:
            return  # a preflight: answered while routing
        decision = fast.decide(method, origins[0] if len(origins) == 1 else ",".join(origins))
        # _lines(), inlined for the decisions the core builds in advance.
        memo = decision._memo
        found = memo.get(_MEMO_KEY) if memo is not None else None
        lines = _lines(decision) if found is None else found  # type: ignore[assignment]
    headers = response.headers
    # Nearly always: no header of the application's to replace or merge with, so the
    # decision's lines go in as they are (one lookup per name, case-insensitive).
    if headers.keys().isdisjoint(_OWNED_OR_VARY):
        headers.extend(lines)  # pyright: ignore[reportArgumentType]
    else:
        apply_decision(headers, decision)


def _leave_alone(response: web.StreamResponse) -> bool:
    """Whether the hook leaves ``response`` as it is: one corecors built itself, or a
    protocol switch (WebSocket). Also drops a raised exception's traceback."""
    if type(response) in _FINAL_TYPES or response.status == 101:
        return True
    if isinstance(response, _HTTP_EXCEPTION):
        # A raised exception that became the response (the router's 404 and 405
        # included): its traceback holds the frame that caught it, which holds it, a
        # cycle left to the garbage collector. Nothing reads it now.
        response.__traceback__ = None
    return False


def _prepare_in_general(
    self: CORSMiddleware, request: web.Request, response: web.StreamResponse
) -> None:
    """The hook with per-path or per-route policies, or sub-applications with their own."""
    if self._nested is not False and self._owner(request.match_info) is not self:
        return
    headers = request.headers
    method = request.method
    if method == "OPTIONS" and _is_preflight(headers):
        return  # answered while routing, or CORS is off for it
    rules = self._rules
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
