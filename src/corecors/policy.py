"""The public configuration: ``CORSPolicy``, and loading it from a mapping or a file.

Every problem in a configuration is collected and raised together as one
:class:`~corecors.CORSConfigError`, each a :class:`~corecors.errors.Problem` with what to
write instead. Legal but doubtful choices become :class:`~corecors.CORSConfigWarning` and are
kept in :attr:`CORSPolicy.warnings` for ``corecors lint``. The checks themselves are in
:mod:`corecors.validation`.
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Iterable, Mapping
from os import PathLike
from typing import Any, Final

from .compiled import CompiledPolicy
from .errors import CORSConfigError, CORSConfigWarning, Findings, Problem
from .origin_checks import _suffix_rules as _suffix_rules  # for the regex audit's tests
from .origins import OriginPredicate
from .validation import (
    MAX_AGE_LIMIT,
    MAX_INPUT_LIMIT,
    PUBLIC_SETTINGS,
    PolicyConfig,
    validate_policy,
)

__all__ = ["MAX_AGE_LIMIT", "MAX_INPUT_LIMIT", "POLICY_KEYS", "CORSPolicy", "read_toml"]


class CORSPolicy(CompiledPolicy):
    """A validated, immutable CORS policy. Build it once; call :meth:`decide` per request.

    Origins (``allow_origins``): exact origins (``"https://app.example.com"``), ``"*"``
    (any origin, not with credentials), subdomain patterns (``"https://*.example.com"``:
    one or more labels, never the apex), port patterns (``"http://localhost:*"``), or
    both (``"https://*.example.com:*"``). ``allow_origin_regex`` is matched against the
    whole origin; ``allow_origin_predicate`` is a function called with the origin.
    ``null`` is trusted only with ``allow_null_origin=True``.

    Methods are case-sensitive, like the browser's: the six names browsers normalize
    (DELETE, GET, HEAD, OPTIONS, POST, PUT) are uppercased here too, any other keeps
    its case. GET, HEAD and POST never need listing. ``["*"]`` allows any method.

    Header names compare case-insensitively. ``allow_headers=["*"]`` allows every
    request header except ``authorization``, which the Fetch standard never lets a
    wildcard cover: list it explicitly next to ``"*"`` if pages send it.

    ``max_age`` (seconds, 0 to 86400) lets browsers cache a preflight's answer;
    ``None`` leaves the header out and browsers use 5 seconds.

    Header names in the answer's ``Access-Control-Allow-Headers`` and
    ``Access-Control-Expose-Headers`` are spelt as configured (the first spelling of a
    name listed twice); the ``allow_headers`` and ``expose_headers`` attributes hold them
    lowercased, as they are compared.

    ``preflight_status`` (204 or 200) answers an allowed preflight,
    ``rejected_preflight_status`` (403 or 400, as Starlette) a refused one.

    ``debug=True`` is for development: rejected requests carry a ``CORS-Rejection-Reason``
    header, and a preflight from an allowed origin refused for its method, headers or
    private-network request gets the allow lists minus the refused item, so the browser's
    console names the real cause.
    """

    __slots__ = (
        "_frozen",
        "allow_credentials",
        "allow_headers",
        "allow_methods",
        "allow_null_origin",
        "allow_origin_predicate",
        "allow_origin_regex",
        "allow_origins",
        "allow_private_network",
        "dangerously_allow_insecure_origins",
        "dangerously_allow_public_suffix_wildcards",
        "debug",
        "expose_headers",
        "max_age",
        "max_origin_length",
        "max_request_headers_count",
        "max_request_headers_length",
        "preflight_status",
        "rejected_preflight_status",
        "warnings",
    )

    allow_origins: tuple[str, ...]
    allow_origin_regex: str | None
    allow_origin_predicate: OriginPredicate | None
    allow_null_origin: bool
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None
    allow_private_network: bool
    preflight_status: int
    rejected_preflight_status: int
    debug: bool
    dangerously_allow_insecure_origins: bool
    dangerously_allow_public_suffix_wildcards: bool
    max_origin_length: int
    max_request_headers_length: int
    max_request_headers_count: int
    warnings: tuple[str, ...]
    """Legal but doubtful choices: likely mistakes (also issued as :class:`CORSConfigWarning`)
    first, then risky but deliberate choices (recorded only, for ``corecors lint``)."""

    def __init__(
        self,
        *,
        allow_origins: Iterable[str] = (),
        allow_origin_regex: str | None = None,
        allow_origin_predicate: OriginPredicate | None = None,
        allow_null_origin: bool = False,
        allow_methods: Iterable[str] = ("GET", "HEAD", "POST"),
        allow_headers: Iterable[str] = (),
        expose_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        max_age: int | None = None,
        allow_private_network: bool = False,
        preflight_status: int = 204,
        rejected_preflight_status: int = 403,
        debug: bool = False,
        dangerously_allow_insecure_origins: bool = False,
        dangerously_allow_public_suffix_wildcards: bool = False,
        max_origin_length: int = 512,
        max_request_headers_length: int = 4096,
        max_request_headers_count: int = 64,
    ) -> None:
        findings = Findings()
        config = validate_policy(
            {
                "allow_origins": allow_origins,
                "allow_origin_regex": allow_origin_regex,
                "allow_origin_predicate": allow_origin_predicate,
                "allow_null_origin": allow_null_origin,
                "allow_methods": allow_methods,
                "allow_headers": allow_headers,
                "expose_headers": expose_headers,
                "allow_credentials": allow_credentials,
                "max_age": max_age,
                "allow_private_network": allow_private_network,
                "preflight_status": preflight_status,
                "rejected_preflight_status": rejected_preflight_status,
                "debug": debug,
                "dangerously_allow_insecure_origins": dangerously_allow_insecure_origins,
                "dangerously_allow_public_suffix_wildcards": (
                    dangerously_allow_public_suffix_wildcards
                ),
                "max_origin_length": max_origin_length,
                "max_request_headers_length": max_request_headers_length,
                "max_request_headers_count": max_request_headers_count,
            },
            findings,
        )
        findings.raise_problems()
        assert config is not None  # no problem, so validated
        for message in findings.warnings:
            warnings.warn(message, CORSConfigWarning, stacklevel=2)
        self._adopt(config)

    def _adopt(self, config: PolicyConfig) -> None:
        """Take ``config``'s settings as attributes, compile it, and freeze."""
        for name, value in zip(PUBLIC_SETTINGS, config, strict=False):
            object.__setattr__(self, name, value)
        self._compile(**config.compile_arguments())
        object.__setattr__(self, "_frozen", True)

    def __setattr__(self, name: str, value: object) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"CORSPolicy is immutable; build a new one to change {name!r}")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (
            f"CORSPolicy(allow_origins={self.allow_origins!r}, "
            f"allow_methods={self.allow_methods!r}, allow_headers={self.allow_headers!r}, "
            f"allow_credentials={self.allow_credentials!r})"
        )

    # -- loading --------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> CORSPolicy:
        """Build a policy from a mapping whose keys are the constructor's keyword names.

        Unknown keys are errors (with the closest known name suggested), so a typo
        never silently weakens or loosens a policy.
        """
        known = set(POLICY_KEYS)
        unknown = [key for key in config if key not in known]
        if unknown:
            raise CORSConfigError(_unknown_key_problems(unknown, known))
        return cls(**dict(config))

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> CORSPolicy:
        """Build a policy from a TOML file whose top-level keys are the keyword names.

        A :class:`CORSConfigError` words its advice in TOML (``allow_credentials = false``).
        """
        config = read_toml(path)
        try:
            return cls.from_mapping(config)
        except CORSConfigError as error:
            raise error.in_toml_terms() from None


#: The configuration keys a policy accepts: the constructor's keyword names.
POLICY_KEYS: Final = (
    "allow_origins",
    "allow_origin_regex",
    "allow_origin_predicate",
    "allow_null_origin",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
    "allow_private_network",
    "preflight_status",
    "rejected_preflight_status",
    "debug",
    "dangerously_allow_insecure_origins",
    "dangerously_allow_public_suffix_wildcards",
    "max_origin_length",
    "max_request_headers_length",
    "max_request_headers_count",
)


def _unknown_key_problems(unknown: Iterable[str], known: Iterable[str]) -> list[Problem]:
    import difflib

    choices = sorted(known)
    problems = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(choices)}"
        message = f"unknown configuration key {key!r}{hint}"
        problems.append(Problem(message, code="unknown-key", key=str(key)))
    return problems


def read_toml(path: str | PathLike[str]) -> dict[str, Any]:
    """Read a TOML policy file, turning syntax errors into :class:`CORSConfigError`."""
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        problem = Problem(f"{path}: invalid TOML: {error}", code="invalid-toml")
        raise CORSConfigError([problem]) from error
    except OSError as error:
        message = f"{path}: cannot read the policy file: {error}"
        raise CORSConfigError([Problem(message, code="unreadable-file")]) from error
