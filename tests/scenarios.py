"""The scenario table: one named case per server-side rule of CORS-RULES.md.

Shared by the core's tests and by every adapter's tests, so that an adapter cannot
drift from the core: each scenario names a policy, a request and what must come back.
``expect_headers`` maps a header name to its exact value, or to ``None`` when the
header must be absent. For actual requests the application answers 200.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
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
        id, policy, method, origin, kind, expect_headers=expected, vary=vary, rejection=rejection
    )


def preflight(
    id: str,
    policy: str,
    origin: str,
    request_method: str,
    request_headers: str | None,
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
        id,
        policy,
        "OPTIONS",
        origin,
        kind,
        request_method,
        request_headers,
        private_network,
        expected,
        vary,
        rejection,
    )


_CRED: dict[str, str | None] = {ACAO: APP, ACAC: "true", ACEH: "x-request-id, x-total-count"}
_EXACT: dict[str, str | None] = {ACAO: APP, ACAC: None, ACEH: "x-request-id"}
_METHODS = "GET, POST, PUT, PATCH, DELETE"
_NOT_ALLOWED = Rejection.ORIGIN_NOT_ALLOWED
_MALFORMED = Rejection.ORIGIN_MALFORMED

SCENARIOS: list[Scenario] = [
    # --- §1, §2: classification and the Origin header --------------------------------
    actual("no-origin-is-not-cors-but-varies", "exact", None, True, NO_CORS_HEADERS),
    actual(
        "no-origin-post-is-not-cors", "credentialed", None, True, NO_CORS_HEADERS, method="POST"
    ),
    actual(
        "no-origin-with-static-wildcard-gets-star-and-no-vary",
        "wildcard",
        None,
        True,
        {ACAO: "*", ACEH: "*", ACAC: None},
        vary=(),
    ),
    actual(
        "no-origin-with-wildcard-listed-gets-star",
        "wildcard_listed",
        None,
        True,
        {ACAO: "*", ACAC: None, ACEH: None},
        vary=(),
    ),
    actual("allowed-origin-simple-get", "exact", APP, True, _EXACT),
    actual(
        "second-allowed-origin-simple-get",
        "exact",
        ADMIN,
        True,
        {ACAO: ADMIN, ACEH: "x-request-id"},
    ),
    actual("allowed-origin-post", "exact", APP, True, _EXACT, method="POST"),
    actual("allowed-origin-head", "exact", APP, True, _EXACT, method="HEAD"),
    actual("allowed-origin-put-actual", "exact", APP, True, _EXACT, method="PUT"),
    actual("allowed-origin-delete-actual", "exact", APP, True, _EXACT, method="DELETE"),
    actual(
        "same-origin-post-with-unlisted-origin-passes-without-headers",
        "exact",
        "https://api.example.com",
        False,
        method="POST",
        rejection=_NOT_ALLOWED,
    ),
    actual("options-without-acrm-is-actual-request", "exact", APP, True, _EXACT, method="OPTIONS"),
    actual(
        "options-without-acrm-disallowed-origin",
        "exact",
        EVIL,
        False,
        method="OPTIONS",
        rejection=_NOT_ALLOWED,
    ),
    actual("disallowed-origin-gets-no-cors-headers", "exact", EVIL, False, rejection=_NOT_ALLOWED),
    actual(
        "disallowed-origin-credentialed-policy-leaks-nothing",
        "credentialed",
        EVIL,
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "origin-with-trailing-slash-not-allowed", "exact", APP + "/", False, rejection=_MALFORMED
    ),
    actual(
        "origin-uppercase-not-allowed",
        "exact",
        "HTTPS://APP.EXAMPLE.COM",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "origin-mixed-case-host-not-allowed",
        "exact",
        "https://App.example.com",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "origin-with-default-port-not-allowed", "exact", APP + ":443", False, rejection=_MALFORMED
    ),
    actual(
        "origin-with-other-port-not-allowed", "exact", APP + ":8443", False, rejection=_NOT_ALLOWED
    ),
    actual(
        "origin-http-instead-of-https-not-allowed",
        "exact",
        "http://app.example.com",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual("origin-with-path-not-allowed", "exact", APP + "/path", False, rejection=_MALFORMED),
    actual(
        "origin-with-userinfo-not-allowed",
        "exact",
        "https://user@app.example.com",
        False,
        rejection=_MALFORMED,
    ),
    actual("origin-with-query-not-allowed", "exact", APP + "?x=1", False, rejection=_MALFORMED),
    actual("origin-empty-not-allowed", "exact", "", False, rejection=_MALFORMED),
    actual(
        "origin-two-lines-joined-not-allowed", "exact", f"{APP},{APP}", False, rejection=_MALFORMED
    ),
    actual(
        "origin-two-lines-joined-with-space-not-allowed",
        "exact",
        f"{APP}, {ADMIN}",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "origin-with-surrounding-space-not-allowed", "exact", f" {APP}", False, rejection=_MALFORMED
    ),
    actual(
        "origin-prefix-attack-not-allowed",
        "exact",
        APP + ".evil.net",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "origin-suffix-attack-not-allowed",
        "exact",
        "https://evilapp.example.com",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "origin-with-crlf-not-allowed",
        "exact",
        APP + "\r\nSet-Cookie: a=b",
        False,
        rejection=_MALFORMED,
    ),
    actual("origin-with-nul-not-allowed", "exact", APP + "\x00", False, rejection=_MALFORMED),
    actual(
        "origin-non-ascii-not-allowed",
        "exact",
        "https://äpp.example.com",
        False,
        rejection=_MALFORMED,
    ),
    actual("origin-file-scheme-not-allowed", "exact", "file://", False, rejection=_MALFORMED),
    actual(
        "origin-null-not-allowed-by-default",
        "exact",
        "null",
        False,
        rejection=Rejection.NULL_ORIGIN_NOT_ALLOWED,
    ),
    actual("origin-null-uppercase-never-allowed", "null", "NULL", False, rejection=_MALFORMED),
    actual("origin-null-allowed-with-opt-in", "null", "null", True, {ACAO: "null"}),
    actual("origin-null-opt-in-still-allows-listed", "null", APP, True, {ACAO: APP}),
    actual(
        "origin-too-long-not-allowed",
        "small_limits",
        "https://" + "a" * 60 + ".com",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "chrome-extension-origin-allowed",
        "schemes",
        "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
        True,
        {ACAO: "chrome-extension://abcdefghijklmnopabcdefghijklmnop"},
    ),
    actual(
        "capacitor-origin-allowed",
        "schemes",
        "capacitor://localhost",
        True,
        {ACAO: "capacitor://localhost"},
    ),
    actual(
        "tauri-origin-allowed", "schemes", "tauri://localhost", True, {ACAO: "tauri://localhost"}
    ),
    actual(
        "ipv6-loopback-origin-allowed",
        "schemes",
        "http://[::1]:8080",
        True,
        {ACAO: "http://[::1]:8080"},
    ),
    actual(
        "ipv6-non-canonical-not-allowed",
        "schemes",
        "http://[0:0::1]:8080",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "other-extension-not-allowed",
        "schemes",
        "chrome-extension://zzzz",
        False,
        rejection=_NOT_ALLOWED,
    ),
    # --- patterns ----------------------------------------------------------------------
    actual(
        "subdomain-pattern-matches-one-label",
        "patterns",
        "https://a.example.com",
        True,
        {ACAO: "https://a.example.com", ACAC: "true"},
    ),
    actual(
        "subdomain-pattern-matches-several-labels",
        "patterns",
        "https://a.b.c.example.com",
        True,
        {ACAO: "https://a.b.c.example.com", ACAC: "true"},
    ),
    actual(
        "subdomain-pattern-never-matches-apex",
        "patterns",
        "https://example.com",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "subdomain-pattern-needs-dot-boundary",
        "patterns",
        "https://evilexample.com",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "subdomain-pattern-rejects-suffix-domain",
        "patterns",
        "https://a.example.com.evil.net",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "subdomain-pattern-checks-scheme",
        "patterns",
        "http://a.example.com",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "subdomain-pattern-checks-port",
        "patterns",
        "https://a.example.com:8443",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "subdomain-pattern-rejects-empty-label",
        "patterns",
        "https://.example.com",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "subdomain-and-port-pattern-any-port",
        "patterns",
        "https://x.dev.example.org:3000",
        True,
        {ACAO: "https://x.dev.example.org:3000"},
    ),
    actual(
        "subdomain-and-port-pattern-default-port",
        "patterns",
        "https://x.dev.example.org",
        True,
        {ACAO: "https://x.dev.example.org"},
    ),
    actual(
        "subdomain-and-port-pattern-never-apex",
        "patterns",
        "https://dev.example.org:3000",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "port-pattern-matches-any-port",
        "patterns",
        "http://localhost:5173",
        True,
        {ACAO: "http://localhost:5173", ACAC: "true"},
    ),
    actual(
        "port-pattern-matches-default-port",
        "patterns",
        "http://localhost",
        True,
        {ACAO: "http://localhost"},
    ),
    actual(
        "port-pattern-matches-loopback-ip",
        "patterns",
        "http://127.0.0.1:8000",
        True,
        {ACAO: "http://127.0.0.1:8000"},
    ),
    actual(
        "port-pattern-checks-host",
        "patterns",
        "http://localhost.evil.net:5173",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "port-pattern-checks-scheme",
        "patterns",
        "https://localhost:5173",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "port-pattern-rejects-port-zero-prefix",
        "patterns",
        "http://localhost:05173",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "port-pattern-rejects-port-out-of-range",
        "patterns",
        "http://localhost:70000",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "ipv4-non-canonical-not-allowed",
        "patterns",
        "http://127.000.0.1:8000",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "regex-full-match-allowed",
        "regex",
        "https://pr-42.preview.example.net",
        True,
        {ACAO: "https://pr-42.preview.example.net", ACAC: None},
    ),
    actual(
        "regex-is-anchored-at-end",
        "regex",
        "https://pr-42.preview.example.net.evil.com",
        False,
        rejection=_NOT_ALLOWED,
    ),
    actual(
        "regex-is-anchored-at-start",
        "regex",
        "https://evil.com/https://pr-1.preview.example.net",
        False,
        rejection=_MALFORMED,
    ),
    actual(
        "regex-not-consulted-for-malformed-origin",
        "regex",
        "https://PR-1.preview.example.net",
        False,
        rejection=_MALFORMED,
    ),
    # --- §3: responses to actual requests ------------------------------------------------
    actual("credentialed-allowed-echoes-origin-and-credentials", "credentialed", APP, True, _CRED),
    actual(
        "credentialed-never-uses-wildcard", "credentialed", ADMIN, True, {ACAO: ADMIN, ACAC: "true"}
    ),
    actual("credentialed-post-gets-headers", "credentialed", APP, True, _CRED, method="POST"),
    actual(
        "wildcard-origin-answers-star",
        "wildcard",
        EVIL,
        True,
        {ACAO: "*", ACAC: None, ACEH: "*"},
        vary=(),
    ),
    actual("wildcard-origin-star-for-null", "wildcard", "null", True, {ACAO: "*"}, vary=()),
    actual(
        "wildcard-origin-star-for-malformed-origin",
        "wildcard",
        "not an origin",
        True,
        {ACAO: "*"},
        vary=(),
    ),
    actual(
        "wildcard-listed-answers-star-no-expose",
        "wildcard_listed",
        APP,
        True,
        {ACAO: "*", ACEH: None},
        vary=(),
    ),
    actual("expose-headers-on-actual-response", "exact", ADMIN, True, {ACEH: "x-request-id"}),
    actual(
        "no-expose-header-when-none-configured",
        "patterns",
        "http://localhost:1",
        True,
        {ACEH: None},
    ),
    actual(
        "disallowed-origin-no-vary-clobber-still-varies",
        "patterns",
        EVIL,
        False,
        rejection=_NOT_ALLOWED,
    ),
]

_JSON = "content-type"
SCENARIOS += [
    # --- §4: preflights ----------------------------------------------------------------
    preflight(
        "preflight-put-allowed",
        "exact",
        APP,
        "PUT",
        None,
        True,
        {ACAO: APP, ACAM: _METHODS, ACAH: None, ACAC: None, ACMA: None},
    ),
    preflight(
        "preflight-json-post-allowed",
        "exact",
        APP,
        "POST",
        _JSON,
        True,
        {ACAO: APP, ACAH: "content-type, x-token"},
    ),
    preflight(
        "preflight-delete-allowed",
        "exact",
        ADMIN,
        "DELETE",
        None,
        True,
        {ACAO: ADMIN, ACAM: _METHODS},
    ),
    preflight("preflight-patch-allowed", "exact", APP, "PATCH", _JSON, True, {ACAO: APP}),
    preflight(
        "preflight-lowercase-patch-refused",
        "exact",
        APP,
        "patch",
        _JSON,
        False,
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    preflight(
        "preflight-lowercase-put-refused",
        "exact",
        APP,
        "put",
        None,
        False,
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    preflight(
        "preflight-unlisted-method-refused",
        "exact",
        APP,
        "PROPFIND",
        None,
        False,
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    preflight(
        "preflight-forbidden-method-connect-refused",
        "any_method_credentialed",
        APP,
        "CONNECT",
        None,
        False,
        rejection=Rejection.METHOD_FORBIDDEN,
    ),
    preflight(
        "preflight-forbidden-method-trace-refused",
        "any_method_credentialed",
        APP,
        "TRACE",
        None,
        False,
        rejection=Rejection.METHOD_FORBIDDEN,
    ),
    preflight(
        "preflight-forbidden-method-track-lowercase-refused",
        "any_method_credentialed",
        APP,
        "track",
        None,
        False,
        rejection=Rejection.METHOD_FORBIDDEN,
    ),
    preflight(
        "preflight-method-with-space-refused",
        "any_method_credentialed",
        APP,
        "PUT X",
        None,
        False,
        rejection=Rejection.METHOD_MALFORMED,
    ),
    preflight(
        "preflight-empty-method-refused",
        "any_method_credentialed",
        APP,
        "",
        None,
        False,
        rejection=Rejection.METHOD_MALFORMED,
    ),
    preflight(
        "preflight-two-acrm-lines-refused",
        "exact",
        APP,
        "PUT,DELETE",
        None,
        False,
        rejection=Rejection.METHOD_MALFORMED,
    ),
    preflight(
        "preflight-safelisted-get-always-allowed", "exact", APP, "GET", _JSON, True, {ACAO: APP}
    ),
    preflight(
        "preflight-safelisted-post-no-acrh-allowed",
        "exact",
        APP,
        "POST",
        None,
        True,
        {ACAO: APP, ACAH: None},
    ),
    preflight(
        "preflight-safelisted-head-allowed-without-listing",
        "status_200",
        APP,
        "HEAD",
        None,
        True,
        {ACAO: APP, ACAM: "PUT"},
    ),
    preflight(
        "preflight-safelisted-only-policy-echoes-method",
        "safelisted_only",
        APP,
        "GET",
        None,
        True,
        {ACAM: "GET"},
    ),
    preflight(
        "preflight-safelisted-only-policy-refuses-put",
        "safelisted_only",
        APP,
        "PUT",
        None,
        False,
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    preflight(
        "preflight-disallowed-origin-refused",
        "exact",
        EVIL,
        "PUT",
        None,
        False,
        rejection=_NOT_ALLOWED,
    ),
    preflight(
        "preflight-disallowed-origin-leaks-no-policy",
        "credentialed",
        EVIL,
        "PUT",
        _JSON,
        False,
        rejection=_NOT_ALLOWED,
    ),
    preflight(
        "preflight-malformed-origin-refused",
        "exact",
        APP + "/",
        "PUT",
        None,
        False,
        rejection=_MALFORMED,
    ),
    preflight(
        "preflight-null-origin-refused",
        "exact",
        "null",
        "PUT",
        None,
        False,
        rejection=Rejection.NULL_ORIGIN_NOT_ALLOWED,
    ),
    preflight(
        "preflight-null-origin-with-opt-in", "null", "null", "POST", None, True, {ACAO: "null"}
    ),
    preflight(
        "preflight-credentialed-echoes-origin-and-credentials",
        "credentialed",
        APP,
        "PUT",
        "authorization,content-type",
        True,
        {ACAO: APP, ACAC: "true", ACMA: "600", ACAH: "content-type, authorization, x-token"},
    ),
    preflight(
        "preflight-credentialed-authorization-allowed-when-listed",
        "credentialed",
        ADMIN,
        "DELETE",
        "authorization",
        True,
        {ACAO: ADMIN, ACAC: "true"},
    ),
    preflight(
        "preflight-no-expose-headers-on-preflight",
        "credentialed",
        APP,
        "PUT",
        None,
        True,
        {ACEH: None},
    ),
    preflight(
        "preflight-unlisted-header-refused",
        "exact",
        APP,
        "PUT",
        "x-other",
        False,
        rejection=Rejection.HEADER_NOT_ALLOWED,
    ),
    preflight(
        "preflight-one-unlisted-header-among-many-refused",
        "exact",
        APP,
        "PUT",
        "content-type,x-other,x-token",
        False,
        rejection=Rejection.HEADER_NOT_ALLOWED,
    ),
    preflight(
        "preflight-authorization-not-listed-refused",
        "exact",
        APP,
        "PUT",
        "authorization",
        False,
        rejection=Rejection.HEADER_NOT_ALLOWED,
    ),
    preflight(
        "preflight-headers-case-insensitive",
        "exact",
        APP,
        "PUT",
        "Content-Type,X-Token",
        True,
        {ACAO: APP},
    ),
    preflight(
        "preflight-headers-with-spaces",
        "exact",
        APP,
        "PUT",
        " content-type ,  x-token ",
        True,
        {ACAO: APP},
    ),
    preflight(
        "preflight-headers-with-tabs",
        "exact",
        APP,
        "PUT",
        "content-type,\tx-token",
        True,
        {ACAO: APP},
    ),
    preflight(
        "preflight-headers-with-empty-elements",
        "exact",
        APP,
        "PUT",
        ",content-type,,x-token,",
        True,
        {ACAO: APP},
    ),
    preflight(
        "preflight-headers-two-lines-joined",
        "exact",
        APP,
        "PUT",
        "content-type, x-token",
        True,
        {ACAO: APP},
    ),
    preflight(
        "preflight-empty-acrh-is-no-headers", "exact", APP, "PUT", "", True, {ACAO: APP, ACAH: None}
    ),
    preflight(
        "preflight-only-commas-acrh-is-no-headers",
        "exact",
        APP,
        "PUT",
        ",,",
        True,
        {ACAO: APP, ACAH: None},
    ),
    preflight(
        "preflight-header-with-space-inside-refused",
        "star_headers",
        APP,
        "PUT",
        "x token",
        False,
        rejection=Rejection.REQUEST_HEADERS_MALFORMED,
    ),
    preflight(
        "preflight-header-with-colon-refused",
        "star_headers",
        APP,
        "PUT",
        "x-a:b",
        False,
        rejection=Rejection.REQUEST_HEADERS_MALFORMED,
    ),
    preflight(
        "preflight-header-with-nul-refused",
        "star_headers",
        APP,
        "PUT",
        "x-a\x00",
        False,
        rejection=Rejection.REQUEST_HEADERS_MALFORMED,
    ),
    preflight(
        "preflight-header-with-crlf-refused",
        "star_headers",
        APP,
        "PUT",
        "x-a\r\nset-cookie: a",
        False,
        rejection=Rejection.REQUEST_HEADERS_MALFORMED,
    ),
    preflight(
        "preflight-header-non-ascii-refused",
        "star_headers",
        APP,
        "PUT",
        "x-é",
        False,
        rejection=Rejection.REQUEST_HEADERS_MALFORMED,
    ),
    preflight(
        "preflight-acrh-over-length-limit-refused",
        "small_limits",
        APP,
        "POST",
        "x-" + "a" * 70,
        False,
        rejection=Rejection.REQUEST_HEADERS_MALFORMED,
    ),
    preflight(
        "preflight-acrh-over-count-limit-refused",
        "small_limits",
        APP,
        "POST",
        "a,b,c,d,e",
        False,
        rejection=Rejection.REQUEST_HEADERS_MALFORMED,
    ),
    preflight(
        "preflight-acrh-empty-elements-count-too",
        "small_limits",
        APP,
        "POST",
        "a,,,,,b",
        False,
        rejection=Rejection.REQUEST_HEADERS_MALFORMED,
    ),
    preflight(
        "preflight-acrh-at-count-limit-allowed",
        "small_limits",
        APP,
        "POST",
        "a,b,c,d",
        True,
        {ACAH: "a, b, c, d"},
    ),
    preflight(
        "preflight-star-headers-echo-requested",
        "star_headers",
        APP,
        "PUT",
        "x-custom,content-type",
        True,
        {ACAH: "x-custom, content-type"},
    ),
    preflight(
        "preflight-star-headers-do-not-cover-authorization",
        "star_headers",
        APP,
        "PUT",
        "authorization",
        False,
        rejection=Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD,
    ),
    preflight(
        "preflight-star-headers-authorization-among-others-refused",
        "star_headers",
        APP,
        "PUT",
        "authorization,x-a",
        False,
        rejection=Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD,
    ),
    preflight(
        "preflight-star-plus-authorization-covers-it",
        "any_method_credentialed",
        APP,
        "PUT",
        "authorization,x-anything",
        True,
        {ACAH: "authorization, x-anything", ACAC: "true"},
    ),
    preflight(
        "preflight-any-method-echoes-custom-method",
        "any_method_credentialed",
        APP,
        "PROPFIND",
        None,
        True,
        {ACAM: "PROPFIND", ACAC: "true"},
    ),
    preflight(
        "preflight-any-method-echoes-lowercase-method",
        "any_method_credentialed",
        APP,
        "patch",
        None,
        True,
        {ACAM: "patch"},
    ),
    preflight(
        "preflight-any-method-echoes-safelisted",
        "any_method_credentialed",
        APP,
        "GET",
        None,
        True,
        {ACAM: "GET"},
    ),
    preflight(
        "preflight-wildcard-any-origin-star",
        "wildcard",
        EVIL,
        "PUT",
        "x-a",
        True,
        {ACAO: "*", ACAM: "PUT", ACAH: "x-a", ACAC: None},
        vary=("Access-Control-Request-Method", "Access-Control-Request-Headers"),
    ),
    preflight(
        "preflight-wildcard-still-refuses-authorization",
        "wildcard",
        EVIL,
        "PUT",
        "authorization",
        False,
        vary=("Access-Control-Request-Method", "Access-Control-Request-Headers"),
        rejection=Rejection.AUTHORIZATION_NOT_COVERED_BY_WILDCARD,
    ),
    preflight(
        "preflight-wildcard-listed-max-age-zero",
        "wildcard_listed",
        APP,
        "PUT",
        "x-token",
        True,
        {ACAO: "*", ACMA: "0", ACAM: "PUT", ACAH: "x-token"},
        vary=("Access-Control-Request-Method", "Access-Control-Request-Headers"),
    ),
    preflight(
        "preflight-wildcard-listed-refuses-other-method",
        "wildcard_listed",
        APP,
        "DELETE",
        None,
        False,
        vary=("Access-Control-Request-Method", "Access-Control-Request-Headers"),
        rejection=Rejection.METHOD_NOT_ALLOWED,
    ),
    preflight(
        "preflight-pattern-origin-echoed",
        "patterns",
        "https://x.example.com",
        "PUT",
        None,
        True,
        {ACAO: "https://x.example.com", ACAC: "true", ACAM: "PUT"},
    ),
    preflight(
        "preflight-pattern-apex-refused",
        "patterns",
        "https://example.com",
        "PUT",
        None,
        False,
        rejection=_NOT_ALLOWED,
    ),
    preflight(
        "preflight-regex-origin-allowed",
        "regex",
        "https://a.preview.example.net",
        "DELETE",
        None,
        True,
        {ACAO: "https://a.preview.example.net", ACAM: "DELETE"},
    ),
    preflight(
        "preflight-regex-origin-refused",
        "regex",
        "https://a.preview.example.net.evil",
        "DELETE",
        None,
        False,
        rejection=_NOT_ALLOWED,
    ),
    preflight("preflight-status-200-option", "status_200", APP, "PUT", None, True, {ACAO: APP}),
    preflight(
        "preflight-max-age-sent-when-configured",
        "credentialed",
        APP,
        "DELETE",
        None,
        True,
        {ACMA: "600"},
    ),
    preflight(
        "preflight-max-age-absent-by-default", "exact", APP, "DELETE", None, True, {ACMA: None}
    ),
    preflight(
        "preflight-use-cors-preflight-flag-get",
        "exact",
        APP,
        "GET",
        None,
        True,
        {ACAO: APP, ACAH: None},
    ),
    preflight(
        "preflight-1024-byte-rule-safelisted-names",
        "exact",
        APP,
        "POST",
        "content-type",
        True,
        {ACAO: APP},
    ),
    preflight(
        "preflight-accept-language-not-listed-refused",
        "exact",
        APP,
        "POST",
        "accept-language",
        False,
        rejection=Rejection.HEADER_NOT_ALLOWED,
    ),
    # --- §8: private network access --------------------------------------------------------
    preflight(
        "private-network-allowed-adds-header",
        "private_network",
        APP,
        "GET",
        None,
        True,
        {ACAPN: "true", ACAO: APP},
        private_network=True,
        vary=(*PREFLIGHT_VARY, "Access-Control-Request-Private-Network"),
    ),
    preflight(
        "private-network-not-requested-no-header",
        "private_network",
        APP,
        "GET",
        None,
        True,
        {ACAPN: None},
        private_network=False,
        vary=(*PREFLIGHT_VARY, "Access-Control-Request-Private-Network"),
    ),
    preflight(
        "private-network-off-by-default-refused",
        "exact",
        APP,
        "GET",
        None,
        False,
        private_network=True,
        rejection=Rejection.PRIVATE_NETWORK_NOT_ALLOWED,
    ),
    preflight(
        "private-network-disallowed-origin-refused",
        "private_network",
        EVIL,
        "GET",
        None,
        False,
        private_network=True,
        vary=(*PREFLIGHT_VARY, "Access-Control-Request-Private-Network"),
        rejection=_NOT_ALLOWED,
    ),
]
