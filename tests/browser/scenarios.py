"""The browser suite's scenarios: one ``fetch()`` each, what the page must observe, and what
the server must have received.

Origins: ``page`` (``http://127.0.0.1:A``, allowed on ``/api``), ``other``
(``http://127.0.0.1:A2``, allowed too), ``foreign`` (``http://localhost:C``, allowed only
where the policy is ``*``) and ``sandboxed`` (a sandboxed iframe in the page: ``Origin: null``,
never trusted). Policies: :func:`tests.browser.apps.suite_policy`.

A scenario is *blocked* when ``status`` is ``None``: the fetch must reject, Chromium must say
"blocked by CORS policy" on the console (``console`` names the failed check), and the server
must have answered (``server_saw``): a refused request is the browser's doing, never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .apps import ALLOWED_HEADER, COOKIE_VALUE, EXPOSED_HEADER, HIDDEN_HEADER

Origin = Literal["page", "other", "foreign", "sandboxed"]

#: Chromium's console text for each way a request can be refused.
PREFLIGHT_REFUSED = "Response to preflight request doesn't pass access control check"
NO_ALLOW_ORIGIN = "No 'Access-Control-Allow-Origin' header is present on the requested resource"
# With debug=True, corecors answers a refused preflight from an allowed origin with the
# allow lists minus the refused item, so Chromium names the real cause.
METHOD_NOT_ALLOWED = "Method patch is not allowed by Access-Control-Allow-Methods"
HEADER_NOT_ALLOWED = "is not allowed by Access-Control-Allow-Headers in preflight response"
WILDCARD_WITH_CREDENTIALS = (
    "must not be the wildcard '*' when the request's credentials mode is 'include'"
)


@dataclass(frozen=True)
class Scenario:
    name: str
    """The rule the scenario checks; also its test id and its ``?s=`` query parameter."""
    origin: Origin
    path: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    credentials: Literal["include", "omit"] | None = None
    read_headers: tuple[str, ...] = ()

    status: int | None = 200
    """The status JavaScript reads; ``None``: the browser must block the request."""
    body_contains: str | None = None
    json: Mapping[str, Any] | None = None
    """Keys and values the JSON body must contain."""
    read: Mapping[str, str | None] = field(default_factory=dict)
    """Response headers JavaScript must read with exactly these values (``None``: hidden)."""
    server_saw: tuple[str, ...] = ("GET",)
    """The methods the server received for this scenario, in order."""
    console: str | None = None
    """For a blocked scenario: what Chromium's CORS console error must say."""
    reason: str | None = None
    """For a scenario the core refuses: part of its ``CORS-Rejection-Reason``."""

    @property
    def blocked(self) -> bool:
        return self.status is None

    def spec(self, api: str) -> dict[str, Any]:
        """What ``window.runScenario`` in ``page.html`` takes."""
        return {
            "url": url(api, self.path, self.name),
            "method": self.method,
            "headers": dict(self.headers),
            "body": self.body,
            "credentials": self.credentials,
            "readHeaders": list(self.read_headers),
            "sandboxed": self.origin == "sandboxed",
        }


def url(api: str, path: str, scenario: str) -> str:
    return f"{api}{path}?s={scenario}"


JSON = {"content-type": "application/json"}

