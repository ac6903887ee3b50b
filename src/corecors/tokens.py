"""Method and header-name tokens: the Fetch standard's lists, parsing, and ``Vary`` merging.

Everything here is pure and bounded. Header names are compared lowercase;
methods are compared byte for byte (after the browser's own normalization).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "FORBIDDEN_METHODS",
    "FORBIDDEN_REQUEST_HEADER_NAMES",
    "NORMALIZED_METHODS",
    "SAFELISTED_METHODS",
    "SAFELISTED_RESPONSE_HEADER_NAMES",
    "is_forbidden_request_header_name",
    "is_token",
    "merge_vary",
    "normalize_method",
    "parse_request_header_names",
    "printable",
]

# RFC 9110 token: 1*tchar.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A list of tokens: only token characters, commas and optional whitespace. One C-level
# scan of the whole value, so each element needs no check of its own afterwards.
_TOKEN_LIST = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z \t,]*")

#: Methods that never need a preflight nor a listing in Access-Control-Allow-Methods.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})

#: Methods that fetch() and XMLHttpRequest byte-uppercase; every other method keeps its case.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

#: Why a method in another case is not the listed one, for messages to quote (one wording).
METHOD_CASE_RULE = (
    "browsers uppercase only "
    + ", ".join(sorted(NORMALIZED_METHODS)[:-1])
    + f" and {sorted(NORMALIZED_METHODS)[-1]}"
)

#: Methods browsers refuse to send (compared case-insensitively).
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

#: Request headers a script can never set, so listing them in allow_headers does nothing.
FORBIDDEN_REQUEST_HEADER_NAMES = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",
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
_FORBIDDEN_REQUEST_HEADER_PREFIXES = ("proxy-", "sec-")

#: Response headers every cross-origin script may read without Access-Control-Expose-Headers.
SAFELISTED_RESPONSE_HEADER_NAMES = frozenset(
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

_OPTIONAL_WHITESPACE = " \t"


def is_token(value: str) -> bool:
    """Whether ``value`` is an RFC 9110 token (a valid method or header name)."""
    return _TOKEN.fullmatch(value) is not None


def normalize_method(method: str) -> str:
    """Normalize a method the way fetch() does: uppercase only the six standard names."""
    upper = method.upper()
    return upper if upper in NORMALIZED_METHODS else method


def is_forbidden_request_header_name(name: str) -> bool:
    """Whether a script can never set the (lowercase) header ``name``."""
    return name in FORBIDDEN_REQUEST_HEADER_NAMES or name.startswith(
        _FORBIDDEN_REQUEST_HEADER_PREFIXES
    )


def parse_request_header_names(
    value: str, *, max_length: int, max_count: int
) -> tuple[str, ...] | None:
    """Parse an ``Access-Control-Request-Headers`` value into lowercase names.

    Tolerant the way RFC 9110 lists are: elements are split on ``,``, spaces and tabs
    around them are trimmed and empty elements skipped (so several field lines joined
    with ``,`` parse too). Bounded: a value longer than ``max_length`` characters, or
    with more than ``max_count`` elements (empty ones included), or with an element
    that is not a token, yields ``None`` -- the caller treats that as not allowed.
    """
    if len(value) > max_length or _TOKEN_LIST.fullmatch(value) is None:
        return None
    elements = value.lower().split(",", max_count)
    if len(elements) > max_count:
        return None
    names: list[str] = []
    for element in elements:
        name = element.strip(_OPTIONAL_WHITESPACE)
        if name:
            if " " in name or "\t" in name:
                return None  # whitespace inside a name: not a token
            names.append(name)
    return tuple(names)


def merge_vary(existing: str | None, names: Iterable[str]) -> str | None:
    """Return the ``Vary`` value that adds ``names`` to ``existing`` without duplicates.

    Names already present (compared case-insensitively) are not repeated, and
    ``Vary: *`` is left alone because it already varies on everything. Returns
    ``existing`` unchanged (possibly ``None``) when there is nothing to add.
    """
    base = (existing or "").rstrip(_OPTIONAL_WHITESPACE + ",")
    present: set[str] = set()
    if base.strip(_OPTIONAL_WHITESPACE):
        present = {item.strip(_OPTIONAL_WHITESPACE).lower() for item in base.split(",")}
        if "*" in present:
            return existing
    had_names = bool(present)
    missing: list[str] = []
    for name in names:
        lowered = name.lower()
        if lowered not in present:
            present.add(lowered)
            missing.append(name)
    if not missing:
        return existing
    return ", ".join([base, *missing] if had_names else missing)


def printable(value: str, limit: int = 80) -> str:
    """Quote client-sent text for messages: printable ASCII only, at most ``limit`` characters.

    Anything else is escaped, so a reason built from hostile input is safe in a log
    line or a response header.
    """
    clipped = value[:limit]
    suffix = f"... ({len(value)} characters)" if len(value) > limit else ""
    if clipped.isascii() and clipped.isprintable() and "'" not in clipped and "\\" not in clipped:
        return f"'{clipped}'{suffix}"
    escaped = "".join(
        char
        if " " <= char <= "~" and char not in "'\\"
        else f"\\x{ord(char):02x}"
        if ord(char) < 0x100
        else f"\\u{ord(char):04x}"
        if ord(char) < 0x10000
        else f"\\U{ord(char):08x}"
        for char in clipped
    )
    return f"'{escaped}'{suffix}"
