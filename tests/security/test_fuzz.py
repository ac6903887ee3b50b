"""Hypothesis fuzzing of everything a client controls: hostile header values in, safe answers out.

Each property runs twice: a short run in the default suite, and a long one marked
``fuzz``, which runs only when selected (``pytest -m fuzz``; ``CORECORS_FUZZ_EXAMPLES``
sets the example count, 20 000 by default) and is skipped otherwise.

The strategies generate what no browser sends -- control characters, CR/LF, NUL, lone
surrogates (what aiohttp's parser makes of invalid UTF-8), non-ASCII letters whose
lowercase or uppercase is ASCII (KELVIN SIGN, dotless i, long s), oversized and
comma-stuffed lists, near-miss origins -- and check that:

* ``decide`` never raises, and every header it writes is printable ASCII, validated, once;
* an origin is allowed exactly when an independent reading of the policy allows it;
* a preflight's header list is allowed exactly when every parsed name is allowed (the fast
  path and the parser agree);
* ``parse_origin`` accepts only canonical serializations, ``parse_request_header_names``
  only bounded lists of lowercase tokens;
* both adapters, fed raw bytes, answer safely;
* the origin-regex audit never fails, whatever the regex.

The atheris harness in ``fuzz/`` runs the core under coverage-guided fuzzing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corecors import CORSConfigError, CORSConfigWarning, CORSPolicy, RequestInfo
from corecors.origin_regex import RegexTooComplexError, audit_origin_regex
from corecors.origins import parse_origin
from corecors.policy import _suffix_rules
from corecors.tokens import is_token, parse_request_header_names
from corecors_asgi import CORSMiddleware
from tests.adapters.asgi.asgi_apps import call, http_scope

from .test_security import (
    ADMIN,
    APP,
    aiohttp_answer,
    assert_decision_safe,
    assert_safe,
    credentialed,
    permissive,
    wildcard,
)

F = TypeVar("F", bound=Callable[..., Any])

DEEP_EXAMPLES = int(os.environ.get("CORECORS_FUZZ_EXAMPLES", "20000"))
_FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
_DEEP = settings(max_examples=DEEP_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(autouse=True)
def _long_runs_only_when_asked(request: pytest.FixtureRequest) -> None:
    """The long runs need ``-m fuzz`` (or any -m expression naming fuzz): a plain run, or one
    with another -m (``-m "not browser"``), skips them instead of fuzzing for minutes."""
    if request.node.get_closest_marker("fuzz") and "fuzz" not in request.config.option.markexpr:
        pytest.skip("long fuzzing run: select it with pytest -m fuzz")


def twice(*strategies: st.SearchStrategy[Any]) -> Callable[[F], tuple[Any, Any]]:
    """The property as a short test and as a long ``fuzz``-marked one."""

    def wrap(prop: F) -> tuple[Any, Any]:
        fast = _FAST(given(*strategies)(prop))
        deep = pytest.mark.fuzz(_DEEP(given(*strategies)(prop)))
        return fast, deep

    return wrap


# -- strategies ------------------------------------------------------------------------------

#: Non-ASCII characters whose lowercase, uppercase or case fold is ASCII.
CASE_CONFUSABLES = {
    "k": ["\u212a"],
    "s": ["\u017f"],
    "i": ["\u0131", "\u0130"],
    "f": ["\ufb00"],
}
CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"]
NASTY = [*CONTROL, " ", "\t", ",", ";", ":", "/", "\\", '"', "'", "\x80", "\xff", "\udcff"]

any_char = st.one_of(
    st.characters(codec="latin-1"),
    st.characters(),
    st.sampled_from(NASTY),
    st.sampled_from([c for cs in CASE_CONFUSABLES.values() for c in cs]),
)
hostile_text = st.one_of(
    st.text(any_char, max_size=40),
    st.lists(
        st.sampled_from(["\r\n", "Set-Cookie: a=b", "\x00", "https://", ",", "x-token"]),
        max_size=6,
    ).map("".join),
)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A value close to a valid one: characters inserted, replaced, dropped, recased."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["insert", "replace", "drop", "upper", "confuse", "dup"]))
        position = draw(st.integers(0, len(text)))
        if action == "insert":
            text = text[:position] + draw(any_char) + text[position:]
        elif action == "replace" and text:
            position = min(position, len(text) - 1)
            text = text[:position] + draw(any_char) + text[position + 1 :]
        elif action == "drop" and text:
            position = min(position, len(text) - 1)
            text = text[:position] + text[position + 1 :]
        elif action == "upper":
            text = text.upper()
        elif action == "confuse":
            text = "".join(
                draw(st.sampled_from([c, *CASE_CONFUSABLES[c]])) if c in CASE_CONFUSABLES else c
                for c in text
            )
        elif action == "dup":
            text = text + draw(st.sampled_from([",", ", ", " "])) + text
    return text


VALID_ORIGINS = [
    APP,
    ADMIN,
    "https://a.example.com",
    "https://deep.sub.example.com",
    "https://example.com",
    "https://x.preview.example.net",
    "http://localhost:3000",
    "https://evil.example.net",
    "https://app.example.com.evil.example",
    "null",
    "https://[::1]:8443",
    "http://127.0.0.1:8080",
]
origins = st.one_of(
    st.none(),
    st.sampled_from(VALID_ORIGINS),
    mutated(st.sampled_from(VALID_ORIGINS)),
    hostile_text,
    st.builds(lambda n: "https://" + "a" * n + ".example.com", st.integers(0, 600)),
)
HEADER_NAMES = ["content-type", "authorization", "x-token", "x-request-id", "accept", "x-h"]
header_names = st.one_of(
    st.sampled_from(HEADER_NAMES), mutated(st.sampled_from(HEADER_NAMES)), hostile_text
)
separators = st.sampled_from([",", ", ", " ,", ",,", "\t,", " , ", ",\t"])


@st.composite
def header_lists(draw: st.DrawFn) -> str:
    names = draw(st.lists(header_names, max_size=8))
    text = ""
    for index, name in enumerate(names):
        text += (draw(separators) if index else "") + name
    repeat = draw(st.sampled_from([1, 1, 1, 20, 700]))
    return ",".join([text] * repeat) if repeat > 1 else text


request_header_lists = st.one_of(st.none(), header_lists(), hostile_text)
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "patch", "OPTIONS", "TRACE", "PROPFIND"]
methods = st.one_of(st.sampled_from(METHODS), mutated(st.sampled_from(METHODS)), hostile_text)
request_methods = st.one_of(st.none(), methods)

POLICIES: dict[str, CORSPolicy] = {
    "credentialed": credentialed(),
    "credentialed-debug": credentialed(debug=True),
    "permissive": permissive(),
    "wildcard": wildcard(),
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CORSConfigWarning)
    POLICIES["patterns"] = CORSPolicy(
        allow_origins=[APP, "https://*.example.com", "http://localhost:*"],
        allow_origin_regex=r"https://[a-z0-9-]+\.preview\.example\.net",
        allow_methods=["PUT", "PATCH"],
        allow_headers=["content-type", "x-token"],
        allow_credentials=True,
    )
policies = st.sampled_from(sorted(POLICIES))


# -- the core --------------------------------------------------------------------------------


@twice(policies, methods, origins, request_methods, request_header_lists, st.booleans())
def _decide_is_total_and_safe(
    name: str,
    method: str,
    origin: str | None,
    request_method: str | None,
    header_list: str | None,
    private_network: bool,
) -> None:
    policy = POLICIES[name]
    decision = policy.decide(
        RequestInfo(method, origin, request_method, header_list, private_network)
    )
    assert_decision_safe(decision, policy)
    assert_decision_safe(policy.decide_websocket(origin), policy)


test_decide_is_total_and_safe, test_decide_is_total_and_safe_fuzz = _decide_is_total_and_safe


def _reference_allows(name: str, origin: str) -> bool:
    """An independent reading of the ``patterns`` and ``credentialed`` policies."""
    if name == "credentialed":
        return origin in (APP, ADMIN)
    parsed = parse_origin(origin)
    if origin == APP:
        return True
    if parsed is None:
        return False
    scheme, host, port = parsed
    return (
        (scheme == "https" and port is None and host.endswith(".example.com"))
        or (scheme == "http" and host == "localhost")
        or re.fullmatch(r"https://[a-z0-9-]+\.preview\.example\.net", origin) is not None
    )


@twice(st.sampled_from(["credentialed", "patterns"]), origins.filter(lambda o: o is not None))
def _origin_allowed_exactly_as_the_reference(name: str, origin: str) -> None:
    policy = POLICIES[name]
    expected = _reference_allows(name, origin)
    assert policy.decide(RequestInfo("GET", origin)).allowed is expected
    assert policy.decide(RequestInfo("OPTIONS", origin, "GET")).allowed is expected
    assert (policy.decide_websocket(origin).status is None) is expected


(
    test_origin_allowed_exactly_as_the_reference,
    test_origin_allowed_exactly_as_the_reference_fuzz,
) = _origin_allowed_exactly_as_the_reference


@twice(st.sampled_from(["credentialed", "patterns"]), header_lists())
def _preflight_headers_allowed_exactly_when_every_name_is(name: str, header_list: str) -> None:
    policy = POLICIES[name]
    parsed = parse_request_header_names(
        header_list,
        max_length=policy.max_request_headers_length,
        max_count=policy.max_request_headers_count,
    )
    expected = parsed is not None and set(parsed) <= set(policy.allow_headers)
    decision = policy.decide(RequestInfo("OPTIONS", APP, "PUT", header_list))
    assert decision.allowed is expected, (header_list, parsed)


(
    test_preflight_headers_allowed_exactly_when_every_name_is,
    test_preflight_headers_allowed_exactly_when_every_name_is_fuzz,
) = _preflight_headers_allowed_exactly_when_every_name_is


_CANONICAL = re.compile(r"[a-z][a-z0-9+.\-]*://[a-z0-9_.\-\[\]:]+")


@twice(origins.filter(lambda o: o is not None))
def _parse_origin_accepts_only_canonical_origins(origin: str) -> None:
    parsed = parse_origin(origin)
    if parsed is None:
        return
    scheme, host, port = parsed
    assert _CANONICAL.fullmatch(origin), origin
    assert origin == (f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}")
    assert len(origin) <= 512


(
    test_parse_origin_accepts_only_canonical_origins,
    test_parse_origin_accepts_only_canonical_origins_fuzz,
) = _parse_origin_accepts_only_canonical_origins


@twice(st.one_of(header_lists(), hostile_text), st.integers(1, 5000), st.integers(1, 100))
def _parse_request_header_names_is_bounded(value: str, max_length: int, max_count: int) -> None:
    names = parse_request_header_names(value, max_length=max_length, max_count=max_count)
    if len(value) > max_length:
        assert names is None
    if names is not None:
        assert len(names) <= max_count
        for name in names:
            assert name.isascii(), name
            assert is_token(name), name
            assert name == name.lower(), name


(
    test_parse_request_header_names_is_bounded,
    test_parse_request_header_names_is_bounded_fuzz,
) = _parse_request_header_names_is_bounded


# -- the adapters, raw bytes -------------------------------------------------------------------


def _to_bytes(text: str) -> bytes:
    """Header bytes for ``text``: lone surrogates become the invalid UTF-8 they stand for."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


