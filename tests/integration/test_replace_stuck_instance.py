"""roles/replace_stuck_instance through real ansible-playbook runs against the sandbox."""
import os

from cloudtest import CloudUnderTest, is_mutating
from sandbox.control_client import control

ROLE = "cloudfleet.lifecycle.replace_stuck_instance"


def role_tasks(cloud, ids, **variables):
    variables = dict({
        "replace_stuck_instance_cloud": cloud.name,
        "replace_stuck_instance_region": cloud.region,
        "replace_stuck_instance_instance_ids": ids,
        "replace_stuck_instance_force_stop_timeout": 2,
        "replace_stuck_instance_wait_timeout": 60,
    }, **variables)
    return [
        {"name": "replace", "ansible.builtin.include_role": {"name": ROLE}, "vars": variables},
        {"name": "summary", "ansible.builtin.debug": {"var": "replace_stuck_instance_result"}},
    ]


def launches(cloud):
    return [c for c in cloud.calls("RunInstances") if is_mutating(c)]


def clones_of(cloud, source_id):
    """Live instances tagged as clones of source_id, read from the emulator."""
    if cloud.is_aws:
        from sandbox.fleet import ec2_client

        response = ec2_client(cloud.env).describe_instances(Filters=[
            {"Name": "tag:cloudfleet:clone-of", "Values": [source_id]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
        return [i["InstanceId"] for r in response["Reservations"] for i in r["Instances"]]
    return [i.id for i in cloud.emulator.model.instances.values() if i.tags.get("cloudfleet:clone-of") == source_id]


def replaceable_stuck(cloud, run_play, count=1):
    """Instances held in stopping that the role can replace: on EC2 any (CreateImage takes a stopping instance);
    on ECS those whose disks were snapshotted ahead with the role's tag, since ECS neither images nor snapshots an
    instance that is not Running or Stopped (CreateImage doc 25535, CreateSnapshot doc 25524)."""
    ids = cloud.launch(count)
    if not cloud.is_aws:
        ahead = run_play([{"name": "snapshot ahead", "cloudfleet.lifecycle.instance_snapshot":
                           cloud.module_args(instance_ids=ids, snapshot_tag="replace-stuck")}])
        assert ahead.rc == 0, ahead.output
    cloud.stuck(ids, "stopping")
    cloud.stop(ids)
    cloud.reset_calls()
    return ids


def test_image_path_replaces_the_stuck_and_leaves_the_rest(cloud, run_play):
    [stuck] = replaceable_stuck(cloud, run_play)
    healthy = cloud.launch(1)[0]
    cloud.reset_calls()
    run = run_play(role_tasks(cloud, [stuck, healthy]))
    assert run.rc == 0, run.output
    summary = run.result("summary")["replace_stuck_instance_result"]
    assert list(summary["replaced"]) == [stuck]
    clone_id = summary["replaced"][stuck]
    assert summary["not_stuck"] == [healthy] and summary["unresolved"] == []
    # ECS: the image of the instance is refused, the image comes from the snapshots made ahead
    assert summary["from_snapshots"] == ([] if cloud.is_aws else [stuck])
    states = cloud.states([stuck, healthy, clone_id])
    assert (states[healthy], states[clone_id]) == ("running", "running")
    assert states[stuck] in ("terminated", "shutting-down")
    assert clones_of(cloud, stuck) == [clone_id]
    assert len(launches(cloud)) == 1
    if cloud.is_aws:
        assert cloud.calls("CreateImage")[0]["params"]["NoReboot"] == "true"
    forced = [c for c in cloud.calls(cloud.stop_action) if is_mutating(c)]
    assert forced and all(c["params"].get("Force" if cloud.is_aws else "ForceStop") in ("true", "True") for c in forced)

    again = run_play(role_tasks(cloud, [stuck, healthy]))
    assert again.rc == 0, again.output
    assert len(launches(cloud)) == 1
    result = again.result("summary")["replace_stuck_instance_result"]
    # EC2 still shows the released instance terminated; ECS forgot it at once: not found, never "released"
    assert (result["already_released"], result["not_found"]) == (([stuck], []) if cloud.is_aws else ([], [stuck]))


def test_interrupted_after_clone_resumes_without_a_second_clone(cloud, run_play):
    [stuck] = replaceable_stuck(cloud, run_play)
    first = run_play(role_tasks(cloud, [stuck], replace_stuck_instance_stop_after="clone"))
    assert first.rc == 0, first.output
    assert cloud.states([stuck])[stuck] == "stopping"  # not released yet
    assert len(clones_of(cloud, stuck)) == 1

    second = run_play(role_tasks(cloud, [stuck]))
    assert second.rc == 0, second.output
    summary = second.result("summary")["replace_stuck_instance_result"]
    assert summary["replaced"] == {stuck: clones_of(cloud, stuck)[0]}
    assert len(launches(cloud)) == 1  # one RunInstances for the clone, over both runs
    assert cloud.states([stuck])[stuck] in ("terminated", "shutting-down")


def test_ec2_volume_swap_when_no_image_can_be_made(cloud, run_play):
    if not cloud.is_aws:
        return
    stuck = cloud.launch(1, tags={"team": "db"})[0]
    cloud.stuck([stuck], "stopping")
    cloud.stop([stuck])
    control(cloud.url, "image_failures", {"instance_ids": [stuck]})
    cloud.reset_calls()
    run = run_play(role_tasks(cloud, [stuck]))
    assert run.rc == 0, run.output
    summary = run.result("summary")["replace_stuck_instance_result"]
    clone_id = summary["replaced"][stuck]
    assert [c["action"] for c in cloud.calls() if c["action"] in ("CreateSnapshots", "CreateVolume", "DetachVolume",
                                                                    "AttachVolume", "StartInstances")] == \
        ["CreateSnapshots", "CreateVolume", "DetachVolume", "AttachVolume", "StartInstances"]
    assert cloud.states([clone_id])[clone_id] == "running"
    assert cloud.states([stuck])[stuck] in ("terminated", "shutting-down")

    again = run_play(role_tasks(cloud, [stuck]))
    assert again.rc == 0, again.output
    assert len(launches(cloud)) == 1


# ---- ECS without an image: an image made from snapshots of every disk (CreateImage with DiskDeviceMapping)

def launch_ecs_with_data_disk(cloud, tags):
    """One running ECS instance with a system disk and a 50 GiB data disk, tagged."""
    from alibabacloud_ecs20140526 import models as m

    from sandbox.fleet import ECS_IMAGE, ECS_SECURITY_GROUP, ECS_TYPE, ECS_VSWITCH, ecs_client

    response = ecs_client(cloud.env).run_instances(m.RunInstancesRequest(
        region_id=cloud.region, image_id=ECS_IMAGE, instance_type=ECS_TYPE, v_switch_id=ECS_VSWITCH,
        security_group_id=ECS_SECURITY_GROUP, data_disk=[m.RunInstancesRequestDataDisk(size=50)],
        tag=[m.RunInstancesRequestTag(key=k, value=v) for k, v in tags.items()]))
    [instance_id] = response.body.instance_id_sets.instance_id_set
    cloud.wait([instance_id], {"running"})
    return instance_id


def stuck_without_image(cloud, run_play=None, tags=None):
    """An ECS instance with two disks, held in stopping: ECS makes no image of it (CreateImage refuses an instance
    that is not Running or Stopped, doc 25535) and no new snapshot of its disks (doc 25524). With run_play, its disks
    were snapshotted ahead, while it ran, with the role's snapshot tag (as a scheduled backup play does)."""
    stuck = launch_ecs_with_data_disk(cloud, tags or {"team": "db"})
    if run_play is not None:
        ahead = run_play([{"name": "snapshot ahead", "cloudfleet.lifecycle.instance_snapshot":
                           cloud.module_args(instance_ids=[stuck], snapshot_tag="replace-stuck")}])
        assert ahead.rc == 0, ahead.output
    cloud.stuck([stuck], "stopping")
    cloud.stop([stuck])
    cloud.reset_calls()
    return stuck


def ok(calls):
    """The calls ECS answered with success (not a dry run)."""
    return [c for c in calls if c["status"] == 200 and is_mutating(c)]


def mapping_of(call):
    """{N: {SnapshotId, DiskType, Device}} of a CreateImage call's DiskDeviceMapping.N.*."""
    out = {}
    for key, value in call["params"].items():
        if key.startswith("DiskDeviceMapping."):
            dummy, n, field = key.split(".")
            out.setdefault(int(n), {})[field] = value
    return [out[n] for n in sorted(out)]


def test_ecs_without_an_image_rebuilds_from_an_image_of_its_snapshots(cloud, run_play):
    """The no-image path on ECS: CreateImage of the stuck instance is refused; the snapshots of every disk made
    ahead are found by their tag (none is made now, ECS would refuse it), one image is made from them
    (DiskDeviceMapping), one clone launched from it, verified running, the stuck one released.
    A second run changes nothing and launches nothing."""
    if cloud.is_aws:
        return
    stuck = stuck_without_image(cloud, run_play)
    disks = {d.id: d for d in cloud.emulator.model.disks.values() if d.instance_id == stuck}
    source = cloud.emulator.model.instances[stuck]
    run = run_play(role_tasks(cloud, [stuck]))
    assert run.rc == 0, run.output
    summary = run.result("summary")["replace_stuck_instance_result"]
    clone_id = summary["replaced"][stuck]
    assert (summary["from_snapshots"], summary["unresolved"], summary["released"]) == ([stuck], [], [stuck])
    assert [f["code"] for f in summary["failures"]] == ["IncorrectInstanceStatus"]  # the image of the instance

    # the snapshots made ahead, one of every disk; no CreateSnapshot now
    assert cloud.calls("CreateSnapshot") == []
    made = {s.id: s for s in cloud.emulator.model.snapshots.values() if s.disk.id in disks}
    assert len(made) == 2
    # one image, from those snapshots: the system disk's at /dev/xvda, the data disk's at its device
    [from_instance] = [c for c in cloud.calls("CreateImage") if c["params"].get("InstanceId")]
    assert from_instance["error_code"] == "IncorrectInstanceStatus"
    [create] = ok(cloud.calls("CreateImage"))
    system = [sid for sid, snap in made.items() if snap.disk.type == "system"]
    data = [sid for sid, snap in made.items() if snap.disk.type == "data"]
    assert mapping_of(create) == [{"SnapshotId": system[0], "DiskType": "system", "Device": "/dev/xvda"},
                                  {"SnapshotId": data[0], "DiskType": "data", "Device": "/dev/xvdb"}]
    assert create["params"]["ImageName"] == "replace-stuck-%s-snap" % stuck
    images = [i for i in cloud.emulator.model.images.values() if i.owner == "self"]
    assert len(images) == 1 and [m["snapshot_id"] for m in images[0].disk_mappings] == system + data
    # one clone, running, with the source's type and tags, and the image's disks
    assert len(ok(launches(cloud))) == 1 and clones_of(cloud, stuck) == [clone_id]
    clone = cloud.emulator.model.instances[clone_id]
    assert (clone.instance_type, clone.image_id) == (source.instance_type, images[0].id)
    assert clone.tags == {"team": "db", "cloudfleet:clone-of": stuck}
    assert cloud.states([clone_id])[clone_id] == "running"
    clone_disks = sorted((d.type, d.device, d.size, d.source_snapshot) for d in cloud.emulator.model.disks.values()
                         if d.instance_id == clone_id)
    assert clone_disks == [("data", "/dev/xvdb", 50, data[0]), ("system", "/dev/xvda", 20, system[0])]
    assert cloud.states([stuck])[stuck] == "terminated"  # released: ECS forgets it

    cloud.reset_calls()
    again = run_play(role_tasks(cloud, [stuck]))
    assert again.rc == 0, again.output
    result = again.result("summary")["replace_stuck_instance_result"]
    assert (result["not_found"], result["replaced"], result["unresolved"]) == ([stuck], {}, [])
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert [r["task"] for r in again.records if r["status"] == "changed"] == []


def test_ecs_no_image_path_interrupted_resumes_without_a_second_clone_or_image(cloud, run_play):
    """Ended after the image step, then after the clone step, then run to the end: over the three runs one
    snapshot per disk, one image from them, one clone."""
    if cloud.is_aws:
        return
    stuck = stuck_without_image(cloud, run_play)
    first = run_play(role_tasks(cloud, [stuck], replace_stuck_instance_stop_after="image"))
    assert first.rc == 0, first.output
    assert cloud.calls("CreateSnapshot") == [] and len(ok(cloud.calls("CreateImage"))) == 1
    assert launches(cloud) == [] and cloud.states([stuck])[stuck] == "stopping"

    second = run_play(role_tasks(cloud, [stuck], replace_stuck_instance_stop_after="clone"))
    assert second.rc == 0, second.output
    assert len(clones_of(cloud, stuck)) == 1 and cloud.states([stuck])[stuck] == "stopping"

    third = run_play(role_tasks(cloud, [stuck]))
    assert third.rc == 0, third.output
    summary = third.result("summary")["replace_stuck_instance_result"]
    assert summary["replaced"] == {stuck: clones_of(cloud, stuck)[0]} and summary["from_snapshots"] == [stuck]
    assert cloud.states([stuck])[stuck] == "terminated"
    # over the three runs: no snapshot (those made ahead serve), one image, one launch
    assert cloud.calls("CreateSnapshot") == []
    assert len(ok(cloud.calls("CreateImage"))) == 1
    assert len(ok(launches(cloud))) == 1


def test_no_image_path_in_check_mode_says_what_would_happen_and_makes_no_mutating_call(cloud, run_play):
    """Both clouds: the image of the instance would fail, the fallback would take it (planned), nothing is sent
    but reads and dry runs."""
    if cloud.is_aws:
        stuck = cloud.launch(1)[0]
        cloud.stuck([stuck], "stopping")
        cloud.stop([stuck])
        control(cloud.url, "image_failures", {"instance_ids": [stuck]})
        cloud.reset_calls()
    else:
        stuck = stuck_without_image(cloud, run_play)
    run = run_play(role_tasks(cloud, [stuck]), check=True)
    assert run.rc == 0, run.output
    summary = run.result("summary")["replace_stuck_instance_result"]
    assert (summary["planned"], summary["replaced"], summary["unresolved"]) == ([stuck], {}, [])
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert cloud.states([stuck])[stuck] == "stopping" and launches(cloud) == []


def test_ecs_stuck_without_snapshots_made_ahead_is_unresolved_and_says_why(cloud, run_play):
    """ECS refuses both the image and new snapshots of an instance stuck in stopping: nothing can be rebuilt, so it
    is reported unresolved with ECS's code and what would have made it replaceable; nothing is launched. Check mode
    predicts the same."""
    if cloud.is_aws:
        return
    stuck = stuck_without_image(cloud)
    for check in (True, False):
        run = run_play(role_tasks(cloud, [stuck]), check=check)
        assert run.rc != 0
        assert "not replaced" in run.output and stuck in run.output
        assert "IncorrectInstanceStatus" in run.output and "made before" in run.output
        assert cloud.states([stuck])[stuck] == "stopping"
        assert launches(cloud) == [] and ok(cloud.calls("CreateSnapshot")) == [] and ok(cloud.calls("CreateImage")) == []


def test_ecs_without_an_image_and_without_the_fallback_is_reported_unresolved(cloud, run_play):
    if cloud.is_aws:
        return
    stuck = stuck_without_image(cloud)
    run = run_play(role_tasks(cloud, [stuck], replace_stuck_instance_fallback=False))
    assert run.rc != 0
    assert "not replaced" in run.output and stuck in run.output
    assert cloud.states([stuck])[stuck] == "stopping"
    assert launches(cloud) == [] and ok(cloud.calls("CreateSnapshot")) == []


def test_bad_role_variable_fails_before_any_call(cloud, run_play):
    ids = cloud.launch(1)
    cloud.reset_calls()
    run = run_play(role_tasks(cloud, ids, replace_stuck_instance_stop_after="later"))
    assert run.rc != 0 and "replace_stuck_instance_stop_after" in run.output
    assert cloud.calls() == []


def test_the_shipped_playbook_replaces_a_stuck_instance(sandbox, run_play):
    """playbooks/replace_stuck_instance.yml as an operator runs it, with -e variables."""
    cloud = CloudUnderTest("aws", sandbox)
    stuck = cloud.launch(1)
    cloud.stuck(stuck, "stopping")
    cloud.stop(stuck)
    playbook = os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "replace_stuck_instance.yml")
    variables = {"replace_stuck_instance_cloud": "aws", "replace_stuck_instance_region": cloud.region,
                 "replace_stuck_instance_instance_ids": stuck, "replace_stuck_instance_force_stop_timeout": 2}
    run = run_play(None, playbook=os.path.abspath(playbook), extra_vars=variables)
    assert run.rc == 0, run.output
    clones = clones_of(cloud, stuck[0])
    assert len(clones) == 1
    states = cloud.states(stuck + clones)
    assert states[clones[0]] == "running"
    assert states[stuck[0]] in ("terminated", "shutting-down")
