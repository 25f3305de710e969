"""ECS emulator actions and state machine, through the unmodified alibabacloud_ecs20140526 client."""
import calendar
import json
import time

import pytest
from alibabacloud_ecs20140526 import models as m

from sandbox.control_client import control as _control
from sandbox.fleet import launch_ecs
from sandboxtest import calls, error


R = "cn-hangzhou"
T = 0.3  # transition seconds the fixtures set


# fixtures `box`, `env`, `ecs`: tests/sandbox/conftest.py


def statuses(client, ids):
    body = client.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids),
                                                                page_size=100)).body
    return {i.instance_id: i.status for i in body.instances.instance}


def wait_status(client, ids, wanted, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        states = statuses(client, ids)
        if all(states.get(i) == wanted for i in ids):
            return states
        assert time.monotonic() < deadline, f"not all {wanted}: {states}"
        time.sleep(0.05)


def running(env, ecs, count=1, **kw):
    ids = launch_ecs(env, count, **kw)
    wait_status(ecs, ids, "Running")
    return ids


def test_run_instances_pending_then_running_with_fields_and_disks(env, ecs):
    body = ecs.run_instances(m.RunInstancesRequest(
        region_id=R, image_id="aliyun_3_x64_20G_alibase_20240819.vhd", instance_type="ecs.g7.large",
        v_switch_id="vsw-abc", security_group_id="sg-abc", instance_name="web", amount=2,
        tag=[m.RunInstancesRequestTag(key="env", value="prod")],
        data_disk=[m.RunInstancesRequestDataDisk(size=100, category="cloud_essd")])).body
    ids = body.instance_id_sets.instance_id_set
    assert len(ids) == 2 and all(i.startswith("i-bp1") and len(i) == 22 for i in ids)
    assert set(statuses(ecs, ids).values()) == {"Pending"}
    wait_status(ecs, ids, "Running")
    inst = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids[:1]))).body
    record = inst.instances.instance[0]
    assert (record.instance_name, record.instance_type, record.region_id) == ("web", "ecs.g7.large", R)
    assert record.vpc_attributes.v_switch_id == "vsw-abc"
    assert record.security_group_ids.security_group_id == ["sg-abc"]
    assert [(t.tag_key, t.tag_value) for t in record.tags.tag] == [("env", "prod")]
    assert record.deletion_protection is False and record.auto_release_time == ""
    assert record.ostype == "linux" and record.zone_id
    disks = ecs.describe_disks(m.DescribeDisksRequest(region_id=R, instance_id=ids[0])).body.disks.disk
    assert sorted(d.type for d in disks) == ["data", "system"]
    assert all(d.disk_id.startswith("d-") for d in disks)
    assert [d.size for d in disks if d.type == "data"] == [100]


def test_run_instances_rejects_unknown_image_bad_prefix_and_amount(ecs):
    base = dict(region_id=R, instance_type="ecs.g7.large", v_switch_id="vsw-1", security_group_id="sg-1")
    err = error(ecs.run_instances, m.RunInstancesRequest(image_id="nope.vhd", **base))
    assert (err.code, err.status_code) == ("InvalidImageId.NotFound", 404)
    err = error(ecs.run_instances, m.RunInstancesRequest(image_id="aliyun_3_x64_20G_alibase_20240819.vhd",
                                                         amount=101, **base))
    assert err.code == "InvalidParameter"
    err = error(ecs.run_instances, m.RunInstancesRequest(
        image_id="aliyun_3_x64_20G_alibase_20240819.vhd", region_id=R, instance_type="t", v_switch_id="bad-1"))
    assert err.code == "InvalidParameter"
    err = error(ecs.run_instances, m.RunInstancesRequest(region_id=R, image_id="aliyun_3_x64_20G_alibase_20240819.vhd"))
    assert err.code == "MissingParameter"
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
    err = error(ecs.run_instances, m.RunInstancesRequest(image_id="aliyun_3_x64_20G_alibase_20240819.vhd",
                                                         auto_release_time=soon, **base))
    assert err.code == "InvalidAutoReleaseTime.Malformed"


