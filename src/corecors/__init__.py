"""corecors: a sans-IO CORS decision core.

Build a :class:`CORSPolicy` once; for each request call :meth:`CORSPolicy.decide`
with a :class:`RequestInfo` and apply the :class:`Decision` it returns.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

from .decision import (
    CORS_RESPONSE_HEADERS,
    DEBUG_REASON_HEADER,
    OWNED_RESPONSE_HEADERS,
    Decision,
    DecisionKind,
    Rejection,
    RequestInfo,
)
from .errors import CORSConfigError, CORSConfigWarning
from .policy import CORSPolicy
from .routing import CORSDecider, PathPolicies, load_policy
from .tokens import merge_vary

__all__ = [
    "CORS_RESPONSE_HEADERS",
    "DEBUG_REASON_HEADER",
    "OWNED_RESPONSE_HEADERS",
    "CORSConfigError",
    "CORSConfigWarning",
    "CORSDecider",
    "CORSPolicy",
    "Decision",
    "DecisionKind",
    "PathPolicies",
    "Rejection",
    "RequestInfo",
    "load_policy",
    "merge_vary",
]

try:
    __version__: str = _distribution_version("corecors")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
