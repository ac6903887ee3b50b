"""Auditing a configured ``allow_origin_regex`` before it is trusted (configuration time only).

A regular expression is the easiest way to write an origin allowlist that lets in more than
its author meant: an unescaped ``.`` (``https://app.example.com`` also matches
``https://appxexample.com``), an end that is not pinned (``https://[a-z]+\\.example\\.com.*``
also matches ``https://a.example.com.evil.example``), a start that is not pinned
(``https://.*example\\.com`` also matches ``https://evilexample.com``), ``https?``, or a
nested repetition that backtracks for ever on a crafted ``Origin``.

:func:`audit_origin_regex` finds those by construction rather than by reading the text:

1. it walks the parsed expression (``re``'s own parser) and refuses nested, ambiguous
   repetitions (``(a+)+``, ``(.+\\.)+``), which take exponential time;
2. it derives *witnesses*: origins the expression was plainly written to match, reading
   every bare ``.`` as the dot it most likely meant, and keeps those the expression
   really matches;
3. it mutates each witness the ways an attacker would -- another character in place of
   each bare ``.``, a label replaced, ``evil`` in front, ``.evil.example`` behind, ``http``
   for ``https`` -- and reports every mutation the expression still matches, with whether
   it lands on a registrable domain (eTLD+1) none of the witnesses has.

Nothing here runs per request.
"""

from __future__ import annotations

import importlib
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .origins import ParsedOrigin, is_loopback_host, parse_origin

__all__ = [
    "ORIGIN_ALPHABET",
    "UNRELATED_ORIGINS",
    "RegexFinding",
    "audit_origin_regex",
    "escape_bare_dots",
]

# re's parser and opcode table. Private modules, but stable since Python 3.11 (and
# sre_parse/sre_constants before it); the audit only reads the tree they produce.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

#: Every character a valid serialized origin can contain. The matcher only ever runs the
#: regex on origins that passed :func:`corecors.origins.parse_origin`, so character sets
#: are computed over this alphabet.
ORIGIN_ALPHABET: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+-._:/[]")
# The order in which witness characters are picked: letters first, then digits (zero
# last: "0" starts an invalid port), then the rest.
_PREFERRED: Final = "abcdefghijklmnopqrstuvwxyz1234567890-._:+/[]"
_MAX_WITNESSES: Final = 24
_MAX_REPEAT_IN_WITNESS: Final = 300  # longer than any valid origin

#: Origins no allowlist means to contain: a regex matching one of them matches any origin.
UNRELATED_ORIGINS: Final = (
    "https://corecors-probe.invalid",
    "https://attacker.example.net",
    "http://evil.test",
)
_EVIL_LABEL: Final = "evil"
_EVIL_SUFFIX: Final = ".evil.example"

Item = tuple[Any, Any]


@dataclass(frozen=True)
class RegexFinding:
    """One way a configured origin regex matches more than it should.

    ``kind`` is one of:

    * ``"backtracking"``: nested ambiguous repetition (``detail`` names the group);
    * ``"any-origin"``: matches an origin unrelated to anything (``example``);
    * ``"unescaped-dot"``: a bare ``.`` lets ``example`` in, on another registrable domain;
    * ``"unescaped-dot-same-site"``: a bare ``.``, but ``example`` stays on the same site;
    * ``"unpinned-start"``, ``"unpinned-end"``, ``"unpinned-label"``: ``example`` is on
      another registrable domain, reached by prefixing, suffixing or replacing a label
      (for a label, ``detail`` is the suffix under which it was replaced, ``""`` for the
      top-level domain);
    * ``"insecure"``: matches ``example``, an ``http://`` or ``ws://`` origin that is not
      loopback.
    """

    kind: str
    example: str | None
    detail: str = ""
    site: str | None = None
    """The registrable domain the witness was on (for suggestions)."""


# -- character sets over the origin alphabet ----------------------------------------------


def _category(category: Any, char: str) -> bool:
    name = category.name
    if name.endswith("NOT_DIGIT"):
        return not char.isdigit()
    if name.endswith("DIGIT"):
        return char.isdigit()
    if name.endswith("NOT_WORD"):
        return not (char.isalnum() or char == "_")
    if name.endswith("WORD"):
        return char.isalnum() or char == "_"
    if name.endswith("NOT_SPACE"):
        return not char.isspace()
    if name.endswith("SPACE"):
        return char.isspace()
    return True  # linebreak categories and the like: be generous