def test_stop_goes_stopping_then_stopped_and_stopping_a_stopped_one_is_refused(env, ecs):
    ids = running(env, ecs, 2)
    body = ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids)).body
    rows = body.instance_responses.instance_response
    assert [(r.instance_id, r.code, r.previous_status, r.current_status) for r in rows] == \
        [(i, "200", "Running", "Stopping") for i in ids]
    assert set(statuses(ecs, ids).values()) == {"Stopping"}
    # a second stop while Stopping is accepted
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids))
    time.sleep(T + 0.05)
    assert set(statuses(ecs, ids).values()) == {"Stopped"}
    err = error(ecs.stop_instance, m.StopInstanceRequest(instance_id=ids[0]))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)
    stopped = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids[:1])))
    assert stopped.body.instances.instance[0].stopped_mode == "KeepCharging"


def test_stop_instances_success_first_reports_per_id_all_together_fails_whole(env, ecs):
    ids = running(env, ecs, 2)
    ghost = "i-bp1doesnotexist00000"
    err = error(ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=[ids[0], ghost]))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)
    assert set(statuses(ecs, ids).values()) == {"Running"}
    body = ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=[ids[0], ghost],
                                                     batch_optimization="SuccessFirst")).body
    rows = {r.instance_id: r for r in body.instance_responses.instance_response}
    assert rows[ids[0]].code == "200" and rows[ghost].code == "InvalidInstanceId.NotFound"
    assert statuses(ecs, ids) == {ids[0]: "Stopping", ids[1]: "Running"}
    err = error(ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=ids, stopped_mode="Sometimes"))
    assert err.code == "InvalidParameter"


def test_start_and_reboot(env, ecs):
    ids = running(env, ecs, 2)
    err = error(ecs.start_instance, m.StartInstanceRequest(instance_id=ids[0]))
    assert err.code == "IncorrectInstanceStatus"
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids, force_stop=True))
    wait_status(ecs, ids, "Stopped")
    err = error(ecs.reboot_instance, m.RebootInstanceRequest(instance_id=ids[0]))
    assert err.code == "IncorrectInstanceStatus"
    ecs.start_instance(m.StartInstanceRequest(instance_id=ids[0]))
    rows = ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=ids[1:])).body
    assert rows.instance_responses.instance_response[0].current_status == "Starting"
    assert set(statuses(ecs, ids).values()) == {"Starting"}
    wait_status(ecs, ids, "Running")
    ecs.reboot_instances(m.RebootInstancesRequest(region_id=R, instance_id=ids[:1], force_reboot=True))
    ecs.reboot_instance(m.RebootInstanceRequest(instance_id=ids[1]))
    assert set(statuses(ecs, ids).values()) == {"Starting"}
    wait_status(ecs, ids, "Running")


def test_delete_running_without_force_is_refused_and_force_releases(env, ecs):
    ids = running(env, ecs, 3)
    err = error(ecs.delete_instance, m.DeleteInstanceRequest(instance_id=ids[0]))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)
    assert statuses(ecs, ids)[ids[0]] == "Running"
    ecs.delete_instance(m.DeleteInstanceRequest(instance_id=ids[0], force=True))
    assert ids[0] not in statuses(ecs, ids)
    err = error(ecs.stop_instance, m.StopInstanceRequest(instance_id=ids[0]))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)
    assert ecs.describe_disks(m.DescribeDisksRequest(region_id=R, instance_id=ids[0])).body.total_count == 0
    # DeleteInstances is all or nothing: one running id fails the call, nothing is released
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids[1:2]))
    wait_status(ecs, ids[1:2], "Stopped")
    err = error(ecs.delete_instances, m.DeleteInstancesRequest(region_id=R, instance_id=ids[1:]))
    assert err.code == "IncorrectInstanceStatus"
    assert set(statuses(ecs, ids[1:])) == set(ids[1:])
    ecs.delete_instances(m.DeleteInstancesRequest(region_id=R, instance_id=ids[1:2]))
    assert statuses(ecs, ids) == {ids[2]: "Running"}


