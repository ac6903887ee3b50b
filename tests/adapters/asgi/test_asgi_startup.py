"""A refused configuration stops a real server at startup; it never leaves one answering 500.

Starlette and FastAPI build ``add_middleware`` classes lazily, inside their first ASGI call
(the ``lifespan`` startup), where uvicorn's default ``--lifespan auto`` and Hypercorn take an
exception for "lifespan unsupported" and go on serving. These tests run the servers as
subprocesses on a loopback port, as ``uvicorn main:app`` would, and read their logs and exit
statuses.
"""

from __future__ import annotations

import http.client
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# FastAPI's documented CORS example, with only the import changed. Its http:// origins with
# credentials are refused: anyone on the network path could read the users' data.
FASTAPI_DOCS_EXAMPLE = """
from fastapi import FastAPI
from corecors_asgi import CORSMiddleware

app = FastAPI()

origins = [
    "http://localhost.tiangolo.com",
    "https://localhost.tiangolo.com",
    "http://localhost",
    "http://localhost:8080",
]

app.add_middleware(
    CORSMiddleware,
    allow_origins=origins,
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],{extra}
)


@app.get("/")
async def main():
    return {{"message": "Hello World"}}
"""

STARLETTE_REFUSED = """
from starlette.applications import Starlette
from starlette.middleware import Middleware
from corecors_asgi import CORSMiddleware

app = Starlette(
    middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)]
)
"""

APPS = {
    "fastapi-docs-example": FASTAPI_DOCS_EXAMPLE.format(extra=""),
    "starlette-wildcard-with-credentials": STARLETTE_REFUSED,
}
# What each refused application's log must name.
PROBLEMS = {
    "fastapi-docs-example": "'http://localhost.tiangolo.com' is an insecure origin",
    "starlette-wildcard-with-credentials": "allow_origins=['*'] with allow_credentials=True",
}

STARTUP_SECONDS = 60  # generous: the machine is shared; a healthy start takes about a second


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """A server subprocess whose combined output is read line by line as it comes."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        self.output_ended = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, *markers: str) -> str | None:
        """The first marker seen in the output, or None when the process ended first."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("no sign of the server:\n" + "".join(self.log))
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.output_ended = True
                return None
            self.log.append(line)
            for marker in markers:
                if marker in line:
                    return marker

    def exit_status(self) -> int:
        status = self.process.wait(timeout=STARTUP_SECONDS)
        while not self.output_ended:
            line = self.lines.get(timeout=STARTUP_SECONDS)
            if line is None:
                self.output_ended = True
            else:
                self.log.append(line)
        return status

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover - a wedged server
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[type[Server]]:
    started: list[Server] = []

    class Started(Server):
        def __init__(self, argv: list[str], cwd: Path) -> None:
            super().__init__(argv, cwd)
            started.append(self)

    yield Started
    for server in started:
        server.stop()


SERVERS = {
    # uvicorn's default: an exception in the lifespan is taken for "lifespan unsupported".
    "uvicorn": ["-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "{port}"],
    "uvicorn-lifespan-on": [
        "-m",
        "uvicorn",
        "main:app",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--lifespan",
        "on",
    ],
    # Hypercorn's default: one worker process under a supervisor.
    "hypercorn": ["-m", "hypercorn", "main:app", "--bind", "127.0.0.1:{port}"],
    # Serving in the main process, where Hypercorn reports the worker's failure as its exit
    # status (its supervisor loses a failed worker's status: see docs/asgi.md).
    "hypercorn-no-supervisor": [
        "-m",
        "hypercorn",
        "--workers",
        "0",
        "main:app",
        "--bind",
        "127.0.0.1:{port}",
    ],
}
SERVING = ("Application startup complete", "Running on http")


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("app", APPS)
def test_refused_configuration_stops_the_server_at_startup(
    tmp_path: Path, start: type[Server], server: str, app: str
) -> None:
    (tmp_path / "main.py").write_text(APPS[app], encoding="utf-8")
    port = free_port()
    argv = [sys.executable, *(part.format(port=port) for part in SERVERS[server])]
    process = start(argv, tmp_path)
    seen = process.wait_for(*SERVING)
    status = process.exit_status() if seen is None else None
    log = "".join(process.log)
    assert seen is None, f"the server started serving ({seen!r}):\n{log}"
    assert "invalid CORS policy (1 problem)" in log, log
    assert PROBLEMS[app] in log, log
    if server != "hypercorn":
        assert status != 0, log


def test_without_a_lifespan_every_request_is_refused_with_the_reason_logged(
    tmp_path: Path, start: type[Server]
) -> None:
    """uvicorn --lifespan off: no startup to fail, so each request gets a 500 and a log line."""
    (tmp_path / "main.py").write_text(APPS["fastapi-docs-example"], encoding="utf-8")
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "main:app", "--port", str(port), "--lifespan", "off"]
    process = start(argv, tmp_path)
    assert process.wait_for("Uvicorn running on") is not None, "".join(process.log)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/", headers={"Origin": "http://localhost:8080"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 500
    assert body == b"Internal Server Error"
    assert response.getheader("Access-Control-Allow-Origin") is None
    assert process.wait_for("'http://localhost.tiangolo.com' is an insecure origin") is not None


def test_following_the_advice_as_written_makes_the_docs_example_serve(
    tmp_path: Path, start: type[Server]
) -> None:
    """The refusal says "set dangerously_allow_insecure_origins=True": in the call, it works."""
    extra = "\n    dangerously_allow_insecure_origins=True,"
    (tmp_path / "main.py").write_text(FASTAPI_DOCS_EXAMPLE.format(extra=extra), encoding="utf-8")
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "main:app", "--port", str(port)]
    process = start(argv, tmp_path)
    assert process.wait_for("Uvicorn running on") is not None, "".join(process.log)

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "OPTIONS",
        "/",
        headers={
            "Origin": "http://localhost:8080",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    preflight = connection.getresponse()
    assert preflight.read() == b"OK"
    assert preflight.status == 200
    assert preflight.getheader("Access-Control-Allow-Origin") == "http://localhost:8080"
    assert preflight.getheader("Access-Control-Allow-Credentials") == "true"
    assert preflight.getheader("Access-Control-Allow-Headers") == "authorization, content-type"

    connection.request("GET", "/", headers={"Origin": "http://localhost:8080"})
    response = connection.getresponse()
    assert response.read() == b'{"message":"Hello World"}'
    assert response.getheader("Access-Control-Allow-Origin") == "http://localhost:8080"
    connection.close()
