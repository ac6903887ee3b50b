"""Hypothesis properties of the decision core (the invariants of DESIGN.md).

The central one: for random policies and random browser requests, the browser oracle
(corecors.browser, written from the Fetch standard) lets the page read the response
exactly when an independent reference model of the policy says it meant to allow it.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corecors import CORSConfigWarning, CORSPolicy, Decision, DecisionKind, Rejection, merge_vary
from corecors.browser import BrowserRequest, needs_preflight, normalize_method, simulate
from corecors.browser import preflight_request_headers as browser_preflight_headers
from corecors.decision import asgi_header_lines
from corecors.tokens import parse_request_header_names

EXACT_ORIGINS = [
    "https://a.example",
    "https://b.example",
    "http://localhost:3000",
    "http://127.0.0.1:8080",
]
SUBDOMAIN_PATTERN = "https://*.example.org"
REQUEST_ORIGINS = [
    *EXACT_ORIGINS,
    "https://c.example",
    "https://x.example.org",
    "https://y.x.example.org",
    "https://example.org",
    "http://x.example.org",
    "null",
]
CONFIG_METHODS = ["PUT", "DELETE", "PATCH", "PROPFIND", "OPTIONS"]
REQUEST_METHODS = [
    "GET",
    "get",
    "POST",
    "HEAD",
    "PUT",
    "put",
    "DELETE",
    "delete",
    "PATCH",
    "patch",
    "PROPFIND",
    "OPTIONS",
    "options",
]
CONFIG_HEADERS = ["content-type", "x-token", "authorization", "x-a"]
REQUEST_HEADERS = [
    ("content-type", "text/plain"),
    ("content-type", "application/json"),
    ("x-token", "1"),
    ("authorization", "Bearer abc"),
    ("accept", "*/*"),
    ("X-A", "v"),
    ("X-B", "w"),
    ("accept-language", "@@"),
]


@dataclass(frozen=True)
class PolicySpec:
    any_origin: bool
    origins: tuple[str, ...]
    subdomains: bool
    methods: tuple[str, ...]
    any_method: bool
    headers: tuple[str, ...]
    any_header: bool
    credentials: bool
    private_network: bool

    def build(
        self,
        *,
        debug: bool = False,
        allow_null_origin: bool = False,
        max_request_headers_length: int = 4096,
    ) -> CORSPolicy:
        origins: list[str] = ["*"] if self.any_origin else list(self.origins)
        if self.subdomains and not self.any_origin:
            origins.append(SUBDOMAIN_PATTERN)
        kwargs: dict[str, Any] = {
            "allow_origins": origins,
            "allow_methods": [*self.methods, *(["*"] if self.any_method else [])],
            "allow_headers": [*self.headers, *(["*"] if self.any_header else [])],
            "allow_credentials": self.credentials,
            "allow_private_network": self.private_network,
            "debug": debug,
            # 'null' is refused beside credentials, and '*' covers it already.
            "allow_null_origin": allow_null_origin and not (self.credentials or self.any_origin),
            "max_request_headers_length": max_request_headers_length,
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CORSConfigWarning)
            return CORSPolicy(**kwargs)

    # The reference model: what the policy means, written without corecors' code.
    def origin_allowed(self, origin: str) -> bool:
        if self.any_origin:
            return True
        if origin in self.origins:
            return True
        return self.subdomains and origin.startswith("https://") and origin.endswith(".example.org")

    def method_allowed(self, method: str) -> bool:
        if method in ("GET", "HEAD", "POST"):
            return True
        if self.any_method:
            return True
        return method in self.methods

    def header_allowed(self, name: str) -> bool:
        if name in self.headers:
            return True
        return self.any_header and name != "authorization"

    def means_to_allow(self, request: BrowserRequest) -> bool:
        if not self.origin_allowed(request.origin):
            return False
        if request.credentials and not self.credentials:
            return False
        if not needs_preflight(request):
            return True
        sent = dict(browser_preflight_headers(request))
        names = [n for n in sent.get("Access-Control-Request-Headers", "").split(",") if n]
        return (
            self.method_allowed(normalize_method(request.method))
            and all(self.header_allowed(name) for name in names)
            and (not request.private_network or self.private_network)
        )


@st.composite
def policy_specs(draw: st.DrawFn) -> PolicySpec:
    credentials = draw(st.booleans())
    any_origin = not credentials and draw(st.booleans())
    return PolicySpec(
        any_origin=any_origin,
        origins=tuple(draw(st.lists(st.sampled_from(EXACT_ORIGINS), unique=True))),
        subdomains=draw(st.booleans()),
        methods=tuple(draw(st.lists(st.sampled_from(CONFIG_METHODS), unique=True))),
        any_method=draw(st.booleans()),
        headers=tuple(draw(st.lists(st.sampled_from(CONFIG_HEADERS), unique=True))),
        any_header=draw(st.booleans()),
        credentials=credentials,
        # '*' with Private Network Access is refused (any site could reach the device).
        private_network=not any_origin and draw(st.booleans()),
    )


@st.composite
def browser_requests(draw: st.DrawFn) -> BrowserRequest:
    chosen = draw(st.lists(st.sampled_from(REQUEST_HEADERS), unique_by=lambda h: h[0].lower()))
    return BrowserRequest(
        origin=draw(st.sampled_from(REQUEST_ORIGINS)),
        method=draw(st.sampled_from(REQUEST_METHODS)),
        headers=tuple(chosen),
        credentials=draw(st.booleans()),
        private_network=draw(st.booleans()),
    )


def response_headers(decision: Decision) -> list[tuple[str, str]]:
    headers = list(decision.headers)
    vary = merge_vary(None, decision.vary)
    if vary:
        headers.append(("Vary", vary))
    return headers


def serve(policy: CORSPolicy, method: str, headers: Sequence[tuple[str, str]]) -> Decision:
    fields = {name.lower(): value for name, value in headers}
    return policy.decide_fields(
        method,
        fields.get("origin"),
        fields.get("access-control-request-method"),
        fields.get("access-control-request-headers"),
        fields.get("access-control-request-private-network") == "true",
    )


@settings(max_examples=600, deadline=None)
@given(spec=policy_specs(), request=browser_requests())
def test_browser_accepts_exactly_what_the_policy_means_to_allow(
    spec: PolicySpec, request: BrowserRequest
) -> None:
    policy = spec.build()

    def send(method: str, headers: Sequence[tuple[str, str]]) -> tuple[int, list[tuple[str, str]]]:
        decision = serve(policy, method, headers)
        status = decision.status if decision.status is not None else 200
        return status, response_headers(decision)

    verdict = simulate(request, send)
    assert verdict.ok == spec.means_to_allow(request), verdict.message


@settings(max_examples=400, deadline=None)
@given(spec=policy_specs(), request=browser_requests())
def test_core_decision_agrees_with_reference_model(
    spec: PolicySpec, request: BrowserRequest
) -> None:
    """Without the browser: the preflight is accepted exactly when origin, method and
    every requested header are allowed (credentials aside, which only the browser sees)."""
    policy = spec.build()
    if not needs_preflight(request):
        return
    decision = serve(policy, "OPTIONS", browser_preflight_headers(request))
    relaxed = BrowserRequest(
        request.origin, request.method, request.headers, False, request.private_network
    )
    assert decision.allowed == spec.means_to_allow(relaxed)


text = st.text(max_size=300)
maybe_text = st.none() | text


@settings(max_examples=500, deadline=None)
@given(
    spec=policy_specs(),
    method=st.sampled_from(["GET", "OPTIONS", "POST", "options"]) | text,
    origin=maybe_text | st.sampled_from(REQUEST_ORIGINS),
    request_method=maybe_text,
    request_headers=maybe_text,
    private_network=st.booleans(),
)
def test_decide_never_raises_and_keeps_the_invariants(
    spec: PolicySpec,
    method: str,
    origin: str | None,
    request_method: str | None,
    request_headers: str | None,
    private_network: bool,
) -> None:
    policy = spec.build()
    decision = policy.decide_fields(
        method, origin, request_method, request_headers, private_network
    )
    headers = dict(decision.headers)
    assert len(headers) == len(decision.headers)
    # '*' never stands with credentials.
    if headers.get("Access-Control-Allow-Origin") == "*":
        assert "Access-Control-Allow-Credentials" not in headers
    if "Access-Control-Allow-Credentials" in headers:
        for name in (
            "Access-Control-Allow-Headers",
            "Access-Control-Allow-Methods",
            "Access-Control-Expose-Headers",
        ):
            assert "*" not in headers.get(name, "").split(", ")
    # A disallowed or malformed origin never receives any Access-Control-Allow-* header.
    if origin is not None and not spec.origin_allowed(origin):
        assert not any(name.startswith("Access-Control-") for name in headers)
    # Whenever the answer depends on the Origin, the response says so.
    if not spec.any_origin:
        assert "Origin" in decision.vary
    # Only validated client bytes are reflected.
    for value in headers.values():
        assert "\r" not in value
        assert "\n" not in value
        assert "\x00" not in value
    if decision.kind is DecisionKind.PREFLIGHT_REJECTED:
        assert decision.status == 403
    if decision.status is None:
        assert not decision.is_preflight


def _asgi_lines(decision: Decision) -> tuple[tuple[bytes, bytes], ...]:
    """The ASGI lines an adapter sends for ``decision`` (encoded in advance or not)."""
    return decision._asgi or asgi_header_lines(decision.headers, decision.vary)


@settings(max_examples=500, deadline=None)
@given(
    spec=policy_specs(),
    debug=st.booleans(),
    method=st.sampled_from(["GET", "OPTIONS", "POST", "options"]) | text,
    origin=maybe_text | st.sampled_from(REQUEST_ORIGINS),
    request_method=st.none() | st.sampled_from(["PUT", "GET", "patch"]) | text,
    request_headers=maybe_text,
    private_network=st.booleans(),
)
def test_the_adapters_fast_path_answers_what_decide_fields_answers(
    spec: PolicySpec,
    debug: bool,
    method: str,
    origin: str | None,
    request_method: str | None,
    request_headers: str | None,
    private_network: bool,
) -> None:
    """_decide_for_adapter (the ASGI adapter's single-policy path) gives the same kind,
    status, headers, Vary and encoded lines as decide_fields; only a refusal for the origin
    may be the shared one, whose reason does not name the origin."""
    policy = spec.build(debug=debug)
    fields = (method, origin, request_method, request_headers, private_network)
    general = policy.decide_fields(*fields)
    fast = policy._decide_for_adapter(*fields)
    assert (fast.kind, fast.status, fast.headers, fast.vary) == (
        general.kind,
        general.status,
        general.headers,
        general.vary,
    )
    assert _asgi_lines(fast) == _asgi_lines(general)
    assert fast.allowed == general.allowed
    if fast is not general:
        assert fast == general or (
            fast.kind is DecisionKind.ACTUAL_REJECTED
            and general.rejection is not None
            and not debug
        )


# Origins as raw header bytes: the listed ones, the same spelt in ways a table keyed by
# bytes could wrongly take for them (case, default ports, a trailing slash or dot, a path,
# spaces, a second value, non-ASCII and latin-1 bytes), pattern matches, and anything.
RAW_ORIGINS = [
    origin.encode("latin-1")
    for listed in EXACT_ORIGINS
    for origin in (
        listed,
        listed.upper(),
        listed.replace("https://", "HTTPS://").replace("http://", "HTTP://"),
        listed.capitalize(),
        listed + "/",
        listed + ".",
        listed + "/path",
        listed + (":443" if listed.startswith("https:") else ":80"),
        " " + listed,
        listed + " ",
        listed + "," + listed,
        listed + "\x00",
        listed.replace(".", "\xe9", 1),
    )
] + [b"null", b"NULL", b"Null", b"", b"*", b"https://" + b"a" * 600 + b".example.org"]
# What the subdomain pattern allows, and near misses: a table keyed by bytes must not answer
# these for a policy with patterns.
RAW_PATTERN_ORIGINS = [
    b"https://x.example.org",
    b"https://y.x.example.org",
    b"https://X.EXAMPLE.ORG",
    b"https://x.example.org:443",
    b"https://x.example.org/",
    b"http://x.example.org",
    b"https://\xc3\xa9.example.org",
    b"https://\xe9.example.org",
    b"https://xn--9ca.example.org",
]
raw_origins = (
    st.sampled_from(RAW_ORIGINS[::13])  # the listed origins themselves, often
    | st.sampled_from(RAW_ORIGINS)
    | st.sampled_from(RAW_PATTERN_ORIGINS)
    | st.binary(max_size=40)
)
RAW_METHODS = [b"PUT", b"put", b"Put", b"PATCH", b"GET", b"OPTIONS", b"PUT ", b"", b"*", b"\xe9"]
RAW_HEADER_LISTS = [
    b"x-a",
    b"X-A",
    b"content-type,x-token",
    b"content-type, x-token",
    b"x-a,,x-token",
    b",",
    b"",
    b"authorization",
    b"Authorization,X-Token",
    b"x-a,accept",
    b"x-\xe9",
    b"x-\xc4\xb0",
    b"*",
    b"x-a," * 70,
    b"content-type," * 64,
]


def _decoded(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("latin-1")


@settings(max_examples=300, deadline=None)
@given(
    spec=policy_specs(),
    debug=st.booleans(),
    null=st.booleans(),
    drawn=st.lists(st.binary(max_size=40), max_size=4),
    method=st.sampled_from(["GET", "POST", "OPTIONS", "options"]),
)
def test_the_byte_tables_answer_an_actual_request_as_the_core_does(
    spec: PolicySpec, debug: bool, null: bool, drawn: list[bytes], method: str
) -> None:
    """The ASGI adapter answers an actual request (no Access-Control-Request-Method) from
    ``_raw_actual`` by the Origin line's bytes, or with ``_raw_refused`` for any other origin:
    each must be the very decision _decide_for_adapter gives for the decoded value. Each
    policy is asked with every origin above."""
    policy = spec.build(debug=debug, allow_null_origin=null)
    for origin in (*RAW_ORIGINS, *RAW_PATTERN_ORIGINS, *drawn):
        expected = policy._decide_for_adapter(method, origin.decode("latin-1"))
        if len(origin) <= policy._origin_limit and origin in policy._raw_actual:
            assert policy._raw_actual[origin] is expected, origin
        elif policy._raw_refused is not None:
            assert policy._raw_refused is expected, origin
            assert expected.kind is DecisionKind.ACTUAL_REJECTED


@settings(max_examples=300, deadline=None)
@given(
    spec=policy_specs(),
    debug=st.booleans(),
    null=st.booleans(),
    private_network=st.none() | st.sampled_from([b"true", b"false", b"TRUE", b""]),
    data=st.data(),
)
def test_the_byte_tables_answer_a_preflight_as_the_core_does(
    spec: PolicySpec,
    debug: bool,
    null: bool,
    private_network: bytes | None,
    data: st.DataObject,
) -> None:
    """_decide_raw_preflight, when it answers, gives the very decision _decide_for_adapter
    gives for the decoded fields; and it answers every preflight the core answers from its
    prebuilt tables with a listed origin's plain method and no Private Network Access.
    Each policy is asked with every listed origin and every header list below."""
    limit = data.draw(st.sampled_from([4096, 24]))
    policy = spec.build(debug=debug, allow_null_origin=null, max_request_headers_length=limit)
    configured = sorted(name.encode() for name in policy._allowed_headers) or [b"x-a"]
    header_list = st.lists(st.sampled_from([*configured, b"", b"X-A", b"accept"])).map(b",".join)
    listed = sorted(policy._raw_preflight)
    origins = [
        *listed,
        *(odd for origin in listed for odd in (origin.upper(), origin + b"/", origin + b":443")),
        *data.draw(st.lists(raw_origins, max_size=6)),
    ]
    header_lists = [
        None,
        *RAW_HEADER_LISTS,
        *(name + b",accept" for name in configured),
        b",".join(configured * 3),
        *data.draw(st.lists(header_list, max_size=6)),
    ]
    request_method = data.draw(
        st.sampled_from(sorted(policy._raw_methods) or RAW_METHODS) | st.sampled_from(RAW_METHODS)
    )
    for origin in origins:
        for request_headers in header_lists:
            fast = policy._decide_raw_preflight(
                origin, request_method, request_headers, private_network
            )
            expected = policy._decide_for_adapter(
                "OPTIONS",
                origin.decode("latin-1"),
                request_method.decode("latin-1"),
                _decoded(request_headers),
                private_network == b"true",
            )
            if fast is not None:
                assert fast is expected, (origin, request_method, request_headers)
            elif (
                private_network is None
                and not request_headers
                and expected.allowed
                and policy._allow_methods_header is not None  # else none is built in advance
                and (spec.any_origin or origin in policy._raw_preflight)
            ):
                # Only a method the policy does not list (any method allowed) is decided
                # per request.
                assert request_method.decode("latin-1") not in policy._allowed_methods


@settings(max_examples=300, deadline=None)
@given(spec=policy_specs(), origin=text | st.sampled_from(REQUEST_ORIGINS))
def test_a_refusal_for_the_origin_is_a_decision_like_any_other(
    spec: PolicySpec, origin: str
) -> None:
    """Refusals built from a per-policy class (no constructor, explained when read) have a
    Decision's fields, equality, hash, repr, unpacking and pickling, and name the origin."""
    policy = spec.build()
    for decision in (
        policy.decide_fields("GET", origin),
        policy.decide_fields("OPTIONS", origin, "PUT"),
        policy.decide_websocket(origin),
    ):
        if decision.rejection not in (
            Rejection.ORIGIN_NOT_ALLOWED,
            Rejection.ORIGIN_MALFORMED,
            Rejection.NULL_ORIGIN_NOT_ALLOWED,
        ):
            continue
        assert isinstance(decision, Decision)
        rebuilt = Decision(*decision)
        assert rebuilt == decision
        assert decision == rebuilt
        assert hash(rebuilt) == hash(decision)
        assert repr(rebuilt) == repr(decision)
        assert pickle.loads(pickle.dumps(decision)) == decision
        assert decision.reason is not None
        if origin == "null":
            assert "'null'" in decision.reason
        assert not decision.allowed
        assert decision.headers == ()
        with pytest.raises(AttributeError):
            decision.kind = DecisionKind.ACTUAL_ALLOWED


@settings(max_examples=300, deadline=None)
@given(
    existing=st.none() | st.sampled_from(["", "Accept-Encoding", "origin", "*", "Accept, Cookie"]),
    names=st.lists(st.sampled_from(["Origin", "Access-Control-Request-Method", "Accept"])),
)
def test_merge_vary_adds_each_name_once_and_keeps_what_was_there(
    existing: str | None, names: list[str]
) -> None:
    merged = merge_vary(existing, names)
    again = merge_vary(merged, names)
    assert again == merged
    items = [item.strip().lower() for item in (merged or "").split(",") if item.strip()]
    if existing is not None and existing.strip() == "*":
        assert merged == existing
        return
    assert len(items) == len(set(items))
    for name in names:
        assert name.lower() in items
    for kept in (existing or "").split(","):
        if kept.strip():
            assert kept.strip().lower() in items


@given(request=browser_requests())
def test_browser_built_request_headers_parse_back_exactly(request: BrowserRequest) -> None:
    sent = dict(browser_preflight_headers(request))
    value = sent.get("Access-Control-Request-Headers")
    if value is None:
        return
    parsed = parse_request_header_names(value, max_length=4096, max_count=64)
    assert parsed == tuple(value.split(","))
