"""Where keys and values sit in a TOML document (``tomllib`` parses values but keeps no positions).

:func:`locate` scans a document that ``tomllib`` has already accepted and records, for every
key, the line it is defined on and, for arrays, the line of each scalar element. It is a
position index, not a parser: it trusts the document to be valid and decodes each scalar it
finds with ``tomllib`` itself, so string escapes and quoting styles are read exactly as the
policy loader reads them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

__all__ = ["Located", "TomlPositions", "locate"]

KeyPath = tuple[str, ...]

_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(",]}#\n\r")


@dataclass
class Located:
    """A key's definition: its line and, for an array, each scalar element with its line."""

    line: int
    items: list[tuple[object, int]] = field(default_factory=list)


@dataclass
class TomlPositions:
    """Lines of keys (by full dotted path) and of table headers, 1-based."""

    keys: dict[KeyPath, Located] = field(default_factory=dict)
    tables: dict[KeyPath, int] = field(default_factory=dict)

    def key_line(self, path: KeyPath) -> int | None:
        located = self.keys.get(path)
        return located.line if located else None

    def item_line(self, path: KeyPath, value: object, occurrence: int = 0) -> int | None:
        """The line of the ``occurrence``-th element equal to ``value`` in the array at ``path``."""
        located = self.keys.get(path)
        if located is None:
            return None
        seen = 0
        for item, line in located.items:
            if item == value and type(item) is type(value):
                if seen == occurrence:
                    return line
                seen += 1
        return None

    def line_of(self, table: KeyPath, key: str | None, value: object = None) -> int | None:
        """The line a finding about ``value`` of ``key`` in ``table`` points at: the element
        equal to ``value`` when ``key`` is an array holding it, else the key, else the table."""
        line = None
        if key is not None:
            path = (*table, key)
            line = self.item_line(path, value) or self.key_line(path)
        return line if line is not None else self.table_line(table)

    def table_line(self, path: KeyPath) -> int | None:
        """The line of ``[path]``, or else of the first key defined under ``path``."""
        if path in self.tables:
            return self.tables[path]
        if not path:
            return None
        lines = [where.line for key, where in self.keys.items() if key[: len(path)] == path]
        return min(lines) if lines else None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def eof(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def startswith(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.pos)

    def advance(self, count: int = 1) -> str:
        chunk = self.text[self.pos : self.pos + count]
        self.line += chunk.count("\n")
        self.pos += len(chunk)
        return chunk

    def skip_spaces(self) -> None:
        while self.peek() in (" ", "\t") and not self.eof():
            self.advance()

    def skip_comment(self) -> None:
        if self.peek() == "#":
            end = self.text.find("\n", self.pos)
            self.advance((end if end >= 0 else len(self.text)) - self.pos)

    def skip_blank(self) -> None:
        """Spaces, tabs, newlines and comments."""
        while not self.eof():
            char = self.peek()
            if char in " \t\r\n":
                self.advance()
            elif char == "#":
                self.skip_comment()
            else:
                return

    def string_token(self) -> str:
        """A basic, literal or multi-line string, quotes included."""
        start = self.pos
        for quote in ('"""', "'''"):
            if self.startswith(quote):
                self.advance(3)
                while not self.eof():
                    if quote == '"""' and self.peek() == "\\":
                        self.advance(2)
                    elif self.startswith(quote):
                        self.advance(3)
                        # Up to two quotes may end the content right before the delimiter.
                        extra = 0
                        while extra < 2 and self.peek() == quote[0]:
                            self.advance()
                            extra += 1
                        break
                    else:
                        self.advance()
                return self.text[start : self.pos]
        quote = self.advance()
        while not self.eof():
            char = self.advance()
            if quote == '"' and char == "\\":
                self.advance()
            elif char == quote:
                break
        return self.text[start : self.pos]

    def scalar_token(self) -> str:
        if self.peek() in ('"', "'"):
            return self.string_token()
        start = self.pos
        while not self.eof() and self.peek() not in _SCALAR_END:
            self.advance()
        return self.text[start : self.pos].rstrip(" \t")

    def key(self) -> KeyPath:
        """A dotted key: bare or quoted parts separated by dots."""
        parts: list[str] = []
        while True:
            self.skip_spaces()
            if self.peek() in ('"', "'"):
                parts.append(str(_decode(self.string_token())))
            else:
                start = self.pos
                while not self.eof() and self.peek() in _BARE_KEY_CHARS:
                    self.advance()
                parts.append(self.text[start : self.pos])
            self.skip_spaces()
            if self.peek() != ".":
                return tuple(parts)
            self.advance()


def _decode(token: str) -> object:
    return tomllib.loads(f"v = {token}\n")["v"]


def _value(scanner: _Scanner, path: KeyPath, line: int, positions: TomlPositions) -> None:
    scanner.skip_spaces()
    located = Located(line)
    positions.keys.setdefault(path, located)
    char = scanner.peek()
    if char == "[":
        _array(scanner, located)
    elif char == "{":
        _inline_table(scanner, path, positions)
    else:
        item_line = scanner.line
        located.items.append((_decode(scanner.scalar_token()), item_line))


def _array(scanner: _Scanner, located: Located) -> None:
    scanner.advance()  # "["
    while not scanner.eof():
        scanner.skip_blank()
        start = scanner.pos
        char = scanner.peek()
        if char == "]":
            scanner.advance()
            return
        if char == ",":
            scanner.advance()
        elif char == "[":
            _array(scanner, located)  # nested arrays: their elements, flattened
        elif char == "{":
            _inline_table(scanner, (), TomlPositions())  # positions inside are not indexed
        else:
            item_line = scanner.line
            located.items.append((_decode(scanner.scalar_token()), item_line))
        if scanner.pos == start:  # never loop on text a valid document cannot hold
            scanner.advance()


def _inline_table(scanner: _Scanner, path: KeyPath, positions: TomlPositions) -> None:
    scanner.advance()  # "{"
    while not scanner.eof():
        scanner.skip_blank()
        char = scanner.peek()
        if char == "}":
            scanner.advance()
            return
        if char == ",":
            scanner.advance()
            continue
        line = scanner.line
        key = scanner.key()
        scanner.skip_spaces()
        scanner.advance()  # "="
        _value(scanner, path + key, line, positions)


def locate(text: str) -> TomlPositions:
    """Index the keys, array elements and table headers of a valid TOML document."""
    positions = TomlPositions()
    scanner = _Scanner(text)
    table: KeyPath = ()
    while True:
        scanner.skip_blank()
        if scanner.eof():
            return positions
        line = scanner.line
        if scanner.peek() == "[":
            double = scanner.startswith("[[")
            scanner.advance(2 if double else 1)
            table = scanner.key()
            scanner.advance(2 if double else 1)
            positions.tables.setdefault(table, line)
            continue
        key = scanner.key()
        scanner.skip_spaces()
        scanner.advance()  # "="
        _value(scanner, table + key, line, positions)
        scanner.skip_spaces()
        scanner.skip_comment()
