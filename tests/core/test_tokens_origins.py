"""Unit tests of the building blocks: tokens, ACRH parsing, Vary merging, origins, paths."""

from __future__ import annotations

import pytest

from corecors import CORSPolicy, DecisionKind, PathPolicies, RequestInfo, merge_vary
from corecors.origins import OriginPattern, is_loopback_host, parse_origin, parse_origin_pattern
from corecors.tokens import (
    is_forbidden_request_header_name,
    is_token,
    normalize_method,
    parse_request_header_names,
    printable,
)


@pytest.mark.parametrize(
    ("existing", "names", "expected"),
    [
        (None, ["Origin"], "Origin"),
        ("", ["Origin"], "Origin"),
        ("Accept-Encoding", ["Origin"], "Accept-Encoding, Origin"),
        ("accept-encoding, origin", ["Origin"], "accept-encoding, origin"),
        ("ORIGIN", ["Origin"], "ORIGIN"),
        ("*", ["Origin"], "*"),
        ("Accept, *", ["Origin"], "Accept, *"),
        ("Accept,", ["Origin"], "Accept, Origin"),
        (None, ["Origin", "origin"], "Origin"),
        (None, [], None),
        ("Accept", [], "Accept"),
        (
            None,
            ["Origin", "Access-Control-Request-Method"],
            "Origin, Access-Control-Request-Method",
        ),
    ],
)
def test_merge_vary(existing: str | None, names: list[str], expected: str | None) -> None:
    assert merge_vary(existing, names) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("content-type", ("content-type",)),
        ("Content-Type,X-Token", ("content-type", "x-token")),
        ("  a ,\tb\t, ,", ("a", "b")),
        ("", ()),
        (",,,", ()),
        ("a b", None),
        ("a,b:c", None),
        ("a,\u00e9", None),
        ("a\r\nb", None),
        ("x" * 5000, None),
        ("," * 100, None),
        (",".join(f"h{index}" for index in range(64)), tuple(f"h{index}" for index in range(64))),
        (",".join(f"h{index}" for index in range(65)), None),
    ],
)
def test_parse_request_header_names(value: str, expected: tuple[str, ...] | None) -> None:
    assert parse_request_header_names(value, max_length=4096, max_count=64) == expected


def test_huge_comma_list_is_refused_without_splitting_it_all() -> None:
    assert parse_request_header_names("," * 1_000_000, max_length=2_000_000, max_count=64) is None


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("get", "GET"),
        ("Delete", "DELETE"),
        ("options", "OPTIONS"),
        ("patch", "patch"),
        ("PATCH", "PATCH"),
        ("propfind", "propfind"),
    ],
)
def test_normalize_method_like_fetch(method: str, expected: str) -> None:
    assert normalize_method(method) == expected


@pytest.mark.parametrize("name", ["cookie", "host", "sec-ch-ua", "proxy-x", "origin", "te"])
def test_forbidden_request_header_names(name: str) -> None:
    assert is_forbidden_request_header_name(name)


@pytest.mark.parametrize("name", ["x-token", "authorization", "content-type", "accept"])
def test_settable_request_header_names(name: str) -> None:
    assert not is_forbidden_request_header_name(name)


@pytest.mark.parametrize(
    ("value", "ok"),
    [("GET", True), ("x-a_b.c~1", True), ("a b", False), ("", False), ("a,b", False), ("é", False)],
)
def test_is_token(value: str, ok: bool) -> None:
    assert is_token(value) is ok


def test_printable_escapes_and_bounds() -> None:
    assert printable("a\r\nb") == "'a\\x0d\\x0ab'"
    assert printable("x" * 100, limit=10).endswith("... (100 characters)")
    assert printable("\u2603") == "'\\u2603'"


