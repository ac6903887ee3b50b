"""Running the ``corecors`` command as a user does: in a subprocess, on this interpreter."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m corecors *args``, output as text; the caller checks the exit status."""
    return subprocess.run(
        [sys.executable, "-m", "corecors", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
