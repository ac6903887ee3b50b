"""The browser's side of the CORS protocol.

Given the request a page made with ``fetch()`` and the response headers a server sent, this module
answers whether a browser following the WHATWG Fetch standard (as Chromium does) lets the page read
the response, and if not, which step failed and what the server must change.

It is an *oracle*: tests use it to check the server-side core, and the ``corecors probe`` command
uses it to explain live responses. It depends on the standard library only and imports nothing
from the rest of ``corecors`` so that it stays an independent second opinion.

What is modelled (references are to the Fetch standard, ``F#anchor``):

* the request as the script wrote it: method normalization (``F#concept-method-normalize``),
  forbidden methods and request headers (``F#forbidden-method``, ``F#forbidden-request-header``),
  header value normalization, and repeated request headers combined with ``", "`` as Chromium
  sends them;
* whether a preflight is needed and what it carries (``F#cors-safelisted-request-header``,
  ``F#cors-unsafe-request-header-names``, ``F#cors-preflight-fetch`` steps 1-5);
* the CORS check (``F#cors-check``) on preflight and actual responses;
* the rest of the preflight: ok status, no redirects, ``Access-Control-Allow-Methods`` and
  ``Access-Control-Allow-Headers`` parsing and matching (``F#cors-preflight-fetch`` step 7), and
  the legacy Private Network Access header;
* which response headers script can read (``F#main-fetch``,
  ``F#cors-safelisted-response-header-name``).

What is not modelled: same-origin requests (every request is treated as cross-origin), redirects
of the actual request (a 3xx is CORS-checked, but not followed), the preflight cache, and
request bodies.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final, TypeAlias

__all__ = [
    "CHROMIUM_MAX_PREFLIGHT_CACHE_SECONDS",
    "DEFAULT_PREFLIGHT_CACHE_SECONDS",
    "SAFELISTED_METHODS",
    "SAFELISTED_RESPONSE_HEADER_NAMES",
    "BrowserRequest",
    "BrowserVerdict",
    "FailureStep",
    "Headers",
    "check_cors",
    "check_preflight",
    "check_response",
    "cors_unsafe_request_header_names",
    "exposed_response_header_names",
    "is_cors_safelisted_request_header",
    "is_forbidden_request_header",
    "needs_preflight",
    "normalize_method",
    "preflight_cache_seconds",
    "preflight_request_headers",
    "request_header_list",
    "simulate",
]

Headers: TypeAlias = Sequence[tuple[str, str]]
"""Header lines as (name, value) pairs; names in any case; repeated names allowed."""

# --------------------------------------------------------------------------------------------
# Constants from the standard
# --------------------------------------------------------------------------------------------

SAFELISTED_METHODS: Final = frozenset({"GET", "HEAD", "POST"})
"""CORS-safelisted methods (``F#cors-safelisted-method``), compared byte for byte."""

SAFELISTED_RESPONSE_HEADER_NAMES: Final = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
"""Response header names script can always read on a CORS response."""

_NORMALIZED_METHODS: Final = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_FORBIDDEN_METHODS: Final = frozenset({"CONNECT", "TRACE", "TRACK"})
_FORBIDDEN_REQUEST_HEADER_NAMES: Final = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
_METHOD_OVERRIDE_HEADER_NAMES: Final = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)
_FORBIDDEN_RESPONSE_HEADER_NAMES: Final = frozenset({"set-cookie", "set-cookie2"})
_SAFELISTED_REQUEST_HEADER_NAMES: Final = frozenset(
    {"accept", "accept-language", "content-language", "content-type", "range"}
)
_SAFELISTED_CONTENT_TYPES: Final = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_NON_WILDCARD_REQUEST_HEADER_NAME: Final = "authorization"

_MAX_SAFELISTED_VALUE_BYTES: Final = 128
_MAX_SAFELISTED_TOTAL_BYTES: Final = 1024

DEFAULT_PREFLIGHT_CACHE_SECONDS: Final = 5
CHROMIUM_MAX_PREFLIGHT_CACHE_SECONDS: Final = 7200

_ACAO: Final = "Access-Control-Allow-Origin"
_ACAC: Final = "Access-Control-Allow-Credentials"
_ACAM: Final = "Access-Control-Allow-Methods"
_ACAH: Final = "Access-Control-Allow-Headers"
_ACEH: Final = "Access-Control-Expose-Headers"
_ACMA: Final = "Access-Control-Max-Age"
_ACAPN: Final = "Access-Control-Allow-Private-Network"

# --------------------------------------------------------------------------------------------
# Byte-level helpers (ASCII only, as the standard's "byte-lowercase" and "byte-uppercase")
# --------------------------------------------------------------------------------------------

