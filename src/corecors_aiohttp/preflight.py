"""Deciding a preflight by the route it asks about, and the router resource that answers the
preflights no route answers (``setup`` only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web
from aiohttp.web_urldispatcher import UrlMappingMatchInfo
from multidict import CIMultiDict

if TYPE_CHECKING:  # aiohttp's own dependencies, for annotations only
    from aiohttp.web_urldispatcher import _InfoDict
    from yarl import URL

    from .middleware import CORSMiddleware

from corecors import CORSDecider, Decision, DecisionKind

from .apply import _narrowed, _respond
from .request import _REQUEST_HEADERS, _REQUEST_METHOD, _decide_preflight, _header, _is_preflight

__all__: list[str] = []

_PREFLIGHT_ALLOWED: Final = DecisionKind.PREFLIGHT_ALLOWED


async def _decide_routed_preflight(
    self: CORSMiddleware, request: web.Request, router: web.UrlDispatcher
) -> Decision | None:
    """Decide a preflight; ``None``: CORS is off for it.

    With per-route policies, the policy is that of the route the actual request
    (the requested method, same URL) will reach in ``router``.
    """
    rules = self._rules
    headers = request.headers
    request_method = _header(headers, _REQUEST_METHOD)
    decider: CORSDecider | None = rules.decider
    # Only a middleware reads the match: while routing (setup) it is not set yet.
    matched = request.match_info if self._app is None else None
    per_route = request_method is not None and self._per_route(rules, matched)
    if per_route:
        assert request_method is not None
        target = await _resolve_as(router, request, request_method)
        if target is not None:
            decider = self._select(rules, target)
    if decider is None:
        return None
    decision = _decide_preflight(decider, request, True)
    if per_route and decision.kind is _PREFLIGHT_ALLOWED:
        assert request_method is not None
        if await self._url_is_shared(router, request, request_method, decider):
            cache = not _header(headers, _REQUEST_HEADERS)
            return _narrowed(decision, request_method, cache=cache)
    return decision


async def _url_is_shared(
    self: CORSMiddleware,
    router: web.UrlDispatcher,
    request: web.Request,
    request_method: str,
    decider: CORSDecider,
) -> bool:
    """Whether another method on the preflight's URL reaches a route under another policy.

    A browser caches a preflight's answer per URL: every method it lists, and the
    allowed headers for *any* method (the safelisted GET, HEAD and POST included). So
    what one route's policy allows must not be cached for the URL when another route
    there has another policy. Only asked when per-route policies exist.
    """
    methods = {hdrs.METH_GET, hdrs.METH_HEAD, hdrs.METH_POST}
    methods.update(route.method for route in router.routes())
    methods.discard(hdrs.METH_ANY)
    methods.discard(request_method)
    for method in sorted(methods):
        match_info = await _resolve_as(router, request, method)
        if match_info is None or match_info.http_exception is not None:
            continue  # no handler runs there (the router's 404/405)
        owner = self._owner(match_info)
        if owner._select(owner._rules, match_info) is not decider:
            return True
    return False


async def _resolve_as(
    router: web.UrlDispatcher, request: web.Request, method: str
) -> UrlMappingMatchInfo | None:
    """The route a preflight's actual request (``method``, same URL) will reach.

    Only used when per-route policies exist, so that a preflight follows the policy of
    the handler the browser is asking about. Never raises: ``None`` on any problem.
    """
    try:
        if method == hdrs.METH_OPTIONS:
            # The copy must not be a preflight itself: routing it would decide it, which
            # resolves a copy of it, and so on.
            headers = CIMultiDict(request.headers)
            headers.popall(_REQUEST_METHOD, None)
            return await router.resolve(request.clone(method=method, headers=headers))
        return await router.resolve(request.clone(method=method))
    except Exception:
        return None


class _PreflightMatch(UrlMappingMatchInfo):
    """A preflight matched by :class:`_PreflightResource`, with its decision."""

    __slots__ = ("decision",)

    def __init__(self, route: web.AbstractRoute, decision: Decision) -> None:
        super().__init__({}, route)
        self.decision = decision


_NO_METHODS: Final[frozenset[str]] = frozenset()


class _PreflightResource(web.AbstractResource):
    """Catches the CORS preflights no route answers, so they are not routed as a 405/404.

    Without it, aiohttp's router turns a preflight to a ``GET``-only path into a
    ``405 Method Not Allowed`` match (building the exception and the middleware chain
    anew: tens of microseconds) before any middleware runs. This resource is consulted
    last, only for requests no other resource matched; it matches a preflight that the
    policy answers (allowed or refused) and nothing else, and it carries the decision to
    the middleware, which answers without deciding again. A preflight for which CORS is
    off is not matched: the application's 405 or 404 goes out unchanged.

    It lists no routes (``app.router.routes()`` does not show it) and has no name.
    """

    def __init__(self, middleware: CORSMiddleware, router: web.UrlDispatcher) -> None:
        super().__init__()
        self._middleware = middleware
        self._router = router
        self._prefix = ""
        self._route = web.ResourceRoute(hdrs.METH_OPTIONS, self._answer, self)

    @property
    def canonical(self) -> str:
        return self._prefix or "/"

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError("the corecors preflight resource has no URL")

    async def resolve(self, request: web.Request) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        # Do not touch request.match_info here: it is not set yet (and is cached).
        if request.method != hdrs.METH_OPTIONS or not _is_preflight(request.headers):
            return None, set(_NO_METHODS)
        decision = await self._middleware._decide_preflight(request, self._router)
        if decision is None or decision.status is None:
            return None, set(_NO_METHODS)
        return _PreflightMatch(self._route, decision), set(_NO_METHODS)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        # The middleware answers first; this is only reached if it is not in the chain.
        match_info = request.match_info
        assert isinstance(match_info, _PreflightMatch)
        return _respond(match_info.decision)

    def add_prefix(self, prefix: str) -> None:
        self._prefix = prefix + self._prefix

    def get_info(self) -> _InfoDict:
        return {"prefix": self._prefix}

    def raw_match(self, path: str) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[web.AbstractRoute]:
        return iter(())

    def __repr__(self) -> str:
        return f"<corecors preflight resource {self.canonical}>"
