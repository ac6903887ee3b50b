"""What every ``corecors`` command reports: its exit status, and the severity of a finding."""

from __future__ import annotations

import enum
from typing import Literal

__all__ = ["ExitStatus", "Severity"]

Severity = Literal["error", "warning"]
"""``error``: the browser refuses, or the policy is refused; ``warning``: it works, but should
change."""


class ExitStatus(enum.IntEnum):
    """The exit status of every ``corecors`` command: 0, 1 or 2, with one meaning in each.

    0: nothing to act on; 1: the command did its job and the answer is "no" or "not quite" (a
    blocked request, a policy file with warnings only); 2: errors (a policy that is refused, a
    connection that failed, a mistaken command line).
    """

    ALLOWED = 0
    BLOCKED = 1
    ERROR = 2
    # The same numbers in the words of `corecors lint` and of the demo (aliases, not new codes).
    CLEAN = 0
    WARNINGS = 1
    OK = 0
