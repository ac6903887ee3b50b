"""The scenario table against the core, plus rules that need more than one request."""

from __future__ import annotations

from typing import Any

import pytest

from corecors import (
    DEBUG_REASON_HEADER,
    CORSConfigError,
    CORSConfigWarning,
    CORSPolicy,
    Decision,
    DecisionKind,
    Rejection,
    RequestInfo,
)
from corecors.browser import BrowserRequest, FailureStep, check_preflight
from tests.scenarios import (
    ACAC,
    ACAH,
    ACAM,
    ACAO,
    APP,
    EVIL,
    POLICIES,
    SCENARIOS,
    Scenario,
    build_policy,
)


def decide(scenario: Scenario) -> Decision:
    policy = build_policy(scenario.policy)
    return policy.decide(
        RequestInfo(
            method=scenario.method,
            origin=scenario.origin,
            request_method=scenario.request_method,
            request_headers=scenario.request_headers,
            request_private_network=scenario.private_network,
        )
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_scenario(scenario: Scenario) -> None:
    decision = decide(scenario)
    headers = dict(decision.headers)
    assert decision.kind is scenario.kind
    assert decision.status == scenario.status
    for name, value in scenario.expect_headers.items():
        assert headers.get(name) == value, name
    if scenario.vary is not None:
        assert decision.vary == scenario.vary
    assert decision.rejection is scenario.rejection
    # Every decision, whatever the scenario, keeps these invariants.
    assert len(headers) == len(decision.headers), "a header appears twice"
    if headers.get(ACAO) == "*":
        assert ACAC not in headers
    if not decision.allowed and decision.kind is not DecisionKind.NOT_CORS:
        assert not any(name.startswith("Access-Control-") for name in headers)
        assert decision.reason
    else:
        assert decision.reason is None


def test_decide_fields_equals_decide() -> None:
    policy = build_policy("credentialed")
    info = RequestInfo("OPTIONS", APP, "PUT", "content-type", False, "/x")
    assert policy.decide(info) == policy.decide_fields(
        "OPTIONS", APP, "PUT", "content-type", False, "/x"
    )


def test_allowed_exact_origin_answers_are_reused_not_rebuilt() -> None:
    policy = build_policy("exact")
    first = policy.decide(RequestInfo("GET", APP))
    assert policy.decide(RequestInfo("GET", APP)) is first


def test_rejection_reason_names_the_origin_safely() -> None:
    policy = build_policy("exact")
    decision = policy.decide(RequestInfo("GET", "https://evil.example\r\nX-Injected: 1"))
    assert decision.reason is not None
    assert "\r" not in decision.reason
    assert "\n" not in decision.reason
    assert "\\x0d\\x0a" in decision.reason


def test_rejection_reason_is_bounded_for_huge_origin() -> None:
    policy = build_policy("exact")
    decision = policy.decide(RequestInfo("GET", "https://" + "a" * 65536 + ".com"))
    assert decision.rejection is Rejection.ORIGIN_MALFORMED
    assert decision.reason is not None
    assert len(decision.reason) < 400


def test_case_sensitive_method_reason_suggests_uppercase() -> None:
    decision = build_policy("exact").decide(RequestInfo("OPTIONS", APP, "patch"))
    assert decision.reason is not None
    assert "'PATCH' is allowed" in decision.reason


def test_authorization_reason_says_to_list_it() -> None:
    decision = build_policy("star_headers").decide(
        RequestInfo("OPTIONS", APP, "PUT", "authorization")
    )
    assert decision.reason is not None
    assert "list 'authorization' next to '*'" in decision.reason


def test_debug_mode_exposes_reason_on_rejected_preflight() -> None:
    policy = CORSPolicy(allow_origins=[APP], debug=True)
    decision = policy.decide(RequestInfo("OPTIONS", EVIL, "PUT"))
    assert decision.status == 403
    assert dict(decision.headers)[DEBUG_REASON_HEADER] == decision.reason


def test_debug_mode_exposes_reason_on_rejected_actual_request() -> None:
    policy = CORSPolicy(allow_origins=[APP], debug=True)
    decision = policy.decide(RequestInfo("GET", EVIL))
    assert decision.kind is DecisionKind.ACTUAL_REJECTED
    assert dict(decision.headers)[DEBUG_REASON_HEADER] == decision.reason


def test_debug_mode_reason_header_is_printable_ascii() -> None:
    policy = CORSPolicy(allow_origins=[APP], debug=True)
    decision = policy.decide(RequestInfo("GET", "https://\u00e9vil\x00\r\n.com"))
    value = dict(decision.headers)[DEBUG_REASON_HEADER]
    assert all(" " <= char <= "~" for char in value)


def test_no_debug_header_by_default() -> None:
    decision = build_policy("exact").decide(RequestInfo("GET", EVIL))
    assert decision.headers == ()


def test_rejections_are_logged_at_debug_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="corecors")
    build_policy("exact").decide(RequestInfo("OPTIONS", EVIL, "PUT"))
    assert any("not allowed" in record.getMessage() for record in caplog.records)
    assert all(record.levelname == "DEBUG" for record in caplog.records)


