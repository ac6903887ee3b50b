"""``corecors lint``: check a TOML policy file and point at the line of every finding.

The file is validated exactly as :func:`corecors.load_policy` validates it (errors come from
that call), and each table is also built on its own to collect its warnings: the likely
mistakes :class:`~corecors.CORSPolicy` issues as :class:`~corecors.CORSConfigWarning` and the
risky-but-deliberate choices it records in ``warnings``, plus a few checks only ``lint``
makes. Messages name the key and usually the value; :mod:`corecors_tools.tomlpos` finds the line
they came from.
"""

from __future__ import annotations

import ast
import re
import tomllib
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corecors.errors import CORSConfigError, in_toml_terms
from corecors.policy import POLICY_KEYS, CORSPolicy
from corecors.routing import load_policy

from .status import ExitStatus, Severity
from .tomlpos import KeyPath, TomlPositions, locate

__all__ = ["LintFinding", "LintReport", "lint_file", "lint_text"]

_PATHS = "paths"
_ENABLED = "enabled"
_SHORTEST_USEFUL_MAX_AGE = 5  # browsers cache a preflight 5 s when Access-Control-Max-Age is absent
_LIST_KEYS = ("allow_origins", "allow_methods", "allow_headers", "expose_headers")
_CASE_INSENSITIVE_LISTS = frozenset({"allow_headers", "expose_headers"})
_DANGEROUS_FLAGS = {
    "dangerously_allow_insecure_origins": (
        "http:// origins may send credentials: anyone on the network path between a user and "
        "such a page can inject script into it and read the user's data; use https:// origins "
        "and remove this flag"
    ),
    "dangerously_allow_public_suffix_wildcards": (
        "wildcards under public suffixes (e.g. 'https://*.github.io') may send credentials: "
        "anyone can register a matching name; name your own domain and remove this flag"
    ),
}

# routing.py prefixes the problems of a [paths."…"] table with "paths.'/prefix': ".
_SCOPED = re.compile(r"""paths\.('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"): """)
_PREFIX_PROBLEM = re.compile(r"""path prefix ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") """)
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One error or warning, with where it came from."""

    severity: Severity
    code: str
    """Stable, machine-readable: ``invalid-toml``, ``unreadable-file``, ``policy-error``,
    ``policy-warning`` (the policy's own checks) or a lint-only code."""
    message: str
    line: int | None
    """1-based line in the file; None when no single line is to blame."""
    table: str | None = None
    """The ``[paths."…"]`` prefix the finding belongs to; None for the top level."""
    key: str | None = None
    source: str | None = None
    """The text of ``line``, stripped."""

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "line": self.line,
            "table": self.table,
            "key": self.key,
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class LintReport:
    path: str
    findings: tuple[LintFinding, ...]

    @property
    def errors(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == "warning")

    @property
    def exit_status(self) -> ExitStatus:
        if self.errors:
            return ExitStatus.ERROR
        return ExitStatus.WARNINGS if self.warnings else ExitStatus.CLEAN

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "valid": self.errors == 0,
            "errors": self.errors,
            "warnings": self.warnings,
            "exit_status": self.exit_status,
            "findings": [finding.as_json() for finding in self.findings],
        }


# ----------------------------------------------------------------------------------------
# Finding the line of a message
# ----------------------------------------------------------------------------------------


def _table_path(prefix: str | None) -> KeyPath:
    return () if prefix is None else (_PATHS, prefix)


def _mentions(message: str, word: str) -> int:
    """Where ``word`` occurs in ``message`` as a whole identifier; -1 if it does not."""
    match = re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", message)
    return match.start() if match else -1


class _Locator:
    def __init__(self, text: str, positions: TomlPositions) -> None:
        self.lines = text.splitlines()
        self.positions = positions

    def source(self, line: int | None) -> str | None:
        if line is None or not 1 <= line <= len(self.lines):
            return None
        return self.lines[line - 1].strip()

    def attribute(
        self, message: str, prefix: str | None, table: Mapping[str, Any]
    ) -> tuple[int | None, str | None]:
        """The line (and key) a policy message about ``table`` refers to.

        In order: an element, quoted as the message quotes it, of a key the message names;
        an element of any list in the table; the first key the message names; the table.
        """
        base = _table_path(prefix)
        named = sorted(
            (position, key)
            for key in table
            if isinstance(key, str) and (position := _mentions(message, key)) >= 0
        )
        lists = [key for key in table if isinstance(table[key], list)]
        for key in [key for _, key in named if key in lists] + lists:
            for value in table[key]:
                if isinstance(value, str) and repr(value) in message:
                    line = self.positions.item_line((*base, key), value)
                    if line is not None:
                        return line, key
        for _, key in named:
            line = self.positions.key_line((*base, key))
            if line is not None:
                return line, key
        return self.positions.table_line(base), None


