"""The rules a :class:`CORSMiddleware` applies, and what its prepare hook's single-policy fast
path prepares from them in advance."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final

from multidict import istr

from corecors import CORSDecider, CORSPolicy, Decision
from corecors.exchange import core_policy

from .apply import _DISABLED, _FAST_OWNED_CHECK, _lines

if TYPE_CHECKING:
    from .middleware import CORSMiddleware

__all__: list[str] = []

#: Stands in where a decision is never read (``_Rules.no_origin`` off the fast path).
_UNUSED_DECISION: Final = Decision(_DISABLED, None, (), ())

_Lines = tuple[tuple[istr, str], ...]


class _Rules:
    """What a :class:`CORSMiddleware` applies; replaced whole, so a swap is atomic."""

    __slots__ = (
        "decide",
        "decider",
        "listed_limit",
        "listed_lines",
        "no_origin",
        "no_origin_lines",
        "routes",
        "single",
        "unlisted_lines",
    )

    def __init__(self, decider: CORSDecider, routes: dict[str, CORSDecider | None]) -> None:
        self.decider = decider
        self.routes = routes
        #: The fast path's policy: one ``CORSPolicy`` (which ignores the path), no per-route
        #: policies by name. ``None`` otherwise.
        single = decider if isinstance(decider, CORSPolicy) and not routes else None
        self.single = single
        #: The decision for requests without ``Origin`` (the same for every request).
        self.no_origin = _UNUSED_DECISION if single is None else single.decide_fields("GET", None)
        self.no_origin_lines = _lines(self.no_origin)
        #: How the fast path decides: the core's own policy answers through the adapters'
        #: entry (an origin refusal built in advance, not per request); a subclass that
        #: decides for itself is asked as usual.
        own = None if single is None else core_policy(single)
        self.decide: Callable[[str, str | None], Decision] = (
            decider.decide_fields if own is None else own._decide_for_adapter
        )
        #: The fast path's answers to actual requests, as header lines, built in advance by
        #: the core (from the configuration, never from requests): by listed origin, and for
        #: any other origin when that is always the same refusal (else ``None``: ask).
        listed: Mapping[str, Decision] = {}
        unlisted: Decision | None = None
        if own is not None:
            listed, unlisted = own._actual_answers_for_adapter()
        self.listed_lines = {origin: _lines(decision) for origin, decision in listed.items()}
        #: No listed origin is longer: a longer one is never hashed (hostile input).
        self.listed_limit = max(map(len, listed), default=0)
        self.unlisted_lines = None if unlisted is None else _lines(unlisted)


def _fast_path_rules(self: CORSMiddleware, rules: _Rules) -> _Rules | None:
    """``rules``, when the prepare hook may take its fast path with them: one policy for
    every request (no route of its own, no sub-application's setup()), and a multidict whose
    key lookups the fast path's header check relies on. ``None`` otherwise."""
    fast = rules.single is not None and self._nested is False and self._decorated is False
    return rules if fast and _FAST_OWNED_CHECK else None
