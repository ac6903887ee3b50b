"""``corecors probe``: ask a live server what a browser would ask, and judge its answers.

:func:`probe` sends the preflight a browser would send (when
:func:`corecors.browser.needs_preflight` says one is needed), then the actual request, through a
:data:`Transport` (:mod:`corecors_tools.http_transport` unless given), and runs the browser's checks
(:func:`~corecors.browser.check_preflight`, :func:`~corecors.browser.check_response`) on the
replies. Each problem becomes a :class:`Finding` with a stable code:

* the step at which the browser gives up (the codes of :class:`~corecors.browser.FailureStep`),
  severity ``error``;
* faults a CORS server should not have even where this request gets through (missing
  ``Vary: Origin``, ``*`` next to ``Access-Control-Allow-Credentials: true``, ...), severity
  ``warning``, and refinements that name the usual cause of a failure (an authentication layer
  answering the preflight, an error response without CORS headers, ...), severity ``error``.

:data:`FINDINGS` lists every code. Nothing here follows redirects: a browser never follows one on
a preflight, and on the actual request the 3xx itself must pass the CORS check first, so the
probe reports the ``Location`` instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import quote, urlsplit

from corecors import browser
from corecors.browser import BrowserRequest, BrowserVerdict, FailureStep
from corecors.decision import (
    ALLOW_CREDENTIALS,
    ALLOW_HEADERS,
    ALLOW_METHODS,
    ALLOW_ORIGIN,
    EXPOSE_HEADERS,
    MAX_AGE,
)
from corecors.origins import parse_origin
from corecors.tokens import METHOD_CASE_RULE, NORMALIZED_METHODS, is_token

from .status import ExitStatus, Severity

__all__ = [
    "FINDINGS",
    "Exchange",
    "Finding",
    "ProbeResult",
    "Target",
    "Transport",
    "TransportError",
    "diagnose_actual",
    "diagnose_preflight",
    "origin_problem",
    "probe",
]

Outcome = Literal["allowed", "blocked", "redirected", "preflight-ok", "error"]
Headers = Sequence[tuple[str, str]]

USER_AGENT: Final = "corecors-probe (https://pypi.org/project/corecors/)"

_URL_SAFE: Final = "/%:@!$&'()*+,;=-._~"
_AUTH_STATUSES: Final = frozenset({401, 403, 407})

#: Every finding code, with what it means. The browser's own failure steps come first.
FINDINGS: Final[dict[str, str]] = {
    FailureStep.PREFLIGHT_REDIRECT.value: "the preflight was answered with a 3xx redirect",
    FailureStep.PREFLIGHT_STATUS.value: "the preflight's status is not 200-299",
    FailureStep.MISSING_ALLOW_ORIGIN.value: "no Access-Control-Allow-Origin header",
    FailureStep.MULTIPLE_ALLOW_ORIGIN.value: "several Access-Control-Allow-Origin values or lines",
    FailureStep.ALLOW_ORIGIN_MISMATCH.value: "Access-Control-Allow-Origin is not the page's origin",
    FailureStep.WILDCARD_ORIGIN_WITH_CREDENTIALS.value: (
        "Access-Control-Allow-Origin: * answered to a request with credentials"
    ),
    FailureStep.MISSING_ALLOW_CREDENTIALS.value: (
        "credentials requested but Access-Control-Allow-Credentials is not exactly 'true'"
    ),
    FailureStep.INVALID_ALLOW_METHODS.value: "Access-Control-Allow-Methods has an invalid token",
    FailureStep.METHOD_NOT_ALLOWED.value: "the method is not in Access-Control-Allow-Methods",
    FailureStep.INVALID_ALLOW_HEADERS.value: "Access-Control-Allow-Headers has an invalid token",
    FailureStep.HEADER_NOT_ALLOWED.value: "a request header is not in Access-Control-Allow-Headers",
    FailureStep.MISSING_ALLOW_PRIVATE_NETWORK.value: (
        "private-network preflight without Access-Control-Allow-Private-Network: true"
    ),
    "preflight-unauthorized": (
        "the preflight got 401/403/407: authentication runs before CORS on OPTIONS"
    ),
    "preflight-refused": (
        "the preflight got 403 from a CORS layer: origin, method or header not in its policy"
    ),
    "method-case-mismatch": (
        "Access-Control-Allow-Methods lists the method in another case (methods are case-sensitive)"
    ),
    "lowercase-allow-methods": (
        "Access-Control-Allow-Methods lists e.g. 'put', which never matches what browsers send"
    ),
    "error-response-without-cors": (
        "a 4xx/5xx actual response has no CORS headers although the server allows the origin"
    ),
    "origin-refused": (
        "the server does not allow the origin (an error response without CORS headers is then "
        "correct)"
    ),
    "cors-only-on-preflight": (
        "the preflight passed but the actual response has no Access-Control-Allow-Origin"
    ),
    "actual-redirect": "the actual request was redirected; the Location is not probed",
    "missing-vary-origin": (
        "Access-Control-Allow-Origin echoes an origin but Vary lacks Origin (cache poisoning)"
    ),
    "wildcard-with-credentials": (
        "Access-Control-Allow-Origin: * sent together with Access-Control-Allow-Credentials: true"
    ),
    "invalid-allow-credentials": "Access-Control-Allow-Credentials is present but not 'true'",
    "expose-wildcard-with-credentials": (
        "Access-Control-Expose-Headers: * on a credentialed response exposes nothing"
    ),
    "invalid-max-age": "Access-Control-Max-Age is not a plain number of seconds",
    "null-origin-allowed": (
        "Access-Control-Allow-Origin: null trusts every sandboxed or data: page"
    ),
    "same-origin": "--origin is the URL's own origin: a browser would make no CORS checks",
    "invalid-url": "the URL cannot be probed",
    "invalid-origin": "--origin is not a serialized origin",
    "invalid-request": "fetch() would refuse to send this request",
    "timeout": "the server did not answer in time",
    "name-not-resolved": "the host name does not resolve",
    "connection-refused": "nothing listens on that host and port",
    "tls-failed": "the TLS handshake failed (certificate, or not an HTTPS server)",
    "connection-failed": "the connection failed",
    "invalid-response": "the server's reply is not valid HTTP",
}


# ----------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Where requests go: parsed from the URL."""

    scheme: Literal["http", "https"]
    host: str
    port: int
    path: str
    """Path and query as sent in the request line."""

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request sent and the response received."""

    step: Literal["preflight", "actual", "origin-check"]
    """``origin-check``: a preflight sent after an error response without CORS headers, to
    tell a server that refuses the origin from one that drops CORS headers on errors."""
    method: str
    target: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    elapsed: float
    """Seconds from connecting to the end of the response headers."""

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "method": self.method,
            "target": self.target,
            "request_headers": [list(item) for item in self.request_headers],
            "status": self.status,
            "reason": self.reason,
            "response_headers": [list(item) for item in self.response_headers],
            "elapsed_ms": round(self.elapsed * 1000, 1),
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem, with a stable code (see :data:`FINDINGS`) and what the server must change."""

    code: str
    severity: Severity
    step: Literal["preflight", "actual", "request"]
    """The exchange the finding is about; ``request`` for problems found before sending."""
    message: str
    blocking: bool = False
    """True for the one finding that is the browser's own reason to refuse the exchange."""

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "step": self.step,
            "blocking": self.blocking,
            "message": self.message,
        }


