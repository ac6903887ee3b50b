"""Validating a policy's configuration: validators that write to one :class:`Findings`.

:func:`validate_policy` checks every option (each validator writes its problems, warnings
and advisories to the one collector, as :class:`~corecors.errors.Problem` values that name
their option and element) and, when nothing is wrong, returns a frozen
:class:`PolicyConfig`: the policy's public settings and what compiling it needs.
``allow_origins`` and ``allow_origin_regex`` have validators of their own in
:mod:`corecors.origin_checks`.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

from .errors import Findings
from .origin_checks import check_origin_regex, check_origins
from .origins import OriginMatcher, OriginPattern, OriginPredicate, OriginRegex
from .tokens import (
    FORBIDDEN_METHODS,
    SAFELISTED_METHODS,
    SAFELISTED_RESPONSE_HEADER_NAMES,
    is_forbidden_request_header_name,
    is_token,
    normalize_method,
)

__all__ = [
    "MAX_AGE_LIMIT",
    "MAX_INPUT_LIMIT",
    "PUBLIC_SETTINGS",
    "PolicyConfig",
    "validate_policy",
]

#: The largest Access-Control-Max-Age accepted (Firefox's cap; Chromium caps at 7200).
MAX_AGE_LIMIT: Final = 86400
_CHROMIUM_MAX_AGE: Final = 7200
#: The largest input-size limit a policy accepts. Adapters may cut any CORS request field
#: to ``MAX_INPUT_LIMIT + 1`` characters before decoding it: still too long for every
#: policy, so the answer is the same, and hostile megabyte-sized fields cost no more.
MAX_INPUT_LIMIT: Final = 65536
_PREFLIGHT_STATUSES: Final = (200, 204)
_REJECTED_PREFLIGHT_STATUSES: Final = (403, 400)
_FLAGS: Final = (
    "allow_null_origin",
    "allow_credentials",
    "allow_private_network",
    "debug",
    "dangerously_allow_insecure_origins",
    "dangerously_allow_public_suffix_wildcards",
)
_LIMITS: Final = ("max_origin_length", "max_request_headers_length", "max_request_headers_count")


class PolicyConfig(NamedTuple):
    """A configuration that passed validation (immutable: a named tuple, quick to build).

    The first fields are :class:`~corecors.CORSPolicy`'s public attributes, in the order of
    :data:`PUBLIC_SETTINGS`; the rest is what compiling it needs.
    """

    allow_origins: tuple[str, ...]
    allow_origin_regex: str | None
    allow_origin_predicate: OriginPredicate | None
    allow_null_origin: bool
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None
    allow_private_network: bool
    preflight_status: int
    rejected_preflight_status: int
    debug: bool
    dangerously_allow_insecure_origins: bool
    dangerously_allow_public_suffix_wildcards: bool
    max_origin_length: int
    max_request_headers_length: int
    max_request_headers_count: int
    warnings: tuple[str, ...]
    matcher: OriginMatcher
    any_origin: bool
    methods: tuple[str, ...]
    """The allowed methods as listed (normalized, without ``*``)."""
    header_line: tuple[str, ...]
    """The allowed request header names, spelt as configured, for the header's value."""
    exposed_line: tuple[str, ...]

    @property
    def any_method(self) -> bool:
        return self.allow_methods == ("*",)

    @property
    def any_header(self) -> bool:
        return "*" in self.allow_headers

    def compile_arguments(self) -> dict[str, Any]:
        """The keywords of :meth:`~corecors.compiled.CompiledPolicy._compile`."""
        any_method = self.any_method
        return {
            "matcher": self.matcher,
            "any_origin": self.any_origin,
            "credentials": self.allow_credentials,
            "allowed_methods": frozenset()
            if any_method
            else frozenset(self.methods) | SAFELISTED_METHODS,
            "any_method": any_method,
            "allowed_headers": frozenset(name for name in self.allow_headers if name != "*"),
            "any_header": self.any_header,
            "allow_methods_value": ", ".join(self.methods),
            "allow_headers_value": ", ".join(self.header_line),
            "expose_headers_value": ", ".join(self.exposed_line) or None,
            "max_age": self.max_age,
            "private_network": self.allow_private_network,
            "preflight_status": self.preflight_status,
            "rejected_preflight_status": self.rejected_preflight_status,
            "debug": self.debug,
            "max_origin_length": self.max_origin_length,
            "max_headers_length": self.max_request_headers_length,
            "max_headers_count": self.max_request_headers_count,
        }


