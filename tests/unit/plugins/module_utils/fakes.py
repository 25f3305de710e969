"""A fake provider (the provider interface, no SDK), with the resource calls too, a fake clock, and the helpers the
core's tests share. tests/contract holds FakeProvider to what the real providers answer."""
import datetime

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CAPACITY, NOT_FOUND, PROTECTED, WRONG_STATE, CloudError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import Runtime
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import make_record
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import provider_module

# state -> the state it moves to after `steps` describes
NEXT = {"pending": "running", "stopping": "stopped", "shutting-down": "terminated"}


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeInstance:
    def __init__(self, state, protected=None, auto_release_time=None, stuck=False, hibernation=True, os_type="linux",
                 exit_code=0, output="", raw_status=None, start_time="2026-01-01T00:00:00Z", tags=None, events=None):
        self.state = state
        self.tags = dict(tags or {})
        self.events = list(events or [])  # scheduled events, as health() reports them
        self.protected = protected
        self.auto_release_time = auto_release_time
        self.stuck = stuck
        self.hibernation = hibernation
        self.age = 0
        self.os_type = os_type
        # instance_command: what a command run on it ends with (raw_status None = by exit code)
        self.exit_code = exit_code
        self.output = output
        self.raw_status = raw_status
        self.start_time = start_time
        self.boots = 0
        self.skips_then = False  # an explicit `exit 0` in Windows content: the wrapper's exit code never runs