def _class_contains(items: Sequence[Item], char: str, icase: bool) -> bool:
    negate = bool(items) and items[0][0] is _c.NEGATE
    variants = {char, char.upper()} if icase else {char}
    found = False
    for op, av in items:
        if op is _c.LITERAL:
            found = chr(av) in variants or (icase and chr(av).lower() == char)
        elif op is _c.RANGE:
            low, high = av
            found = any(low <= ord(v) <= high for v in variants)
        elif op is _c.CATEGORY:
            found = _category(av, char)
        else:
            continue
        if found:
            break
    return found != negate


def _flags(add: int, remove: int, icase: bool) -> bool:
    if add & re.IGNORECASE:
        return True
    if remove & re.IGNORECASE:
        return False
    return icase


def _chars(items: Iterable[Item], icase: bool) -> frozenset[str]:
    """Every character of the origin alphabet that ``items`` can consume (over-approximate)."""
    found: set[str] = set()
    for op, av in items:
        found |= _item_chars(op, av, icase)
    return frozenset(found)


def _item_chars(op: Any, av: Any, icase: bool) -> frozenset[str]:
    if op is _c.LITERAL:
        char = chr(av)
        return frozenset({char, char.lower()} if icase else {char}) & ORIGIN_ALPHABET
    if op is _c.NOT_LITERAL:
        char = chr(av)
        return ORIGIN_ALPHABET - ({char, char.lower()} if icase else {char})
    if op is _c.IN:
        return frozenset(ch for ch in ORIGIN_ALPHABET if _class_contains(av, ch, icase))
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        return _chars(av[2], icase)
    if op is _c.SUBPATTERN:
        return _chars(av[3], _flags(av[1], av[2], icase))
    if op is _c.ATOMIC_GROUP:
        return _chars(av, icase)
    if op is _c.BRANCH:
        return frozenset().union(*(_chars(alt, icase) for alt in av[1]))
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return frozenset()
    return ORIGIN_ALPHABET  # ANY, group references, anything unknown


# -- catastrophic backtracking -------------------------------------------------------------

_ZERO_WIDTH: Final = ("AT", "ASSERT", "ASSERT_NOT")
_SINGLE_CHAR: Final = ("LITERAL", "NOT_LITERAL", "IN", "ANY")


def _unwrap(items: Sequence[Item]) -> list[Item]:
    """A repeated body without its group wrapper and zero-width items."""
    body = [(op, av) for op, av in items if op.name not in _ZERO_WIDTH]
    while len(body) == 1 and body[0][0] in (_c.SUBPATTERN, _c.ATOMIC_GROUP):
        op, av = body[0]
        inner = av[3] if op is _c.SUBPATTERN else av
        body = [(o, a) for o, a in inner if o.name not in _ZERO_WIDTH]
    return body


def _is_variable(items: Iterable[Item]) -> bool:
    """Whether ``items`` can match strings of several lengths in several ways (a nested
    repetition of two or more, or an alternation)."""
    for op, av in items:
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            if av[1] >= 2 or _is_variable(av[2]):
                return True
        elif op is _c.BRANCH:
            if len(av[1]) > 1:
                return True
        elif op is _c.SUBPATTERN:
            if _is_variable(av[3]):
                return True
        elif op is _c.ATOMIC_GROUP:
            if _is_variable(av):
                return True
        elif op is _c.GROUPREF_EXISTS and (
            _is_variable(av[1]) or (av[2] is not None and _is_variable(av[2]))
        ):
            return True
    return False


def _delimited(body: list[Item], icase: bool) -> bool:
    """Whether every iteration of ``body`` starts (or ends) with a character nothing else in
    the body can match: then the iterations of a string can be split only one way."""
    if not body:
        return True
    for index in (0, len(body) - 1):
        op, av = body[index]
        if op.name not in _SINGLE_CHAR:
            continue
        rest = body[:index] + body[index + 1 :]
        if _item_chars(op, av, icase).isdisjoint(_chars(rest, icase)):
            return True
    return False


