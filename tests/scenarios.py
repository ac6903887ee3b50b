"""The scenario table: one named case per server-side rule of CORS-RULES.md.

Shared by the core's tests and by every adapter's tests, so that an adapter cannot
drift from the core: each scenario names a policy, a request and what must come back.
``expect_headers`` maps a header name to its exact value, or to ``None`` when the
header must be absent. For actual requests the application answers 200.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from corecors import CORSPolicy, DecisionKind, Rejection

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
EVIL = "https://evil.example.net"

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"

ALL_CORS_HEADERS = (ACAO, ACAC, ACAM, ACAH, ACEH, ACMA, ACAPN)
NO_CORS_HEADERS: dict[str, str | None] = dict.fromkeys(ALL_CORS_HEADERS)
PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")

#: Named policies, as constructor keyword arguments (also valid TOML tables).
POLICIES: dict[str, dict[str, Any]] = {
    "exact": {
        "allow_origins": [APP, ADMIN],
        "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ["content-type", "x-token"],
        "expose_headers": ["x-request-id"],
    },
    "credentialed": {
        "allow_origins": [APP, ADMIN],
        "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ["content-type", "authorization", "x-token"],
        "expose_headers": ["x-request-id", "x-total-count"],
        "allow_credentials": True,
        "max_age": 600,
    },
    "wildcard": {
        "allow_origins": ["*"],
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": ["*"],
    },
    "wildcard_listed": {
        "allow_origins": ["*"],
        "allow_methods": ["PUT"],
        "allow_headers": ["x-token"],
        "max_age": 0,
    },
    "patterns": {
        "allow_origins": [
            "https://*.example.com",
            "http://localhost:*",
            "https://*.dev.example.org:*",
            "http://127.0.0.1:*",
        ],
        "allow_methods": ["PUT"],
        "allow_credentials": True,
    },
    "regex": {
        "allow_origin_regex": r"https://[a-z0-9-]+\.preview\.example\.net",
        "allow_methods": ["DELETE"],
    },
    "null": {"allow_null_origin": True, "allow_origins": [APP]},
    "any_method_credentialed": {
        "allow_origins": [APP],
        "allow_methods": ["*"],
        "allow_headers": ["*", "authorization"],
        "allow_credentials": True,
    },
    "star_headers": {"allow_origins": [APP], "allow_headers": ["*"], "allow_methods": ["PUT"]},
    "safelisted_only": {"allow_origins": [APP], "allow_methods": []},
    "private_network": {"allow_origins": [APP], "allow_private_network": True},
    "status_200": {"allow_origins": [APP], "preflight_status": 200, "allow_methods": ["PUT"]},
    "schemes": {
        "allow_origins": [
            "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
            "capacitor://localhost",
            "tauri://localhost",
            "http://[::1]:8080",
        ]
    },
    "small_limits": {
        "allow_origins": [APP],
        "allow_headers": ["*"],
        "max_request_headers_length": 64,
        "max_request_headers_count": 4,
        "max_origin_length": 40,
    },
}


def build_policy(name: str) -> CORSPolicy:
    return CORSPolicy(**POLICIES[name])


def preflight_headers(
    origin: str = APP, method: str = "PUT", request_headers: str | None = None
) -> dict[str, str]:
    """A preflight's CORS request fields, as an HTTP client's ``headers=`` takes them."""
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return headers


@dataclass(frozen=True, kw_only=True)
class Scenario:
    id: str
    policy: str
    method: str
    origin: str | None
    kind: DecisionKind
    request_method: str | None = None
    request_headers: str | None = None
    private_network: bool = False
    expect_headers: dict[str, str | None] = field(default_factory=dict)
    vary: tuple[str, ...] | None = None
    rejection: Rejection | None = None

    @property
    def status(self) -> int | None:
        if self.kind is DecisionKind.PREFLIGHT_ALLOWED:
            status: int = POLICIES[self.policy].get("preflight_status", 204)
            return status
        if self.kind is DecisionKind.PREFLIGHT_REJECTED:
            return 403
        return None


def actual(
    id: str,
    *,
    policy: str,
    origin: str | None,
    allowed: bool,
    headers: Mapping[str, str | None] | None = None,
    method: str = "GET",
    vary: tuple[str, ...] | None = ("Origin",),
    rejection: Rejection | None = None,
) -> Scenario:
    kind = DecisionKind.ACTUAL_ALLOWED if allowed else DecisionKind.ACTUAL_REJECTED
    if origin is None:
        kind = DecisionKind.NOT_CORS
    expected = dict(headers or {})
    if not allowed:
        expected = {**NO_CORS_HEADERS, **expected}
    if allowed and origin is not None:
        expected.setdefault(ACAM, None)
        expected.setdefault(ACAH, None)
        expected.setdefault(ACMA, None)
    return Scenario(
        id=id,
        policy=policy,
        method=method,
        origin=origin,
        kind=kind,
        expect_headers=expected,
        vary=vary,
        rejection=rejection,
    )


def preflight(
    id: str,
    *,
    policy: str,
    origin: str,
    request_method: str,
    request_headers: str | None = None,
    allowed: bool,
    headers: Mapping[str, str | None] | None = None,
    private_network: bool = False,
    vary: tuple[str, ...] | None = PREFLIGHT_VARY,
    rejection: Rejection | None = None,
) -> Scenario:
    kind = DecisionKind.PREFLIGHT_ALLOWED if allowed else DecisionKind.PREFLIGHT_REJECTED
    expected = dict(headers or {})
    if not allowed:
        expected = {**NO_CORS_HEADERS, **expected}
    else:
        expected.setdefault(ACEH, None)
    return Scenario(
        id=id,
        policy=policy,
        method="OPTIONS",
        origin=origin,
        kind=kind,
        request_method=request_method,
        request_headers=request_headers,
        private_network=private_network,
        expect_headers=expected,
        vary=vary,
        rejection=rejection,
    )


_CRED: dict[str, str | None] = {ACAO: APP, ACAC: "true", ACEH: "x-request-id, x-total-count"}
_EXACT: dict[str, str | None] = {ACAO: APP, ACAC: None, ACEH: "x-request-id"}
_METHODS = "GET, POST, PUT, PATCH, DELETE"
_NOT_ALLOWED = Rejection.ORIGIN_NOT_ALLOWED
_MALFORMED = Rejection.ORIGIN_MALFORMED
_STAR_PREFLIGHT_VARY = ("Access-Control-Request-Method", "Access-Control-Request-Headers")
_PNA_VARY = (*PREFLIGHT_VARY, "Access-Control-Request-Private-Network")

# Row builders, one per group of rows: a row states only what differs from its group
# (`functools.partial`, so a row may still override a group's field, and mypy checks the names).
_not_cors = partial(actual, origin=None, allowed=True)
_exact_allowed = partial(actual, policy="exact", origin=APP, allowed=True, headers=_EXACT)
_exact_malformed = partial(actual, policy="exact", allowed=False, rejection=_MALFORMED)
_exact_not_listed = partial(actual, policy="exact", allowed=False, rejection=_NOT_ALLOWED)
_schemes = partial(actual, policy="schemes")
_pattern_allowed = partial(actual, policy="patterns", allowed=True)
_pattern_malformed = partial(actual, policy="patterns", allowed=False, rejection=_MALFORMED)
_pattern_not_listed = partial(actual, policy="patterns", allowed=False, rejection=_NOT_ALLOWED)
_regex = partial(actual, policy="regex")
_credentialed_allowed = partial(actual, policy="credentialed", allowed=True)
_star_answer = partial(actual, allowed=True, vary=())
_exact_preflight = partial(preflight, policy="exact", origin=APP, allowed=True)
_exact_preflight_refused = partial(preflight, policy="exact", origin=APP, allowed=False)
_exact_put_allowed = partial(
    preflight, policy="exact", origin=APP, request_method="PUT", allowed=True, headers={ACAO: APP}
)
_malformed_header = partial(
    preflight,
    policy="star_headers",
    origin=APP,
    request_method="PUT",
    allowed=False,
    rejection=Rejection.REQUEST_HEADERS_MALFORMED,
)
_star_headers = partial(preflight, policy="star_headers", origin=APP, request_method="PUT")
_over_acrh_limits = partial(
    preflight,
    policy="small_limits",
    origin=APP,
    request_method="POST",
    allowed=False,
    rejection=Rejection.REQUEST_HEADERS_MALFORMED,
)
_any_method_preflight = partial(preflight, policy="any_method_credentialed", origin=APP)
_star_preflight = partial(preflight, vary=_STAR_PREFLIGHT_VARY)
_private_network_preflight = partial(
    preflight, policy="private_network", request_method="GET", private_network=True, vary=_PNA_VARY
)

SCENARIOS: list[Scenario] = [
    # --- §1, §2: classification and the Origin header --------------------------------
    _not_cors("no-origin-is-not-cors-but-varies", policy="exact", headers=NO_CORS_HEADERS),
    _not_cors(
        "no-origin-post-is-not-cors", policy="credentialed", headers=NO_CORS_HEADERS, method="POST"
    ),
    _not_cors(
        "no-origin-with-static-wildcard-gets-star-and-no-vary",
        policy="wildcard",
        headers={ACAO: "*", ACEH: "*", ACAC: None},
        vary=(),
    ),
    _not_cors(
        "no-origin-with-wildcard-listed-gets-star",
        policy="wildcard_listed",
        headers={ACAO: "*", ACAC: None, ACEH: None},
        vary=(),
    ),
    _exact_allowed("allowed-origin-simple-get"),
    actual(
        "second-allowed-origin-simple-get",
        policy="exact",
        origin=ADMIN,
        allowed=True,
        headers={ACAO: ADMIN, ACEH: "x-request-id"},
    ),
    _exact_allowed("allowed-origin-post", method="POST"),
    _exact_allowed("allowed-origin-head", method="HEAD"),
    _exact_allowed("allowed-origin-put-actual", method="PUT"),
    _exact_allowed("allowed-origin-delete-actual", method="DELETE"),
    _exact_not_listed(
        "same-origin-post-with-unlisted-origin-passes-without-headers",
        origin="https://api.example.com",
        method="POST",
    ),
    _exact_allowed("options-without-acrm-is-actual-request", method="OPTIONS"),
    _exact_not_listed("options-without-acrm-disallowed-origin", origin=EVIL, method="OPTIONS"),
    _exact_not_listed("disallowed-origin-gets-no-cors-headers", origin=EVIL),
    actual(
        "disallowed-origin-credentialed-policy-leaks-nothing",
        policy="credentialed",
        origin=EVIL,
        allowed=False,
        rejection=_NOT_ALLOWED,
    ),
    _exact_malformed("origin-with-trailing-slash-not-allowed", origin=APP + "/"),
    _exact_malformed("origin-uppercase-not-allowed", origin="HTTPS://APP.EXAMPLE.COM"),
    _exact_malformed("origin-mixed-case-host-not-allowed", origin="https://App.example.com"),
    _exact_malformed("origin-with-default-port-not-allowed", origin=APP + ":443"),
    _exact_not_listed("origin-with-other-port-not-allowed", origin=APP + ":8443"),
    _exact_not_listed("origin-http-instead-of-https-not-allowed", origin="http://app.example.com"),
    _exact_malformed("origin-with-path-not-allowed", origin=APP + "/path"),
    _exact_malformed("origin-with-userinfo-not-allowed", origin="https://user@app.example.com"),
    _exact_malformed("origin-with-query-not-allowed", origin=APP + "?x=1"),
    _exact_malformed("origin-empty-not-allowed", origin=""),
    _exact_malformed("origin-two-lines-joined-not-allowed", origin=f"{APP},{APP}"),
    _exact_malformed("origin-two-lines-joined-with-space-not-allowed", origin=f"{APP}, {ADMIN}"),
    _exact_malformed("origin-with-surrounding-space-not-allowed", origin=f" {APP}"),
    _exact_not_listed("origin-prefix-attack-not-allowed", origin=APP + ".evil.net"),
    _exact_not_listed("origin-suffix-attack-not-allowed", origin="https://evilapp.example.com"),
    _exact_malformed("origin-with-crlf-not-allowed", origin=APP + "\r\nSet-Cookie: a=b"),
    _exact_malformed("origin-with-nul-not-allowed", origin=APP + "\x00"),
    _exact_malformed("origin-non-ascii-not-allowed", origin="https://äpp.example.com"),
    _exact_malformed("origin-file-scheme-not-allowed", origin="file://"),
    actual(
        "origin-null-not-allowed-by-default",
        policy="exact",
        origin="null",
        allowed=False,
        rejection=Rejection.NULL_ORIGIN_NOT_ALLOWED,
    ),
    actual(
        "origin-null-uppercase-never-allowed",
        policy="null",
        origin="NULL",
        allowed=False,
        rejection=_MALFORMED,
    ),
    actual(
        "origin-null-allowed-with-opt-in",
        policy="null",
        origin="null",
        allowed=True,
        headers={ACAO: "null"},
    ),
    actual(
        "origin-null-opt-in-still-allows-listed",
        policy="null",
        origin=APP,
        allowed=True,
        headers={ACAO: APP},
    ),
    actual(
        "origin-too-long-not-allowed",
        policy="small_limits",
        origin="https://" + "a" * 60 + ".com",
        allowed=False,
        rejection=_MALFORMED,
    ),
    _schemes(
        "chrome-extension-origin-allowed",
        origin="chrome-extension://abcdefghijklmnopabcdefghijklmnop",
        allowed=True,
        headers={ACAO: "chrome-extension://abcdefghijklmnopabcdefghijklmnop"},
    ),
    _schemes(
        "capacitor-origin-allowed",
        origin="capacitor://localhost",
        allowed=True,
        headers={ACAO: "capacitor://localhost"},
    ),
    _schemes(
        "tauri-origin-allowed",
        origin="tauri://localhost",
        allowed=True,
        headers={ACAO: "tauri://localhost"},
    ),
    _schemes(
        "ipv6-loopback-origin-allowed",
        origin="http://[::1]:8080",
        allowed=True,
        headers={ACAO: "http://[::1]:8080"},
    ),
    _schemes(
        "ipv6-non-canonical-not-allowed",
        origin="http://[0:0::1]:8080",
        allowed=False,
        rejection=_MALFORMED,
    ),
    _schemes(
        "other-extension-not-allowed",
        origin="chrome-extension://zzzz",
        allowed=False,
        rejection=_NOT_ALLOWED,
    ),
    # --- patterns ----------------------------------------------------------------------
    _pattern_allowed(
        "subdomain-pattern-matches-one-label",
        origin="https://a.example.com",
        headers={ACAO: "https://a.example.com", ACAC: "true"},
    ),
    _pattern_allowed(
        "subdomain-pattern-matches-several-labels",
        origin="https://a.b.c.example.com",
        headers={ACAO: "https://a.b.c.example.com", ACAC: "true"},
    ),
    _pattern_not_listed("subdomain-pattern-never-matches-apex", origin="https://example.com"),
    _pattern_not_listed("subdomain-pattern-needs-dot-boundary", origin="https://evilexample.com"),
    _pattern_not_listed(
        "subdomain-pattern-rejects-suffix-domain", origin="https://a.example.com.evil.net"
    ),
    _pattern_not_listed("subdomain-pattern-checks-scheme", origin="http://a.example.com"),
    _pattern_not_listed("subdomain-pattern-checks-port", origin="https://a.example.com:8443"),
    _pattern_malformed("subdomain-pattern-rejects-empty-label", origin="https://.example.com"),
    _pattern_allowed(
        "subdomain-and-port-pattern-any-port",
        origin="https://x.dev.example.org:3000",
        headers={ACAO: "https://x.dev.example.org:3000"},
    ),
    _pattern_allowed(
        "subdomain-and-port-pattern-default-port",
        origin="https://x.dev.example.org",
        headers={ACAO: "https://x.dev.example.org"},
    ),
    _pattern_not_listed(
        "subdomain-and-port-pattern-never-apex", origin="https://dev.example.org:3000"
    ),
    _pattern_allowed(
        "port-pattern-matches-any-port",
        origin="http://localhost:5173",
        headers={ACAO: "http://localhost:5173", ACAC: "true"},
    ),
    _pattern_allowed(
        "port-pattern-matches-default-port",
        origin="http://localhost",
        headers={ACAO: "http://localhost"},
    ),
    _pattern_allowed(
        "port-pattern-matches-loopback-ip",
        origin="http://127.0.0.1:8000",
        headers={ACAO: "http://127.0.0.1:8000"},
    ),
    _pattern_not_listed("port-pattern-checks-host", origin="http://localhost.evil.net:5173"),
    _pattern_not_listed("port-pattern-checks-scheme", origin="https://localhost:5173"),
    _pattern_malformed("port-pattern-rejects-port-zero-prefix", origin="http://localhost:05173"),
    _pattern_malformed("port-pattern-rejects-port-out-of-range", origin="http://localhost:70000"),
    _pattern_malformed("ipv4-non-canonical-not-allowed", origin="http://127.000.0.1:8000"),
    _regex(
        "regex-full-match-allowed",
        origin="https://pr-42.preview.example.net",
        allowed=True,
        headers={ACAO: "https://pr-42.preview.example.net", ACAC: None},
    ),
    _regex(
        "regex-is-anchored-at-end",
        origin="https://pr-42.preview.example.net.evil.com",
        allowed=False,
        rejection=_NOT_ALLOWED,
    ),
    _regex(
        "regex-is-anchored-at-start",
        origin="https://evil.com/https://pr-1.preview.example.net",
        allowed=False,
        rejection=_MALFORMED,
    ),
    _regex(
        "regex-not-consulted-for-malformed-origin",
        origin="https://PR-1.preview.example.net",
        allowed=False,
        rejection=_MALFORMED,
    ),
    # --- §3: responses to actual requests ------------------------------------------------
    _credentialed_allowed(
        "credentialed-allowed-echoes-origin-and-credentials", origin=APP, headers=_CRED
    ),
    _credentialed_allowed(
        "credentialed-never-uses-wildcard", origin=ADMIN, headers={ACAO: ADMIN, ACAC: "true"}
    ),
    _credentialed_allowed(
        "credentialed-post-gets-headers", origin=APP, headers=_CRED, method="POST"
    ),
    _star_answer(
        "wildcard-origin-answers-star",
        policy="wildcard",
        origin=EVIL,
        headers={ACAO: "*", ACAC: None, ACEH: "*"},
    ),
    _star_answer(
        "wildcard-origin-star-for-null", policy="wildcard", origin="null", headers={ACAO: "*"}
    ),
    _star_answer(
        "wildcard-origin-star-for-malformed-origin",
        policy="wildcard",
        origin="not an origin",
        headers={ACAO: "*"},
    ),
    _star_answer(
        "wildcard-listed-answers-star-no-expose",
        policy="wildcard_listed",
        origin=APP,
        headers={ACAO: "*", ACEH: None},
    ),
    actual(
        "expose-headers-on-actual-response",
        policy="exact",
        origin=ADMIN,
        allowed=True,
        headers={ACEH: "x-request-id"},
    ),
    _pattern_allowed(
        "no-expose-header-when-none-configured", origin="http://localhost:1", headers={ACEH: None}
    ),
    _pattern_not_listed("disallowed-origin-no-vary-clobber-still-varies", origin=EVIL),
]

_JSON = "content-type"
SCENARIOS += [
    # --- §4: preflights ----------------------------------------------------------------
    _exact_preflight(
        "preflight-put-allowed",
        request_method="PUT",
        headers={ACAO: APP, ACAM: _METHODS, ACAH: None, ACAC: None, ACMA: None},
    ),
    _exact_preflight(
        "preflight-json-post-allowed",
        request_method="POST",
        request_headers=_JSON,
        headers={ACAO: APP, ACAH: "content-type, x-token"},
    ),
    preflight(
        "preflight-delete-allowed",
        policy="exact",
        origin=ADMIN,
        request_method="DELETE",
        allowed=True,
        headers={ACAO: ADMIN, ACAM: _METHODS},
    ),
    _exact_preflight(
        "preflight-patch-allowed",
        request_method="PATCH",
        request_headers=_JSON,
        headers={ACAO: APP},
    ),
    _exact_preflight_refused(
        "preflight-lowercase-patch-refused",
        request_method="patch",
        request_headers=_JSON,
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    _exact_preflight_refused(
        "preflight-lowercase-put-refused",
        request_method="put",
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    _exact_preflight_refused(
        "preflight-unlisted-method-refused",
        request_method="PROPFIND",
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    _any_method_preflight(
        "preflight-forbidden-method-connect-refused",
        request_method="CONNECT",
        allowed=False,
        rejection=Rejection.METHOD_FORBIDDEN,
    ),
    _any_method_preflight(
        "preflight-forbidden-method-trace-refused",
        request_method="TRACE",
        allowed=False,
        rejection=Rejection.METHOD_FORBIDDEN,
    ),
    _any_method_preflight(
        "preflight-forbidden-method-track-lowercase-refused",
        request_method="track",
        allowed=False,
        rejection=Rejection.METHOD_FORBIDDEN,
    ),
    _any_method_preflight(
        "preflight-method-with-space-refused",
        request_method="PUT X",
        allowed=False,
        rejection=Rejection.METHOD_MALFORMED,
    ),
    _any_method_preflight(
        "preflight-empty-method-refused",
        request_method="",
        allowed=False,
        rejection=Rejection.METHOD_MALFORMED,
    ),
    _exact_preflight_refused(
        "preflight-two-acrm-lines-refused",
        request_method="PUT,DELETE",
        rejection=Rejection.METHOD_MALFORMED,
    ),
    _exact_preflight(
        "preflight-safelisted-get-always-allowed",
        request_method="GET",
        request_headers=_JSON,
        headers={ACAO: APP},
    ),
    _exact_preflight(
        "preflight-safelisted-post-no-acrh-allowed",
        request_method="POST",
        headers={ACAO: APP, ACAH: None},
    ),
    preflight(
        "preflight-safelisted-head-allowed-without-listing",
        policy="status_200",
        origin=APP,
        request_method="HEAD",
        allowed=True,
        headers={ACAO: APP, ACAM: "PUT"},
    ),
    preflight(
        "preflight-safelisted-only-policy-echoes-method",
        policy="safelisted_only",
        origin=APP,
        request_method="GET",
        allowed=True,
        headers={ACAM: "GET"},
    ),
    preflight(
        "preflight-safelisted-only-policy-refuses-put",
        policy="safelisted_only",
        origin=APP,
        request_method="PUT",
        allowed=False,
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    preflight(
        "preflight-disallowed-origin-refused",
        policy="exact",
        origin=EVIL,
        request_method="PUT",
        allowed=False,
        rejection=_NOT_ALLOWED,
    ),
    preflight(
        "preflight-disallowed-origin-leaks-no-policy",
        policy="credentialed",
        origin=EVIL,
        request_method="PUT",
        request_headers=_JSON,
        allowed=False,
        rejection=_NOT_ALLOWED,
    ),
    preflight(
        "preflight-malformed-origin-refused",
        policy="exact",
        origin=APP + "/",
        request_method="PUT",
        allowed=False,
        rejection=_MALFORMED,
    ),
    preflight(
        "preflight-null-origin-refused",
        policy="exact",
        origin="null",
        request_method="PUT",
        allowed=False,
        rejection=Rejection.NULL_ORIGIN_NOT_ALLOWED,
    ),
    preflight(
        "preflight-null-origin-with-opt-in",
        policy="null",
        origin="null",
        request_method="POST",
        allowed=True,
        headers={ACAO: "null"},
    ),
    preflight(
        "preflight-credentialed-echoes-origin-and-credentials",
        policy="credentialed",
        origin=APP,
        request_method="PUT",
        request_headers="authorization,content-type",
        allowed=True,
        headers={
            ACAO: APP,
            ACAC: "true",
            ACMA: "600",
            ACAH: "content-type, authorization, x-token",
        },
    ),
    preflight(
        "preflight-credentialed-authorization-allowed-when-listed",
        policy="credentialed",
        origin=ADMIN,
        request_method="DELETE",
        request_headers="authorization",
        allowed=True,
        headers={ACAO: ADMIN, ACAC: "true"},
    ),
    preflight(
        "preflight-no-expose-headers-on-preflight",
        policy="credentialed",
        origin=APP,
        request_method="PUT",
        allowed=True,
        headers={ACEH: None},
    ),
    _exact_preflight_refused(
        "preflight-unlisted-header-refused",
        request_method="PUT",
        request_headers="x-other",
        rejection=Rejection.HEADER_NOT_ALLOWED,
    ),
    _exact_preflight_refused(
        "preflight-one-unlisted-header-among-many-refused",
        request_method="PUT",
        request_headers="content-type,x-other,x-token",
        rejection=Rejection.HEADER_NOT_ALLOWED,
    ),
    _exact_preflight_refused(
        "preflight-authorization-not-listed-refused",
        request_method="PUT",
        request_headers="authorization",
        rejection=Rejection.HEADER_NOT_ALLOWED,
    ),
    _exact_put_allowed(
        "preflight-headers-case-insensitive", request_headers="Content-Type,X-Token"
    ),
    _exact_put_allowed(
        "preflight-headers-with-spaces", request_headers=" content-type ,  x-token "
    ),
    _exact_put_allowed("preflight-headers-with-tabs", request_headers="content-type,\tx-token"),
    _exact_put_allowed(
        "preflight-headers-with-empty-elements", request_headers=",content-type,,x-token,"
    ),
    _exact_put_allowed(
        "preflight-headers-two-lines-joined", request_headers="content-type, x-token"
    ),
    _exact_preflight(
        "preflight-empty-acrh-is-no-headers",
        request_method="PUT",
        request_headers="",
        headers={ACAO: APP, ACAH: None},
    ),
    _exact_preflight(
        "preflight-only-commas-acrh-is-no-headers",
        request_method="PUT",
        request_headers=",,",
        headers={ACAO: APP, ACAH: None},
    ),
    _malformed_header("preflight-header-with-space-inside-refused", request_headers="x token"),
    _malformed_header("preflight-header-with-colon-refused", request_headers="x-a:b"),
    _malformed_header("preflight-header-with-nul-refused", request_headers="x-a\x00"),
    _malformed_header("preflight-header-with-crlf-refused", request_headers="x-a\r\nset-cookie: a"),
    _malformed_header("preflight-header-non-ascii-refused", request_headers="x-é"),
    _over_acrh_limits("preflight-acrh-over-length-limit-refused", request_headers="x-" + "a" * 70),
    _over_acrh_limits("preflight-acrh-over-count-limit-refused", request_headers="a,b,c,d,e"),
    _over_acrh_limits("preflight-acrh-empty-elements-count-too", request_headers="a,,,,,b"),
    preflight(
        "preflight-acrh-at-count-limit-allowed",
        policy="small_limits",
        origin=APP,
        request_method="POST",
        request_headers="a,b,c,d",
        allowed=True,
        headers={ACAH: "a, b, c, d"},
    ),
    _star_headers(
        "preflight-star-headers-echo-requested",
        request_headers="x-custom,content-type",
        allowed=True,
        headers={ACAH: "x-custom, content-type"},
    ),
    _star_headers(
        "preflight-star-headers-do-not-cover-authorization",
        request_headers="authorization",
        allowed=False,
        rejection=Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD,
    ),
    _star_headers(
        "preflight-star-headers-authorization-among-others-refused",
        request_headers="authorization,x-a",
        allowed=False,
        rejection=Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD,
    ),
    _any_method_preflight(
        "preflight-star-plus-authorization-covers-it",
        request_method="PUT",
        request_headers="authorization,x-anything",
        allowed=True,
        headers={ACAH: "authorization, x-anything", ACAC: "true"},
    ),
    _any_method_preflight(
        "preflight-any-method-echoes-custom-method",
        request_method="PROPFIND",
        allowed=True,
        headers={ACAM: "PROPFIND", ACAC: "true"},
    ),
    _any_method_preflight(
        "preflight-any-method-echoes-lowercase-method",
        request_method="patch",
        allowed=True,
        headers={ACAM: "patch"},
    ),
    _any_method_preflight(
        "preflight-any-method-echoes-safelisted",
        request_method="GET",
        allowed=True,
        headers={ACAM: "GET"},
    ),
    _star_preflight(
        "preflight-wildcard-any-origin-star",
        policy="wildcard",
        origin=EVIL,
        request_method="PUT",
        request_headers="x-a",
        allowed=True,
        headers={ACAO: "*", ACAM: "PUT", ACAH: "x-a", ACAC: None},
    ),
    _star_preflight(
        "preflight-wildcard-still-refuses-authorization",
        policy="wildcard",
        origin=EVIL,
        request_method="PUT",
        request_headers="authorization",
        allowed=False,
        rejection=Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD,
    ),
    _star_preflight(
        "preflight-wildcard-listed-max-age-zero",
        policy="wildcard_listed",
        origin=APP,
        request_method="PUT",
        request_headers="x-token",
        allowed=True,
        headers={ACAO: "*", ACMA: "0", ACAM: "PUT", ACAH: "x-token"},
    ),
    _star_preflight(
        "preflight-wildcard-listed-refuses-other-method",
        policy="wildcard_listed",
        origin=APP,
        request_method="DELETE",
        allowed=False,
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    preflight(
        "preflight-pattern-origin-echoed",
        policy="patterns",
        origin="https://x.example.com",
        request_method="PUT",
        allowed=True,
        headers={ACAO: "https://x.example.com", ACAC: "true", ACAM: "PUT"},
    ),
    preflight(
        "preflight-pattern-apex-refused",
        policy="patterns",
        origin="https://example.com",
        request_method="PUT",
        allowed=False,
        rejection=_NOT_ALLOWED,
    ),
    preflight(
        "preflight-regex-origin-allowed",
        policy="regex",
        origin="https://a.preview.example.net",
        request_method="DELETE",
        allowed=True,
        headers={ACAO: "https://a.preview.example.net", ACAM: "DELETE"},
    ),
    preflight(
        "preflight-regex-origin-refused",
        policy="regex",
        origin="https://a.preview.example.net.evil",
        request_method="DELETE",
        allowed=False,
        rejection=_NOT_ALLOWED,
    ),
    preflight(
        "preflight-status-200-option",
        policy="status_200",
        origin=APP,
        request_method="PUT",
        allowed=True,
        headers={ACAO: APP},
    ),
    preflight(
        "preflight-max-age-sent-when-configured",
        policy="credentialed",
        origin=APP,
        request_method="DELETE",
        allowed=True,
        headers={ACMA: "600"},
    ),
    _exact_preflight(
        "preflight-max-age-absent-by-default", request_method="DELETE", headers={ACMA: None}
    ),
    _exact_preflight(
        "preflight-use-cors-preflight-flag-get",
        request_method="GET",
        headers={ACAO: APP, ACAH: None},
    ),
    _exact_preflight(
        "preflight-1024-byte-rule-safelisted-names",
        request_method="POST",
        request_headers="content-type",
        headers={ACAO: APP},
    ),
    _exact_preflight_refused(
        "preflight-accept-language-not-listed-refused",
        request_method="POST",
        request_headers="accept-language",
        rejection=Rejection.HEADER_NOT_ALLOWED,
    ),
    # --- §8: private network access --------------------------------------------------------
    _private_network_preflight(
        "private-network-allowed-adds-header",
        origin=APP,
        allowed=True,
        headers={ACAPN: "true", ACAO: APP},
    ),
    preflight(
        "private-network-not-requested-no-header",
        policy="private_network",
        origin=APP,
        request_method="GET",
        allowed=True,
        headers={ACAPN: None},
        private_network=False,
        vary=_PNA_VARY,
    ),
    _exact_preflight_refused(
        "private-network-off-by-default-refused",
        request_method="GET",
        private_network=True,
        rejection=Rejection.PRIVATE_NETWORK_NOT_ALLOWED,
    ),
    _private_network_preflight(
        "private-network-disallowed-origin-refused",
        origin=EVIL,
        allowed=False,
        rejection=_NOT_ALLOWED,
    ),
]