@dataclass(frozen=True)
class ProbeResult:
    url: str
    request: BrowserRequest
    preflight_needed: bool
    outcome: Outcome
    exchanges: tuple[Exchange, ...] = ()
    findings: tuple[Finding, ...] = ()
    exposed_headers: tuple[str, ...] = ()
    """On an allowed actual response: the header names script can read."""
    preflight_cache_seconds: int | None = None
    """How long Chromium caches a successful preflight; None without one."""

    @property
    def allowed(self) -> bool:
        return self.outcome in ("allowed", "preflight-ok")

    @property
    def exit_status(self) -> ExitStatus:
        if self.outcome == "error":
            return ExitStatus.ERROR
        return ExitStatus.ALLOWED if self.allowed else ExitStatus.BLOCKED

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "origin": self.request.origin,
            "method": browser.normalize_method(self.request.method),
            "credentials": self.request.credentials,
            "preflight_needed": self.preflight_needed,
            "outcome": self.outcome,
            "allowed": self.allowed,
            "exit_status": self.exit_status,
            "exchanges": [exchange.as_json() for exchange in self.exchanges],
            "findings": [finding.as_json() for finding in self.findings],
            "exposed_headers": list(self.exposed_headers),
            "preflight_cache_seconds": self.preflight_cache_seconds,
        }


