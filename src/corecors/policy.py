"""The public configuration: ``CORSPolicy``, its validation, and compilation.

Every problem in a configuration is collected and raised together as one
:class:`~corecors.CORSConfigError`, each with what to write instead. Legal but
doubtful choices become :class:`~corecors.CORSConfigWarning` and are kept in
:attr:`CORSPolicy.warnings` for ``corecors lint``.
"""

from __future__ import annotations

import inspect
import re
import tomllib
import typing
import warnings
from collections.abc import Callable, Iterable, Mapping
from os import PathLike
from typing import Any, Final

from .decision import CompiledPolicy
from .errors import CORSConfigError, CORSConfigWarning
from .origin_regex import (
    MAX_AUTOMATON_STATES,
    RegexFinding,
    RegexTooComplexError,
    audit_origin_regex,
    escape_bare_dots,
    is_special_use,
)
from .origins import (
    OriginMatcher,
    OriginPattern,
    OriginRegex,
    is_loopback_host,
    parse_origin_pattern,
)
from .tokens import (
    FORBIDDEN_METHODS,
    SAFELISTED_METHODS,
    SAFELISTED_RESPONSE_HEADER_NAMES,
    is_forbidden_request_header_name,
    is_token,
    normalize_method,
)

__all__ = ["MAX_AGE_LIMIT", "MAX_INPUT_LIMIT", "POLICY_KEYS", "CORSPolicy", "read_toml"]

#: The largest Access-Control-Max-Age accepted (Firefox's cap; Chromium caps at 7200).
MAX_AGE_LIMIT: Final = 86400
_CHROMIUM_MAX_AGE: Final = 7200
#: The largest input-size limit a policy accepts. Adapters may cut any CORS request field
#: to ``MAX_INPUT_LIMIT + 1`` characters before decoding it: still too long for every
#: policy, so the answer is the same, and hostile megabyte-sized fields cost no more.
MAX_INPUT_LIMIT: Final = 65536
_PREFLIGHT_STATUSES: Final = (200, 204)
_REJECTED_PREFLIGHT_STATUSES: Final = (403, 400)

# Regex findings that mean "matches a domain the author did not mean", most telling first.
_FOREIGN_KINDS: Final = ("unescaped-dot", "unpinned-end", "unpinned-start", "unpinned-label")

OriginPredicate = Callable[[str], bool]


def _strings(value: object, key: str, problems: list[str]) -> list[str]:
    """A configured list of strings, or a problem when it is something else."""
    if isinstance(value, str):
        problems.append(
            f"{key} must be a list of strings, not the string {value!r}: write [{value!r}]"
        )
        return []
    if not isinstance(value, Iterable):
        problems.append(f"{key} must be a list of strings, not {type(value).__name__}")
        return []
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            problems.append(f"{key} must contain only strings; {item!r} is not one")
    return [item for item in items if isinstance(item, str)]


