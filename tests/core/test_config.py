"""Configuration: every refusal has a test and a message that says what to change."""

from __future__ import annotations

import functools
import gc
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from corecors import CORSConfigError, CORSConfigWarning, CORSPolicy, PathPolicies, load_policy

APP = "https://app.example.com"


async def _async_predicate(origin: str) -> bool:
    return origin == APP


class _AsyncCallable:
    async def __call__(self, origin: str) -> bool:
        return origin == APP


def _match_predicate(origin: str) -> re.Match[str] | None:
    return re.fullmatch(r"https://[a-z]+\.example\.com", origin)


# (id, keyword arguments, a fragment the message must contain)
REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (
        "star-origin-with-credentials",
        {"allow_origins": ["*"], "allow_credentials": True},
        "list the origins that may send credentials",
    ),
    (
        "star-expose-with-credentials",
        {"allow_origins": [APP], "expose_headers": ["*"], "allow_credentials": True},
        "list the header names",
    ),
    ("null-in-allow-origins", {"allow_origins": ["null"]}, "set allow_null_origin=True"),
    (
        "uppercase-origin",
        {"allow_origins": ["HTTPS://APP.EXAMPLE.COM"]},
        "write 'https://app.example.com'",
    ),
    (
        "trailing-slash-origin",
        {"allow_origins": ["https://app.example.com/"]},
        "write 'https://app.example.com'",
    ),
    (
        "origin-with-path",
        {"allow_origins": ["https://app.example.com/api"]},
        "write 'https://app.example.com'",
    ),
    (
        "default-port-https",
        {"allow_origins": ["https://app.example.com:443"]},
        "write 'https://app.example.com'",
    ),
    (
        "default-port-http",
        {"allow_origins": ["http://app.example.com:80"]},
        "write 'http://app.example.com'",
    ),
    (
        "unicode-host",
        {"allow_origins": ["https://bücher.example"]},
        "write 'https://xn--bcher-kva.example'",
    ),
    (
        "origin-without-scheme",
        {"allow_origins": ["app.example.com"]},
        "e.g. 'https://app.example.com'",
    ),
    ("file-origin", {"allow_origins": ["file:///home/x"]}, "file: origins are opaque"),
    ("bare-star-host", {"allow_origins": ["https://*"]}, "not a supported pattern"),
    ("star-in-middle", {"allow_origins": ["https://app.*.example.com"]}, "not a supported pattern"),
    ("wildcard-over-ip", {"allow_origins": ["https://*.127.0.0.1"]}, "has no subdomains"),
    ("two-ports", {"allow_origins": ["http://localhost:80:*"]}, "not"),
    (
        "insecure-origin-with-credentials",
        {"allow_origins": ["http://app.example.com"], "allow_credentials": True},
        "dangerously_allow_insecure_origins=True",
    ),
    (
        "insecure-websocket-origin-with-credentials",
        {"allow_origins": ["ws://app.example.com"], "allow_credentials": True},
        "use wss://",
    ),
    (
        "insecure-subdomain-pattern-with-credentials",
        {"allow_origins": ["http://*.example.com"], "allow_credentials": True},
        "use https://",
    ),
    (
        "public-suffix-wildcard-com",
        {"allow_origins": ["https://*.com"], "allow_credentials": True},
        "dangerously_allow_public_suffix_wildcards=True",
    ),
    (
        "public-suffix-wildcard-github-io",
        {"allow_origins": ["https://*.github.io"], "allow_credentials": True},
        "public suffix 'github.io'",
    ),
    (
        "public-suffix-wildcard-co-uk",
        {"allow_origins": ["https://*.co.uk"], "allow_credentials": True},
        "public suffix 'co.uk'",
    ),
    (
        "regex-matching-everything-with-credentials",
        {"allow_origin_regex": ".*", "allow_credentials": True},
        "reflects any origin",
    ),
    (
        "regex-matching-any-https-with-credentials",
        {"allow_origin_regex": r"https://.+", "allow_credentials": True},
        "anchor it",
    ),
    ("regex-that-does-not-compile", {"allow_origin_regex": "https://(a"}, "does not compile"),
    ("regex-not-a-string", {"allow_origin_regex": 42}, "must be a string"),
    ("predicate-not-callable", {"allow_origin_predicate": "yes"}, "must be a function"),
    (
        "star-origin-with-private-network",
        {"allow_origins": ["*"], "allow_private_network": True},
        "list the public origins that may reach it",
    ),
    (
        "null-origin-with-credentials",
        {"allow_null_origin": True, "allow_credentials": True, "allow_origins": [APP]},
        "remove allow_null_origin",
    ),
    ("async-predicate", {"allow_origin_predicate": _async_predicate}, "def, not async def"),
    (
        "async-predicate-partial",
        {"allow_origin_predicate": functools.partial(_async_predicate)},
        "def, not async def",
    ),
    (
        "async-callable-object",
        {"allow_origin_predicate": _AsyncCallable()},
        "def, not async def",
    ),
    (
        "predicate-declared-to-return-a-match",
        {"allow_origin_predicate": _match_predicate},
        "declared to return re.Match[str] | None",
    ),
    ("origins-as-string", {"allow_origins": APP}, f"write [{APP!r}]"),
    ("origins-not-a-list", {"allow_origins": 3}, "must be a list of strings"),
    ("origin-not-a-string", {"allow_origins": [APP, 3]}, "only strings"),
    ("forbidden-method-connect", {"allow_methods": ["CONNECT"]}, "forbidden"),
    ("forbidden-method-trace-lowercase", {"allow_methods": ["trace"]}, "forbidden"),
    ("forbidden-method-track", {"allow_methods": ["TRACK"]}, "remove it"),
    ("method-with-space", {"allow_methods": ["GET POST"]}, "not a valid method name"),
    ("method-with-comma", {"allow_methods": ["GET,POST"]}, "not a valid method name"),
    ("forbidden-request-header-cookie", {"allow_headers": ["Cookie"]}, "forbidden request"),
    ("forbidden-request-header-host", {"allow_headers": ["host"]}, "forbidden request"),
    (
        "forbidden-request-header-sec-prefix",
        {"allow_headers": ["Sec-Fetch-Mode"]},
        "forbidden request",
    ),
    (
        "forbidden-request-header-proxy-prefix",
        {"allow_headers": ["proxy-authorization"]},
        "forbidden request",
    ),
    ("forbidden-request-header-origin", {"allow_headers": ["origin"]}, "forbidden request"),
    (
        "cors-header-in-allow-headers",
        {"allow_headers": ["Access-Control-Allow-Origin"]},
        "CORS protocol header",
    ),
    ("invalid-request-header-name", {"allow_headers": ["x token"]}, "not a valid header name"),
    ("set-cookie-exposed", {"expose_headers": ["Set-Cookie"]}, "can never be exposed"),
    ("set-cookie2-exposed", {"expose_headers": ["set-cookie2"]}, "can never be exposed"),
    ("origin-exposed", {"expose_headers": ["Origin"]}, "not a response header"),
    (
        "cors-header-exposed-access-control-allow-methods",
        {"expose_headers": ["Access-Control-Allow-Methods"]},
        "CORS protocol header that corecors writes itself",
    ),
    (
        "cors-header-exposed-access-control-allow-headers",
        {"expose_headers": ["access-control-allow-headers"]},
        "CORS protocol header that corecors writes itself",
    ),
    (
        "cors-header-exposed-access-control-max-age",
        {"expose_headers": ["Access-Control-Max-Age"]},
        "CORS protocol header that corecors writes itself",
    ),
    (
        "cors-header-exposed-access-control-allow-origin",
        {"expose_headers": ["Access-Control-Allow-Origin"]},
        "CORS protocol header that corecors writes itself",
    ),
    (
        "cors-header-exposed-access-control-allow-credentials",
        {"expose_headers": ["Access-Control-Allow-Credentials"]},
        "CORS protocol header that corecors writes itself",
    ),
    (
        "cors-header-exposed-access-control-expose-headers",
        {"expose_headers": ["Access-Control-Expose-Headers"]},
        "CORS protocol header that corecors writes itself",
    ),
    (
        "cors-header-exposed-access-control-allow-private-network",
        {"expose_headers": ["Access-Control-Allow-Private-Network"]},
        "CORS protocol header that corecors writes itself",
    ),
    ("invalid-expose-header-name", {"expose_headers": ["x:y"]}, "not a valid header name"),
    ("max-age-negative", {"max_age": -1}, "from 0 to 86400"),
    ("max-age-too-large", {"max_age": 86401}, "from 0 to 86400"),
    ("max-age-not-integer", {"max_age": 1.5}, "whole number"),
    ("max-age-bool", {"max_age": True}, "whole number"),
    ("preflight-status-301", {"preflight_status": 301}, "204 or 200"),
    ("preflight-status-403", {"preflight_status": 403}, "204 or 200"),
    ("credentials-not-bool", {"allow_credentials": "yes"}, "true or false"),
    ("limit-zero", {"max_request_headers_length": 0}, "from 1 to 65536"),
    ("limit-not-int", {"max_origin_length": "long"}, "from 1 to 65536"),
    ("limit-over-64-kib", {"max_request_headers_length": 65537}, "from 1 to 65536"),
]