# ----------------------------------------------------------------------------------------
# Transport
# ----------------------------------------------------------------------------------------


class TransportError(Exception):
    """The exchange did not produce an HTTP response; ``code`` is one of :data:`FINDINGS`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Response = tuple[int, str, list[tuple[str, str]]]
Transport = Callable[[Target, str, Headers, float], Response]
"""``send(target, method, headers, timeout) -> (status, reason, response headers)``."""


# ----------------------------------------------------------------------------------------
# Reading headers
# ----------------------------------------------------------------------------------------


def _values(headers: Headers, name: str) -> list[str]:
    wanted = name.lower()
    return [value.strip(" \t") for key, value in headers if key.lower() == wanted]


def _joined(headers: Headers, name: str) -> str | None:
    values = _values(headers, name)
    return ", ".join(values) if values else None


def _tokens(value: str | None) -> list[str]:
    if value is None:
        return []
    return [item.strip(" \t") for item in value.split(",") if item.strip(" \t")]


def _invalid_token(headers: Headers, name: str) -> str | None:
    for item in _tokens(_joined(headers, name)):
        if not is_token(item):
            return item
    return None


# ----------------------------------------------------------------------------------------
# Diagnosis (pure)
# ----------------------------------------------------------------------------------------


def _blocking(verdict: BrowserVerdict, step: Literal["preflight", "actual"]) -> list[Finding]:
    if verdict.ok or verdict.step is None:
        return []
    return [Finding(verdict.step.value, "error", step, verdict.message, blocking=True)]


_ORIGIN_STEPS: Final = frozenset(
    {
        FailureStep.MULTIPLE_ALLOW_ORIGIN,
        FailureStep.ALLOW_ORIGIN_MISMATCH,
        FailureStep.WILDCARD_ORIGIN_WITH_CREDENTIALS,
    }
)


def _replaced(headers: Headers, name: str, value: str) -> list[tuple[str, str]]:
    wanted = name.lower()
    return [(key, item) for key, item in headers if key.lower() != wanted] + [(name, value)]


def _repair(
    request: BrowserRequest, status: int, headers: Headers, step: FailureStep
) -> tuple[int, list[tuple[str, str]]] | None:
    """The response with the fault the browser stopped at fixed as the browser's message says;
    None when nothing behind that fault is worth checking (a redirect, a missing
    Access-Control-Allow-Origin: the server did not allow the origin at all)."""
    fixed = list(headers)
    if step in _ORIGIN_STEPS:
        return status, _replaced(fixed, ALLOW_ORIGIN, request.origin)
    if step is FailureStep.MISSING_ALLOW_CREDENTIALS:
        return status, _replaced(fixed, ALLOW_CREDENTIALS, "true")
    if step is FailureStep.PREFLIGHT_STATUS:
        return 204, fixed
    if step in (FailureStep.INVALID_ALLOW_METHODS, FailureStep.INVALID_ALLOW_HEADERS):
        name = ALLOW_METHODS if step is FailureStep.INVALID_ALLOW_METHODS else ALLOW_HEADERS
        valid = [item for item in _tokens(_joined(fixed, name)) if is_token(item)]
        return status, _replaced(fixed, name, ", ".join(valid))
    if step is FailureStep.METHOD_NOT_ALLOWED:
        return status, [*fixed, (ALLOW_METHODS, browser.normalize_method(request.method))]
    if step is FailureStep.HEADER_NOT_ALLOWED:
        names = [name.lower() for name, _ in browser.request_header_list(request.headers)]
        return status, [*fixed, (ALLOW_HEADERS, ", ".join(names))]
    return None


def _faults_behind(
    request: BrowserRequest,
    status: int,
    headers: Headers,
    verdict: BrowserVerdict,
    step: Literal["preflight", "actual"],
) -> list[Finding]:
    """The browser stops at the first failed check; these are the failures it would meet next,
    each found by fixing the one before it, so one run names every fault of the response."""
    check = browser.check_preflight if step == "preflight" else browser.check_response
    findings = []
    for _ in FailureStep:  # each round fixes one step, so this bounds the loop
        if verdict.ok or verdict.step is None:
            break
        repaired = _repair(request, status, headers, verdict.step)
        if repaired is None:
            break
        status, headers = repaired
        verdict = check(request, status, headers)
        if not verdict.ok and verdict.step is not None:
            findings.append(
                Finding(
                    verdict.step.value,
                    "error",
                    step,
                    f"{verdict.message} (behind the first fault: the browser would stop here "
                    "once that one is fixed)",
                )
            )
    return findings


def _without_repeats(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    kept = []
    for finding in findings:
        if finding.code not in seen:
            seen.add(finding.code)
            kept.append(finding)
    return kept


def _credential_faults(
    request: BrowserRequest,
    headers: Headers,
    step: Literal["preflight", "actual"],
    subject: str,
) -> list[Finding]:
    findings = []
    allow_origin = _joined(headers, ALLOW_ORIGIN)
    allow_credentials = _joined(headers, ALLOW_CREDENTIALS)
    if allow_origin == "*" and allow_credentials == "true":
        findings.append(
            Finding(
                "wildcard-with-credentials",
                "warning",
                step,
                f"{subject} sends 'Access-Control-Allow-Origin: *' together with "
                "'Access-Control-Allow-Credentials: true'; browsers refuse that pair for every "
                "request with credentials; either drop Access-Control-Allow-Credentials (public "
                "data) or echo an allowed origin instead of '*' (and add 'Vary: Origin')",
            )
        )
    if allow_credentials is not None and allow_credentials != "true":
        lines = len(_values(headers, ALLOW_CREDENTIALS))
        shown = (
            f"{lines} lines, read as '{allow_credentials}'"
            if lines > 1
            else (f"'{allow_credentials}'")
        )
        findings.append(
            Finding(
                "invalid-allow-credentials",
                "warning",
                step,
                f"{subject}'s Access-Control-Allow-Credentials is {shown}; the only value "
                "browsers accept is exactly 'true' (lowercase, one line); send that, or leave "
                "the header out"
                + (
                    ""
                    if request.credentials
                    else " (this request has no credentials, so it passes; one with cookies "
                    "would fail)"
                ),
            )
        )
    if allow_origin == "null":
        findings.append(
            Finding(
                "null-origin-allowed",
                "warning",
                step,
                f"{subject} has 'Access-Control-Allow-Origin: null', which every sandboxed "
                "iframe, data: URL and redirected request matches, and any site can create "
                "those; do not allow the null origin",
            )
        )
    return findings


def diagnose_preflight(
    request: BrowserRequest,
    status: int,
    headers: Headers,
    verdict: BrowserVerdict | None = None,
) -> list[Finding]:
    """Every finding about the response to the preflight for ``request``."""
    verdict = verdict or browser.check_preflight(request, status, headers)
    findings = _blocking(verdict, "preflight")
    if 300 <= status <= 399 and findings:
        findings[0] = _with_location(findings[0], headers)
    findings.extend(_preflight_status_faults(status, headers, verdict))
    findings.extend(_preflight_token_faults(headers, verdict))
    findings.extend(_method_case_faults(request, headers))
    findings.extend(
        _credential_faults_unless_blocking(
            request, headers, verdict, "preflight", "the preflight response"
        )
    )
    findings.extend(_max_age_faults(headers))
    if _joined(headers, ALLOW_ORIGIN) is not None:
        findings[1:1] = _faults_behind(request, status, headers, verdict, "preflight")
    return _without_repeats(findings)


def _with_location(finding: Finding, headers: Headers) -> Finding:
    """The blocking finding about a redirected preflight, naming where it points."""
    location = _joined(headers, "Location")
    if location is None:
        return finding
    return Finding(
        finding.code,
        "error",
        "preflight",
        f"{finding.message}; it points to {location!r}",
        blocking=True,
    )


def _preflight_status_faults(
    status: int, headers: Headers, verdict: BrowserVerdict
) -> list[Finding]:
    """What the preflight's status says: refused by the CORS layer, by authentication, or else."""
    if status == 403 and _answered_by_cors_layer(headers):
        reason = _joined(headers, "CORS-Rejection-Reason")
        return [
            Finding(
                "preflight-refused",
                "error",
                "preflight",
                "the preflight was answered 403 by a CORS layer (the response varies on "
                "Access-Control-Request-*): it does not allow this origin, method or one of "
                "the headers; add them to the server's CORS policy if this page should be "
                "allowed" + (f" (the server says: {reason})" if reason else ""),
            )
        ]
    if status in _AUTH_STATUSES:
        return [
            Finding(
                "preflight-unauthorized",
                "error",
                "preflight",
                f"the preflight was answered {status}: authentication (or a firewall or CSRF "
                "check) seems to run before the CORS layer on OPTIONS; browsers never send "
                "cookies or Authorization with a preflight, so it can never pass; let OPTIONS "
                "requests carrying Access-Control-Request-Method reach the CORS layer before any "
                "authentication"
                + (
                    " (if the CORS layer itself refuses with 403, allow this origin, method and "
                    "headers there)"
                    if status == 403
                    else ""
                ),
            )
        ]
    if not 200 <= status <= 399 and verdict.step is not FailureStep.PREFLIGHT_STATUS:
        hint = (
            " (405: the route does not accept OPTIONS; answer preflights before routing)"
            if status == 405
            else ""
        )
        return [
            Finding(
                FailureStep.PREFLIGHT_STATUS.value,
                "error",
                "preflight",
                f"the preflight was answered {status}; a preflight needs 200-299 (204 or "
                f"200){hint}",
            )
        ]
    return []


