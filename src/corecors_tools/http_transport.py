"""How ``corecors probe`` sends its requests: ``http.client`` over a socket, HTTP or HTTPS.

The one module of :mod:`corecors_tools` that opens connections. :mod:`corecors_tools.probe`
decides what to send and judges the replies; it imports this module only when a probe is sent
without a :data:`~corecors_tools.probe.Transport` of its own, so the diagnosis needs no
network.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from typing import Final

from .probe import Headers, Response, Target, Transport, TransportError

__all__ = ["MAX_BODY_BYTES", "http_transport"]

MAX_BODY_BYTES: Final = 64 * 1024
"""At most this much of a response body is read (and dropped) before the connection closes."""


def http_transport(*, insecure: bool = False) -> Transport:
    """Send with ``http.client``: one connection per request, bounded by ``timeout`` seconds.

    ``insecure`` skips HTTPS certificate verification (self-signed development servers).
    """
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

    def send(target: Target, method: str, headers: Headers, timeout: float) -> Response:
        connection: http.client.HTTPConnection
        if target.scheme == "https":
            connection = http.client.HTTPSConnection(
                target.host, target.port, timeout=timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        deadline = time.monotonic() + timeout
        try:
            connection.request(method, target.path, headers=dict(headers))
            response = connection.getresponse()
            status, reason, received = response.status, response.reason, response.getheaders()
            _drain(response, deadline)
            return status, reason, list(received)
        except TransportError:
            raise
        except Exception as error:
            raise _transport_error(error, target, timeout) from error
        finally:
            connection.close()

    return send


def _drain(response: http.client.HTTPResponse, deadline: float) -> None:
    """Read a little of the body so a well-behaved server is not cut off mid-write."""
    remaining = MAX_BODY_BYTES
    try:
        while remaining > 0 and time.monotonic() < deadline:
            chunk = response.read(min(remaining, 16384))
            if not chunk:
                return
            remaining -= len(chunk)
    except (OSError, http.client.HTTPException):
        return  # the headers are what matters; a broken body does not change the verdict


def _transport_error(error: Exception, target: Target, timeout: float) -> TransportError:
    where = f"{target.host}:{target.port}"
    if isinstance(error, socket.gaierror):
        return TransportError("name-not-resolved", f"cannot resolve {target.host!r}: {error}")
    if isinstance(error, TimeoutError):
        return TransportError(
            "timeout", f"{where} did not answer within {timeout:g} s (raise --timeout?)"
        )
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        hint = (
            " (is it an HTTPS server? for a self-signed certificate use --insecure)"
            if target.scheme == "https"
            else ""
        )
        return TransportError("tls-failed", f"TLS with {where} failed: {error}{hint}")
    if isinstance(error, ConnectionRefusedError):
        return TransportError(
            "connection-refused", f"{where} refused the connection: is the server running?"
        )
    if isinstance(error, http.client.HTTPException):
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return TransportError("invalid-response", f"{where} did not send valid HTTP ({detail})")
    return TransportError("connection-failed", f"cannot talk to {where}: {error}")
