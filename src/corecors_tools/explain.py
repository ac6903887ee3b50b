"""``corecors explain``: one request through a policy and the browser's checks, step by step.

Pure: no I/O. Each exchange goes through :mod:`corecors.exchange` -- the request read from
the header lines the browser sends, the decision applied to the response -- as a server
without an adapter would do it, and :mod:`corecors.browser` (the independent browser model)
judges the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from corecors import browser
from corecors.decision import Decision, DecisionKind
from corecors.exchange import read_request, response_headers
from corecors.routing import CORSDecider, PathPolicies

__all__ = ["Step", "explain", "governing_table"]


@dataclass
class Step:
    """One exchange of the browser with the server, as corecors decides it."""

    name: str
    method: str
    request_headers: list[tuple[str, str]]
    decision: Decision
    response_status: int
    response_headers: list[tuple[str, str]]
    browser_ok: bool
    browser_message: str
    exposed: list[str] = field(default_factory=list)
    browser_step: str | None = None
    """The browser's failed step as a stable code (:class:`corecors.browser.FailureStep`)."""
    why: str | None = None
    """What in the policy produced this answer, in plain words (None: nothing to explain)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.name,
            "method": self.method,
            "request_headers": [list(item) for item in self.request_headers],
            "decision": self.decision.kind.value,
            "rejection": self.decision.rejection.value if self.decision.rejection else None,
            "reason": self.decision.reason,
            "why": self.why,
            "status": self.response_status,
            "response_headers": [list(item) for item in self.response_headers],
            "browser_allows": self.browser_ok,
            "browser_failure": self.browser_step,
            "browser_message": self.browser_message,
            "exposed_headers": self.exposed,
        }


def governing_table(decider: CORSDecider, path: str) -> str | None:
    """The ``[paths."…"]`` prefix whose table governs ``path``; None for the top level.

    Only :class:`~corecors.PathPolicies` has tables; for a single policy this is None.
    """
    if not isinstance(decider, PathPolicies):
        return None
    return decider.prefix_for(path)


def _why(decision: Decision, decider: CORSDecider, path: str) -> str | None:
    if decision.reason:
        return decision.reason
    if decision.kind is DecisionKind.DISABLED:
        table = governing_table(decider, path)
        if table is not None:
            return (
                f'CORS handling is off for {path!r}: its table [paths."{table}"] has '
                "enabled = false, so the response goes out without CORS headers"
            )
        return (
            f"no policy covers {path!r}: no [paths] table matches it and the file has no "
            "top-level policy, so the response goes out without CORS headers; add top-level "
            "keys or a table for this path"
        )
    return None


def explain(
    decider: CORSDecider,
    *,
    origin: str,
    method: str,
    headers: Sequence[tuple[str, str]],
    credentials: bool,
    path: str,
    private_network: bool = False,
) -> tuple[bool, list[Step]]:
    """Run one request through ``decider`` and the browser's checks, step by step."""
    request = browser.BrowserRequest(
        origin=origin,
        method=method,
        headers=tuple(headers),
        credentials=credentials,
        private_network=private_network,
    )
    steps: list[Step] = []
    if browser.needs_preflight(request):
        steps.append(_preflight_step(decider, request, path))
        if not steps[-1].browser_ok:
            return False, steps
    steps.append(_actual_step(decider, request, path))
    return steps[-1].browser_ok, steps


def _preflight_step(decider: CORSDecider, request: browser.BrowserRequest, path: str) -> Step:
    sent = browser.preflight_request_headers(request)
    decision = decider.decide(read_request("OPTIONS", path, sent))
    # A preflight the policy does not answer reaches the application; show that.
    status = decision.status if decision.status is not None else 200
    response = response_headers(decision)
    verdict = browser.check_preflight(request, status, response)
    return Step(
        "preflight",
        "OPTIONS",
        sent,
        decision,
        status,
        response,
        verdict.ok,
        verdict.message,
        browser_step=verdict.step.value if verdict.step else None,
        why=_why(decision, decider, path),
    )


def _actual_step(decider: CORSDecider, request: browser.BrowserRequest, path: str) -> Step:
    actual_method = browser.normalize_method(request.method)
    sent = [("Origin", request.origin), *browser.request_header_list(request.headers)]
    decision = decider.decide(read_request(actual_method, path, sent))
    response = response_headers(decision)
    verdict = browser.check_response(request, 200, response)
    exposed = sorted(verdict.exposed_headers) if verdict.ok else []
    return Step(
        "actual",
        actual_method,
        sent,
        decision,
        200,
        response,
        verdict.ok,
        verdict.message,
        exposed,
        browser_step=verdict.step.value if verdict.step else None,
        why=_why(decision, decider, path),
    )
