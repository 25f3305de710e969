"""ECS regions in the sandbox, through the unmodified alibabacloud_ecs20140526 client over HTTP.

Sources: the ECS API reference (DescribeRegions, https://www.alibabacloud.com/help/en/doc-detail/25609.htm;
each action's RegionId, "The region ID of the instance", in the SDK's models/_<action>_request.py) and
the real service's answer to an unknown region, quoted in kubernetes/cloud-provider-alibaba-cloud
issue #81. The sandbox serves every region on one endpoint: see the sandbox/ecs/models/__init__.py docstring.
"""
import base64
import json
import time

from alibabacloud_ecs20140526 import models as m

from sandbox.control_client import control as _control
from sandbox.fleet import ECS_IMAGE, ecs_states, launch_ecs, stop_ecs
from sandboxtest import advance, error

HOME, AWAY = "cn-hangzhou", "cn-beijing"  # the env's default region, and the one the tests launch in
GHOST = "i-bp1nothere0000000000"  # an id no region has
PATIENCE = 30.0  # a deadline against hanging forever, never a performance assertion


# fixtures `box`, `env`, `ecs`: tests/sandbox/conftest.py


def describe(ecs, region, ids=None, **kw):
    request = m.DescribeInstancesRequest(region_id=region, page_size=100, **kw)
    if ids is not None:
        request.instance_ids = json.dumps(ids)
    return ecs.describe_instances(request).body


def status_in(ecs, region, instance_id):
    found = describe(ecs, region, [instance_id]).instances.instance
    return found[0].status if found else None


def away_running(box, env, count=1, **kw):
    """Instances launched in cn-beijing, brought to Running."""
    ids = launch_ecs(env, count, region=AWAY, **kw)
    advance(box)
    assert ecs_states(env, ids, region=AWAY) == {i: "Running" for i in ids}
    return ids


def same_answer(err, ghost_err):
    """The wrong region answers exactly as an unknown id: code, HTTP status, message shape."""
    assert (err.code, err.status_code) == (ghost_err.code, ghost_err.status_code) == ("InvalidInstanceId.NotFound", 404)


# ---- DescribeRegions ------------------------------------------------------------------------------

def test_describe_regions_lists_the_four_served_regions(ecs):
    """DescribeRegions (ECS API reference 25609; shape: the SDK's DescribeRegionsResponseBody) answers
    Regions.Region[] with RegionId, LocalName, RegionEndpoint and Status; it takes no RegionId, and
    LocalName follows AcceptLanguage (default zh-CN, per the SDK's DescribeRegionsRequest)."""
    body = ecs.describe_regions(m.DescribeRegionsRequest(accept_language="en-US")).body
    regions = {r.region_id: r for r in body.regions.region}
    assert set(regions) == {"cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"}
    assert regions["cn-hangzhou"].local_name == "China (Hangzhou)"
    assert regions["ap-southeast-1"].local_name == "Singapore"
    for region_id, region in regions.items():
        assert region.region_endpoint == f"ecs.{region_id}.aliyuncs.com"
        assert region.status == "available"
    chinese = ecs.describe_regions(m.DescribeRegionsRequest()).body.regions.region
    assert {r.region_id: r.local_name for r in chinese}["cn-beijing"] == "华北2（北京）"
    err = error(ecs.describe_regions, m.DescribeRegionsRequest(resource_type="rocket"))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)


# ---- instances belong to their region ----------------------------------------------------------------