# ----------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------


def _tables(config: Mapping[str, Any]) -> Iterator[tuple[str | None, Mapping[str, Any]]]:
    """Every policy table: the top level (None), then each ``[paths."…"]`` table."""
    top = {key: value for key, value in config.items() if key != _PATHS}
    if top or _PATHS not in config:
        yield None, top
    paths = config.get(_PATHS)
    if isinstance(paths, Mapping):
        for prefix, table in paths.items():
            if isinstance(table, Mapping):
                yield str(prefix), table


def _policy_keys(prefix: str | None, table: Mapping[str, Any]) -> dict[str, Any] | None:
    """The keys of a table that make its policy; None when CORS handling is off there."""
    if prefix is None:
        return dict(table)
    if table.get(_ENABLED, True) is False:
        return None
    return {key: value for key, value in table.items() if key != _ENABLED}


def _build(keys: Mapping[str, Any]) -> CORSPolicy | CORSConfigError:
    with warnings.catch_warnings(record=True):  # they are in policy.warnings too
        warnings.simplefilter("always")
        try:
            return CORSPolicy(**dict(keys))
        except CORSConfigError as error:
            return error


def _policy_warnings(prefix: str | None, table: Mapping[str, Any]) -> list[str]:
    """The policy's own warnings for one table, also when it has errors.

    None when CORS handling is off there, or when the table has an unknown key: without the
    misspelt key the policy is not the one meant (a misspelt ``allow_origins`` would warn
    that no origin is allowed).
    """
    keys = _policy_keys(prefix, table)
    if keys is None or any(key not in POLICY_KEYS for key in keys):
        return []
    return list(_build(keys).warnings)


def _hidden_problems(config: Mapping[str, Any]) -> list[str]:
    """Problems ``load_policy`` leaves unreported, scoped the way it scopes them.

    ``load_policy`` stops validating a table at its first structural problem (an unknown key,
    a non-boolean ``enabled``, a prefix without '/', a '/' table next to top-level keys), so
    the known policy keys of every table that is not switched off are validated here too:
    the file's problems are then all listed at once.
    """
    problems: list[str] = []
    for prefix, table in _tables(config):
        if prefix is not None and table.get(_ENABLED, True) is False:
            continue
        known = {key: value for key, value in table.items() if key in POLICY_KEYS}
        built = _build(known)
        if isinstance(built, CORSConfigError):
            where = "" if prefix is None else f"paths.{prefix!r}: "
            problems.extend(where + problem for problem in built.problems)
    return problems


def _lint_only(
    prefix: str | None, table: Mapping[str, Any]
) -> Iterator[tuple[str, str, str, tuple[str, int] | None]]:
    """Checks only lint makes: (code, key, message, element) where ``element`` is the list
    element to point at, as (value, how many equal values come before it), or None."""
    enabled = table.get(_ENABLED, True)
    if enabled is not True:
        return
    max_age = table.get("max_age")
    if type(max_age) is int and 0 < max_age < _SHORTEST_USEFUL_MAX_AGE:
        yield (
            "max-age-short",
            "max_age",
            f"max_age = {max_age} caches preflights for less than the "
            f"{_SHORTEST_USEFUL_MAX_AGE} s browsers use when Access-Control-Max-Age is "
            "absent; write max_age = 600 (or remove the key; 0 turns caching off)",
            None,
        )
    if table.get("debug") is True:
        yield (
            "debug-enabled",
            "debug",
            "debug = true tells every client why a request was refused (the "
            "CORS-Rejection-Reason header); turn it off outside development",
            None,
        )
    for flag, risk in _DANGEROUS_FLAGS.items():
        if table.get(flag) is True:
            yield "dangerous-opt-in", flag, f"{flag} = true: {risk}", None
    for key in _LIST_KEYS:
        values = table.get(key)
        if not isinstance(values, list):
            continue
        seen: set[str] = set()
        for index, value in enumerate(values):
            if not isinstance(value, str):
                continue
            folded = value.lower() if key in _CASE_INSENSITIVE_LISTS else value
            if folded in seen:
                message = f"{key}: {value!r} is listed twice; remove one"
                yield "duplicate-entry", key, message, (value, values[:index].count(value))
            seen.add(folded)


