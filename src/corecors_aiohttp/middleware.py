"""CORS for aiohttp: read a request, let corecors decide, write the decision back.

Two ways in, one way out:

* :func:`setup` adds no middleware. It wraps the router's resolution, where preflights
  (and, when asked to, foreign WebSocket handshakes) are answered -- raised as a
  :class:`_CORSAnswer` before any middleware or handler runs -- and registers a
  :class:`CORSMiddleware` on ``app.on_response_prepare``, where every other response --
  returned, raised, streamed, prepared inside the handler, the router's 404/405,
  aiohttp's own 500 -- gets its headers, exactly once, just before they are written. It
  also registers a resource the router consults last, which matches the preflights no
  route answers, so that routing one does not cost a 405 first (:class:`_PreflightResource`).
* :func:`cors_middleware` is the middleware alone, for applications that assemble their
  middleware list themselves. It adds the headers to responses that come back through
  it, and to raised ``web.HTTPException``s. It cannot reach a response the handler has
  already prepared (sent) nor the 500 aiohttp builds for an unhandled exception; it logs
  a warning the first time it meets each of those.

Both paths write headers with :func:`apply_decision` and nothing else.

Ownership: corecors owns the headers in :data:`corecors.OWNED_RESPONSE_HEADERS`. Any the
handler set are removed before the decision's are added, so a response never carries
two ``Access-Control-Allow-Origin`` -- unless the decision is ``DISABLED`` (a per-path or
per-route policy of ``None``), in which case the response is left exactly as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_urldispatcher import UrlMappingMatchInfo

from corecors import (
    CORSConfigError,
    CORSDecider,
    Decision,
)
from corecors.exchange import check_decider

from . import middleware_mode, preflight, prepare_hook, while_routing
from .apply import _respond
from .preflight import _PreflightMatch
from .request import (
    _ORIGIN,
    _header,
    _is_preflight,
    _is_websocket_handshake,
    _routed_path,
)
from .routes import _POLICY_ATTRIBUTE, _check_routes, _Default, _route_override
from .rules import _fast_path_rules, _Rules

_KEEP: Final[Any] = object()


# -- the middleware ---------------------------------------------------------------------


class CORSMiddleware:
    """corecors for one aiohttp application. Build it with :func:`setup` or :func:`cors_middleware`.

    With :func:`setup` it is not a middleware: it answers while routing and writes headers
    from its prepare hook. With :func:`cors_middleware` it is the middleware itself.
    Attributes read per request are set once; :meth:`set_policy` swaps the policy (and,
    optionally, the per-route policies) in one assignment, so a request in flight sees
    either the old rules or the new ones, never a mix.
    """

    __middleware_version__ = 1

    __slots__ = (
        "_app",
        "_check_websocket_origin",
        "_decorated",
        "_decorated_in",
        "_fast",
        "_nested",
        "_outer",
        "_receivers",
        "_resolve_original",
        "_rules",
        "_warned",
        "_websocket_checks",
    )

    def __init__(
        self,
        policy: CORSDecider,
        *,
        routes: Mapping[str, CORSDecider | None] | None = None,
        check_websocket_origin: bool = False,
    ) -> None:
        check_decider(policy)
        if not isinstance(check_websocket_origin, bool):
            raise TypeError("check_websocket_origin must be True or False")
        self._rules = _Rules(policy, _check_routes(routes))
        #: The rules, when the prepare hook may take its fast path with them: one policy,
        #: no per-route policies, no sub-application with a setup() of its own.
        self._fast: _Rules | None = None
        #: Whether a handler this middleware governs has a route_policy() (None: not known;
        #: setup() learns it once the routes are frozen, cors_middleware() per application).
        self._decorated: bool | None = None
        #: cors_middleware() only: the frozen application last asked about, and whether
        #: one of its handlers has a route_policy().
        self._decorated_in: tuple[web.Application, bool] | None = None
        self._check_websocket_origin = check_websocket_origin
        self._app: web.Application | None = None
        #: The router's own resolution, which setup() wraps (None without setup()).
        self._resolve_original: Callable[[web.Request], Awaitable[UrlMappingMatchInfo]] | None
        self._resolve_original = None
        # What the application tree looks like, learnt once its routes are frozen
        # (_survey); until then, answers that hold whatever it looks like.
        #: Whether a sub-application below ours has its own setup() (None: not known).
        self._nested: bool | None = None
        #: The setup() of an enclosing application, which routes for ours (ours idles).
        self._outer: CORSMiddleware | None = None
        #: Whether any application of the tree has on_response_prepare receivers of its
        #: own, which must see the preflight answers and refusals raised while routing.
        self._receivers = True
        #: Whether any setup() of the tree checks WebSocket handshakes.
        self._websocket_checks = True
        self._warned: set[str] = set()

    # Kept apart by concern (see each module), bound here as methods: answering while
    # routing and the prepare hook (setup), and the middleware itself (cors_middleware).
    _resolve_first = while_routing._resolve_first
    _route_preflight = while_routing._route_preflight
    _route_handshake = while_routing._route_handshake
    _expose = while_routing._expose
    _on_response_prepare = prepare_hook._on_response_prepare
    _handle_without_hook = middleware_mode._handle_without_hook
    _warn_once = middleware_mode._warn_once
    _decide_preflight = preflight._decide_routed_preflight
    _url_is_shared = preflight._url_is_shared
    _fast_rules = _fast_path_rules

    def __repr__(self) -> str:
        mode = "setup" if self._app is not None else "middleware only"
        return f"<CORSMiddleware ({mode}) policy={self._rules.decider!r}>"

    # -- configuration --------------------------------------------------------------------

    @property
    def policy(self) -> CORSDecider:
        """The application-wide policy (a ``CORSPolicy`` or ``PathPolicies``)."""
        return self._rules.decider

    @property
    def routes(self) -> Mapping[str, CORSDecider | None]:
        """Per-route policies by route name (read-only view)."""
        return MappingProxyType(self._rules.routes)

    @property
    def check_websocket_origin(self) -> bool:
        return self._check_websocket_origin

    @property
    def installed(self) -> bool:
        """Whether :func:`setup` installed this middleware (and its prepare hook)."""
        return self._app is not None

    def set_policy(
        self,
        policy: CORSDecider,
        *,
        routes: Mapping[str, CORSDecider | None] | None = _KEEP,
    ) -> None:
        """Swap the policy at run time, atomically. ``routes`` (if given) is swapped with it.

        Build the new policy first (that is where a configuration error is raised);
        the swap itself is one assignment. Requests already past the decision keep the
        old answer; preflights cached by browsers keep theirs for ``max_age``.
        """
        check_decider(policy)
        new_routes = self._rules.routes if routes is _KEEP else _check_routes(routes)
        if routes is not _KEEP and self._app is not None and self._app.frozen:
            _raise_for_unknown_routes(self._app, new_routes)
        rules = _Rules(policy, new_routes)
        self._rules = rules
        self._fast = self._fast_rules(rules)

    # -- per request ------------------------------------------------------------------------

    def _owner(self, match_info: UrlMappingMatchInfo) -> CORSMiddleware:
        """The middleware whose rules govern this request: the innermost installed one.

        A sub-application with its own :func:`setup` decides for its routes; one without
        inherits its parent's. Only that middleware (and its hook) acts on the request.
        ``match_info`` may still lack the outermost application (while routing).
        """
        if self._nested is False:
            return self  # no sub-application below ours has a setup() of its own
        for app in reversed(match_info.apps):
            owner = app.get(CORS_KEY)
            if owner is not None:
                return owner
        return self

    @staticmethod
    def _setups_of(match_info: UrlMappingMatchInfo) -> list[CORSMiddleware | None]:
        """The :func:`setup` of each application of the match (``None`` where it has none)."""
        return [app.get(CORS_KEY) for app in match_info.apps]

    def _survey(self) -> None:
        """Learn the application tree, once its routes are frozen: nested setup()s (which
        then leave routing to this one), WebSocket checks, others' prepare receivers."""
        assert self._app is not None
        nested = _nested_setups(self._app)
        for inner in nested:
            inner._outer = self
        self._nested = bool(nested)
        self._decorated = _has_decorated_handlers(self._app)
        for inner in nested:
            assert inner._app is not None
            inner._decorated = _has_decorated_handlers(inner._app)
        self._fast = self._fast_rules(self._rules)
        self._websocket_checks = self._check_websocket_origin or any(
            inner._check_websocket_origin for inner in nested
        )
        self._receivers = _has_foreign_receivers(self._app)

    def _per_route(self, rules: _Rules, match_info: UrlMappingMatchInfo | None = None) -> bool:
        """Whether a route may have a policy of its own (by name, or decorated)."""
        if rules.routes:
            return True
        decorated = self._decorated
        if decorated is None and match_info is not None and self._app is None:
            apps = match_info.apps  # none yet in a match resolved for a preflight's copy
            if apps:
                decorated = self._decorated_under(apps[0])
        return decorated is not False

    def _decorated_under(self, app: web.Application) -> bool:
        """cors_middleware(): whether a handler of ``app`` (the request's outermost
        application) has a route_policy(), learnt once the application is frozen."""
        known = self._decorated_in
        if known is not None and known[0] is app:
            return known[1]
        found = _has_decorated_handlers(app)
        if app.frozen:
            self._decorated_in = (app, found)
        return found

    def _select(self, rules: _Rules, match_info: UrlMappingMatchInfo) -> CORSDecider | None:
        if self._per_route(rules, match_info):
            override = _route_override(match_info, rules.routes)
            if not isinstance(override, _Default):
                return override
        return rules.decider

    def decide(self, request: web.Request) -> Decision | None:
        """The decision for ``request``'s response (not for a preflight); ``None``: hands off.

        For code that builds responses the middleware cannot reach, together with
        :func:`apply_decision`.
        """
        decider = self._select(self._rules, request.match_info)
        if decider is None:
            return None
        origin = _header(request.headers, _ORIGIN)
        return decider.decide_fields(
            request.method, origin, None, None, False, _routed_path(request)
        )

    # -- as a middleware (cors_middleware; the rest is in middleware_mode.py) ----------

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
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


