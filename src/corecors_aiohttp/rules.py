"""The rules a :class:`CORSMiddleware` applies, and what its prepare hook's single-policy fast
path prepares from them in advance."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from multidict import istr

from corecors import CORSDecider, CORSPolicy, Decision, DecisionKind

from .apply import _DISABLED, _FAST_OWNED_CHECK, _lines

if TYPE_CHECKING:
    from .middleware import CORSMiddleware

__all__: list[str] = []

_ACTUAL_ALLOWED: Final = DecisionKind.ACTUAL_ALLOWED
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
        own = single is not None and type(single).decide_fields is CORSPolicy.decide_fields
        self.decide: Callable[[str, str | None], Decision] = (
            single._decide_for_adapter if single is not None and own else decider.decide_fields
        )
        #: The fast path's answer to an actual request from each origin the policy lists,
        #: as header lines: built from the configuration, never from requests.
        self.listed_lines = _listed_lines(single) if single is not None and own else {}
        #: No listed origin is longer: a longer one is never hashed (hostile input).
        self.listed_limit = max(map(len, self.listed_lines), default=0)


def _listed_lines(policy: CORSPolicy) -> dict[str, _Lines]:
    """The lines of the answer to an actual request from each origin ``policy`` lists, where
    the core answers it with a decision built in advance (the same for every such request,
    whatever its method)."""
    listed = [*policy.allow_origins, *(["null"] if policy.allow_null_origin else [])]
    table: dict[str, _Lines] = {}
    for origin in listed:
        decision = policy._decide_for_adapter("GET", origin)
        if decision.kind is _ACTUAL_ALLOWED and decision._memo is not None:
            table[origin] = _lines(decision)
    return table


def _fast_path_rules(self: CORSMiddleware, rules: _Rules) -> _Rules | None:
    """``rules``, when the prepare hook may take its fast path with them: one policy for
    every request (no route of its own, no sub-application's setup()), and a multidict whose
    key lookups the fast path's header check relies on. ``None`` otherwise."""
    fast = rules.single is not None and self._nested is False and self._decorated is False
    return rules if fast and _FAST_OWNED_CHECK else None