raw_values = st.one_of(
    st.binary(max_size=60),
    st.sampled_from([v.encode() for v in VALID_ORIGINS]),
    mutated(st.sampled_from(VALID_ORIGINS)).map(_to_bytes),
    header_lists().map(_to_bytes),
)
raw_names = st.sampled_from(
    [
        b"origin",
        b"access-control-request-method",
        b"access-control-request-headers",
        b"access-control-request-private-network",
        b"x-other",
    ]
)
raw_lines = st.lists(st.tuples(raw_names, raw_values), max_size=6)
raw_methods = st.one_of(st.sampled_from(["GET", "OPTIONS", "POST", "PUT"]), methods)


@twice(policies, raw_methods, raw_lines)
def _asgi_answers_raw_bytes_safely(
    name: str, method: str, lines: list[tuple[bytes, bytes]]
) -> None:
    policy = POLICIES[name]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = CORSMiddleware(app, policy=policy)
    sent = asyncio.run(call(middleware, scope=http_scope(method, "/", lines)))
    assert_safe([(n.decode("latin-1"), v.decode("latin-1")) for n, v in sent.raw_headers], policy)


(
    test_asgi_answers_raw_bytes_safely,
    test_asgi_answers_raw_bytes_safely_fuzz,
) = _asgi_answers_raw_bytes_safely


