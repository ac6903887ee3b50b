"""``corecors lint``: check a TOML policy file and point at the line of every finding.

The file is validated by :func:`corecors.routing.review_policy_mapping`: the checks of
:func:`corecors.load_policy`, carried on past a table's first structural problem so that every
problem is listed at once, with each table's warnings (the likely mistakes
:class:`~corecors.CORSPolicy` issues as :class:`~corecors.CORSConfigWarning` and the
risky-but-deliberate choices it records in ``warnings``), plus a few checks only ``lint``
makes. Each finding is a :class:`~corecors.errors.Problem` naming its table, key and value;
:mod:`corecors_tools.tomlpos` finds the line they came from.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corecors.errors import Findings, Problem, in_toml_terms
from corecors.routing import PolicyTable, policy_tables, review_policy_mapping

from .status import ExitStatus, Severity
from .tomlpos import KeyPath, TomlPositions, locate

__all__ = ["LintFinding", "LintReport", "lint_file", "lint_text"]

_PATHS = "paths"
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

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One error or warning, with where it came from."""

    severity: Severity
    code: str
    """Stable, machine-readable: ``invalid-toml``, ``unreadable-file``, ``policy-error``,
    ``policy-warning`` (the policy's own checks; ``rule`` says which) or a lint-only code."""
    message: str
    line: int | None
    """1-based line in the file; None when no single line is to blame."""
    table: str | None = None
    """The ``[paths."…"]`` prefix the finding belongs to; None for the top level."""
    key: str | None = None
    source: str | None = None
    """The text of ``line``, stripped."""
    rule: str | None = None
    """For ``policy-error`` and ``policy-warning``: the policy check's own stable code
    (:attr:`corecors.errors.Problem.code`, e.g. ``insecure-origin-with-credentials``)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "rule": self.rule,
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
# Finding the line of a finding
# ----------------------------------------------------------------------------------------


def _table_path(prefix: str | None) -> KeyPath:
    return () if prefix is None else (_PATHS, prefix)


class _Locator:
    def __init__(self, text: str, positions: TomlPositions) -> None:
        self.lines = text.splitlines()
        self.positions = positions

    def source(self, line: int | None) -> str | None:
        if line is None or not 1 <= line <= len(self.lines):
            return None
        return self.lines[line - 1].strip()

    def line(self, problem: Problem) -> int | None:
        """The line ``problem`` is about: the element of its key, the key, or its table."""
        line = self.positions.line_of(_table_path(problem.table), problem.key, problem.value)
        if line is None and problem.table is not None:
            # "/api" and "/api/" both configured: point at a spelling of it.
            return self.positions.table_line(_table_path(problem.table.rstrip("/") or "/"))
        return line


# ----------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------


def _lint_only(table: Mapping[str, Any]) -> Iterator[tuple[str, str, str, tuple[str, int] | None]]:
    """Checks only lint makes: (code, key, message, element) where ``element`` is the list
    element to point at, as (value, how many equal values come before it), or None."""
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


def _policy_finding(locator: _Locator, severity: Severity, problem: Problem) -> LintFinding:
    line = locator.line(problem)
    code = "policy-error" if severity == "error" else "policy-warning"
    # Strip the "paths.'/api': " the loader puts before a table's problems: lint has a column
    # for the table. The policy words its advice for Python; a file's author needs it in TOML.
    message = in_toml_terms(_unscoped(problem))
    return LintFinding(
        severity,
        code,
        message,
        line,
        problem.table,
        problem.key,
        locator.source(line),
        rule=problem.code,
    )


def _unscoped(problem: Problem) -> str:
    scope = "" if problem.table is None else f"paths.{problem.table!r}: "
    return problem[len(scope) :] if scope and problem.startswith(scope) else str(problem)


def _lint_only_findings(table: PolicyTable, locator: _Locator) -> list[LintFinding]:
    findings = []
    for code, key, message, element in _lint_only(table.keys):
        path = (*_table_path(table.prefix), key)
        if element is not None:
            line = locator.positions.item_line(path, *element)
        else:
            line = locator.positions.key_line(path)
        source = locator.source(line)
        message = in_toml_terms(message)
        findings.append(LintFinding("warning", code, message, line, table.prefix, key, source))
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
    review = review_policy_mapping(config)
    findings = [_policy_finding(locator, "error", problem) for problem in review.problems]
    findings += [_policy_finding(locator, "warning", doubt) for doubt in review.warnings]
    for table in policy_tables(config, Findings()):  # its problems are in the review
        if table.enabled:
            findings += _lint_only_findings(table, locator)
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