class CORSPolicy(CompiledPolicy):
    """A validated, immutable CORS policy. Build it once; call :meth:`decide` per request.

    Origins (``allow_origins``): exact origins (``"https://app.example.com"``), ``"*"``
    (any origin, not with credentials), subdomain patterns (``"https://*.example.com"``:
    one or more labels, never the apex), port patterns (``"http://localhost:*"``), or
    both (``"https://*.example.com:*"``). ``allow_origin_regex`` is matched against the
    whole origin; ``allow_origin_predicate`` is a function called with the origin.
    ``null`` is trusted only with ``allow_null_origin=True``.

    Methods are case-sensitive, like the browser's: the six names browsers normalize
    (DELETE, GET, HEAD, OPTIONS, POST, PUT) are uppercased here too, any other keeps
    its case. GET, HEAD and POST never need listing. ``["*"]`` allows any method.

    Header names compare case-insensitively. ``allow_headers=["*"]`` allows every
    request header except ``authorization``, which the Fetch standard never lets a
    wildcard cover: list it explicitly next to ``"*"`` if pages send it.

    ``max_age`` (seconds, 0 to 86400) lets browsers cache a preflight's answer;
    ``None`` leaves the header out and browsers use 5 seconds.

    Header names in the answer's ``Access-Control-Allow-Headers`` and
    ``Access-Control-Expose-Headers`` are spelt as configured (the first spelling of a
    name listed twice); the ``allow_headers`` and ``expose_headers`` attributes hold them
    lowercased, as they are compared.

    ``preflight_status`` (204 or 200) answers an allowed preflight,
    ``rejected_preflight_status`` (403 or 400, as Starlette) a refused one.

    ``debug=True`` is for development: rejected requests carry a ``CORS-Rejection-Reason``
    header, and a preflight from an allowed origin refused for its method, headers or
    private-network request gets the allow lists minus the refused item, so the browser's
    console names the real cause.
    """

    __slots__ = (
        "_frozen",
        "allow_credentials",
        "allow_headers",
        "allow_methods",
        "allow_null_origin",
        "allow_origin_predicate",
        "allow_origin_regex",
        "allow_origins",
        "allow_private_network",
        "dangerously_allow_insecure_origins",
        "dangerously_allow_public_suffix_wildcards",
        "debug",
        "expose_headers",
        "max_age",
        "max_origin_length",
        "max_request_headers_count",
        "max_request_headers_length",
        "preflight_status",
        "rejected_preflight_status",
        "warnings",
    )

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
    """Legal but doubtful choices: likely mistakes (also issued as :class:`CORSConfigWarning`)
    first, then risky but deliberate choices (recorded only, for ``corecors lint``)."""

    def __init__(
        self,
        *,
        allow_origins: Iterable[str] = (),
        allow_origin_regex: str | None = None,
        allow_origin_predicate: OriginPredicate | None = None,
        allow_null_origin: bool = False,
        allow_methods: Iterable[str] = ("GET", "HEAD", "POST"),
        allow_headers: Iterable[str] = (),
        expose_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        max_age: int | None = None,
        allow_private_network: bool = False,
        preflight_status: int = 204,
        rejected_preflight_status: int = 403,
        debug: bool = False,
        dangerously_allow_insecure_origins: bool = False,
        dangerously_allow_public_suffix_wildcards: bool = False,
        max_origin_length: int = 512,
        max_request_headers_length: int = 4096,
        max_request_headers_count: int = 64,
    ) -> None:
        problems: list[str] = []
        found_warnings: list[str] = []  # probably a mistake: issued as CORSConfigWarning too
        advisories: list[str] = []  # risky but deliberate: recorded for `corecors lint` only

        flags = {
            "allow_null_origin": allow_null_origin,
            "allow_credentials": allow_credentials,
            "allow_private_network": allow_private_network,
            "debug": debug,
            "dangerously_allow_insecure_origins": dangerously_allow_insecure_origins,
            "dangerously_allow_public_suffix_wildcards": dangerously_allow_public_suffix_wildcards,
        }
        for key, flag in flags.items():
            if not isinstance(flag, bool):
                problems.append(f"{key} must be true or false, not {flag!r}")

        origins = _strings(allow_origins, "allow_origins", problems)
        methods = _strings(allow_methods, "allow_methods", problems)
        request_headers = _strings(allow_headers, "allow_headers", problems)
        exposed = _strings(expose_headers, "expose_headers", problems)

        limits = {
            "max_origin_length": max_origin_length,
            "max_request_headers_length": max_request_headers_length,
            "max_request_headers_count": max_request_headers_count,
        }
        for key, limit in limits.items():
            if (
                isinstance(limit, bool)
                or not isinstance(limit, int)
                or not 1 <= limit <= MAX_INPUT_LIMIT
            ):
                problems.append(
                    f"{key} must be a whole number from 1 to {MAX_INPUT_LIMIT}, not {limit!r}"
                )

        any_origin, patterns = self._check_origins(
            origins, allow_credentials is True, flags, problems, found_warnings, advisories
        )
        regex = self._check_regex(
            allow_origin_regex,
            allow_credentials is True,
            dangerously_allow_insecure_origins is True,
            problems,
            found_warnings,
            advisories,
        )
        if allow_origin_predicate is not None:
            predicate_problem = _predicate_problem(allow_origin_predicate)
            if predicate_problem is not None:
                problems.append(predicate_problem)
        if any_origin and allow_private_network is True:
            problems.append(
                "allow_origins=['*'] with allow_private_network=True would let every site on "
                "the Internet reach this private-network server through your users' browsers, "
                "which is what Private Network Access exists to stop; list the public origins "
                "that may reach it, e.g. allow_origins=['https://app.example.com']"
            )
        if any_origin and (regex is not None or allow_origin_predicate is not None):
            found_warnings.append(
                "allow_origins contains '*', so allow_origin_regex and allow_origin_predicate "
                "are never consulted; remove them or remove '*'"
            )
        if allow_null_origin is True and allow_credentials is True:
            problems.append(
                "allow_null_origin=True with allow_credentials=True would let any site read "
                "your users' authenticated responses: every page can send 'Origin: null' from "
                "a sandboxed iframe or a data: URL; remove allow_null_origin (give the page a "
                "real origin and list it in allow_origins), or remove allow_credentials"
            )
        elif allow_null_origin is True:
            advisories.append(
                "allow_null_origin=True trusts every sandboxed iframe, data: URL and redirected "
                "request: any site can create one of those"
            )
        if not (origins or regex or allow_origin_predicate or allow_null_origin):
            found_warnings.append(
                "no origin is allowed (allow_origins is empty): every cross-origin request "
                "will be refused"
            )

        normalized_methods, any_method = self._check_methods(methods, problems, found_warnings)
        header_names, any_header = self._check_request_headers(request_headers, problems)
        exposed_names = self._check_expose_headers(
            exposed, allow_credentials is True, problems, advisories
        )
        if any_header and "authorization" not in header_names:
            advisories.append(
                "allow_headers: '*' alone covers every request header except 'authorization' "
                "(the Fetch standard never lets '*' cover it), so a page that sends "
                "Authorization is refused; add 'authorization' to the list if pages send it"
            )
        header_line = _as_configured(request_headers, header_names)
        exposed_line = _as_configured(exposed, exposed_names)

        if max_age is not None and (
            isinstance(max_age, bool)
            or not isinstance(max_age, int)
            or not 0 <= max_age <= MAX_AGE_LIMIT
        ):
            problems.append(
                f"max_age must be a whole number of seconds from 0 to {MAX_AGE_LIMIT} (or None "
                f"to leave Access-Control-Max-Age out), not {max_age!r}; use 0 to disable "
                "preflight caching"
            )
        elif isinstance(max_age, int) and max_age > _CHROMIUM_MAX_AGE:
            advisories.append(
                f"max_age={max_age}: Chromium caps preflight caching at {_CHROMIUM_MAX_AGE} s "
                "and Safari at 600 s"
            )
        if preflight_status not in _PREFLIGHT_STATUSES:
            problems.append(
                f"preflight_status must be 204 or 200, not {preflight_status!r}: browsers fail "
                "a preflight whose status is not 2xx"
            )
        if rejected_preflight_status not in _REJECTED_PREFLIGHT_STATUSES:
            problems.append(
                f"rejected_preflight_status must be 403 or 400, not "
                f"{rejected_preflight_status!r}: a refused preflight must not look successful"
            )

        if problems:
            raise CORSConfigError(problems, found_warnings + advisories)

        for message in found_warnings:
            warnings.warn(message, CORSConfigWarning, stacklevel=2)

        set_ = object.__setattr__
        set_(self, "allow_origins", tuple(origins))
        set_(self, "allow_origin_regex", allow_origin_regex)
        set_(self, "allow_origin_predicate", allow_origin_predicate)
        set_(self, "allow_null_origin", allow_null_origin)
        set_(self, "allow_methods", ("*",) if any_method else tuple(normalized_methods))
        set_(self, "allow_headers", tuple(header_names) + (("*",) if any_header else ()))
        set_(self, "expose_headers", tuple(exposed_names))
        set_(self, "allow_credentials", allow_credentials)
        set_(self, "max_age", max_age)
        set_(self, "allow_private_network", allow_private_network)
        set_(self, "preflight_status", preflight_status)
        set_(self, "rejected_preflight_status", rejected_preflight_status)
        set_(self, "debug", debug)
        set_(self, "dangerously_allow_insecure_origins", dangerously_allow_insecure_origins)
        set_(
            self,
            "dangerously_allow_public_suffix_wildcards",
            dangerously_allow_public_suffix_wildcards,
        )
        set_(self, "max_origin_length", max_origin_length)
        set_(self, "max_request_headers_length", max_request_headers_length)
        set_(self, "max_request_headers_count", max_request_headers_count)
        set_(self, "warnings", tuple(found_warnings + advisories))

        self._compile(
            matcher=OriginMatcher(
                patterns,
                regex=regex,
                predicate=allow_origin_predicate,
                allow_null=allow_null_origin,
                max_length=max_origin_length,
            ),
            any_origin=any_origin,
            credentials=allow_credentials,
            allowed_methods=frozenset()
            if any_method
            else frozenset(normalized_methods) | SAFELISTED_METHODS,
            any_method=any_method,
            allowed_headers=frozenset(header_names),
            any_header=any_header,
            allow_methods_value=", ".join(normalized_methods),
            allow_headers_value=", ".join(header_line),
            expose_headers_value=", ".join(exposed_line) or None,
            max_age=max_age,
            private_network=allow_private_network,
            preflight_status=preflight_status,
            rejected_preflight_status=rejected_preflight_status,
            debug=debug,
            max_origin_length=max_origin_length,
            max_headers_length=max_request_headers_length,
            max_headers_count=max_request_headers_count,
        )
        set_(self, "_frozen", True)

    def __setattr__(self, name: str, value: object) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"CORSPolicy is immutable; build a new one to change {name!r}")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (
            f"CORSPolicy(allow_origins={self.allow_origins!r}, "
            f"allow_methods={self.allow_methods!r}, allow_headers={self.allow_headers!r}, "
            f"allow_credentials={self.allow_credentials!r})"
        )

    # -- loading --------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> CORSPolicy:
        """Build a policy from a mapping whose keys are the constructor's keyword names.

        Unknown keys are errors (with the closest known name suggested), so a typo
        never silently weakens or loosens a policy.
        """
        known = set(POLICY_KEYS)
        unknown = [key for key in config if key not in known]
        if unknown:
            raise CORSConfigError(_unknown_key_problems(unknown, known))
        return cls(**dict(config))

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> CORSPolicy:
        """Build a policy from a TOML file whose top-level keys are the keyword names.

        A :class:`CORSConfigError` words its advice in TOML (``allow_credentials = false``).
        """
        config = read_toml(path)
        try:
            return cls.from_mapping(config)
        except CORSConfigError as error:
            raise error.in_toml_terms() from None

    # -- validation helpers (construction only) ----------------------------------------

    @staticmethod
    def _check_origins(
        origins: list[str],
        credentials: bool,
        flags: Mapping[str, object],
        problems: list[str],
        found_warnings: list[str],
        advisories: list[str],
    ) -> tuple[bool, list[OriginPattern]]:
        any_origin = "*" in origins
        if any_origin and credentials:
            problems.append(
                "allow_origins=['*'] with allow_credentials=True would let every site read "
                "your users' authenticated responses, and browsers refuse '*' with "
                "credentials anyway; list the origins that may send credentials"
            )
        if any_origin and len(origins) > 1:
            found_warnings.append(
                "allow_origins contains '*' and other entries; '*' already allows every "
                "origin, so the others do nothing"
            )
        patterns: list[OriginPattern] = []
        public_suffix_check: list[OriginPattern] = []
        for text in origins:
            if text == "*":
                continue
            pattern = parse_origin_pattern(text)
            if isinstance(pattern, str):
                problems.append(pattern)
                continue
            patterns.append(pattern)
            if pattern.subdomains:
                public_suffix_check.append(pattern)
            if (
                credentials
                and pattern.scheme in ("http", "ws")
                and not is_loopback_host(pattern.host)
                and flags["dangerously_allow_insecure_origins"] is not True
            ):
                problems.append(
                    f"{text!r} is an insecure origin and allow_credentials=True: anyone on "
                    "the network path can inject script into it and read your users' data; "
                    f"use {'https' if pattern.scheme == 'http' else 'wss'}:// (loopback "
                    "hosts are exempt), or set dangerously_allow_insecure_origins=True"
                )
            if pattern.subdomains and credentials:
                advisories.append(
                    f"{text!r} with credentials trusts every subdomain: an XSS or a taken-over "
                    "subdomain becomes a way to read your users' data; prefer exact origins"
                )
        for pattern in _public_suffix_wildcards(public_suffix_check):
            text = pattern.serialize()
            if credentials and flags["dangerously_allow_public_suffix_wildcards"] is not True:
                problems.append(
                    f"{text!r} matches subdomains of the public suffix {pattern.host!r}, which "
                    "anyone can register, and allow_credentials=True; name your own domain "
                    "(e.g. 'https://*.yourname." + pattern.host + "'), or set "
                    "dangerously_allow_public_suffix_wildcards=True"
                )
            else:
                found_warnings.append(
                    f"{text!r} matches subdomains of the public suffix {pattern.host!r}, which "
                    "anyone can register"
                )
        return any_origin, patterns

    @staticmethod
    def _check_regex(
        source: str | None,
        credentials: bool,
        insecure_allowed: bool,
        problems: list[str],
        found_warnings: list[str],
        advisories: list[str],
    ) -> OriginRegex | None:
        """Compile ``allow_origin_regex`` with RE2 (linear-time matching, whatever the
        regex) and audit it on its automaton (:mod:`corecors.origin_regex`).

        A regex RE2 cannot run, or that RE2 and Python read differently, is refused. A
        regex that also matches origins on registrable domains it was not written for
        (unrelated origins, an unescaped ``.``, an unpinned start or end, a wildcard label)
        is refused with credentials and warned about without. ``http://`` matches are
        refused with credentials (unless ``dangerously_allow_insecure_origins``) and
        recorded without. An unescaped ``.`` that stays on the same site is a warning.
        """
        if source is None:
            return None
        if not isinstance(source, str):
            problems.append(f"allow_origin_regex must be a string, not {type(source).__name__}")
            return None
        shown = f"allow_origin_regex {source!r}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # re's "possible nested set"
                regex = re.compile(source)
        except (re.error, OverflowError, RecursionError, MemoryError) as error:
            problems.append(f"{shown} does not compile: {error}")
            return None
        matcher = _linear_time_regex(source, shown, problems)
        if matcher is None:
            return None
        findings: dict[str, RegexFinding] = {}
        try:
            audit = audit_origin_regex(regex, _suffix_rules())
        except (RegexTooComplexError, RecursionError, MemoryError):
            problems.append(
                f"{shown} is too large to check (its automaton would exceed "
                f"{MAX_AUTOMATON_STATES} states); simplify it, or use allow_origins patterns "
                "such as 'https://*.example.com'"
            )
            return None
        for finding in audit:
            findings.setdefault(finding.kind, finding)

        any_origin = findings.get("any-origin")
        if any_origin is not None:
            if credentials:
                problems.append(
                    f"{shown} matches unrelated origins such as {any_origin.example!r} and "
                    "allow_credentials=True: that reflects any origin; anchor it to your own "
                    "domain, with literal dots escaped "
                    r"(e.g. r'https://[a-z0-9-]+\.example\.com')"
                )
            else:
                found_warnings.append(
                    f"{shown} matches unrelated origins such as {any_origin.example!r}: if "
                    "every origin may read these responses, write allow_origins=['*'] (one "
                    "answer for all, which caches can share); otherwise anchor it to your own "
                    r"domain, with literal dots escaped (e.g. r'https://[a-z0-9-]+\.example\.com')"
                )
        else:
            for kind in _FOREIGN_KINDS:
                foreign = findings.get(kind)
                if foreign is None:
                    continue
                cause, fix = _regex_cause_and_fix(source, foreign)
                clause = ", and allow_credentials=True" if credentials else ""
                (problems if credentials else found_warnings).append(
                    f"{shown} also matches {foreign.example!r}, on a domain it was not written "
                    f"for (anyone who registers that domain gets in){clause}: {cause}; {fix}"
                )

        same_site = findings.get("unescaped-dot-same-site")
        if same_site is not None and "unescaped-dot" not in findings:
            found_warnings.append(
                f"{shown} has an unescaped '.', which matches any character (it also matches "
                f"{same_site.example!r}); {_escape_fix(source)}"
            )

        insecure = findings.get("insecure")
        if insecure is not None and insecure.example is not None:
            secure = "wss" if insecure.example.startswith("ws:") else "https"
            if credentials and not insecure_allowed:
                problems.append(
                    f"{shown} also matches {insecure.example!r}, an insecure origin, and "
                    "allow_credentials=True: anyone on the network path can inject script into "
                    f"it and read your users' data; match only {secure}:// (write '{secure}://', "
                    f"not '{secure}?://'; loopback hosts are exempt), or set "
                    "dangerously_allow_insecure_origins=True"
                )
            else:
                advisories.append(
                    f"{shown} also matches insecure origins such as {insecure.example!r}"
                )
        return matcher

    @staticmethod
    def _check_methods(
        methods: list[str], problems: list[str], found_warnings: list[str]
    ) -> tuple[list[str], bool]:
        any_method = "*" in methods
        normalized: list[str] = []
        for method in methods:
            if method == "*":
                continue
            if not is_token(method):
                problems.append(f"allow_methods: {method!r} is not a valid method name")
                continue
            if method.upper() in FORBIDDEN_METHODS:
                problems.append(
                    f"allow_methods: {method!r} is forbidden by the Fetch standard (browsers "
                    "never send CONNECT, TRACE or TRACK); remove it"
                )
                continue
            method = normalize_method(method)
            if method != method.upper():
                found_warnings.append(
                    f"allow_methods: {method!r} is not uppercase; browsers send it exactly as "
                    f"the page wrote it, so it matches fetch(url, {{method: {method!r}}}) only. "
                    f"Did you mean {method.upper()!r}?"
                )
            if method not in normalized:
                normalized.append(method)
        return normalized, any_method

    @staticmethod
    def _check_request_headers(names: list[str], problems: list[str]) -> tuple[list[str], bool]:
        any_header = "*" in names
        normalized: list[str] = []
        for name in names:
            if name == "*":
                continue
            lowered = name.lower()
            if not is_token(name):
                problems.append(f"allow_headers: {name!r} is not a valid header name")
            elif is_forbidden_request_header_name(lowered):
                problems.append(
                    f"allow_headers: {name!r} is a forbidden request header that scripts can "
                    "never set (the browser manages it); remove it"
                )
            elif lowered.startswith("access-control-"):
                problems.append(
                    f"allow_headers: {name!r} is a CORS protocol header, never a request "
                    "header a page sends; remove it"
                )
            elif lowered not in normalized:
                normalized.append(lowered)
        return normalized, any_header

    @staticmethod
    def _check_expose_headers(
        names: list[str], credentials: bool, problems: list[str], advisories: list[str]
    ) -> list[str]:
        normalized: list[str] = []
        for name in names:
            lowered = name.lower()
            if name == "*":
                if credentials:
                    problems.append(
                        "expose_headers=['*'] with allow_credentials=True: browsers read '*' "
                        "literally on credentialed responses, so nothing would be exposed; "
                        "list the header names"
                    )
                    continue
            elif not is_token(name):
                problems.append(f"expose_headers: {name!r} is not a valid header name")
                continue
            elif lowered in ("set-cookie", "set-cookie2"):
                problems.append(
                    f"expose_headers: {name!r} can never be exposed to scripts (browsers filter "
                    "it out); remove it"
                )
                continue
            elif lowered in (
                "origin",
                "access-control-request-method",
                "access-control-request-headers",
            ):
                problems.append(
                    f"expose_headers: {name!r} is a request header, not a response header; "
                    "remove it"
                )
                continue
            elif lowered.startswith("access-control-"):
                # The browser reads these itself; an adapter writes them from the decision
                # and strips the application's, so listing one would expose nothing.
                problems.append(
                    f"expose_headers: {name!r} is a CORS protocol header that corecors writes "
                    "itself, never one for scripts to read; remove it"
                )
                continue
            elif lowered in SAFELISTED_RESPONSE_HEADER_NAMES:
                advisories.append(
                    f"expose_headers: {name!r} is always readable; listing it is unnecessary"
                )
            if lowered not in normalized:
                normalized.append(lowered)
        return normalized


