"""Child processes of the browser suite: started in a session of their own, their output
drained by a thread (a full pipe would stall the browser), and always stopped.

Only processes this module started are ever signalled, by their own process group id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

#: How long a browser process may take to exit after being asked to.
STOP_TIMEOUT = 15.0


class Process:
    """A child process whose output lines go to ``on_line`` as they arrive."""

    def __init__(
        self,
        arguments: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        on_line: Callable[[str], None] | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.arguments = list(arguments)
        self.output: list[str] = []  # the last lines, for error messages
        self._on_line = on_line
        self.popen = subprocess.Popen(
            self.arguments,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            pass_fds=tuple(pass_fds),
            start_new_session=True,  # its own process group: stop() reaches its children
            text=True,
            errors="replace",
        )
        self._reader = threading.Thread(
            target=self._drain, name=f"output-{os.path.basename(arguments[0])}", daemon=True
        )
        self._reader.start()

    def _drain(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            line = line.rstrip("\n")
            self.output = [*self.output[-49:], line]
            if self._on_line is not None:
                self._on_line(line)

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def describe(self) -> str:
        status = "running" if self.running else f"exited with {self.popen.returncode}"
        tail = "\n".join(self.output[-20:])
        return f"{self.arguments[0]} ({status}); its last output:\n{tail}"

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the process group, then SIGKILL it if it is still there after ``timeout``."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
            if self.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Helpers left behind in the group (content processes) go with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._reader.join(timeout)

    def wait_exit(self, timeout: float) -> bool:
        """Whether the process exited by itself within ``timeout``."""
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True


@contextlib.contextmanager
def running(process: Process) -> Iterator[Process]:
    try:
        yield process
    finally:
        process.stop()


def free_port() -> int:
    """A port nothing listens on right now (the caller retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True