def test_allowed_requests_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="corecors")
    build_policy("exact").decide(RequestInfo("GET", APP))
    assert caplog.records == []


def test_preflight_lists_configured_methods_for_cache_reuse() -> None:
    decision = build_policy("exact").decide(RequestInfo("OPTIONS", APP, "DELETE"))
    assert dict(decision.headers)[ACAM] == "GET, POST, PUT, PATCH, DELETE"


def test_preflight_lists_configured_headers_as_spelt_and_matches_any_case() -> None:
    policy = CORSPolicy(allow_origins=[APP], allow_headers=["X-Token", "Content-Type", "x-token"])
    assert policy.allow_headers == ("x-token", "content-type")
    decision = policy.decide(RequestInfo("OPTIONS", APP, "POST", "x-token, CONTENT-TYPE"))
    assert decision.allowed
    assert dict(decision.headers)[ACAH] == "X-Token, Content-Type"


def test_refused_preflight_status_is_configurable_and_checked() -> None:
    policy = CORSPolicy(allow_origins=[APP], rejected_preflight_status=400)
    assert policy.decide(RequestInfo("OPTIONS", "https://evil.example", "GET")).status == 400
    assert policy.decide(RequestInfo("OPTIONS", APP, "PUT")).status == 400
    assert CORSPolicy(allow_origins=[APP]).decide(RequestInfo("OPTIONS", APP, "PUT")).status == 403
    with pytest.raises(CORSConfigError, match="rejected_preflight_status must be 403 or 400"):
        CORSPolicy(allow_origins=[APP], rejected_preflight_status=200)


def test_configured_methods_are_normalized_like_browsers() -> None:
    policy = CORSPolicy(allow_origins=[APP], allow_methods=["put", "delete"])
    assert policy.allow_methods == ("PUT", "DELETE")
    assert policy.decide(RequestInfo("OPTIONS", APP, "PUT")).allowed
    assert not policy.decide(RequestInfo("OPTIONS", APP, "put")).allowed


def test_many_exact_origins_all_match() -> None:
    origins = [f"https://site{index}.example.org" for index in range(1000)]
    policy = CORSPolicy(allow_origins=origins)
    assert all(policy.decide(RequestInfo("GET", origin)).allowed for origin in origins)
    assert not policy.decide(RequestInfo("GET", "https://site1000.example.org")).allowed


def test_many_subdomain_patterns_all_match() -> None:
    patterns = [f"https://*.tenant{index}.example.org" for index in range(50)]
    policy = CORSPolicy(allow_origins=patterns)
    assert all(
        policy.decide(RequestInfo("GET", f"https://x.tenant{index}.example.org")).allowed
        for index in range(50)
    )
    assert not policy.decide(RequestInfo("GET", "https://x.tenant50.example.org")).allowed


def test_predicate_decides_origin() -> None:
    policy = CORSPolicy(allow_origin_predicate=lambda origin: origin.endswith(".corp.test"))
    assert policy.decide(RequestInfo("GET", "https://a.corp.test")).allowed
    assert not policy.decide(RequestInfo("GET", "https://a.corp.test.evil")).allowed