#: The settings a policy has as public attributes: the first fields of :class:`PolicyConfig`.
PUBLIC_SETTINGS: Final = (
    "allow_origins",
    "allow_origin_regex",
    "allow_origin_predicate",
    "allow_null_origin",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
    "allow_private_network",
    "preflight_status",
    "rejected_preflight_status",
    "debug",
    "dangerously_allow_insecure_origins",
    "dangerously_allow_public_suffix_wildcards",
    "max_origin_length",
    "max_request_headers_length",
    "max_request_headers_count",
    "warnings",
)


def validate_policy(options: Mapping[str, Any], findings: Findings) -> PolicyConfig | None:
    """Check every option of ``options`` (the constructor's keywords, all present), writing
    to ``findings``; the validated configuration, or None when there is a problem."""
    check_flags(options, findings)
    origins = strings(options["allow_origins"], "allow_origins", findings)
    configured_methods = strings(options["allow_methods"], "allow_methods", findings)
    configured_headers = strings(options["allow_headers"], "allow_headers", findings)
    configured_exposed = strings(options["expose_headers"], "expose_headers", findings)
    check_limits(options, findings)
    any_origin, patterns = check_origins(origins, options, findings)
    regex = check_origin_regex(options["allow_origin_regex"], options, findings)
    if options["allow_origin_predicate"] is not None:
        check_predicate(options["allow_origin_predicate"], findings)
    check_origin_combinations(options, any_origin, bool(origins), regex is not None, findings)
    methods, any_method = check_methods(configured_methods, findings)
    header_names, any_header = check_request_headers(configured_headers, findings)
    credentials = options["allow_credentials"] is True
    exposed = check_expose_headers(configured_exposed, credentials, findings)
    if any_header and "authorization" not in header_names:
        findings.advisory(
            "wildcard-header-without-authorization",
            "allow_headers: '*' alone covers every request header except 'authorization' "
            "(the Fetch standard never lets '*' cover it), so a page that sends "
            "Authorization is refused; add 'authorization' to the list if pages send it",
            "allow_headers",
            "*",
        )
    check_max_age(options["max_age"], findings)
    check_statuses(options, findings)
    if findings.problems:
        return None
    settings: dict[str, Any] = {
        **options,
        "allow_origins": tuple(origins),
        "allow_methods": ("*",) if any_method else tuple(methods),
        "allow_headers": tuple(header_names) + (("*",) if any_header else ()),
        "expose_headers": tuple(exposed),
        "warnings": findings.doubts,
    }
    return PolicyConfig(
        **{name: settings[name] for name in PUBLIC_SETTINGS},
        matcher=_matcher(patterns, regex, options),
        any_origin=any_origin,
        methods=tuple(methods),
        header_line=tuple(_as_configured(configured_headers, header_names)),
        exposed_line=tuple(_as_configured(configured_exposed, exposed)),
    )


def _matcher(
    patterns: list[OriginPattern], regex: OriginRegex | None, options: Mapping[str, Any]
) -> OriginMatcher:
    return OriginMatcher(
        patterns,
        regex=regex,
        predicate=options["allow_origin_predicate"],
        allow_null=options["allow_null_origin"],
        max_length=options["max_origin_length"],
    )


def strings(value: object, key: str, findings: Findings) -> list[str]:
    """A configured list of strings, or a problem when it is something else."""
    if isinstance(value, str):
        findings.problem(
            "not-a-list",
            f"{key} must be a list of strings, not the string {value!r}: write [{value!r}]",
            key,
            value,
        )
        return []
    if not isinstance(value, Iterable):
        findings.problem(
            "not-a-list", f"{key} must be a list of strings, not {type(value).__name__}", key
        )
        return []
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            findings.problem(
                "not-a-string", f"{key} must contain only strings; {item!r} is not one", key, item
            )
    return [item for item in items if isinstance(item, str)]


def check_flags(options: Mapping[str, Any], findings: Findings) -> None:
    for key in _FLAGS:
        flag = options[key]
        if not isinstance(flag, bool):
            findings.problem(
                "not-a-boolean", f"{key} must be true or false, not {flag!r}", key, flag
            )


def check_limits(options: Mapping[str, Any], findings: Findings) -> None:
    for key in _LIMITS:
        limit = options[key]
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_INPUT_LIMIT
        ):
            findings.problem(
                "limit-out-of-range",
                f"{key} must be a whole number from 1 to {MAX_INPUT_LIMIT}, not {limit!r}",
                key,
                limit,
            )


