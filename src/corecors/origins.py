"""Serialized origins: parsing what browsers send, and matching configured origin patterns.

A browser's ``Origin`` is either ``null`` or ``scheme://host[:port]`` with a lowercase
scheme and host, punycode for internationalized names, canonical IP literals and no
default port. Anything else did not come from a conforming browser and is never allowed.

Configured patterns are parsed once into :class:`OriginPattern` and compiled into an
:class:`OriginMatcher` whose ``matches`` does set lookups only: an exact origin is one
lookup, a subdomain pattern one lookup per label of the request's host.
"""

from __future__ import annotations

import inspect
import ipaddress
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from .errors import CORSConfigWarning

__all__ = [
    "ANY_PORT",
    "DEFAULT_PORTS",
    "REGEX_INPUT_LIMIT",
    "OriginMatcher",
    "OriginPattern",
    "OriginRegex",
    "ParsedOrigin",
    "is_ip_literal",
    "is_loopback_host",
    "parse_origin",
    "parse_origin_pattern",
]

#: Ports browsers leave out of a serialized origin.
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}

#: Marker for "any port, including the scheme's default" in a pattern.
ANY_PORT = -1

_MAX_HOST_LENGTH = 253

#: The longest origin ``allow_origin_regex`` is run on (longer ones never match it). A real
#: origin is far shorter (its host has at most 253 characters); up to this length RE2's
#: lazy DFA answers every regex it accepts in microseconds, while past ~1000 characters
#: some regexes make it fall back to its slower (still linear) engine.
REGEX_INPUT_LIMIT = 512

# The shape of a serialized origin, labels included (dot-separated, 1 to 63 characters).
# No two quantifiers can match the same text, so a failing match cannot backtrack much.
_SERIALIZED_ORIGIN = re.compile(
    r"([a-z][a-z0-9+.\-]*)://"
    r"(\[[0-9a-f:.]+\]|(?:[a-z0-9_\-]{1,63}\.)*[a-z0-9_\-]{1,63})"
    r"(?::([0-9]{1,5}))?"
)
_LOOPBACK_NAMES = frozenset({"localhost"})


class ParsedOrigin(NamedTuple):
    """The parts of a tuple origin. ``port`` is ``None`` when it is the scheme's default."""

    scheme: str
    host: str
    port: int | None


def is_ip_literal(host: str) -> bool:
    """Whether ``host``, as an origin writes it, is an IP address rather than a name: an IPv6
    address in brackets, or a host whose last label is a number (which the URL standard
    reads as IPv4, whatever the other labels hold)."""
    return host.startswith("[") or (host[-1:].isdigit() and host.rpartition(".")[2].isdigit())


def _valid_host(host: str) -> bool:
    """The checks the regular expression cannot make: IP literals and the total length."""
    if host.startswith("["):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return f"[{address.compressed}]" == host
    if len(host) > _MAX_HOST_LENGTH:
        return False
    if is_ip_literal(host):
        # An IPv4 address: it must be canonical.
        try:
            return str(ipaddress.IPv4Address(host)) == host
        except ValueError:
            return False
    return True


