"""What importing a module really loads, seen from a fresh interpreter (this process has
imported everything already)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable


def modules_loaded_by(imported: Iterable[str], watched: Iterable[str]) -> list[str]:
    """The modules of ``watched`` (a name stands for its submodules too: ``http`` covers
    ``http.client``) that are loaded once a new interpreter has imported ``imported``."""
    code = (
        "import json, sys\n"
        f"for name in {list(imported)!r}:\n"
        "    __import__(name)\n"
        f"watched = {sorted(watched)!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules\n"
        "    if any(m == w or m.startswith(w + '.') for w in watched))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded
