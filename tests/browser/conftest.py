"""Fixtures of the browser suite: each engine in turn, three page origins, and one run of
every scenario per adapter and engine (shared by all tests of that adapter in that engine,
so each origin's page loads once).

Engines are driven synchronously (Playwright's sync API, a BiDi client on
``websockets.sync``, WebDriver over ``urllib``); servers run in threads of their own. Tests
are plain functions (pytest-asyncio's auto mode leaves them alone), so no event loop is
running when a browser is driven.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import pytest

from .apps import ADAPTERS, build_api, suite_policy
from .engines import (
    DEFAULT_ENGINES,
    ENGINES,
    BrowserPage,
    Engine,
    EngineBrowser,
    Family,
    launch,
    launch_chromium,
    playwright_driver,
)
from .harness import (
    Outcome,
    Recorder,
    Reports,
    aiohttp_server,
    mentions,
    page_server,
    uvicorn_server,
)
from .scenarios import SCENARIOS, Origin, Scenario, url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

#: How long a plan run outside automation may take to report back.
PLAN_TIMEOUT = 60.0
#: How long to wait for the engine's console error after a fetch was refused.
CONSOLE_TIMEOUT = 10.0
#: What each engine's console says when a WebSocket handshake is answered 403 (WebKit's
#: console is out of WebDriver's reach).
WEBSOCKET_REFUSED: dict[Family, str | None] = {
    "chromium": "Unexpected response code: 403",
    "firefox": "can\u2019t establish a connection to the server at",
    "webkit": None,
}


@dataclass(frozen=True)
class Origins:
    """The three origins the page is served from."""

    page: str
    other: str
    foreign: str
    reports: Reports
    """What pages of the ``page`` origin posted back to it."""

    def of(self, origin: Origin) -> str:
        return {"page": self.page, "other": self.other, "foreign": self.foreign}[origin]


class ApiRun:
    """One API server under test and one isolated group of pages (one per origin) in the
    engine under test: ``fetch``, ``plan`` and ``socket`` run requests from those pages and
    return what each page observed, with the engine's console lines about it."""

    def __init__(
        self,
        browser: EngineBrowser,
        origins: Origins,
        name: str,
        served: tuple[str, Any],
        recorder: Recorder,
        stack: contextlib.ExitStack,
        *,
        visit_first: str | None = None,
    ) -> None:
        """``served``: ``(server, application)`` as :func:`build_api` returns them; the
        application records into ``recorder``; ``name`` keeps plans of runs apart;
        ``visit_first``: a path of the API the ``page`` tab visits before its origin (the
        way a site sets a cookie: the user visits it)."""
        self.name = name
        self.engine = browser.engine
        self.browser = browser
        self.origins = origins
        self.recorder = recorder
        server, app = served
        serve = aiohttp_server if server == "aiohttp" else uvicorn_server
        port = stack.enter_context(serve(app))
        self.api = f"http://127.0.0.1:{port}"
        #: The same API by name. Firefox forgets a cached preflight to an IP-literal host
        #: (its DNS check drops the entry up to three times), so preflight-cache tests use
        #: this one.
        self.api_by_name = f"http://localhost:{port}"

        origin: Origin
        self.pages: dict[Origin, BrowserPage] = dict(
            zip(("page", "other", "foreign"), browser.open_pages(3), strict=True)
        )
        if visit_first is not None:
            self.pages["page"].goto(self.api + visit_first)
        for origin, page in self.pages.items():
            page.goto(origins.of(origin) + "/")

    def fetch(
        self, origin: Origin, path: str, scenario: str, *, by_name: bool = False, **spec: Any
    ) -> Outcome:
        """Run one more ``fetch()`` from ``origin``'s page (``spec``: runScenario's keys);
        ``by_name``: address the API as ``localhost`` (see :attr:`api_by_name`)."""
        spec["url"] = url(self.api_by_name if by_name else self.api, path, scenario)
        return self._outcome(self.pages[origin].call("runScenario", spec))

    def plan(
        self, scenario: str, steps: Sequence[tuple[Literal["page", "other"], str]]
    ) -> list[Outcome]:
        """``fetch()`` each ``(origin, path)`` in turn from one top-level page of the
        ``page`` origin (the ``other`` origin's steps from a frame of it: same site, so the
        same HTTP-cache partition), in a session that has an HTTP cache.

        Chromium and Firefox keep their HTTP cache under automation, so their page runs the
        plan; WebKit has none under WebDriver, so a MiniBrowser *not* under automation opens
        the page with the plan, and the page posts the results back to its own origin.
        """
        frames = {"page": None, "other": self.origins.other}
        key = f"{self.name}-{scenario}"
        plan = {
            "id": key,
            "steps": [
                {"frame": frames[origin], "spec": {"url": url(self.api, path, scenario)}}
                for origin, path in steps
            ],
        }
        if self.browser.automation_has_http_cache:
            results = self.pages["page"].call("runPlan", plan)
        else:
            address = f"{self.origins.page}/?plan={quote(json.dumps(plan))}"
            with self.browser.normal_session(address):
                results = self.origins.reports.wait(key, PLAN_TIMEOUT)
        return [self._outcome(result) for result in results]

    def socket(self, origin: Origin, path: str, scenario: str) -> Outcome:
        """Open a WebSocket to the API from ``origin``'s page; ``body`` is its first message."""
        target = "ws" + url(self.api, path, scenario).removeprefix("http")
        result = self.pages[origin].call("openSocket", target)
        result["body"] = result.pop("message", None)
        return self._outcome(result, wait_for=WEBSOCKET_REFUSED[self.engine.family])

    def _outcome(self, result: dict[str, Any], wait_for: str | None = None) -> Outcome:
        """``result`` from the page, with the engine's console lines about its URL. For a
        failed request, first wait a little for the engine's console error about it
        (containing ``wait_for``, by default the engine's CORS marker): engines log it about
        when the promise rejects, sometimes just after."""
        target = result["url"]
        marker = self.engine.console_marker
        expected = wait_for or marker
        if not result["ok"] and expected is not None:
            self.browser.wait_for_console(
                lambda line: expected in line and mentions(line, target), CONSOLE_TIMEOUT
            )
        return Outcome(
            url=target,
            ok=result["ok"],
            status=result.get("status"),
            body=result.get("body"),
            headers=result.get("headers") or {},
            error=result.get("error"),
            console=[line for line in self.browser.console.lines() if mentions(line, target)],
            marker=marker,
        )


