"""A method or request header literally named ``*`` is never echoed (issue 12, item 6).

In ``Access-Control-Allow-Methods`` and ``-Headers`` a ``*`` is the wildcard to a browser
(for requests without credentials): echoing a requested ``*`` would answer "every method" or
"every header", and the browser caches that for ``max-age``. The core echoes requested names
only where the policy allows any (``allow_methods=["*"]``, ``allow_headers=["*"]``); there
a requested ``*`` is refused instead, whatever else the request asks for.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corecors import CORSPolicy, Decision, DecisionKind, Rejection
from corecors_asgi import CORSMiddleware
from tests.adapters.asgi.asgi_apps import RawApp, call

APP = "https://app.example.com"

POLICIES = {
    "any-header": {"allow_headers": ["*"], "allow_methods": ["PUT"]},
    "any-header-and-authorization": {
        "allow_headers": ["*", "authorization"],
        "allow_methods": ["PUT"],
    },
    "any-method": {"allow_methods": ["*"], "allow_headers": ["x-token"]},
    "any-method-and-header": {"allow_methods": ["*"], "allow_headers": ["*"]},
    "any-header-credentials": {
        "allow_headers": ["*"],
        "allow_methods": ["PUT"],
        "allow_credentials": True,
    },
    "any-header-debug": {"allow_headers": ["*"], "allow_methods": ["*"], "debug": True},
    "listed-only": {"allow_headers": ["x-token"], "allow_methods": ["PUT"]},
}


def build(name: str) -> CORSPolicy:
    return CORSPolicy(allow_origins=[APP], **POLICIES[name])  # type: ignore[arg-type]


def elements(decision: Decision, header: str) -> list[str]:
    return [
        item.strip()
        for name, value in decision.headers
        if name.lower() == header
        for item in value.split(",")
    ]


def assert_no_star_echoed(decision: Decision) -> None:
    assert "*" not in elements(decision, "access-control-allow-headers"), decision
    assert "*" not in elements(decision, "access-control-allow-methods"), decision


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
@pytest.mark.parametrize("requested", ["*", "x-token,*", " * ", "*, content-type", "*,*"])
def test_a_requested_header_named_star_is_refused(policy_name: str, requested: str) -> None:
    decision = build(policy_name).decide_fields("OPTIONS", APP, "PUT", requested)
    assert decision.kind is DecisionKind.PREFLIGHT_REJECTED
    assert decision.rejection is Rejection.HEADER_NOT_ALLOWED
    assert_no_star_echoed(decision)


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
def test_a_requested_method_named_star_is_refused(policy_name: str) -> None:
    decision = build(policy_name).decide_fields("OPTIONS", APP, "*", None)
    assert decision.kind is DecisionKind.PREFLIGHT_REJECTED
    assert decision.rejection is Rejection.METHOD_NOT_ALLOWED
    assert_no_star_echoed(decision)


def test_other_names_are_still_echoed_under_a_wildcard() -> None:
    decision = build("any-method-and-header").decide_fields("OPTIONS", APP, "PATCH", "x-a, x-b")
    assert decision.kind is DecisionKind.PREFLIGHT_ALLOWED
    assert elements(decision, "access-control-allow-methods") == ["PATCH"]
    assert elements(decision, "access-control-allow-headers") == ["x-a", "x-b"]


NAMES = st.sampled_from(["*", "x-a", "content-type", "authorization", "X-B", "", " "])
METHODS = st.sampled_from(["*", "PUT", "PATCH", "get", "*GET", "GET*"])


@given(
    policy_name=st.sampled_from(sorted(POLICIES)),
    method=METHODS,
    names=st.lists(NAMES, max_size=5),
    private_network=st.booleans(),
)
def test_no_answer_ever_lists_a_star(
    policy_name: str, method: str, names: list[str], private_network: bool
) -> None:
    decision = build(policy_name).decide_fields(
        "OPTIONS", APP, method, ",".join(names), private_network
    )
    assert_no_star_echoed(decision)


async def test_through_the_asgi_adapter() -> None:
    middleware = CORSMiddleware(RawApp(), policy=build("any-method-and-header"))
    lines = [
        (b"origin", APP.encode()),
        (b"access-control-request-method", b"PUT"),
        (b"access-control-request-headers", b"*"),
    ]
    sent = await call(middleware, "OPTIONS", "/", lines)
    assert sent.status == 403
    assert sent.header("access-control-allow-headers") is None