_UPPER: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER: Final = "abcdefghijklmnopqrstuvwxyz"
_TO_LOWER: Final = str.maketrans(_UPPER, _LOWER)
_TO_UPPER: Final = str.maketrans(_LOWER, _UPPER)
_DIGITS: Final = "0123456789"
_TCHARS: Final = frozenset("!#$%&'*+-.^_`|~" + _DIGITS + _UPPER + _LOWER)
_HTTP_WHITESPACE: Final = " \t\r\n"
_HTTP_TAB_OR_SPACE: Final = " \t"
_CORS_UNSAFE_BYTES: Final = frozenset('"():<>?@[\\]{}\x7f') | frozenset(
    chr(b) for b in range(0x20) if b != 0x09
)
_LANGUAGE_BYTES: Final = frozenset(_DIGITS + _UPPER + _LOWER + " *,-.;=")
_DELTA_SECONDS: Final = re.compile(r"[0-9]+", re.ASCII)
_NEGATIVE_INTEGER: Final = re.compile(r"-[0-9]+", re.ASCII)
_SCHEME_PREFIX: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:", re.ASCII)


def _lower(text: str) -> str:
    return text.translate(_TO_LOWER)


def _upper(text: str) -> str:
    return text.translate(_TO_UPPER)


def _is_token(text: str) -> bool:
    return bool(text) and all(char in _TCHARS for char in text)


def _byte_length(value: str) -> int:
    try:
        return len(value.encode("latin-1"))
    except UnicodeEncodeError:
        return len(value.encode("utf-8"))


def _get(headers: Headers, name: str) -> str | None:
    """Fetch's header list "get": the lines' values joined with ", ", or None when absent.

    Each line's value is stripped of leading and trailing spaces and tabs first, as an HTTP
    parser does.
    """
    wanted = _lower(name)
    values = [value.strip(_HTTP_TAB_OR_SPACE) for key, value in headers if _lower(key) == wanted]
    if not values:
        return None
    return ", ".join(values)


def _count(headers: Headers, name: str) -> int:
    wanted = _lower(name)
    return sum(1 for key, _ in headers if _lower(key) == wanted)


@dataclass(frozen=True, slots=True)
class _TokenList:
    """Result of extracting a ``#token`` list header (``F#extract-header-list-values``)."""

    present: bool
    values: tuple[str, ...] = ()
    invalid: str | None = None  # first element that is not a token; None when parsing succeeded


def _extract_tokens(headers: Headers, name: str) -> _TokenList:
    joined = _get(headers, name)
    if joined is None:
        return _TokenList(present=False)
    values: list[str] = []
    for element in joined.split(","):
        item = element.strip(_HTTP_TAB_OR_SPACE)
        if not item:
            continue  # empty list elements are allowed by the #rule
        if not _is_token(item):
            return _TokenList(present=True, invalid=item)
        values.append(item)
    return _TokenList(present=True, values=tuple(values))