#: The configuration keys a policy accepts: the constructor's keyword names.
POLICY_KEYS: Final = (
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
)


def _predicate_problem(predicate: object) -> str | None:
    """Why ``predicate`` cannot serve as ``allow_origin_predicate`` (``None``: it can).

    Decisions are synchronous, so a coroutine function would return an un-awaited
    coroutine for every origin: refused here rather than refusing every request later.
    A declared return type other than ``bool`` is refused for the same reason: only
    ``True`` allows (a match object or a non-empty string does not)."""
    if not callable(predicate):
        return "allow_origin_predicate must be a function taking the origin string"
    # An object whose __call__ is ``async def`` is a coroutine function too.
    call = getattr(type(predicate), "__call__", None)  # noqa: B004 (its __call__, not callable())
    if inspect.iscoroutinefunction(predicate) or inspect.iscoroutinefunction(call):
        return (
            "allow_origin_predicate is an async function, but decisions are made without "
            "awaiting (it would refuse every origin); pass a plain function (def, not async "
            "def) that answers from data loaded beforehand, e.g. "
            "allow_origin_predicate=lambda origin: origin in allowed_origins"
        )
    try:
        returns = inspect.signature(predicate, eval_str=True).return_annotation
    except Exception:  # no signature, or an annotation that does not evaluate here
        return None
    if returns in (inspect.Signature.empty, bool, Any, object) or (
        typing.get_origin(returns) is typing.Literal
        and all(value is True or value is False for value in typing.get_args(returns))
    ):
        return None
    shown = returns.__name__ if isinstance(returns, type) else str(returns)
    return (
        f"allow_origin_predicate is declared to return {shown}, but only True allows an "
        "origin (a match object or any other value refuses it); return a bool, e.g. "
        "lambda origin: pattern.fullmatch(origin) is not None"
    )


