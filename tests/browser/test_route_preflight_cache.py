"""Per-route policies on one URL against Chromium's preflight cache (issue 12, item 3).

Chromium caches a preflight's answer for the URL: every method it lists, and the allowed
request headers for any method. If the answer to a PUT preflight listed DELETE (allowed by
the application's policy) while the DELETE route has a stricter policy of its own, Chromium
would later send DELETE without asking, and the stricter route's handler would run. Here a
page asks for the permitted request first, then for the one only the stricter route decides,
and the server's record shows that Chromium asked again and that the handler never ran.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from corecors import CORSPolicy

from .conftest import PAGE_TIMEOUT_MS, Origins
from .harness import Recorder, aiohttp_server, record_aiohttp
from .scenarios import url

if TYPE_CHECKING:
    from aiohttp import web
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def shared_url_api(origins: Origins, recorder: Recorder, strict_calls: list[str]) -> Any:
    """``/items/{id}`` and ``/form``: the application's policy lets the page's origin use
    GET, POST, PUT and DELETE with ``x-token`` (answers cached for ten minutes); DELETE on
    ``/items/{id}`` and POST on ``/form`` have a policy of their own that admits only the
    other origin, without request headers."""
    from aiohttp import web

    import corecors_aiohttp

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    strict = CORSPolicy(allow_origins=[origins.other], allow_methods=["DELETE", "POST"])

    @corecors_aiohttp.route_policy(strict)
    async def strict_handler(request: web.Request) -> web.Response:
        strict_calls.append(f"{request.method} {request.path}")
        return web.Response(text="strict")

    app = web.Application()
    app.router.add_get("/items/{id}", ok)
    app.router.add_put("/items/{id}", ok)
    app.router.add_delete("/items/{id}", strict_handler)
    app.router.add_put("/form", ok)
    app.router.add_post("/form", strict_handler)
    policy = CORSPolicy(
        allow_origins=[origins.page, origins.other],
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["x-token"],
        max_age=600,
    )
    corecors_aiohttp.setup(app, policy)
    record_aiohttp(app, recorder)
    return app


@pytest.fixture
def api(origins: Origins) -> Iterator[tuple[str, Recorder, list[str]]]:
    recorder = Recorder()
    strict_calls: list[str] = []
    with aiohttp_server(shared_url_api(origins, recorder, strict_calls)) as port:
        yield f"http://127.0.0.1:{port}", recorder, strict_calls


@pytest.fixture
def page(chromium: Browser, origins: Origins) -> Iterator[Page]:
    context = chromium.new_context()
    with contextlib.closing(context):
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        page = context.new_page()
        page.goto(origins.page + "/")
        yield page


def fetch(page: Page, target: str, method: str, headers: dict[str, str] | None = None) -> Any:
    spec = {"url": target, "method": method, "headers": headers or {}}
    return page.evaluate("spec => window.runScenario(spec)", spec)


def test_cached_preflight_does_not_open_a_stricter_routes_method(
    page: Page, api: tuple[str, Recorder, list[str]]
) -> None:
    base, recorder, strict_calls = api
    target = url(base, "/items/1", "shared-method")
    assert fetch(page, target, "PUT")["ok"]
    refused = fetch(page, target, "DELETE")
    assert not refused["ok"]
    # Chromium asked before the DELETE (the PUT answer did not list it), was refused, and
    # never sent it: the stricter route's handler did not run.
    assert recorder.methods("shared-method") == ["OPTIONS", "PUT", "OPTIONS"]
    assert strict_calls == []


def test_cached_preflight_does_not_open_a_stricter_routes_headers(
    page: Page, api: tuple[str, Recorder, list[str]]
) -> None:
    base, recorder, strict_calls = api
    target = url(base, "/form", "shared-headers")
    assert fetch(page, target, "PUT", {"x-token": "1"})["ok"]
    refused = fetch(page, target, "POST", {"x-token": "1"})
    assert not refused["ok"]
    # POST is safelisted: only a cached x-token would have let it go without a preflight.
    assert recorder.methods("shared-headers") == ["OPTIONS", "PUT", "OPTIONS"]
    assert strict_calls == []