class FakeProvider:
    """Instances move one step along NEXT per describe round (unless stuck).

    What the cloud can do, and what it would refuse to snapshot or image, is the real provider's
    (its CAPABILITIES, snapshot_refusal, image_refusal); only the dry-run operations can be chosen."""

    def __init__(self, cloud="aws", instances=None, dry_run_ops=("stop", "terminate", "protection", "auto_release"),
                 protection_in_describe=True):
        self.cloud = cloud
        self.region = "r-1"
        self.instances = dict(instances or {})
        self.calls = []
        real = provider_module(cloud)
        self.capabilities = real.CAPABILITIES._replace(dry_run_ops=frozenset(dry_run_ops))
        self.snapshot_refusal = real.Provider.snapshot_refusal
        self.image_refusal = real.Provider.image_refusal
        self.protection_in_describe = protection_in_describe

    def _record(self, i):
        inst = self.instances[i]
        return make_record(i, self.cloud, self.region, inst.state, raw_state=inst.state,
                           auto_release_time=inst.auto_release_time,
                           deletion_protection=inst.protected if self.protection_in_describe else None,
                           os_type=inst.os_type, start_time=inst.start_time, tags=inst.tags)

    def _known(self, i):
        return i in self.instances and self.instances[i].state != "gone"

    def _not_found(self, i):
        """As EC2 answers an id it does not know (a batch call's error, attributed to that id)."""
        return CloudError("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist" % i, "req-0", instance_id=i,
                          kind=NOT_FOUND)

    def calls_of(self, name, dry_run=None):
        return [c for c in self.calls if c[0] == name and (dry_run is None or c[2] == dry_run)]

    def describe(self, ids):
        assert len(ids) <= 100
        self.calls.append(("describe", list(ids), False))
        for i in ids:
            inst = self.instances.get(i)
            if inst and inst.state in NEXT and not inst.stuck:
                inst.age += 1
                if inst.age >= 2:
                    inst.state, inst.age = NEXT[inst.state], 0
        return dict((i, self._record(i)) for i in ids if self._known(i))

    def list_instances(self, states=None, tags=None):
        self.calls.append(("list", None, False))
        return [self._record(i) for i, inst in self.instances.items() if self._known(i)
                and (not states or inst.state in states) and all(inst.tags.get(k) == str(v) for k, v in (tags or {}).items())]

    def stop(self, ids, force=False, hibernate=False, stopped_mode=None, dry_run=False):
        assert len(ids) <= 100
        self.calls.append(("stop", list(ids), dry_run))
        failures = {}
        for i in ids:
            if not self._known(i):
                failures[i] = self._not_found(i)
                continue
            inst = self.instances[i]
            if hibernate and not inst.hibernation:
                failures[i] = CloudError("UnsupportedHibernationConfiguration", "not configured", "req-1", instance_id=i)
            elif not dry_run:
                inst.state, inst.age = "stopping", 0
        return failures

    def terminate(self, ids, force=False, dry_run=False):
        assert len(ids) <= 100
        self.calls.append(("terminate", list(ids), dry_run))
        failures = {}
        for i in ids:
            if not self._known(i):
                failures[i] = self._not_found(i)
                continue
            inst = self.instances[i]
            if dry_run:
                continue  # as on both clouds, a dry run of the release does not read protection
            if inst.protected:
                failures[i] = CloudError("OperationNotPermitted", "may not be terminated; disableApiTermination", "req-2", instance_id=i,
                                         kind=PROTECTED)
            else:
                inst.state, inst.age = "shutting-down", 0
        return failures

    def set_deletion_protection(self, ids, enabled, dry_run=False):
        return self._modify("protection", ids, dry_run, "protected", enabled)

    def set_auto_release_time(self, ids, value, dry_run=False):
        return self._modify("auto_release", ids, dry_run, "auto_release_time", value)

    def _modify(self, name, ids, dry_run, attribute, value):
        """One attribute of each known instance set (not in a dry run); an unknown id fails alone."""
        self.calls.append((name, list(ids), dry_run))
        failures = dict((i, self._not_found(i)) for i in ids if not self._known(i))
        if not dry_run:
            for i in ids:
                if i not in failures:
                    setattr(self.instances[i], attribute, value)
        return failures

    def health(self, ids):
        self.calls.append(("health", list(ids), False))
        return dict((i, {"instance_status": "ok", "system_status": "ok", "events": list(self.instances[i].events)})
                    for i in ids if self._known(i))

    # --- commands (instance_command) ---
    # A command's result is final on the `command_rounds`-th results call for its invocation. On alicloud an
    # exit code 193/194 (3009/3010) stops/reboots the instance as the agent would; `send_error` refuses the n-th send.
    command_batch_size = 100
    command_rounds = 2
    send_error = None  # (call number, CloudError)
    results_error = None  # CloudError raised by command_results
    command_started_at = "2026-01-01T00:30:15Z"  # ECS result StartTime: minutes after the instances' start_time

    def run_command(self, ids, command):
        assert len(ids) <= self.command_batch_size
        self.calls.append(("run_command", list(ids), dict(command)))
        number = len(self.calls_of("run_command"))
        if self.send_error and self.send_error[0] == number:
            raise self.send_error[1]
        invocation = "inv-%d" % number
        self.invocations = getattr(self, "invocations", {})
        self.invocations[invocation] = {"ids": list(ids), "polls": 0, "command": command}
        return invocation

    def command_results(self, invocation_id, ids):
        self.calls.append(("command_results", list(ids), invocation_id))
        if self.results_error:
            raise self.results_error
        inv = self.invocations[invocation_id]
        inv["polls"] += 1
        found = {}
        for i in ids:
            inst = self.instances[i]
            if inv["polls"] < self.command_rounds:
                found[i] = {"status": None, "raw_status": "Running", "exit_code": None, "output": "", "error_code": None,
                            "error_message": None, "started_at": self.command_started_at}
                continue
            code, then = inst.exit_code, None
            wrapped = [c for c in (193, 194, 3009, 3010) if "exit %d" % c in inv["command"]["content"]]
            if self.cloud == "alicloud" and wrapped and code == 0 and not inst.skips_then:
                code = wrapped[0]  # the wrapper turns the script's success into the agent's exit code
                then = {193: "stop", 194: "restart", 3009: "stop", 3010: "restart"}[code]
            raw = inst.raw_status or ("Success" if code == 0 else "Failed")
            status = {"Success": "success", "Failed": "failed", "Timeout": "timeout", "Cancelled": "cancelled"}.get(raw, "error")
            found[i] = {"status": status, "raw_status": raw, "exit_code": code if status in ("success", "failed") else None,
                        "output": inst.output, "error_code": None, "error_message": None,
                        "started_at": self.command_started_at}
            if then and not inv.get("acted_%s" % i):
                inv["acted_%s" % i] = True
                self._agent_then(inst, then)
        return found

    def _agent_then(self, inst, then):
        if then == "stop":
            inst.state, inst.age = "stopping", 0
        else:
            inst.state, inst.age, inst.boots = "pending", 0, inst.boots + 1
            inst.start_time = "2026-01-01T00:%02d:00Z" % inst.boots

    def reboot(self, ids, dry_run=False, force=False):
        """EC2 stays running through a reboot; ECS goes Starting (pending here), then Running with a new StartTime."""
        assert len(ids) <= 100
        self.calls.append(("reboot", list(ids), dry_run))
        if dry_run:
            return {}  # as EC2's DryRun, which checks permissions only
        failures = {}
        for i in ids:
            if not self._known(i):
                failures[i] = self._not_found(i)
            elif self.instances[i].state != "running":
                failures[i] = CloudError("IncorrectInstanceState", "The instance '%s' is not in a state from which it can be rebooted."
                                         % i, "req-4", instance_id=i, kind=WRONG_STATE)
        for i in ids:
            if i in failures:
                continue
            inst = self.instances[i]
            inst.boots += 1
            if self.cloud == "alicloud" and not self.quick_reboots:
                inst.state, inst.age = "pending", 0
                inst.start_time = "2026-01-01T01:%02d:00Z" % inst.boots
        return failures

    quick_reboots = False  # ECS reboots that end before any poll, in the same StartTime minute

    start_refusals = ()  # ids whose start the cloud refuses (capacity)

    def start(self, ids, dry_run=False):
        assert len(ids) <= 100
        self.calls.append(("start", list(ids), dry_run))
        failures = {}
        for i in ids:
            if not self._known(i):
                failures[i] = self._not_found(i)
            elif i in self.start_refusals:
                failures[i] = CloudError("InsufficientInstanceCapacity", "not enough capacity", "req-3", instance_id=i, kind=CAPACITY)
            elif self.instances[i].state in ("running", "pending"):
                continue  # as on EC2: a start of a running instance is answered as done and changes nothing
            elif not dry_run:
                self.instances[i].state, self.instances[i].age = "pending", 0
        return failures

    def read_protection(self, ids):
        """Like EC2's DescribeInstanceAttribute, one read per instance (ids the cloud does not know are left out)."""
        found = {}
        for i in ids:
            self.calls.append(("read_protection", [i], False))
            if self._known(i):
                found[i] = bool(self.instances[i].protected)
        return found


