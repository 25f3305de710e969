"""What every part of the ECS model uses: the instance statuses, the model's lock, ids and
sequence numbers, and ECS's time formats."""
import calendar
import random
import threading
import time

from sandbox.ecs.models.errors import EcsError

# ECS statuses
PENDING, STARTING, RUNNING, STOPPING, STOPPED = "Pending", "Starting", "Running", "Stopping", "Stopped"


def iso_minute(epoch):
    """ECS's yyyy-MM-ddTHH:mmZ (CreationTime, AutoReleaseTime)."""
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(epoch))


def iso_second(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_release_time(text):
    """yyyy-MM-ddTHH:mm:ssZ (or :mmZ) -> epoch seconds rounded down to the minute."""
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ"):
        try:
            parsed = time.strptime(text, fmt)
            break
        except (ValueError, TypeError):
            continue
    else:
        raise EcsError("InvalidAutoReleaseTime.Malformed", 400,
                       "The specified parameter AutoReleaseTime is not valid. Use yyyy-MM-ddTHH:mm:ssZ in UTC.")
    epoch = calendar.timegm(parsed)
    return epoch - epoch % 60


def locked(method):
    def wrapper(self, *args, **kwargs):
        with self.lock:
            self._release_due()
            return method(self, *args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class ModelBase:
    """The lock, the clock, the seeded generator of ids and the sequence every part shares."""

    def __init__(self, ctx, overrides):
        self.ctx = ctx
        self.overrides = overrides
        self.lock = threading.RLock()
        self.changed = lambda: None  # called after a change no API call made (the state file's saver)

    def _reset_base(self):
        self._rng = random.Random(f"ecs:{self.ctx.seed}") if self.ctx.seed is not None else random.Random()
        self._seq = 0

    def _now(self):
        return self.ctx.clock.now()

    def _new_id(self, prefix, taken):
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        while True:
            candidate = prefix + "bp1" + "".join(self._rng.choice(alphabet) for _ in range(17))
            if candidate not in taken:
                return candidate

    def _next_seq(self):
        self._seq += 1
        return self._seq