def _as_configured(configured: list[str], names: list[str]) -> list[str]:
    """``names`` (lowercase, validated) spelt as first configured, for the header lines."""
    spelling: dict[str, str] = {}
    for name in configured:
        spelling.setdefault(name.lower(), name)
    return [spelling.get(name, name) for name in names]


def _unknown_key_problems(unknown: Iterable[str], known: Iterable[str]) -> list[str]:
    import difflib

    choices = sorted(known)
    problems = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(choices)}"
        problems.append(f"unknown configuration key {key!r}{hint}")
    return problems


def read_toml(path: str | PathLike[str]) -> dict[str, Any]:
    """Read a TOML policy file, turning syntax errors into :class:`CORSConfigError`."""
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise CORSConfigError([f"{path}: invalid TOML: {error}"]) from error
    except OSError as error:
        raise CORSConfigError([f"{path}: cannot read the policy file: {error}"]) from error


def _public_suffix_wildcards(patterns: list[OriginPattern]) -> list[OriginPattern]:
    """The subdomain patterns whose base domain is a public suffix (anyone can register
    under it). Special-use names (``.test``, ``.internal`` ...) nobody can register."""
    if not patterns:
        return []
    from publicsuffixlist import PublicSuffixList  # configuration time only

    suffixes = _public_suffix_list(PublicSuffixList)
    return [
        pattern
        for pattern in patterns
        if not is_loopback_host(pattern.host)
        and not is_special_use(pattern.host)
        and suffixes.is_public(pattern.host)
    ]


