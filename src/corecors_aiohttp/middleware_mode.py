"""Middleware mode (:func:`cors_middleware`): preflights answered and headers added by a
middleware, within what a middleware can reach. A part of :class:`CORSMiddleware`, kept
apart by concern."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Handler

from .apply import _respond, apply_decision
from .preflight import _PreflightMatch
from .request import (
    _ORIGIN,
    _header,
    _is_preflight,
    _is_websocket_handshake,
    _looks_handled,
    _routed_path,
)

if TYPE_CHECKING:
    from .middleware import CORSMiddleware

logger: logging.Logger = logging.getLogger("corecors.aiohttp")


async def _call_as_middleware(
    self: CORSMiddleware, request: web.Request, handler: Handler
) -> web.StreamResponse:
    method = request.method
    if method == "OPTIONS":
        headers = request.headers
        if _is_preflight(headers):
            match_info = request.match_info
            if type(match_info) is _PreflightMatch:
                return _respond(match_info.decision)  # decided while routing
            if self._owner(match_info) is self:
                decision = await self._decide_preflight(request, match_info.apps[0].router)
                if decision is not None and decision.status is not None:
                    return _respond(decision)
            # CORS is off here (or an inner middleware owns it): the application
            # answers, and its response is left alone.
            return await handler(request)
    elif self._check_websocket_origin and _is_websocket_handshake(request.headers):
        # Any method: aiohttp's handshake does not insist on GET. The policy is that of
        # the application that owns the route (a sub-application's own setup()), but the
        # check is this middleware's: an inner setup() without it does not switch it off.
        match_info = request.match_info
        owner = self._owner(match_info)
        decider = owner._select(owner._rules, match_info)
        if decider is not None:
            decision = decider.decide_websocket(
                _header(request.headers, _ORIGIN), _routed_path(request)
            )
            if decision.status is not None:
                return _respond(decision)
    return await self._handle_without_hook(request, handler)


async def _handle_without_hook(
    self: CORSMiddleware, request: web.Request, handler: Handler
) -> web.StreamResponse:
    if self._owner(request.match_info) is not self:
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        decision = self.decide(request)
        if decision is not None:
            apply_decision(exc.headers, decision)
        raise
    except Exception as exc:
        self._warn_once(
            "exception",
            "cors_middleware: an unhandled exception (%s) becomes aiohttp's own 500 "
            "response, which a middleware cannot reach, so it has no CORS headers and "
            "the page cannot read it; use corecors_aiohttp.setup(app, policy) to cover "
            "it (this warning is logged once)",
            type(exc).__name__,
        )
        raise
    if response.prepared:
        if not isinstance(response, web.WebSocketResponse) and not _looks_handled(response.headers):
            self._warn_once(
                "prepared",
                "cors_middleware: the handler for %s %s returned a response it had "
                "already prepared (a StreamResponse sent before returning), so no CORS "
                "headers could be added to it; use corecors_aiohttp.setup(app, policy), "
                "which adds them at prepare time (this warning is logged once)",
                request.method,
                request.path,
            )
        return response
    decision = self.decide(request)
    if decision is not None:
        apply_decision(response.headers, decision)
    return response


def _warn_once(self: CORSMiddleware, key: str, message: str, *args: object) -> None:
    if key not in self._warned:
        self._warned.add(key)
        logger.warning(message, *args)