def _preflight_token_faults(headers: Headers, verdict: BrowserVerdict) -> list[Finding]:
    """Allow-Methods or Allow-Headers elements that are not tokens (unless already blocking)."""
    findings = []
    for name, code in (
        (ALLOW_METHODS, FailureStep.INVALID_ALLOW_METHODS.value),
        (ALLOW_HEADERS, FailureStep.INVALID_ALLOW_HEADERS.value),
    ):
        bad = _invalid_token(headers, name)
        if bad is not None and verdict.step is not FailureStep(code):
            findings.append(
                Finding(
                    code,
                    "error",
                    "preflight",
                    f"the preflight response's {name} contains {bad!r}, which is not a token; "
                    "one invalid element fails every preflight; send a comma-separated list of "
                    "names",
                )
            )
    return findings


def _credential_faults_unless_blocking(
    request: BrowserRequest,
    headers: Headers,
    verdict: BrowserVerdict,
    step: Literal["preflight", "actual"],
    subject: str,
) -> list[Finding]:
    """The credential warnings, unless a credential fault already blocks (said once)."""
    if verdict.step in (
        FailureStep.WILDCARD_ORIGIN_WITH_CREDENTIALS,
        FailureStep.MISSING_ALLOW_CREDENTIALS,
    ):
        return []
    return _credential_faults(request, headers, step, subject)


