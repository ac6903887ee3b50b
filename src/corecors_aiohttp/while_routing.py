"""Answering while routing (:func:`setup`): preflights and refused WebSocket handshakes are
raised as a :class:`_CORSAnswer` from the router's resolution, before any middleware or
handler runs. A part of :class:`CORSMiddleware`, kept apart by concern."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.web_urldispatcher import UrlMappingMatchInfo

from .apply import _CORSAnswer, _lines
from .preflight import _PreflightMatch
from .request import (
    _ORIGIN,
    _REQUEST_METHOD,
    _decide_preflight,
    _header,
    _is_websocket_handshake,
    _routed_path,
)

if TYPE_CHECKING:
    from .middleware import CORSMiddleware


async def _resolve_first(self: CORSMiddleware, request: web.Request) -> UrlMappingMatchInfo:
    """The router's resolution until the application is frozen: then the tree is
    surveyed once and the resolution :func:`_resolver` builds for it takes over."""
    app = self._app
    assert app is not None
    if app.frozen:
        self._survey()
        resolve = _resolver(self)
        app.router.resolve = resolve  # type: ignore[method-assign,assignment]
        return await resolve(request)
    return await _resolver(self)(request)


_Resolve = Callable[[web.Request], Awaitable[UrlMappingMatchInfo]]


def _resolver(self: CORSMiddleware) -> _Resolve:
    """The router's resolution, wrapped for what the surveyed tree needs: preflights and
    (when checked) WebSocket handshakes answered here, before any middleware or handler.

    Not a coroutine: every other request gets the router's own coroutine, with no frame of
    ours in between, and the least ours can cost (a closure over what it calls)."""
    resolve = self._resolve_original
    assert resolve is not None
    if self._outer is not None:
        return resolve  # an enclosing setup() routes for this application
    route_preflight = self._route_preflight
    if not self._websocket_checks:

        def resolve_preflights(request: web.Request) -> Awaitable[UrlMappingMatchInfo]:
            if request.method == "OPTIONS":
                headers = request.headers
                if _ORIGIN in headers and _REQUEST_METHOD in headers:
                    return route_preflight(request)
            return resolve(request)

        return resolve_preflights
    route_handshake = self._route_handshake

    def resolve_preflights_and_handshakes(
        request: web.Request,
    ) -> Awaitable[UrlMappingMatchInfo]:
        if request.method == "OPTIONS":
            headers = request.headers
            if _ORIGIN in headers and _REQUEST_METHOD in headers:
                return route_preflight(request)
        elif _is_websocket_handshake(request.headers):
            return route_handshake(request)
        return resolve(request)

    return resolve_preflights_and_handshakes


async def _route_preflight(self: CORSMiddleware, request: web.Request) -> UrlMappingMatchInfo:
    resolve = self._resolve_original
    assert resolve is not None
    rules = self._rules
    if self._nested is False and not self._receivers and not self._per_route(rules):
        # One set of rules for every URL: decided without routing at all.
        decision = _decide_preflight(rules.decider, request, rules.single is None)
        if decision.status is None:
            return await resolve(request)  # CORS is off here: the app answers
        raise _CORSAnswer(decision.status, _lines(decision))
    match_info = await resolve(request)
    if type(match_info) is _PreflightMatch:
        answer = match_info.decision  # decided by the resource consulted last
    else:
        owner = self._owner(match_info)  # self, or a sub-application's setup()
        assert owner._app is not None
        found = await owner._decide_preflight(request, owner._app.router)
        if found is None or found.status is None:
            return match_info  # CORS is off here: the app (or its router) answers
        answer = found
    assert answer.status is not None
    self._expose(request, match_info)
    raise _CORSAnswer(answer.status, _lines(answer))


async def _route_handshake(self: CORSMiddleware, request: web.Request) -> UrlMappingMatchInfo:
    assert self._resolve_original is not None
    match_info = await self._resolve_original(request)
    if not self._check_websocket_origin and not any(
        inner is not None and inner._check_websocket_origin for inner in self._setups_of(match_info)
    ):
        return match_info
    # Any method: aiohttp's handshake does not insist on GET. The policy is that of
    # the application that owns the route, the check any enclosing setup()'s.
    owner = self._owner(match_info)
    decider = owner._select(owner._rules, match_info)
    if decider is None:
        return match_info
    decision = decider.decide_websocket(_header(request.headers, _ORIGIN), _routed_path(request))
    if decision.status is None:
        return match_info
    self._expose(request, match_info)
    raise _CORSAnswer(decision.status, _lines(decision))


def _expose(self: CORSMiddleware, request: web.Request, match_info: UrlMappingMatchInfo) -> None:
    """Let the applications' own ``on_response_prepare`` receivers see an answer raised
    while routing, as they see every other response: aiohttp calls them for the
    applications of the request's match, which routing had not set yet."""
    if self._receivers and self._app is not None:
        match_info.add_app(self._app)
        match_info.freeze()
        request._match_info = match_info