def test_instance_launched_in_beijing_is_listed_only_under_beijing(box, env, ecs):
    """RunInstances' RegionId is the instance's region; DescribeInstances, DescribeInstanceStatus and
    DescribeInstancesFullStatus ("The region ID of the instance", required) list only that region's
    instances, and render its real RegionId and a ZoneId of it (SDK request/response models)."""
    [away] = away_running(box, env)
    [home] = launch_ecs(env, 1)  # the env's default region, as before
    advance(box)
    listed = describe(ecs, AWAY).instances.instance
    assert [(i.instance_id, i.region_id, i.zone_id) for i in listed] == [(away, AWAY, "cn-beijing-h")]
    at_home = describe(ecs, HOME).instances.instance
    assert [(i.instance_id, i.region_id, i.zone_id) for i in at_home] == [(home, HOME, "cn-hangzhou-i")]
    # asked for by id in the wrong region: nothing, as for an id that does not exist
    wrong = describe(ecs, HOME, [away, GHOST])
    assert (wrong.instances.instance, wrong.total_count) == ([], 0)
    statuses = ecs.describe_instance_status(m.DescribeInstanceStatusRequest(region_id=HOME, instance_id=[away]))
    assert statuses.body.instance_statuses.instance_status == []
    statuses = ecs.describe_instance_status(m.DescribeInstanceStatusRequest(region_id=AWAY, instance_id=[away, home]))
    assert [s.instance_id for s in statuses.body.instance_statuses.instance_status] == [away]
    full = ecs.describe_instances_full_status(m.DescribeInstancesFullStatusRequest(region_id=HOME, instance_id=[away]))
    assert full.body.instance_full_status_set.instance_full_status_type == []
    full = ecs.describe_instances_full_status(m.DescribeInstancesFullStatusRequest(region_id=AWAY))
    assert [r.instance_id for r in full.body.instance_full_status_set.instance_full_status_type] == [away]
    assert box.ecs.env(box.ecs_url)["ALIBABA_CLOUD_REGION_ID"] == HOME  # the default region stays


def test_zone_of_another_region_is_refused(ecs):
    """A ZoneId is a zone of the request's region: one of another region is InvalidZoneId.NotFound (404),
    ECS's code for an unknown zone (e.g. the CreateCapacityReservation and CreateDisk error tables)."""
    base = dict(region_id=AWAY, image_id=ECS_IMAGE, instance_type="ecs.g7.large")
    err = error(ecs.run_instances, m.RunInstancesRequest(zone_id="cn-hangzhou-i", **base))
    assert (err.code, err.status_code) == ("InvalidZoneId.NotFound", 404)
    body = ecs.run_instances(m.RunInstancesRequest(zone_id="cn-beijing-k", **base)).body
    [iid] = body.instance_id_sets.instance_id_set
    assert describe(ecs, AWAY, [iid]).instances.instance[0].zone_id == "cn-beijing-k"


def test_batch_actions_under_another_region_answer_as_for_an_unknown_id_and_change_nothing(box, env, ecs):
    """StopInstances, StartInstances, RebootInstances and DeleteInstances take a required RegionId, "the
    region ID of the instances" (SDK request models): an instance of another region is not found
    (InvalidInstanceId.NotFound, 404, as for an unknown id), per instance with
    BatchOptimization=SuccessFirst, and it is left as it was."""
    [iid] = away_running(box, env)
    for call, request in [
        (ecs.stop_instances, m.StopInstancesRequest(region_id=HOME, instance_id=[iid], force_stop=True)),
        (ecs.reboot_instances, m.RebootInstancesRequest(region_id=HOME, instance_id=[iid])),
        (ecs.delete_instances, m.DeleteInstancesRequest(region_id=HOME, instance_id=[iid], force=True)),
    ]:
        err = error(call, request)
        request.instance_id = [GHOST]
        same_answer(err, error(call, request))
        advance(box)
        assert status_in(ecs, AWAY, iid) == "Running", call
    body = ecs.stop_instances(m.StopInstancesRequest(region_id=HOME, instance_id=[iid, GHOST],
                                                     batch_optimization="SuccessFirst")).body
    rows = {r.instance_id: r for r in body.instance_responses.instance_response}
    assert (rows[iid].code, rows[iid].message) == (rows[GHOST].code, rows[GHOST].message.replace(GHOST, iid))
    assert rows[iid].code == "InvalidInstanceId.NotFound"
    advance(box)
    assert status_in(ecs, AWAY, iid) == "Running"
    # stopped in its own region, it does not start from another one
    stop_ecs(env, [iid], region=AWAY)
    advance(box)
    assert status_in(ecs, AWAY, iid) == "Stopped"
    err = error(ecs.start_instances, m.StartInstancesRequest(region_id=HOME, instance_id=[iid]))
    same_answer(err, error(ecs.start_instances, m.StartInstancesRequest(region_id=HOME, instance_id=[GHOST])))
    advance(box)
    assert status_in(ecs, AWAY, iid) == "Stopped"
    err = error(ecs.delete_instances, m.DeleteInstancesRequest(region_id=HOME, instance_id=[iid]))
    same_answer(err, error(ecs.delete_instances, m.DeleteInstancesRequest(region_id=HOME, instance_id=[GHOST])))
    assert status_in(ecs, AWAY, iid) == "Stopped"
    # in its own region every one of them works
    ecs.start_instances(m.StartInstancesRequest(region_id=AWAY, instance_id=[iid]))
    advance(box)
    ecs.reboot_instances(m.RebootInstancesRequest(region_id=AWAY, instance_id=[iid]))
    advance(box)
    ecs.delete_instances(m.DeleteInstancesRequest(region_id=AWAY, instance_id=[iid], force=True))
    assert status_in(ecs, AWAY, iid) is None