@pytest.mark.parametrize(
    "origin",
    [
        "https://a.example",
        "http://localhost:3000",
        "http://[::1]:8080",
        "http://10.0.0.1",
        "chrome-extension://abc",
        "https://xn--bcher-kva.example",
        "https://a_b.example",
    ],
)
def test_valid_serialized_origins_parse(origin: str) -> None:
    assert parse_origin(origin) is not None


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "",
        "https://",
        "https://a.example/",
        "https://a.example:443",
        "http://a.example:80",
        "HTTPS://a.example",
        "https://a.example:0",
        "https://a.example:65536",
        "https://a..example",
        "https://.a.example",
        "https://a.example.",
        "http://[::0:1]",
        "http://1.2.3.04",
        "file://a",
        "https://a.example?",
        "https://a@b.example",
        "https://" + "a" * 64 + ".example",
        "https://a.example:08080",
        "a.example",
        "//a.example",
        "https://a.example ,",
    ],
)
def test_invalid_serialized_origins_do_not_parse(origin: str) -> None:
    assert parse_origin(origin) is None


def test_origin_length_is_checked_first() -> None:
    assert parse_origin("https://a.example", max_length=10) is None


def test_origin_pattern_round_trips() -> None:
    for text in [
        "https://a.example",
        "https://*.a.example",
        "http://localhost:*",
        "https://*.a.example:*",
        "https://a.example:8443",
    ]:
        pattern = parse_origin_pattern(text)
        assert isinstance(pattern, OriginPattern)
        assert pattern.serialize() == text


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("app.localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("[::1]", True),
        ("example.com", False),
        ("10.0.0.1", False),
        ("localhost.evil", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# --- per-path policies -------------------------------------------------------------------

API = CORSPolicy(allow_origins=["https://app.example.com"], allow_credentials=True)
PUBLIC = CORSPolicy(allow_origins=["*"])
DEFAULT = CORSPolicy(allow_origins=["https://other.example.com"])


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api", API),
        ("/api/", API),
        ("/api/users/1", API),
        ("/apis", DEFAULT),
        ("/public/x", PUBLIC),
        ("/public", PUBLIC),
        ("/publicity", DEFAULT),
        ("/api/internal/x", None),
        ("/api/internals", API),
        ("/", DEFAULT),
        ("", DEFAULT),
    ],
)
def test_longest_path_prefix_wins_on_segment_boundaries(
    path: str, expected: CORSPolicy | None
) -> None:
    policies = PathPolicies(
        {"/api/": API, "/public": PUBLIC, "/api/internal": None}, default=DEFAULT
    )
    assert policies.policy_for(path) is expected


def test_root_prefix_is_the_default() -> None:
    policies = PathPolicies({"/": PUBLIC, "/api": API})
    assert policies.policy_for("/anything") is PUBLIC


def test_path_policies_decide_by_path() -> None:
    policies = PathPolicies({"/api": API, "/public": PUBLIC})
    origin = "https://app.example.com"
    api = policies.decide(RequestInfo("GET", origin, path="/api/x"))
    assert dict(api.headers)["Access-Control-Allow-Credentials"] == "true"
    public = policies.decide(RequestInfo("GET", "https://any.example", path="/public/x"))
    assert dict(public.headers)["Access-Control-Allow-Origin"] == "*"
    elsewhere = policies.decide(RequestInfo("GET", origin, path="/other"))
    assert elsewhere.kind is DecisionKind.DISABLED
    assert elsewhere.headers == ()
    assert elsewhere.vary == ()


def test_path_policies_websocket_check_by_path() -> None:
    policies = PathPolicies({"/ws": API})
    assert policies.decide_websocket("https://evil.example", "/ws/chat").status == 403
    assert policies.decide_websocket("https://evil.example", "/other").kind is (
        DecisionKind.DISABLED
    )


def test_path_policies_refuse_bad_prefixes_and_values() -> None:
    from corecors import CORSConfigError

    with pytest.raises(CORSConfigError) as caught:
        PathPolicies({"api": API, "/x": "policy"})  # type: ignore[dict-item]
    assert "must start with '/'" in str(caught.value)
    assert "expected a CORSPolicy or None" in str(caught.value)


@pytest.mark.parametrize(
    ("host", "literal"),
    [
        ("[::1]", True),
        ("127.0.0.1", True),
        ("10.0.0.300", True),  # not a valid address, but read as IPv4 all the same
        ("example.123", True),
        ("1.2.3.example", False),
        ("example.com", False),
        ("localhost", False),
    ],
)
def test_is_ip_literal_follows_the_url_standards_last_label_rule(host: str, literal: bool) -> None:
    from corecors.origins import is_ip_literal

    assert is_ip_literal(host) is literal
