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
- DryRun checks parameters, existence, status and deletion protection before answering
  DryRunOperation: stricter than ECS rather than looser, so a dry run that passes here
  predicts a real call that passes.
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
    target: str = RUNNING  # where the current transition leads, if any
    until: float = None  # clock time the transition completes; None = stable
    forced: bool = False  # the transition was forced (a stuck rule with force_works yields)
    auto_release_at: float = None
    stopped_mode: str = "Not-applicable"
    disk_ids: list = field(default_factory=list)
    started: float = None  # clock time it last reached Running (StartTime)
    region: str = REGION  # RunInstances' RegionId


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


def _locked(method):
    def wrapper(self, *args, **kwargs):
        with self.lock:
            self._release_due()
            return method(self, *args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class EcsModel:
    def __init__(self, ctx, overrides):
        self.ctx = ctx
        self.overrides = overrides
        self.lock = threading.RLock()
        self.reset()

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
        """Complete a transition whose time has come; return the current status."""
        if inst.until is not None and (now or self._now()) >= inst.until and not self._held(inst, inst.status):
            reached_at = inst.until
            inst.status, inst.until, inst.forced = inst.target, None, False
            if inst.status == RUNNING:
                inst.stopped_mode = "Not-applicable"
                inst.started = reached_at
        return inst.status

    def _begin(self, inst, through, target, forced=False):
        """Enter transitional status `through`, reaching `target` after transition_seconds."""
        if self._held(inst, inst.status) and not (forced and self.overrides.stuck_rule(inst.id).force_works):
            return  # stuck where it is: a normal call does not move it
        inst.status, inst.target, inst.forced = through, target, forced
        inst.until = self._now() + float(self.ctx.transition_seconds)

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
                      zone_id=None, system_disk=None, data_disks=(), dry_run=False, region=REGION):
        zones = REGIONS[check_region(region)][2]
        image = self.images.get(image_id)
        if image is None or not self._image_in(image, region) or self._image_status(image) != "Available":
            raise EcsError("InvalidImageId.NotFound", 404, f"The specified ImageId {image_id} does not exist.")
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
            inst = Instance(
                id=self._new_id("i-", self.instances), seq=self._next_seq(), name=instance_name or "",
                instance_type=instance_type, image_id=image_id, os_type=image.os_type,
                vswitch_id=vswitch_id or "", security_group_ids=list(security_group_ids),
                zone_id=zone_id or zones[0], tags=dict(tags or {}), deletion_protection=deletion_protection,
                created=now, until=now + float(self.ctx.transition_seconds), auto_release_at=release_at,
                region=region,
            )
            inst.name = inst.name or inst.id
            sys_disk = system_disk or {}
            specs = [("system", sys_disk.get("Category", "cloud_essd"), sys_disk.get("Size", image.size))]
            specs += [("data", d.get("Category", "cloud_essd"), d.get("Size", 40)) for d in data_disks]
            for index, (kind, category, size) in enumerate(specs):
                disk = Disk(self._new_id("d-", self.disks), inst.id, kind, category, int(size),
                            f"/dev/xvd{chr(ord('a') + index)}", image_id if kind == "system" else "", now,
                            region=region)
                self.disks[disk.id] = disk
                inst.disk_ids.append(disk.id)
            self.instances[inst.id] = inst
            if release_at is not None:
                self._release_at[inst.id] = release_at
            ids.append(inst.id)
        return ids

    def _render(self, inst):
        return {
            "InstanceId": inst.id, "InstanceName": inst.name, "Status": inst.status,
            "InstanceType": inst.instance_type, "RegionId": inst.region, "ZoneId": inst.zone_id,
            "ImageId": inst.image_id, "OSType": inst.os_type, "InstanceChargeType": "PostPaid",
            "InstanceNetworkType": "vpc" if inst.vswitch_id else "classic",
            "VpcAttributes": {"VSwitchId": inst.vswitch_id, "VpcId": "vpc-sandbox0001" if inst.vswitch_id else "",
                              "PrivateIpAddress": {"IpAddress": []}},
            "SecurityGroupIds": {"SecurityGroupId": list(inst.security_group_ids)},
            "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in inst.tags.items()]},
            "DeletionProtection": inst.deletion_protection,
            "AutoReleaseTime": iso_minute(inst.auto_release_at) if inst.auto_release_at else "",
            "StoppedMode": inst.stopped_mode, "CreationTime": iso_minute(inst.created),
            "StartTime": iso_minute(inst.started) if inst.started else "",
        }

    @staticmethod
    def _matches_tags(tags, wanted):
        for key, value in wanted:
            if key not in tags or (value is not None and tags[key] != value):
                return False
        return True

    def _select(self, instance_ids=None, status=None, name=None, tags=(), zone_id=None, vswitch_id=None,
                image_id=None, instance_type=None, region=None):
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
                inst.until = self._now() + float(self.ctx.transition_seconds)
            return previous, inst.status
        self._begin(inst, STOPPING, STOPPED, forced=force)
        if inst.status == STOPPING:
            inst.stopped_mode = stopped_mode or "KeepCharging"
        return previous, inst.status

    @staticmethod
    def _can(action, status):
        allowed = {"stop": (RUNNING, STOPPING), "start": (STOPPED,), "reboot": (RUNNING,)}[action]
        return status in allowed

    def _batch(self, action, instance_ids, all_together, dry_run, act, region=None):
        """Shared shape of StopInstances/StartInstances/RebootInstances (and their singular forms,
        region=None: found in any region)."""
        checked = []
        for instance_id in instance_ids:
            try:
                inst = self._get(instance_id, region)
                if not self._can(action, inst.status):
                    raise incorrect_status(inst.status)
                checked.append((instance_id, inst, None))
            except EcsError as err:
                if all_together:
                    raise
                checked.append((instance_id, None, err))
        if dry_run:
            raise dry_run_passed()
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

    @_locked
    def stop_instances(self, instance_ids, force=False, stopped_mode=None, all_together=True, dry_run=False,
                       region=None):
        return self._batch("stop", instance_ids, all_together, dry_run,
                           lambda inst: self._stop_one(inst, force, stopped_mode), region)

    def _start_one(self, inst):
        previous = inst.status
        self._begin(inst, STARTING, RUNNING)
        return previous, inst.status

    @_locked
    def start_instances(self, instance_ids, all_together=True, dry_run=False, region=None):
        return self._batch("start", instance_ids, all_together, dry_run, self._start_one, region)

    def _reboot_one(self, inst, force):
        previous = inst.status
        self._begin(inst, STARTING, RUNNING, forced=force)
        return previous, inst.status

    @_locked
    def reboot_instances(self, instance_ids, force=False, all_together=True, dry_run=False, region=None):
        return self._batch("reboot", instance_ids, all_together, dry_run, lambda inst: self._reboot_one(inst, force),
                           region)

    @_locked
    def stop_from_guest(self, instance_id):
        """The guest shut itself down (Cloud Assistant exit 193/3009): a normal stop, if Running."""
        inst = self.instances.get(instance_id)
        if inst is not None and self._settle(inst) == RUNNING:
            self._stop_one(inst, False, None)

    @_locked
    def reboot_from_guest(self, instance_id):
        """The guest rebooted itself (Cloud Assistant exit 194/3010): the reboot transition, if Running."""
        inst = self.instances.get(instance_id)
        if inst is not None and self._settle(inst) == RUNNING:
            self._reboot_one(inst, False)

    # ---- release -------------------------------------------------------------------------

    @_locked
    def delete_instances(self, instance_ids, force=False, dry_run=False, region=None):
        """All or nothing, as DeleteInstances is: every id is checked before any is released."""
        for instance_id in instance_ids:
            inst = self._get(instance_id, region)
            if inst.deletion_protection:
                raise EcsError("InvalidOperation.DeletionProtection", 403,
                               f"The instance {instance_id} has deletion protection enabled; "
                               "disable it with ModifyInstanceAttribute first.")
            if not force and inst.status != STOPPED:
                raise incorrect_status(inst.status)
        if dry_run:
            raise dry_run_passed()
        for instance_id in dict.fromkeys(instance_ids):
            self._remove(instance_id)

    @_locked
    def set_auto_release_time(self, instance_id, text, dry_run=False, region=None):
        inst = self._get(instance_id, region)
        at = self._check_release_time(text) if text else None
        if dry_run:
            raise dry_run_passed()
        inst.auto_release_at = at
        if at is None:
            self._release_at.pop(instance_id, None)
        else:
            self._release_at[instance_id] = at

    @_locked
    def modify_instance_attribute(self, instance_id, deletion_protection=None, instance_name=None):
        inst = self._get(instance_id)
        if deletion_protection is not None:
            inst.deletion_protection = deletion_protection
        if instance_name:
            inst.name = instance_name

    # ---- disks and snapshots -------------------------------------------------------------

    def _render_disk(self, disk):
        return {
            "DiskId": disk.id, "InstanceId": disk.instance_id, "Type": disk.type, "Category": disk.category,
            "Size": disk.size, "Device": disk.device, "Status": "In_use", "RegionId": disk.region,
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

    @_locked
    def create_snapshot(self, disk_id, name=None, tags=None):
        """CreateSnapshot has no RegionId (SDK CreateSnapshotRequest): the disk is found in any region,
        and the snapshot is in the disk's region."""
        disk = self.disks.get(disk_id)
        if disk is None:
            raise EcsError("InvalidDiskId.NotFound", 404, f"The specified DiskId {disk_id} does not exist.")
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

    @_locked
    def create_image(self, instance_id=None, snapshot_id=None, name=None, tags=None, dry_run=False, region=REGION):
        """The image is in CreateImage's RegionId; its instance or snapshot must be there too."""
        if instance_id:
            inst = self._get(instance_id, region)
            if instance_id in self.image_failures:
                raise EcsError("IncorrectInstanceStatus", 403, f"The instance {instance_id} cannot be imaged: "
                                                               "its host does not answer (sandbox image failure).")
            source = self.images.get(inst.image_id)
        else:
            snap = self.snapshots.get(snapshot_id)
            if snap is None or snap.region != region:
                raise EcsError("InvalidSnapshotId.NotFound", 404, f"The specified SnapshotId {snapshot_id} does not exist.")
            source = self.images.get(snap.disk.image_id)
        # an image name is taken within a region (images are regional resources)
        if name and any(i.name == name and i.owner == "self" and i.region == region for i in self.images.values()):
            raise EcsError("InvalidImageName.Duplicated", 400, "The specified ImageName is already in use.")
        if dry_run:
            raise dry_run_passed()
        now = self._now()
        image_id = self._new_id("m-", self.images)
        image = Image(image_id, self._next_seq(), name or image_id, source.os_type if source else "linux",
                      source.os_name if source else "", source.platform if source else "", source.size if source else 20,
                      "self", dict(tags or {}), now, now + float(self.ctx.transition_seconds),
                      source_instance=instance_id, source_snapshot=snapshot_id, region=region)
        self.images[image_id] = image
        return image_id

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