def test_auto_release_time_with_a_region_is_scoped_to_it(box, env, ecs):
    """ModifyInstanceAutoReleaseTime's RegionId is optional (its SDK docstring does not say required):
    given, it scopes the call (another region's instance is InvalidInstanceId.NotFound and keeps its
    AutoReleaseTime); left out, the instance is found by id."""
    [iid] = away_running(box, env)
    text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(box.ctx.clock.now() + 2 * 3600))
    err = error(ecs.modify_instance_auto_release_time, m.ModifyInstanceAutoReleaseTimeRequest(
        region_id=HOME, instance_id=iid, auto_release_time=text))
    same_answer(err, error(ecs.modify_instance_auto_release_time, m.ModifyInstanceAutoReleaseTimeRequest(
        region_id=HOME, instance_id=GHOST, auto_release_time=text)))
    assert describe(ecs, AWAY, [iid]).instances.instance[0].auto_release_time == ""
    ecs.modify_instance_auto_release_time(m.ModifyInstanceAutoReleaseTimeRequest(
        region_id=AWAY, instance_id=iid, auto_release_time=text))
    assert describe(ecs, AWAY, [iid]).instances.instance[0].auto_release_time == text[:16] + "Z"
    ecs.modify_instance_auto_release_time(m.ModifyInstanceAutoReleaseTimeRequest(instance_id=iid))  # no region
    assert describe(ecs, AWAY, [iid]).instances.instance[0].auto_release_time == ""


def test_unknown_region_is_invalid_region_id_not_found(box, env, ecs):
    """An unknown RegionId answers 404 InvalidRegionId.NotFound "The specified RegionId does not exist."
    (the real service, quoted in kubernetes/cloud-provider-alibaba-cloud issue #81), and does nothing."""
    [iid] = launch_ecs(env, 1)
    advance(box)
    for call, request in [
        (ecs.describe_instances, m.DescribeInstancesRequest(region_id="us-east-9", instance_ids=json.dumps([iid]))),
        (ecs.stop_instances, m.StopInstancesRequest(region_id="us-east-9", instance_id=[iid])),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code) == ("InvalidRegionId.NotFound", 404)
        assert "The specified RegionId does not exist." in err.message
    advance(box)
    assert status_in(ecs, HOME, iid) == "Running"


def test_missing_region_id_is_missing_parameter(ecs):
    """Where the SDK's request model says RegionId "This parameter is required." (DescribeInstances,
    StopInstances, RunCommand, ...), leaving it out is MissingParameter (400)."""
    for call, request in [
        (ecs.describe_instances, m.DescribeInstancesRequest()),
        (ecs.stop_instances, m.StopInstancesRequest(instance_id=[GHOST])),
        (ecs.describe_disks, m.DescribeDisksRequest()),
        (ecs.run_command, m.RunCommandRequest(type="RunShellScript", command_content="true", instance_id=[GHOST])),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code) == ("MissingParameter", 400), call
        assert "RegionId" in err.message


def test_region_less_actions_find_the_instance_in_any_region(box, env, ecs):
    """ModifyInstanceAttribute, StopInstance and StartInstance have no RegionId in their SDK request
    models (the real cloud routes them by regional endpoint; the sandbox has one endpoint): they find
    the instance by id, whatever its region."""
    [iid] = away_running(box, env)
    ecs.modify_instance_attribute(m.ModifyInstanceAttributeRequest(instance_id=iid, deletion_protection=True,
                                                                   instance_name="far-away"))
    record = describe(ecs, AWAY, [iid]).instances.instance[0]
    assert (record.deletion_protection, record.instance_name) == (True, "far-away")
    ecs.stop_instance(m.StopInstanceRequest(instance_id=iid))
    advance(box)
    assert status_in(ecs, AWAY, iid) == "Stopped"
    ecs.start_instance(m.StartInstanceRequest(instance_id=iid))
    advance(box)
    assert status_in(ecs, AWAY, iid) == "Running"
    err = error(ecs.delete_instance, m.DeleteInstanceRequest(instance_id=iid, force=True))
    assert err.code == "InvalidOperation.DeletionProtection"  # found: refused for its protection


