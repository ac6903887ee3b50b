"""The exception and warning types of corecors."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CORSConfigError", "CORSConfigWarning"]


class CORSConfigError(ValueError):
    """A policy configuration that is invalid, contradictory or dangerous.

    Raised at construction, never at request time. ``problems`` holds every
    problem found (not just the first), each a sentence that says what to change.
    ``warnings`` holds what the policy would have warned about had it been valid
    (``CORSPolicy.warnings``), so ``corecors lint`` can report everything at once.
    """

    problems: tuple[str, ...]
    warnings: tuple[str, ...]

    def __init__(self, problems: Iterable[str], warnings: Iterable[str] = ()) -> None:
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)
        count = len(self.problems)
        heading = "1 problem" if count == 1 else f"{count} problems"
        body = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid CORS policy ({heading}):\n{body}")


class CORSConfigWarning(UserWarning):
    """A configuration that is legal but probably not what was meant."""
