"""ECS: the image-failure switch (control: image_failures)."""
import json
import urllib.error

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from sandbox.control_client import control
from sandbox.fleet import ECS_IMAGE, ECS_SECURITY_GROUP, ECS_TYPE, ECS_VSWITCH, launch_ecs
from sandboxtest import advance, error

R = "cn-hangzhou"


def test_image_failure_switch(box, env, ecs):
    failing, fine = launch_ecs(env, 2)
    advance(box)  # Running: CreateImage wants Running or Stopped
    control(box.ecs_url, "image_failures", {"instance_ids": [failing]})
    with pytest.raises(ClientException) as err:
        ecs.create_image(m.CreateImageRequest(region_id=R, instance_id=failing, image_name="img-a"))
    # the CreateImage error table's code for an instance it refuses, with its HTTP status
    assert (err.value.code, err.value.status_code) == ("IncorrectInstanceStatus", 400)
    assert ecs.create_image(m.CreateImageRequest(region_id=R, instance_id=fine, image_name="img-b")).body.image_id
    box.ecs.reset()
    assert box.ecs.model.image_failures == set()


def test_image_failure_route_rejects_an_empty_list(box):
    with pytest.raises(urllib.error.HTTPError) as err:
        control(box.ecs_url, "image_failures", {"instance_ids": []})
    assert err.value.code == 400


# ---- CreateImage from disk snapshots: SnapshotId and DiskDeviceMapping ------------------------------------
# Sources: the CreateImage API reference (https://www.alibabacloud.com/help/en/ecs/developer-reference/
# api-ecs-2014-05-26-createimage: the three methods and their priority InstanceId > DiskDeviceMapping > SnapshotId;
# its error table, also in the Chinese reference, e.g. github.com/shoppWeb/ecs "intl.zh-CN/API参考/镜像/CreateImage.md"),
# and the SDK's CreateImageRequest / CreateImageRequestDiskDeviceMapping docstrings (device names, sizes, 16 data disks).


def launch_with_data_disk(box, ecs, data_size=50, running=True):
    """One instance with a system disk (the image's 20 GiB) and one data disk; brought to Running (CreateSnapshot
    and CreateImage want a Running or Stopped instance that has been started), unless `running=False`."""
    request = m.RunInstancesRequest(region_id=R, image_id=ECS_IMAGE, instance_type=ECS_TYPE, v_switch_id=ECS_VSWITCH,
                                    security_group_id=ECS_SECURITY_GROUP,
                                    data_disk=[m.RunInstancesRequestDataDisk(size=data_size, category="cloud_essd")])
    instance_id = ecs.run_instances(request).body.instance_id_sets.instance_id_set[0]
    if running:
        advance(box)
        assert status_of(ecs, instance_id) == "Running"
    return instance_id


def status_of(ecs, instance_id):
    [record] = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps([instance_id]))
                                      ).body.instances.instance
    return record.status


def disks_of(ecs, instance_id):
    body = ecs.describe_disks(m.DescribeDisksRequest(region_id=R, instance_id=instance_id)).body
    return sorted(body.disks.disk, key=lambda d: d.device)


def snapshot_disks(ecs, instance_id):
    """{'system': id, 'data': id}: one snapshot of each disk."""
    return {d.type: ecs.create_snapshot(m.CreateSnapshotRequest(disk_id=d.disk_id)).body.snapshot_id
            for d in disks_of(ecs, instance_id)}


def image_of(ecs, image_id):
    [image] = ecs.describe_images(m.DescribeImagesRequest(region_id=R, image_id=image_id,
                                                          status="Creating,Available")).body.images.image
    return image


def mapping_view(image):
    return [(d.type, d.device, d.size, d.snapshot_id) for d in image.disk_device_mappings.disk_device_mapping]


def mapping(snapshot_id=None, disk_type=None, device=None, size=None):
    return m.CreateImageRequestDiskDeviceMapping(snapshot_id=snapshot_id, disk_type=disk_type, device=device, size=size)


