"""The two entry points: :func:`setup` (everything, no middleware) and :func:`cors_middleware`."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from corecors import CORSDecider

from .middleware import CORS_KEY, CORSMiddleware, _raise_for_unknown_routes
from .preflight import _PreflightResource

__all__ = ["cors_middleware", "setup"]


def setup(
    app: web.Application,
    policy: CORSDecider,
    *,
    routes: Mapping[str, CORSDecider | None] | None = None,
    check_websocket_origin: bool = False,
) -> CORSMiddleware:
    """Apply ``policy`` to every response of ``app``: the one line that covers everything.

    Adds no middleware. Wraps ``app.router.resolve``, so that preflights (and refused
    WebSocket handshakes) are answered while routing, before any middleware --
    authentication included -- runs; registers a router resource consulted last that
    matches only the preflights no route answers (no route is added); and registers a
    :class:`CORSMiddleware` on ``app.on_response_prepare``, so that every other response
    gets its headers exactly once, at prepare time: returned and raised responses,
    ``StreamResponse``s prepared in the handler, ``FileResponse``s and static files, the
    router's 404 and 405, aiohttp's 500 for unhandled exceptions. Routes need no
    registration, including those added later, ``web.View`` classes and sub-applications
    (``add_subapp``, ``add_domain``), which inherit ``policy`` unless ``setup`` was called
    on them too.

    ``policy``: a ``CORSPolicy``, or a ``PathPolicies`` for policies by path prefix.
    ``routes``: policies by route name, overriding ``policy`` (``None``: CORS off for that
    route). See also :func:`route_policy`. ``check_websocket_origin``: refuse WebSocket
    handshakes from origins the policy does not allow, with 403 (off by default:
    handshakes pass through untouched).

    Call it before the application starts, and on a sub-application before
    ``add_subapp``/``add_domain`` (aiohttp freezes a sub-application's signals then).
    Returns the :class:`CORSMiddleware`, whose :meth:`~CORSMiddleware.set_policy` swaps
    the policy at run time; it is also stored as ``app[corecors_aiohttp.CORS_KEY]``.
    """
    _check_can_set_up(app)
    middleware = CORSMiddleware(
        policy, routes=routes, check_websocket_origin=check_websocket_origin
    )
    middleware._app = app
    app[CORS_KEY] = middleware
    router = app.router
    middleware._resolve_original = router.resolve
    router.resolve = middleware._resolve_first  # type: ignore[method-assign]
    router.register_resource(_PreflightResource(middleware, router))
    app.on_response_prepare.append(middleware._on_response_prepare)
    app.on_startup.append(_check_at_startup)
    return middleware


def _check_can_set_up(app: web.Application) -> None:
    """Refuse what :func:`setup` cannot cover, saying what to do instead."""
    if not isinstance(app, web.Application):
        raise TypeError(f"setup() needs an aiohttp.web.Application, not {type(app).__name__}")
    if CORS_KEY in app:
        raise RuntimeError(
            "corecors_aiohttp.setup() was already called for this application; use "
            "app[corecors_aiohttp.CORS_KEY].set_policy(...) to change the policy"
        )
    if app.pre_frozen:
        raise RuntimeError(
            "corecors_aiohttp.setup() must be called before the application starts, and "
            "on a sub-application before it is added with add_subapp()/add_domain()"
        )
    if any(isinstance(middleware, CORSMiddleware) for middleware in app.middlewares):
        raise RuntimeError(
            "this application already has a cors_middleware() in its middlewares; use "
            "either setup() or cors_middleware(), not both (setup() covers more)"
        )


async def _check_at_startup(app: web.Application) -> None:
    """Refuse a second corecors middleware on an application with :func:`setup` (added to
    its middlewares after setup() ran); check the route names of its per-route policies."""
    middleware = app[CORS_KEY]
    if any(isinstance(other, CORSMiddleware) for other in app.middlewares):
        raise RuntimeError(
            "this application has both corecors_aiohttp.setup() and a "
            "cors_middleware() in its middlewares; remove the cors_middleware(), "
            "setup() already covers every response"
        )
    _raise_for_unknown_routes(app, middleware.routes)


def cors_middleware(
    policy: CORSDecider,
    *,
    routes: Mapping[str, CORSDecider | None] | None = None,
    check_websocket_origin: bool = False,
) -> CORSMiddleware:
    """The middleware alone, for ``web.Application(middlewares=[...])``. Prefer :func:`setup`.

    Put it first in the list so that preflights are answered before authentication.
    It answers preflights (for every path, routed or not), adds the headers to the
    responses handlers return and to raised ``web.HTTPException``s (including the
    router's 404/405 and those from sub-applications), and merges ``Vary``.

    **What it cannot cover** (a middleware only sees what passes back through it):

    * a response the handler prepared before returning (a ``StreamResponse`` after
      ``await response.prepare(request)``, anything streamed): its headers are already
      on the wire;
    * the 500 response aiohttp builds for an unhandled exception, after every middleware
      has been left.

    Each of those logs a warning on the ``corecors.aiohttp`` logger the first time it
    happens. :func:`setup` covers both, through ``app.on_response_prepare``, and costs
    less: a middleware makes aiohttp rebuild the middleware chain for every 404 and 405,
    and a preflight to a path without an ``OPTIONS`` route reaches it only after the
    router built a 405. Add it once per application; for sub-applications with their own
    policies use :func:`setup` on them.
    """
    return CORSMiddleware(policy, routes=routes, check_websocket_origin=check_websocket_origin)
