"""ASGI type aliases (the shapes the ASGI specification describes, nothing framework-specific).

They are structurally the same as Starlette's, so a :class:`~corecors_asgi.CORSMiddleware`
type-checks wherever Starlette or FastAPI expect an ASGI application or middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias

__all__ = ["ASGIApp", "AnyASGIApp", "Message", "Receive", "Scope", "Send"]

Scope: TypeAlias = MutableMapping[str, Any]
"""The connection scope: ``type`` (``"http"``, ``"websocket"``, ``"lifespan"``), ``headers``, ..."""

Message: TypeAlias = MutableMapping[str, Any]
"""One event sent or received, such as ``{"type": "http.response.start", ...}``."""

Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

AnyASGIApp: TypeAlias = Callable[[Any, Any, Any], Awaitable[None]]
"""Any ASGI 3 application, however it types its own arguments.

What :class:`~corecors_asgi.CORSMiddleware` wraps. Looser than :data:`ASGIApp` on purpose:
frameworks that type scopes and messages as ``TypedDict`` unions (Litestar, ``asgiref.typing``)
are ASGI applications too, but not callables of ``MutableMapping`` arguments.
"""
