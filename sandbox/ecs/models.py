"""ECS state machine: instances, disks, snapshots and images on the shared sandbox clock.

Knows nothing of HTTP. Every public method takes plain Python values and returns plain
dicts/lists shaped as ECS returns them; a domain error is an `EcsError`. One lock guards
the whole model (the server is threaded).

Transitional states are lazy: an instance stores its status, the status it is heading to
and the clock time it gets there; reads settle it. Auto-release is carried out on every
read and from `settle_all()` (called when the clock is advanced).

Choices where ECS docs are silent or vague (documented here so the module-writer knows):
- Stopping a Stopped instance is IncorrectInstanceStatus (403), as ECS answers; stopping a
  Stopping one is accepted and changes nothing (a ForceStop may unstick it, see below).
- An AutoReleaseTime too soon (< 30 min) or too late (> 3 years) is answered with
  InvalidAutoReleaseTime.Malformed (400): ECS documents no separate code and answers that one.
- AutoReleaseTime is returned as yyyy-MM-ddTHH:mmZ (as DescribeInstances does); both that and
  yyyy-MM-ddTHH:mm:ssZ are accepted on input, so a value read back can be sent again.
- A singular action's DryRun (StopInstance, DeleteInstance, RunInstances, ...) checks parameters,
  existence, status and deletion protection before answering DryRunOperation: stricter than ECS
  rather than looser, so a dry run that passes here predicts a real call that passes. The batch
  actions' dry runs answer DRYRUN.SUCCESS and check what their references say (see `_batch` and
  `delete_instances`): with SuccessFirst, and for DeleteInstances, that is less than a real call needs.
- Auto-release ignores deletion protection (protection guards DeleteInstance(s) only).
- A stuck rule (control API) holds an instance in that status: the timed transition out of
  it does not happen and a normal call does not move it; a forced call moves it only when
  the rule says force works.
- StartTime (yyyy-MM-ddTHH:mmZ, as DescribeInstances documents it) is the clock time the
  instance last reached Running: after launch, after every start and when a reboot completes;
  empty until it first runs. A client that needs to see a reboot inside one minute compares
  it with the sandbox clock rather than with itself.
- A Cloud Assistant exit code 193/194 stops/reboots the instance from inside the guest
  (`stop_from_guest` / `reboot_from_guest`): the normal Stopping/Starting transitions, no
  API call recorded.
- Regions: instances, disks, snapshots, self-owned images and Cloud Assistant invocations
  belong to the region they were made in (see REGIONS); public images exist in every region.
  An action whose request has a RegionId (RunInstances, DescribeInstances, StopInstances, ...)
  sees only that region: another region's resource answers exactly as an unknown id does.
  Actions whose SDK request model has no RegionId at all (StopInstance, StartInstance,
  RebootInstance, DeleteInstance, ModifyInstanceAttribute, CreateSnapshot) find the resource
  by id in whatever region it is in: the real cloud routes them by the regional endpoint the
  client calls, and the sandbox has one endpoint for every region. Ids are unique across
  regions, so the control API (stuck, events, health, image failures) also works by id alone.
- A method's `region=None` means "any region" (region-less actions, the control API); the
  HTTP layer checks RegionId (missing, unknown) before it calls the model.

Fidelity to the ECS API reference (each rule cites its source next to the code):
- Launch: Pending, then Starting, then Running, each step lasting its duration (transition_seconds, or
  a --transition-profile draw per instance and state) ("Instance
  lifecycle", doc 25380: Pending "after an instance is created ... before it enters the Starting
  state"; Starting "after an instance is created, started, or restarted ... before Running").
- Dry runs: the batch actions (StopInstances, StartInstances, RebootInstances, DeleteInstances)
  answer DRYRUN.SUCCESS (400), the singular ones and RunInstances DryRunOperation (400); see
  `dry_run_success`.
- A security lock (OperationLocks.LockReason "security", set by the control API) refuses what
  doc 25695 and the actions' own references refuse, with InstanceLockedForSecurity (403); see
  `_check_lock` for the list and the one conflict between the sources.
- CreateSnapshot and CreateImage from an instance (InstanceId) refuse an instance that is not Running or
  Stopped (a Pending, Starting or Stopping one: one held in Stopping too) with 400 IncorrectInstanceStatus, as
  their references and error tables say; CreateSnapshot also a disk whose instance has never been started. See
  `_check_snapshot_instance` and `create_image`.
- Subscription (PrePaid) instances have an ExpiredTime; release and auto-release refuse them with
  ChargeTypeViolation (403); when ExpiredTime passes they read Stopped (doc 25380: "Expired ...
  Stopped") and StartInstance(s) refuse them with InstanceExpired (403).
"""
import calendar
import fnmatch
import random
import threading
import time
from dataclasses import dataclass, field

# ECS statuses
PENDING, STARTING, RUNNING, STOPPING, STOPPED = "Pending", "Starting", "Running", "Stopping", "Stopped"
# Codes DescribeInstancesFullStatus reports next to the names (ECS reports both).
STATUS_CODES = {PENDING: 0, RUNNING: 1, STARTING: 2, STOPPING: 3, STOPPED: 4}
HEALTH_CODES = {"Ok": 0, "Impaired": 1, "Initializing": 2, "InsufficientData": 3, "Maintaining": 128}

MIN_RELEASE_DELAY = 30 * 60
MAX_RELEASE_DELAY = 3 * 366 * 24 * 3600

# The regions the sandbox serves: RegionId -> (LocalName in zh-CN, LocalName in English, zones, the
# first being the default zone). Region ids and English names as the ECS API reference for
# DescribeRegions gives them (https://www.alibabacloud.com/help/en/doc-detail/25609.htm), zone ids
# of the form <RegionId>-<letter> as ECS names its zones; the zh-CN names are the ones Alibaba
# Cloud's Chinese documentation uses. DescribeRegions' AcceptLanguage defaults to zh-CN (the SDK's
# DescribeRegionsRequest docstring); any other language is answered in English (a sandbox choice).
REGIONS = {
    "cn-hangzhou": ("华东1（杭州）", "China (Hangzhou)",
                    ("cn-hangzhou-i", "cn-hangzhou-h", "cn-hangzhou-j", "cn-hangzhou-k")),
    "cn-shanghai": ("华东2（上海）", "China (Shanghai)", ("cn-shanghai-l", "cn-shanghai-m", "cn-shanghai-n")),
    "cn-beijing": ("华北2（北京）", "China (Beijing)", ("cn-beijing-h", "cn-beijing-i", "cn-beijing-k", "cn-beijing-l")),
    "ap-southeast-1": ("新加坡", "Singapore", ("ap-southeast-1-c", "ap-southeast-1-a", "ap-southeast-1-b")),
}
REGION = "cn-hangzhou"  # the env file's ALIBABA_CLOUD_REGION_ID, and the region of a model call that names none
DEFAULT_ZONE = REGIONS[REGION][2][0]


def region_endpoint(region_id):
    """The regional endpoint, ecs.<RegionId>.aliyuncs.com (the form the ECS endpoint list gives)."""
    return f"ecs.{region_id}.aliyuncs.com"


def check_region(region_id):
    """InvalidRegionId.NotFound (404) for a RegionId the sandbox does not serve: the real service's
    answer, as quoted in kubernetes/cloud-provider-alibaba-cloud issue #81 ("Status Code: 404
    Code: InvalidRegionId.NotFound Message: The specified RegionId does not exist.")."""
    if region_id not in REGIONS:
        raise EcsError("InvalidRegionId.NotFound", 404, "The specified RegionId does not exist.")
    return region_id


PUBLIC_IMAGES = [
    # (ImageId, OSType, OSName, Platform, size GiB)
    ("aliyun_3_x64_20G_alibase_20240819.vhd", "linux", "Alibaba Cloud Linux 3.2104 LTS 64 bit", "Aliyun", 20),
    ("ubuntu_22_04_x64_20G_alibase_20240818.vhd", "linux", "Ubuntu 22.04 64 bit", "Ubuntu", 20),
    ("win2022_21H2_x64_dtc_en-us_40G_alibase_20240815.vhd", "windows",
     "Windows Server 2022 Datacenter 64 bit English", "Windows Server 2022", 40),
]


