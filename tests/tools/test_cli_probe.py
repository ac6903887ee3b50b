"""`corecors probe` against real servers on 127.0.0.1, end to end in a subprocess.

One server runs corecors (examples/custom_server.py); the others are scripted to make one
mistake each, and every test checks that the mistake is named by its stable code (``--json``)
and in words. Ports are chosen by the kernel; every wait is bounded.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from .command import run

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import custom_server

from corecors import browser
from corecors_tools.probe import FINDINGS
from tests.loopback import serving
from tests.scenarios import ACAC, ACAH, ACAM, ACAO, ACEH, ACMA

APP = "https://app.example.com"
EVIL = "https://evil.example.net"

Lines = list[tuple[str, str]]
Reply = tuple[int, Lines]


def probe_json(url: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("probe", url, "--timeout", "5", "--json", *args)
    assert result.stderr == ""
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["exit_status"] == result.returncode
    for finding in document["findings"]:
        assert finding["code"] in FINDINGS  # every code is documented
    return result.returncode, document


def codes(document: dict[str, Any], step: str | None = None) -> list[str]:
    return [f["code"] for f in document["findings"] if step is None or f["step"] == step]


def finding(document: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in document["findings"] if f["code"] == code]
    assert len(found) == 1, found
    return found[0]


def blocking(document: dict[str, Any]) -> str | None:
    found = [f["code"] for f in document["findings"] if f["blocking"]]
    assert len(found) <= 1
    return found[0] if found else None


# -- servers ------------------------------------------------------------------------------


def serve(server: ThreadingHTTPServer) -> Iterator[str]:
    """``server`` on loopback while the caller holds its base URL."""
    for host, port in serving(server):
        yield f"http://{host}:{port}"


@pytest.fixture(scope="module")
def corecors_url() -> Iterator[str]:
    """examples/custom_server.py: corecors applied to every request."""
    yield from serve(custom_server.make_server(port=0))


@dataclass
class Script:
    """What a misconfigured server answers: to OPTIONS, and to everything else."""

    actual: Reply = (200, [])
    preflight: Reply | None = None
    seen: list[tuple[str, Lines]] = field(default_factory=list)


class ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: ClassVar[Script]

    def _handle(self) -> None:
        self.script.seen.append((self.command, list(self.headers.items())))
        length = self.headers.get("Content-Length")
        if length:
            self.rfile.read(int(length))
        if self.command == "OPTIONS" and self.script.preflight is not None:
            status, headers = self.script.preflight
        else:
            status, headers = self.script.actual
        body = b"" if status in (204, 304) or self.command == "HEAD" else b'{"ok": true}'
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


Serve = Callable[[Script], str]


@pytest.fixture
def scripted() -> Iterator[Serve]:
    """Start scripted servers on demand; all are stopped after the test."""
    generators: list[Iterator[str]] = []

    def start(script: Script) -> str:
        class Handler(ScriptedHandler):
            pass

        Handler.script = script
        generator = serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        generators.append(generator)
        return next(generator) + "/api/data"

    yield start
    for generator in generators:
        next(generator, None)


GOOD_PREFLIGHT: Reply = (
    204,
    [
        (ACAO, APP),
        (ACAM, "GET, PUT, PATCH, DELETE"),
        (ACAH, "content-type, authorization"),
        (ACMA, "600"),
    ],
)
GOOD_ACTUAL: Reply = (200, [(ACAO, APP), ("Vary", "Origin")])


# -- against corecors ---------------------------------------------------------------------


def test_allowed_preflighted_request_with_credentials(corecors_url: str) -> None:
    code, document = probe_json(
        corecors_url + "/api/hello",
        "--origin",
        APP,
        "--method",
        "PUT",
        "--header",
        "Content-Type: application/json",
        "--credentials",
    )
    assert code == 0
    assert document["outcome"] == "allowed"
    assert document["allowed"] is True
    assert document["preflight_needed"] is True
    assert document["findings"] == []
    preflight, actual = document["exchanges"]
    assert preflight["method"] == "OPTIONS"
    assert preflight["status"] == 204
    assert ["Access-Control-Request-Method", "PUT"] in preflight["request_headers"]
    assert ["Access-Control-Request-Headers", "content-type"] in preflight["request_headers"]
    assert actual["method"] == "PUT"
    assert document["preflight_cache_seconds"] == 600
    assert "x-request-id" in document["exposed_headers"]


def test_simple_request_sends_no_preflight(corecors_url: str) -> None:
    code, document = probe_json(corecors_url + "/api/hello", "--origin", APP)
    assert code == 0
    assert document["preflight_needed"] is False
    assert [e["step"] for e in document["exchanges"]] == ["actual"]
    assert document["preflight_cache_seconds"] is None


def test_disallowed_origin_is_blocked_without_server_faults(corecors_url: str) -> None:
    code, document = probe_json(corecors_url + "/api/hello", "--origin", EVIL)
    assert code == 1
    assert document["outcome"] == "blocked"
    assert codes(document) == ["missing-allow-origin"]
    assert (
        "send 'Access-Control-Allow-Origin: https://evil.example.net'"
        in (document["findings"][0]["message"])
    )


def test_refused_preflight_is_named_as_the_cors_layer_refusing(corecors_url: str) -> None:
    code, document = probe_json(corecors_url + "/api/hello", "--origin", APP, "--method", "PATCH")
    assert code == 1
    assert [e["step"] for e in document["exchanges"]] == ["preflight"]  # actual never sent
    assert blocking(document) == "missing-allow-origin"
    assert "preflight-refused" in codes(document)
    assert "preflight-unauthorized" not in codes(document)


def test_preflight_only_never_sends_the_actual_request(corecors_url: str) -> None:
    code, document = probe_json(
        corecors_url + "/api/hello", "--origin", APP, "--method", "DELETE", "--preflight-only"
    )
    assert code == 0
    assert document["outcome"] == "preflight-ok"
    assert [e["method"] for e in document["exchanges"]] == ["OPTIONS"]


def test_human_output_against_corecors(corecors_url: str) -> None:
    result = run(
        "probe", corecors_url + "/api/hello", "--origin", APP, "--method", "PUT", "--credentials"
    )
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert "1. preflight: OPTIONS /api/hello" in out
    assert "     > Access-Control-Request-Method: PUT" in out
    assert "     < 204 No Content" in out
    assert "   cached:  600 s" in out
    assert "2. actual request: PUT /api/hello" in out
    assert "verdict: ALLOWED" in out
    assert "findings:" not in out
    assert "\x1b[" not in out


# -- misconfigured servers ------------------------------------------------------------------


def test_wildcard_with_credentials_blocks_a_credentialed_request(scripted: Serve) -> None:
    url = scripted(Script(actual=(200, [(ACAO, "*"), (ACAC, "true")])))
    code, document = probe_json(url, "--origin", APP, "--credentials")
    assert code == 1
    assert codes(document) == ["wildcard-origin-with-credentials"]
    assert "echo the request's origin" in document["findings"][0]["message"]

    code, document = probe_json(url, "--origin", APP)
    assert code == 0  # without credentials the browser accepts, but the server is wrong
    assert codes(document) == ["wildcard-with-credentials"]
    assert finding(document, "wildcard-with-credentials")["severity"] == "warning"


def test_missing_vary_origin_is_a_warning(scripted: Serve) -> None:
    url = scripted(Script(actual=(200, [(ACAO, APP)])))
    code, document = probe_json(url, "--origin", APP)
    assert code == 0
    assert document["outcome"] == "allowed"
    found = finding(document, "missing-vary-origin")
    assert found["severity"] == "warning"
    assert "add 'Vary: Origin'" in found["message"]


def test_vary_star_or_wildcard_origin_needs_no_vary_origin(scripted: Serve) -> None:
    star = scripted(Script(actual=(200, [(ACAO, "*")])))
    assert codes(probe_json(star, "--origin", APP)[1]) == []
    vary = scripted(Script(actual=(200, [(ACAO, APP), ("Vary", "Accept, origin")])))
    assert codes(probe_json(vary, "--origin", APP)[1]) == []


def test_preflight_redirect_is_its_own_fault_and_names_the_location(scripted: Serve) -> None:
    script = Script(
        preflight=(301, [("Location", "https://api.example.com/api/data"), (ACAO, APP)]),
        actual=GOOD_ACTUAL,
    )
    code, document = probe_json(scripted(script), "--origin", APP, "--method", "PUT")
    assert code == 1
    assert codes(document) == ["preflight-redirect"]
    message = document["findings"][0]["message"]
    assert "never follow redirects on a preflight" in message
    assert "'https://api.example.com/api/data'" in message
    assert [method for method, _ in script.seen] == ["OPTIONS"]


def test_preflight_answered_401_names_the_auth_layer(scripted: Serve) -> None:
    script = Script(preflight=(401, [("WWW-Authenticate", 'Bearer realm="api"')]))
    code, document = probe_json(
        scripted(script), "--origin", APP, "--header", "Authorization: Bearer x"
    )
    assert code == 1
    assert blocking(document) == "missing-allow-origin"
    found = finding(document, "preflight-unauthorized")
    assert found["severity"] == "error"
    assert "browsers never send cookies or Authorization with a preflight" in found["message"]
    # the preflight carries neither credentials nor the script's Authorization value
    (preflight_headers,) = [headers for method, headers in script.seen]
    names = {name.lower() for name, _ in preflight_headers}
    assert "authorization" not in names
    assert ("Access-Control-Request-Headers", "authorization") in preflight_headers


def test_preflight_answered_403_with_cors_headers_is_a_status_fault(scripted: Serve) -> None:
    headers = GOOD_PREFLIGHT[1]
    code, document = probe_json(
        scripted(Script(preflight=(403, headers))), "--origin", APP, "--method", "PUT"
    )
    assert code == 1
    assert codes(document) == ["preflight-status", "preflight-unauthorized"]
    assert blocking(document) == "preflight-status"


def test_preflight_405_names_the_router(scripted: Serve) -> None:
    script = Script(preflight=(405, [("Allow", "GET, PUT")]))
    code, document = probe_json(scripted(script), "--origin", APP, "--method", "PUT")
    assert code == 1
    assert codes(document) == ["missing-allow-origin", "preflight-status"]
    assert "does not accept OPTIONS" in finding(document, "preflight-status")["message"]


def test_two_allow_origin_lines_are_named(scripted: Serve) -> None:
    lines = [(ACAO, APP), (ACAO, APP)]
    code, document = probe_json(
        scripted(Script(actual=(200, [*lines, ("Vary", "Origin")]))), "--origin", APP
    )
    assert code == 1
    assert codes(document) == ["multiple-allow-origin"]
    assert "2 Access-Control-Allow-Origin lines" in document["findings"][0]["message"]


def test_allow_credentials_true_with_capital_t(scripted: Serve) -> None:
    url = scripted(Script(actual=(200, [(ACAO, APP), (ACAC, "True"), ("Vary", "Origin")])))
    code, document = probe_json(url, "--origin", APP, "--credentials")
    assert code == 1
    assert codes(document) == ["missing-allow-credentials"]  # said once, not twice
    assert "'Access-Control-Allow-Credentials: True'" in document["findings"][0]["message"]

    code, document = probe_json(url, "--origin", APP)
    assert code == 0
    assert codes(document) == ["invalid-allow-credentials"]
    assert "exactly 'true'" in document["findings"][0]["message"]


def test_no_allow_origin_on_the_actual_response_after_a_good_preflight(scripted: Serve) -> None:
    url = scripted(Script(preflight=GOOD_PREFLIGHT, actual=(200, [])))
    code, document = probe_json(url, "--origin", APP, "--method", "PUT")
    assert code == 1
    assert codes(document) == ["missing-allow-origin", "cors-only-on-preflight"]
    assert all(f["step"] == "actual" for f in document["findings"])
    assert document["exchanges"][0]["status"] == 204


def test_error_response_without_cors_headers(scripted: Serve) -> None:
    """The CORS layer allows the origin (its preflight answer says so) but the 500 lost the
    headers: the usual exception-handler fault."""
    allowing = (204, [(ACAO, APP), ("Vary", "Origin")])
    url = scripted(Script(preflight=allowing, actual=(500, [("Content-Type", "text/plain")])))
    code, document = probe_json(url, "--origin", APP)
    assert code == 1
    assert codes(document) == ["missing-allow-origin", "error-response-without-cors"]
    assert "status 500" in finding(document, "error-response-without-cors")["message"]
    assert [e["step"] for e in document["exchanges"]] == ["actual", "origin-check"]
    check = document["exchanges"][1]
    assert check["method"] == "OPTIONS"
    assert ["Access-Control-Request-Method", "GET"] in check["request_headers"]


@pytest.mark.parametrize("path", ["/api/missing", "/nowhere"])
def test_refused_origin_error_response_is_the_server_working(corecors_url: str, path: str) -> None:
    code, document = probe_json(corecors_url + path, "--origin", EVIL)
    assert code == 1
    assert document["exchanges"][0]["status"] == 404
    assert codes(document) == ["missing-allow-origin", "origin-refused"]
    assert (
        "the 404 without CORS headers is then correct"
        in finding(document, "origin-refused")["message"]
    )
    human = run("probe", corecors_url + path, "--origin", EVIL, "--timeout", "5").stdout
    assert "error-response-without-cors" not in human
    assert "   origin:  refused by the server's CORS layer" in human


def test_refused_origin_500_from_a_cors_layer(scripted: Serve) -> None:
    refusing = (403, [("Vary", "Origin, Access-Control-Request-Method")])
    url = scripted(Script(preflight=refusing, actual=(500, [("Vary", "Origin")])))
    code, document = probe_json(url, "--origin", EVIL, "--method", "POST")
    assert code == 1
    assert codes(document) == ["missing-allow-origin", "origin-refused"]


def test_allowed_origin_error_response_needs_no_origin_check(corecors_url: str) -> None:
    code, document = probe_json(corecors_url + "/api/missing", "--origin", APP)
    assert code == 0
    assert [e["step"] for e in document["exchanges"]] == ["actual"]


def test_every_fault_of_a_preflight_is_listed(scripted: Serve) -> None:
    preflight = (204, [(ACAO, "*"), (ACAC, "true"), (ACAM, "*"), (ACAH, "*")])
    url = scripted(Script(preflight=preflight))
    code, document = probe_json(
        url, "--origin", APP, "--method", "PUT", "--header", "x-token", "--credentials"
    )
    assert code == 1
    assert codes(document) == [
        "wildcard-origin-with-credentials",
        "method-not-allowed",
        "header-not-allowed",
    ]
    assert blocking(document) == "wildcard-origin-with-credentials"
    behind = finding(document, "method-not-allowed")
    assert "only a method literally named '*'" in behind["message"]
    assert "behind the first fault" in behind["message"]
    assert "'x-token'" in finding(document, "header-not-allowed")["message"]


def test_every_fault_of_an_actual_response_is_listed(scripted: Serve) -> None:
    url = scripted(Script(actual=(200, [(ACAO, APP + "/")])))
    code, document = probe_json(url, "--origin", APP, "--credentials")
    assert code == 1
    assert codes(document) == [
        "allow-origin-mismatch",
        "missing-allow-credentials",
        "missing-vary-origin",
    ]


class HostileHandler(BaseHTTPRequestHandler):
    """Answers with terminal escape sequences in the reason phrase and the header values."""

    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        self.send_response(200, "OK\x1b]0;owned\x07\x1b[2J")
        self.send_header(ACAO, "\x1b[31mhttps://app.example.com")
        self.send_header("Vary", "Origin\r".replace("\r", "\x9b"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_OPTIONS = _handle  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_server_bytes_never_reach_the_terminal_raw() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    for url in serve(server):
        result = run("probe", url + "/", "--origin", APP, "--timeout", "5")
        assert result.returncode == 1
        out = result.stdout
        assert not any(char in out for char in "\x1b\x07\x9b"), repr(out)
        assert "< 200 'OK\\x1b]0;owned\\x07\\x1b[2J'" in out
        assert "< Access-Control-Allow-Origin: '\\x1b[31mhttps://app.example.com'" in out
        assert "< Vary: 'Origin\\x9b'" in out
        assert "allow-origin-mismatch" in out
        document = json.loads(run("probe", url + "/", "--origin", APP, "--json").stdout)
        assert document["exchanges"][0]["reason"] == "OK\x1b]0;owned\x07\x1b[2J"


def test_invalid_tokens_in_allow_methods_and_allow_headers(scripted: Serve) -> None:
    methods = scripted(Script(preflight=(204, [(ACAO, APP), (ACAM, "PUT, Bad method")])))
    code, document = probe_json(methods, "--origin", APP, "--method", "PUT")
    assert code == 1
    assert codes(document) == ["invalid-allow-methods"]
    assert "'Bad method'" in document["findings"][0]["message"]

    headers = scripted(Script(preflight=(204, [(ACAO, APP), (ACAH, "x-token, header name")])))
    code, document = probe_json(headers, "--origin", APP, "--header", "X-Token: 1")
    assert code == 1
    assert codes(document) == ["invalid-allow-headers"]


def test_invalid_token_is_reported_even_behind_an_earlier_failure(scripted: Serve) -> None:
    url = scripted(Script(preflight=(204, [(ACAM, "PUT, Bad method")])))
    _, document = probe_json(url, "--origin", APP, "--method", "PUT")
    assert codes(document) == ["missing-allow-origin", "invalid-allow-methods"]


def test_lowercase_method_in_allow_methods(scripted: Serve) -> None:
    url = scripted(Script(preflight=(204, [(ACAO, APP), (ACAM, "patch, put")]), actual=GOOD_ACTUAL))
    code, document = probe_json(url, "--origin", APP, "--method", "PATCH")
    assert code == 1
    assert codes(document) == [
        "method-not-allowed",
        "method-case-mismatch",
        "lowercase-allow-methods",
    ]
    assert (
        "lists 'patch' but the browser asks for 'PATCH'"
        in (finding(document, "method-case-mismatch")["message"])
    )
    assert "'put'" in finding(document, "lowercase-allow-methods")["message"]


def test_lowercase_custom_method_is_sent_as_written(scripted: Serve) -> None:
    url = scripted(Script(preflight=GOOD_PREFLIGHT, actual=GOOD_ACTUAL))
    code, document = probe_json(url, "--origin", APP, "--method", "patch")
    assert code == 1
    assert ["Access-Control-Request-Method", "patch"] in document["exchanges"][0]["request_headers"]
    assert codes(document) == ["method-not-allowed", "method-case-mismatch"]


def test_header_not_allowed(scripted: Serve) -> None:
    url = scripted(Script(preflight=GOOD_PREFLIGHT, actual=GOOD_ACTUAL))
    code, document = probe_json(url, "--origin", APP, "--header", "X-Token: 1")
    assert code == 1
    assert codes(document) == ["header-not-allowed"]
    assert "'x-token'" in document["findings"][0]["message"]


def test_redirected_actual_request_reports_the_location(scripted: Serve) -> None:
    target = "https://cdn.example.com/data"
    with_cors = scripted(Script(actual=(302, [("Location", target), *GOOD_ACTUAL[1]])))
    code, document = probe_json(with_cors, "--origin", APP)
    assert code == 1
    assert document["outcome"] == "redirected"
    found = finding(document, "actual-redirect")
    assert f"302 redirect to '{target}'" in found["message"]
    assert "this 3xx itself carries the CORS headers" in found["message"]

    without_cors = scripted(Script(actual=(307, [("Location", target)])))
    code, document = probe_json(without_cors, "--origin", APP)
    assert code == 1
    assert document["outcome"] == "blocked"
    assert codes(document) == ["missing-allow-origin", "actual-redirect"]


def test_unparseable_max_age(scripted: Serve) -> None:
    status, headers = GOOD_PREFLIGHT
    lines = [item for item in headers if item[0] != ACMA]
    url = scripted(Script(preflight=(status, [*lines, (ACMA, "10 minutes")]), actual=GOOD_ACTUAL))
    code, document = probe_json(url, "--origin", APP, "--method", "PUT")
    assert code == 0
    assert codes(document) == ["invalid-max-age"]
    assert document["preflight_cache_seconds"] == browser.DEFAULT_PREFLIGHT_CACHE_SECONDS


def test_null_origin_allowed_is_a_warning(scripted: Serve) -> None:
    url = scripted(Script(actual=(200, [(ACAO, "null"), ("Vary", "Origin")])))
    code, document = probe_json(url, "--origin", "null")
    assert code == 0
    assert codes(document) == ["null-origin-allowed"]


def test_expose_star_with_credentials_is_a_warning(scripted: Serve) -> None:
    url = scripted(Script(actual=(200, [*GOOD_ACTUAL[1], (ACAC, "true"), (ACEH, "*")])))
    code, document = probe_json(url, "--origin", APP, "--credentials")
    assert code == 0
    assert codes(document) == ["expose-wildcard-with-credentials"]


def test_cookie_goes_on_the_actual_request_only(scripted: Serve) -> None:
    script = Script(
        preflight=(204, [*GOOD_PREFLIGHT[1], (ACAC, "true")]),
        actual=(200, [*GOOD_ACTUAL[1], (ACAC, "true")]),
    )
    code, _ = probe_json(
        scripted(script), "--origin", APP, "--method", "PUT", "--credentials", "--cookie", "s=1"
    )
    assert code == 0
    (_, preflight), (_, actual) = script.seen
    assert "cookie" not in {name.lower() for name, _ in preflight}
    assert ("Cookie", "s=1") in actual
    assert ("Origin", APP) in actual


def test_human_output_names_faults_with_codes(scripted: Serve) -> None:
    url = scripted(Script(preflight=(401, [])))
    result = run("probe", url, "--origin", APP, "--method", "DELETE", "--timeout", "5")
    assert result.returncode == 1
    out = result.stdout
    assert "     < 401 Unauthorized" in out
    assert "   browser: blocks (missing-allow-origin)" in out
    assert "findings:\n" in out
    assert "  error    preflight  preflight-unauthorized  the preflight was answered 401" in out
    assert out.endswith("\nverdict: BLOCKED\n")


# -- errors: exit status 2 ------------------------------------------------------------------


def test_connection_refused(unused_port: int) -> None:
    code, document = probe_json(f"http://127.0.0.1:{unused_port}/", "--origin", APP)
    assert code == 2
    assert document["outcome"] == "error"
    assert codes(document) == ["connection-refused"]
    assert "is the server running?" in document["findings"][0]["message"]


def test_timeout_is_bounded(silent_port: int) -> None:
    started = time.monotonic()
    result = run(
        "probe", f"http://127.0.0.1:{silent_port}/", "--origin", APP, "--timeout", "0.5", "--json"
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert codes(document) == ["timeout"]
    assert "did not answer within 0.5 s" in document["findings"][0]["message"]


def test_timeout_on_the_preflight_is_reported_on_the_preflight(silent_port: int) -> None:
    code, document = probe_json(
        f"http://127.0.0.1:{silent_port}/", "--origin", APP, "--method", "PUT", "--timeout", "0.5"
    )
    assert code == 2
    assert [(f["code"], f["step"]) for f in document["findings"]] == [("timeout", "preflight")]


def test_https_to_a_plain_http_server_is_a_tls_error(corecors_url: str) -> None:
    code, document = probe_json(corecors_url.replace("http://", "https://") + "/", "--origin", APP)
    assert code == 2
    assert codes(document) == ["tls-failed"]


def test_not_http_at_all(garbage_port: int) -> None:
    code, document = probe_json(f"http://127.0.0.1:{garbage_port}/", "--origin", APP)
    assert code == 2
    assert codes(document) == ["invalid-response"]


@pytest.mark.parametrize(
    ("url", "origin", "extra", "code"),
    [
        ("ftp://127.0.0.1/", APP, [], "invalid-url"),
        ("http://user:pw@127.0.0.1/", APP, [], "invalid-url"),
        ("http:///nohost", APP, [], "invalid-url"),
        ("http://127.0.0.1/", "https://app.example.com/", [], "invalid-origin"),
        ("http://127.0.0.1/", "HTTPS://APP.EXAMPLE.COM", [], "invalid-origin"),
        ("http://127.0.0.1/", APP, ["--method", "CONNECT"], "invalid-request"),
        ("http://127.0.0.1/", APP, ["--method", "bad method"], "invalid-request"),
    ],
)
def test_usage_problems_exit_2_before_sending(
    url: str, origin: str, extra: list[str], code: str
) -> None:
    status, document = probe_json(url, "--origin", origin, *extra)
    assert status == 2
    assert codes(document) == [code]
    assert document["exchanges"] == []


def test_origin_is_required() -> None:
    result = run("probe", "http://127.0.0.1/")
    assert result.returncode == 2
    assert "--origin" in result.stderr


def test_human_output_for_an_error(unused_port: int) -> None:
    result = run("probe", f"http://127.0.0.1:{unused_port}/", "--origin", APP)
    assert result.returncode == 2
    assert "connection-refused" in result.stdout
    assert result.stdout.endswith("\nverdict: ERROR\n")


# -- sockets that are not HTTP servers -------------------------------------------------------


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def accepting(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A loopback listener whose thread hands every connection it accepts to ``handle``, for
    as long as the caller holds its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            handle(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts connections and never answers."""
    accepted: list[socket.socket] = []
    yield from accepting(accepted.append)
    for connection in accepted:
        connection.close()


