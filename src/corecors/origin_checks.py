"""Validating ``allow_origins`` and ``allow_origin_regex``: the validators that need the
public-suffix list and the regex audit (:mod:`corecors.origin_regex`).

Both write to a :class:`~corecors.errors.Findings`, like every validator of
:mod:`corecors.validation`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final

from .errors import Findings
from .origin_regex import (
    MAX_AUTOMATON_STATES,
    RegexFinding,
    RegexTooComplexError,
    audit_origin_regex,
    escape_bare_dots,
    is_special_use,
)
from .origins import OriginPattern, OriginRegex, is_loopback_host, parse_origin_pattern

__all__ = ["check_origin_regex", "check_origins"]

# Regex findings that mean "matches a domain the author did not mean", most telling first.
_FOREIGN_KINDS: Final = ("unescaped-dot", "unpinned-end", "unpinned-start", "unpinned-label")
_ORIGINS: Final = "allow_origins"
_REGEX: Final = "allow_origin_regex"


# -- allow_origins ---------------------------------------------------------------------------


def check_origins(
    origins: list[str], options: Mapping[str, Any], findings: Findings
) -> tuple[bool, list[OriginPattern]]:
    """Whether ``*`` is listed, and the parsed patterns of the other entries."""
    credentials = options["allow_credentials"] is True
    any_origin = "*" in origins
    if any_origin and credentials:
        findings.problem(
            "any-origin-with-credentials",
            "allow_origins=['*'] with allow_credentials=True would let every site read "
            "your users' authenticated responses, and browsers refuse '*' with "
            "credentials anyway; list the origins that may send credentials",
            _ORIGINS,
            "*",
        )
    if any_origin and len(origins) > 1:
        findings.warning(
            "any-origin-with-others",
            "allow_origins contains '*' and other entries; '*' already allows every "
            "origin, so the others do nothing",
            _ORIGINS,
            "*",
        )
    patterns: list[OriginPattern] = []
    for text in origins:
        if text == "*":
            continue
        pattern = parse_origin_pattern(text)
        if isinstance(pattern, str):
            findings.problem("invalid-origin", pattern, _ORIGINS, text)
            continue
        patterns.append(pattern)
        _check_pattern(text, pattern, options, findings)
    subdomain_patterns = [pattern for pattern in patterns if pattern.subdomains]
    for pattern in _public_suffix_wildcards(subdomain_patterns):
        _public_suffix_finding(pattern, options, findings)
    return any_origin, patterns


def _check_pattern(
    text: str, pattern: OriginPattern, options: Mapping[str, Any], findings: Findings
) -> None:
    if options["allow_credentials"] is not True:
        return
    if (
        pattern.scheme in ("http", "ws")
        and not is_loopback_host(pattern.host)
        and options["dangerously_allow_insecure_origins"] is not True
    ):
        findings.problem(
            "insecure-origin-with-credentials",
            f"{text!r} is an insecure origin and allow_credentials=True: anyone on "
            "the network path can inject script into it and read your users' data; "
            f"use {'https' if pattern.scheme == 'http' else 'wss'}:// (loopback "
            "hosts are exempt), or set dangerously_allow_insecure_origins=True",
            _ORIGINS,
            text,
        )
    if pattern.subdomains:
        findings.advisory(
            "subdomain-wildcard-with-credentials",
            f"{text!r} with credentials trusts every subdomain: an XSS or a taken-over "
            "subdomain becomes a way to read your users' data; prefer exact origins",
            _ORIGINS,
            text,
        )


def _public_suffix_finding(
    pattern: OriginPattern, options: Mapping[str, Any], findings: Findings
) -> None:
    text = pattern.serialize()
    if (
        options["allow_credentials"] is True
        and options["dangerously_allow_public_suffix_wildcards"] is not True
    ):
        findings.problem(
            "public-suffix-wildcard-with-credentials",
            f"{text!r} matches subdomains of the public suffix {pattern.host!r}, which "
            "anyone can register, and allow_credentials=True; name your own domain "
            "(e.g. 'https://*.yourname." + pattern.host + "'), or set "
            "dangerously_allow_public_suffix_wildcards=True",
            _ORIGINS,
            text,
        )
    else:
        findings.warning(
            "public-suffix-wildcard",
            f"{text!r} matches subdomains of the public suffix {pattern.host!r}, which "
            "anyone can register",
            _ORIGINS,
            text,
        )


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


def _public_suffix_list(factory: Callable[[], Any]) -> Any:
    # Parsing the list takes ~50 ms; keep one for every policy built in this process.
    if not _PSL_CACHE:
        _PSL_CACHE.append(factory())
    return _PSL_CACHE[0]


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


# -- allow_origin_regex ----------------------------------------------------------------------


def check_origin_regex(
    source: object, options: Mapping[str, Any], findings: Findings
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
        message = f"allow_origin_regex must be a string, not {type(source).__name__}"
        findings.problem("not-a-string", message, _REGEX, source)
        return None
    audit = _audited(source, findings)
    if audit is None:
        return None
    matcher, found = audit
    credentials = options["allow_credentials"] is True
    _judge_foreign_matches(source, found, credentials, findings)
    insecure_allowed = options["dangerously_allow_insecure_origins"] is True
    _judge_insecure_matches(source, found, credentials and not insecure_allowed, findings)
    return matcher


def _audited(source: str, findings: Findings) -> tuple[OriginRegex, dict[str, RegexFinding]] | None:
    """The RE2 matcher of ``source`` and the audit's first finding of each kind; None (and
    a problem) when it does not compile, RE2 cannot run it, or it is too large to check."""
    shown = f"allow_origin_regex {source!r}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # re's "possible nested set"
            regex = re.compile(source)
    except (re.error, OverflowError, RecursionError, MemoryError) as error:
        findings.problem(
            "regex-does-not-compile", f"{shown} does not compile: {error}", _REGEX, source
        )
        return None
    matcher = _linear_time_regex(source, shown, findings)
    if matcher is None:
        return None
    try:
        audit = audit_origin_regex(regex, _suffix_rules())
    except (RegexTooComplexError, RecursionError, MemoryError):
        findings.problem(
            "regex-too-complex",
            f"{shown} is too large to check (its automaton would exceed "
            f"{MAX_AUTOMATON_STATES} states); simplify it, or use allow_origins patterns "
            "such as 'https://*.example.com'",
            _REGEX,
            source,
        )
        return None
    found: dict[str, RegexFinding] = {}
    for finding in audit:
        found.setdefault(finding.kind, finding)
    return matcher, found


def _judge_foreign_matches(
    source: str, found: Mapping[str, RegexFinding], credentials: bool, findings: Findings
) -> None:
    """Refuse (with credentials) or warn about matches on domains the regex was not
    written for."""
    shown = f"allow_origin_regex {source!r}"
    any_origin = found.get("any-origin")
    if any_origin is not None:
        if credentials:
            findings.problem(
                "regex-any-origin-with-credentials",
                f"{shown} matches unrelated origins such as {any_origin.example!r} and "
                "allow_credentials=True: that reflects any origin; anchor it to your own "
                "domain, with literal dots escaped "
                r"(e.g. r'https://[a-z0-9-]+\.example\.com')",
                _REGEX,
                source,
            )
        else:
            findings.warning(
                "regex-any-origin",
                f"{shown} matches unrelated origins such as {any_origin.example!r}: if "
                "every origin may read these responses, write allow_origins=['*'] (one "
                "answer for all, which caches can share); otherwise anchor it to your own "
                r"domain, with literal dots escaped (e.g. r'https://[a-z0-9-]+\.example\.com')",
                _REGEX,
                source,
            )
    else:
        for kind in _FOREIGN_KINDS:
            foreign = found.get(kind)
            if foreign is None:
                continue
            cause, fix = _regex_cause_and_fix(source, foreign)
            clause = ", and allow_credentials=True" if credentials else ""
            message = (
                f"{shown} also matches {foreign.example!r}, on a domain it was not written "
                f"for (anyone who registers that domain gets in){clause}: {cause}; {fix}"
            )
            if credentials:
                findings.problem(f"regex-{kind}-with-credentials", message, _REGEX, source)
            else:
                findings.warning(f"regex-{kind}", message, _REGEX, source)
    same_site = found.get("unescaped-dot-same-site")
    if same_site is not None and "unescaped-dot" not in found:
        findings.warning(
            "regex-unescaped-dot-same-site",
            f"{shown} has an unescaped '.', which matches any character (it also matches "
            f"{same_site.example!r}); {_escape_fix(source)}",
            _REGEX,
            source,
        )


def _judge_insecure_matches(
    source: str, found: Mapping[str, RegexFinding], refuse: bool, findings: Findings
) -> None:
    shown = f"allow_origin_regex {source!r}"
    insecure = found.get("insecure")
    if insecure is None or insecure.example is None:
        return
    secure = "wss" if insecure.example.startswith("ws:") else "https"
    if refuse:
        findings.problem(
            "regex-insecure-origin-with-credentials",
            f"{shown} also matches {insecure.example!r}, an insecure origin, and "
            "allow_credentials=True: anyone on the network path can inject script into "
            f"it and read your users' data; match only {secure}:// (write '{secure}://', "
            f"not '{secure}?://'; loopback hosts are exempt), or set "
            "dangerously_allow_insecure_origins=True",
            _REGEX,
            source,
        )
    else:
        findings.advisory(
            "regex-insecure-origin",
            f"{shown} also matches insecure origins such as {insecure.example!r}",
            _REGEX,
            source,
        )


# "{,n}" that is not escaped: Python reads it as "{0,n}", RE2 as literal text.
_OPEN_LOWER_BOUND: Final = re.compile(r"(?<!\\)(?:\\\\)*\{,[0-9]")


def _linear_time_regex(source: str, shown: str, findings: Findings) -> OriginRegex | None:
    """``source`` compiled with RE2, whose matching time is linear in the origin's length
    whatever the regex, so no crafted Origin can make it backtrack. ``None`` (and a
    problem) when RE2 cannot run it or would read it differently from Python."""
    import re2  # configuration time only, and only when a regex is configured

    if _OPEN_LOWER_BOUND.search(source):
        findings.problem(
            "regex-open-lower-bound",
            f"{shown} has a repetition with no lower bound ('{{,n}}'), which Python reads "
            "as '{0,n}' and RE2 as literal text; write '{0,n}'",
            _REGEX,
            source,
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
        findings.problem(
            "regex-unsupported",
            f"{shown} uses what the linear-time matcher (RE2) cannot run ({reason}): "
            r"lookarounds, backreferences, possessive or atomic groups, '\Z', or more "
            "than 1000 repetitions in all. The regex is always matched against the whole "
            "origin, so anchors are not needed: write it with groups, classes and "
            r"repetition only, e.g. r'https://([a-z0-9-]+\.)*example\.com'",
            _REGEX,
            source,
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
