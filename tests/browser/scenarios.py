"""The browser suite's scenarios: one ``fetch()`` each, what the page must observe, and what
the server must have received.

Origins: ``page`` (``http://127.0.0.1:A``, allowed on ``/api``), ``other``
(``http://127.0.0.1:A2``, allowed too), ``foreign`` (``http://localhost:C``, allowed only
where the policy is ``*``) and ``sandboxed`` (a sandboxed iframe in the page: ``Origin: null``,
never trusted). Policies: :func:`tests.browser.apps.suite_policy`.

A scenario is *blocked* when ``status`` is ``None``: the fetch must reject with the engine's
TypeError, the engine's console (Chromium's, Firefox's) must name the failed check
(``refusal``), and the server must have answered (``server_saw``): a refused request is the
browser's doing, never a crash. Expectations hold in every engine unless an
:class:`EngineDifference` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

from .apps import ALLOWED_HEADER, COOKIE_VALUE, EXPOSED_HEADER, HIDDEN_HEADER

Origin = Literal["page", "other", "foreign", "sandboxed"]
Family = Literal["chromium", "firefox", "webkit"]


@dataclass(frozen=True)
class Refusal:
    """The check a browser refuses a request on, in each engine's console words.

    WebKit's console is out of WebDriver's reach: there the page's ``TypeError: Load failed``
    and the server's record are the witnesses.
    """

    chromium: str
    firefox: str

    def console(self, family: Family) -> str | None:
        """What ``family``'s CORS console error must contain (``None``: no console)."""
        return {"chromium": self.chromium, "firefox": self.firefox, "webkit": None}[family]


def header_not_allowed(name: str) -> Refusal:
    return Refusal(
        chromium=f"Request header field {name} is not allowed by Access-Control-Allow-Headers"
        " in preflight response",
        firefox=f"(Reason: header \u2018{name}\u2019 is not allowed according to header "
        "\u2018Access-Control-Allow-Headers\u2019 from CORS preflight response)",
    )


NO_ALLOW_ORIGIN = Refusal(
    chromium="No 'Access-Control-Allow-Origin' header is present on the requested resource",
    firefox="(Reason: CORS header \u2018Access-Control-Allow-Origin\u2019 missing)",
)
#: corecors refuses a foreign origin's preflight with 403 and no CORS header at all.
PREFLIGHT_REFUSED = Refusal(
    chromium="Response to preflight request doesn't pass access control check",
    firefox="(Reason: CORS header \u2018Access-Control-Allow-Origin\u2019 missing). "
    "Status code: 403.",
)
# With debug=True, corecors answers a refused preflight from an allowed origin with the
# allow lists minus the refused item, so the console names the real cause.
METHOD_NOT_ALLOWED = Refusal(
    chromium="Method patch is not allowed by Access-Control-Allow-Methods",
    firefox="(Reason: Did not find method in CORS header \u2018Access-Control-Allow-Methods\u2019)",
)
WILDCARD_WITH_CREDENTIALS = Refusal(
    chromium="must not be the wildcard '*' when the request's credentials mode is 'include'",
    firefox="(Reason: Credential is not supported if the CORS header "
    "\u2018Access-Control-Allow-Origin\u2019 is \u2018*\u2019)",
)


@dataclass(frozen=True)
class EngineDifference:
    """Where some engines really differ from the rest: other expectations for them only."""

    engines: tuple[str, ...]
    """Engine names (``tests.browser.engines.ENGINES``) the changed expectations hold in."""
    why: str
    """The measured fact behind the difference."""
    changes: Mapping[str, Any]
    """:class:`Scenario` fields with their values in those engines."""


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
    refusal: Refusal | None = None
    """For a blocked scenario: the check the browser fails it on (its console error)."""
    reason: str | None = None
    """For a scenario the core refuses: part of its ``CORS-Rejection-Reason``."""
    differences: tuple[EngineDifference, ...] = ()
    """Expectations that hold in some engines only (each with its reason)."""

    def expected_in(self, engine: str) -> Scenario:
        """This scenario with the expectations that hold in ``engine``."""
        for difference in self.differences:
            if engine in difference.engines:
                return replace(self, **difference.changes)
        return self

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

# Row builders for the groups of rows that share fields (a row may still override one).
#: A PUT with a JSON body: the browser preflights it (``content-type`` is not safelisted).
_preflighted_put = partial(
    Scenario, method="PUT", headers=JSON, body="{}", server_saw=("OPTIONS", "PUT")
)
#: A request the browser must block (the fetch rejects, JavaScript reads no status).
_blocked = partial(Scenario, status=None)
#: JavaScript reads the body the apps' data routes answer with ("from the API").
_reads_data = partial(Scenario, body_contains="from the API")

