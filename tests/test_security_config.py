"""Dangerous configuration: origin regexes that match more than their authors meant.

``allow_origin_regex`` is audited at construction (``corecors.origin_regex``): witnesses the
regex was plainly written to match are derived from its parse tree, then mutated the ways
an attacker would (a bare ``.`` replaced, a label replaced, ``evil`` in front,
``.evil.example`` behind, ``http`` for ``https``). A regex that lets another registrable
domain in is refused with credentials and warned about without; nested ambiguous
repetition (catastrophic backtracking) is refused always. Every message says what to write.
The rest of the refusal catalogue is in ``test_config.py``; SECURITY.md lists both.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest

from corecors import CORSConfigError, CORSConfigWarning, CORSPolicy, RequestInfo
from corecors.origin_regex import audit_origin_regex, escape_bare_dots
from corecors.policy import _registrable_domain as _site

# (id, regex, fragment of the message with credentials (refused), fragment without (warned))
LOOSE_REGEXES: list[tuple[str, str, str]] = [
    (
        "unescaped-dots-exact-host",
        r"https://app.example.com",
        r"escape literal dots: r'https://app\.example\.com'",
    ),
    (
        "unescaped-dot-after-wildcard",
        r"https://.*.example.com",
        r"escape literal dots: r'https://.*\.example\.com'",
    ),
    (
        "unescaped-dot-before-tld",
        r"https://[a-z0-9-]+\.example.com",
        r"escape literal dots: r'https://[a-z0-9-]+\.example\.com'",
    ),
    (
        "unpinned-end-trailing-dot-star",
        r"https://[a-z]+\.example\.com.*",
        "nothing stops the match after your domain",
    ),
    (
        "unpinned-end-open-tld",
        r"https://app\.example\.com[a-z.]*",
        "nothing stops the match after your domain",
    ),
    (
        "unpinned-start-dot-star-prefix",
        r"https://.*example\.com",
        r"put '\.' before it, e.g. r'https://([a-z0-9-]+\.)?example\.com'",
    ),
    (
        "unpinned-start-no-separator",
        r"https://[a-z]*example\.com",
        "any domain that ends with the same letters matches",
    ),
    (
        "wildcard-tld",
        r"https://app\.example\.[a-z]+",
        "its top-level domain is a wildcard",
    ),
    (
        "wildcard-registrable-label",
        r"https://app\.[a-z]+\.com",
        "it takes any name under 'com'",
    ),
    (
        "public-suffix-in-regex",
        r"https://[a-z0-9-]+\.github\.io",
        r"name your own domain under it, e.g. r'https://([a-z0-9-]+\.)?yourname\.github\.io'",
    ),
    (
        "two-wildcard-labels",
        r"https://[a-z]+\.[a-z]+",
        "where anyone can register one",
    ),
    (
        "alternation-with-catch-all",
        r"https://app\.example\.com|.*",
        "allow_origins=['*']",
    ),
]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [(s, f) for _, s, f in LOOSE_REGEXES],
    ids=[i for i, _, _ in LOOSE_REGEXES],
)
def test_loose_regex_with_credentials_is_refused(source: str, fragment: str) -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(allow_origin_regex=source, allow_credentials=True)
    text = str(caught.value)
    assert "allow_credentials=True" in text
    if "allow_origins=['*']" not in fragment:  # with credentials, '*' is not the advice
        assert fragment in text


@pytest.mark.parametrize(
    ("source", "fragment"),
    [(s, f) for _, s, f in LOOSE_REGEXES],
    ids=[i for i, _, _ in LOOSE_REGEXES],
)
def test_loose_regex_without_credentials_warns(source: str, fragment: str) -> None:
    with pytest.warns(CORSConfigWarning) as caught:
        policy = CORSPolicy(allow_origin_regex=source)
    messages = [str(w.message) for w in caught]
    assert any(fragment in message for message in messages), messages
    assert any(fragment in message for message in policy.warnings)


@pytest.mark.parametrize(
    ("source", "attacker"),
    [
        (r"https://app.example.com", "https://appxexample.com"),
        (r"https://.*.example.com", "https://evilxexample.com"),
        (r"https://[a-z]+\.example\.com.*", "https://a.example.com.evil.example"),
        (r"https://.*example\.com", "https://evilexample.com"),
        (r"https://app\.example\.[a-z]+", "https://app.example.evil"),
    ],
)
def test_what_the_warning_is_about_is_real(source: str, attacker: str) -> None:
    """Each warned regex does let the attacker's origin in: the warning is not theoretical."""
    with pytest.warns(CORSConfigWarning):
        policy = CORSPolicy(allow_origin_regex=source)
    assert policy.decide(RequestInfo("GET", attacker)).allowed


