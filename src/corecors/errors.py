"""The exception and warning types of corecors."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CORSConfigError", "CORSConfigWarning"]


class CORSConfigError(ValueError):
    """A policy configuration that is invalid, contradictory or dangerous.

    Raised at construction, never at request time. ``problems`` holds every
    problem found (not just the first), each a sentence that says what to change.
    """

    problems: tuple[str, ...]

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        heading = "1 problem" if count == 1 else f"{count} problems"
        body = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid CORS policy ({heading}):\n{body}")


class CORSConfigWarning(UserWarning):
    """A configuration that is legal but probably not what was meant."""