# ---- disks, snapshots, images --------------------------------------------------------------------------

def test_disks_snapshots_and_images_of_beijing_are_not_listed_under_hangzhou(box, env, ecs):
    """A disk and a snapshot are in their instance's region (CreateSnapshot has no RegionId: the disk is
    found by id), an image in CreateImage's RegionId; DescribeDisks, DescribeSnapshots and
    DescribeImages (RegionId required, SDK request models) list only their region's, DescribeImages
    answers its own RegionId, and public images are in every region."""
    [iid] = away_running(box, env)
    [home_iid] = launch_ecs(env, 1)
    assert ecs.describe_disks(m.DescribeDisksRequest(region_id=HOME, instance_id=iid)).body.disks.disk == []
    disks = ecs.describe_disks(m.DescribeDisksRequest(region_id=AWAY, instance_id=iid)).body.disks.disk
    assert {(d.region_id, d.zone_id) for d in disks} == {(AWAY, "cn-beijing-h")}
    disk_ids = json.dumps([d.disk_id for d in disks])
    assert ecs.describe_disks(m.DescribeDisksRequest(region_id=HOME, disk_ids=disk_ids)).body.disks.disk == []

    snap_id = ecs.create_snapshot(m.CreateSnapshotRequest(disk_id=disks[0].disk_id)).body.snapshot_id
    advance(box)
    def snapshots(region, **kw):
        return ecs.describe_snapshots(m.DescribeSnapshotsRequest(region_id=region, **kw)).body

    by_id = json.dumps([snap_id])
    assert snapshots(HOME, snapshot_ids=by_id).snapshots.snapshot == []
    assert snapshots(HOME).total_count == 0
    [snap] = snapshots(AWAY, snapshot_ids=by_id).snapshots.snapshot
    assert snap.status == "accomplished"

    err = error(ecs.create_image, m.CreateImageRequest(region_id=HOME, instance_id=iid, image_name="far"))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)
    err = error(ecs.create_image, m.CreateImageRequest(region_id=HOME, snapshot_id=snap_id, image_name="far"))
    assert (err.code, err.status_code) == ("InvalidSnapshotId.NotFound", 404)
    image_id = ecs.create_image(m.CreateImageRequest(region_id=AWAY, instance_id=iid, image_name="far")).body.image_id
    # the name is taken in cn-beijing only: images are regional
    assert ecs.create_image(m.CreateImageRequest(region_id=HOME, instance_id=home_iid, image_name="far")).body.image_id
    err = error(ecs.create_image, m.CreateImageRequest(region_id=AWAY, snapshot_id=snap_id, image_name="far"))
    assert err.code == "InvalidImageName.Duplicated"
    advance(box)
    home = ecs.describe_images(m.DescribeImagesRequest(region_id=HOME, image_owner_alias="self")).body
    assert home.region_id == HOME and image_id not in [i.image_id for i in home.images.image]
    assert ecs.describe_images(m.DescribeImagesRequest(region_id=HOME, image_id=image_id)).body.images.image == []
    away = ecs.describe_images(m.DescribeImagesRequest(region_id=AWAY, image_owner_alias="self")).body
    assert (away.region_id, [i.image_id for i in away.images.image]) == (AWAY, [image_id])
    for region in (HOME, AWAY):
        public = ecs.describe_images(m.DescribeImagesRequest(region_id=region, image_owner_alias="system")).body
        assert ECS_IMAGE in [i.image_id for i in public.images.image], region
    # another region can neither launch from it nor delete it
    err = error(ecs.run_instances, m.RunInstancesRequest(region_id=HOME, image_id=image_id,
                                                         instance_type="ecs.g7.large"))
    assert (err.code, err.status_code) == ("InvalidImageId.NotFound", 404)
    err = error(ecs.delete_image, m.DeleteImageRequest(region_id=HOME, image_id=image_id))
    assert (err.code, err.status_code) == ("InvalidImageId.NotFound", 404)
    assert ecs.describe_images(m.DescribeImagesRequest(region_id=AWAY, image_id=image_id)).body.images.image
    ecs.run_instances(m.RunInstancesRequest(region_id=AWAY, image_id=image_id, instance_type="ecs.g7.large"))
    ecs.delete_image(m.DeleteImageRequest(region_id=AWAY, image_id=image_id))


