"""The embedded default policy used by the command line and the demo, and how they load a
policy file named on the command line."""

from __future__ import annotations

import tomllib
from importlib import resources

from corecors.policy import CORSPolicy
from corecors.routing import CORSDecider, load_policy

__all__ = ["PolicyFileError", "default_policy", "default_policy_text", "load_policy_file"]


def default_policy_text() -> str:
    """The TOML source of the embedded default policy."""
    return resources.files("corecors_tools").joinpath("default_policy.toml").read_text("utf-8")


def default_policy() -> CORSPolicy:
    """The embedded default policy, built from :func:`default_policy_text`."""
    return CORSPolicy.from_mapping(tomllib.loads(default_policy_text()))


class PolicyFileError(OSError):
    """A policy file that cannot be read at all (missing, a directory, no permission).

    Not a :class:`~corecors.CORSConfigError`: nothing is wrong with any policy yet.
    """


def load_policy_file(path: str) -> CORSDecider:
    """:func:`corecors.load_policy` for a file named on the command line; a file that cannot be
    read raises :class:`PolicyFileError` saying so (syntax and policy errors stay
    :class:`~corecors.CORSConfigError`)."""
    try:
        with open(path, "rb") as file:
            file.read(1)
    except OSError as error:
        reason = error.strerror or str(error)
        raise PolicyFileError(f"cannot read the policy file {path!r}: {reason}") from error
    return load_policy(path)
