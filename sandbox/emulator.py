"""What every cloud emulator in the sandbox provides, and the context they share."""
import secrets
from dataclasses import dataclass, field

from sandbox.clock import SandboxClock
from sandbox.commands import CommandRunner
from sandbox.control import CallLog, FaultInjector, Overrides


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
    seed: int = None
    # Runs the scripts of the run-command APIs (see sandbox.commands); shared by both clouds so
    # that at most max_parallel scripts run at once on this machine.
    commands: CommandRunner = None

    def __post_init__(self):
        if self.commands is None:
            self.commands = CommandRunner(root_dir=None, clock=self.clock)


class Emulator:
    """One cloud's API behind the control API.

    Subclasses implement `api` (a WSGI app for the cloud's own wire protocol) and
    `reset_state`; they record every API call in `self.calls`, consult `self.faults`
    before acting, and honour `self.overrides` (stuck states, events, health).
    """

    name = "cloud"

    def __init__(self, ctx: SandboxContext, credentials: Credentials):
        self.ctx = ctx
        self.credentials = credentials
        self.calls = CallLog()
        self.faults = FaultInjector(ctx.seed)
        self.overrides = Overrides()

    def api(self, environ, start_response):  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self):
        self.ctx.commands.reset(group=self.name)  # this cloud's scripts only
        self.calls.clear()
        self.faults.clear()
        self.overrides.clear()
        self.reset_state()

    def reset_state(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def on_clock_advanced(self):
        """Carry out what the new time makes due (transitions, auto-release)."""

    def on_stuck(self, instance_ids, rule):
        """Called after a stuck rule was set; unknown ids may raise ControlError."""

    def env(self, endpoint_url):
        """KEY=VALUE pairs for the env file."""
        raise NotImplementedError
