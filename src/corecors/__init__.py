"""corecors: a sans-IO CORS decision core.

Build a :class:`CORSPolicy` once; for each request call :meth:`CORSPolicy.decide`
with a :class:`RequestInfo` and apply the :class:`Decision` it returns. From a server
without an adapter, :func:`read_request` and :func:`response_headers` do both ends.
"""

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
from .exchange import read_request, response_headers
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
    "read_request",
    "response_headers",
]


def __getattr__(name: str) -> str:
    """``corecors.__version__``, read from the installed package's metadata when first asked.

    Not at import: ``importlib.metadata`` costs tens of milliseconds and loads ``email`` and
    ``socket``, which a sans-IO core has no use for.
    """
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("corecors")
    except PackageNotFoundError:  # run from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
