"""Snapshots on the wire: CreateSnapshot, DescribeSnapshots."""
from sandbox.ecs.paging import Page
from sandbox.ecs.responses.regions import region_of


def create_snapshot(model, p):
    snapshot_id = model.create_snapshot(p.str("DiskId", required=True), name=p.str("SnapshotName"),
                                        tags=dict((k, v or "") for k, v in p.tags()))
    return {"SnapshotId": snapshot_id}


def describe_snapshots(model, p):
    snapshots, paging = model.describe_snapshots(
        Page.from_params(p.raw), snapshot_ids=p.json_ids("SnapshotIds"), disk_id=p.str("DiskId"),
        instance_id=p.str("InstanceId"), status=p.str("Status", choices=("progressing", "accomplished", "failed", "all")),
        name=p.str("SnapshotName"), region=region_of(p))
    return {"Snapshots": {"Snapshot": snapshots}, **paging}


HANDLERS = {
    "CreateSnapshot": create_snapshot,
    "DescribeSnapshots": describe_snapshots,
}
