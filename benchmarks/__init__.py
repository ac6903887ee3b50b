"""corecors next to its peers: ``python -m benchmarks`` (``--help`` for options)."""