def _max_age_faults(headers: Headers) -> list[Finding]:
    max_age = _values(headers, MAX_AGE)
    if max_age and (len(max_age) > 1 or not max_age[0].isascii() or not max_age[0].isdigit()):
        shown = ", ".join(max_age)
        return [
            Finding(
                "invalid-max-age",
                "warning",
                "preflight",
                f"Access-Control-Max-Age is '{shown}', not one plain number of seconds; "
                "Chromium and Safari then cache the preflight for 5 s (Chromium: not at all if "
                "negative) and Firefox not at all; send e.g. 'Access-Control-Max-Age: 600'",
            )
        ]
    return []


def _answered_by_cors_layer(headers: Headers) -> bool:
    """A refusal from a CORS layer: it varies on the preflight's request headers, or says why."""
    vary = {item.lower() for item in _tokens(_joined(headers, "Vary"))}
    return bool(vary & {"access-control-request-method", "access-control-request-headers"}) or (
        _joined(headers, "CORS-Rejection-Reason") is not None
    )


def _method_case_faults(request: BrowserRequest, headers: Headers) -> list[Finding]:
    method = browser.normalize_method(request.method)
    listed = _tokens(_joined(headers, ALLOW_METHODS))
    findings = []
    near = [item for item in listed if item != method and item.upper() == method.upper()]
    if near and method not in listed and method not in browser.SAFELISTED_METHODS:
        findings.append(
            Finding(
                "method-case-mismatch",
                "error",
                "preflight",
                f"Access-Control-Allow-Methods lists {near[0]!r} but the browser asks for "
                f"{method!r}; methods compare byte for byte ({METHOD_CASE_RULE}); "
                f"list {method!r} exactly",
            )
        )
    lowercase = [
        item
        for item in listed
        if item.upper() in NORMALIZED_METHODS
        and item != item.upper()
        and item.upper() != method.upper()
    ]
    if lowercase:
        names = ", ".join(repr(item) for item in lowercase)
        findings.append(
            Finding(
                "lowercase-allow-methods",
                "warning",
                "preflight",
                f"Access-Control-Allow-Methods lists {names}; browsers always send these "
                "methods uppercase, and methods compare byte for byte, so those entries never "
                "match; write them uppercase",
            )
        )
    return findings


