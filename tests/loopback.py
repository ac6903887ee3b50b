"""A standard-library HTTP server on a loopback port, served from a thread (the custom-server
example's tests and the probe's)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer


def serving(server: ThreadingHTTPServer) -> Iterator[tuple[str, int]]:
    """Serve ``server`` from a thread while the caller holds its address; stop it after."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield str(host), int(port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
