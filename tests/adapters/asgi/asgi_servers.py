"""Real ASGI servers on loopback for the adapter's tests, and a raw HTTP/1.1 client.

* :func:`uvicorn_server`: uvicorn with its httptools parser (it lowercases header names and
  puts ``root_path`` in front of ``path``).
* :func:`hypercorn_server`: Hypercorn with ``h11_pass_raw_headers`` (header names keep the
  case the client wrote; ``path`` does not include ``root_path``).
* :func:`exchange`: one request written byte for byte (repeated lines, any case), and the
  status line and header lines of the answer.

Each server runs in a thread on a kernel-chosen port and is stopped when the block ends.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import uvicorn
from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig

from corecors_asgi import AnyASGIApp

START_TIMEOUT = 10.0


@contextmanager
def uvicorn_server(app: AnyASGIApp, **options: Any) -> Iterator[int]:
    """uvicorn (httptools unless ``http=`` says otherwise) serving ``app`` on 127.0.0.1; yields
    the port."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="critical",
        lifespan="off",
        **{"http": "httptools", **options},
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port: int = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)


@contextmanager
def hypercorn_server(app: AnyASGIApp, **options: Any) -> Iterator[int]:
    """Hypercorn (h11, raw header names) serving ``app`` on 127.0.0.1; yields the port.

    The listening socket is made here, so connections queue from the start, and handed to
    Hypercorn by file descriptor.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port: int = listener.getsockname()[1]
    config = HypercornConfig()
    config.bind = [f"fd://{listener.detach()}"]
    config.h11_pass_raw_headers = True
    config.accesslog = None
    config.errorlog = None
    for name, value in options.items():
        setattr(config, name, value)
    ready = threading.Event()
    control: dict[str, Any] = {}

    def run() -> None:
        async def main() -> None:
            stop = asyncio.Event()
            control["loop"], control["stop"] = asyncio.get_running_loop(), stop
            ready.set()
            await serve(app, config, shutdown_trigger=stop.wait, mode="asgi")

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(START_TIMEOUT), "hypercorn did not start"
    try:
        yield port
    finally:
        control["loop"].call_soon_threadsafe(control["stop"].set)
        thread.join(timeout=START_TIMEOUT)


ServerFactory = Callable[..., AbstractContextManager[int]]

#: The servers the adapter is shown through, by test id.
SERVERS: dict[str, ServerFactory] = {
    "uvicorn-httptools": uvicorn_server,
    "hypercorn": hypercorn_server,
}


class Answer:
    """The status and header lines of an HTTP/1.1 response (names as the server wrote them)."""

    def __init__(self, status: int, lines: list[tuple[str, str]]) -> None:
        self.status = status
        self.lines = lines

    def values(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        return [value for key, value in self.lines if key.lower() == name.lower()]

    def header(self, name: str) -> str | None:
        values = self.values(name)
        assert len(values) <= 1, f"{name} appears {len(values)} times: {values}"
        return values[0] if values else None

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.lines})"


def exchange(
    port: int,
    method: str,
    path: str,
    lines: list[tuple[bytes, bytes]],
    timeout: float = 60.0,
) -> Answer:
    """Send one request with exactly these header lines (and ``Connection: close``)."""
    head = b"".join(name + b": " + value + b"\r\n" for name, value in lines)
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
        + head
        + b"Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            assert chunk, f"connection closed before the response head: {received!r}"
            received += chunk
    status_line, *header_lines = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    pairs = [line.split(":", 1) for line in header_lines]
    return Answer(int(status_line.split()[1]), [(name, value.strip()) for name, value in pairs])
