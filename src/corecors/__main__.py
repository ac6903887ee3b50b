"""``python -m corecors``: the command line, which lives in :mod:`corecors_tools.cli`.

The one module of the core that imports a tool; ``import corecors`` never loads it.
"""

import sys

from corecors_tools.cli import main

sys.exit(main())
