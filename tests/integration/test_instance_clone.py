"""instance_clone through real ansible-playbook runs against the sandbox, on both clouds."""
from cloudtest import is_mutating

IMAGE = "cloudfleet.lifecycle.instance_image"
CLONE = "cloudfleet.lifecycle.instance_clone"


def image_then_clone(cloud, ids, **clone_args):
    return [
        {"name": "image", IMAGE: cloud.module_args(instance_ids=ids, name="cl"), "register": "images"},
        {"name": "clone", CLONE: cloud.module_args(instance_ids=ids, image_ids="{{ images.image_ids }}", **clone_args),
         "register": "clones"},
    ]


def test_clone_has_the_source_config_and_a_second_run_launches_nothing(cloud, run_play):
    ids = cloud.launch(2, tags={"team": "web", "Name": "web-1"})
    cloud.reset_calls()
    first = run_play(image_then_clone(cloud, ids, tags={"replaced": "yes"}))
    assert first.rc == 0, first.output
    result = first.result("clone")
    assert result["changed"] is True and sorted(result["changed_ids"]) == sorted(ids)
    sources = {r["id"]: r for r in result["instances"]}
    for source_id in ids:
        clone = result["clones"][source_id]
        assert clone["id"] != source_id and clone["state"] == "running"
        assert clone["instance_type"] == sources[source_id]["instance_type"]
        assert clone["tags"]["cloudfleet:clone-of"] == source_id
        assert clone["tags"]["team"] == "web" and clone["tags"]["Name"] == "web-1" and clone["tags"]["replaced"] == "yes"
        assert result["clone_ids"][source_id] == clone["id"]
    assert_same_network(cloud, ids, result["clone_ids"])

    second = run_play(image_then_clone(cloud, ids))
    assert second.rc == 0, second.output
    assert second.result("clone")["changed"] is False
    assert second.result("clone")["clone_ids"] == result["clone_ids"]
    assert len([c for c in cloud.calls("RunInstances") if is_mutating(c)]) == 2  # one per source, in all


def test_check_mode_sends_dry_run_only(cloud, run_play):
    ids = cloud.launch(1)
    image = {"name": "image", IMAGE: cloud.module_args(instance_ids=ids, name="cl"), "register": "images"}
    assert run_play([image]).rc == 0
    cloud.reset_calls()
    run = run_play(image_then_clone(cloud, ids), check=True)
    assert run.rc == 0, run.output
    assert run.result("clone")["changed"] is True
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert len(cloud.calls("RunInstances")) == 1


def test_no_image_for_a_source_fails_for_that_id_before_launching(cloud, run_play):
    ids = cloud.launch(1)
    cloud.reset_calls()
    run = run_play([{"name": "clone", CLONE: cloud.module_args(instance_ids=ids)}])
    assert run.rc != 0
    assert ids[0] in run.result("clone")["msg"] and "image_ids" in run.result("clone")["msg"]
    assert cloud.calls("RunInstances") == []


def test_snapshots_source_is_refused_on_ecs_before_any_call(cloud, run_play):
    if cloud.is_aws:
        return
    ids = cloud.launch(1)
    cloud.reset_calls()
    run = run_play([{"name": "clone", CLONE: cloud.module_args(instance_ids=ids, source="snapshots", snapshot_tag="x1")}])
    assert run.rc != 0 and "cloud=aws only" in run.result("clone")["msg"]
    assert cloud.calls() == []


def assert_same_network(cloud, sources, clone_ids):
    if cloud.is_aws:
        from sandbox.fleet import ec2_client

        client = ec2_client(cloud.env)
        found = {}
        for reservation in client.describe_instances(InstanceIds=sources + list(clone_ids.values()))["Reservations"]:
            for inst in reservation["Instances"]:
                found[inst["InstanceId"]] = (inst.get("SubnetId"), sorted(g["GroupId"] for g in inst["SecurityGroups"]))
    else:
        model = cloud.emulator.model
        found = {i: (model.instances[i].vswitch_id, sorted(model.instances[i].security_group_ids))
                 for i in sources + list(clone_ids.values())}
    for source_id, clone_id in clone_ids.items():
        assert found[clone_id] == found[source_id]


def test_ec2_rebuild_from_snapshots_swaps_in_the_recovered_volumes(cloud, run_play):
    if not cloud.is_aws:
        return
    ids = cloud.launch(1, tags={"team": "db"})
    tasks = [
        {"name": "snapshot", "cloudfleet.lifecycle.instance_snapshot": cloud.module_args(instance_ids=ids, snapshot_tag="rb")},
        {"name": "clone", CLONE: cloud.module_args(instance_ids=ids, source="snapshots", snapshot_tag="rb"), "register": "c"},
    ]
    run = run_play(tasks)
    assert run.rc == 0, run.output
    result = run.result("clone")
    clone_id = result["clone_ids"][ids[0]]
    assert result["clones"][ids[0]]["state"] == "running" and result["clones"][ids[0]]["tags"]["team"] == "db"
    from sandbox.fleet import ec2_client

    client = ec2_client(cloud.env)
    clone = client.describe_instances(InstanceIds=[clone_id])["Reservations"][0]["Instances"][0]
    root = [m for m in clone["BlockDeviceMappings"] if m["DeviceName"] == clone["RootDeviceName"]][0]["Ebs"]["VolumeId"]
    volume = client.describe_volumes(VolumeIds=[root])["Volumes"][0]
    tags = {t["Key"]: t["Value"] for t in volume["Tags"]}
    assert tags["cloudfleet:restored-for"] == ids[0] and tags["cloudfleet:device"] == clone["RootDeviceName"]

    cloud.reset_calls()
    again = run_play(tasks)
    assert again.rc == 0, again.output
    assert again.result("clone")["changed"] is False and again.result("clone")["clone_ids"] == result["clone_ids"]
    assert [c for c in cloud.calls() if is_mutating(c)] == []