def _backtracking(items: Iterable[Item], icase: bool) -> str | None:
    """The first nested, ambiguous repetition in ``items`` (as text), or ``None``."""
    for op, av in items:
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            _, high, inner = av
            body = _unwrap(inner)
            if high >= 2 and _is_variable(body) and not _delimited(body, icase):
                return _describe(inner)
            found = _backtracking(inner, icase)
        elif op is _c.POSSESSIVE_REPEAT:
            found = _backtracking(av[2], icase)  # never backtracks into itself
        elif op is _c.SUBPATTERN:
            found = _backtracking(av[3], _flags(av[1], av[2], icase))
        elif op is _c.ATOMIC_GROUP:
            found = _backtracking(av, icase)
        elif op is _c.BRANCH:
            found = next(
                (f for f in (_backtracking(alt, icase) for alt in av[1]) if f is not None), None
            )
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _backtracking(av[1], icase)
        elif op is _c.GROUPREF_EXISTS:
            found = _backtracking(av[1], icase) or (
                _backtracking(av[2], icase) if av[2] is not None else None
            )
        else:
            continue
        if found is not None:
            return found
    return None


def _describe(items: Any) -> str:
    """A short rendering of a parsed body, for messages (best effort)."""
    text = "".join(_render(op, av) for op, av in items)
    return text if len(text) <= 60 else text[:57] + "..."


def _render(op: Any, av: Any) -> str:
    if op is _c.LITERAL:
        return re.escape(chr(av))
    if op is _c.ANY:
        return "."
    if op is _c.IN:
        return "[...]"
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, inner = av
        body = _describe(inner)
        if len(inner) > 1 or (len(inner) == 1 and inner[0][0] is _c.BRANCH):
            body = f"(?:{body})"
        if (low, high) == (0, _c.MAXREPEAT):
            return body + "*"
        if (low, high) == (1, _c.MAXREPEAT):
            return body + "+"
        if (low, high) == (0, 1):
            return body + "?"
        return body + "{" + str(low) + "," + ("" if high == _c.MAXREPEAT else str(high)) + "}"
    if op is _c.SUBPATTERN:
        return "(" + _describe(av[3]) + ")"
    if op is _c.BRANCH:
        return "|".join(_describe(alt) for alt in av[1])
    return "..."


# -- witnesses: what the regex was written to match ----------------------------------------

Example = tuple[str, tuple[int, ...]]
"""A generated string and the positions in it produced by a bare ``.``."""


def _combine(left: list[Example], right: list[Example]) -> list[Example]:
    """Concatenations of ``left`` and ``right``, first choices first, at most _MAX_WITNESSES."""
    pairs = sorted(
        itertools.product(enumerate(left), enumerate(right)), key=lambda p: p[0][0] + p[1][0]
    )
    return [
        (a + b, dots_a + tuple(len(a) + d for d in dots_b))
        for (_, (a, dots_a)), (_, (b, dots_b)) in pairs[:_MAX_WITNESSES]
    ]


def _examples(items: Iterable[Item], icase: bool) -> list[Example]:
    results: list[Example] = [("", ())]
    for op, av in items:
        options = _item_examples(op, av, icase)
        if not options:
            return []
        results = _combine(results, options)
    return results


def _pick(chars: frozenset[str]) -> str | None:
    return next((ch for ch in _PREFERRED if ch in chars), None)


def _item_examples(op: Any, av: Any, icase: bool) -> list[Example]:
    if op is _c.LITERAL:
        char = chr(av)
        return [(char.lower() if icase else char, ())]
    if op is _c.ANY:
        return [(".", (0,))]  # a bare "." almost always means a literal dot
    if op in (_c.NOT_LITERAL, _c.IN):
        picked = _pick(_item_chars(op, av, icase))
        return [] if picked is None else [(picked, ())]
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, inner = av
        low = min(low, _MAX_REPEAT_IN_WITNESS)
        counts = [n for n in (low, low + 1) if n <= high]
        if len(inner) == 1 and inner[0][0] is _c.ANY:
            body: list[Example] = [("a", ())]  # ".*", ".+": any text, not a dot
        else:
            body = _examples(inner, icase)
        if not body:
            return [("", ())] if low == 0 else []
        options: list[Example] = []
        for count in counts:
            if count == 1:
                options.extend(body[:3])
                continue
            text, dots = body[0]
            options.append(
                (text * count, tuple(i * len(text) + d for i in range(count) for d in dots))
            )
        return options
    if op is _c.SUBPATTERN:
        return _examples(av[3], _flags(av[1], av[2], icase))
    if op is _c.ATOMIC_GROUP:
        return _examples(av, icase)
    if op is _c.BRANCH:
        return [example for alt in av[1] for example in _examples(alt, icase)][:_MAX_WITNESSES]
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return [("", ())]
    return []  # group references: no witness can be derived


# -- probing -------------------------------------------------------------------------------


def _serialize(origin: ParsedOrigin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}"


def _is_ip(host: str) -> bool:
    return host.startswith("[") or host.replace(".", "").isdigit()


