"""Cloud-neutral parts of the control API: the call log, fault injection and the
instance overrides (stuck states, scheduled events, health) that each cloud's emulator reads.

Nothing here knows HTTP; `sandbox.wsgi` exposes it under `/_sandbox/*`.
"""
import json
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
    """An injected error. Without `instance_ids` it applies to every call of its action; with them, only
    to a call that names at least one of those instances (the rest are served normally), the way the real
    clouds refuse a call for the instances they cannot serve: EC2 fails such a call as a whole (e.g.
    StartInstances, InsufficientInstanceCapacity), an ECS batch call with BatchOptimization=SuccessFirst
    answers those instances alone in its InstanceResponses (see each emulator's fault path). `count` and
    `rate` are spent only by the calls a fault applies to, one per call however many of its ids it names."""

    action: str  # an API action name, or "*" for every action
    code: str
    http_status: int
    count: int = None  # the next `count` matching calls fail ...
    rate: float = None  # ... or this fraction of them
    message: str = ""
    seed: int = None  # a seeded rate fault draws from its own generator: repeatable whatever else is called
    chance: random.Random = field(default=None, repr=False)
    instance_ids: tuple = None  # None: every call of the action; else only the calls naming one of them
    message_given: bool = True  # False: `message` is the default, an emulator may answer the cloud's own words

    def matches(self, action, named=()):
        if self.action not in ("*", action):
            return False
        return self.instance_ids is None or any(i in named for i in self.instance_ids)

    def as_dict(self):
        return {"action": self.action, "code": self.code, "http_status": self.http_status, "count": self.count,
                "rate": self.rate, "message": self.message, "seed": self.seed,
                "instance_ids": list(self.instance_ids) if self.instance_ids is not None else None}


def named_ids(params):
    """The strings a call's parameters hold (list items, and the items of a JSON-array string such as
    ECS DescribeInstances' InstanceIds, included): what a fault's `instance_ids` are looked up in."""
    named = set()
    for value in params.values():
        if isinstance(value, str):
            named.add(value)
            if value.startswith("["):
                try:
                    items = json.loads(value)
                except ValueError:
                    continue
                if isinstance(items, list):
                    named.update(i for i in items if isinstance(i, str))
        elif isinstance(value, (list, tuple)):
            named.update(i for i in value if isinstance(i, str))
    return named


def _instance_ids(spec):
    """`instance_ids` of a fault: absent, or a non-empty list of id strings (duplicates dropped)."""
    if "instance_ids" not in spec:
        return None
    ids = spec["instance_ids"]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise ControlError("'instance_ids' must be a non-empty list of instance id strings")
    return tuple(dict.fromkeys(ids))


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
        instance_ids = _instance_ids(spec)
        fault = Fault(
            action=str(spec.get("action", "*")),
            code=code,
            http_status=http_status,
            count=count,
            rate=float(rate) if rate is not None else None,
            message=str(spec.get("message") or f"Injected fault: {code}"),
            seed=seed,
            chance=random.Random(seed) if seed is not None else None,
            instance_ids=instance_ids,
            message_given=bool(spec.get("message")),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, action, named=()):
        """The fault this call must answer with as a whole, or None. `named`: the strings the call's
        parameters hold (`named_ids`); a fault with instance_ids applies only when it holds one of them.
        The first fault (in the order added) that applies and fires answers; a counted one is spent."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(action, named) and self._fires(fault):
                    return fault
            return None

    def take_split(self, action, instance_ids):
        """For a call that answers each instance on its own (an ECS batch call with SuccessFirst):
        (the fault that fails it as a whole, or None; {instance id: fault} for the instances answered
        with an error, the others acted on). The faults without instance_ids come first, in the order
        added, as `take` has them; when none fires, each fault with instance_ids among the call's ids
        answers for those of them that no earlier fault has taken, and is spent once for the call."""
        instance_ids = set(instance_ids)
        with self._lock:
            for fault in self._faults:
                if fault.instance_ids is None and fault.matches(action) and self._fires(fault):
                    return fault, {}
            failing = {}
            for fault in list(self._faults):
                if fault.instance_ids is None or not fault.matches(action, instance_ids):
                    continue
                mine = [i for i in fault.instance_ids if i in instance_ids and i not in failing]
                if mine and self._fires(fault):
                    failing.update((i, fault) for i in mine)
            return None, failing

    def _fires(self, fault):
        """Whether a fault that applies to this call fails it (under the lock); a counted one is spent."""
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                self._faults.remove(fault)
            return True
        return (fault.chance or self._random).random() < fault.rate

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
