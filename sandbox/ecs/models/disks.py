"""Disks (made and released with their instance) and DescribeDisks."""
from dataclasses import dataclass

from sandbox.ecs.models.base import iso_minute, locked
from sandbox.ecs.models.regions import REGION


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


class Disks:
    def _reset_disks(self):
        self.disks = {}

    def _render_disk(self, disk):
        return {
            "DiskId": disk.id, "InstanceId": disk.instance_id, "Type": disk.type, "Category": disk.category,
            "Size": disk.size, "Device": disk.device, "Status": "In_use", "RegionId": disk.region,
            "SourceSnapshotId": disk.source_snapshot,
            "ZoneId": self.instances[disk.instance_id].zone_id, "ImageId": disk.image_id,
            "DeleteWithInstance": True, "Portable": disk.type == "data", "CreationTime": iso_minute(disk.created),
            "DiskName": "", "Tags": {"Tag": []},
        }

    @locked
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
