"""The sandbox clock: real time plus an offset that the control API can advance.

Both clouds share one clock, so advancing it moves transitional states and auto-release
times on both sides together.
"""
import threading
import time


class SandboxClock:
    def __init__(self):
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the sandbox sees it."""
        with self._lock:
            return time.time() + self._offset

    def rewind(self):
        """Back to real time. In-process only (the test fixture, between tests, after every emulator
        is reset): the control API only moves time forward, as a real cloud's does."""
        with self._lock:
            self._offset = 0.0

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("advance_seconds must not be negative")
        with self._lock:
            self._offset += seconds
            return self._offset