def _quote_list(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrowserRequest:
    """A cross-origin ``fetch()`` as the page's script wrote it (request mode "cors")."""

    origin: str
    """Serialized origin of the page, e.g. ``"https://app.example.com"`` or ``"null"``."""
    method: str = "GET"
    """The method as written by the script; :func:`normalize_method` is applied by the oracle."""
    headers: Headers = ()
    """Request headers the script set, as (name, value) pairs."""
    credentials: bool = False
    """True for credentials mode "include"."""
    private_network: bool = False
    """The request goes to a more-private address space (legacy Private Network Access)."""
    use_cors_preflight: bool = False
    """The use-CORS-preflight flag (upload listeners, or a ``ReadableStream`` body)."""


class FailureStep(enum.Enum):
    """The step of the browser's algorithm that failed."""

    INVALID_REQUEST = "invalid-request"
    """``fetch()`` would throw before sending anything (forbidden or malformed method/header)."""
    PREFLIGHT_STATUS = "preflight-status"
    PREFLIGHT_REDIRECT = "preflight-redirect"
    MISSING_ALLOW_ORIGIN = "missing-allow-origin"
    MULTIPLE_ALLOW_ORIGIN = "multiple-allow-origin"
    ALLOW_ORIGIN_MISMATCH = "allow-origin-mismatch"
    WILDCARD_ORIGIN_WITH_CREDENTIALS = "wildcard-origin-with-credentials"
    MISSING_ALLOW_CREDENTIALS = "missing-allow-credentials"
    """``Access-Control-Allow-Credentials`` is absent or is not exactly ``true``."""
    INVALID_ALLOW_METHODS = "invalid-allow-methods"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    INVALID_ALLOW_HEADERS = "invalid-allow-headers"
    HEADER_NOT_ALLOWED = "header-not-allowed"
    MISSING_ALLOW_PRIVATE_NETWORK = "missing-allow-private-network"
    """``Access-Control-Allow-Private-Network`` is absent or is not exactly ``true``."""


@dataclass(frozen=True, slots=True)
class BrowserVerdict:
    """Whether the browser lets the page read the response, and if not, why."""

    ok: bool
    step: FailureStep | None
    """The failed step; None when ``ok``."""
    message: str
    """What failed and what the server must change; empty when ``ok``."""
    on_preflight: bool = False
    """True when this verdict is about the preflight (OPTIONS) response."""
    preflighted: bool = False
    """Set by :func:`simulate`: True when the exchange included a preflight."""
    exposed_headers: frozenset[str] = frozenset()
    """On a successful actual response: the lowercase header names script can read."""


_OK_PREFLIGHT: Final = BrowserVerdict(ok=True, step=None, message="", on_preflight=True)


def _fail(step: FailureStep, message: str, *, on_preflight: bool) -> BrowserVerdict:
    return BrowserVerdict(ok=False, step=step, message=message, on_preflight=on_preflight)


# --------------------------------------------------------------------------------------------
# The request side
# --------------------------------------------------------------------------------------------


def normalize_method(method: str) -> str:
    """Byte-uppercase ``method`` if it is DELETE, GET, HEAD, OPTIONS, POST or PUT in any case.

    Every other method keeps the script's casing: ``"patch"`` stays ``"patch"``.
    """
    upper = _upper(method)
    return upper if upper in _NORMALIZED_METHODS else method


def _is_forbidden_method(method: str) -> bool:
    return _upper(method) in _FORBIDDEN_METHODS


def is_forbidden_request_header(name: str, value: str) -> bool:
    """Whether ``fetch()`` silently drops this header (``F#forbidden-request-header``)."""
    lowered = _lower(name)
    if lowered in _FORBIDDEN_REQUEST_HEADER_NAMES:
        return True
    if lowered.startswith(("proxy-", "sec-")):
        return True
    if lowered in _METHOD_OVERRIDE_HEADER_NAMES:
        # "get, decode, and split": a method token holds neither "," nor '"', so a plain split
        # is enough to find a forbidden method among the values.
        return any(
            _is_forbidden_method(part.strip(_HTTP_TAB_OR_SPACE)) for part in value.split(",")
        )
    return False


def _mime_essence(value: str) -> str | None:
    """The essence of a MIME type per the strict "parse a MIME type", or None on failure.

    Parameters can never make parsing fail, so only the type and subtype are parsed.
    """
    text = value.strip(_HTTP_WHITESPACE)
    slash = text.find("/")
    if slash < 0:
        return None
    kind = text[:slash]
    rest = text[slash + 1 :]
    semicolon = rest.find(";")
    subtype = (rest if semicolon < 0 else rest[:semicolon]).rstrip(_HTTP_WHITESPACE)
    if not _is_token(kind) or not _is_token(subtype):
        return None
    return _lower(f"{kind}/{subtype}")


def _range_start(value: str) -> int | None:
    """Start of a ``Range`` value per "parse a single range header value" without whitespace.

    Returns None on failure and for suffix ranges (``bytes=-500``), which are not safelisted.
    """
    if not value.startswith("bytes="):
        return None
    spec = value[len("bytes=") :]
    start, dash, end = spec.partition("-")
    if not dash or not start:
        return None
    if any(char not in _DIGITS for char in start) or any(char not in _DIGITS for char in end):
        return None
    start_value = int(start)
    if end and start_value > int(end):
        return None
    return start_value


def is_cors_safelisted_request_header(name: str, value: str) -> bool:
    """Whether (name, value) needs no preflight (``F#cors-safelisted-request-header``).

    ``value`` is taken as the browser holds it, i.e. already stripped of leading and trailing
    HTTP whitespace. The 1024-byte rule across headers is applied by
    :func:`cors_unsafe_request_header_names`, not here.
    """
    if _byte_length(value) > _MAX_SAFELISTED_VALUE_BYTES:
        return False
    lowered = _lower(name)
    if lowered == "accept":
        return not any(char in _CORS_UNSAFE_BYTES for char in value)
    if lowered in {"accept-language", "content-language"}:
        return all(char in _LANGUAGE_BYTES for char in value)
    if lowered == "content-type":
        if any(char in _CORS_UNSAFE_BYTES for char in value):
            return False
        return _mime_essence(value) in _SAFELISTED_CONTENT_TYPES
    if lowered == "range":
        return _range_start(value) is not None
    return False


def _script_header_list(headers: Headers) -> list[tuple[str, str]]:
    """The header list ``fetch()`` builds from the script's headers (``Headers`` "append").

    Values are normalized (leading and trailing HTTP whitespace removed) and forbidden request
    headers are dropped, since ``fetch()`` ignores them silently. Repeated names stay separate.
    """
    result: list[tuple[str, str]] = []
    for name, raw_value in headers:
        value = raw_value.strip(_HTTP_WHITESPACE)
        if not is_forbidden_request_header(name, value):
            result.append((name, value))
    return result


def request_header_list(headers: Headers) -> list[tuple[str, str]]:
    """The script's headers as Chromium puts them on the wire.

    Values normalized, forbidden request headers dropped, and repeated names combined into one
    header whose value is the values joined with ", " (first-seen order and casing). The oracle's
    request-side functions (:func:`needs_preflight`, :func:`preflight_request_headers`, the
    preflight checks, :func:`simulate`) work on this list, so two ``Content-Type: text/plain``
    headers become one unsafe ``text/plain, text/plain``.
    """
    order: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in _script_header_list(headers):
        key = _lower(name)
        if key not in values:
            order.append(key)
            names[key] = name
            values[key] = []
        values[key].append(value)
    return [(names[key], ", ".join(values[key])) for key in order]


def _unsafe_names(header_list: Sequence[tuple[str, str]]) -> list[str]:
    unsafe: set[str] = set()
    potentially_unsafe: list[str] = []
    safelisted_size = 0
    for name, value in header_list:
        if is_cors_safelisted_request_header(name, value):
            potentially_unsafe.append(name)
            safelisted_size += _byte_length(value)
        else:
            unsafe.add(_lower(name))
    if safelisted_size > _MAX_SAFELISTED_TOTAL_BYTES:
        unsafe.update(_lower(name) for name in potentially_unsafe)
    return sorted(unsafe)


def cors_unsafe_request_header_names(headers: Headers) -> list[str]:
    """The standard's CORS-unsafe request-header names of a header list.

    Lowercase, deduplicated and sorted (``F#cors-unsafe-request-header-names``), including the
    rule that when the safelisted headers' values add up to more than 1024 bytes, all of their
    names become unsafe. Values are normalized and forbidden request headers left out first.

    Each (name, value) entry is judged on its own, as in the standard. The oracle's
    request-side functions apply this to :func:`request_header_list` instead, where repeated
    names are already combined the way Chromium sends them; the two differ only when a name
    repeats.
    """
    return _unsafe_names(_script_header_list(headers))


def _wire_unsafe_names(request: BrowserRequest) -> list[str]:
    return _unsafe_names(request_header_list(request.headers))


def needs_preflight(request: BrowserRequest) -> bool:
    """Whether the browser sends a CORS preflight before the request.

    True for the use-CORS-preflight flag, a private-network request, a method that is not
    CORS-safelisted after normalization, or any CORS-unsafe request header.
    """
    return (
        request.use_cors_preflight
        or request.private_network
        or normalize_method(request.method) not in SAFELISTED_METHODS
        or bool(_wire_unsafe_names(request))
    )


def preflight_request_headers(request: BrowserRequest) -> list[tuple[str, str]]:
    """The CORS-specific headers of the preflight (OPTIONS) request.

    ``Origin``, ``Access-Control-Request-Method`` (the normalized method),
    ``Access-Control-Request-Headers`` (sorted lowercase names joined with "," and no space;
    omitted when empty) and, for a private-network request,
    ``Access-Control-Request-Private-Network: true``. Headers every request carries
    (``Accept: */*``, ``User-Agent``, ``Sec-Fetch-*``) are not included.
    """
    result = [
        ("Origin", request.origin),
        ("Access-Control-Request-Method", normalize_method(request.method)),
    ]
    unsafe = _wire_unsafe_names(request)
    if unsafe:
        result.append(("Access-Control-Request-Headers", ",".join(unsafe)))
    if request.private_network:
        result.append(("Access-Control-Request-Private-Network", "true"))
    return result


def _request_problem(request: BrowserRequest) -> str | None:
    """Why ``fetch()`` would throw a TypeError before sending anything, or None."""
    if not _is_token(request.method):
        return f"fetch() throws a TypeError: {request.method!r} is not a valid method token"
    if _is_forbidden_method(request.method):
        return (
            f"fetch() throws a TypeError: {request.method!r} is a forbidden method "
            "(CONNECT, TRACE and TRACK can never be sent from script)"
        )
    for name, value in request.headers:
        if not _is_token(name):
            return f"fetch() throws a TypeError: {name!r} is not a valid header name"
        normalized = value.strip(_HTTP_WHITESPACE)
        if any(char in "\x00\r\n" for char in normalized) or any(ord(c) > 0xFF for c in value):
            return f"fetch() throws a TypeError: the value of {name!r} is not a valid header value"
    return None


def _invalid_request(request: BrowserRequest, *, on_preflight: bool) -> BrowserVerdict | None:
    problem = _request_problem(request)
    if problem is None:
        return None
    return _fail(FailureStep.INVALID_REQUEST, problem, on_preflight=on_preflight)


# --------------------------------------------------------------------------------------------
# The CORS check
# --------------------------------------------------------------------------------------------


def _what_to_send(request: BrowserRequest) -> str:
    if request.credentials:
        return (
            f"send 'Access-Control-Allow-Origin: {request.origin}' together with "
            "'Access-Control-Allow-Credentials: true'"
        )
    return f"send 'Access-Control-Allow-Origin: {request.origin}' (or '*')"


def _cors_check(request: BrowserRequest, headers: Headers, *, preflight: bool) -> BrowserVerdict:
    """``F#cors-check`` with Chromium's classification of failures."""
    subject = "the preflight response" if preflight else "the response"
    # Steps 1-2: no Access-Control-Allow-Origin is a failure.
    allow_origin = _get(headers, _ACAO)
    if allow_origin is None:
        return _fail(
            FailureStep.MISSING_ALLOW_ORIGIN,
            f"{subject} has no Access-Control-Allow-Origin header; {_what_to_send(request)}",
            on_preflight=preflight,
        )
    # Step 3: "*" passes without credentials; with them it fails step 4 (Chromium names why).
    if allow_origin == "*":
        if request.credentials:
            return _fail(
                FailureStep.WILDCARD_ORIGIN_WITH_CREDENTIALS,
                f"{subject} has 'Access-Control-Allow-Origin: *', which browsers reject for "
                "requests with credentials mode 'include'; echo the request's origin "
                f"('{request.origin}') instead and send 'Access-Control-Allow-Credentials: true'",
                on_preflight=preflight,
            )
    # Step 4: any other value must be the request's serialized origin, byte for byte.
    elif allow_origin != request.origin:
        return _origin_mismatch(request, headers, allow_origin, subject, preflight=preflight)
    # Step 5: without credentials, that is all; steps 6-8 check the credentials header.
    if not request.credentials:
        return BrowserVerdict(ok=True, step=None, message="", on_preflight=preflight)
    return _credentials_check(headers, subject, preflight=preflight)


def _origin_mismatch(
    request: BrowserRequest, headers: Headers, allow_origin: str, subject: str, *, preflight: bool
) -> BrowserVerdict:
    """``F#cors-check`` step 4 failed: say whether several values, no origin, or another one."""
    lines = _count(headers, _ACAO)
    if lines > 1:
        return _fail(
            FailureStep.MULTIPLE_ALLOW_ORIGIN,
            f"{subject} has {lines} Access-Control-Allow-Origin lines, which the browser "
            f"reads as the single value '{allow_origin}'; send exactly one line: "
            f"'{request.origin}'" + ("" if request.credentials else " or '*'"),
            on_preflight=preflight,
        )
    if " " in allow_origin or "," in allow_origin:
        return _fail(
            FailureStep.MULTIPLE_ALLOW_ORIGIN,
            f"{subject}'s Access-Control-Allow-Origin '{allow_origin}' holds several "
            "values; it must be exactly one origin or '*'; " + _what_to_send(request),
            on_preflight=preflight,
        )
    if not allow_origin:
        detail = "is empty"
    elif allow_origin != "null" and not _SCHEME_PREFIX.match(allow_origin):
        detail = f"is '{allow_origin}', which is not a serialized origin"
    else:
        detail = (
            f"is '{allow_origin}' but the page's origin is '{request.origin}'; they must "
            "match byte for byte (lowercase scheme and host, no path or trailing slash, no "
            "default port)"
        )
    return _fail(
        FailureStep.ALLOW_ORIGIN_MISMATCH,
        f"{subject}'s Access-Control-Allow-Origin {detail}; {_what_to_send(request)}",
        on_preflight=preflight,
    )


def _credentials_check(headers: Headers, subject: str, *, preflight: bool) -> BrowserVerdict:
    """``F#cors-check`` steps 6-8: ``Access-Control-Allow-Credentials`` must be ``true``."""
    allow_credentials = _get(headers, _ACAC)
    if allow_credentials == "true":
        return BrowserVerdict(ok=True, step=None, message="", on_preflight=preflight)
    if allow_credentials is None:
        detail = "has no Access-Control-Allow-Credentials header"
    elif _count(headers, _ACAC) > 1:
        detail = (
            f"has {_count(headers, _ACAC)} Access-Control-Allow-Credentials lines, read as "
            f"'{allow_credentials}'"
        )
    else:
        detail = f"has 'Access-Control-Allow-Credentials: {allow_credentials}'"
    return _fail(
        FailureStep.MISSING_ALLOW_CREDENTIALS,
        f"the request includes credentials but {subject} {detail}; send exactly one "
        "'Access-Control-Allow-Credentials: true' (lowercase)",
        on_preflight=preflight,
    )


def check_cors(request: BrowserRequest, headers: Headers) -> BrowserVerdict:
    """The CORS check (``F#cors-check``): ``Access-Control-Allow-Origin`` and, with
    credentials, ``Access-Control-Allow-Credentials``.

    ``Access-Control-Allow-Origin`` passes when, after stripping spaces and tabs, it is
    byte-equal to the request's origin, or is ``*`` and the request has no credentials. Repeated
    lines are joined with ", " first, so two lines (even identical ones) always fail.
    """
    return _cors_check(request, headers, preflight=False)


# --------------------------------------------------------------------------------------------
# The preflight
# --------------------------------------------------------------------------------------------


def _method_verdict(request: BrowserRequest, methods: _TokenList) -> BrowserVerdict | None:
    """Item 5 of :func:`check_preflight` (``F#cors-preflight-fetch`` steps 7.4-7.5)."""
    method = normalize_method(request.method)
    if method in SAFELISTED_METHODS or method in methods.values:
        return None
    star = "*" in methods.values
    if star and not request.credentials:
        return None
    if star:
        message = (
            "the request includes credentials, so '*' in the preflight response's "
            f"Access-Control-Allow-Methods is only a method literally named '*'; list '{method}' "
            "explicitly"
        )
    elif not methods.present:
        message = (
            "the preflight response has no Access-Control-Allow-Methods header and "
            f"'{method}' is not a CORS-safelisted method; send "
            f"'Access-Control-Allow-Methods: {method}'"
        )
    else:
        near = [listed for listed in methods.values if _upper(listed) == _upper(method)]
        if near:
            message = (
                f"the preflight response's Access-Control-Allow-Methods lists {_quote_list(near)}"
                f" but the request's method is '{method}'; methods compare byte for byte "
                # The wording of corecors.tokens.METHOD_CASE_RULE, written out: the oracle
                # imports nothing from the core it checks.
                "(browsers uppercase only DELETE, GET, HEAD, OPTIONS, POST and PUT); "
                f"list '{method}' exactly"
            )
        else:
            message = (
                "the preflight response's Access-Control-Allow-Methods does not list "
                f"'{method}'; add it (methods compare byte for byte)"
            )
    return _fail(FailureStep.METHOD_NOT_ALLOWED, message, on_preflight=True)


def _why_unsafe(name: str, header_list: Sequence[tuple[str, str]]) -> str:
    """Explain why a normally safelisted header name still needs listing."""
    if name not in _SAFELISTED_REQUEST_HEADER_NAMES:
        return ""
    for key, value in header_list:
        if _lower(key) != name:
            continue
        if is_cors_safelisted_request_header(key, value):
            return (
                f" ('{name}' needs listing because the CORS-safelisted request headers' "
                "values exceed 1024 bytes in total)"
            )
        size = _byte_length(value)
        if size > _MAX_SAFELISTED_VALUE_BYTES:
            return (
                f" ('{name}' needs listing because its value is {size} bytes, over the "
                f"{_MAX_SAFELISTED_VALUE_BYTES}-byte limit; repeated headers are combined)"
            )
        return f" ('{name}' needs listing because its value {value!r} is not CORS-safelisted)"
    return ""


def _headers_verdict(request: BrowserRequest, header_names: _TokenList) -> BrowserVerdict | None:
    """Item 6 of :func:`check_preflight` (``F#cors-preflight-fetch`` steps 7.6-7.7)."""
    allowed = {_lower(name) for name in header_names.values}
    prepared = request_header_list(request.headers)
    sent = {_lower(name) for name, _ in prepared}
    star = "*" in allowed
    # Step 7.6: Authorization is never covered by "*".
    if (
        _NON_WILDCARD_REQUEST_HEADER_NAME in sent
        and _NON_WILDCARD_REQUEST_HEADER_NAME not in allowed
    ):
        if star:
            message = (
                "'*' in the preflight response's Access-Control-Allow-Headers does not cover "
                "'authorization'; list it explicitly"
            )
        else:
            message = (
                "the preflight response's Access-Control-Allow-Headers does not list "
                "'authorization'; add it (header names compare case-insensitively)"
            )
        return _fail(FailureStep.HEADER_NOT_ALLOWED, message, on_preflight=True)
    if star and not request.credentials:
        return None
    missing = [name for name in _unsafe_names(prepared) if name not in allowed]
    if not missing:
        return None
    names = _quote_list(missing)
    it = "it" if len(missing) == 1 else "them"
    if star:
        message = (
            "the request includes credentials, so '*' in the preflight response's "
            "Access-Control-Allow-Headers is only a header literally named '*'; list "
            f"{names} explicitly"
        )
    elif not header_names.present:
        message = (
            "the preflight response has no Access-Control-Allow-Headers header but the request "
            f"sends {names}; send 'Access-Control-Allow-Headers: {', '.join(missing)}'"
        )
    else:
        message = (
            f"the preflight response's Access-Control-Allow-Headers does not list {names}; "
            f"add {it} (header names compare case-insensitively)"
        )
    message += "".join(_why_unsafe(name, prepared) for name in missing)
    return _fail(FailureStep.HEADER_NOT_ALLOWED, message, on_preflight=True)


def check_preflight(request: BrowserRequest, status: int, headers: Headers) -> BrowserVerdict:
    """Would the browser accept this response to the preflight for ``request``?

    In order (``F#cors-preflight-fetch`` step 7, in Chromium's order; one helper per item):

    1. a 3xx fails: browsers never follow redirects on preflights;
    2. the CORS check, with the *actual* request's credentials mode;
    3. the status must be an ok status (200-299);
    4. ``Access-Control-Allow-Methods`` and ``Access-Control-Allow-Headers`` must parse: every
       non-empty element a token (one bad element fails the whole preflight; empty elements and
       several lines are fine);
    5. the method: CORS-safelisted, or listed byte for byte, or ``*`` without credentials;
    6. the headers: ``authorization`` must be listed explicitly; every other CORS-unsafe name
       must be listed (case-insensitively), or ``*`` without credentials;
    7. for a private-network request, ``Access-Control-Allow-Private-Network`` must be exactly
       ``true``.

    Unlike the letter of step 7.4, a missing ``Access-Control-Allow-Methods`` is not taken to
    allow the request's own method when the use-CORS-preflight flag is set; Chromium does not do
    that either, and a server should not rely on it.
    """
    invalid = _invalid_request(request, on_preflight=True)
    if invalid is not None:
        return invalid
    methods = _extract_tokens(headers, _ACAM)
    header_names = _extract_tokens(headers, _ACAH)
    failure = (
        _redirect_verdict(status)
        or _preflight_cors_verdict(request, status, headers)
        or _allow_lists_verdict(methods, header_names)
        or _method_verdict(request, methods)
        or _headers_verdict(request, header_names)
        or _private_network_verdict(request, headers)
    )
    return failure or _OK_PREFLIGHT


def _redirect_verdict(status: int) -> BrowserVerdict | None:
    """Item 1 of :func:`check_preflight`: a 3xx is no ok status; Chromium names the redirect."""
    if not 300 <= status <= 399:
        return None
    return _fail(
        FailureStep.PREFLIGHT_REDIRECT,
        f"the preflight (OPTIONS) response has status {status}; browsers never follow "
        "redirects on a preflight; answer OPTIONS directly with 204 or 200 (keep "
        "http-to-https, trailing-slash and login redirects away from OPTIONS)",
        on_preflight=True,
    )


def _preflight_cors_verdict(
    request: BrowserRequest, status: int, headers: Headers
) -> BrowserVerdict | None:
    """Items 2-3 of :func:`check_preflight`: the CORS check, then an ok status.

    ``F#cors-preflight-fetch`` step 7 asks for both; Chromium reports a failed CORS check first,
    and the message then mentions the bad status too.
    """
    ok_status = 200 <= status <= 299
    verdict = _cors_check(request, headers, preflight=True)
    if not verdict.ok:
        if ok_status:
            return verdict
        return replace(
            verdict,
            message=f"{verdict.message} (its status {status} would fail too: a preflight needs "
            "200-299)",
        )
    if ok_status:
        return None
    return _fail(
        FailureStep.PREFLIGHT_STATUS,
        f"the preflight (OPTIONS) response has status {status}; it must be 200-299 "
        "(204 or 200); answer OPTIONS in the CORS layer, before authentication or routing "
        "that rejects it",
        on_preflight=True,
    )


def _allow_lists_verdict(methods: _TokenList, header_names: _TokenList) -> BrowserVerdict | None:
    """Item 4 of :func:`check_preflight` (``F#cors-preflight-fetch`` steps 7.1-7.3): parsing."""
    if methods.invalid is not None:
        return _fail(
            FailureStep.INVALID_ALLOW_METHODS,
            f"the preflight response's Access-Control-Allow-Methods contains {methods.invalid!r},"
            " which is not a method token; one invalid element fails the whole preflight; send a "
            "comma-separated list of method names such as 'GET, PUT'",
            on_preflight=True,
        )
    if header_names.invalid is not None:
        return _fail(
            FailureStep.INVALID_ALLOW_HEADERS,
            "the preflight response's Access-Control-Allow-Headers contains "
            f"{header_names.invalid!r}, which is not a header name token; one invalid element "
            "fails the whole preflight; send a comma-separated list of header names such as "
            "'content-type, x-token'",
            on_preflight=True,
        )
    return None


def _private_network_verdict(request: BrowserRequest, headers: Headers) -> BrowserVerdict | None:
    """Item 7 of :func:`check_preflight`: the legacy Private Network Access answer."""
    if not request.private_network:
        return None
    allow_private = _get(headers, _ACAPN)
    if allow_private == "true":
        return None
    detail = (
        "has no Access-Control-Allow-Private-Network header"
        if allow_private is None
        else f"has 'Access-Control-Allow-Private-Network: {allow_private}'"
    )
    return _fail(
        FailureStep.MISSING_ALLOW_PRIVATE_NETWORK,
        f"the request goes to a private network and the preflight response {detail}; "
        "send exactly 'Access-Control-Allow-Private-Network: true' (lowercase)",
        on_preflight=True,
    )


def preflight_cache_seconds(headers: Headers) -> int:
    """How long Chromium caches a successful preflight, from ``Access-Control-Max-Age``.

    Missing or unparseable: 5 seconds (the standard's default). Non-negative integers are
    capped at Chromium's 7200 seconds. A negative integer means 0 (not cached) in Chromium.
    Two header lines are read joined (``"5, 5"``) and so do not parse.
    """
    value = _get(headers, _ACMA)
    if value is None:
        return DEFAULT_PREFLIGHT_CACHE_SECONDS
    if _DELTA_SECONDS.fullmatch(value):
        digits = value.lstrip("0") or "0"
        if len(digits) > len(str(CHROMIUM_MAX_PREFLIGHT_CACHE_SECONDS)):
            return CHROMIUM_MAX_PREFLIGHT_CACHE_SECONDS
        return min(int(digits), CHROMIUM_MAX_PREFLIGHT_CACHE_SECONDS)
    if _NEGATIVE_INTEGER.fullmatch(value):
        return 0
    return DEFAULT_PREFLIGHT_CACHE_SECONDS


# --------------------------------------------------------------------------------------------
# The actual response
# --------------------------------------------------------------------------------------------


def exposed_response_header_names(request: BrowserRequest, headers: Headers) -> frozenset[str]:
    """The lowercase response header names script can read via ``response.headers``.

    Empty when the CORS check fails (script gets a network error). Otherwise the CORS-safelisted
    response header names (whether present or not) plus the names listed in
    ``Access-Control-Expose-Headers``; a ``*`` there exposes every header name present when the
    request has no credentials (with credentials it is only a name literally ``*``). Set-Cookie
    and Set-Cookie2 are never exposed. If the expose list fails to parse, nothing extra is
    exposed.
    """
    if not _cors_check(request, headers, preflight=False).ok:
        return frozenset()
    names = set(SAFELISTED_RESPONSE_HEADER_NAMES)
    expose = _extract_tokens(headers, _ACEH)
    if expose.invalid is None:
        listed = {_lower(name) for name in expose.values}
        if "*" in listed and not request.credentials:
            names.update(_lower(name) for name, _ in headers)
        else:
            names.update(listed)
    return frozenset(names - _FORBIDDEN_RESPONSE_HEADER_NAMES)


def check_response(request: BrowserRequest, status: int, headers: Headers) -> BrowserVerdict:
    """Would the browser let the page read this actual (non-preflight) response?

    Only the CORS check applies: any status may be shared, and a 3xx is CORS-checked before it
    would be followed (following it is not modelled). On success, ``exposed_headers`` holds the
    names script can read.
    """
    invalid = _invalid_request(request, on_preflight=False)
    if invalid is not None:
        return invalid
    verdict = _cors_check(request, headers, preflight=False)
    if not verdict.ok:
        return verdict
    return replace(verdict, exposed_headers=exposed_response_header_names(request, headers))


def simulate(
    request: BrowserRequest, send: Callable[[str, Headers], tuple[int, Headers]]
) -> BrowserVerdict:
    """Run the whole exchange against ``send(method, request_headers) -> (status, headers)``.

    If a preflight is needed, ``send("OPTIONS", preflight headers)`` is called and checked with
    :func:`check_preflight`; a failure ends the exchange (the actual request is never sent).
    Then ``send(normalized method, [("Origin", origin), *script headers])`` is called and the
    result checked with :func:`check_response`. The script headers are sent as the browser sends
    them: values trimmed, forbidden headers dropped, repeated names combined.
    """
    invalid = _invalid_request(request, on_preflight=False)
    if invalid is not None:
        return invalid
    preflighted = needs_preflight(request)
    if preflighted:
        status, headers = send("OPTIONS", preflight_request_headers(request))
        verdict = check_preflight(request, status, headers)
        if not verdict.ok:
            return replace(verdict, preflighted=True)
    actual_headers = [("Origin", request.origin), *request_header_list(request.headers)]
    status, headers = send(normalize_method(request.method), actual_headers)
    return replace(check_response(request, status, headers), preflighted=preflighted)
