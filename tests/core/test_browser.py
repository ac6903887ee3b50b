"""The browser oracle (``corecors.browser``) against the Fetch standard and the WPT cases.

Tables name each case after the rule it checks. ``ORIGIN`` plays the page's origin; references
such as ``origin.htm`` point at the web-platform-tests files the cases come from.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corecors.browser import (
    SAFELISTED_RESPONSE_HEADER_NAMES,
    BrowserRequest,
    BrowserVerdict,
    FailureStep,
    Headers,
    check_cors,
    check_preflight,
    check_response,
    cors_unsafe_request_header_names,
    exposed_response_header_names,
    is_cors_safelisted_request_header,
    is_forbidden_request_header,
    needs_preflight,
    normalize_method,
    preflight_cache_seconds,
    preflight_request_headers,
    request_header_list,
    simulate,
)
from tests.scenarios import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA

ORIGIN = "https://app.example.com"
HOST = "app.example.com"

F = FailureStep


def allow(*, credentials: bool = False) -> list[tuple[str, str]]:
    """The CORS-check headers that pass for ORIGIN."""
    if credentials:
        return [(ACAO, ORIGIN), (ACAC, "true")]
    return [(ACAO, "*")]


#: A request from ORIGIN: ``request(method, headers, credentials=..., ...)``.
request = partial(BrowserRequest, ORIGIN)


def assert_verdict(verdict: BrowserVerdict, step: FailureStep | None) -> None:
    assert verdict.step is step, verdict.message
    assert verdict.ok is (step is None)
    assert bool(verdict.message) is (step is not None)


# --------------------------------------------------------------------------------------------
# Method normalization (rule 8)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        pytest.param("get", "GET", id="get_is_uppercased"),
        pytest.param("Post", "POST", id="mixed_case_post_is_uppercased"),
        pytest.param("head", "HEAD", id="head_is_uppercased"),
        pytest.param("put", "PUT", id="put_is_uppercased"),
        pytest.param("dElEtE", "DELETE", id="delete_any_case_is_uppercased"),
        pytest.param("options", "OPTIONS", id="options_is_uppercased"),
        pytest.param("patch", "patch", id="patch_keeps_author_casing"),
        pytest.param("Patch", "Patch", id="mixed_case_patch_keeps_author_casing"),
        pytest.param("PATCH", "PATCH", id="uppercase_patch_unchanged"),
        pytest.param("custom", "custom", id="custom_method_keeps_casing"),
        pytest.param("po\u017ft", "po\u017ft", id="uppercasing_is_ascii_only"),
    ],
)
def test_normalize_method_uppercases_only_the_six_standard_methods(
    method: str, expected: str
) -> None:
    assert normalize_method(method) == expected


# --------------------------------------------------------------------------------------------
# CORS-safelisted request-header (rule 9)
# --------------------------------------------------------------------------------------------

LONG_PARAMS = "text/plain; long=" + "0123456789" * 12


@pytest.mark.parametrize(
    ("name", "value", "safelisted"),
    [
        pytest.param("Accept", "*/*", True, id="accept_any_is_safelisted"),
        pytest.param("accept", "a" * 128, True, id="accept_128_bytes_is_safelisted"),
        pytest.param("accept", "a" * 129, False, id="accept_129_bytes_is_not"),
        pytest.param("accept", '"', False, id="accept_with_double_quote_is_not"),
        pytest.param("accept", "text/html(", False, id="accept_with_parenthesis_is_not"),
        pytest.param("accept", "a\x01", False, id="accept_with_control_byte_is_not"),
        pytest.param("accept", "a\tb", True, id="accept_with_tab_is_safelisted"),
        pytest.param("Accept-Language", "en-US,en;q=0.9", True, id="accept_language_plain"),
        pytest.param("accept-language", "@", False, id="accept_language_at_sign_is_not"),
        pytest.param("accept-language", "\x01", False, id="accept_language_control_is_not"),
        pytest.param("content-language", "de-DE, *", True, id="content_language_plain"),
        pytest.param("content-language", "@", False, id="content_language_at_sign_is_not"),
        pytest.param("content-language", "d\u00e9", False, id="content_language_non_ascii_is_not"),
        pytest.param("Content-Type", "text/plain", True, id="content_type_text_plain"),
        pytest.param(
            "content-type", "text/plain;charset=utf-8", True, id="content_type_with_charset"
        ),
        pytest.param("content-type", "Text/Plain", True, id="content_type_is_case_insensitive"),
        pytest.param(
            "content-type",
            "application/x-www-form-urlencoded",
            True,
            id="content_type_urlencoded_form",
        ),
        pytest.param(
            "content-type", "multipart/form-data; boundary=x", True, id="content_type_multipart"
        ),
        pytest.param("content-type", "text/plain;", True, id="content_type_empty_parameters"),
        pytest.param("content-type", "text/plain;garbage", True, id="content_type_junk_param"),
        pytest.param("content-type", "application/json", False, id="content_type_json_is_not"),
        pytest.param("content-type", "text/html", False, id="content_type_html_is_not"),
        pytest.param("content-type", "text/plain,x/x", False, id="content_type_list_is_not"),
        pytest.param("content-type", "text/plain,", False, id="content_type_trailing_comma"),
        pytest.param("content-type", ",text/plain", False, id="content_type_leading_comma"),
        pytest.param("content-type", "text /plain", False, id="content_type_space_in_type"),
        pytest.param("content-type", "text\t/\tplain", False, id="content_type_tabs_in_type"),
        pytest.param("content-type", "text/plain\x0b", False, id="content_type_vertical_tab"),
        pytest.param(
            "content-type", "text/plain;garbage\x01\x02", False, id="content_type_control_bytes"
        ),
        pytest.param(
            "content-type",
            "application/www-form-urlencoded",
            False,
            id="content_type_almost_urlencoded",
        ),
        pytest.param(
            "content-type", 'text/plain; charset="utf-8"', False, id="content_type_quote_is_unsafe"
        ),
        pytest.param("content-type", LONG_PARAMS, False, id="content_type_over_128_bytes"),
        pytest.param("range", "bytes=0-", True, id="range_open_ended_is_safelisted"),
        pytest.param("Range", "bytes=100-200", True, id="range_closed_is_safelisted"),
        pytest.param("range", "bytes=-500", False, id="range_suffix_is_not"),
        pytest.param("range", "bytes 0-", False, id="range_without_equals_is_not"),
        pytest.param("range", "bytes =100-200", False, id="range_whitespace_is_not"),
        pytest.param("range", "bytes=100 -200", False, id="range_inner_whitespace_is_not"),
        pytest.param("range", "Bytes=0-", False, id="range_unit_is_case_sensitive"),
        pytest.param("range", "MB=100-200", False, id="range_other_unit_is_not"),
        pytest.param("range", "bytes=200-100", False, id="range_start_after_end_is_not"),
        pytest.param("range", "bytes=100-200,300-400", False, id="range_multiple_is_not"),
        pytest.param("range", "bytes=abc-def", False, id="range_non_digits_is_not"),
        pytest.param(
            "range", "bytes=1" + "0" * 60 + "-2" + "0" * 60, False, id="range_over_128_bytes"
        ),
        pytest.param("authorization", "Bearer x", False, id="authorization_is_never"),
        pytest.param("x-custom", "1", False, id="custom_header_is_never"),
        pytest.param("last-event-id", "abc123", False, id="last_event_id_is_not_safelisted"),
    ],
)
def test_cors_safelisted_request_header(name: str, value: str, safelisted: bool) -> None:
    assert is_cors_safelisted_request_header(name, value) is safelisted


@pytest.mark.parametrize(
    ("name", "value", "forbidden"),
    [
        pytest.param("Cookie", "a=b", True, id="cookie"),
        pytest.param("Origin", ORIGIN, True, id="origin"),
        pytest.param("Access-Control-Request-Headers", "x", True, id="acrh"),
        pytest.param("Sec-Fetch-Mode", "cors", True, id="sec_prefix"),
        pytest.param("Proxy-Authorization", "x", True, id="proxy_prefix"),
        pytest.param("X-HTTP-Method-Override", "trace", True, id="override_to_forbidden_method"),
        pytest.param("X-Method-Override", "GET, CONNECT", True, id="override_list_with_connect"),
        pytest.param("X-HTTP-Method", "PATCH", False, id="override_to_allowed_method"),
        pytest.param("Authorization", "Bearer x", False, id="authorization_is_allowed"),
        pytest.param("X-Token", "1", False, id="custom_header_is_allowed"),
    ],
)
def test_forbidden_request_headers(name: str, value: str, forbidden: bool) -> None:
    assert is_forbidden_request_header(name, value) is forbidden


# --------------------------------------------------------------------------------------------
# CORS-unsafe request-header names and ACRH (rules 10, 11)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param([], [], id="no_headers_nothing_unsafe"),
        pytest.param([("Accept", "*/*")], [], id="safelisted_header_is_not_listed"),
        pytest.param(
            [("X-B", "1"), ("X-A", "2")], ["x-a", "x-b"], id="names_are_lowercased_and_sorted"
        ),
        pytest.param(
            [("X-Token", "a"), ("x-token", "b")], ["x-token"], id="names_are_deduplicated"
        ),
        pytest.param(
            [("Content-Type", "application/json"), ("Authorization", "x")],
            ["authorization", "content-type"],
            id="unsafe_value_makes_safelisted_name_unsafe",
        ),
        pytest.param(
            [("Cookie", "a"), ("Sec-Foo", "b"), ("Proxy-X", "c"), ("Host", "h")],
            [],
            id="forbidden_headers_never_appear",
        ),
        pytest.param(
            [("Accept", "  text/html  ")], [], id="values_are_trimmed_before_the_safelist"
        ),
        pytest.param(
            [("accept", "a" * 128)] * 8, [], id="safelisted_values_of_exactly_1024_bytes_stay_safe"
        ),
        pytest.param(
            [("accept", "a" * 128)] * 8 + [("Accept-Language", "x")],
            ["accept", "accept-language"],
            id="over_1024_safelisted_bytes_make_every_safelisted_name_unsafe",
        ),
        pytest.param(
            [("accept", "a" * 128)] * 8 + [("X-Z", "z" * 200), ("content-language", "de")],
            ["accept", "content-language", "x-z"],
            id="unsafe_values_do_not_count_towards_1024_but_rule_still_applies",
        ),
    ],
)
def test_cors_unsafe_request_header_names(headers: Headers, expected: list[str]) -> None:
    assert cors_unsafe_request_header_names(headers) == expected


def test_repeated_safelisted_header_is_combined_on_the_wire_and_becomes_unsafe() -> None:
    headers = [("Content-Type", "text/plain"), ("content-type", "text/plain")]
    assert cors_unsafe_request_header_names(headers) == []  # each entry alone is safelisted
    assert request_header_list(headers) == [("Content-Type", "text/plain, text/plain")]
    req = request("POST", headers)
    assert needs_preflight(req)
    assert ("Access-Control-Request-Headers", "content-type") in preflight_request_headers(req)


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        pytest.param(
            request("PUT"),
            [("Origin", ORIGIN), ("Access-Control-Request-Method", "PUT")],
            id="no_acrh_when_no_unsafe_headers",
        ),
        pytest.param(
            request("put", [("X-B", "1"), ("x-a", "2"), ("Content-Type", "application/json")]),
            [
                ("Origin", ORIGIN),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", "content-type,x-a,x-b"),
            ],
            id="acrh_sorted_lowercase_joined_with_comma_no_space",
        ),
        pytest.param(
            request("patch"),
            [("Origin", ORIGIN), ("Access-Control-Request-Method", "patch")],
            id="acrm_keeps_casing_of_non_normalized_method",
        ),
        pytest.param(
            request("GET", [("X-Token", "1"), ("Cookie", "a=b")]),
            [
                ("Origin", ORIGIN),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "x-token"),
            ],
            id="safelisted_method_with_unsafe_header",
        ),
        pytest.param(
            request("POST", use_cors_preflight=True),
            [("Origin", ORIGIN), ("Access-Control-Request-Method", "POST")],
            id="use_cors_preflight_flag_sends_acrm_only",
        ),
        pytest.param(
            request(private_network=True),
            [
                ("Origin", ORIGIN),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Private-Network", "true"),
            ],
            id="private_network_adds_acrpn",
        ),
    ],
)
def test_preflight_request_headers(req: BrowserRequest, expected: list[tuple[str, str]]) -> None:
    assert preflight_request_headers(req) == expected


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        pytest.param(request("GET"), False, id="plain_get_is_simple"),
        pytest.param(request("head"), False, id="lowercase_head_is_simple"),
        pytest.param(
            request("post", [("Content-Type", "text/plain;charset=utf-8")]),
            False,
            id="text_plain_post_is_simple",
        ),
        pytest.param(
            request(
                "GET",
                [
                    ("Accept", "*/*"),
                    ("Accept-Language", "en"),
                    ("Content-Language", "en"),
                    ("Content-Type", "Text/Plain"),
                ],
            ),
            False,
            id="all_safelisted_headers_are_simple",
        ),
        pytest.param(request("GET", [("Cookie", "a=b")]), False, id="forbidden_header_ignored"),
        pytest.param(request("PUT"), True, id="put_needs_preflight"),
        pytest.param(request("patch"), True, id="patch_needs_preflight"),
        pytest.param(request("GET", [("X-Token", "1")]), True, id="custom_header_needs_one"),
        pytest.param(
            request("GET", [("Accept", "a" * 129)]), True, id="long_accept_needs_preflight"
        ),
        pytest.param(request("POST", use_cors_preflight=True), True, id="use_cors_preflight"),
        pytest.param(request("GET", private_network=True), True, id="private_network"),
    ],
)
def test_needs_preflight(req: BrowserRequest, expected: bool) -> None:
    assert needs_preflight(req) is expected


# --------------------------------------------------------------------------------------------
# The CORS check: Access-Control-Allow-Origin (rules 22-25, WPT cors/origin.htm)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("*", id="star"),
        pytest.param(" *  ", id="star_with_spaces"),
        pytest.param("\t*", id="star_with_tab"),
        pytest.param(ORIGIN, id="exact_origin"),
        pytest.param(" " + ORIGIN, id="origin_leading_space"),
        pytest.param(" " + ORIGIN + "   \t ", id="origin_surrounding_whitespace"),
        pytest.param("\t" + ORIGIN, id="origin_leading_tab"),
    ],
)
def test_allow_origin_accepted(value: str) -> None:
    assert_verdict(check_cors(request(), [(ACAO, value)]), None)


MISMATCH = F.ALLOW_ORIGIN_MISMATCH
MULTIPLE = F.MULTIPLE_ALLOW_ORIGIN


@pytest.mark.parametrize(
    ("value", "step"),
    [
        pytest.param("https://sub." + HOST, MISMATCH, id="subdomain"),
        pytest.param("//" + HOST, MISMATCH, id="no_scheme"),
        pytest.param("://" + HOST, MISMATCH, id="empty_scheme"),
        pytest.param("ftp://" + HOST, MISMATCH, id="other_scheme"),
        pytest.param("https:://" + HOST, MISMATCH, id="double_colon"),
        pytest.param("https:/" + HOST, MISMATCH, id="single_slash"),
        pytest.param("https:" + HOST, MISMATCH, id="no_slashes"),
        pytest.param(HOST, MISMATCH, id="host_only"),
        pytest.param(ORIGIN + "?", MISMATCH, id="trailing_question_mark"),
        pytest.param(ORIGIN + "/", MISMATCH, id="trailing_slash"),
        pytest.param(ORIGIN + " /", MULTIPLE, id="space_slash"),
        pytest.param(ORIGIN + "#", MISMATCH, id="trailing_hash"),
        pytest.param(ORIGIN + "%23", MISMATCH, id="trailing_encoded_hash"),
        pytest.param(ORIGIN + ":443", MISMATCH, id="explicit_default_port"),
        pytest.param(ORIGIN + ", *", MULTIPLE, id="origin_comma_star"),
        pytest.param(ORIGIN + "\0", MISMATCH, id="trailing_nul"),
        pytest.param(ORIGIN.upper(), MISMATCH, id="uppercase_origin"),
        pytest.param("HTTPS://" + HOST, MISMATCH, id="uppercase_scheme"),
        pytest.param("-", MISMATCH, id="dash"),
        pytest.param("**", MISMATCH, id="double_star"),
        pytest.param("\0*", MISMATCH, id="nul_star"),
        pytest.param("*\0", MISMATCH, id="star_nul"),
        pytest.param("'*'", MISMATCH, id="single_quoted_star"),
        pytest.param('"*"', MISMATCH, id="double_quoted_star"),
        pytest.param("* *", MULTIPLE, id="star_space_star"),
        pytest.param("* null", MULTIPLE, id="star_space_null"),
        pytest.param("*https://*", MISMATCH, id="star_scheme_star"),
        pytest.param("*" + ORIGIN, MISMATCH, id="star_prefixed_origin"),
        pytest.param("* " + ORIGIN, MULTIPLE, id="star_space_origin"),
        pytest.param("*, " + ORIGIN, MULTIPLE, id="star_comma_origin"),
        pytest.param("\0" + ORIGIN, MISMATCH, id="nul_prefixed_origin"),
        pytest.param("null " + ORIGIN, MULTIPLE, id="null_space_origin"),
        pytest.param("http://example.net", MISMATCH, id="unrelated_origin"),
        pytest.param("null", MISMATCH, id="null_for_non_null_page"),
        pytest.param("null *", MULTIPLE, id="null_space_star"),
        pytest.param("", MISMATCH, id="empty_value"),
        pytest.param(ORIGIN + "/index.html", MISMATCH, id="page_url"),
        pytest.param("example.com", MISMATCH, id="parent_domain"),
        pytest.param(".example.com", MISMATCH, id="dot_parent_domain"),
        pytest.param("*.example.com", MISMATCH, id="wildcard_subdomain_pattern"),
        pytest.param("https://example.com", MISMATCH, id="parent_origin"),
        pytest.param("https://*.example.com", MISMATCH, id="wildcard_origin_pattern"),
    ],
)
def test_allow_origin_rejected(value: str, step: FailureStep) -> None:
    assert_verdict(check_cors(request(), [(ACAO, value)]), step)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("", "*", id="empty_then_star"),
        pytest.param("*", "", id="star_then_empty"),
        pytest.param("*", "*", id="star_twice"),
        pytest.param("", ORIGIN, id="empty_then_origin"),
        pytest.param("*", ORIGIN, id="star_then_origin"),
        pytest.param(ORIGIN, ORIGIN, id="identical_origin_twice"),
    ],
)
def test_two_allow_origin_lines_always_fail(first: str, second: str) -> None:
    verdict = check_cors(request(), [(ACAO, first), ("X-Other", "1"), (ACAO.lower(), second)])
    assert_verdict(verdict, MULTIPLE)
    assert "exactly one" in verdict.message


def test_missing_allow_origin() -> None:
    verdict = check_cors(request(), [("Content-Type", "text/plain")])
    assert_verdict(verdict, F.MISSING_ALLOW_ORIGIN)
    assert ORIGIN in verdict.message


def test_null_origin_page_accepts_literal_null() -> None:
    page = BrowserRequest(origin="null")
    assert_verdict(check_cors(page, [(ACAO, "null")]), None)
    assert_verdict(check_cors(page, [(ACAO, ORIGIN)]), MISMATCH)


# --------------------------------------------------------------------------------------------
# The CORS check: credentials (rules 25, 26, WPT cors/credentials-flag.htm)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "step"),
    [
        pytest.param([(ACAO, ORIGIN), (ACAC, "true")], None, id="origin_and_true_pass"),
        pytest.param([(ACAO, ORIGIN), (ACAC, " true ")], None, id="surrounding_space_trimmed"),
        pytest.param([(ACAO, ORIGIN)], F.MISSING_ALLOW_CREDENTIALS, id="acac_missing"),
        pytest.param([(ACAO, ORIGIN), (ACAC, "True")], F.MISSING_ALLOW_CREDENTIALS, id="True"),
        pytest.param([(ACAO, ORIGIN), (ACAC, "TRUE")], F.MISSING_ALLOW_CREDENTIALS, id="TRUE"),
        pytest.param(
            [(ACAO, ORIGIN), (ACAC, '"true"')], F.MISSING_ALLOW_CREDENTIALS, id="quoted_true"
        ),
        pytest.param([(ACAO, ORIGIN), (ACAC, "1")], F.MISSING_ALLOW_CREDENTIALS, id="one"),
        pytest.param([(ACAO, ORIGIN), (ACAC, "false")], F.MISSING_ALLOW_CREDENTIALS, id="false"),
        pytest.param([(ACAO, ORIGIN), (ACAC, "0")], F.MISSING_ALLOW_CREDENTIALS, id="zero"),
        pytest.param([(ACAO, ORIGIN), (ACAC, "")], F.MISSING_ALLOW_CREDENTIALS, id="empty"),
        pytest.param(
            [(ACAO, ORIGIN), (ACAC, "true"), (ACAC, "true")],
            F.MISSING_ALLOW_CREDENTIALS,
            id="two_true_lines",
        ),
        pytest.param(
            [(ACAO, "*"), (ACAC, "true")],
            F.WILDCARD_ORIGIN_WITH_CREDENTIALS,
            id="star_fails_with_credentials_even_with_acac",
        ),
        pytest.param(
            [(ACAO, " * "), (ACAC, "true")],
            F.WILDCARD_ORIGIN_WITH_CREDENTIALS,
            id="trimmed_star_fails_with_credentials",
        ),
    ],
)
def test_credentialed_cors_check(headers: Headers, step: FailureStep | None) -> None:
    assert_verdict(check_cors(request(credentials=True), headers), step)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([(ACAO, "*"), (ACAC, "TRUE")], id="star_with_bad_acac"),
        pytest.param([(ACAO, ORIGIN), (ACAC, "false")], id="origin_with_false_acac"),
        pytest.param([(ACAO, ORIGIN)], id="origin_without_acac"),
    ],
)
def test_allow_credentials_is_ignored_without_credentials(headers: Headers) -> None:
    assert_verdict(check_cors(request(), headers), None)


# --------------------------------------------------------------------------------------------
# The preflight: status and redirects (rules 33, 34, WPT cors-preflight-status.any.js)
# --------------------------------------------------------------------------------------------

PUT_WITH_TOKEN = request("PUT", [("X-Token", "1")])
PREFLIGHT_OK = [(ACAO, "*"), (ACAM, "PUT"), (ACAH, "x-token")]


@pytest.mark.parametrize(
    ("status", "step"),
    [pytest.param(code, None, id=f"status_{code}_passes") for code in range(200, 207)]
    + [
        pytest.param(code, F.PREFLIGHT_REDIRECT, id=f"status_{code}_is_a_redirect")
        for code in range(300, 309)
    ]
    + [
        pytest.param(code, F.PREFLIGHT_STATUS, id=f"status_{code}_fails")
        for code in [*range(400, 406), *range(501, 506)]
    ],
)
def test_preflight_status(status: int, step: FailureStep | None) -> None:
    assert_verdict(check_preflight(PUT_WITH_TOKEN, status, PREFLIGHT_OK), step)


def test_preflight_cors_check_is_reported_before_a_bad_status() -> None:
    verdict = check_preflight(PUT_WITH_TOKEN, 401, [])
    assert_verdict(verdict, F.MISSING_ALLOW_ORIGIN)
    assert verdict.on_preflight
    assert "401" in verdict.message


def test_preflight_uses_the_actual_requests_credentials_mode() -> None:
    req = request("PUT", credentials=True)
    ok = [(ACAO, ORIGIN), (ACAC, "true"), (ACAM, "PUT")]
    assert_verdict(check_preflight(req, 204, ok), None)
    assert_verdict(check_preflight(req, 204, ok[::2]), F.MISSING_ALLOW_CREDENTIALS)
    assert_verdict(
        check_preflight(req, 204, [(ACAO, "*"), (ACAM, "PUT")]), F.WILDCARD_ORIGIN_WITH_CREDENTIALS
    )


# --------------------------------------------------------------------------------------------
# The preflight: parsing ACAM and ACAH (rules 36, 39, WPT cors-preflight-response-validation)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "step"),
    [
        pytest.param([(ACAM, "Bad method name")], F.INVALID_ALLOW_METHODS, id="acam_with_spaces"),
        pytest.param([(ACAM, "PUT, GET;")], F.INVALID_ALLOW_METHODS, id="acam_semicolon_element"),
        pytest.param([(ACAM, "PUT/1")], F.INVALID_ALLOW_METHODS, id="acam_slash_element"),
        pytest.param(
            [(ACAM, "PUT"), (ACAM, "GET, bad method")],
            F.INVALID_ALLOW_METHODS,
            id="acam_invalid_element_in_second_line_fails_even_if_put_listed",
        ),
        pytest.param(
            [(ACAM, "PUT,,"), (ACAH, "x-token")], None, id="acam_empty_elements_tolerated"
        ),
        pytest.param(
            [(ACAM, " , PUT"), (ACAH, "x-token")], None, id="acam_leading_empty_element_tolerated"
        ),
        pytest.param(
            [(ACAM, "GET\t,\tPUT"), (ACAH, "x-token")],
            None,
            id="acam_tabs_around_elements_tolerated",
        ),
        pytest.param(
            [(ACAM, "GET"), (ACAM, "PUT"), (ACAH, "x-token")],
            None,
            id="acam_several_lines_tolerated",
        ),
        pytest.param(
            [(ACAM, "PUT"), (ACAH, "x-token, header name with space")],
            F.INVALID_ALLOW_HEADERS,
            id="acah_with_spaces",
        ),
        pytest.param(
            [(ACAM, "PUT"), (ACAH, "x-token;")], F.INVALID_ALLOW_HEADERS, id="acah_semicolon"
        ),
        pytest.param(
            [(ACAM, "PUT"), (ACAH, "x-token ,, ,")], None, id="acah_empty_elements_tolerated"
        ),
        pytest.param(
            [(ACAM, "PUT"), (ACAH, "x-other"), (ACAH, "X-Token")],
            None,
            id="acah_several_lines_tolerated",
        ),
        pytest.param(
            [(ACAM, "Bad method"), (ACAH, "bad header")],
            F.INVALID_ALLOW_METHODS,
            id="acam_is_parsed_before_acah",
        ),
    ],
)
def test_allow_list_parsing(extra: list[tuple[str, str]], step: FailureStep | None) -> None:
    assert_verdict(check_preflight(PUT_WITH_TOKEN, 204, [(ACAO, "*"), *extra]), step)


# --------------------------------------------------------------------------------------------
# The preflight: "*" with and without credentials (rules 37, 40, WPT cors-preflight-star)
# --------------------------------------------------------------------------------------------

X_TEST = [("X-Test", "1")]


@pytest.mark.parametrize(
    ("credentials", "acam", "acah", "method", "headers", "step"),
    [
        pytest.param(False, "get", "x-test", "GET", X_TEST, None, id="safelisted_get_any_acam"),
        pytest.param(False, "*", "x-test", "SUPER", X_TEST, None, id="star_method_no_creds"),
        pytest.param(False, "*", "*", "OK", X_TEST, None, id="star_both_no_creds"),
        pytest.param(
            True, "*", "*", "OK", X_TEST, F.METHOD_NOT_ALLOWED, id="star_method_literal_creds"
        ),
        pytest.param(True, "*", "", "PUT", [], F.METHOD_NOT_ALLOWED, id="star_put_literal_creds"),
        pytest.param(True, "PUT", "*", "PUT", [], None, id="listed_put_creds"),
        pytest.param(
            True, "get", "*", "GET", X_TEST, F.HEADER_NOT_ALLOWED, id="star_header_literal_creds"
        ),
        pytest.param(
            True, "*", "*", "GET", X_TEST, F.HEADER_NOT_ALLOWED, id="star_header_literal_get"
        ),
        pytest.param(True, "*", "*", "*", [("*", "1")], None, id="literal_star_matches_creds"),
        pytest.param(True, "put", "*", "PUT", [], F.METHOD_NOT_ALLOWED, id="lowercase_put_creds"),
    ],
)
def test_star_matrix(
    credentials: bool,
    acam: str,
    acah: str,
    method: str,
    headers: Headers,
    step: FailureStep | None,
) -> None:
    req = request(method, headers, credentials=credentials)
    response = [*allow(credentials=credentials), (ACAM, acam), (ACAH, acah)]
    assert_verdict(check_preflight(req, 200, response), step)


# --------------------------------------------------------------------------------------------
# The preflight: method case (rule 38)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "acam", "allowed"),
    [
        pytest.param("put", "PUT", True, id="put_normalized_matches_PUT"),
        pytest.param("put", "put", False, id="put_normalized_does_not_match_put"),
        pytest.param("PUT", "put", False, id="PUT_does_not_match_put"),
        pytest.param("delete", "DELETE", True, id="delete_normalized_matches_DELETE"),
        pytest.param("DELETE", "delete", False, id="DELETE_does_not_match_delete"),
        pytest.param("patch", "PATCH", False, id="patch_does_not_match_PATCH"),
        pytest.param("PATCH", "patch", False, id="PATCH_does_not_match_patch"),
        pytest.param("patch", "patch", True, id="patch_matches_patch"),
        pytest.param("PATCH", "PATCH", True, id="PATCH_matches_PATCH"),
        pytest.param("Custom", "custom", False, id="custom_method_is_case_sensitive"),
        pytest.param("options", "OPTIONS", True, id="options_normalized_matches_OPTIONS"),
        pytest.param("get", "get", True, id="safelisted_get_needs_no_acam"),
        pytest.param("post", "", True, id="safelisted_post_with_empty_acam"),
        pytest.param("HEAD", "DELETE", True, id="safelisted_head_ignores_acam"),
    ],
)
def test_method_case_grid(method: str, acam: str, allowed: bool) -> None:
    verdict = check_preflight(request(method), 204, [(ACAO, "*"), (ACAM, acam)])
    assert_verdict(verdict, None if allowed else F.METHOD_NOT_ALLOWED)


def test_method_case_mismatch_message_names_the_exact_method() -> None:
    verdict = check_preflight(request("put"), 204, [(ACAO, "*"), (ACAM, "get, put")])
    assert "'put'" in verdict.message
    assert "list 'PUT' exactly" in verdict.message


def test_missing_acam_for_unsafe_method() -> None:
    verdict = check_preflight(request("DELETE"), 204, [(ACAO, "*")])
    assert_verdict(verdict, F.METHOD_NOT_ALLOWED)
    assert "Access-Control-Allow-Methods: DELETE" in verdict.message


def test_use_cors_preflight_with_safelisted_method_needs_only_the_cors_check() -> None:
    req = request("POST", use_cors_preflight=True)
    assert_verdict(check_preflight(req, 204, [(ACAO, "*")]), None)


# --------------------------------------------------------------------------------------------
# The preflight: headers and Authorization (rules 40, 41)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "headers", "acah", "step"),
    [
        pytest.param(False, [("X-Token", "1")], "X-TOKEN", None, id="names_case_insensitive"),
        pytest.param(False, [("X-Token", "1")], "x-other", F.HEADER_NOT_ALLOWED, id="unlisted"),
        pytest.param(
            False, [("Authorization", "Bearer t")], "*", F.HEADER_NOT_ALLOWED, id="star_no_auth"
        ),
        pytest.param(
            False, [("Authorization", "Bearer t")], "*, Authorization", None, id="star_and_auth"
        ),
        pytest.param(
            False, [("Authorization", "Bearer t")], "AUTHORIZATION", None, id="auth_any_case"
        ),
        pytest.param(
            False,
            [("Authorization", "t"), ("X-Token", "1")],
            "*",
            F.HEADER_NOT_ALLOWED,
            id="star_covers_others_but_not_auth",
        ),
        pytest.param(
            False,
            [("Authorization", "t"), ("X-Token", "1")],
            "authorization, *",
            None,
            id="star_with_explicit_auth_covers_everything",
        ),
        pytest.param(
            True,
            [("Authorization", "t"), ("X-Token", "1")],
            "*, authorization",
            F.HEADER_NOT_ALLOWED,
            id="star_is_literal_with_credentials",
        ),
        pytest.param(
            True,
            [("Authorization", "t"), ("X-Token", "1")],
            "authorization, x-token",
            None,
            id="explicit_list_with_credentials",
        ),
        pytest.param(
            False,
            [("Content-Type", "application/json")],
            "x-token",
            F.HEADER_NOT_ALLOWED,
            id="json_content_type_must_be_listed",
        ),
        pytest.param(
            False,
            [("Content-Type", "text/plain"), ("X-Token", "1")],
            "x-token",
            None,
            id="safelisted_content_type_need_not_be_listed",
        ),
    ],
)
def test_header_check(
    credentials: bool, headers: Headers, acah: str, step: FailureStep | None
) -> None:
    req = request("GET", headers, credentials=credentials)
    verdict = check_preflight(req, 204, [*allow(credentials=credentials), (ACAH, acah)])
    assert_verdict(verdict, step)


def test_star_does_not_cover_authorization_message() -> None:
    verdict = check_preflight(
        request("GET", [("Authorization", "t")]), 204, [(ACAO, "*"), (ACAH, "*")]
    )
    assert verdict.message == (
        "'*' in the preflight response's Access-Control-Allow-Headers does not cover "
        "'authorization'; list it explicitly"
    )


def test_missing_header_message_says_what_to_add() -> None:
    verdict = check_preflight(
        request("GET", [("X-Token", "1")]), 204, [(ACAO, "*"), (ACAH, "x-other")]
    )
    assert verdict.message == (
        "the preflight response's Access-Control-Allow-Headers does not list 'x-token'; add it "
        "(header names compare case-insensitively)"
    )


def test_header_message_explains_a_safelisted_name_with_an_unsafe_value() -> None:
    verdict = check_preflight(
        request("GET", [("Content-Type", "application/json")]), 204, [(ACAO, "*")]
    )
    assert "'content-type'" in verdict.message
    assert "application/json" in verdict.message


# --------------------------------------------------------------------------------------------
# Private Network Access (rule 63)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("private_network", "extra", "step"),
    [
        pytest.param(True, [(ACAPN, "true")], None, id="true_passes"),
        pytest.param(True, [], F.MISSING_ALLOW_PRIVATE_NETWORK, id="missing_fails"),
        pytest.param(True, [(ACAPN, "True")], F.MISSING_ALLOW_PRIVATE_NETWORK, id="True_fails"),
        pytest.param(True, [(ACAPN, "1")], F.MISSING_ALLOW_PRIVATE_NETWORK, id="one_fails"),
        pytest.param(
            True,
            [(ACAPN, "true"), (ACAPN, "true")],
            F.MISSING_ALLOW_PRIVATE_NETWORK,
            id="two_lines_fail",
        ),
        pytest.param(False, [], None, id="not_needed_for_public_targets"),
    ],
)
def test_private_network_preflight(
    private_network: bool, extra: list[tuple[str, str]], step: FailureStep | None
) -> None:
    req = request("GET", private_network=private_network)
    assert_verdict(check_preflight(req, 204, [(ACAO, "*"), *extra]), step)


def test_private_network_preflight_still_needs_the_cors_check() -> None:
    req = request("GET", private_network=True)
    assert_verdict(check_preflight(req, 204, [(ACAPN, "true")]), F.MISSING_ALLOW_ORIGIN)


# --------------------------------------------------------------------------------------------
# Actual responses (rules 28, 47)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 204, 301, 302, 304, 307, 401, 404, 422, 500, 503])
def test_any_status_can_be_shared(status: int) -> None:
    assert_verdict(check_response(request(), status, [(ACAO, "*")]), None)
    assert_verdict(check_response(request(), status, []), F.MISSING_ALLOW_ORIGIN)


def test_actual_response_failure_is_not_about_the_preflight() -> None:
    verdict = check_response(request(credentials=True), 200, [(ACAO, "*")])
    assert_verdict(verdict, F.WILDCARD_ORIGIN_WITH_CREDENTIALS)
    assert not verdict.on_preflight


# --------------------------------------------------------------------------------------------
# Exposed response headers (rules 30, 31)
# --------------------------------------------------------------------------------------------

SAFE = set(SAFELISTED_RESPONSE_HEADER_NAMES)
PRESENT = [("X-Custom", "1"), ("Set-Cookie", "a=b"), ("Set-Cookie2", "c"), ("Date", "today")]


@pytest.mark.parametrize(
    ("credentials", "aceh", "expected"),
    [
        pytest.param(False, [], SAFE, id="safelisted_names_only_by_default"),
        pytest.param(False, ["X-A, x-b"], SAFE | {"x-a", "x-b"}, id="listed_names_lowercased"),
        pytest.param(False, ["x-a", "x-b"], SAFE | {"x-a", "x-b"}, id="several_lines"),
        pytest.param(False, ["x-a,,"], SAFE | {"x-a"}, id="empty_elements_tolerated"),
        pytest.param(
            False,
            ["*"],
            SAFE
            | {"x-custom", "date", "access-control-allow-origin", "access-control-expose-headers"},
            id="star_exposes_every_present_name_but_set_cookie",
        ),
        pytest.param(
            False,
            ["x-a, *"],
            SAFE
            | {"x-custom", "date", "access-control-allow-origin", "access-control-expose-headers"},
            id="star_works_among_other_values",
        ),
        pytest.param(True, ["*"], SAFE | {"*"}, id="star_is_literal_with_credentials"),
        pytest.param(True, ["X-Custom"], SAFE | {"x-custom"}, id="listed_name_with_credentials"),
        pytest.param(False, ["Set-Cookie, x-a"], SAFE | {"x-a"}, id="set_cookie_never_exposed"),
        pytest.param(False, ["set-cookie2"], SAFE, id="set_cookie2_never_exposed"),
        pytest.param(False, ["x-a, bad name"], SAFE, id="unparseable_list_exposes_nothing_extra"),
        pytest.param(False, [""], SAFE, id="empty_list_exposes_nothing_extra"),
    ],
)
def test_exposed_response_header_names(
    credentials: bool, aceh: list[str], expected: set[str]
) -> None:
    headers = [*allow(credentials=credentials), *((ACEH, value) for value in aceh), *PRESENT]
    req = request(credentials=credentials)
    names = exposed_response_header_names(req, headers)
    assert names == frozenset(expected)
    assert check_response(req, 200, headers).exposed_headers == names


def test_nothing_is_exposed_when_the_cors_check_fails() -> None:
    assert exposed_response_header_names(request(), [(ACEH, "*"), ("X-A", "1")]) == frozenset()


# --------------------------------------------------------------------------------------------
# Access-Control-Max-Age (rules 53-55)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "seconds"),
    [
        pytest.param([], 5, id="missing_defaults_to_5"),
        pytest.param(["0"], 0, id="zero_disables_caching"),
        pytest.param(["600"], 600, id="plain_value"),
        pytest.param([" 10 "], 10, id="whitespace_trimmed"),
        pytest.param(["7200"], 7200, id="chromium_cap_itself"),
        pytest.param(["86400"], 7200, id="capped_at_7200"),
        pytest.param(["9" * 40], 7200, id="huge_value_capped"),
        pytest.param(["-1"], 0, id="negative_means_not_cached_in_chromium"),
        pytest.param(["abc"], 5, id="garbage_defaults_to_5"),
        pytest.param(["1.5"], 5, id="fraction_defaults_to_5"),
        pytest.param(["5", "5"], 5, id="two_lines_fail_to_parse"),
    ],
)
def test_preflight_cache_seconds(values: list[str], seconds: int) -> None:
    assert preflight_cache_seconds([(ACMA, value) for value in values]) == seconds


# --------------------------------------------------------------------------------------------
# Requests fetch() refuses to make
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "req",
    [
        pytest.param(request("TRACE"), id="trace_is_forbidden"),
        pytest.param(request("connect"), id="connect_any_case_is_forbidden"),
        pytest.param(request("Track"), id="track_is_forbidden"),
        pytest.param(request("BAD METHOD"), id="method_must_be_a_token"),
        pytest.param(request("GET", [("Bad Name", "1")]), id="header_name_must_be_a_token"),
        pytest.param(request("GET", [("X-A", "a\r\nb")]), id="header_value_without_newlines"),
    ],
)
def test_invalid_requests_never_pass(req: BrowserRequest) -> None:
    assert_verdict(
        check_preflight(req, 204, [(ACAO, "*"), (ACAM, "*"), (ACAH, "*")]), F.INVALID_REQUEST
    )
    assert_verdict(check_response(req, 200, [(ACAO, "*")]), F.INVALID_REQUEST)


# --------------------------------------------------------------------------------------------
# The whole exchange
# --------------------------------------------------------------------------------------------


class FakeServer:
    """Answers preflights and actual requests with fixed headers and records the calls."""

    def __init__(
        self,
        preflight: tuple[int, Headers] = (204, ()),
        actual: tuple[int, Headers] = (200, ()),
    ) -> None:
        self.preflight = preflight
        self.actual = actual
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def __call__(self, method: str, headers: Headers) -> tuple[int, Headers]:
        self.calls.append((method, list(headers)))
        return self.preflight if method == "OPTIONS" else self.actual


def test_simple_request_is_sent_once_with_origin() -> None:
    server = FakeServer(actual=(200, [(ACAO, "*")]))
    verdict = simulate(request("get", [("Accept", "*/*"), ("Cookie", "a=b")]), server)
    assert_verdict(verdict, None)
    assert not verdict.preflighted
    assert server.calls == [("GET", [("Origin", ORIGIN), ("Accept", "*/*")])]


def test_preflighted_request_sends_options_then_the_actual_request() -> None:
    server = FakeServer(
        preflight=(204, [(ACAO, "*"), (ACAM, "PUT"), (ACAH, "x-token")]),
        actual=(201, [(ACAO, "*"), (ACEH, "x-id"), ("X-Id", "7")]),
    )
    verdict = simulate(request("put", [("X-Token", "1")]), server)
    assert_verdict(verdict, None)
    assert verdict.preflighted
    assert "x-id" in verdict.exposed_headers
    assert server.calls == [
        (
            "OPTIONS",
            [
                ("Origin", ORIGIN),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", "x-token"),
            ],
        ),
        ("PUT", [("Origin", ORIGIN), ("X-Token", "1")]),
    ]


def test_failed_preflight_stops_the_exchange() -> None:
    server = FakeServer(preflight=(204, [(ACAO, "*")]), actual=(200, [(ACAO, "*")]))
    verdict = simulate(request("DELETE"), server)
    assert_verdict(verdict, F.METHOD_NOT_ALLOWED)
    assert verdict.on_preflight
    assert verdict.preflighted
    assert [method for method, _ in server.calls] == ["OPTIONS"]


def test_actual_response_is_checked_after_a_passing_preflight() -> None:
    server = FakeServer(preflight=(204, [(ACAO, "*"), (ACAM, "DELETE")]), actual=(200, []))
    verdict = simulate(request("DELETE"), server)
    assert_verdict(verdict, F.MISSING_ALLOW_ORIGIN)
    assert not verdict.on_preflight
    assert verdict.preflighted


def test_invalid_request_sends_nothing() -> None:
    server = FakeServer()
    assert_verdict(simulate(request("TRACE"), server), F.INVALID_REQUEST)
    assert server.calls == []


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

header_names = st.text(alphabet="abcdefXYZ-_0123456789!#", min_size=1, max_size=12)
header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
header_lists = st.lists(st.tuples(header_names, header_values), max_size=10)


@given(header_lists)
def test_acrh_is_always_sorted_lowercase_and_deduplicated(
    headers: Sequence[tuple[str, str]],
) -> None:
    for names in (
        cors_unsafe_request_header_names(headers),
        preflight_request_names(request("PUT", headers)),
    ):
        assert names == sorted(set(names))
        assert all(name == name.lower() for name in names)
        assert all("," not in name and " " not in name for name in names)


def preflight_request_names(req: BrowserRequest) -> list[str]:
    values = [v for k, v in preflight_request_headers(req) if k == "Access-Control-Request-Headers"]
    assert len(values) <= 1
    return values[0].split(",") if values else []


@given(header_lists)
def test_echoing_the_preflight_request_always_passes(headers: Sequence[tuple[str, str]]) -> None:
    """A server that echoes ACRM and ACRH with the exact origin satisfies every preflight."""
    req = request("patch", headers, credentials=True)
    sent = dict(preflight_request_headers(req))
    reply = [(ACAO, ORIGIN), (ACAC, "true"), (ACAM, sent["Access-Control-Request-Method"])]
    if "Access-Control-Request-Headers" in sent:
        reply.append((ACAH, sent["Access-Control-Request-Headers"]))
    assert_verdict(check_preflight(req, 204, reply), None)


@given(st.text(max_size=10))
def test_normalize_method_is_idempotent(method: str) -> None:
    assert normalize_method(normalize_method(method)) == normalize_method(method)


def test_the_method_case_message_uses_the_one_wording_of_the_rule() -> None:
    # The oracle writes the rule out (it imports nothing from the core); the wording stays
    # the one of corecors.tokens.METHOD_CASE_RULE, which every other message quotes.
    from corecors import browser
    from corecors.tokens import METHOD_CASE_RULE

    origin = "https://app.example.com"
    request = browser.BrowserRequest(origin=origin, method="patch", headers=(), credentials=False)
    verdict = browser.check_preflight(
        request,
        204,
        [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", "PATCH")],
    )
    assert not verdict.ok
    assert METHOD_CASE_RULE in verdict.message
