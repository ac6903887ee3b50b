"""Auditing a configured ``allow_origin_regex`` on its automaton (configuration time only).

A regular expression is the easiest way to write an origin allowlist that lets in more than
its author meant: an unescaped ``.`` (``https://app.example.com`` also matches
``https://appxexample.com``), an end that is not pinned (``https://[a-z]+\\.example\\.com.*``),
a start that is not pinned (``https://.*example\\.com`` also matches
``https://evilexample.com``), a character class where a name belongs
(``https://myorg-[a-z0-9-]+\\.github\\.io``, ``https://app\\.example\\.[a-z]{2,3}``), or
``https?``.

Regexes are regular, so the question "which registrable domains can this regex match, and
did the author write each one out?" has an exact answer. :func:`audit_origin_regex` builds
the regex's automaton from ``re``'s own parse tree, marking each transition *literal* (the
author wrote one character there) or *wild* (a class, ``.``, a case-insensitive letter is
still literal). It then walks the hosts the automaton accepts from the right, label by
label, guided by the public-suffix rules:

* a wild label where the public suffix or the registrable label is (the top-level domain,
  the name under ``com`` or ``github.io``, a label that a deeper rule such as
  ``*.compute.amazonaws.com`` makes part of a suffix) is a finding: anyone who registers
  such a name gets in;
* wild labels below a registrable domain the author spelled out are subdomains: fine;
* names under special-use suffixes nobody can register (``.test``, ``.example``,
  ``.invalid``, ``.localhost``, ``.internal``, ``.home.arpa``) and IPv4 literals are fine.

``http://`` and ``ws://`` origins that are not loopback are findings of their own. Which
mistake caused a finding (an unescaped dot, an unpinned end ...) is a best guess, used only
to word the advice; whether there is a finding is not a guess.

Matching itself is not done with ``re``: the policy compiles the same source with RE2, whose
matching time is linear in the origin's length whatever the regex (see ``policy.py``).
Nothing here runs per request.
"""

from __future__ import annotations

import importlib
import re
from collections import deque
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

__all__ = [
    "ORIGIN_ALPHABET",
    "PROBE_ORIGIN",
    "SPECIAL_USE_SUFFIXES",
    "PublicSuffixRules",
    "RegexFinding",
    "RegexTooComplexError",
    "audit_origin_regex",
    "escape_bare_dots",
    "is_special_use",
]

# re's parser and opcode table. Private modules, but stable since Python 3.11 (and
# sre_parse/sre_constants before it); the audit only reads the tree they produce.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

#: Every character a valid serialized origin can contain. The matcher only ever runs the
#: regex on origins that passed :func:`corecors.origins.parse_origin`, so character sets
#: are computed over this alphabet.
ORIGIN_ALPHABET: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+-._:/[]")
_LABEL_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_DIGITS: Final = "0123456789"
# The order in which example characters are picked: letters first, then digits.
_PREFERRED: Final = "abcdefghijklmnopqrstuvwxyz1234567890-_"

#: An origin no allowlist means: no one can own a name under ``.invalid`` (RFC 6761).
PROBE_ORIGIN: Final = "https://corecors-probe.invalid"

#: Suffixes reserved for special use (RFC 6761, RFC 8375, ICANN's ``.internal``): nobody can
#: register a name under them, so a wildcard below one lets no stranger in.
SPECIAL_USE_SUFFIXES: Final = frozenset(
    {"test", "example", "invalid", "localhost", "internal", "home.arpa"}
)

#: Bounds that keep the audit's own work small whatever the regex: automaton states, and
#: steps of the walk. RE2 already refuses counted repetitions over 1000.
MAX_AUTOMATON_STATES: Final = 20_000
_MAX_WALK_STEPS: Final = 400_000
_MAX_LITERAL_LABELS: Final = 256
_MAX_LABEL: Final = 63
_WEB_SCHEMES: Final = ("https", "wss", "http", "ws")
_INSECURE: Final = {"http": "https", "ws": "wss"}

_START, _END, _PLAIN = 1, 2, 0  # kinds of empty transitions: ^ and $ hold only at the ends


class RegexTooComplexError(Exception):
    """The regex's automaton is too large to audit within the configured bounds."""


