"""Choosing a policy by request path, and loading policies from files.

:class:`PathPolicies` gives parts of a site their own policy (``/public`` open to
every origin without credentials, ``/api`` to two origins with credentials, ...).
Both it and :class:`~corecors.CORSPolicy` satisfy :class:`CORSDecider`, the one
interface the adapters call.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any, Protocol, runtime_checkable

from .decision import Decision, DecisionKind, RequestInfo
from .errors import CORSConfigError, CORSConfigWarning, Findings, Problem
from .policy import POLICY_KEYS, CORSPolicy, _unknown_key_problems, read_toml

__all__ = [
    "CORSDecider",
    "PathPolicies",
    "PolicyTable",
    "load_policy",
    "policy_tables",
    "review_policy_mapping",
]

_PASS_THROUGH = Decision(DecisionKind.DISABLED, None, (), ())
_PATHS_KEY = "paths"
_ENABLED_KEY = "enabled"


@runtime_checkable
class CORSDecider(Protocol):
    """What an adapter needs: a policy, or policies chosen by path."""

    def decide(self, request: RequestInfo) -> Decision: ...

    def decide_fields(
        self,
        method: str,
        origin: str | None,
        request_method: str | None = None,
        request_headers: str | None = None,
        request_private_network: bool = False,
        path: str = "/",
    ) -> Decision: ...

    def decide_websocket(self, origin: str | None, path: str = "/") -> Decision: ...


def _normalize_prefix(prefix: str) -> str:
    return prefix.rstrip("/") or "/"


# Characters that never reach the path a router matches: a glob is not a pattern here,
# '?' and '#' start the query and the fragment.
_NOT_IN_A_PATH = {"*": "a wildcard", "?": "a query", "#": "a fragment"}


def _prefix_problem(prefix: object) -> Problem | None:
    """Why ``prefix`` can never match the requests it was written for (``None``: it can)."""
    reason = _prefix_reason(prefix)
    if reason is None:
        return None
    table = prefix if isinstance(prefix, str) else None
    return Problem(reason, code="invalid-path-prefix", value=prefix, table=table)


def _prefix_reason(prefix: object) -> str | None:
    if not isinstance(prefix, str):
        return f"path prefix {prefix!r} must be a string starting with '/'"
    stripped = prefix.strip()
    for char, what in _NOT_IN_A_PATH.items():
        if char in prefix:
            meant = stripped.split(char, 1)[0]
            return (
                f"path prefix {prefix!r} contains {char!r}, which never appears in a request "
                f"path ({what}); a prefix already covers everything under it: write "
                f"{_normalize_prefix(meant or '/')!r}"
            )
    if not stripped.startswith("/"):
        return f"path prefix {prefix!r} must start with '/'"
    if stripped != prefix or not prefix.isprintable():
        fixed = "".join(ch for ch in stripped if ch.isprintable()) or "/"
        return (
            f"path prefix {prefix!r} has whitespace at an end or a control character, which "
            f"no request path written by hand has (probably a typo); write {fixed!r}"
        )
    segments = prefix.split("/")
    if "." in segments or ".." in segments:
        return (
            f"path prefix {prefix!r} has a '.' or '..' segment, which browsers resolve "
            "before sending the request; write the path they resolve to"
        )
    return None


class PathPolicies:
    """Policies chosen by path prefix; the longest matching prefix wins.

    A prefix matches whole path segments: ``"/api"`` (or ``"/api/"``) covers ``/api``
    and ``/api/users`` but not ``/apis``. ``None`` as a policy turns CORS handling off
    for that prefix: its requests pass through untouched. Paths no prefix covers use
    ``default`` (``None``: untouched too).
    """

    __slots__ = ("_lengths", "_prefixes", "default")

    def __init__(
        self,
        paths: Mapping[str, CORSPolicy | None],
        default: CORSPolicy | None = None,
    ) -> None:
        problems: list[Problem] = []
        prefixes: dict[str, CORSPolicy | None] = {}
        for prefix, policy in paths.items():
            prefix_problem = _prefix_problem(prefix)
            if prefix_problem is not None:
                problems.append(prefix_problem)
                continue
            if policy is not None and not isinstance(policy, CORSPolicy):
                message = (
                    f"path prefix {prefix!r} maps to {type(policy).__name__}; expected a "
                    "CORSPolicy or None"
                )
                problems.append(Problem(message, code="not-a-policy", value=policy, table=prefix))
                continue
            normalized = _normalize_prefix(prefix)
            if normalized in prefixes:
                message = f"path prefix {prefix!r} is configured twice"
                problems.append(
                    Problem(message, code="duplicate-path-prefix", value=prefix, table=prefix)
                )
            prefixes[normalized] = policy
        if default is not None and not isinstance(default, CORSPolicy):
            message = f"default must be a CORSPolicy or None, not {type(default).__name__}"
            problems.append(Problem(message, code="not-a-policy", value=default))
        if problems:
            raise CORSConfigError(problems)
        self._prefixes = prefixes
        # Checking each configured length is a bounded number of dict lookups per request.
        self._lengths = tuple(
            sorted({len(prefix) for prefix in prefixes if prefix != "/"}, reverse=True)
        )
        self.default: CORSPolicy | None = prefixes.get("/", default)

    @property
    def paths(self) -> Mapping[str, CORSPolicy | None]:
        return dict(self._prefixes)

    def prefix_for(self, path: str) -> str | None:
        """The configured prefix (normalized, as in :attr:`paths`) that governs ``path``: the
        longest that covers it; None when none does and :attr:`default` governs it."""
        prefixes = self._prefixes
        size = len(path)
        for length in self._lengths:
            if size >= length and (size == length or path[length] == "/"):
                candidate = path[:length]
                if candidate in prefixes:
                    return candidate
        return "/" if "/" in prefixes else None

    def policy_for(self, path: str) -> CORSPolicy | None:
        """The policy that governs ``path`` (``None``: CORS handling is off there)."""
        prefix = self.prefix_for(path)
        return self.default if prefix is None else self._prefixes[prefix]

    def decide(self, request: RequestInfo) -> Decision:
        return self.decide_fields(
            request.method,
            request.origin,
            request.request_method,
            request.request_headers,
            request.request_private_network,
            request.path,
        )

    def decide_fields(
        self,
        method: str,
        origin: str | None,
        request_method: str | None = None,
        request_headers: str | None = None,
        request_private_network: bool = False,
        path: str = "/",
    ) -> Decision:
        # policy_for, without its call: this is every request's path.
        prefix = self.prefix_for(path)
        policy = self.default if prefix is None else self._prefixes[prefix]
        if policy is None:
            return _PASS_THROUGH
        return policy.decide_fields(
            method, origin, request_method, request_headers, request_private_network, path
        )

    def decide_websocket(self, origin: str | None, path: str = "/") -> Decision:
        policy = self.policy_for(path)
        if policy is None:
            return _PASS_THROUGH
        return policy.decide_websocket(origin, path)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> PathPolicies:
        """Build from a mapping: the top-level keys are the default policy, and the
        ``paths`` table maps prefixes to tables of their own (each a complete policy;
        ``enabled = false`` turns CORS handling off for that prefix)."""
        findings = Findings()
        default: CORSPolicy | None = None
        policies: dict[str, CORSPolicy | None] = {}
        for table in policy_tables(config, findings):
            if not table.sound or (table.prefix is None and not table.keys):
                continue  # a structural problem, or no top-level keys (no default policy)
            if not table.enabled:
                policies[str(table.prefix)] = None
                continue
            policy = _build_table(table, findings, exhaustive=False)
            if table.prefix is None:
                default = policy
            elif policy is not None:
                policies[table.prefix] = policy
        if findings.problems:
            raise CORSConfigError(findings.problems)
        return cls(policies, default)


@dataclass(frozen=True, slots=True)
class PolicyTable:
    """One policy table of a configuration mapping (a policy file): the top level, or a
    ``[paths."…"]`` table."""

    prefix: str | None
    """The ``[paths."…"]`` prefix as written; None for the top level."""
    keys: Mapping[str, Any]
    """Its policy's keys (``enabled`` left out)."""
    enabled: bool = True
    """False when the table says ``enabled = false`` (CORS handling off there)."""
    sound: bool = True
    """False when the table has a structural problem (its prefix, ``enabled``, or a ``'/'``
    table beside top-level keys): its keys can still be checked, but it makes no policy."""

    def scoped(self, problem: Problem) -> Problem:
        """``problem`` placed in this table (and said so, for a ``[paths."…"]`` table)."""
        return problem if self.prefix is None else problem.in_table(self.prefix)