@pytest.mark.parametrize(
    ("kwargs", "fragment"), [(k, f) for _, k, f in REFUSED], ids=[i for i, _, _ in REFUSED]
)
def test_dangerous_or_invalid_configuration_is_refused(
    kwargs: dict[str, Any], fragment: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        with pytest.raises(CORSConfigError) as caught:
            CORSPolicy(**kwargs)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(
            allow_origins=["*", "HTTPS://X.COM"],
            allow_credentials=True,
            allow_methods=["TRACE"],
            allow_headers=["cookie"],
            expose_headers=["set-cookie"],
            max_age=-5,
        )
    assert len(caught.value.problems) == 6
    assert "6 problems" in str(caught.value)


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    (
        "loopback-http-with-credentials",
        {
            "allow_origins": ["http://localhost:3000", "http://127.0.0.1:*", "http://[::1]:8000"],
            "allow_credentials": True,
        },
    ),
    (
        "localhost-subdomain-with-credentials",
        {"allow_origins": ["http://*.localhost:*"], "allow_credentials": True},
    ),
    (
        "insecure-with-explicit-opt-in",
        {
            "allow_origins": ["http://intranet.example"],
            "allow_credentials": True,
            "dangerously_allow_insecure_origins": True,
        },
    ),
    (
        "public-suffix-with-explicit-opt-in",
        {
            "allow_origins": ["https://*.github.io"],
            "allow_credentials": True,
            "dangerously_allow_public_suffix_wildcards": True,
        },
    ),
    (
        "own-domain-under-public-suffix",
        {"allow_origins": ["https://*.me.github.io"], "allow_credentials": True},
    ),
    (
        "anchored-regex-with-credentials",
        {"allow_origin_regex": r"https://[a-z0-9-]+\.example\.com", "allow_credentials": True},
    ),
    ("star-without-credentials", {"allow_origins": ["*"]}),
    ("max-age-zero", {"allow_origins": [APP], "max_age": 0}),
    ("max-age-limit", {"allow_origins": [APP], "max_age": 86400}),
    ("preflight-status-200", {"allow_origins": [APP], "preflight_status": 200}),
    ("expose-star-without-credentials", {"allow_origins": [APP], "expose_headers": ["*"]}),
    ("custom-method", {"allow_origins": [APP], "allow_methods": ["PROPFIND", "PATCH"]}),
    ("null-with-opt-in", {"allow_null_origin": True}),
]


