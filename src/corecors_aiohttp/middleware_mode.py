"""Middleware mode (:func:`cors_middleware`), past :meth:`CORSMiddleware.__call__`: headers
added to what comes back through the middleware, and a warning for what it cannot reach.
A part of :class:`CORSMiddleware`, kept apart by concern."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Handler

from .apply import apply_decision
from .request import (
    _looks_handled,
)

if TYPE_CHECKING:
    from .middleware import CORSMiddleware

logger: logging.Logger = logging.getLogger("corecors.aiohttp")


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
