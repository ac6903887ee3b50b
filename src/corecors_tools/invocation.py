"""How to type the running ``corecors`` command again, for commands the CLI and demo suggest.

After ``make demo`` the console script lives in ``.venv/bin`` and is not on ``PATH``, so a
suggestion that says ``corecors explain ...`` would not run as printed. Suggestions use
:func:`command_prefix` instead: ``corecors`` when that name on ``PATH`` is the running script,
else the path of the script (relative to the working directory when it is below it), else
``python -m corecors`` with the running interpreter.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

__all__ = ["command_prefix"]

_NAME = "corecors"


def _same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _shown_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    absolute = os.path.abspath(path)  # not resolve(): a venv's python is a symlink to the base
    here = os.getcwd()
    if absolute.startswith(here.rstrip(os.sep) + os.sep):
        return shlex.quote(os.path.relpath(absolute, here))
    return shlex.quote(absolute)


def command_prefix() -> str:
    """The words that run ``corecors`` from the user's shell, as this process was started."""
    script = sys.argv[0] if sys.argv else ""
    if Path(script).name == _NAME:
        on_path = shutil.which(_NAME)
        if on_path is not None and _same_file(on_path, script):
            return _NAME
        if os.path.isfile(script):
            return _shown_path(script)
    python = sys.executable or "python3"
    on_path = shutil.which("python3")
    shown = (
        "python3" if on_path is not None and _same_file(on_path, python) else _shown_path(python)
    )
    return f"{shown} -m {_NAME}"