SCENARIOS: tuple[Scenario, ...] = (
    # -- simple requests -----------------------------------------------------------------------
    Scenario(
        "simple_get_from_allowed_origin_is_readable",
        "page",
        "/api/data",
        body_contains="from the API",
    ),
    Scenario(
        "simple_get_from_second_allowed_origin_is_readable",
        "other",
        "/api/data",
        body_contains="from the API",
    ),
    Scenario(
        "simple_get_from_disallowed_origin_is_blocked_but_reaches_the_app",
        "foreign",
        "/api/data",
        status=None,
        console=NO_ALLOW_ORIGIN,
        reason="is not allowed by this policy",
    ),
    Scenario(
        "head_request_is_readable",
        "page",
        "/api/data",
        method="HEAD",
        body_contains="",
        server_saw=("HEAD",),
    ),
    Scenario(
        "simple_post_text_plain_is_sent_without_preflight",
        "page",
        "/api/echo",
        method="POST",
        headers={"content-type": "text/plain"},
        body="hello",
        json={"method": "POST", "body": "hello"},
        server_saw=("POST",),
    ),
    # -- preflighted requests ------------------------------------------------------------------
    Scenario(
        "post_json_is_preflighted_and_allowed",
        "page",
        "/api/echo",
        method="POST",
        headers=JSON,
        body='{"fruit": "pear"}',
        json={"method": "POST", "body": '{"fruit": "pear"}'},
        server_saw=("OPTIONS", "POST"),
    ),
    Scenario(
        "put_is_preflighted_and_allowed",
        "page",
        "/api/echo",
        method="PUT",
        headers=JSON,
        body="{}",
        json={"method": "PUT"},
        server_saw=("OPTIONS", "PUT"),
    ),
    Scenario(
        "delete_is_preflighted_and_allowed",
        "page",
        "/api/echo",
        method="DELETE",
        json={"method": "DELETE"},
        server_saw=("OPTIONS", "DELETE"),
    ),
    Scenario(
        "patch_is_preflighted_and_allowed",
        "page",
        "/api/echo",
        method="PATCH",
        headers=JSON,
        body="{}",
        json={"method": "PATCH"},
        server_saw=("OPTIONS", "PATCH"),
    ),
    Scenario(
        "lowercase_put_is_uppercased_by_the_browser_and_allowed",
        "page",
        "/api/echo",
        method="put",
        json={"method": "PUT"},
        server_saw=("OPTIONS", "PUT"),
    ),
    Scenario(
        "lowercase_patch_is_not_normalized_and_is_refused_at_the_preflight",
        "page",
        "/api/echo",
        method="patch",
        status=None,
        console=METHOD_NOT_ALLOWED,
        reason="methods are case-sensitive",
        server_saw=("OPTIONS",),
    ),
    Scenario(
        "allowed_custom_header_is_preflighted_and_reaches_the_app",
        "page",
        "/api/echo",
        headers={ALLOWED_HEADER: "yes"},
        json={"method": "GET", ALLOWED_HEADER: "yes"},
        server_saw=("OPTIONS", "GET"),
    ),
    Scenario(
        "disallowed_custom_header_is_refused_at_the_preflight",
        "page",
        "/api/echo",
        headers={"x-not-allowed": "1"},
        status=None,
        console="Request header field x-not-allowed " + HEADER_NOT_ALLOWED,
        reason="'x-not-allowed' is not in allow_headers",
        server_saw=("OPTIONS",),
    ),
    Scenario(
        "preflight_from_disallowed_origin_is_refused",
        "foreign",
        "/api/echo",
        method="PUT",
        headers=JSON,
        body="{}",
        status=None,
        console=PREFLIGHT_REFUSED,
        reason="is not allowed by this policy",
        server_saw=("OPTIONS",),
    ),
    # -- credentials ---------------------------------------------------------------------------
    Scenario(
        "credentialed_request_sends_the_cookie_and_is_readable",
        "page",
        "/api/whoami",
        credentials="include",
        body_contains=f"cookie: {COOKIE_VALUE}",
    ),
    Scenario(
        "request_without_credentials_sends_no_cookie",
        "page",
        "/api/whoami",
        body_contains="cookie: none",
    ),
    Scenario(
        "credentialed_preflighted_request_is_allowed",
        "page",
        "/api/echo",
        method="PUT",
        headers=JSON,
        body="{}",
        credentials="include",
        json={"method": "PUT"},
        server_saw=("OPTIONS", "PUT"),
    ),
    # -- response headers ----------------------------------------------------------------------
    Scenario(
        "only_exposed_and_safelisted_response_headers_are_readable",
        "page",
        "/api/data",
        read_headers=(EXPOSED_HEADER, HIDDEN_HEADER, "content-length"),
        read={EXPOSED_HEADER: "yes", HIDDEN_HEADER: None},
    ),
    # -- errors and streaming ------------------------------------------------------------------
    Scenario(
        "returned_404_is_readable",
        "page",
        "/api/not-found-returned",
        status=404,
        body_contains="returned 404",
    ),
    Scenario(
        "raised_404_is_readable",
        "page",
        "/api/not-found-raised",
        status=404,
        body_contains="raised 404",
    ),
    Scenario("unknown_path_404_is_readable", "page", "/api/no-such-route", status=404),
    Scenario(
        "preflighted_request_to_an_unknown_path_gets_a_readable_404",
        "page",
        "/api/no-such-route",
        method="PUT",
        headers=JSON,
        body="{}",
        status=404,
        server_saw=("OPTIONS", "PUT"),
    ),
    Scenario(
        "method_the_route_lacks_gets_a_readable_405",
        "page",
        "/api/data",
        method="PUT",
        headers=JSON,
        body="{}",
        status=405,
        server_saw=("OPTIONS", "PUT"),
    ),
    Scenario("unhandled_exception_500_is_readable", "page", "/api/boom", status=500),
    Scenario(
        "static_file_is_readable",
        "page",
        "/api/static/page.html",
        body_contains="corecors browser suite",
    ),
    Scenario(
        "static_file_range_gets_a_readable_206",
        "page",
        "/api/static/page.html",
        headers={"range": "bytes=0-14"},
        status=206,
        body_contains="<!doctype html>",
    ),
    Scenario(
        "redirect_carries_the_headers_and_is_followed",
        "page",
        "/api/redirect",
        body_contains="from the API",
        server_saw=("GET", "GET"),
    ),
    Scenario(
        "streamed_response_is_readable",
        "page",
        "/api/stream",
        body_contains="one two three",
    ),
    # -- per-path policies ---------------------------------------------------------------------
    Scenario(
        "public_path_is_readable_from_the_page",
        "page",
        "/public/data",
        body_contains="from the API",
    ),
    Scenario(
        "public_path_is_readable_from_any_origin",
        "foreign",
        "/public/data",
        body_contains="from the API",
    ),
    Scenario(
        "public_path_preflight_from_any_origin_is_allowed",
        "foreign",
        "/public/data",
        method="PUT",
        headers=JSON,
        body="{}",
        body_contains="from the API",
        server_saw=("OPTIONS", "PUT"),
    ),
    Scenario(
        "wildcard_allow_headers_cover_custom_headers",
        "foreign",
        "/public/data",
        method="PUT",
        headers={"x-anything": "1"},
        body_contains="from the API",
        server_saw=("OPTIONS", "PUT"),
    ),
    Scenario(
        "wildcard_allow_headers_do_not_cover_authorization",
        "foreign",
        "/public/data",
        headers={"authorization": "Bearer token"},
        status=None,
        console="Request header field authorization " + HEADER_NOT_ALLOWED,
        reason="'*' alone in allow_headers excludes 'authorization'",
        server_saw=("OPTIONS",),
    ),
    Scenario(
        "public_path_refuses_credentials_because_its_origin_is_a_wildcard",
        "page",
        "/public/data",
        credentials="include",
        status=None,
        console=WILDCARD_WITH_CREDENTIALS,
    ),
    # -- the null origin -----------------------------------------------------------------------
    Scenario(
        "null_origin_is_not_trusted",
        "sandboxed",
        "/api/data",
        status=None,
        console=NO_ALLOW_ORIGIN,
        reason="the origin is 'null'",
    ),
    Scenario(
        "null_origin_can_read_a_public_path",
        "sandboxed",
        "/public/data",
        body_contains="from the API",
    ),
    Scenario(
        "path_with_cors_off_keeps_the_apps_own_headers",
        "foreign",
        "/legacy/data",
        body_contains="from the API",
    ),
)

NAMES = [scenario.name for scenario in SCENARIOS]
assert len(set(NAMES)) == len(NAMES), "scenario names must be unique"