def _subapps(app: web.Application) -> list[web.Application]:
    """The sub-applications of ``app`` (``add_subapp``, ``add_domain``), at any depth."""
    found = []
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            subapp = resource.get_info().get("app")
            if isinstance(subapp, web.Application):
                found.append(subapp)
                found.extend(_subapps(subapp))
    return found


def _nested_setups(app: web.Application) -> list[CORSMiddleware]:
    """The :func:`setup` of every sub-application of ``app`` that has its own."""
    return [subapp[CORS_KEY] for subapp in _subapps(app) if CORS_KEY in subapp]


def _has_foreign_receivers(app: web.Application) -> bool:
    """Whether ``app`` or a sub-application has ``on_response_prepare`` receivers besides
    corecors' own prepare hooks."""
    for each in (app, *_subapps(app)):
        for receiver in each.on_response_prepare:
            owner = getattr(receiver, "__self__", None)
            if not isinstance(owner, CORSMiddleware) or receiver != owner._on_response_prepare:
                return True
    return False


def _has_decorated_handlers(app: web.Application) -> bool:
    """Whether a handler of ``app``, or of a sub-application that inherits its policy,
    has a :func:`route_policy` (read once the routes are frozen)."""
    if any(hasattr(route.handler, _POLICY_ATTRIBUTE) for route in app.router.routes()):
        return True
    return any(
        isinstance(subapp, web.Application)
        and CORS_KEY not in subapp
        and _has_decorated_handlers(subapp)
        for subapp in (
            resource.get_info().get("app")
            for resource in app.router.resources()
            if isinstance(resource, web.PrefixedSubAppResource)
        )
    )


def _route_names(app: web.Application) -> set[str]:
    """Route names of ``app`` and of the sub-applications that inherit its policy."""
    names = set(app.router.named_resources())
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            subapp = resource.get_info().get("app")
            if isinstance(subapp, web.Application) and CORS_KEY not in subapp:
                names |= _route_names(subapp)
    return names


def _raise_for_unknown_routes(app: web.Application, routes: Mapping[str, object]) -> None:
    if not routes:
        return
    unknown = sorted(set(routes) - _route_names(app))
    if unknown:
        known = ", ".join(sorted(_route_names(app))) or "none"
        raise CORSConfigError(
            f"routes: no route is named {name!r} in this application (named routes: "
            f"{known}); name it with add_get(..., name={name!r}) or fix the spelling"
            for name in unknown
        )


#: Where :func:`setup` stores the application's :class:`CORSMiddleware`
#: (``app[corecors_aiohttp.CORS_KEY].set_policy(...)``).
CORS_KEY: Final[web.AppKey[CORSMiddleware]] = web.AppKey("corecors", CORSMiddleware)
