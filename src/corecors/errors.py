"""The exception and warning types of corecors, the problems they carry, and the wording of
advice by form."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

__all__ = [
    "CORSConfigError",
    "CORSConfigWarning",
    "Findings",
    "Problem",
    "in_toml_terms",
]

#: The code of a problem built from a plain string (one no validator wrote).
UNCLASSIFIED: str = "unclassified"


class Problem(str):
    """One finding about a configuration: the sentence that says what to change, and what it
    is about.

    It is the sentence (a ``str``: printing, comparing and ``in`` work as on the message), and
    it carries ``code`` (stable and machine-readable, e.g. ``insecure-origin-with-credentials``),
    ``key`` (the option it is about, e.g. ``allow_origins``; None when it is about no one
    option), ``value`` (the offending element, where there is one) and ``table`` (the
    ``[paths."…"]`` prefix of a policy file; None for the top level).
    """

    code: str
    key: str | None
    value: object
    table: str | None

    def __new__(
        cls,
        message: str,
        *,
        code: str,
        key: str | None = None,
        value: object = None,
        table: str | None = None,
    ) -> Problem:
        problem = super().__new__(cls, message)
        problem.__dict__.update(code=code, key=key, value=value, table=table)
        return problem

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Problem is immutable; build a new one to change {name!r}")

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (str(self), self.code, self.key, self.value, self.table))

    @classmethod
    def of(cls, message: str) -> Problem:
        """``message`` as a problem: itself when it is one, else unclassified."""
        return message if isinstance(message, Problem) else cls(message, code=UNCLASSIFIED)

    def reworded(self, message: str) -> Problem:
        """The same finding (code, key, value, table) with another sentence."""
        return Problem(message, code=self.code, key=self.key, value=self.value, table=self.table)

    def in_table(self, prefix: str) -> Problem:
        """This finding placed in the ``[paths."prefix"]`` table of a file, and said so."""
        return Problem(
            f"paths.{prefix!r}: {self}",
            code=self.code,
            key=self.key,
            value=self.value,
            table=prefix,
        )


def _rebuild(message: str, code: str, key: str | None, value: object, table: str | None) -> Problem:
    return Problem(message, code=code, key=key, value=value, table=table)


class Findings:
    """The one collector validators write to: problems (the configuration is refused),
    warnings (likely mistakes, issued as :class:`CORSConfigWarning`) and advisories (risky
    but deliberate choices, recorded for ``corecors lint``)."""

    __slots__ = ("advisories", "problems", "warnings")

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.advisories: list[Problem] = []

    def problem(
        self, code: str, message: str, key: str | None = None, value: object = None
    ) -> None:
        self.problems.append(Problem(message, code=code, key=key, value=value))

    def warning(
        self, code: str, message: str, key: str | None = None, value: object = None
    ) -> None:
        self.warnings.append(Problem(message, code=code, key=key, value=value))

    def advisory(
        self, code: str, message: str, key: str | None = None, value: object = None
    ) -> None:
        self.advisories.append(Problem(message, code=code, key=key, value=value))

    @property
    def doubts(self) -> tuple[Problem, ...]:
        """Warnings, then advisories: what ``CORSPolicy.warnings`` holds."""
        return (*self.warnings, *self.advisories)

    def raise_problems(self) -> None:
        """Raise every problem found as one :class:`CORSConfigError`; nothing if none."""
        if self.problems:
            raise CORSConfigError(self.problems, self.doubts)


class CORSConfigError(ValueError):
    """A policy configuration that is invalid, contradictory or dangerous.

    Raised at construction, never at request time. ``problems`` holds every
    problem found (not just the first), each a :class:`Problem`: a sentence that says what to
    change, with the option (``key``), element (``value``), file table (``table``) and stable
    ``code`` it is about. ``warnings`` holds what the policy would have warned about had it
    been valid (``CORSPolicy.warnings``), so ``corecors lint`` can report everything at once.
    ``notes`` add context that is not a problem of its own (such as how the refused
    setting differs from Starlette's); the heading counts problems only.
    """

    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    notes: tuple[str, ...]

    def __init__(
        self, problems: Iterable[str], warnings: Iterable[str] = (), notes: Iterable[str] = ()
    ) -> None:
        self.problems = tuple(Problem.of(problem) for problem in problems)
        self.warnings = tuple(Problem.of(warning) for warning in warnings)
        self.notes = tuple(notes)
        count = len(self.problems)
        heading = "1 problem" if count == 1 else f"{count} problems"
        lines = [f"invalid CORS policy ({heading}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines += [f"note: {note}" for note in self.notes]
        super().__init__("\n".join(lines))

    def in_toml_terms(self) -> CORSConfigError:
        """The same error with its advice written as TOML (for policies read from a file)."""
        return CORSConfigError(
            [in_toml_terms(problem) for problem in self.problems],
            [in_toml_terms(warning) for warning in self.warnings],
            [in_toml_terms(note) for note in self.notes],
        )


class CORSConfigWarning(UserWarning):
    """A configuration that is legal but probably not what was meant."""


# Advice is written for the Python API (``allow_credentials=True``, ``r'...'``); a policy read
# from TOML gets it rewritten, so that it can be followed as written in the file.
_PYTHON_TO_TOML: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b([a-z_]+)=True\b"), r"\1 = true"),
    (re.compile(r"\b([a-z_]+)=False\b"), r"\1 = false"),
    (re.compile(r"\b([a-z_]+)=(?=[\[\d'\"])"), r"\1 = "),
    (re.compile(r"\bNone to leave Access-Control-Max-Age out\b"), "leave max_age out"),
    (re.compile(r"\(or None\b"), "(or leave the key out"),
    # Raw strings become TOML literal strings, which are raw too.
    (re.compile(r"\br'([^'\n]*)'"), r"'\1'"),
)


_Message = TypeVar("_Message", bound=str)


def in_toml_terms(message: _Message) -> _Message:
    """``message`` with its Python spellings of settings written as TOML.

    ``dangerously_allow_insecure_origins=True`` becomes ``dangerously_allow_insecure_origins =
    true``, ``allow_origins=['https://*.example.com']`` becomes ``allow_origins =
    ['https://*.example.com']``, ``r'^https://...'`` the TOML literal string ``'^https://...'``,
    and "None" (leave a header out) "leave the key out". A :class:`Problem` stays one, about
    the same option.
    """
    text = str(message)
    for pattern, replacement in _PYTHON_TO_TOML:
        text = pattern.sub(replacement, text)
    if isinstance(message, Problem):
        return message.reworded(text)  # type: ignore[return-value]
    return text  # type: ignore[return-value]