def answer_not_http(connection: socket.socket) -> None:
    """Answer with a line that is not HTTP, then close."""
    with connection:
        connection.settimeout(2)
        try:
            connection.recv(65536)
            connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
        except OSError:
            pass


@pytest.fixture
def garbage_port() -> Iterator[int]:
    """Answers every connection with a line that is not HTTP, then closes it."""
    yield from accepting(answer_not_http)


def test_cookie_without_credentials_is_a_usage_error() -> None:
    result = run("probe", "http://127.0.0.1/", "--origin", APP, "--cookie", "s=1")
    assert result.returncode == 2
    assert "--cookie needs --credentials" in result.stderr


def test_same_origin_probe_is_flagged(corecors_url: str) -> None:
    origin = corecors_url  # http://127.0.0.1:<port>, allowed by the example's policy
    code, document = probe_json(corecors_url + "/api/hello", "--origin", origin)
    assert code == 0
    assert codes(document) == ["same-origin"]
    assert finding(document, "same-origin")["step"] == "request"


def test_path_is_percent_encoded_like_a_browser_does(scripted: Serve) -> None:
    script = Script(actual=GOOD_ACTUAL)
    url = scripted(script).replace("/api/data", "/a b/é?q=1 2")
    code, document = probe_json(url, "--origin", APP)
    assert code == 0
    assert document["exchanges"][0]["target"] == "/a%20b/%C3%A9?q=1%202"


def test_every_finding_code_is_documented() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    missing = [code for code in FINDINGS if f"`{code}`" not in text]
    assert missing == []