def test_image_from_the_system_disk_snapshot_id(box, ecs):
    """Method 2: SnapshotId of a system disk snapshot; a data disk's is refused (error table: 403 OperationDenied
    "The specified snapshot is not from system disk.")."""
    source = launch_with_data_disk(box, ecs)
    snaps = snapshot_disks(ecs, source)
    advance(box)
    image_id = ecs.create_image(m.CreateImageRequest(region_id=R, snapshot_id=snaps["system"], image_name="from-sys")).body.image_id
    image = image_of(ecs, image_id)
    assert mapping_view(image) == [("system", "/dev/xvda", "20", snaps["system"])]
    assert (image.size, image.ostype, image.image_owner_alias) == (20, "linux", "self")
    err = error(ecs.create_image, m.CreateImageRequest(region_id=R, snapshot_id=snaps["data"], image_name="from-data"))
    assert (err.code, err.status_code) == ("OperationDenied", 403) and "not from system disk" in err.message


def test_image_from_a_disk_device_mapping_launches_clones_with_those_disks(box, ecs):
    """Method 3: the system disk snapshot at /dev/xvda and data disk snapshots at /dev/xvdb..z, each Size at
    least the snapshot's (the default). DescribeImages carries DiskDeviceMappings with the snapshot ids;
    RunInstances creates the image's data disks "as the first N data cloud disks" (RunInstancesRequest
    DataDisk.N.Device docstring), then the request's own DataDisk.N."""
    source = launch_with_data_disk(box, ecs, data_size=50)
    snaps = snapshot_disks(ecs, source)
    advance(box)
    request = m.CreateImageRequest(region_id=R, image_name="full-image", disk_device_mapping=[
        mapping(snaps["system"], "system", "/dev/xvda"), mapping(snaps["data"], "data", "/dev/xvdb", size=60)],
        tag=[m.CreateImageRequestTag(key="team", value="db")])
    image_id = ecs.create_image(request).body.image_id
    image = image_of(ecs, image_id)
    assert image.status == "Creating"
    assert mapping_view(image) == [("system", "/dev/xvda", "20", snaps["system"]), ("data", "/dev/xvdb", "60", snaps["data"])]
    assert image.size == 20 and {t.tag_key: t.tag_value for t in image.tags.tag} == {"team": "db"}
    advance(box)
    assert image_of(ecs, image_id).status == "Available"

    clone = ecs.run_instances(m.RunInstancesRequest(
        region_id=R, image_id=image_id, instance_type="ecs.g7.large",
        data_disk=[m.RunInstancesRequestDataDisk(size=30)])).body.instance_id_sets.instance_id_set[0]
    got = [(d.type, d.device, d.size, d.source_snapshot_id, d.image_id) for d in disks_of(ecs, clone)]
    assert got == [("system", "/dev/xvda", 20, snaps["system"], image_id), ("data", "/dev/xvdb", 60, snaps["data"], ""),
                   ("data", "/dev/xvdc", 30, "", "")]


def test_mapping_devices_default_in_order_and_data_disks_may_be_empty(box, ecs):
    """No Device: the system disk is /dev/xvda and data disks take the free names in order; no SnapshotId:
    an empty data disk of Size GiB (reference: "SnapshotId may not be specified. In this case, an empty data
    disk with a specific size is created"); DiskType defaults to the snapshot's disk type."""
    source = launch_with_data_disk(box, ecs, data_size=50)
    snaps = snapshot_disks(ecs, source)
    advance(box)
    image_id = ecs.create_image(m.CreateImageRequest(region_id=R, image_name="defaults", disk_device_mapping=[
        mapping(snaps["data"]), mapping(size=25), mapping(snaps["system"], device="/dev/xvda")])).body.image_id
    assert mapping_view(image_of(ecs, image_id)) == [
        ("system", "/dev/xvda", "20", snaps["system"]), ("data", "/dev/xvdb", "50", snaps["data"]), ("data", "/dev/xvdc", "25", "")]


