"""Choosing a policy by request path, and loading policies from files.

:class:`PathPolicies` gives parts of a site their own policy (``/public`` open to
every origin without credentials, ``/api`` to two origins with credentials, ...).
Both it and :class:`~corecors.CORSPolicy` satisfy :class:`CORSDecider`, the one
interface the adapters call.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any, Protocol, runtime_checkable

from .decision import Decision, DecisionKind, RequestInfo
from .errors import CORSConfigError
from .policy import POLICY_KEYS, CORSPolicy, _unknown_key_problems, read_toml

__all__ = ["CORSDecider", "PathPolicies", "load_policy"]

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


def _prefix_problem(prefix: object) -> str | None:
    """Why ``prefix`` can never match the requests it was written for (``None``: it can)."""
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
        problems = []
        prefixes: dict[str, CORSPolicy | None] = {}
        for prefix, policy in paths.items():
            prefix_problem = _prefix_problem(prefix)
            if prefix_problem is not None:
                problems.append(prefix_problem)
                continue
            if policy is not None and not isinstance(policy, CORSPolicy):
                problems.append(
                    f"path prefix {prefix!r} maps to {type(policy).__name__}; expected a "
                    "CORSPolicy or None"
                )
                continue
            normalized = _normalize_prefix(prefix)
            if normalized in prefixes:
                problems.append(f"path prefix {prefix!r} is configured twice")
            prefixes[normalized] = policy
        if default is not None and not isinstance(default, CORSPolicy):
            problems.append(f"default must be a CORSPolicy or None, not {type(default).__name__}")
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

    def policy_for(self, path: str) -> CORSPolicy | None:
        """The policy that governs ``path`` (``None``: CORS handling is off there)."""
        prefixes = self._prefixes
        size = len(path)
        for length in self._lengths:
            if size >= length and (size == length or path[length] == "/"):
                candidate = path[:length]
                if candidate in prefixes:
                    return prefixes[candidate]
        return self.default

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
        policy = self.policy_for(path)
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
        problems: list[str] = []
        top = {key: value for key, value in config.items() if key != _PATHS_KEY}
        default = _policy_or_problems(top, "", problems) if top else None
        tables = config.get(_PATHS_KEY, {})
        policies: dict[str, CORSPolicy | None] = {}
        if not isinstance(tables, Mapping):
            problems.append("'paths' must be a table of path prefixes, e.g. [paths.\"/api\"]")
            tables = {}
        for prefix, table in tables.items():
            where = f"paths.{prefix!r}: "
            prefix_problem = _prefix_problem(prefix)
            if prefix_problem is not None:
                problems.append(prefix_problem)
                continue
            if not isinstance(table, Mapping):
                problems.append(f"{where}must be a table of policy keys")
                continue
            enabled = table.get(_ENABLED_KEY, True)
            if not isinstance(enabled, bool):
                problems.append(
                    f"{where}enabled must be true or false, not {enabled!r} (a string such as "
                    '"false" would leave CORS on)'
                )
                continue
            if _normalize_prefix(str(prefix)) == "/" and top:
                problems.append(
                    f"{where}a table for '/' would replace the top-level policy; put those "
                    "keys at the top level instead"
                )
                continue
            if enabled is False:
                extra = [key for key in table if key != _ENABLED_KEY]
                if extra:
                    problems.append(f"{where}enabled = false takes no other keys; remove {extra}")
                policies[prefix] = None
                continue
            policy_keys = {key: value for key, value in table.items() if key != _ENABLED_KEY}
            policy = _policy_or_problems(policy_keys, where, problems)
            if policy is not None:
                policies[prefix] = policy
        if problems:
            raise CORSConfigError(problems)
        return cls(policies, default)


def _policy_or_problems(
    config: Mapping[str, Any], where: str, problems: list[str]
) -> CORSPolicy | None:
    known = set(POLICY_KEYS)
    unknown = [key for key in config if key not in known]
    if unknown:
        problems.extend(where + problem for problem in _unknown_key_problems(unknown, known))
        return None
    try:
        return CORSPolicy(**dict(config))
    except CORSConfigError as error:
        problems.extend(where + problem for problem in error.problems)
        return None


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
