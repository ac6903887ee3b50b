"""CORS for aiohttp applications, over the corecors decision core.

One line covers every route, response and error of an application::

    from aiohttp import web
    import corecors_aiohttp
    from corecors import CORSPolicy

    app = web.Application()
    corecors_aiohttp.setup(app, CORSPolicy(allow_origins=["https://app.example.com"]))

See :func:`setup`, :func:`cors_middleware` (the middleware alone, with documented
limits), :func:`route_policy` (a handler's own policy) and :func:`apply_decision`.
"""


def _require_aiohttp() -> None:
    """Name the extra that installs aiohttp, instead of a bare "No module named 'aiohttp'"."""
    try:
        import aiohttp  # noqa: F401
    except ModuleNotFoundError as error:
        if error.name != "aiohttp":
            raise
        raise ModuleNotFoundError(
            "corecors_aiohttp needs aiohttp, which is not installed; install it with "
            "pip install 'corecors[aiohttp]'",
            name="aiohttp",
        ) from error


_require_aiohttp()

# After the check that names the extra:
from .apply import apply_decision  # noqa: E402
from .entry_points import cors_middleware, setup  # noqa: E402
from .middleware import CORS_KEY, CORSMiddleware  # noqa: E402
from .routes import route_policy  # noqa: E402

__all__ = [
    "CORS_KEY",
    "CORSMiddleware",
    "apply_decision",
    "cors_middleware",
    "route_policy",
    "setup",
]
