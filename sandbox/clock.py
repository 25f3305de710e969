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

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def restore(self, offset: float):
        """The offset a state file kept (sandbox.state_file), before the sandbox serves."""
        with self._lock:
            self._offset = float(offset)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("advance_seconds must not be negative")
        with self._lock:
            self._offset += seconds
            return self._offset


def saved_time(at, now):
    """A sandbox time as a state file keeps it: what is left of it when still ahead (it resumes
    with that much left after a restart, on the sandbox clock), the time itself when it has passed."""
    return {"in": at - now} if at > now else {"at": at}


def restored_time(saved, now):
    """The inverse of saved_time, at load time `now`; None stays None."""
    if saved is None:
        return None
    return now + float(saved["in"]) if "in" in saved else float(saved["at"])