# ---- Cloud Assistant -----------------------------------------------------------------------------------

def test_run_command_under_another_region_answers_as_for_an_unknown_instance(box, env, ecs):
    """RunCommand's RegionId is required (SDK RunCommandRequest): an instance of another region is
    InvalidInstance.NotFound (404), as an unknown one (RunCommand error table); the invocation of a
    RunCommand in cn-beijing is seen by DescribeInvocations / DescribeInvocationResults and stopped by
    StopInvocation in cn-beijing only (InvalidInvokeId.NotFound elsewhere)."""
    [iid] = away_running(box, env)
    script = base64.b64encode(b"echo far").decode()

    def run(region, instance_id):
        return ecs.run_command(m.RunCommandRequest(region_id=region, type="RunShellScript", command_content=script,
                                                   content_encoding="Base64", instance_id=[instance_id]))

    err, ghost = error(run, HOME, iid), error(run, HOME, GHOST)
    assert (err.code, err.status_code, err.message.split(" request id")[0]) == \
        (ghost.code, ghost.status_code, ghost.message.split(" request id")[0])
    assert (err.code, err.status_code) == ("InvalidInstance.NotFound", 404)
    invoke_id = run(AWAY, iid).body.invoke_id
    deadline = time.monotonic() + PATIENCE
    while True:
        rows = ecs.describe_invocation_results(m.DescribeInvocationResultsRequest(
            region_id=AWAY, invoke_id=invoke_id)).body.invocation.invocation_results.invocation_result
        if rows and rows[0].invocation_status == "Success":
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.05)
    assert base64.b64decode(rows[0].output) == b"far\n"
    elsewhere = ecs.describe_invocation_results(m.DescribeInvocationResultsRequest(region_id=HOME, invoke_id=invoke_id))
    assert elsewhere.body.invocation.invocation_results.invocation_result == []
    listed = ecs.describe_invocations(m.DescribeInvocationsRequest(region_id=HOME)).body.invocations.invocation
    assert listed == []
    listed = ecs.describe_invocations(m.DescribeInvocationsRequest(region_id=AWAY)).body.invocations.invocation
    assert [i.invoke_id for i in listed] == [invoke_id]
    err = error(ecs.stop_invocation, m.StopInvocationRequest(region_id=HOME, invoke_id=invoke_id))
    assert (err.code, err.status_code) == ("InvalidInvokeId.NotFound", 404)
    ecs.stop_invocation(m.StopInvocationRequest(region_id=AWAY, invoke_id=invoke_id))


# ---- the control API -------------------------------------------------------------------------------

def test_control_api_works_by_instance_id_in_any_region(box, env, ecs):
    """The control API (SANDBOX.md: stuck, events, health) names instances by id alone: it reaches an
    instance in cn-beijing, and DescribeInstancesFullStatus in cn-beijing reports what it set."""
    [held, sick] = away_running(box, env, 2)
    _control(box.ecs_url, "stuck", {"instance_ids": [held], "state": "stopping"})
    _control(box.ecs_url, "health", {"instance_id": sick, "status": "impaired"})
    _control(box.ecs_url, "events", {"instance_id": sick, "code": "SystemMaintenance.Reboot",
                                     "not_before": "2030-01-01T00:00:00Z"})
    stop_ecs(env, [held], region=AWAY)
    advance(box)
    assert status_in(ecs, AWAY, held) == "Stopping"
    body = ecs.describe_instances_full_status(m.DescribeInstancesFullStatusRequest(region_id=AWAY, instance_id=[sick]))
    [row] = body.body.instance_full_status_set.instance_full_status_type
    assert row.health_status.name == "Impaired"
    assert [e.event_type.name for e in row.scheduled_system_event_set.scheduled_system_event_type] == \
        ["SystemMaintenance.Reboot"]
