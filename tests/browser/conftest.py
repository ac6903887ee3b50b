"""Fixtures of the browser suite: one Chromium, three page origins, and one run of every
scenario per adapter (shared by all tests of that adapter, so each origin's page loads once).

The suite uses Playwright's *sync* API; servers run in threads of their own. Tests are plain
functions (pytest-asyncio's auto mode leaves them alone), so no event loop is running when
Playwright drives the browser.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from .apps import ADAPTERS, build_api, suite_policy
from .harness import (
    BLOCKED_BY_CORS,
    Outcome,
    Recorder,
    aiohttp_server,
    launch_chromium,
    page_server,
    uvicorn_server,
)
from .scenarios import SCENARIOS, Origin, Scenario, url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

#: How long to wait for Chromium's console error after a fetch was refused.
CONSOLE_TIMEOUT = 10.0
#: Playwright's timeout for navigations and other waits, in milliseconds.
PAGE_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Origins:
    """The three origins the page is served from."""

    page: str
    other: str
    foreign: str

    def of(self, origin: Origin) -> str:
        return {"page": self.page, "other": self.other, "foreign": self.foreign}[origin]


class AdapterRun:
    """One adapter's API server, one browser context with a page per origin, and the
    outcome of every scenario (run once, in order, when the run is created)."""

    def __init__(
        self, browser: Browser, origins: Origins, adapter: str, stack: contextlib.ExitStack
    ) -> None:
        self.adapter = adapter
        self.origins = origins
        self.recorder = Recorder()
        server, app = build_api(adapter, suite_policy(origins.page, origins.other), self.recorder)
        serve = aiohttp_server if server == "aiohttp" else uvicorn_server
        self.api = f"http://127.0.0.1:{stack.enter_context(serve(app))}"

        context = browser.new_context()
        stack.callback(context.close)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        self.console: list[str] = []
        self.pages: dict[Origin, Page] = {}
        origin: Origin
        for origin in ("page", "other", "foreign"):
            page = context.new_page()
            page.on("console", self._on_console)
            self.pages[origin] = page
        # The cookie first, the way a site sets one: the user visits the API itself.
        self.pages["page"].goto(self.api + "/api/set-cookie")
        for origin, page in self.pages.items():
            page.goto(origins.of(origin) + "/")
        self.outcomes = self._run_scenarios(SCENARIOS)

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append(message.text)

    def _run_scenarios(self, scenarios: Sequence[Scenario]) -> dict[str, Outcome]:
        outcomes: dict[str, Outcome] = {}
        runners: dict[Origin, Page] = {**self.pages, "sandboxed": self.pages["page"]}
        for origin, page in runners.items():
            mine = [scenario for scenario in scenarios if scenario.origin == origin]
            specs = [scenario.spec(self.api) for scenario in mine]
            results = page.evaluate("specs => window.runAll(specs)", specs)
            for scenario, result in zip(mine, results, strict=True):
                outcomes[scenario.name] = self._outcome(result)
        return outcomes

    def fetch(self, origin: Origin, path: str, scenario: str, **spec: Any) -> Outcome:
        """Run one more ``fetch()`` from ``origin``'s page (``spec``: runScenario's keys)."""
        spec["url"] = url(self.api, path, scenario)
        return self._outcome(self.pages[origin].evaluate("spec => window.runScenario(spec)", spec))

    def socket(self, origin: Origin, path: str, scenario: str) -> Outcome:
        """Open a WebSocket to the API from ``origin``'s page; ``body`` is its first message."""
        target = "ws" + url(self.api, path, scenario).removeprefix("http")
        result = self.pages[origin].evaluate("url => window.openSocket(url)", target)
        result["body"] = result.pop("message", None)
        return self._outcome(result, console="WebSocket connection to")

    def _outcome(self, result: dict[str, Any], console: str = BLOCKED_BY_CORS) -> Outcome:
        """``result`` from the page, with Chromium's console lines about its URL (waiting
        for a line containing ``console`` when the request failed)."""
        target = result["url"]
        mentions = f"'{target}'"
        if not result["ok"]:
            # Chromium logs the error about when the promise rejects; give it time to arrive.
            deadline = time.monotonic() + CONSOLE_TIMEOUT
            page = self.pages["page"]
            while not any(mentions in line and console in line for line in self.console):
                if time.monotonic() > deadline:
                    break
                page.wait_for_timeout(20)
        return Outcome(
            url=target,
            ok=result["ok"],
            status=result.get("status"),
            body=result.get("body"),
            headers=result.get("headers") or {},
            error=result.get("error"),
            console=[line for line in self.console if mentions in line],
        )


class Suite:
    """Starts each adapter's run the first time a test asks for it."""

    def __init__(self, browser: Browser, origins: Origins, stack: contextlib.ExitStack) -> None:
        self._browser = browser
        self._origins = origins
        self._stack = stack
        self._runs: dict[str, AdapterRun] = {}
        self._failures: dict[str, str] = {}

    def run(self, adapter: str) -> AdapterRun:
        if adapter in self._failures:  # fail fast: never repeat a whole failed run
            pytest.fail(f"the {adapter} run failed earlier: {self._failures[adapter]}")
        if adapter not in self._runs:
            try:
                run = AdapterRun(self._browser, self._origins, adapter, self._stack)
            except Exception as error:
                self._failures[adapter] = f"{type(error).__name__}: {error}"
                raise
            self._runs[adapter] = run
        return self._runs[adapter]


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


@pytest.fixture(scope="package")
def origins() -> Iterator[Origins]:
    with page_server() as page, page_server() as other, page_server() as foreign:
        yield Origins(
            page=f"http://127.0.0.1:{page}",
            other=f"http://127.0.0.1:{other}",
            foreign=f"http://localhost:{foreign}",
        )


@pytest.fixture(scope="package")
def suite(chromium: Browser, origins: Origins) -> Iterator[Suite]:
    with contextlib.ExitStack() as stack:
        yield Suite(chromium, origins, stack)


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name