_PSL_CACHE: list[Any] = []


class _SuffixRules:
    """The public-suffix list as the regex audit asks about it."""

    def __init__(self, suffixes: Any) -> None:
        self._suffixes = suffixes
        below: dict[str, set[str]] = {}
        # The parsed rules ("*.ck", "!www.ck", "s3.amazonaws.com"): the library has no
        # public accessor for them. Without them deeper rules go unseen (is_public does
        # not), and the walk stops at the first registrable domain.
        for rule in getattr(suffixes, "_publicsuffix", ()):
            labels = str(rule).lstrip("!").split(".")
            for index in range(1, len(labels)):
                below.setdefault(".".join(labels[index:]), set()).add(labels[index - 1])
        self._below = {parent: frozenset(labels) for parent, labels in below.items()}

    def is_public(self, domain: str) -> bool:
        return bool(self._suffixes.is_public(domain))

    def child_labels(self, domain: str) -> frozenset[str]:
        return self._below.get(domain, frozenset())


_RULES_CACHE: list[_SuffixRules] = []


def _suffix_rules() -> _SuffixRules:
    from publicsuffixlist import PublicSuffixList  # configuration time only

    if not _RULES_CACHE:
        _RULES_CACHE.append(_SuffixRules(_public_suffix_list(PublicSuffixList)))
    return _RULES_CACHE[0]