class PublicSuffixRules(Protocol):
    """What the audit needs to know about the public-suffix list."""

    def is_public(self, domain: str) -> bool:
        """Whether ``domain`` is a public suffix (anyone can register names under it)."""
        ...

    def child_labels(self, domain: str) -> frozenset[str]:
        """The labels on the way to every rule under ``domain``: for the rules
        ``*.compute.amazonaws.com`` and ``s3.amazonaws.com``, ``"compute"`` and ``"s3"``
        under ``amazonaws.com``, and ``"*"`` under ``compute.amazonaws.com``."""
        ...


def is_special_use(host: str) -> bool:
    """Whether ``host`` is, or is under, a special-use suffix nobody can register."""
    return any(host == s or host.endswith("." + s) for s in SPECIAL_USE_SUFFIXES)


@dataclass(frozen=True)
class RegexFinding:
    """One way a configured origin regex matches more than it should.

    ``kind`` is one of:

    * ``"any-origin"``: matches :data:`PROBE_ORIGIN`, a name nobody means to allow;
    * ``"unescaped-dot"``: a bare ``.`` lets ``example`` in, on another registrable domain;
    * ``"unescaped-dot-same-site"``: a bare ``.``, but nothing outside the author's own
      registrable domains gets in;
    * ``"unpinned-start"``, ``"unpinned-end"``, ``"unpinned-label"``: ``example`` is on a
      registrable domain the author did not write out, reached by a prefix to their
      domain, text after it, or a wildcard label (``detail``: the suffix under which the
      label is a wildcard, ``""`` for the top-level domain);
    * ``"insecure"``: matches ``example``, an ``http://`` or ``ws://`` origin that is not
      loopback.

    Every finding except ``"unescaped-dot-same-site"`` is exact (the automaton accepts
    ``example``); the kind, which names the likely mistake, is a best guess.
    """

    kind: str
    example: str | None
    detail: str = ""
    site: str | None = None
    """A registrable domain the author did write out (for suggestions), if any."""


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


def _class_contains(items: Sequence[tuple[Any, Any]], char: str, icase: bool) -> bool:
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


def _item_chars(op: Any, av: Any, icase: bool) -> frozenset[str]:
    """The characters of the origin alphabet one single-character item matches."""
    if op is _c.LITERAL:
        char = chr(av)
        return frozenset({char, char.lower()} if icase else {char}) & ORIGIN_ALPHABET
    if op is _c.NOT_LITERAL:
        char = chr(av)
        return ORIGIN_ALPHABET - ({char, char.lower()} if icase else {char})
    if op is _c.IN:
        return frozenset(ch for ch in ORIGIN_ALPHABET if _class_contains(av, ch, icase))
    return ORIGIN_ALPHABET  # ANY


def _flags(add: int, remove: int, icase: bool) -> bool:
    if add & re.IGNORECASE:
        return True
    if remove & re.IGNORECASE:
        return False
    return icase


def _has_bare_dot(items: Iterable[tuple[Any, Any]]) -> bool:
    """Whether a ``.`` stands for one character somewhere (not under a repetition)."""
    for op, av in items:
        if op is _c.ANY:
            return True
        if op is _c.SUBPATTERN and _has_bare_dot(av[3]):
            return True
        if op is _c.BRANCH and any(_has_bare_dot(alt) for alt in av[1]):
            return True
    return False


# -- the automaton -------------------------------------------------------------------------