class ResourceProvider(FakeProvider):
    """FakeProvider plus the resource calls (disks, snapshots, images, launches)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.snapshots = {}
        self.images = {}
        self.image_failures = set()
        self.launched = []
        # EC2 CreateSnapshot(s) take DryRun
        self.capabilities = self.capabilities._replace(dry_run_ops=self.capabilities.dry_run_ops | {"snapshot"})

    def disks(self, ids):
        return dict((i, [{"volume_id": "vol-%s-%d" % (i, n), "device": "/dev/sd%s" % "ab"[n], "root": n == 0}
                         for n in range(2)]) for i in ids if i in self.instances)

    def create_snapshots(self, instance_id, disks, whole, tags, dry_run=False):
        self.calls.append(("create_snapshots", [instance_id], dry_run))
        if dry_run:
            return []
        made = []
        for disk in disks:
            sid = "snap-%d" % (len(self.snapshots) + 1)
            self.snapshots[sid] = {"snapshot_id": sid, "volume_id": disk["volume_id"], "device": disk["device"],
                                   "state": "pending", "tags": tags(disk)}
            made.append(dict(self.snapshots[sid]))
        return made

    def find_snapshots(self, tags):
        return [dict(s) for s in self.snapshots.values() if all(s["tags"].get(k) == v for k, v in tags.items())]

    def snapshot_states(self, ids):
        for sid in ids:
            self.snapshots[sid]["state"] = "completed"
        return dict((sid, {"state": "completed"}) for sid in ids)

    def find_images(self, names):
        return dict((n, dict(self.images[n])) for n in names if n in self.images)

    def create_image(self, instance_id, name, tags, dry_run=False):
        self.calls.append(("create_image", [instance_id], dry_run))
        if instance_id in self.image_failures:
            raise CloudError("IncorrectInstanceState", "cannot image %s" % instance_id, "req-9", kind=WRONG_STATE)
        if dry_run:
            return None
        self.images[name] = {"image_id": "ami-%d" % (len(self.images) + 1), "name": name, "state": "pending", "snapshot_ids": []}
        return self.images[name]["image_id"]

    def image_states(self, ids):
        for img in self.images.values():
            if img["image_id"] in ids:
                img["state"] = "available"
        return dict((i, {"state": "available"}) for i in ids)

    def delete_image(self, img, delete_snapshots=False, dry_run=False):
        self.calls.append(("delete_image", [img["image_id"]], dry_run))
        if not dry_run:
            del self.images[img["name"]]

    def find_tagged(self, key, values, states=("pending", "running", "stopping", "stopped")):
        return [self._record(i) for i in self.instances if self.instances[i].tags.get(key) in values
                and self.instances[i].state in states]

    def details(self, ids):
        return dict((i, {"instance_type": "t3.micro", "image_id": "ami-src", "subnet_id": "subnet-1", "security_group_ids": ["sg-1"],
                         "key_name": "k", "zone": "z", "root_device": "/dev/sda", "tags": dict(self.instances[i].tags),
                         "disks": []}) for i in ids if i in self.instances)

    def launch(self, config, image_id, tags, client_token, dry_run=False):
        self.calls.append(("launch", [image_id], dry_run))
        if dry_run:
            return None
        new_id = aws_id(1000 + len(self.launched))
        inst = FakeInstance("pending")
        inst.tags = dict(tags)
        self.instances[new_id] = inst
        self.launched.append((new_id, config, image_id, tags, client_token))
        return new_id


class EcsResourceProvider(ResourceProvider):
    """The ECS side: CreateImage from DiskDeviceMapping, snapshots that know their disk's type and size."""

    def __init__(self, **kwargs):
        super().__init__(cloud="alicloud", **kwargs)
        self.capabilities = self.capabilities._replace(dry_run_ops=self.capabilities.dry_run_ops - {"snapshot"})  # ECS: no DryRun
        self.mappings = {}

    def disks(self, ids):
        return dict((i, [{"volume_id": "d-%s-%d" % (i, n), "disk_id": "d-%s-%d" % (i, n), "device": "/dev/xvd%s" % "ab"[n],
                          "root": n == 0} for n in range(2)]) for i in ids if i in self.instances)

    def create_snapshots(self, instance_id, disks, whole, tags, dry_run=False):
        made = super().create_snapshots(instance_id, disks, whole, tags, dry_run)
        for s in made:
            self.snapshots[s["snapshot_id"]].update(root=s["device"] == "/dev/xvda", size=20)
        return [dict(self.snapshots[s["snapshot_id"]]) for s in made]

    def create_image_from_snapshots(self, name, mapping, tags, client_token, dry_run=False):
        self.calls.append(("create_image_from_snapshots", [name], dry_run))
        if dry_run:
            return None
        image_id = "m-%d" % (len(self.images) + 1)
        self.images[name] = {"image_id": image_id, "name": name, "state": "pending",
                             "snapshot_ids": [d["snapshot_id"] for d in mapping], "tags": tags}
        self.mappings[name] = mapping
        return image_id


# A fixed "now" for the tests that compute release times.
NOW = datetime.datetime(2026, 11, 22, 4, 0, 0, tzinfo=datetime.timezone.utc)


def fleet(*states, cloud="aws", **kwargs):
    """One fake instance per state (FakeInstance options in kwargs): (ids, provider)."""
    make = aws_id if cloud == "aws" else ecs_id
    ids = [make(n + 1) for n in range(len(states))]
    return ids, FakeProvider(cloud=cloud, instances=dict((i, FakeInstance(s, **kwargs)) for i, s in zip(ids, states)))


def runtime(provider, clock=None, now=None):
    clock = clock or FakeClock()
    return Runtime(environ={}, provider_factory=lambda conn: provider, clock=clock.clock, sleep=clock.sleep, now=now)


def aws_id(n):
    return "i-%017x" % n


def ecs_id(n):
    return "i-bp%018d" % n


def params(cloud="aws", **kwargs):
    base = dict(cloud=cloud, region="r-1", access_key=None, secret_key=None, security_token=None, profile=None,
                endpoint_url=None, retry_max_attempts=8, wait=True, wait_timeout=600, force=False)
    base.update(kwargs)
    return base