def audit_origin_regex(
    regex: re.Pattern[str], registrable_domain: Callable[[str], str | None]
) -> list[RegexFinding]:
    """Every way ``regex`` (full-matched against origins) matches more than it means.

    ``registrable_domain(host)`` returns the host's eTLD+1 (``None`` if the host is a
    public suffix itself). An empty list means nothing was found.
    """
    parsed = _parser.parse(regex.pattern, regex.flags)
    icase = bool(parsed.state.flags & re.IGNORECASE)
    nested = _backtracking(list(parsed), icase)
    if nested is not None:
        return [RegexFinding("backtracking", None, nested)]

    findings: list[RegexFinding] = []
    for probe in UNRELATED_ORIGINS:
        if regex.fullmatch(probe):
            findings.append(RegexFinding("any-origin", probe))
            break

    def site(host: str) -> str:
        if _is_ip(host) or is_loopback_host(host):
            return host
        return registrable_domain(host) or host

    def matches(text: str) -> ParsedOrigin | None:
        origin = parse_origin(text, max_length=2048)
        if origin is None or regex.fullmatch(text) is None:
            return None
        return origin

    witnesses: list[tuple[ParsedOrigin, tuple[int, ...]]] = []
    seen: set[str] = set()
    for text, dots in _examples(list(parsed), icase):
        origin = matches(text)
        if origin is not None and text not in seen:
            seen.add(text)
            witnesses.append((origin, dots))
    intended = {site(origin.host) for origin, _ in witnesses}

    reported: set[tuple[str, str]] = set()

    def report(kind: str, origin: ParsedOrigin, witness_site: str, detail: str = "") -> None:
        text = _serialize(origin)
        if (kind, text) not in reported:
            reported.add((kind, text))
            findings.append(RegexFinding(kind, text, detail, witness_site))

    for origin, dots in witnesses:
        text = _serialize(origin)
        scheme, host, port = origin
        home = site(host)
        for position in dots:
            mutated = matches(text[:position] + "x" + text[position + 1 :])
            if mutated is not None:
                foreign = site(mutated.host) not in intended
                kind = "unescaped-dot" if foreign else "unescaped-dot-same-site"
                report(kind, mutated, home)

        def elsewhere(
            candidate: str, scheme: str = scheme, port: int | None = port
        ) -> ParsedOrigin | None:
            mutated = matches(_serialize(ParsedOrigin(scheme, candidate, port)))
            if mutated is None or site(mutated.host) in intended:
                return None
            return mutated

        wildcard_label = False
        labels = [] if _is_ip(host) else host.split(".")
        for index, label in enumerate(labels):
            if label == _EVIL_LABEL:
                continue
            mutated = elsewhere(".".join([*labels[:index], _EVIL_LABEL, *labels[index + 1 :]]))
            if mutated is not None:
                wildcard_label = True
                # Under which suffix anyone can register the replaced label ("" for a TLD).
                rest = ".".join(labels[index + 1 :])
                report("unpinned-label", mutated, home, rest)
        if not wildcard_label:  # otherwise a prefix only repeats that finding
            mutated = elsewhere(_EVIL_LABEL + host)
            if mutated is not None:
                report("unpinned-start", mutated, home)
        for suffix in (_EVIL_SUFFIX, _EVIL_SUFFIX[1:]):
            mutated = elsewhere(host + suffix)
            if mutated is not None:
                report("unpinned-end", mutated, home)
        for insecure in ("http", "ws"):
            if is_loopback_host(host):
                break
            if scheme == insecure:
                report("insecure", origin, home)
            elif (scheme, insecure) in (("https", "http"), ("wss", "ws")):
                mutated = matches(_serialize(ParsedOrigin(insecure, host, port)))
                if mutated is not None:
                    report("insecure", mutated, home)
    return findings


def escape_bare_dots(source: str) -> str:
    """``source`` with every bare ``.`` that stands for one character escaped as ``\\.``.

    A ``.`` inside a character class, already escaped, or followed by a quantifier
    (``.*``, ``.+``, ``.?``, ``.{``) is left alone.
    """
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            out.append(source[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            end = index + 1
            if source[end : end + 1] == "^":
                end += 1
            if source[end : end + 1] == "]":
                end += 1  # a "]" first in a class is a member, not the end
            out.append(source[index:end])
            index = end
            continue
        elif char == "." and source[index + 1 : index + 2] not in ("*", "+", "?", "{"):
            char = r"\."
        out.append(char)
        index += 1
    return "".join(out)
