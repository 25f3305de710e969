"""Cloud-neutral parts of the control API: the call log, fault injection and the
instance overrides (stuck states, scheduled events, health) that each cloud's emulator reads.

Nothing here knows HTTP; `sandbox.wsgi` exposes it under `/_sandbox/*`.
"""
import random
import threading
from dataclasses import dataclass, field


class ControlError(ValueError):
    """A control request that cannot be honoured (answered 400 with its message)."""


class CallLog:
    """Every API call received since the last reset, in arrival order."""

    def __init__(self):
        self._calls = []
        self._lock = threading.Lock()

    def record(self, action, params, status, error_code=None):
        with self._lock:
            self._calls.append(
                {"action": action, "params": params, "status": status, "error_code": error_code}
            )

    def snapshot(self):
        with self._lock:
            return list(self._calls)

    def clear(self):
        with self._lock:
            self._calls.clear()


@dataclass
class Fault:
    action: str  # an API action name, or "*" for every action
    code: str
    http_status: int
    count: int = None  # the next `count` matching calls fail ...
    rate: float = None  # ... or this fraction of them
    message: str = ""
    seed: int = None  # a seeded rate fault draws from its own generator: repeatable whatever else is called
    chance: random.Random = field(default=None, repr=False)

    def matches(self, action):
        return self.action in ("*", action)

    def as_dict(self):
        return {"action": self.action, "code": self.code, "http_status": self.http_status, "count": self.count,
                "rate": self.rate, "message": self.message, "seed": self.seed}


class FaultInjector:
    """Decides, per incoming call, whether it fails with an injected error."""

    def __init__(self, seed=None):
        self._faults = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def add(self, spec):
        if not isinstance(spec, dict):
            raise ControlError("a fault is a JSON object")
        try:
            code = str(spec["code"])
            http_status = int(spec.get("http_status", 400))
        except (KeyError, TypeError, ValueError):
            raise ControlError("a fault needs 'code' and an integer 'http_status'")
        count, rate = spec.get("count"), spec.get("rate")
        if (count is None) == (rate is None):
            raise ControlError("give exactly one of 'count' or 'rate'")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ControlError("'count' must be a positive integer")
        if rate is not None and not (isinstance(rate, (int, float)) and 0 < rate <= 1):
            raise ControlError("'rate' must be a number in (0, 1]")
        if not 400 <= http_status <= 599:
            raise ControlError("'http_status' must be 4xx or 5xx")
        seed = spec.get("seed")
        if seed is not None and (rate is None or not isinstance(seed, int) or isinstance(seed, bool)):
            raise ControlError("'seed' is an integer, and only for a 'rate' fault")
        fault = Fault(
            action=str(spec.get("action", "*")),
            code=code,
            http_status=http_status,
            count=count,
            rate=float(rate) if rate is not None else None,
            message=str(spec.get("message") or f"Injected fault: {code}"),
            seed=seed,
            chance=random.Random(seed) if seed is not None else None,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, action):
        """The fault this call must answer with, or None. Counted faults are consumed."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(action):
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
                if (fault.chance or self._random).random() < fault.rate:
                    return fault
            return None

    def clear(self):
        with self._lock:
            self._faults.clear()


@dataclass
class StuckRule:
    state: str
    force_works: bool = False


@dataclass
class Overrides:
    """Per-instance conditions that the tests impose on an emulator."""

    stuck: dict = field(default_factory=dict)  # instance id -> StuckRule
    events: dict = field(default_factory=dict)  # instance id -> [event dicts]
    health: dict = field(default_factory=dict)  # instance id -> status word
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_stuck(self, spec):
        ids = spec.get("instance_ids") if isinstance(spec, dict) else None
        state = spec.get("state") if isinstance(spec, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise ControlError("'instance_ids' must be a non-empty list of ids")
        if not isinstance(state, str) or not state:
            raise ControlError("'state' is required")
        rule = StuckRule(state=state, force_works=bool(spec.get("force_works", False)))
        with self.lock:
            for instance_id in ids:
                self.stuck[instance_id] = rule
        return rule

    def stuck_rule(self, instance_id):
        with self.lock:
            return self.stuck.get(instance_id)

    def release_stuck(self, instance_id):
        with self.lock:
            self.stuck.pop(instance_id, None)

    def add_event(self, spec):
        required = ("instance_id", "code", "not_before")
        if not isinstance(spec, dict) or any(not spec.get(k) for k in required):
            raise ControlError("an event needs 'instance_id', 'code' and 'not_before'")
        event = {
            "code": str(spec["code"]),
            "description": str(spec.get("description", "")),
            "not_before": str(spec["not_before"]),
            "not_after": str(spec["not_after"]) if spec.get("not_after") else None,
        }
        with self.lock:
            self.events.setdefault(spec["instance_id"], []).append(event)
        return event

    def events_for(self, instance_id):
        with self.lock:
            return list(self.events.get(instance_id, []))

    def set_health(self, spec):
        if not isinstance(spec, dict) or not spec.get("instance_id") or not spec.get("status"):
            raise ControlError("health needs 'instance_id' and 'status'")
        with self.lock:
            self.health[spec["instance_id"]] = str(spec["status"])

    def health_of(self, instance_id):
        with self.lock:
            return self.health.get(instance_id)

    def clear(self):
        with self.lock:
            self.stuck.clear()
            self.events.clear()
            self.health.clear()

    def export(self):
        """As JSON, for the state file."""
        with self.lock:
            return {
                "stuck": {i: {"state": r.state, "force_works": r.force_works} for i, r in self.stuck.items()},
                "events": {i: [dict(e) for e in events] for i, events in self.events.items()},
                "health": dict(self.health),
            }

    def restore(self, state):
        with self.lock:
            self.stuck = {i: StuckRule(str(r["state"]), bool(r.get("force_works", False)))
                          for i, r in (state.get("stuck") or {}).items()}
            self.events = {i: [dict(e) for e in events] for i, events in (state.get("events") or {}).items()}
            self.health = {i: str(status) for i, status in (state.get("health") or {}).items()}


def parse_locks(spec):
    """The body of `POST /_sandbox/locks`: ({"instance_ids": [...], "reason": "security" | null}) ->
    (ids, reason). Which reasons a cloud accepts, and what a lock does, is the emulator's business."""
    ids = spec.get("instance_ids") if isinstance(spec, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ControlError("'instance_ids' must be a non-empty list of ids")
    if "reason" not in spec:
        raise ControlError("'reason' is required: a lock reason, or null to unlock")
    reason = spec["reason"]
    if reason is not None and not (isinstance(reason, str) and reason):
        raise ControlError("'reason' must be a non-empty string or null")
    return ids, reason
