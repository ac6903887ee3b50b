"""corecors_tools: what a person runs on top of the corecors core.

The ``corecors`` command (:mod:`corecors_tools.cli`) and what it is made of: ``explain``
(:mod:`corecors_tools.explain`), ``lint`` (:mod:`corecors_tools.lint` with
:mod:`corecors_tools.tomlpos`), ``probe`` (the diagnosis in :mod:`corecors_tools.probe`, the
sockets in :mod:`corecors_tools.http_transport`), ``demo`` (:mod:`corecors_tools.demo`) and the
embedded default policy (:mod:`corecors_tools.defaults`).

The core (:mod:`corecors`) never imports this package; this package imports the core, and the
demo imports the adapters when it starts. ``tests/test_layers.py`` holds both to that.
"""