SCENARIOS: tuple[Scenario, ...] = (
    # -- simple requests -----------------------------------------------------------------------
    _reads_data("simple_get_from_allowed_origin_is_readable", "page", "/api/data"),
    _reads_data("simple_get_from_second_allowed_origin_is_readable", "other", "/api/data"),
    _blocked(
        "simple_get_from_disallowed_origin_is_blocked_but_reaches_the_app",
        "foreign",
        "/api/data",
        refusal=NO_ALLOW_ORIGIN,
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
    _preflighted_put("put_is_preflighted_and_allowed", "page", "/api/echo", json={"method": "PUT"}),
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
    _blocked(
        "lowercase_patch_is_not_normalized_and_is_refused_at_the_preflight",
        "page",
        "/api/echo",
        method="patch",
        refusal=METHOD_NOT_ALLOWED,
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
    _blocked(
        "disallowed_custom_header_is_refused_at_the_preflight",
        "page",
        "/api/echo",
        headers={"x-not-allowed": "1"},
        refusal=header_not_allowed("x-not-allowed"),
        reason="'x-not-allowed' is not in allow_headers",
        server_saw=("OPTIONS",),
    ),
    _preflighted_put(
        "preflight_from_disallowed_origin_is_refused",
        "foreign",
        "/api/echo",
        status=None,
        refusal=PREFLIGHT_REFUSED,
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
    _preflighted_put(
        "credentialed_preflighted_request_is_allowed",
        "page",
        "/api/echo",
        credentials="include",
        json={"method": "PUT"},
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
    _preflighted_put(
        "preflighted_request_to_an_unknown_path_gets_a_readable_404",
        "page",
        "/api/no-such-route",
        status=404,
    ),
    _preflighted_put("method_the_route_lacks_gets_a_readable_405", "page", "/api/data", status=405),
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
    _reads_data(
        "redirect_carries_the_headers_and_is_followed",
        "page",
        "/api/redirect",
        server_saw=("GET", "GET"),
    ),
    Scenario("streamed_response_is_readable", "page", "/api/stream", body_contains="one two three"),
    # -- per-path policies ---------------------------------------------------------------------
    _reads_data("public_path_is_readable_from_the_page", "page", "/public/data"),
    _reads_data("public_path_is_readable_from_any_origin", "foreign", "/public/data"),
    _preflighted_put(
        "public_path_preflight_from_any_origin_is_allowed",
        "foreign",
        "/public/data",
        body_contains="from the API",
    ),
    _reads_data(
        "wildcard_allow_headers_cover_custom_headers",
        "foreign",
        "/public/data",
        method="PUT",
        headers={"x-anything": "1"},
        server_saw=("OPTIONS", "PUT"),
    ),
    _blocked(
        "wildcard_allow_headers_do_not_cover_authorization",
        "foreign",
        "/public/data",
        headers={"authorization": "Bearer token"},
        refusal=header_not_allowed("authorization"),
        reason="'*' alone in allow_headers excludes 'authorization'",
        server_saw=("OPTIONS",),
    ),
    _reads_data(
        "app_wildcard_allow_headers_cover_authorization_by_default",
        "foreign",
        "/legacy/wildcard-headers",
        headers={"authorization": "Bearer token"},
        server_saw=("OPTIONS", "GET"),
        differences=(
            EngineDifference(
                ("chromium-strict", "firefox-strict"),
                why="The Fetch standard says '*' in Access-Control-Allow-Headers never covers "
                "Authorization, but by default Chromium, Firefox and WebKit let it; Chromium "
                "applies the rule only with --enable-features="
                "CorsNonWildcardRequestHeadersSupport, Firefox with "
                "network.cors_preflight.authorization_covered_by_wildcard=false, WebKit never. "
                "(corecors itself never sends '*' for a preflight asking for authorization: "
                "see wildcard_allow_headers_do_not_cover_authorization.)",
                changes={
                    "status": None,
                    "server_saw": ("OPTIONS",),
                    "refusal": header_not_allowed("authorization"),
                },
            ),
        ),
    ),
    _blocked(
        "public_path_refuses_credentials_because_its_origin_is_a_wildcard",
        "page",
        "/public/data",
        credentials="include",
        refusal=WILDCARD_WITH_CREDENTIALS,
    ),
    # -- the null origin -----------------------------------------------------------------------
    _blocked(
        "null_origin_is_not_trusted",
        "sandboxed",
        "/api/data",
        refusal=NO_ALLOW_ORIGIN,
        reason="the origin is 'null'",
    ),
    _reads_data("null_origin_can_read_a_public_path", "sandboxed", "/public/data"),
    _reads_data("path_with_cors_off_keeps_the_apps_own_headers", "foreign", "/legacy/data"),
)

NAMES = [scenario.name for scenario in SCENARIOS]
assert len(set(NAMES)) == len(NAMES), "scenario names must be unique"
