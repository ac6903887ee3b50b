"""Firefox ESR through WebDriver BiDi, spoken over the browser's own websocket.

Firefox started with ``--remote-debugging-port=0`` prints ``WebDriver BiDi listening on
ws://127.0.0.1:N``; ``ws://127.0.0.1:N/session`` then takes BiDi commands directly, so no
geckodriver is needed. This client knows the few commands the suite uses: ``session.new``,
``session.subscribe`` (``log.entryAdded`` carries the console's "Cross-Origin Request
Blocked" lines), ``browser.createUserContext``, ``browsingContext.create`` / ``navigate``,
``script.evaluate`` and ``browser.close``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from websockets.sync.client import connect

from .engines import (
    PAGE_TIMEOUT,
    STARTUP_TIMEOUT,
    BrowserPage,
    ConsoleLog,
    Engine,
    EngineBrowser,
    EngineError,
    executable,
)
from .processes import Process, wait_until

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

DEFAULT_FIREFOX = "/usr/bin/firefox-esr"
LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")

#: Preferences of the throw-away profile: quiet and offline-friendly, CORS untouched.
#: (Firefox's remote agent adds its own recommended automation preferences.)
PREFERENCES: dict[str, object] = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
}
#: The pref behind the Fetch standard's "``*`` does not cover Authorization" rule.
STRICT_PREFERENCES: dict[str, object] = {
    "network.cors_preflight.authorization_covered_by_wildcard": False,
}


class BiDiConnection:
    """Commands and events over one websocket; a thread reads every message."""

    def __init__(self, websocket: ClientConnection, console: ConsoleLog) -> None:
        self._socket = websocket
        self._console = console
        self._lock = threading.Lock()
        self._next_id = 0
        self._waiting: dict[int, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._closed: str | None = None
        self._reader = threading.Thread(target=self._read, name="firefox-bidi", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for raw in self._socket:
                message = json.loads(raw)
                if message.get("type") == "event":
                    if message.get("method") == "log.entryAdded":
                        self._console.add(str(message["params"].get("text", "")))
                    continue
                with self._lock:
                    slot = self._waiting.pop(message.get("id", -1), None)
                if slot is not None:
                    slot[1].append(message)
                    slot[0].set()
        except Exception as error:  # the connection ended; every waiter learns why
            self._closed = f"{type(error).__name__}: {error}"
        else:
            self._closed = "the connection was closed"
        with self._lock:
            waiting = list(self._waiting.values())
            self._waiting.clear()
        for event, _ in waiting:
            event.set()

    def command(self, method: str, params: dict[str, Any], timeout: float = PAGE_TIMEOUT) -> Any:
        """Send one command and return its result (raise :class:`EngineError` on an error)."""
        done = threading.Event()
        answer: list[dict[str, Any]] = []
        with self._lock:
            if self._closed is not None:
                raise EngineError(f"Firefox BiDi {method}: {self._closed}")
            self._next_id += 1
            number = self._next_id
            self._waiting[number] = (done, answer)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        if not done.wait(timeout):
            with self._lock:
                self._waiting.pop(number, None)
            raise EngineError(f"Firefox BiDi {method}: no answer in {timeout:.0f} s")
        if not answer:
            raise EngineError(f"Firefox BiDi {method}: {self._closed}")
        message = answer[0]
        if message.get("type") != "success":
            raise EngineError(
                f"Firefox BiDi {method}: {message.get('error')}: {message.get('message')}"
            )
        return message["result"]

    def join(self) -> None:
        """Wait for the reader once the websocket is closed."""
        self._reader.join(PAGE_TIMEOUT)


class FirefoxPage(BrowserPage):
    def __init__(self, connection: BiDiConnection, context: str) -> None:
        self._connection = connection
        self._context = context

    def goto(self, url: str) -> None:
        self._connection.command(
            "browsingContext.navigate", {"context": self._context, "url": url, "wait": "complete"}
        )

    def call(self, function: str, argument: Any) -> Any:
        # The result comes back as one JSON string: BiDi's own value encoding is not needed.
        expression = (
            f"window[{json.dumps(function)}]({json.dumps(argument)})"
            ".then(result => JSON.stringify(result))"
        )
        result = self._connection.command(
            "script.evaluate",
            {
                "expression": expression,
                "target": {"context": self._context},
                "awaitPromise": True,
                "resultOwnership": "none",
            },
        )
        if result.get("type") != "success":
            details = result.get("exceptionDetails", {})
            raise EngineError(f"Firefox: {function} threw {details.get('text')}")
        return json.loads(result["result"]["value"])


class FirefoxBrowser(EngineBrowser):
    def __init__(
        self, engine: Engine, connection: BiDiConnection, version: str, console: ConsoleLog
    ) -> None:
        super().__init__(engine, console)
        self.connection = connection
        self.version = version

    def open_pages(self, count: int) -> list[BrowserPage]:
        user_context = self.connection.command("browser.createUserContext", {})["userContext"]
        pages: list[BrowserPage] = []
        for _ in range(count):
            created = self.connection.command(
                "browsingContext.create", {"type": "tab", "userContext": user_context}
            )
            pages.append(FirefoxPage(self.connection, created["context"]))
        return pages


def _user_js(preferences: dict[str, object]) -> str:
    return "".join(
        f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in preferences.items()
    )


def _start(path: str, profile: str) -> tuple[Process, str]:
    """Start Firefox on ``profile``; its BiDi websocket address. A second attempt if the
    first did not come up (a loaded machine)."""
    failures: list[str] = []
    for _ in range(2):
        endpoint: list[str] = []

        def on_line(line: str, endpoint: list[str] = endpoint) -> None:
            if not endpoint and (match := LISTENING.search(line)):
                endpoint.append(match.group(1))

        process = Process(
            [
                *(path, "--headless", "--no-remote", "--profile", profile),
                *("--remote-debugging-port=0", "about:blank"),
            ],
            env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_HEADLESS": "1"},
            on_line=on_line,
        )

        def settled(process: Process = process, endpoint: list[str] = endpoint) -> bool:
            return bool(endpoint) or not process.running

        wait_until(settled, STARTUP_TIMEOUT)
        if endpoint and process.running:
            return process, endpoint[0]
        failures.append(process.describe())
        process.stop()
    raise EngineError("Firefox did not start its BiDi server:\n" + "\n".join(failures))


@contextlib.contextmanager
def launch_firefox(engine: Engine) -> Iterator[FirefoxBrowser]:
    """Headless Firefox ESR on a fresh profile, connected over BiDi."""
    path = executable("CORECORS_FIREFOX", DEFAULT_FIREFOX, "firefox-esr")
    with tempfile.TemporaryDirectory(prefix="corecors-firefox-") as profile:
        preferences = {**PREFERENCES, **(STRICT_PREFERENCES if engine.strict else {})}
        with open(os.path.join(profile, "user.js"), "w", encoding="utf-8") as user_js:
            user_js.write(_user_js(preferences))
        process, endpoint = _start(path, profile)
        try:
            console = ConsoleLog()
            with connect(
                endpoint + "/session", max_size=None, open_timeout=STARTUP_TIMEOUT
            ) as websocket:
                connection = BiDiConnection(websocket, console)
                try:
                    session = connection.command("session.new", {"capabilities": {}})
                    connection.command("session.subscribe", {"events": ["log.entryAdded"]})
                    version = session["capabilities"]["browserVersion"]
                    yield FirefoxBrowser(engine, connection, version, console)
                finally:
                    with contextlib.suppress(EngineError):
                        connection.command("browser.close", {}, timeout=10)
            connection.join()
            process.wait_exit(10)
        finally:
            process.stop()
