"""The embedded default policy used by the command line and the demo."""

from __future__ import annotations

import tomllib
from importlib import resources

from .policy import CORSPolicy

__all__ = ["default_policy", "default_policy_text"]


def default_policy_text() -> str:
    """The TOML source of the embedded default policy."""
    return resources.files("corecors").joinpath("default_policy.toml").read_text("utf-8")


def default_policy() -> CORSPolicy:
    """The embedded default policy, built from :func:`default_policy_text`."""
    return CORSPolicy.from_mapping(tomllib.loads(default_policy_text()))