def diagnose_actual(
    request: BrowserRequest,
    status: int,
    headers: Headers,
    verdict: BrowserVerdict | None = None,
    *,
    preflight_passed: bool = False,
    origin_refused: bool = False,
) -> list[Finding]:
    """Every finding about the response to the actual request.

    ``origin_refused``: the server is known not to allow the origin (see :func:`probe`'s origin
    check), so an error response without CORS headers is the server working, not a fault.
    """
    verdict = verdict or browser.check_response(request, status, headers)
    findings = _blocking(verdict, "actual")
    allow_origin = _joined(headers, ALLOW_ORIGIN)
    if allow_origin is not None:
        findings.extend(_faults_behind(request, status, headers, verdict, "actual"))
    if verdict.step is FailureStep.MISSING_ALLOW_ORIGIN:
        findings.extend(_missing_origin_faults(request, status, preflight_passed, origin_refused))
    if 300 <= status <= 399:
        findings.append(_redirect_warning(status, headers))
    findings.extend(_vary_faults(headers))
    findings.extend(
        _credential_faults_unless_blocking(request, headers, verdict, "actual", "the response")
    )
    expose = [item.lower() for item in _tokens(_joined(headers, EXPOSE_HEADERS))]
    if request.credentials and "*" in expose and allow_origin is not None:
        findings.append(
            Finding(
                "expose-wildcard-with-credentials",
                "warning",
                "actual",
                "Access-Control-Expose-Headers contains '*', which on a response to a request "
                "with credentials means a header literally named '*'; list the header names",
            )
        )
    return _without_repeats(findings)


def _missing_origin_faults(
    request: BrowserRequest, status: int, preflight_passed: bool, origin_refused: bool
) -> list[Finding]:
    """Why the actual response has no Access-Control-Allow-Origin, as far as can be told."""
    if origin_refused:
        return [
            Finding(
                "origin-refused",
                "error",
                "actual",
                f"the server does not allow the origin '{request.origin}': its answer to a "
                "preflight from that origin carries no Access-Control-Allow-Origin either; "
                f"the {status} without CORS headers is then correct; add the origin to the "
                "server's CORS policy if this page should be allowed",
            )
        ]
    if status >= 400:
        return [
            Finding(
                "error-response-without-cors",
                "error",
                "actual",
                f"the response has status {status} and no CORS headers, so the page sees "
                "a network error instead of the status; add the CORS headers to error "
                "responses too (exception handlers and error pages often drop them)",
            )
        ]
    if preflight_passed:
        return [
            Finding(
                "cors-only-on-preflight",
                "error",
                "actual",
                "the preflight was answered with CORS headers but the actual response "
                "carries none; the CORS layer answers OPTIONS but does not wrap this "
                "route's responses (or a proxy strips them); send the same "
                "Access-Control-Allow-Origin on the actual response",
            )
        ]
    return []


def _redirect_warning(status: int, headers: Headers) -> Finding:
    location = _joined(headers, "Location")
    where = f"to {location!r}" if location is not None else "without a Location header"
    return Finding(
        "actual-redirect",
        "warning",
        "actual",
        f"the response is a {status} redirect {where}; the browser follows it only if "
        "this 3xx itself carries the CORS headers (it is CORS-checked first), then "
        "checks the next response too; a redirect to another origin makes the browser "
        "send 'Origin: null' there; probe the Location next (or avoid the redirect)",
    )


def _vary_faults(headers: Headers) -> list[Finding]:
    """A response that allows one origin but does not say it varies on Origin."""
    values = _values(headers, ALLOW_ORIGIN)
    vary = {item.lower() for item in _tokens(_joined(headers, "Vary"))}
    if len(values) == 1 and values[0] not in ("*", "") and not vary & {"origin", "*"}:
        return [
            Finding(
                "missing-vary-origin",
                "warning",
                "actual",
                f"the response allows the origin '{values[0]}' but has no 'Vary: Origin'; a "
                "browser or CDN cache can then hand this response to a page on another origin "
                "(failing it, or granting it this origin's access); add 'Vary: Origin' to every "
                "response whose CORS headers depend on the Origin, including those to requests "
                "without one",
            )
        ]
    return []


