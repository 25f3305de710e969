"""Disks on the wire: DescribeDisks."""
from sandbox.ecs.paging import Page
from sandbox.ecs.responses.regions import region_of


def describe_disks(model, p):
    disks, paging = model.describe_disks(
        Page.from_params(p.raw), instance_id=p.str("InstanceId"), disk_ids=p.json_ids("DiskIds"),
        disk_type=p.str("DiskType", choices=("all", "system", "data")), region=region_of(p))
    return {"Disks": {"Disk": disks}, **paging}


HANDLERS = {
    "DescribeDisks": describe_disks,
}
