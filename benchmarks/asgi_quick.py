"""Kept for the commands written before ``python -m benchmarks``: its quick asgi level.

``python benchmarks/asgi_quick.py [options]`` is ``python -m benchmarks --quick --level asgi``
(options are passed on; ``--help`` lists them).
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["--quick", "--level", "asgi", *sys.argv[1:]]))
