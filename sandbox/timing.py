"""How long things take in the sandbox: transitional states (`--transition-profile`) and the
answer of every cloud API call (`--latency-ms`). Both are off by default, so the suites keep
their speed: every transitional state lasts `--transition-seconds` and calls answer at once.

Transition profiles
-------------------
A profile gives each transitional state a distribution; each instance draws its own duration per
state, repeatably: the same seed, cloud, instance id and state always give the same number
(`Durations.seconds`). A distribution is a log-normal body (its `median`, and its `p95` or its
`spread`, the standard deviation of the log) with a tail: a `tail_fraction` of the draws take
`tail_factor` times as long (the instance that takes minutes to stop). Optional `min` and `max`
clamp the draw. A FILE is JSON::

    {"scale": 1.0,                                  # optional: multiplies every draw
     "stopping": {"median": 45, "p95": 90, "tail_fraction": 0.03, "tail_factor": 4},
     "ecs": {"Starting": {"median": 30, "spread": 0.4}}}

A top-level state applies to every cloud whose state has that name (case-insensitive: "stopping"
is EC2's stopping and ECS's Stopping); under "ec2" or "ecs" it applies to that cloud only. A state
no profile names lasts `--transition-seconds`.

Built-in profiles (`--transition-profile NAME`, or `NAME:SCALE`, e.g. `realistic:0.1`):

- `realistic`: seconds as the clouds take them.
  EC2 pending (launch and start): median 15 s, p95 30 s, 3 % x3. ec2-boot-bench measured 4.9 s
  pending->running on c5.xlarge (daemonology.net/blog/2021-08-12-EC2-boot-time-benchmarking.html);
  brevdev/ec2-coldboot-research measured 16.4-16.6 s on t3/m6i/m7i/c7i/r7i; martysweet.co.uk/ec2-launch-times
  (2023) shows EBS encryption and AMI lengthen it.
  EC2 stopping: median 45 s, p95 90 s, 3 % x4 (minutes): AWS "Stop and start your instance": "if the
  instance does not cleanly shut down within a few minutes, Amazon EC2 performs a hard shut down".
  EC2 shutting-down: median 40 s, p95 60 s, 3 % x4: AWS "Troubleshoot instance termination": longer
  than a few minutes means shutdown scripts or a host problem.
  ECS Pending (a launch: Pending, then Starting): median 15 s, p95 30 s, 3 % x3, as EC2's pending
  (placement, disks, network). ECS Starting and Stopping: median 30 s, p95 60 s, 3 % x3 (Stopping
  x4). Alibaba documents the states ("Instance lifecycle", doc 25380: transitory states; staying in
  one "for an extended period of time" is an exception), not their durations: these are the 20-60 s
  that starts and stops are seen to take.
- `fast`: the same shape well under a second (medians 0.15-0.2 s, every draw <= 0.9 s), for tests.

Latency
-------
`Latency(ms, jitter_ms)`: each cloud API call (never the /_sandbox control routes) waits a draw
from [ms - jitter, ms + jitter] (seeded), half before the call reaches the emulator (the request's
way in) and half after (the answer's way back). The wait holds no lock: the server is threaded,
so other calls go on meanwhile, as on a real cloud.
"""
import hashlib
import json
import math
import os
import random
import secrets
import threading
import time
from statistics import NormalDist

_Z95 = NormalDist().inv_cdf(0.95)  # 1.6449: p95 = median * exp(_Z95 * spread)
_SPEC_KEYS = {"median", "p95", "spread", "tail_fraction", "tail_factor", "min", "max"}
CLOUDS = ("ec2", "ecs")


class ProfileError(ValueError):
    """A transition profile (name or FILE) that cannot be used; the message says why."""


