"""WebKitGTK through ``WebKitWebDriver`` driving ``MiniBrowser`` under ``Xvfb``.

MiniBrowser has no headless mode, so it gets a private X server (``Xvfb -displayfd`` picks
a free display). ``WebKitWebDriver`` speaks classic WebDriver over HTTP; this client knows
the few commands the suite uses (new session, new window, switch window, navigate,
``execute/async``, delete session). Classic WebDriver has no access to the console, so
WebKit's refusals are witnessed by the page ("Load failed") and the server alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from .engines import (
    PAGE_TIMEOUT,
    STARTUP_TIMEOUT,
    BrowserPage,
    Engine,
    EngineBrowser,
    EngineError,
    executable,
)
from .processes import Process, free_port, running, wait_until

DEFAULT_DRIVER = "/usr/bin/WebKitWebDriver"
DEFAULT_MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
DEFAULT_XVFB = "/usr/bin/Xvfb"


class WebDriverClient:
    """Classic WebDriver over HTTP (standard library only)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = ""

    def request(
        self, method: str, path: str, body: Any = None, timeout: float = PAGE_TIMEOUT
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as error:
            raise EngineError(f"WebKitWebDriver {method} {path}: {error.read()!r}") from None
        except (OSError, ValueError) as error:
            raise EngineError(f"WebKitWebDriver {method} {path}: {error}") from None

    def command(self, method: str, path: str, body: Any = None) -> Any:
        """A command of the current session (``path`` after ``/session/<id>``)."""
        return self.request(method, f"/session/{self.session}{path}", body)


class WebKitPage(BrowserPage):
    def __init__(self, browser: WebKitBrowser, handle: str) -> None:
        self._browser = browser
        self._handle = handle

    def goto(self, url: str) -> None:
        self._browser.switch_to(self._handle)
        self._browser.client.command("POST", "/url", {"url": url})

    def call(self, function: str, argument: Any) -> Any:
        self._browser.switch_to(self._handle)
        script = (
            "const done = arguments[arguments.length - 1];"
            "window[arguments[0]](arguments[1]).then("
            "  result => done(JSON.stringify(result)),"
            "  error => done(JSON.stringify({harnessError: String(error)})));"
        )
        raw = self._browser.client.command(
            "POST", "/execute/async", {"script": script, "args": [function, argument]}
        )
        result = json.loads(raw)
        if isinstance(result, dict) and "harnessError" in result:
            raise EngineError(f"WebKit: {function} threw {result['harnessError']}")
        return result


class WebKitBrowser(EngineBrowser):
    automation_has_http_cache = False

    def __init__(
        self, engine: Engine, client: WebDriverClient, minibrowser: str, environment: dict[str, str]
    ) -> None:
        super().__init__(engine)
        self.client = client
        self._minibrowser = minibrowser
        self._environment = environment
        self._current: str | None = None
        self._unused: list[str] = []  # windows open but not handed out yet

    def adopt_windows(self) -> None:
        """Hand out the window(s) the session started with before opening new ones."""
        self._unused.extend(self.client.command("GET", "/window/handles"))

    def switch_to(self, handle: str) -> None:
        if handle != self._current:
            self.client.command("POST", "/window", {"handle": handle})
            self._current = handle

    @contextlib.contextmanager
    def normal_session(self, url: str) -> Iterator[None]:
        """A MiniBrowser of its own (not under automation: it has an HTTP cache) showing
        ``url``, in a fresh ``HOME`` (a cold cache, no cookies)."""
        with tempfile.TemporaryDirectory(prefix="corecors-webkit-normal-") as home:
            environment = {**self._environment, **_home_variables(home)}
            with running(Process([self._minibrowser, url], env=environment)):
                yield

    def open_pages(self, count: int) -> list[BrowserPage]:
        # One WebDriver session is one ephemeral profile; windows of it share cookies and
        # caches. Isolation between groups comes from their different API origins.
        pages: list[BrowserPage] = []
        for _ in range(count):
            if self._unused:
                handle = self._unused.pop()
            else:
                handle = self.client.command("POST", "/window/new", {"type": "tab"})["handle"]
            pages.append(WebKitPage(self, handle))
        return pages


def _home_variables(home: str) -> dict[str, str]:
    """A throw-away home: MiniBrowser keeps its cache, cookies and settings there."""
    return {
        "HOME": home,
        "XDG_CACHE_HOME": os.path.join(home, "cache"),
        "XDG_DATA_HOME": os.path.join(home, "data"),
        "XDG_CONFIG_HOME": os.path.join(home, "config"),
    }


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """A private X server; yields its ``DISPLAY``."""
    path = executable("CORECORS_XVFB", DEFAULT_XVFB, "xvfb")
    read_end, write_end = os.pipe()
    try:
        process = Process(
            [path, "-displayfd", str(write_end), "-nolisten", "tcp"],
            pass_fds=(write_end,),
        )
    finally:
        os.close(write_end)
    try:
        number = b""
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], STARTUP_TIMEOUT)
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                raise EngineError(f"Xvfb did not start: {process.describe()}")
            number += chunk
        yield ":" + number.decode().strip()
    finally:
        os.close(read_end)
        process.stop()


