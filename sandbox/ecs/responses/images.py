"""Images on the wire: CreateImage, DescribeImages, DeleteImage."""
from sandbox.ecs.models import EcsError
from sandbox.ecs.paging import Page
from sandbox.ecs.params import bad
from sandbox.ecs.responses.regions import region_of

# CreateImage's Platform and Architecture values (the SDK's CreateImageRequest docstrings); a value not listed is
# InvalidPlatform.Malformed / InvalidArchitecture.Malformed (400), the reference's error table.
IMAGE_PLATFORMS = (
    "Aliyun", "Anolis", "CentOS", "Ubuntu", "CoreOS", "SUSE", "Debian", "OpenSUSE", "FreeBSD", "RedHat", "Kylin", "UOS",
    "Fedora", "Fedora CoreOS", "CentOS Stream", "AlmaLinux", "Rocky Linux", "Gentoo", "Customized Linux", "Others Linux",
    "Windows Server 2022", "Windows Server 2019", "Windows Server 2016", "Windows Server 2012", "Windows Server 2008",
    "Windows Server 2003",
)


def _disk_device_mappings(p):
    """DiskDeviceMapping.N.{SnapshotId, Size, Device, DiskType} as the model takes them. DiskType is system | data
    (SDK docstring; another value is InvalidDiskType.ValueNotSupported), Size an integer of GiB
    (InvalidSize.ValueNotSupported otherwise)."""
    out = []
    for record in p.records("DiskDeviceMapping"):
        disk_type = record.get("DiskType") or None
        if disk_type not in (None, "system", "data"):
            raise EcsError("InvalidDiskType.ValueNotSupported", 400, "The specified disk type is not supported.")
        size = record.get("Size")
        if size not in (None, ""):
            try:
                size = int(size)
            except ValueError:
                raise EcsError("InvalidSize.ValueNotSupported", 400,
                               "The specified parameter DiskDeviceMapping.n.Size beyond the permitted range.")
        out.append({"snapshot_id": record.get("SnapshotId") or None, "size": size if size != "" else None,
                    "device": record.get("Device") or None, "disk_type": disk_type})
    return out


def create_image(model, p):
    """InstanceId, DiskDeviceMapping.N or SnapshotId (that priority, see EcsModel.create_image); none of them is
    MissingParameter with the reference's message."""
    instance_id, snapshot_id, mappings = p.str("InstanceId"), p.str("SnapshotId"), _disk_device_mappings(p)
    if not instance_id and not snapshot_id and not mappings:
        raise EcsError("MissingParameter", 400, "The input parameter SnapshotId or InstanceId or DiskDeviceMapping that "
                                                "is mandatory for processing this request is not supplied.")
    platform = p.get("Platform") or None
    if platform is not None and platform not in IMAGE_PLATFORMS:
        raise EcsError("InvalidPlatform.Malformed", 400, "The specified Platform is wrongly formed.")
    if p.get("Architecture") not in (None, "", "i386", "x86_64", "arm64"):
        raise EcsError("InvalidArchitecture.Malformed", 400, "The specified Architecture is wrongly formed.")
    p.str("Description")
    p.str("ClientToken")
    image_id = model.create_image(instance_id=instance_id, snapshot_id=snapshot_id, mappings=mappings,
                                  name=p.str("ImageName"), tags=dict((k, v or "") for k, v in p.tags()),
                                  dry_run=p.bool("DryRun"), region=region_of(p), platform=platform)
    return {"ImageId": image_id}


def describe_images(model, p):
    ids = [i for i in (p.str("ImageId") or "").split(",") if i] or None
    statuses = tuple(s for s in (p.str("Status") or "Available").split(",") if s)
    for status in statuses:
        if status not in ("Creating", "Waiting", "Available", "UnAvailable", "CreateFailed", "Deprecated"):
            raise bad("Status", status)
    images, paging = model.describe_images(
        Page.from_params(p.raw), image_ids=ids, name=p.str("ImageName"), statuses=statuses,
        owner=p.str("ImageOwnerAlias", choices=("system", "self", "others", "marketplace")), region=region_of(p))
    return {"Images": {"Image": images}, "RegionId": region_of(p), **paging}


def delete_image(model, p):
    p.bool("Force")
    model.delete_image(p.str("ImageId", required=True), dry_run=p.bool("DryRun"), region=region_of(p))


HANDLERS = {
    "CreateImage": create_image,
    "DescribeImages": describe_images,
    "DeleteImage": delete_image,
}
