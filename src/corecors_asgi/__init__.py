"""Pure ASGI CORS middleware, over the corecors decision core.

``CORSMiddleware`` takes Starlette's keyword arguments (a drop-in for Starlette and FastAPI
users, with corecors' own options beside them) or ``policy=`` (a :class:`corecors.CORSPolicy`
or :class:`corecors.PathPolicies`), and works around any ASGI application. Guide:
https://github.com/corecors/corecors/blob/main/docs/asgi.md
"""

from .middleware import (
    STARLETTE_ALL_METHODS,
    STARLETTE_DEFAULT_MAX_AGE,
    STARLETTE_SAFELISTED_HEADERS,
    CORSMiddleware,
    CORSPolicyOptions,
    policy_from_starlette_arguments,
)
from .types import AnyASGIApp, ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "STARLETTE_ALL_METHODS",
    "STARLETTE_DEFAULT_MAX_AGE",
    "STARLETTE_SAFELISTED_HEADERS",
    "ASGIApp",
    "AnyASGIApp",
    "CORSMiddleware",
    "CORSPolicyOptions",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "policy_from_starlette_arguments",
]