def _start_driver(driver: str, environment: dict[str, str], browser: WebKitBrowser) -> Process:
    """Start WebKitWebDriver on a free port (retrying if another process took the port)."""
    failures: list[str] = []
    for _ in range(3):
        port = free_port()

        process = Process([driver, f"--port={port}", "--host=127.0.0.1"], env=environment)
        browser.client.base = f"http://127.0.0.1:{port}"

        def ready(process: Process = process) -> bool:
            if not process.running:
                return True
            with contextlib.suppress(EngineError):
                return bool(browser.client.request("GET", "/status", timeout=2).get("ready"))
            return False

        if wait_until(ready, STARTUP_TIMEOUT) and process.running:
            return process
        failures.append(process.describe())
        process.stop()
    raise EngineError("WebKitWebDriver did not start:\n" + "\n".join(failures))


def _new_session(client: WebDriverClient, capabilities: dict[str, Any]) -> Any:
    """Start MiniBrowser; once more if the first one did not come up (a loaded machine)."""
    body = {"capabilities": {"alwaysMatch": capabilities}}
    try:
        return client.request("POST", "/session", body, timeout=STARTUP_TIMEOUT)
    except EngineError:
        return client.request("POST", "/session", body, timeout=STARTUP_TIMEOUT)


@contextlib.contextmanager
def launch_webkit(engine: Engine) -> Iterator[WebKitBrowser]:
    """MiniBrowser under WebKitWebDriver and Xvfb, in a temporary ``HOME``."""
    driver = executable("CORECORS_WEBKITWEBDRIVER", DEFAULT_DRIVER, "webkit2gtk-driver")
    minibrowser = executable("CORECORS_MINIBROWSER", DEFAULT_MINIBROWSER, "webkit2gtk-driver")
    with xvfb() as display, tempfile.TemporaryDirectory(prefix="corecors-webkit-") as home:
        environment = {
            **os.environ,
            **_home_variables(home),
            "DISPLAY": display,
            "NO_AT_BRIDGE": "1",  # no accessibility bus to wait for
        }
        browser = WebKitBrowser(engine, WebDriverClient(""), minibrowser, environment)
        process = _start_driver(driver, environment, browser)
        try:
            capabilities = {
                "browserName": "MiniBrowser",
                "webkitgtk:browserOptions": {
                    "binary": minibrowser,
                    "args": ["--automation"],
                },
            }
            created = _new_session(browser.client, capabilities)
            browser.client.session = created["sessionId"]
            browser.version = str(created["capabilities"].get("browserVersion", ""))
            browser.client.command(
                "POST",
                "/timeouts",
                {"script": PAGE_TIMEOUT * 1000, "pageLoad": PAGE_TIMEOUT * 1000},
            )
            browser.adopt_windows()
            try:
                yield browser
            finally:
                with contextlib.suppress(EngineError):
                    browser.client.request("DELETE", f"/session/{browser.client.session}")
        finally:
            process.stop()