def test_deletion_protection(env, ecs):
    ids = running(env, ecs, 1, protected=True)
    err = error(ecs.delete_instance, m.DeleteInstanceRequest(instance_id=ids[0], force=True))
    assert (err.code, err.status_code) == ("InvalidOperation.DeletionProtection", 403)
    record = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids))).body
    assert record.instances.instance[0].deletion_protection is True
    ecs.modify_instance_attribute(m.ModifyInstanceAttributeRequest(instance_id=ids[0], deletion_protection=False))
    ecs.delete_instances(m.DeleteInstancesRequest(region_id=R, instance_id=ids, force=True))
    assert statuses(ecs, ids) == {}


def test_dry_run_answers_its_code_and_changes_nothing(box, env, ecs):
    """Singular actions and RunInstances answer DryRunOperation, the batch actions DRYRUN.SUCCESS (their
    SDK docstrings; see tests/sandbox/test_ecs_fidelity.py for the batch rules)."""
    ids = running(env, ecs, 1)
    before = len(calls(box))
    for call, request, code, message in [
        (ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=ids, dry_run=True),
         "DRYRUN.SUCCESS", "This request is a dryrun request with successful result."),
        (ecs.delete_instance, m.DeleteInstanceRequest(instance_id=ids[0], force=True, dry_run=True),
         "DryRunOperation", "Request validation has been passed with DryRun flag set."),
        (ecs.reboot_instances, m.RebootInstancesRequest(region_id=R, instance_id=ids, dry_run=True),
         "DRYRUN.SUCCESS", "This request is a dryrun request with successful result."),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code) == (code, 400)
        assert err.data["Message"] == message
    err = error(ecs.run_instances, m.RunInstancesRequest(
        region_id=R, image_id="aliyun_3_x64_20G_alibase_20240819.vhd", instance_type="t", dry_run=True))
    assert err.code == "DryRunOperation"
    time.sleep(T + 0.05)
    assert statuses(ecs, ids) == {ids[0]: "Running"}
    assert ecs.describe_instances(m.DescribeInstancesRequest(region_id=R)).body.total_count == 1
    logged = calls(box)[before:before + 4]
    assert [c["error_code"] for c in logged] == ["DRYRUN.SUCCESS", "DryRunOperation", "DRYRUN.SUCCESS",
                                                 "DryRunOperation"]
    assert logged[0]["params"]["DryRun"] == "True" and "Signature" not in logged[0]["params"]


def _release_text(box, minutes, second=37):
    at = box.ctx.clock.now() + minutes * 60
    return time.strftime(f"%Y-%m-%dT%H:%M:{second:02d}Z", time.gmtime(at)), at


def test_auto_release_time_set_read_cancel_validate_and_carried_out(box, env, ecs):
    ids = running(env, ecs, 2)
    text, at = _release_text(box, 45)
    ecs.modify_instance_auto_release_time(m.ModifyInstanceAutoReleaseTimeRequest(instance_id=ids[0],
                                                                                 auto_release_time=text))
    shown = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids[:1])))
    value = shown.body.instances.instance[0].auto_release_time
    assert value == time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(at))  # seconds rounded down
    # the value read back is accepted again
    ecs.modify_instance_auto_release_time(m.ModifyInstanceAutoReleaseTimeRequest(instance_id=ids[1],
                                                                                 auto_release_time=value))
    for bad in ["tomorrow", "2030-01-01 00:00:00", _release_text(box, 10)[0], _release_text(box, 60 * 24 * 366 * 4)[0]]:
        err = error(ecs.modify_instance_auto_release_time,
                    m.ModifyInstanceAutoReleaseTimeRequest(instance_id=ids[0], auto_release_time=bad))
        assert (err.code, err.status_code) == ("InvalidAutoReleaseTime.Malformed", 400), bad
    err = error(ecs.modify_instance_auto_release_time,
                m.ModifyInstanceAutoReleaseTimeRequest(instance_id="i-bp1nothere0000000000", auto_release_time=text))
    assert err.code == "InvalidInstanceId.NotFound"
    # cancel on the second one, then pass the first one's time
    ecs.modify_instance_auto_release_time(m.ModifyInstanceAutoReleaseTimeRequest(instance_id=ids[1]))
    assert statuses(ecs, ids) == {i: "Running" for i in ids}
    _control(box.ecs_url, "clock", {"advance_seconds": 46 * 60})
    assert ids[0] not in box.ecs.model.instances  # carried out by on_clock_advanced, before any read
    assert statuses(ecs, ids) == {ids[1]: "Running"}
    err = error(ecs.delete_instance, m.DeleteInstanceRequest(instance_id=ids[0], force=True))
    assert err.code == "InvalidInstanceId.NotFound"