class AdapterRun(ApiRun):
    """One adapter's API (:func:`build_api` under the suite's policy) and the outcome of
    every scenario (run once, in order, when the run is created)."""

    def __init__(
        self, browser: EngineBrowser, origins: Origins, adapter: str, stack: contextlib.ExitStack
    ) -> None:
        self.adapter = adapter
        recorder = Recorder()
        served = build_api(adapter, suite_policy(origins.page, origins.other), recorder)
        super().__init__(
            browser, origins, adapter, served, recorder, stack, visit_first="/api/set-cookie"
        )
        self.outcomes = self._run_scenarios(SCENARIOS)

    def _run_scenarios(self, scenarios: Sequence[Scenario]) -> dict[str, Outcome]:
        outcomes: dict[str, Outcome] = {}
        runners: dict[Origin, BrowserPage] = {**self.pages, "sandboxed": self.pages["page"]}
        for origin, page in runners.items():
            mine = [scenario for scenario in scenarios if scenario.origin == origin]
            specs = [scenario.spec(self.api) for scenario in mine]
            results = page.call("runAll", specs)
            for scenario, result in zip(mine, results, strict=True):
                outcomes[scenario.name] = self._outcome(result)
        return outcomes


class Suite:
    """Starts each adapter's run (and each API of a test's own) the first time a test asks
    for it; it lasts as long as the engine."""

    def __init__(
        self, browser: EngineBrowser, origins: Origins, stack: contextlib.ExitStack
    ) -> None:
        self.engine = browser.engine
        self._browser = browser
        self._origins = origins
        self._stack = stack
        self._runs: dict[str, ApiRun] = {}
        self._failures: dict[str, str] = {}

    def run(self, adapter: str) -> AdapterRun:
        """``adapter``'s run of the suite's API, every scenario done."""
        run = self._once(
            adapter, lambda: AdapterRun(self._browser, self._origins, adapter, self._stack)
        )
        assert isinstance(run, AdapterRun)
        return run

    def serve(self, name: str, build: Callable[[Recorder], tuple[str, Any]]) -> ApiRun:
        """A run of a test's own API: ``build(recorder)`` gives ``(server, application)``
        (``"aiohttp"`` or ``"uvicorn"``), its application recording into ``recorder``."""
        if name in ADAPTERS:
            raise ValueError(f"{name!r} names an adapter's run: choose another name")

        def start() -> ApiRun:
            recorder = Recorder()
            return ApiRun(
                self._browser, self._origins, name, build(recorder), recorder, self._stack
            )

        return self._once(name, start)

    def _once(self, name: str, start: Callable[[], ApiRun]) -> ApiRun:
        if name in self._failures:  # fail fast: never repeat a whole failed run
            pytest.fail(f"the {name} run failed earlier: {self._failures[name]}")
        if name not in self._runs:
            try:
                self._runs[name] = start()
            except Exception as error:
                self._failures[name] = f"{type(error).__name__}: {error}"
                raise
        return self._runs[name]


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync driver, shared by every Chromium the package starts."""
    with playwright_driver() as driver:
        yield driver


@pytest.fixture(scope="package")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with its default settings, as Playwright's own ``Browser`` (the demo's test
    uses Playwright's screenshots and selectors)."""
    with launch_chromium(playwright) as browser:
        yield browser


def _engine_id(engine: Engine) -> str:
    return engine.name


@pytest.fixture(scope="package", params=ENGINES, ids=_engine_id)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn: a test using it (or ``suite``, ``browser``) runs in all of them."""
    chosen: Engine = request.param
    return chosen


#: For a test whose subject the ``-strict`` settings cannot change: run it in the engines'
#: default settings only.
default_settings_only = pytest.mark.parametrize(
    "engine", DEFAULT_ENGINES, indirect=True, ids=_engine_id, scope="package"
)


@pytest.fixture(scope="package")
def browser(engine: Engine, request: pytest.FixtureRequest) -> Iterator[EngineBrowser]:
    """The engine under test, started once for the package (and stopped, profile removed)."""

    def shared_playwright() -> Playwright:
        driver: Playwright = request.getfixturevalue("playwright")
        return driver

    with launch(engine, shared_playwright) as started:
        yield started


@pytest.fixture(scope="package")
def origins() -> Iterator[Origins]:
    with page_server() as page, page_server() as other, page_server() as foreign:
        yield Origins(
            page=f"http://127.0.0.1:{page.port}",
            other=f"http://127.0.0.1:{other.port}",
            foreign=f"http://localhost:{foreign.port}",
            reports=page.reports,
        )


@pytest.fixture(scope="package")
def suite(browser: EngineBrowser, origins: Origins) -> Iterator[Suite]:
    with contextlib.ExitStack() as stack:
        yield Suite(browser, origins, stack)


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
