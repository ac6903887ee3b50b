"""The browser engines the suite runs in, behind one small interface.

* **Chromium** (Debian's ``chromium``) through Playwright's sync API, with
  ``executable_path`` (Playwright never downloads a browser here);
* **Firefox ESR** (``firefox-esr``) through WebDriver BiDi, spoken directly over the
  browser's own websocket (:mod:`tests.browser.firefox`), no geckodriver;
* **WebKitGTK** (``WebKitWebDriver`` driving ``MiniBrowser`` under ``Xvfb``) through classic
  WebDriver over HTTP (:mod:`tests.browser.webkit`).

Each engine runs with its **default settings** -- what users get. The ``-strict`` variants
turn on the Fetch standard's rule that ``*`` in ``Access-Control-Allow-Headers`` never
covers ``Authorization``, which Chromium and Firefox apply only behind a flag or pref
(WebKit has no such setting and always lets ``*`` cover it).

A test sees an engine as a :class:`EngineBrowser`: it opens :class:`BrowserPage` groups (one
isolated profile/context each), and every page runs ``window.<function>(argument)`` from
``page.html`` and returns the JSON result. Console lines the engine reports (Chromium and
Firefox through their protocols; WebKitWebDriver offers no way to them) are kept in one
:class:`ConsoleLog` per browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright

Family = Literal["chromium", "firefox", "webkit"]

#: How long a browser may take to start (generous: other test runs share 2 cores).
STARTUP_TIMEOUT = 60.0
#: How long one navigation or one scenario batch may take.
PAGE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Engine:
    """One browser configuration the suite runs in."""

    name: str
    """The test id: ``chromium``, ``firefox``, ``webkit``, ``chromium-strict``, ..."""
    family: Family
    strict: bool = False
    """Whether ``*`` in ``Access-Control-Allow-Headers`` excludes ``Authorization`` (the
    Fetch standard's rule, off by default in Chromium and Firefox)."""

    @property
    def console_marker(self) -> str | None:
        """Text every one of this engine's CORS console errors contains."""
        return CORS_CONSOLE_MARKERS[self.family]

    @property
    def fetch_failure(self) -> str:
        """How ``fetch()`` rejects in this engine when CORS (or the network) fails it."""
        return FETCH_FAILURES[self.family]


CORS_CONSOLE_MARKERS: dict[Family, str | None] = {
    "chromium": "has been blocked by CORS policy",
    "firefox": "Cross-Origin Request Blocked",
    # WebKitWebDriver gives no access to the console; the page and the server still witness.
    "webkit": None,
}

#: The same TypeError in each engine's words (an abort or a timeout reads differently).
FETCH_FAILURES: dict[Family, str] = {
    "chromium": "TypeError: Failed to fetch",
    "firefox": "TypeError: NetworkError when attempting to fetch resource.",
    "webkit": "TypeError: Load failed",
}

ENGINES: tuple[Engine, ...] = (
    Engine("chromium", "chromium"),
    Engine("firefox", "firefox"),
    Engine("webkit", "webkit"),
    Engine("chromium-strict", "chromium", strict=True),
    Engine("firefox-strict", "firefox", strict=True),
)
#: The engines as users get them (a prefix of :data:`ENGINES`, so that tests limited to
#: them share the same browser processes).
DEFAULT_ENGINES = tuple(engine for engine in ENGINES if not engine.strict)
assert ENGINES[: len(DEFAULT_ENGINES)] == DEFAULT_ENGINES


def unavailable(reason: str) -> NoReturn:
    """Skip the browser tests for ``reason`` -- or fail them on CI, where they must run."""
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    print(f"skipping browser tests: {reason}")
    pytest.skip(reason)


def executable(variable: str, default: str, package: str) -> str:
    """The executable ``$variable`` names, else ``default``; skip (fail on CI) if missing."""
    configured = os.environ.get(variable)
    candidate = configured or default
    if os.access(candidate, os.X_OK):
        return candidate
    if not configured and (found := shutil.which(os.path.basename(default))):
        return found
    where = f"{variable}={configured} is not an executable" if configured else f"no {default}"
    unavailable(
        f"{where}: install Debian's {package} package (apt-get install {package}), "
        f"or set {variable} to the executable"
    )


class EngineError(RuntimeError):
    """The browser did not do what the harness asked (it crashed, hung or refused)."""


class ConsoleLog:
    """The console lines a browser reported, in order. Thread-safe."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()

    def add(self, line: str) -> None:
        with self._changed:
            self._lines.append(line)
            self._changed.notify_all()

    def lines(self) -> list[str]:
        with self._changed:
            return list(self._lines)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> bool:
        """Wait until a line satisfies ``predicate``; whether one did."""
        with self._changed:
            return self._changed.wait_for(
                lambda: any(predicate(line) for line in self._lines), timeout
            )


class BrowserPage(ABC):
    """One tab, on one origin at a time."""

    @abstractmethod
    def goto(self, url: str) -> None:
        """Navigate and wait for the load event."""

    @abstractmethod
    def call(self, function: str, argument: Any) -> Any:
        """``await window[function](argument)`` in the page; its JSON-serializable result."""


class EngineBrowser(ABC):
    """A running browser of one :class:`Engine`."""

    #: Whether pages under automation have an HTTP cache (WebKit's WebDriver sessions are
    #: ephemeral and have none).
    automation_has_http_cache = True

    def __init__(self, engine: Engine, console: ConsoleLog | None = None) -> None:
        self.engine = engine
        self.version = ""
        self.console = console if console is not None else ConsoleLog()

    def normal_session(self, url: str) -> contextlib.AbstractContextManager[None]:
        """While in the context, the engine shows ``url`` in a fresh session that is not
        under automation (for what automation changes, see :attr:`automation_has_http_cache`)."""
        raise NotImplementedError(f"{self.engine.name} runs everything under automation")

    @abstractmethod
    def open_pages(self, count: int) -> list[BrowserPage]:
        """``count`` tabs sharing a fresh, isolated cookie jar and cache."""

    def wait_for_console(self, predicate: Callable[[str], bool], timeout: float) -> bool:
        """Wait for a console line satisfying ``predicate`` (it may arrive after the
        promise settled); whether one came."""
        return self.console.wait_for(predicate, timeout)


# -- Chromium --------------------------------------------------------------------------------

#: Chromium's command line for the suite (and the demo's test); default settings.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: The switch for the Fetch standard's rule that ``*`` does not cover ``Authorization``.
CHROMIUM_STRICT_ARGS = ("--enable-features=CorsNonWildcardRequestHeadersSupport",)
#: Where Debian installs Chromium; ``CORECORS_CHROMIUM`` overrides it.
DEFAULT_CHROMIUM = "/usr/bin/chromium"


@contextlib.contextmanager
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's sync API, with a clear skip (or CI failure) when it is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a test dependency
        unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    manager = sync_playwright()
    playwright = manager.start()
    try:
        yield playwright
    finally:
        manager.__exit__(None, None, None)


@contextlib.contextmanager
def launch_chromium(playwright: Playwright, *, strict: bool = False) -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright (skip, or fail on CI, when missing)."""
    path = executable("CORECORS_CHROMIUM", DEFAULT_CHROMIUM, "chromium")
    arguments = [*CHROMIUM_ARGS, *(CHROMIUM_STRICT_ARGS if strict else ())]
    browser = playwright.chromium.launch(
        executable_path=path, args=arguments, timeout=STARTUP_TIMEOUT * 1000
    )
    try:
        yield browser
    finally:
        browser.close()


class _PlaywrightPage(BrowserPage):
    def __init__(self, page: Page) -> None:
        self.page = page

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def call(self, function: str, argument: Any) -> Any:
        return self.page.evaluate("([f, a]) => window[f](a)", [function, argument])


class ChromiumBrowser(EngineBrowser):
    def __init__(self, engine: Engine, browser: Browser) -> None:
        super().__init__(engine)
        self.browser = browser
        self.version = browser.version
        self._contexts: list[BrowserContext] = []
        self._pump: Page | None = None

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.add(message.text)

    def open_pages(self, count: int) -> list[BrowserPage]:
        context = self.browser.new_context()
        context.set_default_timeout(PAGE_TIMEOUT * 1000)
        self._contexts.append(context)
        pages: list[BrowserPage] = []
        for _ in range(count):
            page = context.new_page()
            page.on("console", self._on_console)
            self._pump = page
            pages.append(_PlaywrightPage(page))
        return pages

    def wait_for_console(self, predicate: Callable[[str], bool], timeout: float) -> bool:
        # Playwright's sync API delivers events only while it is called: keep calling it.
        deadline = time.monotonic() + timeout
        while not any(predicate(line) for line in self.console.lines()):
            if time.monotonic() > deadline or self._pump is None:
                return False
            self._pump.wait_for_timeout(20)
        return True

    def close(self) -> None:
        for context in self._contexts:
            with contextlib.suppress(Exception):
                context.close()


# -- launching any engine --------------------------------------------------------------------


@contextlib.contextmanager
def launch(engine: Engine, playwright: Callable[[], Playwright]) -> Iterator[EngineBrowser]:
    """Start ``engine`` (``playwright`` gives the shared Playwright when Chromium needs it)."""
    if engine.family == "chromium":
        with launch_chromium(playwright(), strict=engine.strict) as browser:
            chromium = ChromiumBrowser(engine, browser)
            try:
                yield chromium
            finally:
                chromium.close()
    elif engine.family == "firefox":
        from .firefox import launch_firefox

        with launch_firefox(engine) as firefox:
            yield firefox
    else:
        from .webkit import launch_webkit

        with launch_webkit(engine) as webkit:
            yield webkit