def policy_tables(config: Mapping[str, Any], findings: Findings) -> list[PolicyTable]:
    """The one walk of a configuration mapping's tables: the top level (when it has keys or
    there is no ``paths`` table), then each ``[paths."…"]`` table, in order.

    Structural problems (``paths`` not a table, a prefix that can never match, a table that
    is not one, a non-boolean ``enabled``, a ``'/'`` table beside top-level keys, keys beside
    ``enabled = false``) go to ``findings``, each scoped to its table.
    """
    top = {key: value for key, value in config.items() if key != _PATHS_KEY}
    tables = [PolicyTable(None, top)] if top or _PATHS_KEY not in config else []
    paths = config.get(_PATHS_KEY, {})
    if not isinstance(paths, Mapping):
        message = "'paths' must be a table of path prefixes, e.g. [paths.\"/api\"]"
        findings.problem("paths-not-a-table", message, _PATHS_KEY, paths)
        return tables
    spellings: set[str] = set()
    for prefix, table in paths.items():
        problem = _prefix_problem(prefix)
        if problem is None and not isinstance(table, Mapping):
            problem = Problem("must be a table of policy keys", code="not-a-table", value=table)
            problem = problem.in_table(prefix)
        if problem is not None and not isinstance(table, Mapping):
            findings.problems.append(problem)
            continue
        checked = _paths_table(str(prefix), table, problem, bool(top), findings)
        if checked.sound:
            _check_spelt_once(str(prefix), spellings, findings)
        tables.append(checked)
    return tables