@pytest.mark.parametrize("kwargs", [k for _, k in ACCEPTED], ids=[i for i, _ in ACCEPTED])
def test_safe_configuration_is_accepted(kwargs: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        CORSPolicy(**kwargs)


WARNED: list[tuple[str, dict[str, Any], str]] = [
    (
        "lowercase-custom-method",
        {"allow_origins": [APP], "allow_methods": ["patch"]},
        "Did you mean 'PATCH'?",
    ),
    ("star-with-other-origins", {"allow_origins": ["*", APP]}, "do nothing"),
    ("no-origin-allowed", {}, "every cross-origin request will be refused"),
    (
        "public-suffix-without-credentials",
        {"allow_origins": ["https://*.github.io"]},
        "anyone can register",
    ),
    (
        "star-with-regex",
        {"allow_origins": ["*"], "allow_origin_regex": "https://a"},
        "never consulted",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "fragment"), [(k, f) for _, k, f in WARNED], ids=[i for i, _, _ in WARNED]
)
def test_likely_mistakes_warn(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.warns(CORSConfigWarning, match=fragment.replace("?", r"\?")):
        policy = CORSPolicy(**kwargs)
    assert any(fragment in message for message in policy.warnings)


ADVISED: list[tuple[str, dict[str, Any], str]] = [
    (
        "subdomains-with-credentials",
        {"allow_origins": ["https://*.example.com"], "allow_credentials": True},
        "trusts every subdomain",
    ),
    ("null-opt-in", {"allow_null_origin": True}, "any site can create"),
    ("max-age-over-chromium-cap", {"allow_origins": [APP], "max_age": 86400}, "caps"),
    (
        "safelisted-expose-header",
        {"allow_origins": [APP], "expose_headers": ["content-type"]},
        "always readable",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "fragment"), [(k, f) for _, k, f in ADVISED], ids=[i for i, _, _ in ADVISED]
)
def test_risky_but_deliberate_choices_are_recorded_silently(
    kwargs: dict[str, Any], fragment: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CORSConfigWarning)
        policy = CORSPolicy(**kwargs)
    assert any(fragment in message for message in policy.warnings)


def test_normalized_configuration_is_exposed() -> None:
    policy = CORSPolicy(
        allow_origins=[APP],
        allow_methods=["get", "Put", "PATCH", "PATCH"],
        allow_headers=["X-Token", "x-token", "*"],
        expose_headers=["X-Request-Id"],
    )
    assert policy.allow_methods == ("GET", "PUT", "PATCH")
    assert policy.allow_headers == ("x-token", "*")
    assert policy.expose_headers == ("x-request-id",)


# --- loading from mappings and TOML ---------------------------------------------------


def test_from_mapping_matches_keywords() -> None:
    policy = CORSPolicy.from_mapping({"allow_origins": [APP], "allow_credentials": True})
    assert policy.allow_credentials is True
    assert policy.allow_origins == (APP,)


def test_from_mapping_refuses_unknown_keys_with_suggestion() -> None:
    with pytest.raises(CORSConfigError, match="did you mean 'allow_origins'"):
        CORSPolicy.from_mapping({"allow_origin": [APP]})


def test_from_mapping_validates_like_the_constructor() -> None:
    with pytest.raises(CORSConfigError, match="list the origins"):
        CORSPolicy.from_mapping({"allow_origins": ["*"], "allow_credentials": True})


def test_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(
        'allow_origins = ["https://app.example.com"]\nallow_credentials = true\nmax_age = 60\n'
    )
    policy = CORSPolicy.from_toml(path)
    assert policy.max_age == 60


def test_from_toml_reports_syntax_errors(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text("allow_origins = [\n")
    with pytest.raises(CORSConfigError, match="invalid TOML"):
        CORSPolicy.from_toml(path)


def test_from_toml_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CORSConfigError, match="cannot read"):
        CORSPolicy.from_toml(tmp_path / "missing.toml")


def test_load_policy_with_paths(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(
        'allow_origins = ["https://app.example.com"]\n'
        '[paths."/public"]\nallow_origins = ["*"]\n'
        '[paths."/internal/"]\nenabled = false\n'
    )
    loaded = load_policy(path)
    assert isinstance(loaded, PathPolicies)
    assert loaded.policy_for("/internal/x") is None
    public = loaded.policy_for("/public/data")
    assert public is not None
    assert public.allow_origins == ("*",)
    assert loaded.policy_for("/other") is loaded.default


def test_load_policy_without_paths_is_one_policy(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text('allow_origins = ["https://app.example.com"]\n')
    assert isinstance(load_policy(path), CORSPolicy)


def test_load_policy_collects_problems_of_every_path_table() -> None:
    with pytest.raises(CORSConfigError) as caught:
        load_policy(
            {
                "allow_origins": ["*"],
                "allow_credentials": True,
                "paths": {
                    "/a": {"allow_origins": ["HTTPS://A.COM"]},
                    "/b": {"allow_origns": ["https://b.com"]},
                    "/c": {"enabled": False, "allow_origins": ["https://c.com"]},
                    "d": {"allow_origins": ["https://d.com"]},
                },
            }
        )
    text = str(caught.value)
    assert "list the origins" in text
    assert "paths.'/a': 'HTTPS://A.COM'" in text
    assert "paths.'/b': unknown configuration key 'allow_origns'" in text
    assert "paths.'/c': enabled = false takes no other keys" in text
    assert "'d' must start with '/'" in text


def test_enabled_must_be_a_boolean() -> None:
    with pytest.raises(CORSConfigError, match="enabled must be true or false"):
        load_policy({"paths": {"/a": {"enabled": "false"}}})


def test_root_path_table_cannot_shadow_top_level_policy() -> None:
    with pytest.raises(CORSConfigError, match="would replace the top-level policy"):
        load_policy({"allow_origins": [APP], "paths": {"/": {"allow_origins": ["*"]}}})


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (lambda origin: re.fullmatch(r"https://[a-z]+\.example\.com", origin), "Match"),
        (lambda origin: None, "NoneType"),
        (lambda origin: 1, "int"),
        (lambda origin: _async_predicate(origin), "coroutine"),
    ],
    ids=["match-object", "none", "truthy-int", "coroutine"],
)
def test_predicate_answering_something_else_than_a_bool_refuses_and_says_why(
    answer: Any, shown: str
) -> None:
    """Only True allows; anything else refuses, with a warning that names the type (once
    per type, since the text does not depend on the origin), and a returned coroutine is
    closed so no "never awaited" RuntimeWarning follows every request."""
    policy = CORSPolicy(allow_origin_predicate=answer)
    # Garbage left by earlier tests (unclosed sockets and the like) is collected first, and
    # ResourceWarnings are not this test's business: only what the decision itself warns.
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ResourceWarning)
        decision = policy.decide_fields("GET", APP)
        gc.collect()  # an unclosed coroutine would warn when collected
    assert not decision.allowed
    assert [type(w.message) for w in caught] == [CORSConfigWarning], caught
    assert f"returned {shown}, not True or False" in str(caught[0].message)


def test_predicate_warning_never_turns_a_decision_into_an_error() -> None:
    answers_none: Any = lambda origin: None  # noqa: E731  (a lambda, as users write it)
    policy = CORSPolicy(allow_origin_predicate=answers_none)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not policy.decide_fields("GET", APP).allowed


def test_well_behaved_predicates_are_accepted() -> None:
    def annotated(origin: str) -> bool:
        return origin == APP

    class Callable:
        def __call__(self, origin: str) -> bool:
            return origin == APP

    for predicate in (annotated, Callable(), lambda origin: origin == APP, {APP}.__contains__):
        policy = CORSPolicy(allow_origin_predicate=predicate)
        assert policy.decide_fields("GET", APP).allowed, predicate
        assert not policy.decide_fields("GET", "https://other.example").allowed


@pytest.mark.parametrize(
    ("prefix", "advice"),
    [
        ("/admin/*", "write '/admin'"),
        ("/admin*", "write '/admin'"),
        ("/api/*/users", "write '/api'"),
        ("/admin?", "write '/admin'"),
        ("/search?q=1", "write '/search'"),
        ("/docs#top", "write '/docs'"),
        ("/admin ", "write '/admin'"),
        (" /admin", "write '/admin'"),
        ("/admin\t", "write '/admin'"),
        ("/ad\nmin", "write '/admin'"),
        ("/api/../admin", "write the path they resolve to"),
        ("/./admin", "write the path they resolve to"),
    ],
)
def test_path_prefix_that_can_never_match_as_meant_is_refused(prefix: str, advice: str) -> None:
    policy = CORSPolicy(allow_origins=[APP])
    with pytest.raises(CORSConfigError) as caught:
        PathPolicies({prefix: policy})
    assert repr(prefix) in str(caught.value)
    assert advice in str(caught.value)
    with pytest.raises(CORSConfigError) as caught:
        load_policy({"allow_origins": [APP], "paths": {prefix: {"allow_origins": [APP]}}})
    assert advice in str(caught.value)


@pytest.mark.parametrize("prefix", ["/admin", "/admin/", "/", "/my docs", "/caf\u00e9", "/a.b/c"])
def test_ordinary_path_prefixes_are_accepted(prefix: str) -> None:
    PathPolicies({prefix: CORSPolicy(allow_origins=[APP])})


def test_error_heading_counts_problems_and_notes_follow_apart() -> None:
    error = CORSConfigError(["first", "second"], notes=["context, not a problem"])
    assert str(error) == (
        "invalid CORS policy (2 problems):\n  - first\n  - second\nnote: context, not a problem"
    )
    assert error.notes == ("context, not a problem",)


def test_advice_in_toml_terms() -> None:
    from corecors.errors import in_toml_terms

    assert in_toml_terms("or set dangerously_allow_insecure_origins=True") == (
        "or set dangerously_allow_insecure_origins = true"
    )
    assert in_toml_terms("write allow_origins=['https://*.example.com']") == (
        "write allow_origins = ['https://*.example.com']"
    )
    assert in_toml_terms(r"e.g. r'https://[a-z]+\.example\.com'") == (
        r"e.g. 'https://[a-z]+\.example\.com'"
    )
    assert in_toml_terms("(or None to leave Access-Control-Max-Age out)") == (
        "(or leave max_age out)"
    )
    assert in_toml_terms("max_age = 600 already") == "max_age = 600 already"