def test_failing_predicate_is_not_allowed_and_does_not_raise() -> None:
    def broken(origin: str) -> bool:
        raise RuntimeError("boom")

    policy = CORSPolicy(allow_origin_predicate=broken)
    assert policy.decide(RequestInfo("GET", "https://a.test")).kind is (
        DecisionKind.ACTUAL_REJECTED
    )


def test_predicate_not_called_for_malformed_origin() -> None:
    seen: list[str] = []

    def record(origin: str) -> bool:
        seen.append(origin)
        return True

    policy = CORSPolicy(allow_origin_predicate=record)
    assert not policy.decide(RequestInfo("GET", "https://A.test/")).allowed
    assert seen == []


def test_predicate_must_return_true_not_truthy() -> None:
    def truthy(origin: str) -> Any:
        return "yes"

    policy = CORSPolicy(allow_origin_predicate=truthy)
    with pytest.warns(CORSConfigWarning, match="returned str, not True or False"):
        assert not policy.decide(RequestInfo("GET", "https://a.test")).allowed


def test_policy_is_immutable() -> None:
    policy = build_policy("exact")
    with pytest.raises(AttributeError, match="immutable"):
        policy.allow_credentials = True


def test_decision_is_immutable() -> None:
    decision: Any = build_policy("exact").decide(RequestInfo("GET", APP))
    with pytest.raises(AttributeError):
        decision.status = 500


def test_policy_repr_shows_configuration() -> None:
    assert "https://app.example.com" in repr(build_policy("exact"))


def test_websocket_origin_allowed() -> None:
    decision = build_policy("exact").decide_websocket(APP)
    assert decision.status is None
    assert decision.allowed


def test_websocket_foreign_origin_refused_with_403() -> None:
    decision = build_policy("exact").decide_websocket(EVIL)
    assert decision.status == 403
    assert decision.rejection is Rejection.ORIGIN_NOT_ALLOWED
    assert decision.reason is not None
    assert decision.reason.startswith("WebSocket: ")


def test_websocket_without_origin_is_not_a_browser_and_passes() -> None:
    assert build_policy("exact").decide_websocket(None).status is None


def test_websocket_malformed_origin_refused() -> None:
    decision = build_policy("patterns").decide_websocket("https://A.example.com")
    assert decision.status == 403
    assert decision.rejection is Rejection.ORIGIN_MALFORMED


DEBUG_POLICY = {**POLICIES["credentialed"], "debug": True, "allow_origins": [APP]}


@pytest.mark.parametrize(
    ("request_method", "request_headers", "private_network", "step"),
    [
        ("patch", None, False, FailureStep.METHOD_NOT_ALLOWED),
        ("PUT", "x-other", False, FailureStep.HEADER_NOT_ALLOWED),
        ("PUT", None, True, FailureStep.MISSING_ALLOW_PRIVATE_NETWORK),
    ],
)
def test_debug_mode_lets_the_browser_name_the_real_cause(
    request_method: str, request_headers: str | None, private_network: bool, step: FailureStep
) -> None:
    policy = CORSPolicy(**DEBUG_POLICY)
    decision = policy.decide(
        RequestInfo("OPTIONS", APP, request_method, request_headers, private_network)
    )
    assert decision.kind is DecisionKind.PREFLIGHT_REJECTED
    assert not decision.allowed
    assert decision.status == 204
    headers = dict(decision.headers)
    assert headers[ACAO] == APP
    assert "Access-Control-Max-Age" not in headers  # a debugging answer is never cached
    assert headers[DEBUG_REASON_HEADER] == decision.reason
    page_headers = [("x-other", "1")] if request_headers else []
    request = BrowserRequest(
        APP, request_method, page_headers, credentials=True, private_network=private_network
    )
    verdict = check_preflight(request, decision.status, list(decision.headers))
    assert verdict.step is step


def test_debug_mode_still_refuses_foreign_origins_with_403_and_no_cors_headers() -> None:
    decision = CORSPolicy(**DEBUG_POLICY).decide(RequestInfo("OPTIONS", EVIL, "PUT"))
    assert decision.status == 403
    assert [name for name, _ in decision.headers] == [DEBUG_REASON_HEADER]
