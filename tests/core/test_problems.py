"""Configuration problems are structured: each is the sentence (a ``str``, so messages keep
working) and carries its stable ``code``, the ``key`` and ``value`` it is about, and the
``[paths."…"]`` ``table`` of a policy file."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from corecors import CORSConfigError, CORSConfigWarning, CORSPolicy, load_policy
from corecors.errors import Findings, Problem, in_toml_terms
from corecors.routing import policy_tables, review_policy_mapping

APP = "https://app.example.com"


def refusal(**options: Any) -> CORSConfigError:
    with pytest.raises(CORSConfigError) as caught:
        CORSPolicy(**options)
    return caught.value


@pytest.mark.parametrize(
    ("options", "code", "key", "value"),
    [
        (
            {"allow_origins": ["http://app.example.com"], "allow_credentials": True},
            "insecure-origin-with-credentials",
            "allow_origins",
            "http://app.example.com",
        ),
        (
            {"allow_origins": ["*"], "allow_credentials": True},
            "any-origin-with-credentials",
            "allow_origins",
            "*",
        ),
        (
            {"allow_origins": [APP], "allow_methods": ["TRACE"]},
            "forbidden-method",
            "allow_methods",
            "TRACE",
        ),
        (
            {"allow_origins": [APP], "allow_headers": ["a b"]},
            "invalid-header-name",
            "allow_headers",
            "a b",
        ),
        ({"allow_origins": [APP], "max_age": -1}, "max-age-out-of-range", "max_age", -1),
        ({"allow_origins": [APP], "debug": "yes"}, "not-a-boolean", "debug", "yes"),
        ({"allow_origins": APP}, "not-a-list", "allow_origins", APP),
        (
            {"allow_origins": [APP], "allow_origin_regex": "https://(?=x)a"},
            "regex-unsupported",
            "allow_origin_regex",
            "https://(?=x)a",
        ),
        (
            {"allow_origins": [APP], "expose_headers": ["Set-Cookie"]},
            "unexposable-header",
            "expose_headers",
            "Set-Cookie",
        ),
        (
            {"allow_origins": ["https://*.github.io"], "allow_credentials": True},
            "public-suffix-wildcard-with-credentials",
            "allow_origins",
            "https://*.github.io",
        ),
    ],
)
def test_each_problem_names_its_code_key_and_value(
    options: dict[str, Any], code: str, key: str, value: object
) -> None:
    (problem,) = refusal(**options).problems
    assert isinstance(problem, Problem)
    assert (problem.code, problem.key, problem.value, problem.table) == (code, key, value, None)


def test_every_problem_of_a_policy_is_classified() -> None:
    error = refusal(
        allow_origins=["*", "ftp://x"],
        allow_credentials=True,
        allow_null_origin=True,
        allow_private_network=True,
        allow_methods=["CONNECT", "a b"],
        allow_headers=["cookie", "access-control-allow-origin"],
        expose_headers=["*", "origin"],
        max_age=10**6,
        preflight_status=500,
        rejected_preflight_status=200,
        max_origin_length=0,
    )
    assert len(error.problems) >= 12
    assert all(problem.code != "unclassified" for problem in error.problems)
    assert all(problem.key is not None for problem in error.problems)


def test_warnings_are_structured_too() -> None:
    with pytest.warns(CORSConfigWarning, match="not uppercase"):
        policy = CORSPolicy(allow_origins=[APP], allow_methods=["Patch"], max_age=9000)
    codes = [(w.code, w.key) for w in policy.warnings if isinstance(w, Problem)]
    assert codes == [
        ("method-not-uppercase", "allow_methods"),
        ("max-age-above-browser-caps", "max_age"),
    ]


def test_a_file_table_problem_names_its_table_and_keeps_its_wording() -> None:
    with pytest.raises(CORSConfigError) as caught:
        load_policy(
            {"allow_origins": [APP], "paths": {"/api": {"allow_origins": ["*"], "debug": 1}}}
        )
    (problem,) = caught.value.problems
    assert problem == "paths.'/api': debug must be true or false, not 1"
    assert (problem.code, problem.key, problem.value, problem.table) == (
        "not-a-boolean",
        "debug",
        1,
        "/api",
    )


def test_toml_wording_keeps_what_the_problem_is_about() -> None:
    problem = Problem("set allow_credentials=False", code="c", key="allow_credentials", table="/a")
    reworded = in_toml_terms(problem)
    assert reworded == "set allow_credentials = false"
    assert isinstance(reworded, Problem)
    assert (reworded.code, reworded.key, reworded.table) == ("c", "allow_credentials", "/a")
    assert CORSConfigError([problem]).in_toml_terms().problems[0].table == "/a"


def test_a_problem_is_immutable_and_survives_pickling() -> None:
    problem = Problem("x", code="c", key="k", value=[1], table="/t")
    with pytest.raises(AttributeError):
        problem.code = "other"
    copy = pickle.loads(pickle.dumps(problem))
    assert (copy, copy.code, copy.key, copy.value, copy.table) == ("x", "c", "k", [1], "/t")


def test_plain_strings_become_unclassified_problems() -> None:
    (problem,) = CORSConfigError(["something"]).problems
    assert (problem, problem.code, problem.key) == ("something", "unclassified", None)


def test_one_walk_of_the_tables_with_structural_problems_scoped() -> None:
    findings = Findings()
    config = {
        "allow_origins": [APP],
        "paths": {"/a": {"enabled": False}, "b": {"allow_origins": [APP]}, "/c": {"enabled": 0}},
    }
    tables = policy_tables(config, findings)
    assert [(t.prefix, t.enabled, t.sound) for t in tables] == [
        (None, True, True),
        ("/a", False, True),
        ("b", True, False),
        ("/c", True, False),
    ]
    assert [(p.code, p.table) for p in findings.problems] == [
        ("invalid-path-prefix", "b"),
        ("not-a-boolean", "/c"),
    ]


def test_review_checks_past_structural_problems_and_names_every_prefix_twice_spelt() -> None:
    config = {
        "paths": {
            "/api": {"allow_origin": [APP], "max_age": -5},
            "/x/": {"allow_origins": [APP]},
            "/x": {"allow_origins": [APP]},
        }
    }
    review = review_policy_mapping(config)
    # The walk's structural problems first, then each table's own.
    assert [(p.code, p.table, p.key) for p in review.problems] == [
        ("duplicate-path-prefix", "/x", None),
        ("unknown-key", "/api", "allow_origin"),
        ("max-age-out-of-range", "/api", "max_age"),
    ]
    # The loader stops at the unknown key and names the duplicate all the same.
    with pytest.raises(CORSConfigError) as caught:
        load_policy(config)
    assert [p.code for p in caught.value.problems] == ["duplicate-path-prefix", "unknown-key"]


def test_a_policy_has_every_validated_setting_as_its_attribute() -> None:
    """CORSPolicy adopts the first fields of the validated configuration by position."""
    from corecors.validation import PUBLIC_SETTINGS, PolicyConfig

    assert PolicyConfig._fields[: len(PUBLIC_SETTINGS)] == PUBLIC_SETTINGS
    policy = CORSPolicy(allow_origins=[APP], allow_methods=["put"], max_age=7, debug=True)
    assert (policy.allow_origins, policy.allow_methods, policy.max_age, policy.debug) == (
        (APP,),
        ("PUT",),
        7,
        True,
    )
    assert policy.max_request_headers_count == 64
    assert policy.warnings == ()
