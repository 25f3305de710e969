"""Snapshots: CreateSnapshot (what it refuses of the disk's instance) and DescribeSnapshots."""
from dataclasses import dataclass

from sandbox.ecs.models.base import RUNNING, STOPPED, iso_second, locked
from sandbox.ecs.models.disks import Disk
from sandbox.ecs.models.errors import EcsError
from sandbox.ecs.models.regions import REGION


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


class Snapshots:
    def _reset_snapshots(self):
        self.snapshots = {}

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

    @locked
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

    @locked
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