@dataclass
class _Automaton:
    """A Thompson automaton over the origin alphabet; each character transition says
    whether the author wrote that one character (literal) or a set of them (wild)."""

    edges: list[list[tuple[frozenset[str], bool, int]]] = field(default_factory=list)
    empty: list[list[tuple[int, int]]] = field(default_factory=list)
    back_edges: list[list[tuple[frozenset[str], bool, int]]] = field(default_factory=list)
    back_empty: list[list[tuple[int, int]]] = field(default_factory=list)
    start: int = 0
    accept: int = 0

    def state(self) -> int:
        if len(self.edges) >= MAX_AUTOMATON_STATES:
            raise RegexTooComplexError
        self.edges.append([])
        self.empty.append([])
        return len(self.edges) - 1

    def build(self, items: Iterable[tuple[Any, Any]], icase: bool) -> tuple[int, int]:
        first = last = self.state()
        for op, av in items:
            begin, end = self._item(op, av, icase)
            self.empty[last].append((_PLAIN, begin))
            last = end
        return first, last

    def _item(self, op: Any, av: Any, icase: bool) -> tuple[int, int]:
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY):
            begin, end = self.state(), self.state()
            chars = _item_chars(op, av, icase)
            if chars:
                self.edges[begin].append((chars, len(chars) == 1, end))
            return begin, end
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, inner = av
            begin = last = self.state()
            for _ in range(low):
                first, end = self.build(inner, icase)
                self.empty[last].append((_PLAIN, first))
                last = end
            finish = self.state()
            self.empty[last].append((_PLAIN, finish))
            if high == _c.MAXREPEAT:
                first, end = self.build(inner, icase)
                self.empty[last].append((_PLAIN, first))
                self.empty[end].append((_PLAIN, first))
                self.empty[end].append((_PLAIN, finish))
            else:
                for _ in range(high - low):
                    first, end = self.build(inner, icase)
                    self.empty[last].append((_PLAIN, first))
                    self.empty[end].append((_PLAIN, finish))
                    last = end
            return begin, finish
        if op is _c.SUBPATTERN:
            return self.build(av[3], _flags(av[1], av[2], icase))
        if op is _c.BRANCH:
            begin, finish = self.state(), self.state()
            for alternative in av[1]:
                first, end = self.build(alternative, icase)
                self.empty[begin].append((_PLAIN, first))
                self.empty[end].append((_PLAIN, finish))
            return begin, finish
        if op is _c.AT:
            begin, end = self.state(), self.state()
            if av in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING):
                self.empty[begin].append((_START, end))
            elif av in (_c.AT_END, _c.AT_END_STRING):
                self.empty[begin].append((_END, end))
            else:
                # Word boundaries: read as always true, so the audit sees a superset of
                # what the regex matches (it may over-report, never under-report).
                self.empty[begin].append((_PLAIN, end))
            return begin, end
        # Lookarounds, backreferences, atomic groups, possessive repetition: RE2 refuses
        # them before the audit runs; refuse here too rather than guess.
        raise RegexTooComplexError

    def finish(self) -> None:
        size = len(self.edges)
        self.back_edges = [[] for _ in range(size)]
        self.back_empty = [[] for _ in range(size)]
        for source, edges in enumerate(self.edges):
            for chars, literal, target in edges:
                self.back_edges[target].append((chars, literal, source))
        for source, empties in enumerate(self.empty):
            for kind, target in empties:
                self.back_empty[target].append((kind, source))

    # Forward, for schemes, ports and examples.

    def closure(self, states: Iterable[int], at_start: bool, at_end: bool) -> frozenset[int]:
        seen = set(states)
        stack = list(seen)
        while stack:
            state = stack.pop()
            for kind, target in self.empty[state]:
                if target in seen:
                    continue
                if (kind == _START and not at_start) or (kind == _END and not at_end):
                    continue
                seen.add(target)
                stack.append(target)
        return frozenset(seen)

    def step(self, states: Iterable[int], char: str) -> frozenset[int]:
        moved = {target for s in states for chars, _, target in self.edges[s] if char in chars}
        return self.closure(moved, False, False) if moved else frozenset()

    def accepts_here(self, states: Iterable[int]) -> bool:
        return self.accept in self.closure(states, False, True)

    def matches(self, text: str) -> bool:
        """Whether the whole of ``text`` is matched (time linear in its length: used instead
        of ``re``, which could backtrack for a long time on the regex being audited)."""
        states = self.closure({self.start}, True, False)
        for char in text:
            states = self.step(states, char)
            if not states:
                return False
        return self.accepts_here(states)

    # Backward, for hosts read from the right.

    def back_closure(self, states: Iterable[tuple[int, bool]]) -> frozenset[tuple[int, bool]]:
        seen = set(states)
        stack = list(seen)
        while stack:
            state, wild = stack.pop()
            for kind, source in self.back_empty[state]:
                if kind == _PLAIN and (source, wild) not in seen:
                    seen.add((source, wild))
                    stack.append((source, wild))
        return frozenset(seen)

    def back_step(
        self, states: Iterable[tuple[int, bool]], char: str
    ) -> frozenset[tuple[int, bool]]:
        moved = {
            (source, wild or not literal)
            for state, wild in states
            for chars, literal, source in self.back_edges[state]
            if char in chars
        }
        return self.back_closure(moved) if moved else frozenset()


# -- the walk over hosts -------------------------------------------------------------------

_LabelNode = tuple[int, bool, bool]  # (state, a wild character read, a non-digit read)
_PrefixNode = tuple[int, bool]  # (state, the last character read was a dot)


_Node = TypeVar("_Node", bound=Hashable)  # a search node: _LabelNode or _PrefixNode


def _read_back(parents: dict[_Node, tuple[_Node | None, str]], node: _Node) -> str:
    """The text a breadth-first search read (leftwards) to reach ``node``, in reading order
    of the host: the last character read is the leftmost."""
    text = []
    cursor: _Node | None = node
    while cursor is not None:
        cursor, char = parents[cursor]
        text.append(char)
    return "".join(text)


@dataclass
class _Walk:
    """Hosts of one scheme, read from the right, label by label."""

    automaton: _Automaton
    rules: PublicSuffixRules
    host_start: frozenset[int]  # states right after "scheme://"
    useful: frozenset[int]  # states on some path from host_start
    budget: list[int]

    def tick(self, amount: int = 1) -> None:
        self.budget[0] -= amount
        if self.budget[0] < 0:
            raise RegexTooComplexError

    def prune(self, states: Iterable[tuple[int, bool]]) -> frozenset[tuple[int, bool]]:
        return frozenset(s for s in states if s[0] in self.useful)

    def begins_host(self, states: Iterable[tuple[int, bool]], wild: bool | None) -> bool:
        return any(s in self.host_start and (wild is None or w == wild) for s, w in states)

    def after_dot(self, states: Iterable[tuple[int, bool]]) -> frozenset[tuple[int, bool]]:
        """Reading the ``.`` before a label (leftwards); marks restart for the next label."""
        self.tick()
        moved = self.automaton.back_step({(s, False) for s, _ in states}, ".")
        return self.prune((s, False) for s, _ in moved)

    def ends_label(self, states: frozenset[tuple[int, bool]], wild: bool) -> bool:
        """Whether a label read into ``states`` (with a wild character if ``wild``) can be
        the leftmost one, or be preceded by a dot."""
        chosen = frozenset(s for s in states if s[1] == wild)
        return bool(chosen) and (self.begins_host(chosen, wild) or bool(self.after_dot(chosen)))

    def literal_labels(
        self, states: frozenset[tuple[int, bool]]
    ) -> tuple[list[tuple[str, frozenset[tuple[int, bool]]]], bool]:
        """The labels the author spelled out here, each with the states after it; and
        whether there were too many to list."""
        found: list[tuple[str, frozenset[tuple[int, bool]]]] = []
        stack: list[tuple[str, frozenset[tuple[int, bool]]]] = [("", states)]
        while stack:
            reversed_label, current = stack.pop()
            for char in _PREFERRED:
                self.tick()
                moved = self.prune(self.automaton.back_step(current, char))
                if not any(not wild for _, wild in moved):
                    continue
                text = reversed_label + char
                if self.ends_label(moved, False):
                    found.append((text[::-1], moved))
                    if len(found) > _MAX_LITERAL_LABELS:
                        return found, True
                if len(text) < _MAX_LABEL:
                    stack.append((text, frozenset(s for s in moved if not s[1])))
        return found, False

    def wild_label(
        self, states: frozenset[tuple[int, bool]], need_letter: bool
    ) -> tuple[str, frozenset[tuple[int, bool]]] | None:
        """The shortest label here with a character the author did not spell out (and a
        non-digit if ``need_letter``: an all-digit last label is an IPv4 address), with the
        states after it; ``None`` if there is none."""
        starts: list[_LabelNode] = [(s, w, not need_letter) for s, w in states]
        parents: dict[_LabelNode, tuple[_LabelNode | None, str]] = dict.fromkeys(starts, (None, ""))
        queue = deque(starts)
        depth = dict.fromkeys(starts, 0)
        while queue:
            node = queue.popleft()
            state, wild, letter = node
            if wild and letter and depth[node] > 0:
                single = frozenset({(state, True)})
                if self.begins_host(single, True) or self.after_dot(single):
                    return _read_back(parents, node), single
            if depth[node] >= _MAX_LABEL:
                continue
            for char in _PREFERRED:
                self.tick()
                for source, marked in self.automaton.back_step({(state, wild)}, char):
                    if source not in self.useful:
                        continue
                    nxt: _LabelNode = (source, marked, letter or not char.isdigit())
                    if nxt not in parents:
                        parents[nxt] = (node, char)
                        depth[nxt] = depth[node] + 1
                        queue.append(nxt)
        return None

    def complete_left(self, states: frozenset[tuple[int, bool]]) -> str | None:
        """The shortest labels (with their dots) that can stand before the dot that was
        just read into ``states`` and begin the host; ``None`` if none can."""
        starts: list[_PrefixNode] = [(s, True) for s, _ in states]
        parents: dict[_PrefixNode, tuple[_PrefixNode | None, str]] = dict.fromkeys(
            starts, (None, "")
        )
        queue = deque(starts)
        while queue:
            node = queue.popleft()
            state, after_dot = node
            if state in self.host_start and not after_dot:
                return _read_back(parents, node)
            for char in (*_PREFERRED, "."):
                if char == "." and after_dot:
                    continue
                self.tick()
                for source, _ in self.automaton.back_step({(state, False)}, char):
                    nxt: _PrefixNode = (source, char == ".")
                    if source in self.useful and nxt not in parents:
                        parents[nxt] = (node, char)
                        queue.append(nxt)
        return None