@twice(policies, raw_methods, raw_lines)
def _aiohttp_answers_parsed_values_safely(
    name: str, method: str, lines: list[tuple[bytes, bytes]]
) -> None:
    policy = POLICIES[name]
    headers = [
        (key.decode("latin-1"), value.decode("utf-8", "surrogateescape")) for key, value in lines
    ]
    if not method or not is_token(method):
        method = "GET"  # aiohttp's parser refuses such request lines before any middleware
    response, _ = asyncio.run(aiohttp_answer(policy, method, headers))
    assert_safe(response.headers.items(), policy)


(
    test_aiohttp_answers_parsed_values_safely,
    test_aiohttp_answers_parsed_values_safely_fuzz,
) = _aiohttp_answers_parsed_values_safely


# -- the origin-regex audit ----------------------------------------------------------------------

REGEX_PIECES = [
    "https://",
    "https?://",
    "http://",
    r"[a-z0-9-]+",
    r"[a-z]*",
    ".*",
    ".+",
    ".",
    r"\.",
    "example",
    "com",
    r"(www\.)?",
    r"([a-z]+\.)*",
    r"(a|b)",
    r"(:[0-9]+)?",
    "localhost",
    "|",
    "(",
    ")",
    "+",
    "?",
    "^",
    "$",
]


@twice(st.lists(st.sampled_from(REGEX_PIECES), min_size=1, max_size=10), st.booleans())
def _regex_audit_never_fails(pieces: list[str], credentials: bool) -> None:
    source = "".join(pieces)
    try:
        regex = re.compile(source)
    except re.error:
        return
    with contextlib.suppress(RegexTooComplexError):  # the audit's bounds: refused, not guessed
        audit_origin_regex(regex, _suffix_rules())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        try:
            policy = CORSPolicy(allow_origin_regex=source, allow_credentials=credentials)
        except CORSConfigError:
            return
    if credentials:
        # Registrable domains no piece spells: an accepted credentialed regex never lets
        # one in (the audit is exact about registrable domains).
        for attacker in (
            "https://corecors-attacker.net",
            "https://evilexample.com",
            "https://example.com.evil.net",
            "https://www.example.evil",
            "http://evil.net",
        ):
            assert not policy.decide(RequestInfo("GET", attacker)).allowed, source


test_regex_audit_never_fails, test_regex_audit_never_fails_fuzz = _regex_audit_never_fails
