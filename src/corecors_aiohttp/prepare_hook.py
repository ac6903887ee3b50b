"""The prepare hook (:func:`setup`): every response but the answers raised while routing gets
its headers once, just before they are written. A part of :class:`CORSMiddleware`, kept apart
by concern; its single-policy fast path is inlined on purpose (see the comments)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web

from .apply import _FINAL_TYPES, _MEMO_KEY, _OWNED_OR_VARY, _lines, apply_decision
from .request import _ORIGIN, _REQUEST_METHOD, _header, _is_preflight, _routed_path

if TYPE_CHECKING:
    from .middleware import CORSMiddleware
    from .rules import _Lines, _Rules

#: The core's logger: while it logs at debug level, refusals are the core's to log.
_core_logger: Final = logging.getLogger("corecors")
_DEBUG: Final = logging.DEBUG
_HTTP_EXCEPTION: Final = web.HTTPException
_CONTENT_TYPE: Final = hdrs.CONTENT_TYPE
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
    request_headers = request.headers
    origins = request_headers.getall(_ORIGIN, None)  # _header(), inlined
    if origins is None:
        origin = None
        lines = fast.no_origin_lines
    else:
        if _REQUEST_METHOD in request_headers and request.method == "OPTIONS":
            return  # a preflight: answered while routing
        origin = origins[0] if len(origins) == 1 else ",".join(origins)
        found = fast.listed_lines.get(origin) if len(origin) <= fast.listed_limit else None
        if found is None:
            found = fast.unlisted_lines
            if found is None or _core_logger.isEnabledFor(_DEBUG):
                found = _asked_lines(fast, request.method, origin)
        lines = found
    headers = response.headers
    # Nearly always: no header of the application's to replace or merge with, so the
    # decision's lines go in as they are. Most responses carry only a Content-Type at this
    # point (web.Response, json_response), which two cheap operations show; the others
    # take one case-insensitive lookup per name corecors owns.
    if (len(headers) == 1 and _CONTENT_TYPE in headers) or headers.keys().isdisjoint(
        _OWNED_OR_VARY
    ):
        headers.extend(lines)  # pyright: ignore[reportArgumentType]
    else:
        apply_decision(headers, fast.decide(request.method, origin))


def _asked_lines(fast: _Rules, method: str, origin: str) -> _Lines:
    """The lines of the fast path's decision when it asks the policy: an origin a pattern
    may allow, or a refusal the core logs in full (debug logging on)."""
    decision = fast.decide(method, origin)
    memo = decision._memo  # where the lines of decisions built in advance are kept
    lines = memo.get(_MEMO_KEY) if memo is not None else None
    return _lines(decision) if lines is None else lines  # type: ignore[return-value]


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