@dataclass
class _Spot:
    """A place where a label the author did not spell out decides the registrable domain."""

    scheme: str
    host: str
    tail: str  # the suffix the wild label sits under ("" for the top-level domain)


def _rule_label_spot(
    walk: _Walk,
    scheme: str,
    states: frozenset[tuple[int, bool]],
    children: frozenset[str],
    tail: str,
) -> _Spot | None:
    """A host under ``tail`` whose label the regex matches with a wildcard class that happens
    to spell one of the public-suffix rules' ``children`` labels: that puts the names under
    the rule within anyone's reach. One example is enough: the advice is the same."""
    for child in sorted(children - {"*"}):
        current = states
        for char in reversed(child):
            current = walk.prune(walk.automaton.back_step(current, char))
        if walk.ends_label(current, True):
            before = walk.after_dot(current)
            left = walk.complete_left(before) if before else None
            name = child + "." + tail
            return _Spot(scheme, name if left is None else left + "." + name, tail)
    return None


def _region_spots(
    walk: _Walk, scheme: str, start: frozenset[tuple[int, bool]]
) -> tuple[list[_Spot], dict[str, str]]:
    """Walk the hosts of ``scheme`` from the right. Returns the spots where a wild label is
    part of a public suffix or of the registrable domain, and the registrable domains the
    author spelled out, each with a host on it that the regex matches."""
    spots: list[_Spot] = []
    sites: dict[str, str] = {}
    rules = walk.rules

    def host_with(label: str, after: frozenset[tuple[int, bool]], tail: str) -> str:
        joined = label + ("." + tail if tail else "")
        if walk.begins_host(after, None):
            return joined
        left = walk.complete_left(walk.after_dot(after))
        return joined if left is None else left + "." + joined

    def visit(states: frozenset[tuple[int, bool]], tail: str, depth: int) -> None:
        walk.tick()
        if depth > 127 or (tail and is_special_use(tail)):
            return
        in_region = not tail or rules.is_public(tail)
        children = frozenset() if in_region else rules.child_labels(tail)
        if not in_region and not children:
            if tail not in sites:
                left = walk.complete_left(states)
                sites[tail] = tail if left is None else left + "." + tail
            return  # the registrable domain is settled: what is left are subdomains
        wild_here = in_region or "*" in children
        wild = walk.wild_label(states, need_letter=not tail)
        if wild is not None and wild_here:
            label, after = wild
            spots.append(_Spot(scheme, host_with(label, after, tail), tail))
        labels, too_many = walk.literal_labels(states)
        if too_many and wild_here:
            label, after = labels[0]
            spots.append(_Spot(scheme, host_with(label, after, tail), tail))
            return
        spelt = None if wild_here else _rule_label_spot(walk, scheme, states, children, tail)
        if spelt is not None:
            spots.append(spelt)
        for label, after in labels:
            if not tail and label.isdigit():
                continue  # the host is an IPv4 address, not a domain
            if not in_region and label not in children:
                continue
            name = label + ("." + tail if tail else "")
            nxt = walk.after_dot(after)
            if nxt:
                visit(nxt, name, depth + 1)
            elif not rules.is_public(name) and not is_special_use(name):
                sites.setdefault(name, name)

    visit(start, "", 0)
    return spots, sites