# "{,n}" that is not escaped: Python reads it as "{0,n}", RE2 as literal text.
_OPEN_LOWER_BOUND: Final = re.compile(r"(?<!\\)(?:\\\\)*\{,[0-9]")


def _linear_time_regex(source: str, shown: str, problems: list[str]) -> OriginRegex | None:
    """``source`` compiled with RE2, whose matching time is linear in the origin's length
    whatever the regex, so no crafted Origin can make it backtrack. ``None`` (and a
    problem) when RE2 cannot run it or would read it differently from Python."""
    import re2  # configuration time only, and only when a regex is configured

    if _OPEN_LOWER_BOUND.search(source):
        problems.append(
            f"{shown} has a repetition with no lower bound ('{{,n}}'), which Python reads "
            "as '{0,n}' and RE2 as literal text; write '{0,n}'"
        )
        return None
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True  # only "does it match" is asked: RE2 keeps to its DFA
    try:
        compiled: OriginRegex = re2.compile(source, options)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        problems.append(
            f"{shown} uses what the linear-time matcher (RE2) cannot run ({reason}): "
            r"lookarounds, backreferences, possessive or atomic groups, '\Z', or more "
            "than 1000 repetitions in all. The regex is always matched against the whole "
            "origin, so anchors are not needed: write it with groups, classes and "
            r"repetition only, e.g. r'https://([a-z0-9-]+\.)*example\.com'"
        )
        return None
    return compiled


