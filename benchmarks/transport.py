"""An in-memory transport, so that a real server's protocol runs without sockets.

A server's protocol object (uvicorn's ``HttpToolsProtocol``, aiohttp's ``RequestHandler``)
is given raw request bytes with ``data_received`` and writes its response to this
transport, which signals each complete response. Everything a request costs inside the
server is then measured -- the HTTP parser, the request loop, the application and its
middleware, the response writer -- except the system calls.
"""

from __future__ import annotations

import asyncio
from typing import Any


class MemoryTransport(asyncio.Transport):
    """Collects what the server writes and completes ``waiter`` with each whole response."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.buffer += data
        self._check()

    def writelines(self, list_of_data: Any) -> None:
        for chunk in list_of_data:
            self.buffer += chunk
        self._check()

    def _check(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        for line in head.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if len(self.buffer) >= end + 4 + length:
            response = bytes(self.buffer[: end + 4 + length])
            del self.buffer[: end + 4 + length]
            self.waiter.set_result(response)
            self.waiter = None

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return True

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


class Connection:
    """One keep-alive connection: send raw request bytes, get the raw response back."""

    def __init__(self, protocol: asyncio.Protocol) -> None:
        self.protocol = protocol
        self.transport = MemoryTransport()
        protocol.connection_made(self.transport)

    async def send(self, raw: bytes) -> bytes:
        waiter: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.transport.waiter = waiter
        self.protocol.data_received(raw)
        return await waiter


def status_of(response: bytes) -> str:
    return response.split(b" ", 2)[1].decode()
