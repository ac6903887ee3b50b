"""Reading the CORS fields of an aiohttp request, and the path its policy is chosen by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import __version__ as aiohttp_version
from aiohttp import hdrs, web
from multidict import CIMultiDict

if TYPE_CHECKING:  # aiohttp's own dependencies, for annotations only
    from multidict import CIMultiDictProxy

from corecors import CORSDecider, Decision

from .apply import _VARY

__all__: list[str] = []


_ORIGIN: Final = hdrs.ORIGIN
_REQUEST_METHOD: Final = hdrs.ACCESS_CONTROL_REQUEST_METHOD
_REQUEST_HEADERS: Final = hdrs.ACCESS_CONTROL_REQUEST_HEADERS
_REQUEST_PRIVATE_NETWORK: Final = "Access-Control-Request-Private-Network"


def _header(headers: CIMultiDictProxy[str], name: str) -> str | None:
    """A request header's value, repeated lines joined with ``","``; ``None`` when absent."""
    values = headers.getall(name, None)
    if values is None:
        return None
    return values[0] if len(values) == 1 else ",".join(values)


def _is_preflight(headers: CIMultiDictProxy[str]) -> bool:
    """For an ``OPTIONS`` request: whether it is a CORS preflight (Origin and ACRM sent)."""
    return _ORIGIN in headers and _REQUEST_METHOD in headers


def _looks_handled(headers: CIMultiDict[str]) -> bool:
    """Whether a prepared response shows signs of a CORS decision (``apply_decision``
    called by the handler itself): an ``Access-Control-Allow-Origin`` or ``Vary: Origin``."""
    if hdrs.ACCESS_CONTROL_ALLOW_ORIGIN in headers:
        return True
    vary = ",".join(headers.getall(_VARY, ()))
    return "origin" in (name.strip(" \t").lower() for name in vary.split(","))


def _routed_path_attribute() -> str:
    """Which form of the path aiohttp's router matches: from 3.10.6 on, ``path_safe``
    (percent-decoded except ``%2F`` and ``%25``); before, the raw path."""
    version = tuple(int(part) for part in aiohttp_version.split(".")[:3] if part.isdigit())
    return "path_safe" if version >= (3, 10, 6) else "raw_path"


_ROUTED_PATH: Final = _routed_path_attribute()


def _routed_path(request: web.BaseRequest) -> str:
    """The path as aiohttp's router matches it, which is what per-path policies see.

    ``request.path`` is fully decoded: ``/ws/public%2Fprivate`` reads ``/ws/public/private``
    there, while the router serves it from ``/ws/{channel}``. A policy chosen on the
    decoded path would follow a route the request never reaches.
    """
    path: str = getattr(request.rel_url, _ROUTED_PATH)
    return path


def _decide_preflight(decider: CORSDecider, request: web.Request, by_path: bool) -> Decision:
    """The decision for a preflight under ``decider`` (``by_path``: it needs the path)."""
    headers = request.headers
    return decider.decide_fields(
        "OPTIONS",
        _header(headers, _ORIGIN),
        _header(headers, _REQUEST_METHOD),
        _header(headers, _REQUEST_HEADERS),
        _header(headers, _REQUEST_PRIVATE_NETWORK) == "true",
        _routed_path(request) if by_path else "/",
    )


def _is_websocket_handshake(headers: CIMultiDictProxy[str]) -> bool:
    upgrade = headers.get(hdrs.UPGRADE)
    return upgrade is not None and upgrade.strip().lower() == "websocket"