def _check_spelt_once(prefix: str, spellings: set[str], findings: Findings) -> None:
    """A problem when ``prefix`` names the same table as one before it (``/api``, ``/api/``)."""
    normalized = _normalize_prefix(prefix)
    if normalized in spellings:
        message = f"path prefix {prefix!r} is configured twice"
        findings.problems.append(
            Problem(message, code="duplicate-path-prefix", value=prefix, table=prefix)
        )
    spellings.add(normalized)


def _paths_table(
    prefix: str,
    table: Mapping[str, Any],
    problem: Problem | None,
    beside_top: bool,
    findings: Findings,
) -> PolicyTable:
    """The ``[paths."prefix"]`` table, with its structural problem (``problem``: its
    prefix's, if any), in ``findings``."""
    keys = {key: value for key, value in table.items() if key != _ENABLED_KEY}
    enabled = table.get(_ENABLED_KEY, True)
    if problem is None and not isinstance(enabled, bool):
        problem = Problem(
            f"enabled must be true or false, not {enabled!r} (a string such as "
            '"false" would leave CORS on)',
            code="not-a-boolean",
            key=_ENABLED_KEY,
            value=enabled,
        ).in_table(prefix)
    if problem is None and _normalize_prefix(prefix) == "/" and beside_top:
        problem = Problem(
            "a table for '/' would replace the top-level policy; put those "
            "keys at the top level instead",
            code="root-table-beside-top-level",
        ).in_table(prefix)
    if problem is not None:
        findings.problems.append(problem)
        return PolicyTable(prefix, keys, enabled is not False, sound=False)
    if enabled is False and keys:
        findings.problems.append(
            Problem(
                f"enabled = false takes no other keys; remove {list(keys)}",
                code="keys-beside-disabled",
                key=_ENABLED_KEY,
                value=list(keys),
            ).in_table(prefix)
        )
    return PolicyTable(prefix, keys, enabled)


def _build_table(table: PolicyTable, findings: Findings, *, exhaustive: bool) -> CORSPolicy | None:
    """``table``'s policy, its problems and doubts written to ``findings`` (scoped).

    An unknown key is a problem; ``exhaustive`` checks the known keys all the same (for a
    report of every problem), but then keeps no doubts: without the misspelt key the policy
    is not the one meant (a misspelt ``allow_origins`` would warn that no origin is allowed).
    """
    known = set(POLICY_KEYS)
    unknown = [key for key in table.keys if key not in known]
    findings.problems.extend(table.scoped(p) for p in _unknown_key_problems(unknown, known))
    if unknown and not exhaustive:
        return None
    keys = {key: value for key, value in table.keys.items() if key in known}
    try:
        policy = CORSPolicy(**keys)
        doubts = policy.warnings
    except CORSConfigError as error:
        findings.problems.extend(table.scoped(problem) for problem in error.problems)
        policy, doubts = None, error.warnings
    if not unknown:
        findings.warnings.extend(table.scoped(Problem.of(doubt)) for doubt in doubts)
    return policy


def review_policy_mapping(config: Mapping[str, Any]) -> Findings:
    """Every problem of a configuration mapping (a policy file), and the doubts (warnings and
    advisories, in ``warnings``) of each table, scoped to their tables.

    Unlike :func:`load_policy`, which stops checking a table at its first structural problem
    or unknown key, every table that is not switched off is checked in full, so a file's
    problems can all be listed at once. Issues no :class:`~corecors.CORSConfigWarning`: the
    doubts are returned instead.
    """
    findings = Findings()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        for table in policy_tables(config, findings):
            if table.enabled:
                _build_table(table, findings, exhaustive=True)
    return findings


def load_policy(source: str | PathLike[str] | Mapping[str, Any]) -> CORSPolicy | PathPolicies:
    """Load a policy from a TOML file (or an already parsed mapping).

    Without a ``paths`` table the result is one :class:`~corecors.CORSPolicy`; with one,
    a :class:`PathPolicies` whose default is the top-level policy. Read from a file, a
    :class:`~corecors.CORSConfigError` words its advice in TOML.
    """
    if isinstance(source, Mapping):
        return _from_mapping(source)
    try:
        return _from_mapping(read_toml(source))
    except CORSConfigError as error:
        raise error.in_toml_terms() from None  # advice that can be written in the file


def _from_mapping(config: Mapping[str, Any]) -> CORSPolicy | PathPolicies:
    if _PATHS_KEY in config:
        return PathPolicies.from_mapping(config)
    return CORSPolicy.from_mapping(config)