def test_pagination_both_ways_returns_each_id_once(env, ecs):
    ids = launch_ecs(env, 250)
    seen, page = [], 1
    while True:
        body = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, page_number=page, page_size=100)).body
        assert body.total_count == 250
        seen += [i.instance_id for i in body.instances.instance]
        if len(body.instances.instance) < 100:
            break
        page += 1
    assert sorted(seen) == sorted(ids) and len(seen) == 250
    seen, token, rounds = [], None, 0
    while True:
        body = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, max_results=100, next_token=token)).body
        seen += [i.instance_id for i in body.instances.instance]
        token, rounds = body.next_token, rounds + 1
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 250 and rounds == 3
    status_ids, page = [], 1
    while True:
        body = ecs.describe_instance_status(m.DescribeInstanceStatusRequest(region_id=R, page_number=page,
                                                                            page_size=50)).body
        status_ids += [s.instance_id for s in body.instance_statuses.instance_status]
        if len(body.instance_statuses.instance_status) < 50:
            break
        page += 1
    assert sorted(status_ids) == sorted(ids)
    err = error(ecs.describe_instances, m.DescribeInstancesRequest(region_id=R, page_size=101))
    assert err.code == "InvalidParameter"
    err = error(ecs.describe_instances, m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids[:101])))
    assert err.code == "InvalidParameter"
    err = error(ecs.describe_instances, m.DescribeInstancesRequest(region_id=R, instance_ids="not json"))
    assert err.code == "InvalidParameter"


def test_describe_instances_filters(env, ecs):
    tagged = running(env, ecs, 2, tags={"team": "blue"})
    other = launch_ecs(env, 1, tags={"team": "red"})
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=tagged[:1]))

    def ids_of(**kw):
        body = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, page_size=100, **kw)).body
        return {i.instance_id for i in body.instances.instance}

    assert ids_of(tag=[m.DescribeInstancesRequestTag(key="team", value="blue")]) == set(tagged)
    assert ids_of(tag=[m.DescribeInstancesRequestTag(key="team")]) == set(tagged + other)
    assert ids_of(status="Stopping") == set(tagged[:1])
    assert ids_of(instance_name=other[0]) == set(other)
    err = error(ecs.describe_instances, m.DescribeInstancesRequest(region_id=R, status="Sleeping"))
    assert (err.code, err.status_code) == ("InvalidStatus.NotFound", 404)  # DescribeInstances error table


def test_full_status_reports_health_and_events(box, env, ecs):
    ids = running(env, ecs, 2)
    _control(box.ecs_url, "health", {"instance_id": ids[1], "status": "impaired"})
    _control(box.ecs_url, "events", {"instance_id": ids[1], "code": "SystemMaintenance.Reboot",
                                     "not_before": "2030-01-01T00:00:00Z", "description": "host upgrade"})
    body = ecs.describe_instances_full_status(m.DescribeInstancesFullStatusRequest(region_id=R, instance_id=ids)).body
    rows = {r.instance_id: r for r in body.instance_full_status_set.instance_full_status_type}
    assert rows[ids[0]].health_status.name == "Ok" and rows[ids[0]].status.name == "Running"
    assert rows[ids[1]].health_status.name == "Impaired"
    events = rows[ids[1]].scheduled_system_event_set.scheduled_system_event_type
    assert [(e.event_type.name, e.not_before, e.reason) for e in events] == \
        [("SystemMaintenance.Reboot", "2030-01-01T00:00:00Z", "host upgrade")]
    assert events[0].event_id.startswith("e-") and events[0].event_cycle_status.name == "Scheduled"
    assert rows[ids[0]].scheduled_system_event_set.scheduled_system_event_type == []