# What DescribeInstances reports of an instance type: vCPUs, memory (MiB, the unit of Memory in the
# DescribeInstances reference), GPU count and GPU model. The published sizes of the instance families
# ("Classification and naming of instance types" and the per-family pages of the ECS docs). A type not
# listed is sized from its name as that naming page describes it: ecs.<family>.<size>, the size word
# giving the vCPUs (large = 2, xlarge = 4, Nxlarge = 4N) and the family its memory per vCPU (c 2 GiB,
# g 4 GiB, r 8 GiB; a "-cXmY" family X:Y). RunInstances does not refuse an unlisted type.
INSTANCE_TYPES = {
    "ecs.g7.large": (2, 8192, 0, ""), "ecs.g7.xlarge": (4, 16384, 0, ""), "ecs.g7.2xlarge": (8, 32768, 0, ""),
    "ecs.g6.large": (2, 8192, 0, ""), "ecs.c7.large": (2, 4096, 0, ""), "ecs.c7.xlarge": (4, 8192, 0, ""),
    "ecs.r7.large": (2, 16384, 0, ""), "ecs.r7.xlarge": (4, 32768, 0, ""),
    "ecs.t6-c1m1.large": (2, 2048, 0, ""), "ecs.t6-c1m2.large": (2, 4096, 0, ""), "ecs.e-c1m2.large": (2, 4096, 0, ""),
    "ecs.u1-c1m2.large": (2, 4096, 0, ""),
    "ecs.gn6i-c4g1.xlarge": (4, 15360, 1, "NVIDIA T4"), "ecs.gn7i-c8g1.2xlarge": (8, 30720, 1, "NVIDIA A10"),
}
_SIZE_VCPUS = {"small": 1, "medium": 1, "large": 2, "xlarge": 4}
_GIB_PER_VCPU = {"c": 2, "g": 4, "r": 8}
BURSTABLE_FAMILIES = ("ecs.t5", "ecs.t6")  # CreditSpecification applies to these only (DescribeInstances reference)


def instance_type_family(instance_type):
    """ecs.g7.large -> ecs.g7, ecs.t6-c1m1.large -> ecs.t6 (InstanceTypeFamily as DescribeInstances reports it)."""
    parts = instance_type.split(".")
    return "ecs." + parts[1].split("-")[0] if len(parts) >= 3 else instance_type


def instance_type_spec(instance_type):
    """(vCPUs, memory MiB, GPU amount, GPU spec) of an instance type: the table, else from its name."""
    if instance_type in INSTANCE_TYPES:
        return INSTANCE_TYPES[instance_type]
    parts = instance_type.split(".")
    size = parts[-1] if len(parts) >= 3 else "large"
    if size in _SIZE_VCPUS:
        vcpus = _SIZE_VCPUS[size]
    elif size.endswith("xlarge") and size[:-6].isdigit():
        vcpus = 4 * int(size[:-6])
    else:
        vcpus = 2
    family = parts[1] if len(parts) >= 3 else ""
    ratio = _GIB_PER_VCPU.get(family[:1], 4)
    if "-c" in family and "m" in family.split("-c", 1)[1]:
        cpu_part, mem_part = family.split("-c", 1)[1].split("m", 1)
        if cpu_part.isdigit() and mem_part[:1].isdigit():
            ratio = int("".join(ch for ch in mem_part if ch.isdigit()) or 1) / max(int(cpu_part), 1)
    return vcpus, int(vcpus * ratio * 1024), 0, ""


# LockReason values DescribeInstances documents (its SDK request model's LockReason docstring); only
# "security" changes what the API allows (see EcsModel._check_lock).
LOCK_REASONS = ("financial", "security", "Recycling", "dedicatedhostfinancial", "refunded")
PREPAID, POSTPAID = "PrePaid", "PostPaid"
# A pay-as-you-go instance's ExpiredTime, as the real service reports it (the DescribeInstances reference's
# response example and kubernetes-sigs/alibaba-cloud-csi-driver's recorded DescribeInstances answers).
POSTPAID_EXPIRED_TIME = "2099-12-31T15:59Z"
# RunInstances' Period values per PeriodUnit (its SDK docstring: Week 1-4; Month 1-9, 12, 24, 36, 48, 60).
PERIODS = {"Week": (1, 2, 3, 4), "Month": (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60)}


def subscription_end(start, period, unit):
    """When a subscription bought at `start` for `period` `unit`s ends: the time a period later,
    rounded up to the next 16:00Z (midnight UTC+8), as ExpiredTime values read (the DescribeInstances
    reference's example: created 2017-12-10T04:04Z, one week, ExpiredTime 2017-12-17T16:00Z)."""
    if unit == "Week":
        end = start + period * 7 * 86400
    else:
        t = time.gmtime(start)
        month0 = t.tm_mon - 1 + period
        year, month = t.tm_year + month0 // 12, month0 % 12 + 1
        day = min(t.tm_mday, calendar.monthrange(year, month)[1])
        end = calendar.timegm((year, month, day, t.tm_hour, t.tm_min, t.tm_sec, 0, 0, 0))
    boundary = end - (end - 16 * 3600) % 86400
    return boundary if boundary >= end else boundary + 86400


class EcsError(Exception):
    """A domain error, rendered by the HTTP layer in ECS's error format."""

    def __init__(self, code, http_status, message):
        super().__init__(message)
        self.code, self.http_status, self.message = code, http_status, message


def not_found(kind, ident):
    return EcsError(f"Invalid{kind}Id.NotFound", 404, f"The specified {kind}Id {ident} does not exist.")


def incorrect_status(status):
    return EcsError("IncorrectInstanceStatus", 403,
                    f"The current status of the resource does not support this operation. (status: {status})")


def dry_run_passed():
    return EcsError("DryRunOperation", 400, "Request validation has been passed with DryRun flag set.")


def dry_run_success():
    """The batch actions' passing dry run. Code, HTTP status and message from the error tables of the
    StopInstances, StartInstances, RebootInstances and DeleteInstances API references ("400
    DRYRUN.SUCCESS This request is a dryrun request with successful result."), and their SDK
    docstrings ("If the check succeeds, DRYRUN.SUCCESS is returned")."""
    return EcsError("DRYRUN.SUCCESS", 400, "This request is a dryrun request with successful result.")


def locked_for_security():
    """InstanceLockedForSecurity (403) with the message of the StopInstance, DeleteInstance and
    ReActivateInstances error tables."""
    return EcsError("InstanceLockedForSecurity", 403,
                    "The specified operation is denied as your instance is locked for security reasons.")


def charge_type_violation():
    """ChargeTypeViolation (403), "The operation is not permitted due to charge type of the instance."
    (DeleteInstance and ModifyInstanceAutoReleaseTime error tables)."""
    return EcsError("ChargeTypeViolation", 403, "The operation is not permitted due to charge type of the instance.")


def still_initializing():
    """IncorrectInstanceStatus.Initializing (403) with the DeleteInstance error table's message (its
    description: "The specified instance cannot be released at this time. Try again later.")."""
    return EcsError("IncorrectInstanceStatus.Initializing", 403, "The specified instance status does not support "
                                                                 "this operation.")


def invalid(message, code="InvalidParameter"):
    return EcsError(code, 400, message)


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


@dataclass
class Instance:
    id: str
    seq: int
    name: str
    instance_type: str
    image_id: str
    os_type: str
    vswitch_id: str
    security_group_ids: list
    zone_id: str
    tags: dict
    deletion_protection: bool
    created: float
    status: str = PENDING
    target: str = STARTING  # where the current transition leads, if any (a launch: Starting, then Running)
    until: float = None  # clock time the transition completes; None = stable
    forced: bool = False  # the transition was forced (a stuck rule with force_works yields)
    auto_release_at: float = None
    stopped_mode: str = "Not-applicable"
    disk_ids: list = field(default_factory=list)
    started: float = None  # clock time it last reached Running (StartTime); None = still initializing
    region: str = REGION  # RunInstances' RegionId
    os_name: str = ""  # its image's OSName (English)
    charge_type: str = POSTPAID  # InstanceChargeType
    expired_at: float = None  # a PrePaid instance's ExpiredTime
    expired: bool = False  # a PrePaid instance whose ExpiredTime has passed (it reads Stopped)
    description: str = ""
    host_name: str = ""
    user_data: str = ""  # as RunInstances / ModifyInstanceAttribute got it (Base64)
    key_pair_name: str = ""
    internet_charge_type: str = "PayByTraffic"  # RunInstances' default (its SDK docstring)
    bandwidth_out: int = 0
    bandwidth_in: int = 10
    spot_strategy: str = "NoSpot"
    spot_price_limit: float = 0.0
    io_optimized: bool = True
    private_ip: str = ""
    public_ip: str = ""
    serial_number: str = ""
    mac_address: str = ""
    eni_id: str = ""
    locks: list = field(default_factory=list)  # OperationLocks.LockReason values (control API: locks)


@dataclass
class Disk:
    id: str
    instance_id: str
    type: str  # system | data
    category: str
    size: int
    device: str
    image_id: str
    created: float
    region: str = REGION  # its instance's region
    source_snapshot: str = ""  # DescribeDisks SourceSnapshotId: the snapshot it was made from, if any


@dataclass
class Snapshot:
    id: str
    seq: int
    name: str
    disk: Disk
    tags: dict
    created: float
    ready_at: float
    region: str = REGION  # its disk's region


@dataclass
class Image:
    id: str
    seq: int
    name: str
    os_type: str
    os_name: str
    platform: str
    size: int
    owner: str  # system | self
    tags: dict
    created: float
    ready_at: float
    source_instance: str = None
    source_snapshot: str = None
    region: str = None  # CreateImage's RegionId; None for a public image, which every region has
    # DescribeImages DiskDeviceMappings: [{type, device, size, snapshot_id, category}], the system disk first;
    # empty for a public image (rendered as its system disk alone)
    disk_mappings: list = field(default_factory=list)