class StateDuration:
    """The distribution of one state's duration."""

    def __init__(self, median, spread=0.0, tail_fraction=0.0, tail_factor=1.0, minimum=0.0, maximum=None):
        self.median, self.spread = float(median), float(spread)
        self.tail_fraction, self.tail_factor = float(tail_fraction), float(tail_factor)
        self.minimum, self.maximum = float(minimum), (None if maximum is None else float(maximum))

    @classmethod
    def from_spec(cls, spec, where):
        if not isinstance(spec, dict):
            raise ProfileError(f"{where}: a state is a JSON object like "
                               '{"median": 30, "p95": 60, "tail_fraction": 0.03, "tail_factor": 3}')
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            raise ProfileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                               f"(known: {', '.join(sorted(_SPEC_KEYS))})")

        def number(key, default=None):
            value = spec.get(key, default)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise ProfileError(f"{where}: {key!r} must be a number, not {json.dumps(value)}")
            return float(value)

        if "median" not in spec:
            raise ProfileError(f"{where}: 'median' (seconds) is required")
        median = number("median")
        if median <= 0:
            raise ProfileError(f"{where}: 'median' must be > 0 seconds")
        if ("p95" in spec) == ("spread" in spec):
            raise ProfileError(f"{where}: give exactly one of 'p95' (seconds) or 'spread' (sigma of the log)")
        if "p95" in spec:
            p95 = number("p95")
            if p95 < median:
                raise ProfileError(f"{where}: 'p95' ({p95:g}) must not be below 'median' ({median:g})")
            spread = math.log(p95 / median) / _Z95
        else:
            spread = number("spread")
            if spread < 0:
                raise ProfileError(f"{where}: 'spread' must be >= 0")
        tail_fraction = number("tail_fraction", 0.0)
        if not 0 <= tail_fraction <= 1:
            raise ProfileError(f"{where}: 'tail_fraction' must be between 0 and 1")
        tail_factor = number("tail_factor", 1.0)
        if tail_factor < 1:
            raise ProfileError(f"{where}: 'tail_factor' must be >= 1")
        minimum = number("min", 0.0)
        maximum = number("max") if "max" in spec else None
        if minimum < 0 or (maximum is not None and maximum < minimum):
            raise ProfileError(f"{where}: need 0 <= 'min' <= 'max'")
        return cls(median, spread, tail_fraction, tail_factor, minimum, maximum)

    def value(self, u_body, u_tail):
        """The duration for two uniforms in (0, 1): the body's quantile, times the tail factor when
        `u_tail` falls in the tail, clamped to [min, max]."""
        seconds = self.median * math.exp(self.spread * NormalDist().inv_cdf(u_body))
        if u_tail < self.tail_fraction:
            seconds *= self.tail_factor
        seconds = max(self.minimum, seconds)
        return seconds if self.maximum is None else min(self.maximum, seconds)

    def as_dict(self):
        out = {"median": self.median, "spread": round(self.spread, 6), "tail_fraction": self.tail_fraction,
               "tail_factor": self.tail_factor}
        if self.minimum:
            out["min"] = self.minimum
        if self.maximum is not None:
            out["max"] = self.maximum
        return out


class Profile:
    """Per-state distributions: shared ones and per-cloud ones, and a scale."""

    def __init__(self, name, shared=None, per_cloud=None, scale=1.0):
        self.name = name
        self.shared = {k.casefold(): v for k, v in (shared or {}).items()}
        self.per_cloud = {c: {k.casefold(): v for k, v in states.items()} for c, states in (per_cloud or {}).items()}
        self.scale = float(scale)

    @classmethod
    def from_dict(cls, data, name):
        where = f"transition profile {name}"
        if not isinstance(data, dict) or not data:
            raise ProfileError(f"{where}: must be a non-empty JSON object of states")
        shared, per_cloud, scale = {}, {}, 1.0
        for key, value in data.items():
            if key == "scale":
                if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                    raise ProfileError(f"{where}: 'scale' must be a number > 0")
                scale = float(value)
            elif key in CLOUDS:
                if not isinstance(value, dict):
                    raise ProfileError(f"{where}: {key!r} must be a JSON object of that cloud's states")
                per_cloud[key] = {s: StateDuration.from_spec(v, f"{where}: {key}.{s}") for s, v in value.items()}
            else:
                shared[key] = StateDuration.from_spec(value, f"{where}: state {key!r}")
        return cls(name, shared, per_cloud, scale)

    def lookup(self, cloud, state):
        key = str(state).casefold()
        found = self.per_cloud.get(cloud, {}).get(key)
        return found if found is not None else self.shared.get(key)

    def scaled(self, factor):
        return Profile(f"{self.name}:{factor:g}", self.shared, self.per_cloud, self.scale * factor)

    def as_dict(self):
        out = {"scale": self.scale} if self.scale != 1 else {}
        out.update({k: v.as_dict() for k, v in self.shared.items()})
        for cloud, states in self.per_cloud.items():
            out[cloud] = {k: v.as_dict() for k, v in states.items()}
        return out


def _spec(median, p95, tail_fraction, tail_factor, maximum=None):
    out = {"median": median, "p95": p95, "tail_fraction": tail_fraction, "tail_factor": tail_factor}
    if maximum is not None:
        out["max"] = maximum
    return out


BUILTIN = {
    "realistic": {
        "ec2": {"pending": _spec(15, 30, 0.03, 3), "stopping": _spec(45, 90, 0.03, 4),
                "shutting-down": _spec(40, 60, 0.03, 4)},
        "ecs": {"Pending": _spec(15, 30, 0.03, 3), "Starting": _spec(30, 60, 0.03, 3),
                "Stopping": _spec(30, 60, 0.03, 4)},
    },
    "fast": {
        "ec2": {"pending": _spec(0.15, 0.3, 0.05, 2.5, 0.9), "stopping": _spec(0.2, 0.4, 0.05, 2.5, 0.9),
                "shutting-down": _spec(0.15, 0.3, 0.05, 2.5, 0.9)},
        "ecs": {"Pending": _spec(0.15, 0.3, 0.05, 2.5, 0.9), "Starting": _spec(0.15, 0.3, 0.05, 2.5, 0.9),
                "Stopping": _spec(0.2, 0.4, 0.05, 2.5, 0.9)},
    },
}