def _escape_fix(source: str) -> str:
    """How to escape the literal dots of ``source``: the escaped regex when that is enough."""
    escaped = escape_bare_dots(source)
    try:
        clean = not any(
            finding.kind.startswith("unescaped-dot")
            for finding in audit_origin_regex(re.compile(escaped), _suffix_rules())
        )
    except (re.error, RegexTooComplexError):
        clean = False
    if clean and escaped != source:
        return f"escape literal dots: {_raw(escaped)}"
    return r"escape every literal '.' as '\.'"


def _raw(pattern: str) -> str:
    """``pattern`` as a raw string literal, for messages."""
    if "'" in pattern or pattern.endswith("\\"):
        return repr(pattern)
    return f"r'{pattern}'"


def _regex_cause_and_fix(source: str, finding: RegexFinding) -> tuple[str, str]:
    """Why a regex matches a foreign domain, and what to write instead."""
    site = finding.site or ""
    if "." in site and not site.replace(".", "").isdigit() and not site.startswith("["):
        example_site, escaped = site, re.escape(site)
    else:
        example_site, escaped = "example.com", r"example\.com"
    structured = f"allow_origins=['https://*.{example_site}']"
    if finding.kind == "unescaped-dot":
        return "it has an unescaped '.', which matches any character", _escape_fix(source)
    if finding.kind == "unpinned-end":
        anchored = _raw(r"https://[a-z0-9-]+\." + escaped)
        return (
            "nothing stops the match after your domain (a trailing '.*' or similar)",
            f"end the regex with your domain, e.g. {anchored}, or use {structured}",
        )
    if finding.kind == "unpinned-start":
        bounded = _raw(r"https://([a-z0-9-]+\.)?" + escaped)
        return (
            r"your domain is not preceded by '\.' or '//', so any domain that ends with the "
            "same letters matches",
            rf"put '\.' before it, e.g. {bounded}, or use {structured}",
        )
    if finding.detail:
        own = _raw(r"https://([a-z0-9-]+\.)?yourname\." + re.escape(finding.detail))
        return (
            f"it takes any name under {finding.detail!r}, where anyone can register one",
            f"name your own domain under it, e.g. {own}",
        )
    return (
        "its top-level domain is a wildcard, and anyone can register the same name under "
        "another one",
        r"spell out your domain, e.g. r'https://[a-z0-9-]+\.example\.com', or use "
        "allow_origins=['https://*.example.com']",
    )


def _public_suffix_list(factory: Callable[[], Any]) -> Any:
    # Parsing the list takes ~50 ms; keep one for every policy built in this process.
    if not _PSL_CACHE:
        _PSL_CACHE.append(factory())
    return _PSL_CACHE[0]