def _locked(method):
    def wrapper(self, *args, **kwargs):
        with self.lock:
            self._release_due()
            return method(self, *args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _record(obj):
    """A dataclass as a JSON-able dict (its lists and dicts copied: it is written outside the lock)."""
    record = {}
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        record[name] = list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
    return record


def _from_record(cls, record, **override):
    """The dataclass back from _record's dict; keys it does not have are left out."""
    known = cls.__dataclass_fields__
    return cls(**{**{k: v for k, v in record.items() if k in known}, **override})


class EcsModel:
    def __init__(self, ctx, overrides):
        self.ctx = ctx
        self.overrides = overrides
        self.lock = threading.RLock()
        self.changed = lambda: None  # called after a change no API call made (the state file's saver)
        self.reset()

    # ---- the state file (sandbox.state_file) -----------------------------------------------

    @_locked
    def export_state(self):
        """Every instance, disk, snapshot and self-made image, as JSON: times still ahead as what is
        left of them (a transition resumes with that much left), others as they are; with the earliest
        sandbox time the model changes by itself (or None)."""
        from sandbox.clock import saved_time

        now = self._now()
        ahead = []
        instances = []
        for inst in self.instances.values():
            self._settle(inst, now)
            record = _record(inst)
            record["until"] = None if inst.until is None else saved_time(inst.until, now)
            instances.append(record)
            ahead += [t for t in (inst.until, inst.auto_release_at,
                                  None if inst.expired else inst.expired_at) if t is not None and t > now]
        snapshots = []
        for snap in self.snapshots.values():
            record = _record(snap)
            record["disk"], record["ready_at"] = _record(snap.disk), saved_time(snap.ready_at, now)
            snapshots.append(record)
        images = []
        for image in self.images.values():
            if image.owner == "self":
                record = _record(image)
                record["ready_at"] = saved_time(image.ready_at, now)
                images.append(record)
        ahead += [t.ready_at for t in list(self.snapshots.values()) + list(self.images.values()) if t.ready_at > now]
        version, internal, gauss = self._rng.getstate()
        return {
            "instances": instances, "disks": [_record(d) for d in self.disks.values()], "snapshots": snapshots,
            "images": images, "image_failures": sorted(self.image_failures), "seq": self._seq,
            "rng": [version, list(internal), gauss],
        }, (min(ahead) if ahead else None)

    def import_state(self, state):
        """Into a new model (nothing served yet): what export_state gave, times resumed at the clock's now."""
        from sandbox.clock import restored_time

        with self.lock:
            self.reset()
            now = self._now()
            for record in state.get("instances", ()):
                inst = _from_record(Instance, record, until=restored_time(record.get("until"), now))
                self.instances[inst.id] = inst
                if inst.auto_release_at is not None:
                    self._release_at[inst.id] = inst.auto_release_at
            for record in state.get("disks", ()):
                disk = _from_record(Disk, record)
                self.disks[disk.id] = disk
            for record in state.get("snapshots", ()):
                disk = self.disks.get(record["disk"]["id"]) or _from_record(Disk, record["disk"])
                snap = _from_record(Snapshot, record, disk=disk, ready_at=restored_time(record["ready_at"], now))
                self.snapshots[snap.id] = snap
            for record in state.get("images", ()):
                image = _from_record(Image, record, ready_at=restored_time(record["ready_at"], now))
                self.images[image.id] = image
            self.image_failures = set(state.get("image_failures", ()))
            self._seq = max(self._seq, int(state.get("seq", 0)))
            if state.get("rng"):
                version, internal, gauss = state["rng"]
                self._rng.setstate((version, tuple(internal), gauss))

    # ---- bookkeeping -------------------------------------------------------------------

    def reset(self):
        with self.lock:
            self._rng = random.Random(f"ecs:{self.ctx.seed}") if self.ctx.seed is not None else random.Random()
            self.instances = {}  # id -> Instance, in launch order
            self.disks = {}
            self.snapshots = {}
            self.images = {}
            self.image_failures = set()  # instance ids whose CreateImage fails
            self._release_at = {}  # id -> epoch, only instances with an auto-release time
            self._seq = 0
            for image_id, os_type, os_name, platform, size in PUBLIC_IMAGES:
                self._seq += 1
                self.images[image_id] = Image(image_id, self._seq, image_id, os_type, os_name, platform, size,
                                              "system", {}, 1723000000.0, 0.0)

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

    # ---- the state machine ---------------------------------------------------------------

    def _held(self, inst, status):
        """True when a stuck rule keeps `inst` in `status` (a force that works releases it)."""
        rule = self.overrides.stuck_rule(inst.id)
        if rule is None or rule.state.lower() != status.lower():
            return False
        return not (inst.forced and rule.force_works)

    def _settle(self, inst, now=None):
        """Complete the transitions whose time has come; return the current status.

        A launch is two steps: Pending, then Starting (which begins when Pending ends, not when it is
        read), then Running (doc 25380, "Instance lifecycle")."""
        now = now or self._now()
        while inst.until is not None and now >= inst.until and not self._held(inst, inst.status):
            reached_at = inst.until
            came_from = inst.status
            inst.status, inst.until, inst.forced = inst.target, None, False
            if inst.status == STARTING and came_from == PENDING:
                inst.target, inst.until = RUNNING, reached_at + self.ctx.durations.seconds("ecs", inst.id, STARTING)
            elif inst.status == RUNNING:
                inst.stopped_mode = "Not-applicable"
                inst.started = reached_at
        if inst.charge_type == PREPAID and not inst.expired and inst.expired_at is not None and now >= inst.expired_at:
            # an expired subscription instance is Stopped (doc 25380: console "Expired" = API Stopped)
            inst.expired, inst.status, inst.until, inst.forced = True, STOPPED, None, False
        return inst.status

    @staticmethod
    def _initializing(inst):
        """Pending, or Starting after its launch: it has never been Running (StartTime empty)."""
        return inst.started is None and inst.status in (PENDING, STARTING)

    @staticmethod
    def _check_lock(inst):
        """A security lock refuses, with InstanceLockedForSecurity (403), what "API behavior when an instance
        is locked for security reasons" (doc 25695) lists as affected: StartInstance, RebootInstance(s),
        ModifyInstanceAttribute, ModifyInstanceAutoReleaseTime and CreateImage from the instance;
        CreateSnapshot of its In_use disks (the table's earlier version). StartInstances and StopInstances
        are refused as their own references say ("You cannot call this operation to ... instances that are
        locked for security reasons", both updated 2025-12). StopInstance: doc 25695 lists it as
        unaffected, while StopInstance's own reference (updated 2025-12) says a locked instance cannot be
        stopped; the sandbox refuses it (stricter, so a stop that passes here passes there).
        Unaffected: DeleteInstance(s) (released with their disks, the DeleteInstance reference says),
        DescribeInstances, DescribeInstanceStatus, DescribeUserData and the other reads."""
        if "security" in inst.locks:
            raise locked_for_security()

    def _begin(self, inst, through, target, forced=False):
        """Enter transitional status `through`, reaching `target` after its duration (the profile's draw for
        this instance, or transition_seconds)."""
        if self._held(inst, inst.status) and not (forced and self.overrides.stuck_rule(inst.id).force_works):
            return  # stuck where it is: a normal call does not move it
        inst.status, inst.target, inst.forced = through, target, forced
        inst.until = self._now() + self.ctx.durations.seconds("ecs", inst.id, through)

    def _release_due(self):
        if not self._release_at:
            return
        now = self._now()
        for instance_id in [i for i, at in self._release_at.items() if at <= now]:
            self._remove(instance_id)

    def _remove(self, instance_id):
        inst = self.instances.pop(instance_id)
        self._release_at.pop(instance_id, None)
        for disk_id in inst.disk_ids:
            self.disks.pop(disk_id, None)

    def _get(self, instance_id, region=None):
        """The instance, settled; one of another region than `region` is as unknown as a wrong id."""
        inst = self.instances.get(instance_id)
        if inst is None or (region is not None and inst.region != region):
            raise not_found("Instance", instance_id)
        self._settle(inst)
        return inst

    def _check_release_time(self, text):
        at = parse_release_time(text)
        delay = at - self._now()
        if delay < MIN_RELEASE_DELAY or delay > MAX_RELEASE_DELAY:
            raise EcsError("InvalidAutoReleaseTime.Malformed", 400,
                           "The specified AutoReleaseTime must be at least 30 minutes and at most "
                           "3 years later than the current time.")
        return at

    @_locked
    def settle_all(self):
        """Carry out what the clock makes due (auto-release is done by the decorator)."""
        now = self._now()
        for inst in self.instances.values():
            self._settle(inst, now)

    @_locked
    def known(self, instance_ids):
        """The ids of instances that exist, in any region (the control API works by id alone)."""
        return [i for i in instance_ids if i in self.instances]

    # ---- regions -------------------------------------------------------------------------

    @staticmethod
    def describe_regions(language=None):
        """DescribeRegions' Region items (shape: the SDK's DescribeRegionsResponseBody)."""
        chinese = (language or "zh-CN") == "zh-CN"
        return [{"RegionId": region_id, "LocalName": zh if chinese else en,
                 "RegionEndpoint": region_endpoint(region_id), "Status": "available"}
                for region_id, (zh, en, _zones) in REGIONS.items()]

    # ---- instances -----------------------------------------------------------------------

    @_locked
    def run_instances(self, image_id, instance_type, amount=1, vswitch_id=None, security_group_ids=(),
                      instance_name=None, tags=None, deletion_protection=False, auto_release_time=None,
                      zone_id=None, system_disk=None, data_disks=(), dry_run=False, region=REGION,
                      charge_type=POSTPAID, period=None, period_unit="Month", description="", host_name=None,
                      user_data="", key_pair_name="", internet_charge_type="PayByTraffic", bandwidth_out=0,
                      bandwidth_in=None, spot_strategy="NoSpot", spot_price_limit=0.0, io_optimized=True):
        """The HTTP layer has checked the parameters' form (Period against PeriodUnit, UserData Base64, ...)."""
        zones = REGIONS[check_region(region)][2]
        image = self.images.get(image_id)
        if image is None or not self._image_in(image, region) or self._image_status(image) != "Available":
            raise EcsError("InvalidImageId.NotFound", 404, f"The specified ImageId {image_id} does not exist.")
        disk_specs = self._launch_disks(image, system_disk, data_disks)
        if zone_id and zone_id not in zones:
            # ECS's code for a zone it does not know (404), e.g. in the CreateCapacityReservation and
            # CreateDisk error tables: a zone of another region is not a zone of this one.
            raise EcsError("InvalidZoneId.NotFound", 404, "The specified zone does not exist.")
        release_at = self._check_release_time(auto_release_time) if auto_release_time else None
        if dry_run:
            raise dry_run_passed()
        now = self._now()
        ids = []
        for _ in range(amount):
            seq = self._next_seq()
            inst = Instance(
                id=self._new_id("i-", self.instances), seq=seq, name=instance_name or "",
                instance_type=instance_type, image_id=image_id, os_type=image.os_type,
                vswitch_id=vswitch_id or "", security_group_ids=list(security_group_ids),
                zone_id=zone_id or zones[0], tags=dict(tags or {}), deletion_protection=deletion_protection,
                created=now, until=now + float(self.ctx.transition_seconds), auto_release_at=release_at,
                region=region, os_name=image.os_name, charge_type=charge_type, description=description or "",
                user_data=user_data or "", key_pair_name=key_pair_name or "",
                internet_charge_type=internet_charge_type or "PayByTraffic", bandwidth_out=bandwidth_out or 0,
                spot_strategy=spot_strategy or "NoSpot", spot_price_limit=spot_price_limit or 0.0,
                io_optimized=io_optimized,
            )
            inst.name = inst.name or inst.id
            inst.until = now + self.ctx.durations.seconds("ecs", inst.id, PENDING)  # the profile's draw, by id
            self._place(inst, seq, host_name, bandwidth_in)
            if charge_type == PREPAID:
                inst.expired_at = subscription_end(now, period, period_unit)
            for kind, category, size, device, snapshot_id in disk_specs:
                disk = Disk(self._new_id("d-", self.disks), inst.id, kind, category, int(size), device,
                            image_id if kind == "system" else "", now, region=region, source_snapshot=snapshot_id)
                self.disks[disk.id] = disk
                inst.disk_ids.append(disk.id)
            self.instances[inst.id] = inst
            if release_at is not None:
                self._release_at[inst.id] = release_at
            ids.append(inst.id)
        return ids

    @staticmethod
    def _place(inst, seq, host_name, bandwidth_in):
        """Addresses, hostname and serial number of a new instance, derived from its id and launch sequence
        (not from the model's random generator, so seeded ids stay what they were).

        - HostName: RunInstances' HostName with "${instance_id}" replaced (its SDK docstring), else the
          default the real service gives, "iZ" + the id without "i-" + "Z" (e.g. iZ2zec1slzwdzrwmvlr4w2Z
          for i-2zec1slzwdzrwmvlr4w2 in recorded DescribeInstances answers), cut to 15 characters for
          Windows (RunInstances: a Windows hostname is 2 to 15 characters).
        - InternetMaxBandwidthIn: RunInstances' default, 10 when Out <= 10, else Out (its SDK docstring).
        - A public IP only when InternetMaxBandwidthOut > 0 ("instances created by RunInstances have
          Internet IPs allocated if you set the value of InternetMaxBandwidthOut greater than 0",
          RunInstances reference); a VPC private address from 172.16.0.0/12, a classic inner one from
          10.0.0.0/8; the primary ENI's MAC in Alibaba Cloud's 00:16:3e OUI (as in the reference's example).
        """
        digest = random.Random(f"{inst.id}:placement")
        if host_name:
            inst.host_name = host_name.replace("${instance_id}", inst.id)
        else:
            inst.host_name = "iZ" + inst.id[2:] + "Z"
            if inst.os_type == "windows":
                inst.host_name = inst.host_name[:14] + "Z"
        inst.bandwidth_in = bandwidth_in if bandwidth_in else (10 if inst.bandwidth_out <= 10 else inst.bandwidth_out)
        low, high = seq % 250 + 2, seq // 250 % 256
        inst.private_ip = f"172.16.{high}.{low}" if inst.vswitch_id else f"10.80.{high}.{low}"
        if inst.bandwidth_out > 0:
            inst.public_ip = f"47.96.{high}.{low}"
        hex_digits = "".join(digest.choice("0123456789abcdef") for _ in range(32))
        inst.serial_number = "-".join((hex_digits[:8], hex_digits[8:12], hex_digits[12:16], hex_digits[16:20],
                                       hex_digits[20:]))
        inst.mac_address = "00:16:3e:" + ":".join(f"{digest.randrange(256):02x}" for _ in range(3))
        inst.eni_id = "eni-bp1" + "".join(digest.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17))

    @staticmethod
    def _os_names(os_name):
        """(OSName, OSNameEn): DescribeInstances reports OSName in Chinese and OSNameEn in English, e.g.
        "CentOS  7.6 64位" / "CentOS  7.6 64 bit" (its reference's response example)."""
        return os_name.replace("64 bit", "64位"), os_name

    def _render(self, inst):
        """One DescribeInstances Instance, every field of the SDK's
        DescribeInstancesResponseBodyInstancesInstance model (field meanings from the DescribeInstances
        reference; shapes from its response example). SpotDuration and SpotInterruptionBehavior are given
        for spot instances only ("returned when SpotStrategy is set to SpotWithPriceLimit or SpotAsPriceGo"),
        DeploymentSetGroupNo only in a deployment set (the sandbox has none) and ISP not at all
        (invitational preview)."""
        vcpus, memory, gpus, gpu_spec = instance_type_spec(inst.instance_type)
        family = instance_type_family(inst.instance_type)
        os_name, os_name_en = self._os_names(inst.os_name)
        vpc = bool(inst.vswitch_id)
        record = {
            "InstanceId": inst.id, "InstanceName": inst.name, "Description": inst.description,
            "HostName": inst.host_name, "Status": inst.status, "SerialNumber": inst.serial_number,
            "InstanceType": inst.instance_type, "InstanceTypeFamily": family, "Cpu": vcpus, "Memory": memory,
            "GPUAmount": gpus, "GPUSpec": gpu_spec, "LocalStorageAmount": 0, "LocalStorageCapacity": 0,
            "CpuOptions": {"CoreCount": max(vcpus // 2, 1), "ThreadsPerCore": 2 if vcpus > 1 else 1, "Numa": "",
                           "TopologyType": "", "NestedVirtualization": "", "TurboMode": "",
                           "EnableVISST": False, "EnableVRDT": False},
            "CreditSpecification": "Standard" if family in BURSTABLE_FAMILIES else "",
            "RegionId": inst.region, "ZoneId": inst.zone_id,
            "ImageId": inst.image_id, "OSType": inst.os_type, "OSName": os_name, "OSNameEn": os_name_en,
            "InstanceChargeType": inst.charge_type,
            "ExpiredTime": iso_minute(inst.expired_at) if inst.charge_type == PREPAID else POSTPAID_EXPIRED_TIME,
            "SaleCycle": "", "InternetChargeType": inst.internet_charge_type,
            "InternetMaxBandwidthOut": inst.bandwidth_out, "InternetMaxBandwidthIn": inst.bandwidth_in,
            "SpotStrategy": inst.spot_strategy, "SpotPriceLimit": inst.spot_price_limit,
            "IoOptimized": inst.io_optimized, "DeviceAvailable": True, "KeyPairName": inst.key_pair_name,
            "InstanceNetworkType": "vpc" if vpc else "classic",
            "VpcAttributes": {"VSwitchId": inst.vswitch_id, "VpcId": "vpc-sandbox0001" if vpc else "",
                              "NatIpAddress": "", "PrivateIpAddress": {"IpAddress": [inst.private_ip] if vpc else []}},
            "InnerIpAddress": {"IpAddress": [] if vpc else [inst.private_ip]},
            "PublicIpAddress": {"IpAddress": [inst.public_ip] if inst.public_ip else []},
            "EipAddress": {"AllocationId": "", "IpAddress": "", "InternetChargeType": "", "Bandwidth": 0,
                           "IsSupportUnassociate": True},
            "RdmaIpAddress": {"IpAddress": []},
            "NetworkInterfaces": {"NetworkInterface": [{
                "NetworkInterfaceId": inst.eni_id, "MacAddress": inst.mac_address, "Type": "Primary",
                "PrimaryIpAddress": inst.private_ip,
                "PrivateIpSets": {"PrivateIpSet": [{"PrivateIpAddress": inst.private_ip, "Primary": True,
                                                    "PrivateDnsName": ""}]},
                "Ipv6Sets": {"Ipv6Set": []}, "Ipv4PrefixSets": {"Ipv4PrefixSet": []},
                "Ipv6PrefixSets": {"Ipv6PrefixSet": []},
            }]},
            "SecurityGroupIds": {"SecurityGroupId": list(inst.security_group_ids)},
            "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in inst.tags.items()]},
            "OperationLocks": {"LockReason": [{"LockReason": reason, "LockMsg": ""} for reason in inst.locks]},
            "DeletionProtection": inst.deletion_protection,
            "AutoReleaseTime": iso_minute(inst.auto_release_at) if inst.auto_release_at else "",
            "StoppedMode": inst.stopped_mode, "CreationTime": iso_minute(inst.created),
            "StartTime": iso_minute(inst.started) if inst.started else "",
            "Recyclable": False, "ResourceGroupId": "", "ClusterId": "", "VlanId": "", "HpcClusterId": "",
            "DeploymentSetId": "", "EnableNVS": False,
            "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "optional", "HttpPutResponseHopLimit": 1,
                                "InstanceMetadataTags": "disabled"},  # RunInstances' defaults (its SDK docstrings)
            "ImageOptions": {"LoginAsNonRoot": False, "CurrentOSNVMeSupported": True},
            "HibernationOptions": {"Configured": False},
            "SecurityOptions": {"EnableSecureBoot": False},
            "PrivateDnsNameOptions": {"HostnameType": "Custom", "EnableInstanceIdDnsARecord": False,
                                      "EnableInstanceIdDnsAAAARecord": False, "EnableIpDnsARecord": False,
                                      "EnableIpDnsPtrRecord": False},
            "EcsCapacityReservationAttr": {"CapacityReservationId": "", "CapacityReservationPreference": "none"},
            "DedicatedHostAttribute": {"DedicatedHostId": "", "DedicatedHostName": "", "DedicatedHostClusterId": ""},
            "DedicatedInstanceAttribute": {"Affinity": "", "Tenancy": ""},
            "ClockOptions": {"PtpStatus": "disabled"},
            "AdditionalInfo": {"EnableHighDensityMode": False, "ManagedHostId": "", "NodeSerialNumber": ""},
        }
        if inst.spot_strategy != "NoSpot":
            record.update({"SpotDuration": 1, "SpotInterruptionBehavior": "Terminate"})
        return record

    @staticmethod
    def _matches_tags(tags, wanted):
        for key, value in wanted:
            if key not in tags or (value is not None and tags[key] != value):
                return False
        return True

    def _select(self, instance_ids=None, status=None, name=None, tags=(), zone_id=None, vswitch_id=None,
                image_id=None, instance_type=None, region=None, charge_type=None, lock_reason=None):
        pool = ([self.instances[i] for i in dict.fromkeys(instance_ids) if i in self.instances]
                if instance_ids is not None else list(self.instances.values()))
        now = self._now()
        out = []
        for inst in pool:
            if region is not None and inst.region != region:
                continue
            self._settle(inst, now)
            if status and inst.status != status:
                continue
            if name and not fnmatch.fnmatchcase(inst.name, name):
                continue
            if tags and not self._matches_tags(inst.tags, tags):
                continue
            if (zone_id and inst.zone_id != zone_id) or (vswitch_id and inst.vswitch_id != vswitch_id) \
                    or (image_id and inst.image_id != image_id) or (instance_type and inst.instance_type != instance_type):
                continue
            if (charge_type and inst.charge_type != charge_type) or (lock_reason and lock_reason not in inst.locks):
                continue
            out.append(inst)
        out.sort(key=lambda i: i.seq)
        return out

    @_locked
    def describe_instances(self, page, **filters):
        found = self._select(**filters)
        items, paging = page.apply(found, key=lambda i: i.seq)
        return [self._render(i) for i in items], paging

    @_locked
    def describe_instance_status(self, page, instance_ids=None, zone_id=None, region=None):
        found = self._select(instance_ids=instance_ids, zone_id=zone_id, region=region)
        items, paging = page.apply(found, key=lambda i: i.seq)
        return [{"InstanceId": i.id, "Status": i.status} for i in items], paging

    @_locked
    def describe_full_status(self, page, instance_ids=None, status=None, health=None, region=None):
        found = self._select(instance_ids=instance_ids, status=status, region=region)
        rows = []
        for inst in found:
            word = self._health_word(inst)
            if health and word != health:
                continue
            rows.append((inst, word))
        items, paging = page.apply(rows, key=lambda row: row[0].seq)
        out = []
        for inst, word in items:
            out.append({
                "InstanceId": inst.id,
                "Status": {"Name": inst.status, "Code": STATUS_CODES[inst.status]},
                "HealthStatus": {"Name": word, "Code": HEALTH_CODES.get(word, 1)},
                "ScheduledSystemEventSet": {"ScheduledSystemEventType": self._events(inst.id)},
            })
        return out, paging

    def _health_word(self, inst):
        override = self.overrides.health_of(inst.id)
        if override:
            word = {"ok": "Ok", "impaired": "Impaired", "initializing": "Initializing",
                    "insufficient-data": "InsufficientData", "insufficientdata": "InsufficientData",
                    "maintaining": "Maintaining"}.get(override.lower(), override)
            return word
        return "Initializing" if inst.status in (PENDING, STARTING) else "Ok"

    def _events(self, instance_id):
        events = []
        for index, event in enumerate(self.overrides.events_for(instance_id)):
            digest = random.Random(f"{instance_id}:{index}:{event['code']}")
            events.append({
                "EventId": "e-bp1" + "".join(digest.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17)),
                "EventCycleStatus": {"Name": "Scheduled", "Code": 24},
                "EventType": {"Name": event["code"], "Code": 0},
                "EventPublishTime": iso_second(self._now()),
                "NotBefore": event["not_before"],
                "Reason": event["description"],
                "ExtendedAttribute": {"Device": "", "DiskId": ""},
            })
        return events

    # ---- start / stop / reboot -------------------------------------------------------------

    def _stop_one(self, inst, force, stopped_mode):
        """Validate and (when `act`) carry out a stop; returns (previous, current)."""
        previous = inst.status
        if previous == STOPPING:
            if force and self._held(inst, STOPPING) and self.overrides.stuck_rule(inst.id).force_works:
                inst.forced = True
                inst.until = self._now() + self.ctx.durations.seconds("ecs", inst.id, STOPPING)
            return previous, inst.status
        self._begin(inst, STOPPING, STOPPED, forced=force)
        if inst.status == STOPPING:
            inst.stopped_mode = stopped_mode or "KeepCharging"
        return previous, inst.status

    @staticmethod
    def _can(action, status):
        allowed = {"stop": (RUNNING, STOPPING), "start": (STOPPED,), "reboot": (RUNNING,)}[action]
        return status in allowed

    def _check_one(self, action, inst, extra_check=None):
        """Per-instance checks of a stop/start/reboot: the lock, then what the action needs."""
        self._check_lock(inst)
        if extra_check is not None:
            extra_check(inst)
        if action == "start" and inst.expired:
            # StartInstance(s) error tables: 403 InstanceExpired, "The instance is out of date and the
            # operation cannot be performed."
            raise EcsError("InstanceExpired", 403, "The specified instance has expired.")
        if not self._can(action, inst.status):
            raise incorrect_status(inst.status)

    def _batch(self, action, instance_ids, all_together, dry_run, act, region=None, singular=False,
               extra_check=None):
        """Shared shape of StopInstances/StartInstances/RebootInstances and their singular forms
        (`singular`: region=None, found in any region; a passing dry run is DryRunOperation).

        Dry runs of the batch forms (their SDK docstrings and API references): with AllTogether the
        parameters, the request format and every instance's status are checked, the first failure is
        the answer, and a request that passes answers DRYRUN.SUCCESS; with SuccessFirst "only
        DRYRUN.SUCCESS is returned regardless of whether the request passes the dry run". The HTTP
        layer has already checked the parameters' form (RegionId, InstanceId.N, BatchOptimization, ...).
        """
        if dry_run and not all_together:
            raise dry_run_success()
        checked = []
        for instance_id in instance_ids:
            try:
                inst = self._get(instance_id, region)
                self._check_one(action, inst, extra_check)
                checked.append((instance_id, inst, None))
            except EcsError as err:
                if all_together:
                    raise
                checked.append((instance_id, None, err))
        if dry_run:
            raise dry_run_passed() if singular else dry_run_success()
        responses = []
        for instance_id, inst, err in checked:
            if err is not None:
                responses.append({"InstanceId": instance_id, "Code": err.code, "Message": err.message,
                                  "PreviousStatus": "", "CurrentStatus": ""})
                continue
            previous, current = act(inst)
            responses.append({"InstanceId": instance_id, "Code": "200", "Message": "success",
                              "PreviousStatus": previous, "CurrentStatus": current})
        return responses

    @staticmethod
    def _no_hibernation(inst):
        """StopInstance Hibernate=true: its SDK docstring says the parameter "is in invitational preview
        and is not available for use", and no sandbox instance is launched with hibernation configured
        (HibernationOptions.Configured is false), so the answer is StopInstance's error table entry for
        that case: 403 HibernationConfigured.NotEnabled, "The instance hibernation configured option is
        not enabled."."""
        raise EcsError("HibernationConfigured.NotEnabled", 403, "The instance hibernation configured option is "
                                                                 "not enabled.")

    @_locked
    def stop_instances(self, instance_ids, force=False, stopped_mode=None, all_together=True, dry_run=False,
                       region=None, singular=False, hibernate=False):
        return self._batch("stop", instance_ids, all_together, dry_run,
                           lambda inst: self._stop_one(inst, force, stopped_mode), region, singular,
                           self._no_hibernation if hibernate else None)

    def _start_one(self, inst):
        previous = inst.status
        self._begin(inst, STARTING, RUNNING)
        return previous, inst.status

    @_locked
    def start_instances(self, instance_ids, all_together=True, dry_run=False, region=None, singular=False):
        return self._batch("start", instance_ids, all_together, dry_run, self._start_one, region, singular)

    def _reboot_one(self, inst, force):
        previous = inst.status
        self._begin(inst, STARTING, RUNNING, forced=force)
        return previous, inst.status

    @_locked
    def reboot_instances(self, instance_ids, force=False, all_together=True, dry_run=False, region=None,
                         singular=False):
        return self._batch("reboot", instance_ids, all_together, dry_run, lambda inst: self._reboot_one(inst, force),
                           region, singular)

    @_locked
    def stop_from_guest(self, instance_id):
        """The guest shut itself down (Cloud Assistant exit 193/3009): a normal stop, if Running."""
        inst = self.instances.get(instance_id)
        if inst is not None and self._settle(inst) == RUNNING:
            self._stop_one(inst, False, None)
            self.changed()

    @_locked
    def reboot_from_guest(self, instance_id):
        """The guest rebooted itself (Cloud Assistant exit 194/3010): the reboot transition, if Running."""
        inst = self.instances.get(instance_id)
        if inst is not None and self._settle(inst) == RUNNING:
            self._reboot_one(inst, False)
            self.changed()

    # ---- release -------------------------------------------------------------------------

    @_locked
    def delete_instances(self, instance_ids, force=False, dry_run=False, region=None, singular=False,
                         terminate_subscription=False):
        """All or nothing, as DeleteInstances is: every id is checked before any is released.

        - DeleteInstances' dry run "sends a check request without querying resource status" (its SDK
          docstring: AccessKey pair, RAM authorization, required parameters): the HTTP layer and the
          signature check have done that, so it answers DRYRUN.SUCCESS whatever the instances are.
          DeleteInstance's dry run checks everything below and answers DryRunOperation.
        - A subscription instance: ChargeTypeViolation (403) unless it has expired and
          TerminateSubscription is true ("Releases a pay-as-you-go instance or an expired subscription
          instance"; TerminateSubscription "whether to release an expired subscription instance").
        - Force releases an instance that is not Stopped ("released forcibly even when it is not in the
          Stopped status", shared/reference/001), except one still initializing after its launch
          (Pending, or Starting before it first ran): IncorrectInstanceStatus.Initializing (403,
          DeleteInstance error table: "The specified instance cannot be released at this time. Try again
          later."). A Starting instance that has run before (started or rebooted) is not initializing:
          doc 25380 gives Starting for "created, started, or restarted", and only creation initializes,
          so Force releases it.
        - A security lock does not stop a release (doc 25695: DeleteInstance(s) unaffected).
        """
        if dry_run and not singular:
            raise dry_run_success()
        for instance_id in instance_ids:
            inst = self._get(instance_id, region)
            if inst.charge_type == PREPAID and not (inst.expired and terminate_subscription):
                raise charge_type_violation()
            if inst.deletion_protection:
                raise EcsError("InvalidOperation.DeletionProtection", 403,
                               f"The instance {instance_id} has deletion protection enabled; "
                               "disable it with ModifyInstanceAttribute first.")
            if force and self._initializing(inst):
                raise still_initializing()
            if not force and inst.status != STOPPED:
                raise incorrect_status(inst.status)
        if dry_run:
            raise dry_run_passed()
        for instance_id in dict.fromkeys(instance_ids):
            self._remove(instance_id)

    @_locked
    def set_auto_release_time(self, instance_id, text, dry_run=False, region=None):
        """ModifyInstanceAutoReleaseTime is for "a pay-as-you-go or spot instance" (its reference): a
        subscription instance is ChargeTypeViolation (403, its error table)."""
        inst = self._get(instance_id, region)
        self._check_lock(inst)
        if inst.charge_type == PREPAID:
            raise charge_type_violation()
        at = self._check_release_time(text) if text else None
        if dry_run:
            raise dry_run_passed()
        inst.auto_release_at = at
        if at is None:
            self._release_at.pop(instance_id, None)
        else:
            self._release_at[instance_id] = at

    @_locked
    def modify_instance_attribute(self, instance_id, deletion_protection=None, instance_name=None,
                                  description=None, host_name=None, user_data=None, password=None):
        """`password` is accepted and not kept (the sandbox has no guest to log in to)."""
        inst = self._get(instance_id)
        self._check_lock(inst)
        if deletion_protection is not None:
            inst.deletion_protection = deletion_protection
        if instance_name:
            inst.name = instance_name
        if description is not None:
            inst.description = description
        if host_name:
            inst.host_name = host_name
        if user_data is not None:
            inst.user_data = user_data

    @_locked
    def describe_user_data(self, instance_id, region=None):
        """DescribeUserData: the instance's user data, "" when it has none (its SDK response model)."""
        return self._get(instance_id, region).user_data

    # ---- locks (control API) ---------------------------------------------------------------

    @_locked
    def set_locks(self, instance_ids, reason):
        """Put OperationLocks.LockReason `reason` on the instances (None: lift every lock), all or none:
        returns the ids that do not exist (then nothing was changed)."""
        unknown = [i for i in instance_ids if i not in self.instances]
        if not unknown:
            for instance_id in instance_ids:
                self.instances[instance_id].locks = [] if reason is None else [reason]
        return unknown

    # ---- disks and snapshots -------------------------------------------------------------

    def _render_disk(self, disk):
        return {
            "DiskId": disk.id, "InstanceId": disk.instance_id, "Type": disk.type, "Category": disk.category,
            "Size": disk.size, "Device": disk.device, "Status": "In_use", "RegionId": disk.region,
            "SourceSnapshotId": disk.source_snapshot,
            "ZoneId": self.instances[disk.instance_id].zone_id, "ImageId": disk.image_id,
            "DeleteWithInstance": True, "Portable": disk.type == "data", "CreationTime": iso_minute(disk.created),
            "DiskName": "", "Tags": {"Tag": []},
        }

    @_locked
    def describe_disks(self, page, instance_id=None, disk_ids=None, disk_type=None, region=None):
        if disk_ids is not None:
            pool = [self.disks[d] for d in dict.fromkeys(disk_ids) if d in self.disks]
        elif instance_id:
            inst = self.instances.get(instance_id)
            pool = [self.disks[d] for d in inst.disk_ids] if inst else []
        else:
            pool = list(self.disks.values())
        pool = [d for d in pool if (not instance_id or d.instance_id == instance_id)
                and (not disk_type or disk_type == "all" or d.type == disk_type)
                and (region is None or d.region == region)]
        items, paging = page.apply(pool)
        return [self._render_disk(d) for d in items], paging

    # CreateSnapshot (API reference, doc 25524: https://www.alibabacloud.com/help/en/doc-detail/25524.htm, and its
    # Chinese copy help.aliyun.com/document_detail/25524.htm): "you cannot create snapshots for a disk" when "the ECS
    # instance to which the disk is attached has never been started" or "is not in the Stopped (Stopped) or Running
    # (Running) state", or is locked for security. Codes, HTTP statuses and messages are its error table's, the same
    # in the English and the Chinese copy of the reference's source (github.com/zxc916684603/ecs, "intl.en-US/API
    # Reference/Snapshots/CreateSnapshot.md" and "intl.zh-CN/API参考/快照/CreateSnapshot.md"); an older version of the
    # Chinese table says what 400 IncorrectInstanceStatus is for: "磁盘挂载的实例必须处于已停止（Stopped）或者运行中
    # （Running）状态" (the instance the disk is attached to must be Stopped or Running).
    SNAPSHOT_STATUSES = (RUNNING, STOPPED)

    def _check_snapshot_instance(self, inst):
        """The instance rules of CreateSnapshot for a disk attached to `inst` (settled), in this order:

        - a security lock: InstanceLockedForSecurity (403), see `_check_lock`;
        - not Running or Stopped (Pending, Starting, Stopping): 400 IncorrectInstanceStatus "The current status of the
          resource does not support this operation." (the error table). An instance that has never been started is
          Pending or Starting here (RunInstances starts what it launches), so this is its answer too;
        - Running or Stopped but never started (StartTime empty; the reference's "has never been started"): 403
          IncorrectDiskStatus.NeverUsed "The specified disk has never been used after creating.", the table's code
          for a disk that was never used. The sandbox has no CreateInstance (the call that leaves an instance Stopped
          without ever starting it, doc 25380), so only a state file can hold such an instance.

        Not modelled: "about one hour" of data loading after RunInstances or ReplaceSystemDisk (the older reference;
        the current one no longer lists it) - the sandbox snapshots a disk as soon as its instance has run, so tests
        need no hour of clock; a disk never attached (IncorrectDiskStatus.NeverAttached) - every sandbox disk is made
        with its instance and removed with it; the snapshot already being made (IncorrectDiskStatus.CreatingSnapshot)
        and the 256 manual snapshots a disk may keep (QuotaExceed.Snapshot)."""
        self._check_lock(inst)
        if inst.status not in self.SNAPSHOT_STATUSES:
            raise EcsError("IncorrectInstanceStatus", 400, "The current status of the resource does not support this "
                                                           "operation.")
        if inst.started is None:
            raise EcsError("IncorrectDiskStatus.NeverUsed", 403, "The specified disk has never been used after creating.")

    @_locked
    def create_snapshot(self, disk_id, name=None, tags=None):
        """CreateSnapshot has no RegionId (SDK CreateSnapshotRequest): the disk is found in any region,
        and the snapshot is in the disk's region. The disk's instance must allow it (`_check_snapshot_instance`):
        an instance held in Stopping (control: stuck) is refused, as ECS refuses it."""
        disk = self.disks.get(disk_id)
        inst = self.instances.get(disk.instance_id) if disk is not None else None  # a disk goes with its instance
        if inst is None:
            raise EcsError("InvalidDiskId.NotFound", 404, f"The specified DiskId {disk_id} does not exist.")
        self._settle(inst)
        self._check_snapshot_instance(inst)
        now = self._now()
        snap = Snapshot(self._new_id("s-", self.snapshots), self._next_seq(), name or "", disk, dict(tags or {}),
                        now, now + float(self.ctx.transition_seconds), region=disk.region)
        self.snapshots[snap.id] = snap
        return snap.id

    def _progress(self, created, ready_at):
        now = self._now()
        if now >= ready_at:
            return 100
        span = max(ready_at - created, 1e-9)
        return min(99, int(100 * (now - created) / span))

    @_locked
    def describe_snapshots(self, page, snapshot_ids=None, disk_id=None, instance_id=None, status=None, name=None,
                           region=None):
        pool = ([self.snapshots[s] for s in dict.fromkeys(snapshot_ids) if s in self.snapshots]
                if snapshot_ids is not None else list(self.snapshots.values()))
        out = []
        for snap in pool:
            if region is not None and snap.region != region:
                continue
            progress = self._progress(snap.created, snap.ready_at)
            state = "accomplished" if progress == 100 else "progressing"
            if (disk_id and snap.disk.id != disk_id) or (instance_id and snap.disk.instance_id != instance_id) \
                    or (status and status != "all" and status != state) or (name and snap.name != name):
                continue
            out.append({
                "SnapshotId": snap.id, "SnapshotName": snap.name, "Status": state, "Progress": f"{progress}%",
                "SourceDiskId": snap.disk.id, "SourceDiskType": snap.disk.type, "SourceDiskSize": str(snap.disk.size),
                "CreationTime": iso_second(snap.created), "Available": progress == 100,
                "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in snap.tags.items()]},
            })
        items, paging = page.apply(out)
        return items, paging

    # ---- images ----------------------------------------------------------------------------

    @_locked
    def fail_images(self, instance_ids):
        self.image_failures.update(instance_ids)

    def _image_status(self, image):
        return "Available" if self._now() >= image.ready_at else "Creating"

    @staticmethod
    def _image_in(image, region):
        """A public image is in every region; an own image only in the one it was made in."""
        return region is None or image.region is None or image.region == region

    # CreateImage (API reference, "CreateImage", and the SDK's CreateImageRequest docstrings): three ways,
    # by priority InstanceId > DiskDeviceMapping > SnapshotId ("If your request contains two or more of these
    # parameters, the custom image is created based on the parameter that has a higher priority").
    # Error codes, HTTP statuses and messages are the reference's error table.
    MAX_IMAGE_DATA_DISKS = 16  # DiskDeviceMapping.N.DiskType: "data: ... Up to 16 data disk snapshots"
    MAX_MAPPING_SIZE = 32768  # DiskDeviceMapping.N.Size: "Other disks: 20 to 32768 GiB"
    MIN_MAPPING_SIZE = 20  # ... "Default value: 20" when no SnapshotId (the sandbox's disks are not basic disks)

    def _ready_snapshot(self, snapshot_id, region):
        """A snapshot CreateImage may use: in the request's region, and finished ("If a snapshot is being
        created, you cannot use this snapshot to create a custom image", CreateSnapshot reference)."""
        snap = self.snapshots.get(snapshot_id)
        if snap is None or snap.region != region:
            raise EcsError("InvalidSnapshotId.NotFound", 404, f"The specified SnapshotId {snapshot_id} does not exist.")
        if self._progress(snap.created, snap.ready_at) < 100:
            raise EcsError("InvalidSnapshotId.NotReady", 403, "The current status of the DiskDeviceMapping.n.SnapshotId "
                                                             "or SnapshotId does not support this operation.")
        return snap

    def _mappings_from_request(self, records, region):
        """DiskDeviceMapping.N as [{type, device, size, snapshot_id, category}], the system disk first.

        - DiskType defaults to the type of the snapshot's disk; without a SnapshotId the disk is an empty
          data disk of Size GiB ("SnapshotId may not be specified. In this case, an empty data disk with a
          specific size is created", reference).
        - Exactly one system disk, from a snapshot: none is OperationDenied "... does not contain system disk
          snapshot" (a mapping of data disks only), two are "... contains two or more system disk snapshots".
        - Size: at least the snapshot's size, which is the default (SDK docstring); InvalidSize.ValueNotSupported.
        - Device: the system disk's "must be /dev/xvda", data disks' "range from /dev/xvdb to /dev/xvdz and
          cannot be duplicate" (SDK docstring): InvalidDevice.Malformed, InvalidDevice.InUse; a data disk
          without a Device gets the next free one ("assigned by the system in order", the Chinese reference).
        """
        resolved = []
        for record in records:
            snap = self._ready_snapshot(record["snapshot_id"], region) if record.get("snapshot_id") else None
            kind = record.get("disk_type") or (snap.disk.type if snap else "data")
            floor = snap.disk.size if snap else self.MIN_MAPPING_SIZE
            size = record.get("size")
            if size is None:
                size = floor
            if size < floor or size > self.MAX_MAPPING_SIZE:
                raise EcsError("InvalidSize.ValueNotSupported", 400,
                               "The specified parameter DiskDeviceMapping.n.Size beyond the permitted range.")
            resolved.append({"type": kind, "device": record.get("device"), "size": int(size),
                             "snapshot_id": snap.id if snap else "", "category": snap.disk.category if snap else "cloud_essd",
                             "snapshot": snap})
        systems = [r for r in resolved if r["type"] == "system"]
        if not systems or systems[0]["snapshot"] is None:
            raise EcsError("OperationDenied", 400,
                           "The specified parameter DiskDeviceMapping.n.SnapshotId does not contain system disk snapshot.")
        if len(systems) > 1:
            raise EcsError("OperationDenied", 400, "The specified parameter DiskDeviceMapping.n.SnapshotId contains "
                                                   "two or more system disk snapshots.")
        data = [r for r in resolved if r["type"] != "system"]
        if len(data) > self.MAX_IMAGE_DATA_DISKS:
            raise EcsError("InvalidParameter", 400, f"The specified parameter DiskDeviceMapping has {len(data)} data "
                                                    f"disks: at most {self.MAX_IMAGE_DATA_DISKS} are allowed.")
        system = systems[0]
        if system["device"] not in (None, "/dev/xvda"):
            raise EcsError("InvalidDevice.Malformed", 400, "The specified parameter DiskDeviceMapping.n.Device is not valid.")
        system["device"] = "/dev/xvda"
        taken = set()
        for item in data:
            device = item["device"]
            if device is None:
                continue
            if len(device) != 9 or not device.startswith("/dev/xvd") or not "b" <= device[-1] <= "z":
                raise EcsError("InvalidDevice.Malformed", 400, "The specified parameter DiskDeviceMapping.n.Device is not valid.")
            if device in taken:
                raise EcsError("InvalidDevice.InUse", 400, "The specified parameter DiskDeviceMapping.n.Device has been occupied.")
            taken.add(device)
        free = (f"/dev/xvd{c}" for c in "bcdefghijklmnopqrstuvwxyz" if f"/dev/xvd{c}" not in taken)
        for item in data:
            item["device"] = item["device"] or next(free)
        return [system] + data

    def _mappings_of_instance(self, inst, ready_at):
        """Method 1: "a snapshot is created for each disk of the instance" (reference); the image maps them."""
        now = self._now()
        mappings = []
        for disk_id in inst.disk_ids:
            disk = self.disks[disk_id]
            snap = Snapshot(self._new_id("s-", self.snapshots), self._next_seq(), "", disk, {}, now, ready_at,
                            region=disk.region)
            self.snapshots[snap.id] = snap
            mappings.append({"type": disk.type, "device": disk.device, "size": disk.size, "snapshot_id": snap.id,
                             "category": disk.category, "snapshot": snap})
        return sorted(mappings, key=lambda m: (m["type"] != "system", m["device"]))

    @staticmethod
    def _check_image_name(name):
        """ImageName: "2 to 128 characters in length. It must start with a letter or a Chinese character and cannot
        start with http:// or https://. It can contain digits, colons (:), underscores (_), and hyphens (-)" (SDK
        docstring; the error table's description adds periods): InvalidImageName.Malformed (400)."""
        def letter(c):
            return c.isascii() and c.isalpha() or "\u4e00" <= c <= "\u9fff"
        if not (2 <= len(name) <= 128) or not letter(name[0]) or name.startswith(("http://", "https://")) \
                or not all(letter(c) or c.isdigit() or c in ":_-." for c in name):
            raise EcsError("InvalidImageName.Malformed", 400, "The specified Image name is wrongly formed.")

    @_locked
    def create_image(self, instance_id=None, snapshot_id=None, mappings=None, name=None, tags=None, dry_run=False,
                     region=REGION, platform=None):
        """The image is in CreateImage's RegionId; its instance or snapshots must be there too.

        `mappings`: DiskDeviceMapping.N as the HTTP layer read them, [{snapshot_id, size, device, disk_type}].
        `platform`: for a data disk snapshot made the system disk ("you must use Platform to determine the
        operating system distribution of the system disk ... Default value: Others Linux", SDK docstring)."""
        if name:
            self._check_image_name(name)
        source, snap = None, None
        if instance_id:
            inst = self._get(instance_id, region)
            self._check_lock(inst)
            # Method 1: "The instance must be in the Running (Running) or Stopped (Stopped) state" (reference, doc
            # 25535); its error table: 400 IncorrectInstanceStatus "The current status of the instance does not
            # support this operation.", "The status of the specified instance must be Running or Stopped." (the
            # English and Chinese copies of the reference's source, github.com/zxc916684603/ecs "intl.en-US/API
            # Reference/Images/CreateImage.md", "intl.zh-CN/API参考/镜像/CreateImage.md"). Checked before DryRun
            # answers (stricter than a reference that does not say), so a dry run predicts the refusal.
            if inst.status not in (RUNNING, STOPPED):
                raise EcsError("IncorrectInstanceStatus", 400, "The current status of the instance does not support "
                                                               "this operation.")
            if instance_id in self.image_failures:  # the control API's fault: the table's code for a refused instance
                raise EcsError("IncorrectInstanceStatus", 400, f"The instance {instance_id} cannot be imaged: "
                                                               "its host does not answer (sandbox image failure).")
            source = self.images.get(inst.image_id)
            resolved = None  # the snapshots are made below, once the request has passed
        elif mappings:
            resolved = self._mappings_from_request(mappings, region)
            snap = resolved[0]["snapshot"]
        else:
            snap = self._ready_snapshot(snapshot_id, region)
            if snap.disk.type != "system":
                raise EcsError("OperationDenied", 403, "The specified snapshot is not from system disk.")
            resolved = [{"type": "system", "device": "/dev/xvda", "size": snap.disk.size, "snapshot_id": snap.id,
                         "category": snap.disk.category, "snapshot": snap}]
        if snap is not None:
            # a system disk snapshot is its image's OS; a data disk snapshot as the system disk is Platform's
            source = self.images.get(snap.disk.image_id) if snap.disk.type == "system" else None
        # an image name is taken within a region (images are regional resources)
        if name and any(i.name == name and i.owner == "self" and i.region == region for i in self.images.values()):
            raise EcsError("InvalidImageName.Duplicated", 400, "The specified ImageName is already in use.")
        if dry_run:
            raise dry_run_passed()
        now = self._now()
        ready_at = now + float(self.ctx.transition_seconds)
        if resolved is None:
            resolved = self._mappings_of_instance(inst, ready_at)
        platform = platform or "Others Linux"
        os_type = "windows" if platform.startswith("Windows") else "linux"
        image_id = self._new_id("m-", self.images)
        image = Image(image_id, self._next_seq(), name or image_id, source.os_type if source else os_type,
                      source.os_name if source else platform, source.platform if source else platform,
                      resolved[0]["size"] if resolved else (source.size if source else 20),
                      "self", dict(tags or {}), now, ready_at,
                      source_instance=instance_id, source_snapshot=snap.id if snap else None, region=region,
                      disk_mappings=[{k: v for k, v in m.items() if k != "snapshot"} for m in resolved])
        self.images[image_id] = image
        return image_id

    def _launch_disks(self, image, system_disk, data_disks):
        """RunInstances' disks from an image, as [(type, category, size, device, snapshot id)]: the system disk, then
        the image's data disks ("the data cloud disks in the full image are created as the first N data cloud disks
        of the ECS instance", DataDisk.N.Device docstring), then DataDisk.N at the next free devices.
        SystemDisk.Size "must be greater than or equal to max{1, ImageSize}" (SystemDisk.Size docstring);
        InvalidSystemDiskSize.LessThanImageSize (404) is RunInstances' error for a smaller one."""
        mappings = image.disk_mappings or [{"type": "system", "device": "/dev/xvda", "size": image.size,
                                            "snapshot_id": "", "category": "cloud_essd"}]
        system = mappings[0]
        requested = system_disk or {}
        size = int(requested.get("Size", image.size))
        if size < image.size:
            raise EcsError("InvalidSystemDiskSize.LessThanImageSize", 404,
                           "The specified parameter SystemDisk.Size is less than the image size.")
        specs = [("system", requested.get("Category", system["category"]), size, "/dev/xvda", system["snapshot_id"])]
        specs += [("data", m["category"], m["size"], m["device"], m["snapshot_id"]) for m in mappings[1:]]
        taken = {spec[3] for spec in specs}
        free = (f"/dev/xvd{c}" for c in "bcdefghijklmnopqrstuvwxyz" if f"/dev/xvd{c}" not in taken)
        specs += [("data", d.get("Category", "cloud_essd"), d.get("Size", 40), next(free), "") for d in data_disks]
        return specs

    def _render_mappings(self, image):
        """DiskDeviceMappings.DiskDeviceMapping, the fields of the SDK's
        DescribeImagesResponseBodyImagesImageDiskDeviceMappingsDiskDeviceMapping (Size a string of GiB, Type
        system | data, as recorded DescribeImages answers show them). A public image shows its system disk."""
        mappings = image.disk_mappings or [{"type": "system", "device": "/dev/xvda", "size": image.size, "snapshot_id": ""}]
        progress = f"{self._progress(image.created, image.ready_at)}%"
        return [{"Device": m["device"], "Size": str(m["size"]), "SnapshotId": m["snapshot_id"], "Type": m["type"],
                 "Format": "", "ImportOSSBucket": "", "ImportOSSObject": "", "Progress": progress, "RemainTime": 0,
                 "Encrypted": False} for m in mappings]

    @_locked
    def describe_images(self, page, image_ids=None, name=None, statuses=("Available",), owner=None, region=None):
        pool = ([self.images[i] for i in dict.fromkeys(image_ids) if i in self.images]
                if image_ids is not None else list(self.images.values()))
        out = []
        for image in sorted(pool, key=lambda i: i.seq):
            if not self._image_in(image, region):
                continue
            state = self._image_status(image)
            if (statuses and state not in statuses) or (name and not fnmatch.fnmatchcase(image.name, name)) \
                    or (owner and image.owner != owner):
                continue
            out.append({
                "ImageId": image.id, "ImageName": image.name, "Status": state,
                "Progress": f"{self._progress(image.created, image.ready_at)}%",
                "OSType": image.os_type, "OSName": image.os_name, "Platform": image.platform,
                "ImageOwnerAlias": image.owner, "Size": image.size, "Architecture": "x86_64",
                "CreationTime": iso_second(image.created), "IsPublic": image.owner == "system",
                "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in image.tags.items()]},
                "DiskDeviceMappings": {"DiskDeviceMapping": self._render_mappings(image)},
            })
        items, paging = page.apply(out)
        return items, paging

    @_locked
    def delete_image(self, image_id, dry_run=False, region=None):
        image = self.images.get(image_id)
        if image is None or image.owner != "self" or not self._image_in(image, region):
            raise EcsError("InvalidImageId.NotFound", 404, f"The specified ImageId {image_id} does not exist in this account.")
        if dry_run:
            raise dry_run_passed()
        del self.images[image_id]