@pytest.mark.parametrize("case, code, status, words", [
    ("data only", "OperationDenied", 400, "does not contain system disk snapshot"),
    ("two systems", "OperationDenied", 400, "two or more system disk snapshots"),
    ("unknown snapshot", "InvalidSnapshotId.NotFound", 404, "does not exist"),
    ("smaller than the snapshot", "InvalidSize.ValueNotSupported", 400, "Size beyond the permitted range"),
    ("system elsewhere", "InvalidDevice.Malformed", 400, "Device is not valid"),
    ("data at /dev/sdb", "InvalidDevice.Malformed", 400, "Device is not valid"),
    ("same device twice", "InvalidDevice.InUse", 400, "has been occupied"),
    ("bad disk type", "InvalidDiskType.ValueNotSupported", 400, "disk type is not supported"),
    ("nothing to image", "MissingParameter", 400, "SnapshotId or InstanceId or DiskDeviceMapping"),
    ("bad name", "InvalidImageName.Malformed", 400, "wrongly formed"),
])
def test_mapping_errors_are_the_references(box, ecs, case, code, status, words):
    source = launch_with_data_disk(box, ecs)
    snaps = snapshot_disks(ecs, source)
    advance(box)
    system, data = snaps["system"], snaps["data"]
    mappings = {
        "data only": [mapping(data)],
        "two systems": [mapping(system), mapping(data, "system")],
        "unknown snapshot": [mapping(system), mapping("s-bp1nothere000000000")],
        "smaller than the snapshot": [mapping(system, size=10)],
        "system elsewhere": [mapping(system, device="/dev/xvdb")],
        "data at /dev/sdb": [mapping(system), mapping(data, device="/dev/sdb")],
        "same device twice": [mapping(system), mapping(data, device="/dev/xvdc"), mapping(size=20, device="/dev/xvdc")],
        "bad disk type": [mapping(system, "root")],
        "nothing to image": None,
        "bad name": [mapping(system)],
    }[case]
    name = "1-starts-with-a-digit" if case == "bad name" else "broken"
    err = error(ecs.create_image, m.CreateImageRequest(region_id=R, image_name=name, disk_device_mapping=mappings))
    assert (err.code, err.status_code) == (code, status) and words in err.message, err.message
    mine = ecs.describe_images(m.DescribeImagesRequest(region_id=R, image_owner_alias="self",
                                                       status="Creating,Available")).body.images.image
    assert mine == []


def test_an_unfinished_snapshot_is_not_ready_and_a_dry_run_checks_the_mapping(box, ecs):
    """CreateSnapshot reference: "If a snapshot is being created, you cannot use this snapshot to create a custom
    image" - 403 InvalidSnapshotId.NotReady (CreateImage error table), by SnapshotId and by DiskDeviceMapping."""
    source = launch_with_data_disk(box, ecs)
    snaps = snapshot_disks(ecs, source)
    for request in (m.CreateImageRequest(region_id=R, image_name="early", snapshot_id=snaps["system"]),
                    m.CreateImageRequest(region_id=R, image_name="early", disk_device_mapping=[mapping(snaps["system"])])):
        err = error(ecs.create_image, request)
        assert (err.code, err.status_code) == ("InvalidSnapshotId.NotReady", 403)
    advance(box)
    err = error(ecs.create_image, m.CreateImageRequest(region_id=R, image_name="dry", dry_run=True, disk_device_mapping=[
        mapping(snaps["system"]), mapping(snaps["data"])]))
    assert err.code == "DryRunOperation"
    assert ecs.describe_images(m.DescribeImagesRequest(region_id=R, image_owner_alias="self",
                                                       status="Creating,Available")).body.images.image == []


def test_instance_id_comes_first_and_its_image_maps_a_new_snapshot_of_each_disk(box, ecs):
    """Priority InstanceId > DiskDeviceMapping > SnapshotId; from an instance, "a snapshot is created for each
    disk of the instance" (reference), and the image maps them at the instance's devices."""
    source = launch_with_data_disk(box, ecs, data_size=50)
    other = snapshot_disks(ecs, source)
    advance(box)
    image_id = ecs.create_image(m.CreateImageRequest(region_id=R, image_name="by-instance", instance_id=source,
                                                     snapshot_id=other["system"],
                                                     disk_device_mapping=[mapping(other["system"])])).body.image_id
    view = mapping_view(image_of(ecs, image_id))
    assert [v[:3] for v in view] == [("system", "/dev/xvda", "20"), ("data", "/dev/xvdb", "50")]
    made = [v[3] for v in view]
    assert not set(made) & set(other.values())
    listed = ecs.describe_snapshots(m.DescribeSnapshotsRequest(region_id=R, snapshot_ids=json.dumps(made))).body.snapshots.snapshot
    assert sorted((s.snapshot_id, s.source_disk_type) for s in listed) == sorted(zip(made, ("system", "data")))


