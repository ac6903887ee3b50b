"""Per-route policies on one URL against each engine's preflight cache (issue 12, item 3).

A browser caches a preflight's answer for the URL: every method it lists, and the allowed
request headers for any method (the safelisted POST included). If the answer to a PUT
preflight listed DELETE (allowed by the application's policy) while the DELETE route has a
stricter policy of its own (``corecors_aiohttp.route_policy``), the browser would later send
DELETE without asking, and the stricter route's handler would run. Here a page asks for the
permitted request first, then for the one only the stricter route decides, and the server's
record shows that the browser asked again, was refused, and that the handler never ran.

A control on a URL with one policy shows, in the same run, that each engine does carry a
cached answer over to the URL's other methods: without it, the two tests above would pass in
an engine that kept no preflight cache at all. The API is addressed as ``localhost``:
Firefox drops a cached preflight for an IP-literal host (docs/browser-tests.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from corecors import CORSPolicy

from .conftest import ApiRun, Origins, Suite, default_settings_only
from .harness import Exchange, Outcome, Recorder, record_aiohttp
from .scenarios import PREFLIGHT_REFUSED

if TYPE_CHECKING:
    from aiohttp import web

pytestmark = pytest.mark.browser

#: The response header naming the handler that answered (the server's record keeps it).
HANDLER_HEADER = "x-handler"
REQUEST_HEADER = "x-token"


def shared_url_api(origins: Origins, recorder: Recorder) -> web.Application:
    """The application's policy lets both page origins use GET, POST, PUT and DELETE with
    ``x-token``, answers cached for ten minutes. On ``/items/{id}`` DELETE, and on ``/form``
    POST, have a policy of their own that admits only the ``other`` origin, without request
    headers. ``/solo/{id}`` (the control) has the application's policy for every method."""
    from aiohttp import web

    import corecors_aiohttp

    async def app_handler(request: web.Request) -> web.Response:
        return web.Response(text="ok", headers={HANDLER_HEADER: "app"})

    @corecors_aiohttp.route_policy(
        CORSPolicy(allow_origins=[origins.other], allow_methods=["DELETE", "POST"])
    )
    async def strict_handler(request: web.Request) -> web.Response:
        return web.Response(text="strict", headers={HANDLER_HEADER: "strict"})

    app = web.Application()
    app.router.add_get("/items/{id}", app_handler)
    app.router.add_put("/items/{id}", app_handler)
    app.router.add_delete("/items/{id}", strict_handler)
    app.router.add_put("/form", app_handler)
    app.router.add_post("/form", strict_handler)
    for method in ("PUT", "POST", "DELETE"):
        app.router.add_route(method, "/solo/{id}", app_handler)
    policy = CORSPolicy(
        allow_origins=[origins.page, origins.other],
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=[REQUEST_HEADER],
        max_age=600,
    )
    corecors_aiohttp.setup(app, policy)
    record_aiohttp(app, recorder)
    return app


def shared_url_run(suite: Suite, origins: Origins) -> ApiRun:
    """The API above in the engine under test (started once per engine)."""
    return suite.serve(
        "shared-url", lambda recorder: ("aiohttp", shared_url_api(origins, recorder))
    )


def handlers(exchanges: list[Exchange]) -> list[str | None]:
    """Which handler answered each request that was not a preflight."""
    return [e.header(HANDLER_HEADER) for e in exchanges if e.method != "OPTIONS"]


def assert_the_stricter_route_refused(
    run: ApiRun, scenario: str, allowed: Outcome, refused: Outcome
) -> None:
    """The engine asked again before the second request (the first answer did not cover it),
    the strict policy refused that preflight (403), and the request never went out: only the
    application's handler ran. The page read the first answer and saw, for the second, the
    engine's CORS TypeError and, where the engine has a console we can hear, its error about
    a refused preflight."""
    exchanges = run.recorder.exchanges(scenario)
    assert [(e.method, e.status) for e in exchanges] == [
        ("OPTIONS", 204),
        ("PUT", 200),
        ("OPTIONS", 403),
    ], exchanges
    assert handlers(exchanges) == ["app"]
    assert (allowed.ok, allowed.status) == (True, 200), allowed.describe()
    assert not refused.ok, refused.describe()
    assert refused.error == run.engine.fetch_failure, refused.describe()
    console = PREFLIGHT_REFUSED.console(run.engine.family)
    if console is not None:
        assert any(console in line for line in refused.cors_errors), refused.console


@default_settings_only
def test_cached_preflight_does_not_open_a_stricter_routes_method(
    suite: Suite, origins: Origins
) -> None:
    run = shared_url_run(suite, origins)
    allowed = run.fetch("page", "/items/1", "shared-method", by_name=True, method="PUT")
    refused = run.fetch("page", "/items/1", "shared-method", by_name=True, method="DELETE")
    # The PUT answer did not list DELETE: the engine must ask again, and the strict policy
    # refuses.
    assert_the_stricter_route_refused(run, "shared-method", allowed, refused)


@default_settings_only
def test_cached_preflight_does_not_open_a_stricter_routes_headers(
    suite: Suite, origins: Origins
) -> None:
    run = shared_url_run(suite, origins)
    token = {REQUEST_HEADER: "1"}
    allowed = run.fetch(
        "page", "/form", "shared-headers", by_name=True, method="PUT", headers=token
    )
    refused = run.fetch(
        "page", "/form", "shared-headers", by_name=True, method="POST", headers=token
    )

    # POST is safelisted: only an x-token cached from the PUT answer would have let it go
    # without a preflight.
    assert_the_stricter_route_refused(run, "shared-headers", allowed, refused)


@default_settings_only
def test_engine_carries_a_cached_preflight_to_the_urls_other_methods(
    suite: Suite, origins: Origins
) -> None:
    """The control: on a URL with one policy, one PUT preflight's answer (all four methods,
    ``x-token``, ten minutes) lets the engine send DELETE with ``x-token`` and POST with
    ``x-token`` without asking -- what the tests above prove cannot happen across policies."""
    run = shared_url_run(suite, origins)
    token = {REQUEST_HEADER: "1"}
    outcomes = [
        run.fetch("page", "/solo/1", "control", by_name=True, method=method, headers=token)
        for method in ("PUT", "DELETE", "POST")
    ]

    assert all(outcome.ok for outcome in outcomes), [o.describe() for o in outcomes]
    assert run.recorder.methods("control") == ["OPTIONS", "PUT", "DELETE", "POST"]
