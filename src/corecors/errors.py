"""The exception and warning types of corecors, and the wording of advice by form."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["CORSConfigError", "CORSConfigWarning", "in_toml_terms"]


class CORSConfigError(ValueError):
    """A policy configuration that is invalid, contradictory or dangerous.

    Raised at construction, never at request time. ``problems`` holds every
    problem found (not just the first), each a sentence that says what to change.
    ``warnings`` holds what the policy would have warned about had it been valid
    (``CORSPolicy.warnings``), so ``corecors lint`` can report everything at once.
    ``notes`` add context that is not a problem of its own (such as how the refused
    setting differs from Starlette's); the heading counts problems only.
    """

    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]

    def __init__(
        self, problems: Iterable[str], warnings: Iterable[str] = (), notes: Iterable[str] = ()
    ) -> None:
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)
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


def in_toml_terms(message: str) -> str:
    """``message`` with its Python spellings of settings written as TOML.

    ``dangerously_allow_insecure_origins=True`` becomes ``dangerously_allow_insecure_origins =
    true``, ``allow_origins=['https://*.example.com']`` becomes ``allow_origins =
    ['https://*.example.com']``, ``r'^https://...'`` the TOML literal string ``'^https://...'``,
    and "None" (leave a header out) "leave the key out".
    """
    for pattern, replacement in _PYTHON_TO_TOML:
        message = pattern.sub(replacement, message)
    return message