def test_a_system_disk_smaller_than_the_image_is_refused(box, ecs):
    """RunInstances: SystemDisk.Size "must be greater than or equal to max{1, ImageSize}" (its docstring); the
    error table's 404 InvalidSystemDiskSize.LessThanImageSize."""
    err = error(ecs.run_instances, m.RunInstancesRequest(
        region_id=R, image_id="win2022_21H2_x64_dtc_en-us_40G_alibase_20240815.vhd", instance_type="ecs.g7.large",
        system_disk=m.RunInstancesRequestSystemDisk(size=30)))
    assert (err.code, err.status_code) == ("InvalidSystemDiskSize.LessThanImageSize", 404)


def test_mapped_images_survive_the_state_file(box, ecs):
    source = launch_with_data_disk(box, ecs)
    snaps = snapshot_disks(ecs, source)
    advance(box)
    image_id = ecs.create_image(m.CreateImageRequest(region_id=R, image_name="kept", disk_device_mapping=[
        mapping(snaps["system"]), mapping(snaps["data"])])).body.image_id
    before = mapping_view(image_of(ecs, image_id))
    state, _due = box.ecs.model.export_state()
    box.ecs.model.import_state(json.loads(json.dumps(state)))
    assert mapping_view(image_of(ecs, image_id)) == before


# ---- CreateSnapshot and CreateImage (InstanceId) want an instance that is Running or Stopped -------------------
# Sources: the CreateSnapshot reference (doc 25524, https://www.alibabacloud.com/help/en/doc-detail/25524.htm and its
# Chinese copy): no snapshot of a disk whose instance "has never been started" or "is not in the Stopped (Stopped) or
# Running (Running) state"; its error table: 400 IncorrectInstanceStatus "The current status of the resource does not
# support this operation.", 403 IncorrectDiskStatus.NeverUsed "The specified disk has never been used after creating.".
# The CreateImage reference (doc 25535): from an instance, "The instance must be in the Running (Running) or Stopped
# (Stopped) state"; its error table: 400 IncorrectInstanceStatus "The current status of the instance does not support
# this operation.". (Both tables as in github.com/zxc916684603/ecs, intl.en-US and intl.zh-CN.)

SNAPSHOT_REFUSED = ("IncorrectInstanceStatus", 400, "The current status of the resource does not support this operation.")
IMAGE_REFUSED = ("IncorrectInstanceStatus", 400, "The current status of the instance does not support this operation.")


def refusal(err):
    """(code, HTTP status, ECS's own message: the body's Message, which the SDK's err.message wraps)."""
    return err.code, err.status_code, err.data.get("Message")


def snapshot_error(ecs, disk_id):
    return refusal(error(ecs.create_snapshot, m.CreateSnapshotRequest(disk_id=disk_id)))


def image_error(ecs, instance_id, **kw):
    return refusal(error(ecs.create_image, m.CreateImageRequest(region_id=R, instance_id=instance_id,
                                                                image_name="of-" + instance_id[-6:], **kw)))


def own_snapshots(ecs):
    return ecs.describe_snapshots(m.DescribeSnapshotsRequest(region_id=R)).body.snapshots.snapshot


def own_images(ecs):
    return ecs.describe_images(m.DescribeImagesRequest(region_id=R, image_owner_alias="self",
                                                       status="Creating,Available")).body.images.image


def hold(box, instance_id, state):
    control(box.ecs_url, "stuck", {"instance_ids": [instance_id], "state": state})


@pytest.mark.parametrize("state", ["Pending", "Starting"])
def test_an_instance_never_started_is_neither_snapshotted_nor_imaged(box, ecs, state):
    """Just launched, Pending or Starting (held there): it has never been started, and is not Running or Stopped."""
    source = launch_with_data_disk(box, ecs, running=False)
    hold(box, source, state)
    advance(box)
    assert status_of(ecs, source) == state
    for disk in disks_of(ecs, source):
        assert snapshot_error(ecs, disk.disk_id) == SNAPSHOT_REFUSED
    assert image_error(ecs, source) == IMAGE_REFUSED
    assert image_error(ecs, source, dry_run=True) == IMAGE_REFUSED  # a dry run says so too
    assert own_snapshots(ecs) == [] and own_images(ecs) == []


