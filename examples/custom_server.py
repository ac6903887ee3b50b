"""corecors from your own server, with no adapter: a standard-library HTTP server.

corecors decides and you apply. Whatever server you run (``http.server`` here, but
equally a raw socket loop, Twisted, Tornado, a WSGI app or something in-house), CORS
comes down to the same three steps for every request:

1. **Read the request** with ``corecors.read_request(method, path, header_lines)``:
   the path without the query string, and every header line as ``(name, value)``.
   It picks out the CORS fields, names in any case, and joins a field's repeated lines
   with ``","`` (two ``Origin`` lines make a value no browser sends, which is refused).
2. **Call** ``policy.decide(info)``. It never raises, whatever the client sent.
3. **Apply the** :class:`corecors.Decision` with
   ``corecors.response_headers(decision, app_header_lines)``:

   - ``decision.status is not None``: the request is a preflight that corecors
     answers. Reply with that status, ``response_headers(decision)``,
     ``Content-Length: 0`` and no body. Do not call the application.
   - otherwise: call the application as usual, and send its response (whatever its
     status: a 404 or 500 the page cannot read is a harder bug to find) with
     ``response_headers(decision, its_headers)``. That drops the CORS headers the
     application set itself (corecors owns them), adds the decision's, and merges the
     decision's ``Vary`` into the application's; when CORS is off for the path (a
     ``PathPolicies`` table with ``enabled = false``) it leaves the headers as they are.

That is all: :class:`CORSHandler` below is those three steps around a tiny JSON
application (:func:`application`). To adapt it, replace the application and keep
``_handle``. The policy is built once, at import, so a configuration mistake stops the
server from starting rather than failing a request.

Run it with ``python examples/custom_server.py [--port 8000] [--verbose]`` and try::

    curl -i -H 'Origin: https://app.example.com' http://127.0.0.1:8000/api/hello
    curl -i -X OPTIONS -H 'Origin: https://app.example.com' \\
        -H 'Access-Control-Request-Method: PUT' \\
        -H 'Access-Control-Request-Headers: content-type' http://127.0.0.1:8000/api/hello

Requests that ``http.server`` refuses before any handler runs (a malformed request
line, a method without a ``do_*`` method below) get its own error page, without CORS
headers.
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

from corecors import CORSDecider, CORSPolicy, RequestInfo, read_request, response_headers

__all__ = ["POLICY", "CORSHandler", "application", "main", "make_server"]

#: Built once: validation and compilation happen here, deciding is cheap afterwards.
POLICY = CORSPolicy(
    allow_origins=["https://app.example.com", "http://127.0.0.1:*"],
    allow_methods=["GET", "POST", "PUT", "DELETE"],
    allow_headers=["content-type", "authorization"],
    expose_headers=["x-request-id"],
    allow_credentials=True,
    max_age=600,
)

#: Request bodies up to this size are read and discarded so the connection can be reused.
MAX_DRAINED_BODY = 1 << 20

Response = tuple[int, list[tuple[str, str]], bytes]
"""What the application returns: status, headers, body."""
Application = Callable[[str, str], Response]
"""An application: (method, path) to its response."""


def _json(status: int, payload: object, *headers: tuple[str, str]) -> Response:
    body = json.dumps(payload).encode()
    return status, [("Content-Type", "application/json"), *headers], body


def application(method: str, path: str) -> Response:
    """The application: knows nothing about CORS."""
    if method == "OPTIONS":  # a plain OPTIONS (not a preflight) reaches the app
        return 204, [("Allow", "GET, HEAD, OPTIONS")], b""
    if method in ("GET", "HEAD") and path == "/api/hello":
        return _json(200, {"hello": "world"}, ("X-Request-Id", uuid.uuid4().hex))
    if method in ("GET", "HEAD") and path == "/api/missing":
        return _json(404, {"error": "this resource does not exist"})
    return _json(404, {"error": "not found"})


class CORSHandler(BaseHTTPRequestHandler):
    """Applies ``policy`` to every request, around :func:`application`."""

    protocol_version = "HTTP/1.1"
    policy: ClassVar[CORSDecider] = POLICY
    verbose: ClassVar[bool] = False

    def request_info(self) -> RequestInfo:
        """Step 1: the few request fields the decision needs, from every header line."""
        return read_request(self.command, self._path(), self.headers.items())

    def respond(self, method: str, path: str) -> Response:
        """The application's response (what :func:`make_server`'s ``app`` replaces)."""
        return application(method, path)

    def _path(self) -> str:
        return urlsplit(self.path).path or "/"

    def _handle(self) -> None:
        self._drain_body()
        decision = self.policy.decide(self.request_info())  # step 2

        if decision.status is not None:  # step 3: a preflight, answered without the app
            self.send_response(decision.status)
            for name, value in response_headers(decision):
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return

        # Step 3: an actual request (or no CORS at all): the app, plus the decision.
        status, app_headers, body = self.respond(self.command, self._path())
        headers = response_headers(decision, app_headers)

        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drain_body(self) -> None:
        """Read and drop a request body, or close the connection after this response."""
        if self.headers.get("Transfer-Encoding") is not None:
            self.close_connection = True
            return
        length = self.headers.get("Content-Length")
        if length is None:
            return
        if not length.isdigit() or int(length) > MAX_DRAINED_BODY:
            self.close_connection = True
            return
        self.rfile.read(int(length))

    # http.server dispatches on do_<METHOD>; every method goes through the same steps.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        if self.verbose:
            super().log_message(format, *args)


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    policy: CORSDecider = POLICY,
    *,
    app: Application = application,
    verbose: bool = False,
) -> ThreadingHTTPServer:
    """A server applying ``policy`` around ``app``, bound but not yet serving (``port=0``:
    the kernel picks).

    Call ``serve_forever()`` on it; ``server.server_address`` holds the bound address.
    """
    chosen_policy, chosen_app, chosen_verbose = policy, app, verbose

    class BoundHandler(CORSHandler):
        policy = chosen_policy
        verbose = chosen_verbose

        def respond(self, method: str, path: str) -> Response:
            return chosen_app(method, path)

    return ThreadingHTTPServer((host, port), BoundHandler)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A standard-library server using corecors.")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    server = make_server("127.0.0.1", args.port, verbose=args.verbose)
    host, port = server.server_address[:2]
    print(f"Serving on http://{host!s}:{port}/api/hello  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