def test_stuck_stopping_holds_until_a_force_that_works(box, env, ecs):
    ids = running(env, ecs, 2)
    _control(box.ecs_url, "stuck", {"instance_ids": ids[:1], "state": "stopping"})
    _control(box.ecs_url, "stuck", {"instance_ids": ids[1:], "state": "Stopping", "force_works": True})
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids))
    time.sleep(T + 0.05)
    assert statuses(ecs, ids) == {i: "Stopping" for i in ids}
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids, force_stop=True))
    time.sleep(T + 0.05)
    assert statuses(ecs, ids) == {ids[0]: "Stopping", ids[1]: "Stopped"}
    with pytest.raises(Exception) as info:
        _control(box.ecs_url, "stuck", {"instance_ids": ["i-bp1unknown000000000"], "state": "stopping"})
    assert "400" in str(info.value)


def test_snapshots_and_images(env, ecs):
    ids = running(env, ecs, 1)
    disk = ecs.describe_disks(m.DescribeDisksRequest(region_id=R, instance_id=ids[0])).body.disks.disk[0]
    snap_id = ecs.create_snapshot(m.CreateSnapshotRequest(disk_id=disk.disk_id, snapshot_name="before",
                                                          tag=[m.CreateSnapshotRequestTag(key="k", value="v")])).body.snapshot_id
    assert snap_id.startswith("s-")
    req = m.DescribeSnapshotsRequest(region_id=R, snapshot_ids=json.dumps([snap_id]))
    snap = ecs.describe_snapshots(req).body.snapshots.snapshot[0]
    assert (snap.status, snap.source_disk_id, snap.snapshot_name) == ("progressing", disk.disk_id, "before")
    time.sleep(T + 0.05)
    snap = ecs.describe_snapshots(req).body.snapshots.snapshot[0]
    assert (snap.status, snap.progress) == ("accomplished", "100%")
    err = error(ecs.create_snapshot, m.CreateSnapshotRequest(disk_id="d-nothere"))
    assert (err.code, err.status_code) == ("InvalidDiskId.NotFound", 404)

    image_id = ecs.create_image(m.CreateImageRequest(region_id=R, instance_id=ids[0], image_name="golden")).body.image_id
    from_snap = ecs.create_image(m.CreateImageRequest(region_id=R, snapshot_id=snap_id, image_name="snapimg")).body.image_id
    assert image_id.startswith("m-")
    assert ecs.describe_images(m.DescribeImagesRequest(region_id=R, image_id=image_id)).body.images.image == []
    creating = ecs.describe_images(m.DescribeImagesRequest(region_id=R, image_id=image_id, status="Creating,Available"))
    assert creating.body.images.image[0].status == "Creating"
    time.sleep(T + 0.05)
    mine = ecs.describe_images(m.DescribeImagesRequest(region_id=R, image_owner_alias="self")).body.images.image
    assert {(i.image_id, i.status) for i in mine} == {(image_id, "Available"), (from_snap, "Available")}
    public = ecs.describe_images(m.DescribeImagesRequest(region_id=R, image_owner_alias="system")).body.images.image
    names = {i.image_id: i.ostype for i in public}
    assert names["aliyun_3_x64_20G_alibase_20240819.vhd"] == "linux" and "windows" in names.values()
    new = ecs.run_instances(m.RunInstancesRequest(region_id=R, image_id=image_id, instance_type="ecs.g7.large"))
    assert len(new.body.instance_id_sets.instance_id_set) == 1
    ecs.delete_image(m.DeleteImageRequest(region_id=R, image_id=image_id))
    err = error(ecs.delete_image, m.DeleteImageRequest(region_id=R, image_id=image_id))
    assert (err.code, err.status_code) == ("InvalidImageId.NotFound", 404)
    err = error(ecs.delete_image, m.DeleteImageRequest(region_id=R, image_id="aliyun_3_x64_20G_alibase_20240819.vhd"))
    assert err.code == "InvalidImageId.NotFound"
    err = error(ecs.create_image, m.CreateImageRequest(region_id=R, image_name="x"))
    assert err.code == "MissingParameter"


def test_three_thousand_instances_answer_batches_of_100(box, env, ecs):
    """Correct at fleet scale; how fast it is belongs to `make bench`, not to a test."""
    ids = launch_ecs(env, 3000)
    assert len(set(ids)) == 3000
    sample = ids[1000:1100]
    assert sorted(statuses(ecs, sample)) == sorted(sample)
    box.ecs.model.settle_all()
    assert len(box.ecs.model.instances) == 3000