# -- the audit -----------------------------------------------------------------------------


@dataclass
class _Analysis:
    automaton: _Automaton
    spots: list[_Spot]
    sites: dict[str, str]  # registrable domain written out -> a matched host on it
    insecure: list[str]


def _host_final(automaton: _Automaton) -> frozenset[tuple[int, bool]]:
    """States after a host: the regex can still end there, or after ``:port``."""
    at_end = {(automaton.accept, False)}
    # Empty transitions into the end may be "$": allowed here, since this is the end.
    seen = set(at_end)
    stack = list(at_end)
    while stack:
        state, _ = stack.pop()
        for _kind, source in automaton.back_empty[state]:
            if _kind != _START and (source, False) not in seen:
                seen.add((source, False))
                stack.append((source, False))
    ended = frozenset(seen)
    finals = set(ended)
    layer: frozenset[tuple[int, bool]] = ended
    for length in range(1, 6):
        first = frozenset(s for digit in _DIGITS[1:] for s in automaton.back_step(layer, digit))
        finals |= automaton.back_step(first, ":")
        if length < 5:
            layer = frozenset(s for digit in _DIGITS for s in automaton.back_step(layer, digit))
    return automaton.back_closure((s, False) for s, _ in finals)


def _useful(automaton: _Automaton, host_start: frozenset[int]) -> frozenset[int]:
    seen = set(host_start)
    stack = list(seen)
    host_chars = _LABEL_CHARS | {"."}
    while stack:
        state = stack.pop()
        for kind, target in automaton.empty[state]:
            if kind == _PLAIN and target not in seen:
                seen.add(target)
                stack.append(target)
        for chars, _, target in automaton.edges[state]:
            if target not in seen and not chars.isdisjoint(host_chars):
                seen.add(target)
                stack.append(target)
    return frozenset(seen)


def _analyse(source: str, flags: int, rules: PublicSuffixRules) -> tuple[_Analysis, bool]:
    parsed = _parser.parse(source, flags)
    icase = bool(parsed.state.flags & re.IGNORECASE)
    automaton = _Automaton()
    automaton.start, automaton.accept = automaton.build(list(parsed), icase)
    automaton.finish()
    finals = _host_final(automaton)
    budget = [_MAX_WALK_STEPS]
    spots: list[_Spot] = []
    sites: dict[str, str] = {}
    insecure: list[str] = []
    for scheme in _WEB_SCHEMES:
        states = automaton.closure({automaton.start}, True, False)
        for char in scheme + "://":
            states = automaton.step(states, char)
        if not states:
            continue
        walk = _Walk(automaton, rules, states, _useful(automaton, states), budget)
        start = walk.prune(finals)
        found, written = _region_spots(walk, scheme, start)
        spots.extend(found)
        for site, on_site in written.items():
            sites.setdefault(site, on_site)
        if scheme in _INSECURE:
            host = _non_loopback_host(walk, start)
            if host is not None:
                insecure.append(f"{scheme}://{host}")
    return _Analysis(automaton, spots, sites, insecure), _has_bare_dot(parsed)


def _non_loopback_host(walk: _Walk, start: frozenset[tuple[int, bool]]) -> str | None:
    """A host this scheme matches that is not loopback (IPv6 literals are not read)."""
    labels, _ = walk.literal_labels(start)
    wild = walk.wild_label(start, need_letter=True)
    candidates = [(label, after) for label, after in labels if not label.isdigit()]
    if wild is not None:
        candidates.append(wild)
    for label, after in candidates:
        if label == "localhost":
            continue
        if walk.begins_host(after, None):
            return label
        left = walk.complete_left(walk.after_dot(after))
        if left is not None:
            return left + "." + label
    # IPv4 literals: any that is not 127.x.x.x.
    for first in range(1, 256):
        if first == 127:
            continue
        states = walk.automaton.closure(walk.host_start, False, False)
        for char in str(first) + ".":
            states = walk.automaton.step(states, char)
        walk.tick(4)
        if states:
            rest = _forward_rest(walk, states)
            if rest is not None:
                return f"{first}.{rest}"
    return None