def parse_origin(value: str, *, max_length: int = 512) -> ParsedOrigin | None:
    """Parse a serialized tuple origin exactly as a browser writes it.

    Returns ``None`` for anything a conforming browser would not send: ``null``
    (an opaque origin, handled separately), uppercase, a path or trailing slash,
    userinfo, a default port, a non-canonical IP literal, or a value longer than
    ``max_length`` (checked before any other work).
    """
    if len(value) > max_length:
        return None
    match = _SERIALIZED_ORIGIN.fullmatch(value)
    if match is None:
        return None
    scheme, host, port_text = match.groups()
    if scheme == "file" or not _valid_host(host):
        return None
    if port_text is None:
        return ParsedOrigin(scheme, host, None)
    if port_text.startswith("0"):
        return None
    port = int(port_text)
    if port > 65535 or DEFAULT_PORTS.get(scheme) == port:
        return None
    return ParsedOrigin(scheme, host, port)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` always names this machine (RFC 6761 localhost names, loopback IPs)."""
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class OriginPattern:
    """One configured origin: exact, a subdomain wildcard, a port wildcard, or both.

    ``subdomains`` means one or more labels before ``host`` (never ``host`` itself);
    ``port`` is ``None`` for the default port or :data:`ANY_PORT`.
    """

    scheme: str
    host: str
    port: int | None
    subdomains: bool

    @property
    def is_exact(self) -> bool:
        return not self.subdomains and self.port != ANY_PORT

    def serialize(self) -> str:
        host = f"*.{self.host}" if self.subdomains else self.host
        if self.port is None:
            return f"{self.scheme}://{host}"
        port = "*" if self.port == ANY_PORT else str(self.port)
        return f"{self.scheme}://{host}:{port}"


def _suggest_canonical(text: str) -> str | None:
    """Best-effort canonical spelling of a hand-written origin, for error messages."""
    candidate = text.strip()
    scheme, separator, rest = candidate.partition("://")
    if not separator:
        return None
    scheme = scheme.lower()
    rest = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    rest = rest.rsplit("@", 1)[-1]
    host, colon, port = rest.rpartition(":") if not rest.endswith("]") else (rest, "", "")
    if not colon or not (port.isdigit() or port == "*"):
        host, port = rest, ""
    wildcard = host.startswith("*.")
    bare = host[2:] if wildcard else host
    try:
        bare = bare.encode("idna").decode("ascii").lower()
    except UnicodeError:
        bare = bare.lower()
    host = f"*.{bare}" if wildcard else bare
    if port and port != "*" and DEFAULT_PORTS.get(scheme) == int(port):
        port = ""
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def parse_origin_pattern(text: str) -> OriginPattern | str:
    """Parse one configured origin. Returns the pattern, or a sentence saying what to write.

    Accepted: ``https://app.example.com``, ``https://*.example.com`` (any subdomain,
    never the apex), ``http://localhost:*`` (any port), and ``https://*.example.com:*``.
    The text must be canonical -- exactly what a browser would send -- so that it can
    be compared byte for byte.
    """
    shown = repr(text)
    if text == "null":
        return (
            "'null' in allow_origins: the null origin is shared by sandboxed iframes, data: "
            "URLs and redirected requests that any site can create; if you really mean to "
            "trust it, set allow_null_origin=True instead"
        )
    if "://" not in text:
        return f"{shown} is not an origin: write scheme://host[:port], e.g. 'https://{text}'"
    scheme = text.split("://", 1)[0]
    if scheme.lower() == "file":
        return f"{shown}: file: origins are opaque (browsers send 'null'); remove it"
    wildcard_host = "://*." in text
    wildcard_port = text.endswith(":*")
    probe = text
    if wildcard_host:
        probe = probe.replace("://*.", "://", 1)
    if wildcard_port:
        probe = probe[:-2]
    parsed = parse_origin(probe, max_length=2048)
    if parsed is None:
        suggestion = _suggest_canonical(text)
        if suggestion is not None and suggestion != text:
            as_pattern = parse_origin_pattern(suggestion) if suggestion != text else None
            if isinstance(as_pattern, OriginPattern):
                return (
                    f"{shown} is not a canonical origin: write {suggestion!r} (browsers send "
                    "a lowercase scheme and host, punycode for international names, no "
                    "default port, and no path or trailing slash)"
                )
        if "*" in text:
            return (
                f"{shown} is not a supported pattern: use 'https://*.example.com' for "
                "subdomains, 'http://localhost:*' for any port, or allow_origin_regex"
            )
        return f"{shown} is not a valid origin: write scheme://host[:port] in lowercase"
    if wildcard_port and parsed.port is not None:
        return f"{shown} has two ports; write either a port or ':*'"
    if wildcard_host and is_ip_literal(parsed.host):
        return f"{shown}: an IP address has no subdomains; list the address itself"
    port = ANY_PORT if wildcard_port else parsed.port
    return OriginPattern(parsed.scheme, parsed.host, port, wildcard_host)


OriginPredicate = Callable[[str], bool]


class OriginRegex(Protocol):
    """A compiled ``allow_origin_regex``: RE2's (linear-time) in a policy, or ``re``'s."""

    def fullmatch(self, text: str) -> object | None: ...


class OriginMatcher:
    """The compiled set of allowed origins. ``matches`` never raises.

    Exact origins are one set lookup on the raw header value (a configured origin is
    canonical, so an equal request value is valid by construction). Patterns need the
    request's origin parsed first: port wildcards are a lookup by (scheme, host), and
    subdomain wildcards a lookup per dot of the host, so the cost does not grow with
    the number of patterns.
    """

    __slots__ = (
        "_any_port_hosts",
        "_exact",
        "_exact_limit",
        "_has_patterns",
        "_max_length",
        "_predicate",
        "_regex",
        "_subdomain_bases",
        "allow_null",
    )

    def __init__(
        self,
        patterns: Iterable[OriginPattern],
        *,
        regex: OriginRegex | None = None,
        predicate: OriginPredicate | None = None,
        allow_null: bool = False,
        max_length: int = 512,
    ) -> None:
        exact: set[str] = set()
        any_port_hosts: set[tuple[str, str]] = set()
        subdomain_bases: dict[tuple[str, int | None], set[str]] = {}
        for pattern in patterns:
            if pattern.subdomains:
                subdomain_bases.setdefault((pattern.scheme, pattern.port), set()).add(pattern.host)
            elif pattern.port == ANY_PORT:
                any_port_hosts.add((pattern.scheme, pattern.host))
            else:
                exact.add(pattern.serialize())
        self._exact = frozenset(exact)
        # No exact origin is longer than this: a longer request value is never hashed.
        self._exact_limit = max((len(origin) for origin in exact), default=0)
        self._any_port_hosts = frozenset(any_port_hosts)
        self._subdomain_bases = {key: frozenset(value) for key, value in subdomain_bases.items()}
        self._regex = regex
        self._predicate = predicate
        self._has_patterns = bool(any_port_hosts or subdomain_bases or regex or predicate)
        self._max_length = max_length
        self.allow_null: bool = allow_null

    @property
    def exact_origins(self) -> frozenset[str]:
        return self._exact

    @property
    def has_patterns(self) -> bool:
        """Whether anything besides exact origins (and ``null``) is configured."""
        return self._has_patterns

    def matches(self, origin: str) -> bool:
        """Whether the request's raw ``Origin`` value is allowed."""
        if len(origin) <= self._exact_limit and origin in self._exact:
            return True
        if origin == "null":
            return self.allow_null
        return self._has_patterns and self.matches_pattern(origin)

    def matches_pattern(self, origin: str) -> bool:
        """Whether a pattern, the regex or the predicate allows ``origin`` (exact origins are
        not consulted: a caller that looked them up already need not pay twice)."""
        parsed = parse_origin(origin, max_length=self._max_length)
        if parsed is None:
            return False
        return self._matches_parsed(origin, parsed)

    def _matches_parsed(self, origin: str, parsed: ParsedOrigin) -> bool:
        scheme, host, port = parsed
        if (scheme, host) in self._any_port_hosts:
            return True
        if self._subdomain_bases:
            exact_port = self._subdomain_bases.get((scheme, port))
            any_port = self._subdomain_bases.get((scheme, ANY_PORT))
            dot = host.find(".")
            while dot != -1:
                base = host[dot + 1 :]
                if (exact_port is not None and base in exact_port) or (
                    any_port is not None and base in any_port
                ):
                    return True
                dot = host.find(".", dot + 1)
        if (
            self._regex is not None
            and len(origin) <= REGEX_INPUT_LIMIT
            and self._regex.fullmatch(origin) is not None
        ):
            return True
        if self._predicate is not None:
            try:
                answer = self._predicate(origin)
            except Exception:
                # A failing user predicate must not turn into a server error.
                return False
            if answer is True:
                return True
            if answer is not False:
                _report_non_bool_answer(answer)
        return False


def _report_non_bool_answer(answer: object) -> None:
    """Refuse, but say why: a predicate answering ``None``, a match object or a coroutine
    refuses every origin, which is otherwise silent. The warning text does not depend on
    the origin, so the default filter shows it once, not per request."""
    if inspect.iscoroutine(answer):
        answer.close()  # never awaited by design: no "was never awaited" noise per request
    try:
        warnings.warn(
            f"allow_origin_predicate returned {type(answer).__name__}, not True or False, "
            "so the origin was refused; return a bool (e.g. 'return match is not None'), "
            "from a plain function (def, not async def)",
            CORSConfigWarning,
            stacklevel=2,
        )
    except Exception:
        # A filter that turns warnings into errors must not turn a decision into a crash.
        return
