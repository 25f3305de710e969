"""Instances: RunInstances, release (DeleteInstance(s), auto-release), attributes, user data and locks."""
import random
from dataclasses import dataclass, field

from sandbox.ecs.models.base import PENDING, STARTING, STOPPED, locked, parse_release_time
from sandbox.ecs.models.billing import POSTPAID, PREPAID, subscription_end
from sandbox.ecs.models.disks import Disk
from sandbox.ecs.models.errors import (EcsError, charge_type_violation, dry_run_passed, dry_run_success,
                                       incorrect_status, not_found, still_initializing)
from sandbox.ecs.models.regions import REGION, REGIONS, check_region

MIN_RELEASE_DELAY = 30 * 60
MAX_RELEASE_DELAY = 3 * 366 * 24 * 3600

# LockReason values DescribeInstances documents (its SDK request model's LockReason docstring); only
# "security" changes what the API allows (see Lifecycle._check_lock, models/lifecycle.py).
LOCK_REASONS = ("financial", "security", "Recycling", "dedicatedhostfinancial", "refunded")


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


class Instances:
    def _reset_instances(self):
        self.instances = {}  # id -> Instance, in launch order
        self._release_at = {}  # id -> epoch, only instances with an auto-release time

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

    @locked
    def known(self, instance_ids):
        """The ids of instances that exist, in any region (the control API works by id alone)."""
        return [i for i in instance_ids if i in self.instances]

    @locked
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

    @locked
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

    @locked
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

    @locked
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

    @locked
    def describe_user_data(self, instance_id, region=None):
        """DescribeUserData: the instance's user data, "" when it has none (its SDK response model)."""
        return self._get(instance_id, region).user_data

    # ---- locks (control API) ---------------------------------------------------------------

    @locked
    def set_locks(self, instance_ids, reason):
        """Put OperationLocks.LockReason `reason` on the instances (None: lift every lock), all or none:
        returns the ids that do not exist (then nothing was changed)."""
        unknown = [i for i in instance_ids if i not in self.instances]
        if not unknown:
            for instance_id in instance_ids:
                self.instances[instance_id].locks = [] if reason is None else [reason]
        return unknown
