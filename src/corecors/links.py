"""Where the project lives: the one place its public URLs are spelled.

Messages that send a user to the documentation name these URLs, so they work for someone who
installed the package with pip and has no checkout.
"""

from __future__ import annotations

from typing import Final

__all__ = ["PROJECT_URL", "doc_url"]

PROJECT_URL: Final = "https://github.com/corecors/corecors"


def doc_url(path: str, section: str | None = None) -> str:
    """The web address of ``path`` in the repository (``docs/asgi.md``, ``SECURITY.md``), at the
    heading anchor ``section`` (``coming-from-starlette``) if given."""
    url = f"{PROJECT_URL}/blob/main/{path}"
    return url if section is None else f"{url}#{section}"