def load_profile(spec):
    """A Profile from a built-in NAME, NAME:SCALE, a JSON FILE path, a dict, or a Profile (None: None)."""
    if spec is None or isinstance(spec, Profile):
        return spec
    if isinstance(spec, dict):
        return Profile.from_dict(spec, "(dict)")
    if not isinstance(spec, str) or not spec:
        raise ProfileError("a transition profile is a name (realistic, fast), NAME:SCALE or a JSON file")
    if spec in BUILTIN:
        return Profile.from_dict(BUILTIN[spec], spec)
    name, sep, factor = spec.rpartition(":")
    if sep and name in BUILTIN and not os.path.exists(spec):
        try:
            scale = float(factor)
        except ValueError:
            scale = float("nan")
        if not scale > 0 or not math.isfinite(scale):
            raise ProfileError(f"transition profile {spec}: the scale after ':' must be a number > 0")
        return Profile.from_dict(BUILTIN[name], name).scaled(scale)
    if not os.path.exists(spec):
        raise ProfileError(f"transition profile {spec!r}: not a built-in profile ({', '.join(BUILTIN)}) "
                           "and no such file")
    try:
        with open(spec) as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ProfileError(f"transition profile {spec}: {exc.strerror or exc}")
    except ValueError as exc:
        raise ProfileError(f"transition profile {spec}: not JSON: {exc}")
    return Profile.from_dict(data, spec)


class Durations:
    """What the models ask: how long `instance_id` stays in `state` (seconds of sandbox clock).

    Without a profile, or for a state the profile does not name, it is `fixed()` (the context's
    transition_seconds, read at each call so a test can change it)."""

    def __init__(self, profile=None, seed=None, fixed=lambda: 1.0):
        self.profile = load_profile(profile)
        self._seed = str(seed) if seed is not None else secrets.token_hex(8)
        self._fixed = fixed

    @property
    def seed(self):
        """What the draws are seeded with: --seed, or a random one per start that a state file keeps
        (so an instance's draws stay what they were across a restart)."""
        return self._seed

    @seed.setter
    def seed(self, value):
        self._seed = str(value)

    def _uniforms(self, cloud, instance_id, state):
        digest = hashlib.sha256(f"{self._seed}\0{cloud}\0{instance_id}\0{str(state).casefold()}".encode()).digest()
        a = int.from_bytes(digest[:8], "big") >> 11  # 53 bits each
        b = int.from_bytes(digest[8:16], "big") >> 11
        return (a + 0.5) / 2 ** 53, (b + 0.5) / 2 ** 53  # strictly inside (0, 1)

    def seconds(self, cloud, instance_id, state):
        dist = self.profile.lookup(cloud, state) if self.profile is not None else None
        if dist is None:
            return max(0.0, float(self._fixed()))
        return max(0.0, dist.value(*self._uniforms(cloud, instance_id, state)) * self.profile.scale)


# ---- latency ---------------------------------------------------------------------------------
class Latency:
    """A delay per cloud API call: `ms` +- `jitter_ms` (uniform, seeded), split around the call."""

    def __init__(self, ms, jitter_ms=0.0, seed=None, sleep=time.sleep):
        ms, jitter_ms = float(ms), float(jitter_ms)
        if not (math.isfinite(ms) and math.isfinite(jitter_ms)) or ms < 0 or jitter_ms < 0:
            raise ValueError("latency and jitter must be numbers >= 0 (milliseconds)")
        self.ms, self.jitter_ms = ms, jitter_ms
        self._random = random.Random(f"latency:{seed}") if seed is not None else random.Random()
        self._lock = threading.Lock()
        self.sleep = sleep

    @classmethod
    def parse(cls, text, seed=None):
        """`MS` or `MS:JITTER_MS` (None when MS and JITTER are 0: no latency at all)."""
        ms, sep, jitter = str(text).strip().partition(":")
        try:
            value, spread = float(ms), float(jitter) if sep else 0.0
        except ValueError:
            raise ValueError(f"latency {text!r}: expected MS or MS:JITTER_MS, numbers of milliseconds")
        if not (math.isfinite(value) and math.isfinite(spread)) or value < 0 or spread < 0:
            raise ValueError(f"latency {text!r}: milliseconds must be >= 0")
        if spread > value:
            raise ValueError(f"latency {text!r}: the jitter must not exceed the latency (a delay is never negative)")
        return None if value == 0 and spread == 0 else cls(value, spread, seed)

    def draw(self):
        """One call's delay in seconds."""
        if not self.jitter_ms:
            return self.ms / 1000.0
        with self._lock:
            ms = self._random.uniform(self.ms - self.jitter_ms, self.ms + self.jitter_ms)
        return max(0.0, ms) / 1000.0

    def around(self, call):
        """Run `call()` with this call's delay split around it: half on the way in, half on the way out.
        Nothing is held while sleeping; the caller must not call this holding a lock either."""
        delay = self.draw()
        inbound = delay / 2
        if inbound:
            self.sleep(inbound)
        result = call()
        if delay - inbound:
            self.sleep(delay - inbound)
        return result

    def __repr__(self):
        return f"Latency({self.ms:g} ms +- {self.jitter_ms:g})"