def check_origin_combinations(
    options: Mapping[str, Any],
    any_origin: bool,
    listed: bool,
    has_regex: bool,
    findings: Findings,
) -> None:
    """What the origin options say together (``listed``: an origin is listed; ``has_regex``:
    a regex that compiled is configured)."""
    predicate = options["allow_origin_predicate"]
    null_origin = options["allow_null_origin"] is True
    if any_origin and options["allow_private_network"] is True:
        findings.problem(
            "any-origin-with-private-network",
            "allow_origins=['*'] with allow_private_network=True would let every site on "
            "the Internet reach this private-network server through your users' browsers, "
            "which is what Private Network Access exists to stop; list the public origins "
            "that may reach it, e.g. allow_origins=['https://app.example.com']",
            "allow_private_network",
        )
    if any_origin and (has_regex or predicate is not None):
        findings.warning(
            "any-origin-ignores-others",
            "allow_origins contains '*', so allow_origin_regex and allow_origin_predicate "
            "are never consulted; remove them or remove '*'",
            "allow_origins",
            "*",
        )
    if null_origin and options["allow_credentials"] is True:
        findings.problem(
            "null-origin-with-credentials",
            "allow_null_origin=True with allow_credentials=True would let any site read "
            "your users' authenticated responses: every page can send 'Origin: null' from "
            "a sandboxed iframe or a data: URL; remove allow_null_origin (give the page a "
            "real origin and list it in allow_origins), or remove allow_credentials",
            "allow_null_origin",
        )
    elif null_origin:
        findings.advisory(
            "null-origin",
            "allow_null_origin=True trusts every sandboxed iframe, data: URL and redirected "
            "request: any site can create one of those",
            "allow_null_origin",
        )
    if not (listed or has_regex or predicate or options["allow_null_origin"]):
        findings.warning(
            "no-origin-allowed",
            "no origin is allowed (allow_origins is empty): every cross-origin request "
            "will be refused",
            "allow_origins",
        )


def check_predicate(predicate: object, findings: Findings) -> None:
    """Whether ``predicate`` can serve as ``allow_origin_predicate``.

    Decisions are synchronous, so a coroutine function would return an un-awaited
    coroutine for every origin: refused here rather than refusing every request later.
    A declared return type other than ``bool`` is refused for the same reason: only
    ``True`` allows (a match object or a non-empty string does not)."""
    key = "allow_origin_predicate"
    if not callable(predicate):
        message = "allow_origin_predicate must be a function taking the origin string"
        findings.problem("predicate-not-callable", message, key)
        return
    # An object whose __call__ is ``async def`` is a coroutine function too.
    call = getattr(type(predicate), "__call__", None)  # noqa: B004 (its __call__, not callable())
    if inspect.iscoroutinefunction(predicate) or inspect.iscoroutinefunction(call):
        findings.problem(
            "predicate-async",
            "allow_origin_predicate is an async function, but decisions are made without "
            "awaiting (it would refuse every origin); pass a plain function (def, not async "
            "def) that answers from data loaded beforehand, e.g. "
            "allow_origin_predicate=lambda origin: origin in allowed_origins",
            key,
        )
        return
    try:
        returns = inspect.signature(predicate, eval_str=True).return_annotation
    except Exception:  # no signature, or an annotation that does not evaluate here
        return
    if returns in (inspect.Signature.empty, bool, Any, object) or (
        typing.get_origin(returns) is typing.Literal
        and all(value is True or value is False for value in typing.get_args(returns))
    ):
        return
    shown = returns.__name__ if isinstance(returns, type) else str(returns)
    findings.problem(
        "predicate-not-bool",
        f"allow_origin_predicate is declared to return {shown}, but only True allows an "
        "origin (a match object or any other value refuses it); return a bool, e.g. "
        "lambda origin: pattern.fullmatch(origin) is not None",
        key,
    )


def check_methods(methods: list[str], findings: Findings) -> tuple[list[str], bool]:
    key = "allow_methods"
    normalized: list[str] = []
    for method in methods:
        if method == "*":
            continue
        if not is_token(method):
            message = f"allow_methods: {method!r} is not a valid method name"
            findings.problem("invalid-method", message, key, method)
            continue
        if method.upper() in FORBIDDEN_METHODS:
            findings.problem(
                "forbidden-method",
                f"allow_methods: {method!r} is forbidden by the Fetch standard (browsers "
                "never send CONNECT, TRACE or TRACK); remove it",
                key,
                method,
            )
            continue
        configured, method = method, normalize_method(method)
        if method != method.upper():
            findings.warning(
                "method-not-uppercase",
                f"allow_methods: {method!r} is not uppercase; browsers send it exactly as "
                f"the page wrote it, so it matches fetch(url, {{method: {method!r}}}) only. "
                f"Did you mean {method.upper()!r}?",
                key,
                configured,
            )
        if method not in normalized:
            normalized.append(method)
    return normalized, "*" in methods