def test_http_in_regex_with_credentials_is_refused() -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(allow_origin_regex=r"https?://app\.example\.com", allow_credentials=True)
    text = str(caught.value)
    assert "'http://app.example.com', an insecure origin" in text
    assert "write 'https://', not 'https?://'" in text
    assert "dangerously_allow_insecure_origins=True" in text


def test_ws_in_regex_with_credentials_is_refused() -> None:
    with pytest.raises(CORSConfigError, match=r"write 'wss://', not 'wss\?://'"):
        CORSPolicy(allow_origin_regex=r"wss?://[a-z]+\.example\.com", allow_credentials=True)


def test_http_in_regex_without_credentials_is_recorded_not_warned() -> None:
    """Like an http:// entry in allow_origins: harmless without credentials, so only lint
    mentions it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CORSConfigWarning)
        policy = CORSPolicy(allow_origin_regex=r"https?://app\.example\.com")
    assert any("insecure origins such as 'http://app.example.com'" in w for w in policy.warnings)


def test_http_in_regex_with_explicit_opt_in_is_accepted() -> None:
    policy = CORSPolicy(
        allow_origin_regex=r"https?://app\.example\.com",
        allow_credentials=True,
        dangerously_allow_insecure_origins=True,
    )
    assert policy.decide(RequestInfo("GET", "http://app.example.com")).allowed


def test_loopback_http_in_regex_with_credentials_is_accepted() -> None:
    policy = CORSPolicy(allow_origin_regex=r"http://localhost:[0-9]+", allow_credentials=True)
    assert policy.decide(RequestInfo("GET", "http://localhost:5173")).allowed


def test_unescaped_dot_within_the_same_site_warns_even_with_credentials() -> None:
    with pytest.warns(CORSConfigWarning, match=r"escape literal dots: r'https://a\\.b\\.example"):
        CORSPolicy(allow_origin_regex=r"https://a.b\.example\.com", allow_credentials=True)


# Nested, ambiguous repetition: exponential time on a crafted Origin. Refused always.
BACKTRACKING: list[tuple[str, str]] = [
    ("nested-plus", r"https://(a+)+\.example\.com"),
    ("nested-star", r"https://([a-z]*)*\.example\.com"),
    ("dot-plus-then-dot-repeated", r"https://(.+\.)+example\.com"),
    ("separator-inside-class", r"https://([a-z.]+\.)+example\.com"),
    ("separator-in-the-middle", r"https://([a-z]+\.[a-z]+)*\.example\.com"),
    ("alternation-repeated", r"https://(a|aa)+\.example\.com"),
    ("lazy-nested", r"https://([a-z]+?)+?\.example\.com"),
]


@pytest.mark.parametrize("source", [s for _, s in BACKTRACKING], ids=[i for i, _ in BACKTRACKING])
@pytest.mark.parametrize("credentials", [True, False], ids=["credentials", "no-credentials"])
def test_catastrophic_backtracking_regex_is_refused(source: str, credentials: bool) -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(allow_origin_regex=source, allow_credentials=credentials)
    text = str(caught.value)
    assert "exponential time" in text
    assert r"r'https://([a-z0-9-]+\.)*example\.com'" in text


# Well-written regexes: no error, no warning, no advisory (pytest turns warnings into errors).
WELL_WRITTEN: list[str] = [
    r"https://[a-z0-9-]+\.example\.com",
    r"https://.*\.example\.com",
    r"https://(.*\.)?example\.com",
    r"https://([a-z0-9-]+\.)*example\.com",
    r"https://(?:[a-z0-9-]+\.)*example\.com",
    r"https://[a-z0-9-]+(\.[a-z0-9-]+)*\.example\.com",
    r"https://(www\.)?example\.com",
    r"https://(app|admin)\.example\.com",
    r"https://app\.example\.com|https://admin\.example\.com",
    r"^https://app\.example\.com$",
    r"https://pr-[0-9]+\.preview\.example\.com",
    r"https://[a-z]+\.example\.com(:[0-9]+)?",
    r"https://[^.]+\.example\.com",
    r"https://\w+\.example\.com",
    r"https://[\w.-]+\.example\.com",
    r"https://([a-z0-9-]+\.)?me\.github\.io",
    r"(?i)https://APP\.EXAMPLE\.COM",
    r"chrome-extension://[a-p]{32}",
    r"http://localhost:\d+",
    r"http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?",
    r"https://(?P<app>[a-z]+)\.example\.com",
    r"https://[a-z]++\.example\.com",
]


@pytest.mark.parametrize("source", WELL_WRITTEN)
@pytest.mark.parametrize("credentials", [True, False], ids=["credentials", "no-credentials"])
def test_well_written_regex_is_accepted_silently(source: str, credentials: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CORSConfigWarning)
        policy = CORSPolicy(allow_origin_regex=source, allow_credentials=credentials)
    assert policy.warnings == ()


@pytest.mark.parametrize("source", WELL_WRITTEN)
def test_audit_finds_nothing_in_well_written_regexes(source: str) -> None:
    assert audit_origin_regex(re.compile(source), _site) == []


def test_regex_matching_everything_without_credentials_suggests_star() -> None:
    with pytest.warns(CORSConfigWarning, match=r"write allow_origins=\['\*'\]"):
        CORSPolicy(allow_origin_regex=".*")


def test_backreferences_and_lookarounds_do_not_break_the_audit() -> None:
    for source in (
        r"https://(?P<x>[a-z]+)\.(?P=x)\.example\.com",
        r"https://(?=app)[a-z]+\.example\.com",
        r"https://(?!evil)[a-z]+\.example\.com",
        r"https://(a)?(?(1)b|c)\.example\.com",
    ):
        audit_origin_regex(re.compile(source), _site)  # must not raise


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"https://app.example.com", r"https://app\.example\.com"),
        (r"https://.*.example.com", r"https://.*\.example\.com"),
        (r"https://.+.example.com", r"https://.+\.example\.com"),
        (r"https://[.a-z]+.example.com", r"https://[.a-z]+\.example\.com"),
        (r"https://[].]+.example.com", r"https://[].]+\.example\.com"),
        (r"https://[^.]+.example.com", r"https://[^.]+\.example\.com"),
        (r"https://app\.example\.com", r"https://app\.example\.com"),
        (r"https://a.{2}b", r"https://a.{2}b"),
    ],
)
def test_escape_bare_dots(source: str, expected: str) -> None:
    assert escape_bare_dots(source) == expected


def test_regex_problems_are_reported_with_the_others() -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(
            allow_origins=["https://APP.example.com"],
            allow_origin_regex=r"https?://.*example.com",
            allow_credentials=True,
        )
    text = str(caught.value)
    assert "'https://APP.example.com' is not a canonical origin" in text
    assert "unescaped '.'" in text
    assert "your domain is not preceded by" in text
    assert "an insecure origin" in text


def test_regex_is_only_consulted_for_well_formed_origins() -> None:
    """The audit reasons over the origin alphabet; the matcher must keep its side of that."""
    with pytest.warns(CORSConfigWarning):
        policy = CORSPolicy(allow_origin_regex=".*")
    for hostile in (
        "https://app.example.com\r\nSet-Cookie: a=b",
        "https://app.example.com/",
        "HTTPS://APP.EXAMPLE.COM",
        "https://app.example.com, https://evil.example",
        "https://\u212aelvin.example",
        "",
    ):
        assert not policy.decide(RequestInfo("GET", hostile)).allowed, hostile


def _policy_kwargs() -> list[dict[str, Any]]:
    return [
        {"allow_origin_regex": r"https://[a-z0-9-]+\.example\.com", "allow_credentials": True},
        {"allow_origin_regex": r"https://(www\.)?example\.com", "allow_credentials": True},
    ]


@pytest.mark.parametrize("kwargs", _policy_kwargs())
@pytest.mark.parametrize(
    "attacker",
    [
        "https://example.com.evil.example",
        "https://evilexample.com",
        "https://wwwxexample.com",
        "http://www.example.com",
        "https://www.example.co",
        "https://www.example.com.",
        "https://www.example.com:443",
    ],
)
def test_accepted_credentialed_regexes_refuse_lookalikes(
    kwargs: dict[str, Any], attacker: str
) -> None:
    assert not CORSPolicy(**kwargs).decide(RequestInfo("GET", attacker)).allowed


@pytest.mark.parametrize(
    "source",
    ["https://" + "(" * 900 + "a" + ")" * 900, "https://a{99999999999}"],
    ids=["nested-900-deep", "repetition-too-large"],
)
def test_pathological_regex_is_a_configuration_error_not_a_crash(source: str) -> None:
    with pytest.raises(CORSConfigError, match="allow_origin_regex"):
        CORSPolicy(allow_origin_regex=source)