def test_an_instance_held_in_stopping_is_neither_snapshotted_nor_imaged(box, ecs):
    """The stuck instance replace_stuck_instance deals with: no snapshot of any of its disks, no image of it, and
    nothing made by the refused calls; the snapshots made while it ran are still there to build an image from."""
    source = launch_with_data_disk(box, ecs)
    before = snapshot_disks(ecs, source)  # while it runs
    hold(box, source, "stopping")
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=[source], force_stop=True))
    advance(box)
    assert status_of(ecs, source) == "Stopping"
    for disk in disks_of(ecs, source):
        assert snapshot_error(ecs, disk.disk_id) == SNAPSHOT_REFUSED
    assert image_error(ecs, source) == IMAGE_REFUSED
    assert image_error(ecs, source, dry_run=True) == IMAGE_REFUSED
    assert sorted(s.snapshot_id for s in own_snapshots(ecs)) == sorted(before.values()) and own_images(ecs) == []
    image_id = ecs.create_image(m.CreateImageRequest(region_id=R, image_name="from-before", disk_device_mapping=[
        mapping(before["system"]), mapping(before["data"])])).body.image_id
    assert [v[3] for v in mapping_view(image_of(ecs, image_id))] == [before["system"], before["data"]]


def test_running_and_stopped_instances_are_snapshotted_and_imaged_and_a_restart_is_not(box, ecs):
    """Running, then Stopped: both allowed. Starting again after a start (it has run before): refused for its status."""
    source = launch_with_data_disk(box, ecs)
    [system, data] = [d.disk_id for d in disks_of(ecs, source)]
    assert ecs.create_snapshot(m.CreateSnapshotRequest(disk_id=system)).body.snapshot_id
    assert ecs.create_image(m.CreateImageRequest(region_id=R, instance_id=source, image_name="running")).body.image_id
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=[source]))
    advance(box)
    assert status_of(ecs, source) == "Stopped"
    assert ecs.create_snapshot(m.CreateSnapshotRequest(disk_id=data)).body.snapshot_id
    assert ecs.create_image(m.CreateImageRequest(region_id=R, instance_id=source, image_name="stopped")).body.image_id
    hold(box, source, "starting")
    ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=[source]))
    advance(box)
    assert status_of(ecs, source) == "Starting"
    assert snapshot_error(ecs, system) == SNAPSHOT_REFUSED
    assert image_error(ecs, source) == IMAGE_REFUSED
    # 2 made by CreateSnapshot, 2 by each image of the instance (a snapshot of every disk)
    assert len(own_snapshots(ecs)) == 6 and len(own_images(ecs)) == 2


def test_a_stopped_instance_that_never_started_has_disks_never_used(box, ecs):
    """Stopped without ever having been started (what CreateInstance leaves, doc 25380; the sandbox has no
    CreateInstance, so the instance's StartTime is cleared here): 403 IncorrectDiskStatus.NeverUsed."""
    source = launch_with_data_disk(box, ecs)
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=[source]))
    advance(box)
    box.ecs.model.instances[source].started = None
    [system, _data] = [d.disk_id for d in disks_of(ecs, source)]
    assert snapshot_error(ecs, system) == ("IncorrectDiskStatus.NeverUsed", 403,
                                           "The specified disk has never been used after creating.")
    assert own_snapshots(ecs) == []


def test_a_security_lock_is_said_before_the_status(box, ecs):
    source = launch_with_data_disk(box, ecs)
    hold(box, source, "stopping")
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=[source]))
    control(box.ecs_url, "locks", {"instance_ids": [source], "reason": "security"})
    assert snapshot_error(ecs, disks_of(ecs, source)[0].disk_id)[0] == "InstanceLockedForSecurity"
    assert image_error(ecs, source)[0] == "InstanceLockedForSecurity"


def test_an_unknown_disk_is_not_found(ecs):
    assert snapshot_error(ecs, "d-bp1nothere000000000")[:2] == ("InvalidDiskId.NotFound", 404)