def check_request_headers(names: list[str], findings: Findings) -> tuple[list[str], bool]:
    key = "allow_headers"
    normalized: list[str] = []
    for name in names:
        if name == "*":
            continue
        lowered = name.lower()
        if not is_token(name):
            message = f"allow_headers: {name!r} is not a valid header name"
            findings.problem("invalid-header-name", message, key, name)
        elif is_forbidden_request_header_name(lowered):
            findings.problem(
                "forbidden-request-header",
                f"allow_headers: {name!r} is a forbidden request header that scripts can "
                "never set (the browser manages it); remove it",
                key,
                name,
            )
        elif lowered.startswith("access-control-"):
            findings.problem(
                "protocol-header",
                f"allow_headers: {name!r} is a CORS protocol header, never a request "
                "header a page sends; remove it",
                key,
                name,
            )
        elif lowered not in normalized:
            normalized.append(lowered)
    return normalized, "*" in names


_REQUEST_ONLY_HEADERS: Final = frozenset(
    {"origin", "access-control-request-method", "access-control-request-headers"}
)


def check_expose_headers(names: list[str], credentials: bool, findings: Findings) -> list[str]:
    normalized: list[str] = []
    for name in names:
        lowered = name.lower()
        if name == "*" and credentials:
            findings.problem(
                "expose-wildcard-with-credentials",
                "expose_headers=['*'] with allow_credentials=True: browsers read '*' "
                "literally on credentialed responses, so nothing would be exposed; "
                "list the header names",
                "expose_headers",
                name,
            )
        elif (name == "*" or _exposable(name, lowered, findings)) and lowered not in normalized:
            normalized.append(lowered)
    return normalized


def _exposable(name: str, lowered: str, findings: Findings) -> bool:
    """Whether ``name`` may be listed in ``expose_headers`` (a problem when not)."""
    key = "expose_headers"
    if not is_token(name):
        message = f"expose_headers: {name!r} is not a valid header name"
        findings.problem("invalid-header-name", message, key, name)
    elif lowered in ("set-cookie", "set-cookie2"):
        findings.problem(
            "unexposable-header",
            f"expose_headers: {name!r} can never be exposed to scripts (browsers filter "
            "it out); remove it",
            key,
            name,
        )
    elif lowered in _REQUEST_ONLY_HEADERS:
        findings.problem(
            "request-header-exposed",
            f"expose_headers: {name!r} is a request header, not a response header; remove it",
            key,
            name,
        )
    elif lowered.startswith("access-control-"):
        # The browser reads these itself; an adapter writes them from the decision
        # and strips the application's, so listing one would expose nothing.
        findings.problem(
            "protocol-header",
            f"expose_headers: {name!r} is a CORS protocol header that corecors writes "
            "itself, never one for scripts to read; remove it",
            key,
            name,
        )
    else:
        if lowered in SAFELISTED_RESPONSE_HEADER_NAMES:
            message = f"expose_headers: {name!r} is always readable; listing it is unnecessary"
            findings.advisory("safelisted-header-exposed", message, key, name)
        return True
    return False


def check_max_age(max_age: object, findings: Findings) -> None:
    if max_age is not None and (
        isinstance(max_age, bool)
        or not isinstance(max_age, int)
        or not 0 <= max_age <= MAX_AGE_LIMIT
    ):
        findings.problem(
            "max-age-out-of-range",
            f"max_age must be a whole number of seconds from 0 to {MAX_AGE_LIMIT} (or None "
            f"to leave Access-Control-Max-Age out), not {max_age!r}; use 0 to disable "
            "preflight caching",
            "max_age",
            max_age,
        )
    elif isinstance(max_age, int) and max_age > _CHROMIUM_MAX_AGE:
        findings.advisory(
            "max-age-above-browser-caps",
            f"max_age={max_age}: Chromium caps preflight caching at {_CHROMIUM_MAX_AGE} s "
            "and Safari at 600 s",
            "max_age",
            max_age,
        )


def check_statuses(options: Mapping[str, Any], findings: Findings) -> None:
    status = options["preflight_status"]
    if status not in _PREFLIGHT_STATUSES:
        findings.problem(
            "invalid-preflight-status",
            f"preflight_status must be 204 or 200, not {status!r}: browsers fail "
            "a preflight whose status is not 2xx",
            "preflight_status",
            status,
        )
    rejected = options["rejected_preflight_status"]
    if rejected not in _REJECTED_PREFLIGHT_STATUSES:
        findings.problem(
            "invalid-rejected-preflight-status",
            f"rejected_preflight_status must be 403 or 400, not "
            f"{rejected!r}: a refused preflight must not look successful",
            "rejected_preflight_status",
            rejected,
        )


def _as_configured(configured: list[str], names: list[str]) -> list[str]:
    """``names`` (lowercase, validated) spelt as first configured, for the header lines."""
    spelling: dict[str, str] = {}
    for name in configured:
        spelling.setdefault(name.lower(), name)
    return [spelling.get(name, name) for name in names]