def _forward_rest(walk: _Walk, states: frozenset[int]) -> str | None:
    """Three more IPv4 octets (``0`` each, or the digits the regex wants) ending a host."""
    queue: deque[tuple[frozenset[int], str]] = deque([(states, "")])
    seen = {states}
    while queue:
        current, text = queue.popleft()
        walk.tick()
        if text.count(".") == 2 and text and text[-1] != "." and _ends_host(walk, current):
            return text
        if len(text) > 11:
            continue
        for char in ".0123456789":
            if char == "." and (not text or text[-1] == "." or text.count(".") == 2):
                continue
            moved = walk.automaton.step(current, char)
            if moved and moved not in seen:
                seen.add(moved)
                queue.append((moved, text + char))
    return None


def _ends_host(walk: _Walk, states: frozenset[int]) -> bool:
    automaton = walk.automaton
    if automaton.accepts_here(states):
        return True
    after = automaton.step(states, ":")
    for digit in _DIGITS[1:]:
        moved = automaton.step(after, digit)
        for _ in range(4):
            if automaton.accepts_here(moved):
                return True
            moved = frozenset(s for d in _DIGITS for s in automaton.step(moved, d))
            if not moved:
                break
    return False


def audit_origin_regex(regex: re.Pattern[str], rules: PublicSuffixRules) -> list[RegexFinding]:
    """Every way ``regex`` (full-matched against origins) matches more than it means.

    An empty list means nothing was found. Raises :class:`RegexTooComplexError` when the
    automaton or the walk would exceed the audit's bounds, ``re.error`` never (``regex``
    is compiled already).
    """
    analysis, bare_dot = _analyse(regex.pattern, regex.flags, rules)
    findings: list[RegexFinding] = []
    site = next(iter(analysis.sites), None)
    if analysis.spots:
        findings.extend(_explain(regex, analysis, bare_dot, rules))
    elif bare_dot and escape_bare_dots(regex.pattern) != regex.pattern:
        findings.append(RegexFinding("unescaped-dot-same-site", None, site=site))
    for example in analysis.insecure[:1]:
        findings.append(RegexFinding("insecure", example, site=site))
    return findings


def _explain(
    regex: re.Pattern[str], analysis: _Analysis, bare_dot: bool, rules: PublicSuffixRules
) -> Iterator[RegexFinding]:
    """Name the likely mistake behind each spot (for the advice only)."""
    site = next(iter(analysis.sites), None)
    matches = analysis.automaton.matches
    if matches(PROBE_ORIGIN):
        yield RegexFinding("any-origin", PROBE_ORIGIN, site=site)
        return
    # Spots that escaping the bare dots removes are the dots' doing.
    escaped = escape_bare_dots(regex.pattern)
    remaining: set[tuple[str, str]] | None = None
    if bare_dot and escaped != regex.pattern:
        try:
            remaining = {
                (spot.scheme, spot.tail) for spot in _analyse(escaped, regex.flags, rules)[0].spots
            }
        except (re.error, RegexTooComplexError):
            remaining = None
    for spot in analysis.spots:
        example = f"{spot.scheme}://{spot.host}"
        if remaining is not None and (spot.scheme, spot.tail) not in remaining:
            yield RegexFinding("unescaped-dot", example, spot.tail, site)
            continue
        kind = "unpinned-label"
        for written, host in analysis.sites.items():
            if not spot.tail and matches(f"{spot.scheme}://{host}.evil.example"):
                kind = "unpinned-end"
            elif (
                spot.tail
                and written.endswith("." + spot.tail)
                and matches(f"{spot.scheme}://evil{written}")
            ):
                kind = "unpinned-start"
                example = f"{spot.scheme}://evil{written}"
        yield RegexFinding(kind, example, spot.tail, site)


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