# ----------------------------------------------------------------------------------------
# The probe
# ----------------------------------------------------------------------------------------


def parse_target(url: str) -> Target | str:
    """The target of ``url``, or a sentence saying why it cannot be probed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"{url!r} is not a valid URL: {error}"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"{url!r}: only http:// and https:// URLs can be probed"
    if not parts.hostname:
        return f"{url!r} has no host"
    if parts.username is not None or parts.password is not None:
        return f"{url!r} contains credentials; fetch() refuses such URLs"
    # As a browser's URL parser does: spaces and non-ASCII are percent-encoded.
    path = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    default = 443 if scheme == "https" else 80
    return Target(
        "https" if scheme == "https" else "http",
        parts.hostname,
        port if port is not None else default,
        path,
    )


def origin_problem(origin: str) -> str | None:
    """Why ``origin`` is not an ``Origin`` header value a browser sends; None if it is one."""
    if origin == "null" or parse_origin(origin) is not None:
        return None
    return (
        f"{origin!r} is not an origin as browsers send it: write scheme://host[:port], "
        "lowercase, without a path or trailing slash (e.g. 'https://app.example.com'), "
        "or 'null'"
    )


def _request_problem(request: BrowserRequest) -> str | None:
    """Why ``fetch()`` would refuse ``request``, or None (the oracle checks this first)."""
    verdict = browser.check_response(request, 200, [(ALLOW_ORIGIN, "*")])
    return verdict.message if verdict.step is FailureStep.INVALID_REQUEST else None


def _common_headers() -> list[tuple[str, str]]:
    return [("User-Agent", USER_AGENT), ("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty")]


@dataclass
class _Run:
    """One probe as it goes: what it asks, where, and what it has exchanged and found so far."""

    url: str
    request: BrowserRequest
    send: Transport
    timeout: float
    target: Target | None = None
    needed: bool = False
    preflight_passed: bool = False
    cache_seconds: int | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def result(self, outcome: Outcome, exposed_headers: tuple[str, ...] = ()) -> ProbeResult:
        return ProbeResult(
            self.url,
            self.request,
            self.needed,
            outcome,
            tuple(self.exchanges),
            tuple(self.findings),
            exposed_headers,
            self.cache_seconds,
        )

    def failed(
        self, code: str, step: Literal["request", "preflight", "actual"], message: str
    ) -> ProbeResult:
        return ProbeResult(
            self.url,
            self.request,
            self.needed,
            "error",
            tuple(self.exchanges),
            (*self.findings, Finding(code, "error", step, message)),
        )

    def exchange(
        self, step: Literal["preflight", "actual", "origin-check"], verb: str, sent: Headers
    ) -> Exchange:
        assert self.target is not None
        started = time.monotonic()
        status, reason, received = self.send(self.target, verb, sent, self.timeout)
        record = Exchange(
            step,
            verb,
            self.target.path,
            tuple(sent),
            status,
            reason,
            tuple(received),
            time.monotonic() - started,
        )
        self.exchanges.append(record)
        return record


def probe(
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: Headers = (),
    credentials: bool = False,
    private_network: bool = False,
    cookie: str | None = None,
    timeout: float = 10.0,
    preflight_only: bool = False,
    insecure: bool = False,
    transport: Transport | None = None,
) -> ProbeResult:
    """Probe ``url`` as a page on ``origin`` calling ``fetch(url, {method, headers, ...})``.

    ``cookie`` is sent (as a browser would send stored cookies) on the actual request only,
    and only with ``credentials``. With ``preflight_only`` the actual request is never sent.
    """
    request = BrowserRequest(
        origin=origin,
        method=method,
        headers=tuple(headers),
        credentials=credentials,
        private_network=private_network,
    )
    if transport is None:
        from .http_transport import http_transport  # sockets only when a probe really sends

        transport = http_transport(insecure=insecure)
    run = _Run(url, request, transport, timeout)
    refusal = _refuse_invalid_input(run)
    if refusal is not None:
        return refusal
    try:
        if run.needed:
            stop = _send_preflight(run, preflight_only=preflight_only)
            if stop is not None:
                return stop
        elif preflight_only:
            return ProbeResult(url, request, run.needed, "preflight-ok")
        sent = _actual_request_headers(request, cookie)
        reply = run.exchange("actual", browser.normalize_method(method), sent)
    except TransportError as error:
        step: Literal["preflight", "actual"] = (
            "actual" if run.preflight_passed or not run.needed else "preflight"
        )
        return run.failed(error.code, step, error.message)
    return _judge_actual(run, reply)


def _refuse_invalid_input(run: _Run) -> ProbeResult | None:
    """The error result for an origin, URL or request a browser would not send; else None.

    On valid input, sets the run's target and whether it needs a preflight.
    """
    origin = run.request.origin
    origin_error = origin_problem(origin)
    if origin_error is not None:
        return run.failed("invalid-origin", "request", origin_error)
    target = parse_target(run.url)
    if isinstance(target, str):
        return run.failed("invalid-url", "request", target)
    run.target = target
    problem = _request_problem(run.request)
    if problem is not None:
        return run.failed("invalid-request", "request", problem)
    run.needed = browser.needs_preflight(run.request)
    if target.origin == origin:
        run.findings.append(
            Finding(
                "same-origin",
                "warning",
                "request",
                f"the page's origin and the URL's origin are both '{origin}': a browser makes no "
                "CORS checks on a same-origin request; what follows is what a page on another "
                "origin, with this Origin header, would get",
            )
        )
    return None


def _send_preflight(run: _Run, *, preflight_only: bool) -> ProbeResult | None:
    """Send the preflight and judge it: the result when the probe stops here, else None."""
    request = run.request
    sent = [
        *browser.preflight_request_headers(request),
        ("Accept", "*/*"),
        *_common_headers(),
    ]
    reply = run.exchange("preflight", "OPTIONS", sent)
    verdict = browser.check_preflight(request, reply.status, reply.response_headers)
    run.findings.extend(diagnose_preflight(request, reply.status, reply.response_headers, verdict))
    if not verdict.ok:
        return run.result("blocked")
    run.preflight_passed = True
    run.cache_seconds = browser.preflight_cache_seconds(reply.response_headers)
    return run.result("preflight-ok") if preflight_only else None


def _actual_request_headers(request: BrowserRequest, cookie: str | None) -> list[tuple[str, str]]:
    """The header lines a browser sends with the actual request."""
    script_headers = browser.request_header_list(request.headers)
    sent = [("Origin", request.origin), *script_headers]
    if not any(name.lower() == "accept" for name, _ in script_headers):
        sent.append(("Accept", "*/*"))
    sent.extend(_common_headers())
    if request.credentials and cookie:
        sent.append(("Cookie", cookie))
    return sent


def _judge_actual(run: _Run, reply: Exchange) -> ProbeResult:
    """The probe's result from the actual response (asking about the origin when unclear)."""
    request = run.request
    verdict = browser.check_response(request, reply.status, reply.response_headers)
    origin_refused = (
        verdict.step is FailureStep.MISSING_ALLOW_ORIGIN
        and reply.status >= 400
        and not run.preflight_passed
        and _origin_refused(run)
    )
    run.findings.extend(
        diagnose_actual(
            request,
            reply.status,
            reply.response_headers,
            verdict,
            preflight_passed=run.preflight_passed,
            origin_refused=origin_refused,
        )
    )
    outcome: Outcome = "blocked"
    if verdict.ok:
        outcome = "redirected" if 300 <= reply.status <= 399 else "allowed"
    return run.result(outcome, tuple(sorted(verdict.exposed_headers)))


def _origin_refused(run: _Run) -> bool:
    """Whether the CORS layer refuses the origin outright (False when it cannot be told).

    Refused origin, or CORS headers dropped on errors? Ask the CORS layer directly with a
    preflight (safe: OPTIONS changes nothing) for the same method and URL.
    """
    origin, method = run.request.origin, run.request.method
    check = BrowserRequest(origin=origin, method=method, headers=(), credentials=False)
    sent = [
        ("Origin", origin),
        ("Access-Control-Request-Method", browser.normalize_method(method)),
        ("Accept", "*/*"),
        *_common_headers(),
    ]
    try:
        answer = run.exchange("origin-check", "OPTIONS", sent)
    except TransportError:
        return False  # no evidence either way: the error response is judged as before
    return not browser.check_cors(check, answer.response_headers).ok