def _finding(
    locator: _Locator,
    severity: Severity,
    code: str,
    message: str,
    line: int | None,
    prefix: str | None,
    key: str | None,
) -> LintFinding:
    # The policy words its advice for Python; a file's author needs it in TOML.
    message = in_toml_terms(message)
    return LintFinding(severity, code, message, line, prefix, key, locator.source(line))


def _split_scope(problem: str) -> tuple[str | None, str]:
    """``("/api", rest)`` for a problem routing.py scoped to a table; ``(None, problem)``."""
    match = _SCOPED.match(problem)
    if match is None:
        return None, problem
    return str(ast.literal_eval(match.group(1))), problem[match.end() :]


def _error_findings(
    problems: tuple[str, ...], config: Mapping[str, Any], locator: _Locator
) -> list[LintFinding]:
    paths = config.get(_PATHS)
    paths = paths if isinstance(paths, Mapping) else {}
    top = {key: value for key, value in config.items() if key != _PATHS}
    findings = []
    for problem in problems:
        prefix, rest = _split_scope(problem)
        about_prefix = _PREFIX_PROBLEM.match(problem)
        if prefix is not None and isinstance(paths.get(prefix), Mapping):
            line, key = locator.attribute(rest, prefix, paths[prefix])
            if line is None:
                line = locator.positions.table_line(_table_path(prefix))
            problem = rest
        elif prefix is not None:
            line, key = locator.positions.table_line(_table_path(prefix)), None
            problem = rest
        elif about_prefix is not None:
            named = str(ast.literal_eval(about_prefix.group(1)))
            line, key = locator.positions.table_line(_table_path(named)), None
            prefix = named
            if line is None:  # "/api" and "/api/" both configured: point at a spelling of it
                line = locator.positions.table_line(_table_path(named.rstrip("/") or "/"))
        elif problem.startswith(f"'{_PATHS}'"):
            line, key = locator.positions.key_line((_PATHS,)), _PATHS
        else:
            line, key = locator.attribute(problem, None, top)
        findings.append(_finding(locator, "error", "policy-error", problem, line, prefix, key))
    return findings


def _warning_findings(config: Mapping[str, Any], locator: _Locator) -> list[LintFinding]:
    findings = []
    for prefix, table in _tables(config):
        for message in _policy_warnings(prefix, table):
            line, key = locator.attribute(message, prefix, table)
            findings.append(
                _finding(locator, "warning", "policy-warning", message, line, prefix, key)
            )
        for code, key, message, element in _lint_only(prefix, table):
            if element is not None:
                line = locator.positions.item_line((*_table_path(prefix), key), *element)
            else:
                line = locator.positions.key_line((*_table_path(prefix), key))
            findings.append(_finding(locator, "warning", code, message, line, prefix, key))
    return findings


def lint_text(text: str, path: str = "<policy>") -> LintReport:
    """Lint the TOML policy ``text``; ``path`` names it in the report."""
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_POSITION.search(str(error))
        line = int(found.group(1)) if found else None
        lines = text.splitlines()
        source = lines[line - 1].strip() if line is not None and 0 < line <= len(lines) else None
        message = f"invalid TOML: {error}"
        finding = LintFinding("error", "invalid-toml", message, line, None, None, source)
        return LintReport(path, (finding,))
    try:
        positions = locate(text)
    except (ValueError, IndexError):  # pragma: no cover - only for documents tomllib rejects
        positions = TomlPositions()
    locator = _Locator(text, positions)
    findings: list[LintFinding] = []
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            load_policy(config)
        except CORSConfigError as error:
            problems = list(error.problems)
            problems.extend(p for p in _hidden_problems(config) if p not in problems)
            findings.extend(_error_findings(tuple(problems), config, locator))
    findings.extend(_warning_findings(config, locator))
    order = {"error": 0, "warning": 1}
    findings.sort(key=lambda f: (f.line if f.line is not None else 0, order[f.severity]))
    return LintReport(path, tuple(findings))


def lint_file(path: str | Path) -> LintReport:
    """Lint the TOML policy file at ``path``."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot read the policy file: {error}"
        finding = LintFinding("error", "unreadable-file", message, None)
        return LintReport(str(path), (finding,))
    return lint_text(text, str(path))
