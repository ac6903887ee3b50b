"""Per-route policies: ``route_policy`` on a handler, ``routes`` by route name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from aiohttp.web_urldispatcher import UrlMappingMatchInfo

from corecors import CORSDecider
from corecors.exchange import check_optional_decider

__all__ = ["route_policy"]


_POLICY_ATTRIBUTE: Final = "__corecors_policy__"


class _Default:
    """Marks "no per-route override": the application's policy applies."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<default policy>"


_DEFAULT: Final = _Default()

_H = TypeVar("_H")
Override = CORSDecider | None | _Default


def _check_routes(routes: Mapping[str, CORSDecider | None] | None) -> dict[str, CORSDecider | None]:
    if routes is None:
        return {}
    if not isinstance(routes, Mapping):
        raise TypeError(
            f"routes must map route names to policies, not {type(routes).__name__}: "
            'write routes={"route-name": policy}'
        )
    checked: dict[str, CORSDecider | None] = {}
    for name, policy in routes.items():
        if not isinstance(name, str):
            raise TypeError(f"routes: route names must be strings, not {name!r}")
        check_optional_decider(policy, f"routes[{name!r}]")
        checked[name] = policy
    return checked


def route_policy(policy: CORSDecider | None) -> Callable[[_H], _H]:
    """Decorate a handler (function or ``web.View`` class) with its own policy.

    The policy overrides the application's for every route whose handler this is,
    preflights included; ``None`` turns CORS handling off for it (responses left
    untouched). Put it *below* a ``RouteTableDef`` decorator so that the decorated
    handler is the one registered::

        @routes.get("/public")
        @corecors_aiohttp.route_policy(CORSPolicy(allow_origins=["*"]))
        async def public(request: web.Request) -> web.Response: ...
    """
    check_optional_decider(policy, "route_policy(policy)")

    def decorate(handler: _H) -> _H:
        try:
            setattr(handler, _POLICY_ATTRIBUTE, policy)
        except (AttributeError, TypeError):
            raise TypeError(
                f"route_policy() decorates handler functions and web.View classes, "
                f"not {type(handler).__name__}"
            ) from None
        return handler

    return decorate


def _route_override(match_info: UrlMappingMatchInfo, routes: Mapping[str, Any]) -> Override:
    """The matched route's own policy (decorator first, then ``routes`` by name)."""
    if match_info.http_exception is not None:
        return _DEFAULT
    route = match_info.route
    override: Override = getattr(route.handler, _POLICY_ATTRIBUTE, _DEFAULT)
    if override is _DEFAULT and routes:
        name = route.name
        if name is not None:
            override = routes.get(name, _DEFAULT)
    return override
