"""What every cloud emulator in the sandbox provides, and the context they share."""
import secrets
from dataclasses import dataclass, field

from sandbox.clock import SandboxClock
from sandbox.commands import CommandRunner
from sandbox.control import CallLog, FaultInjector, Overrides
from sandbox.limits import REQUEST, RateLimiter
from sandbox.timing import Durations


@dataclass
class Credentials:
    access_key_id: str
    access_key_secret: str


def make_credentials(prefix, seed=None):
    """Credentials for one cloud; random per start unless a seed makes them repeatable."""
    if seed is None:
        return Credentials(prefix + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))
    import random

    rng = random.Random(f"{prefix}:{seed}")
    key = prefix + "".join(rng.choice("0123456789ABCDEF") for _ in range(16))
    secret = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(40))
    return Credentials(key, secret)


@dataclass
class SandboxContext:
    clock: SandboxClock = field(default_factory=SandboxClock)
    transition_seconds: float = 1.0
    # EC2: how long status checks read "initializing" after an instance reaches running (launch,
    # start, reboot) before "ok"; AWS takes minutes, 0 keeps tests and the default sandbox quick.
    status_check_seconds: float = 0.0
    seed: int = None
    # Runs the scripts of the run-command APIs (see sandbox.commands); shared by both clouds so
    # that at most max_parallel scripts run at once on this machine.
    commands: CommandRunner = None
    # How long each instance stays in each transitional state: `durations.seconds(cloud, id, state)`
    # (sandbox.timing). Without a profile it is `transition_seconds`, read at each call.
    transition_profile: object = None  # a built-in name, NAME:SCALE, a JSON file, a dict or a timing.Profile
    durations: Durations = None
    # Delay of every cloud API call (a timing.Latency), None = answer at once (sandbox.wsgi applies it).
    latency: object = None
    # The request-rate limits table (sandbox.limits), None = no limits (each port can still turn them
    # on with POST /_sandbox/limits).
    rate_limits: dict = None

    def __post_init__(self):
        if self.commands is None:
            self.commands = CommandRunner(root_dir=None, clock=self.clock)
        if self.durations is None:
            self.durations = Durations(self.transition_profile, self.seed, fixed=lambda: self.transition_seconds)


class LimitedFaults(FaultInjector):
    """Injected faults behind the request-rate limits: a call over its limit answers the cloud's
    throttling error through the path an injected fault takes (the emulator's `faults.take`), so it
    is in the cloud's own error format and in the call log with its error_code. A throttled call
    consumes no counted fault."""

    def __init__(self, seed, limits):
        super().__init__(seed)
        self.limits = limits

    def take(self, action, named=()):
        throttled = self.limits.check(action, REQUEST.get())
        return throttled if throttled is not None else super().take(action, named)

    def take_split(self, action, instance_ids):
        throttled = self.limits.check(action, REQUEST.get())
        return (throttled, {}) if throttled is not None else super().take_split(action, instance_ids)


class Emulator:
    """One cloud's API behind the control API.

    Subclasses implement `api` (a WSGI app for the cloud's own wire protocol) and
    `reset_state`; they record every API call in `self.calls`, consult `self.faults`
    before acting (which also applies `self.limits`, the request-rate limits), and honour
    `self.overrides` (stuck states, events, health). A fault may name instances
    (`Fault.instance_ids`): `faults.take(action, named_ids(params))` applies it to the calls that
    name one of them, and a call that answers per instance uses `faults.take_split`.

    The state file (sandbox.state_file): `export_state()` gives what must survive a restart as JSON,
    `import_state()` puts it back into a new emulator; `touch()` (after a change, never before it)
    bumps `generation`, which tells the saver there is something new to write.
    """

    name = "cloud"

    def __init__(self, ctx: SandboxContext, credentials: Credentials):
        self.ctx = ctx
        self.credentials = credentials
        self.calls = CallLog()
        self.limits = RateLimiter(self.name, ctx.rate_limits)
        self.faults = LimitedFaults(ctx.seed, self.limits)
        self.overrides = Overrides()
        self.generation = 0

    def touch(self):
        """Something that a state file keeps has changed (call it after the change)."""
        self.generation += 1

    def api(self, environ, start_response):  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self):
        self.ctx.commands.reset(group=self.name)  # this cloud's scripts only
        self.calls.clear()
        self.faults.clear()
        self.limits.reset()  # back to the start configuration, every bucket full
        self.overrides.clear()
        self.reset_state()
        self.touch()  # a state file forgets this cloud's part too

    def reset_state(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def on_clock_advanced(self):
        """Carry out what the new time makes due (transitions, auto-release)."""

    def export_state(self):  # pragma: no cover - abstract
        """(JSON-able state, the earliest sandbox time it changes by itself or None). The
        credentials and the overrides are the saver's business; this is the cloud's own state."""
        raise NotImplementedError

    def import_state(self, state):  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self):
        """The sandbox stopped: give back what this emulator holds in the process."""

    def on_stuck(self, instance_ids, rule):
        """Called after a stuck rule was set; unknown ids may raise ControlError."""

    def env(self, endpoint_url):
        """KEY=VALUE pairs for the env file."""
        raise NotImplementedError
