"""instance_snapshot / instance_image / instance_clone: the pure decisions, and the ops on a fake provider."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import clone
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import image
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import resources
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import snapshot
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError, TaskFailure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import make_record

from ..fakes import EcsResourceProvider, FakeInstance, ResourceProvider, aws_id, ecs_id, params, runtime


# ---------------------------------------------------------------- shared checks

@pytest.mark.parametrize("value", ["ok", "before-release.1", "A_b"])
def test_names_accepted(value):
    assert resources.check_name("name", value) == value


@pytest.mark.parametrize("value", [None, "", "x", "1abc", "has space", "a/b", "a" * 101])
def test_names_refused(value):
    with pytest.raises(InputError):
        resources.check_name("name", value)


def test_tags_refuse_reserved_prefixes_and_stringify():
    assert resources.check_tags({"team": 1, "x": None}) == {"team": "1", "x": ""}
    for key in ("aws:x", "acs:y", "aliyun-z", "cloudfleet:clone-of"):
        with pytest.raises(InputError):
            resources.check_tags({key: "v"})
    with pytest.raises(InputError):
        resources.check_tags(["a"])


def test_copied_tags_leave_out_cloud_and_collection_keys():
    tags = {"Name": "web", "aws:cloudformation:stack": "s", "cloudfleet:auto-release-time": "t",
            "cloudfleet:clone-of": "i-1", "team": "a"}
    assert resources.copied_tags(tags) == {"Name": "web", "team": "a"}


# ---------------------------------------------------------------- snapshot

def test_missing_disks_skips_covered_and_redoes_errors():
    disks = [{"volume_id": "v1"}, {"volume_id": "v2"}, {"volume_id": "v3"}]
    existing = [{"volume_id": "v1", "state": "completed"}, {"volume_id": "v2", "state": "error"}]
    assert snapshot.missing_disks(disks, existing) == [{"volume_id": "v2"}, {"volume_id": "v3"}]


def test_tagger_names_instance_device_and_tag():
    tags = snapshot.tagger("t1", "i-1", {"owner": "ops"})({"device": "/dev/sda1"})
    assert tags == {"owner": "ops", "Name": "t1-i-1", "cloudfleet:snapshot-tag": "t1", "cloudfleet:instance-id": "i-1",
                    "cloudfleet:device": "/dev/sda1"}
    assert "cloudfleet:device" not in snapshot.tagger("t1", "i-1", {})({"device": None})


def fleet(n, **kwargs):
    ids = [aws_id(k + 1) for k in range(n)]
    instances = {}
    for i in ids:
        inst = FakeInstance(kwargs.get("state", "running"))
        inst.tags = {"team": "web"}
        instances[i] = inst
    return ids, ResourceProvider(instances=instances)


def test_snapshot_run_twice_makes_snapshots_once():
    ids, provider = fleet(2)
    first = snapshot.run(params(instance_ids=ids, snapshot_tag="t1", tags=None), rt=runtime(provider))
    assert first["changed_ids"] == ids
    assert [len(first["snapshots"][i]) for i in ids] == [2, 2]
    assert all(s["state"] == "completed" for i in ids for s in first["snapshots"][i])
    provider.calls = []
    second = snapshot.run(params(instance_ids=ids, snapshot_tag="t1", tags=None), rt=runtime(provider))
    assert second["changed"] is False and second["unchanged_ids"] == ids
    assert provider.calls_of("create_snapshots") == []


def test_snapshot_check_mode_only_dry_runs():
    ids, provider = fleet(1)
    result = snapshot.run(params(instance_ids=ids, snapshot_tag="t1", tags=None), check_mode=True, rt=runtime(provider))
    assert result["changed_ids"] == ids and provider.snapshots == {}
    assert provider.calls_of("create_snapshots") == [("create_snapshots", ids, True)]


def test_snapshot_of_an_unknown_instance_without_snapshots_is_not_found_for_it_alone():
    ids, provider = fleet(2)
    provider.instances[ids[1]].state = "gone"
    result = snapshot.run(params(instance_ids=ids, snapshot_tag="t1", tags=None), rt=runtime(provider))
    assert result["not_found_ids"] == [ids[1]] and result["failures"] == []
    assert result["changed_ids"] == [ids[0]]


def test_snapshot_of_a_terminated_instance_without_snapshots_fails_for_it_alone():
    ids, provider = fleet(2)
    provider.instances[ids[1]].state = "terminated"
    with pytest.raises(TaskFailure) as exc:
        snapshot.run(params(instance_ids=ids, snapshot_tag="t1", tags=None), rt=runtime(provider))
    assert [f["id"] for f in exc.value.failures] == [ids[1]]
    assert exc.value.result["changed_ids"] == [ids[0]]


def test_snapshot_bad_tag_fails_before_connecting():
    with pytest.raises(InputError):
        snapshot.run(params(instance_ids=[aws_id(1)], snapshot_tag="no way", tags=None),
                     rt=runtime(None))


# ---------------------------------------------------------------- image

def test_image_created_once_then_found_then_deleted():
    ids, provider = fleet(2)
    p = params(instance_ids=ids, name="rs", state="present", tags=None, delete_snapshots=False)
    first = image.run(p, rt=runtime(provider))
    assert first["changed_ids"] == ids and set(first["image_ids"]) == set(ids)
    assert first["images"][ids[0]]["name"] == "rs-%s" % ids[0] and first["images"][ids[0]]["state"] == "available"
    second = image.run(p, rt=runtime(provider))
    assert second["changed"] is False and second["image_ids"] == first["image_ids"]
    gone = image.run(dict(p, state="absent"), rt=runtime(provider))
    assert gone["changed_ids"] == ids and provider.images == {}


def test_image_failure_is_per_instance():
    ids, provider = fleet(2)
    provider.image_failures.add(ids[0])
    with pytest.raises(TaskFailure) as exc:
        image.run(params(instance_ids=ids, name="rs", state="present", tags=None), rt=runtime(provider))
    assert [f["id"] for f in exc.value.failures] == [ids[0]]
    assert list(exc.value.result["image_ids"]) == [ids[1]]


# ---------------------------------------------------------------- clone

def test_choose_clones_prefers_running_and_reports_duplicates():
    recs = [make_record("i-b", "aws", "r", "stopped", tags={"cloudfleet:clone-of": "i-s"}),
            make_record("i-c", "aws", "r", "running", tags={"cloudfleet:clone-of": "i-s"}),
            make_record("i-a", "aws", "r", "running", tags={"cloudfleet:clone-of": "i-t"})]
    chosen, duplicates = clone.choose_clones(recs)
    assert chosen["i-s"]["id"] == "i-c" and chosen["i-t"]["id"] == "i-a"
    assert duplicates == {"i-s": ["i-b"]}


def test_plan_swap_detaches_only_what_differs():
    current = [{"device": "/dev/sda1", "volume_id": "vol-old"}, {"device": "/dev/sdb", "volume_id": "vol-b"}]
    desired = {"/dev/sda1": "vol-root", "/dev/sdb": "vol-b", "/dev/sdc": "vol-c"}
    detach, attach = clone.plan_swap(current, desired)
    assert detach == [("vol-old", "/dev/sda1")]
    assert attach == [("vol-root", "/dev/sda1"), ("vol-c", "/dev/sdc")]
    assert clone.plan_swap([{"device": "/dev/sda1", "volume_id": "vol-root"}], {"/dev/sda1": "vol-root"}) == ([], [])


def test_client_token_is_stable_and_short():
    token = clone.client_token(ecs_id(1), "m-" + "x" * 40)
    assert token == clone.client_token(ecs_id(1), "m-" + "x" * 40) and len(token) <= 64


def clone_params(ids, **kwargs):
    base = params(instance_ids=ids, source="image", image_ids=None, snapshot_tag=None, tags=None)
    base.update(kwargs)
    return base


def test_clone_launches_once_with_the_source_config_and_tag():
    ids, provider = fleet(1)
    result = clone.run(clone_params(ids, image_ids={ids[0]: "ami-1"}, tags={"x": "y"}), rt=runtime(provider))
    assert result["changed_ids"] == ids
    new_id, config, image_id, tags, token = provider.launched[0]
    assert image_id == "ami-1" and config["subnet_id"] == "subnet-1"
    assert tags == {"team": "web", "x": "y", "cloudfleet:clone-of": ids[0]}
    assert result["clone_ids"] == {ids[0]: new_id} and result["clones"][ids[0]]["state"] == "running"
    again = clone.run(clone_params(ids), rt=runtime(provider))  # no image needed: the clone is found
    assert again["changed"] is False and again["clone_ids"] == result["clone_ids"]
    assert len(provider.launched) == 1


def test_clone_without_image_fails_for_that_source_only():
    ids, provider = fleet(2)
    with pytest.raises(TaskFailure) as exc:
        clone.run(clone_params(ids, image_ids={ids[1]: "ami-1"}), rt=runtime(provider))
    assert [f["id"] for f in exc.value.failures] == [ids[0]] and exc.value.failures[0]["code"] == "MissingImage"
    assert list(exc.value.result["clone_ids"]) == [ids[1]]


def test_clone_check_mode_only_dry_runs():
    ids, provider = fleet(1)
    result = clone.run(clone_params(ids, image_ids={ids[0]: "ami-1"}), check_mode=True, rt=runtime(provider))
    assert result["changed_ids"] == ids and provider.launched == []
    assert provider.calls_of("launch") == [("launch", ["ami-1"], True)]


@pytest.mark.parametrize("args, message", [
    (dict(image_ids={"i-0000000000000000f": "ami-1"}), "not in instance_ids"),
    (dict(source="snapshots"), "snapshot_tag"),
    (dict(snapshot_tag="t1"), "goes with source: snapshots"),
    (dict(tags={"aws:x": "1"}), "reserved"),
])
def test_clone_input_errors(args, message):
    with pytest.raises(InputError) as exc:
        clone.validate(clone_params([aws_id(1)], **args))
    assert message in exc.value.message


def test_clone_snapshots_source_is_ec2_only():
    with pytest.raises(InputError) as exc:
        clone.validate(clone_params([ecs_id(1)], cloud="alicloud", source="snapshots", snapshot_tag="t1"))
    assert "cloud=aws only" in exc.value.message


# ---------------------------------------------------------------- image from snapshots (ECS)

def snap(sid, volume, state="completed", root=False, device=None, created="2026-01-01T00:00:00Z", size=20):
    return {"snapshot_id": sid, "volume_id": volume, "state": state, "root": root, "device": device, "created": created,
            "size": size}


def test_plan_mapping_puts_the_system_disk_first_and_data_disks_at_their_devices():
    snaps = [snap("s-3", "d-c", device="/dev/xvdc", size=60), snap("s-1", "d-a", root=True, device="/dev/xvda"),
             snap("s-2", "d-b", device="/dev/xvdb", size=40)]
    mapping, pending, problem = image.plan_mapping(snaps)
    assert problem is None and pending == []
    assert mapping == [{"snapshot_id": "s-1", "type": "system", "device": "/dev/xvda", "size": 20},
                       {"snapshot_id": "s-2", "type": "data", "device": "/dev/xvdb", "size": 40},
                       {"snapshot_id": "s-3", "type": "data", "device": "/dev/xvdc", "size": 60}]


def test_plan_mapping_takes_one_snapshot_per_disk_completed_then_newest_and_never_one_in_error():
    snaps = [snap("s-old", "d-a", root=True, created="2026-01-01T00:00:00Z"),
             snap("s-new", "d-a", root=True, created="2026-01-02T00:00:00Z"),
             snap("s-newer", "d-a", root=True, state="pending", created="2026-01-03T00:00:00Z"),
             snap("s-bad", "d-b", state="error", device="/dev/xvdb"), snap("s-b", "d-b", state="pending", device="/dev/xvdb")]
    mapping, pending, problem = image.plan_mapping(snaps)
    assert problem is None
    assert [m["snapshot_id"] for m in mapping] == ["s-new", "s-b"] and pending == ["s-b"]


def test_plan_mapping_leaves_a_device_ecs_would_refuse_to_ecs():
    mapping, dummy, problem = image.plan_mapping([snap("s-1", "d-a", root=True, device="/dev/vda"),
                                                  snap("s-2", "d-b", device="/dev/sdb")])
    assert problem is None and [m["device"] for m in mapping] == ["/dev/xvda", None]


def test_plan_mapping_knows_the_system_disk_from_the_instance_disks_too():
    disks = [{"volume_id": "d-a", "device": "/dev/xvda", "root": True}, {"volume_id": "d-b", "device": "/dev/xvdb", "root": False}]
    mapping, dummy, problem = image.plan_mapping([snap("s-2", "d-b"), snap("s-1", "d-a")], disks)
    assert problem is None and [(m["snapshot_id"], m["type"]) for m in mapping] == [("s-1", "system"), ("s-2", "data")]


@pytest.mark.parametrize("snaps, disks, code", [
    ([], None, "NoSnapshots"),
    ([snap("s-1", "d-a", state="error", root=True)], None, "NoSnapshots"),
    ([snap("s-2", "d-b", device="/dev/xvdb")], None, "NoRootSnapshot"),
    ([snap("s-1", "d-a", root=True), snap("s-2", "d-b", root=True)], None, "NoRootSnapshot"),
    ([snap("s-1", "d-a", root=True)], [{"volume_id": "d-a", "root": True}, {"volume_id": "d-b", "device": "/dev/xvdb"}],
     "MissingSnapshots"),
])
def test_plan_mapping_problems(snaps, disks, code):
    mapping, pending, problem = image.plan_mapping(snaps, disks)
    assert (mapping, pending, problem[0]) == ([], [], code)


def test_image_names_keep_the_two_sources_apart_and_the_token_is_short():
    assert image.image_name("rs", "i-1") == "rs-i-1" and image.image_name("rs", "i-1", "snapshots") == "rs-i-1-snap"
    long_name = image.image_name("a" * 100, ecs_id(1), "snapshots")
    assert len(long_name) <= 128  # ECS ImageName: 2 to 128 characters
    assert image.image_token(long_name) == image.image_token(long_name) and len(image.image_token(long_name)) <= 64


def ecs_fleet(n):
    ids = [ecs_id(k + 1) for k in range(n)]
    instances = {}
    for i in ids:
        inst = FakeInstance("stopping")
        inst.tags = {"team": "db"}
        instances[i] = inst
    return ids, EcsResourceProvider(instances=instances)


def image_params(ids, **kwargs):
    base = params(cloud="alicloud", instance_ids=ids, name="rs", state="present", source="snapshots", snapshot_tag="rs",
                  tags=None, delete_snapshots=False)
    base.update(kwargs)
    return base


def test_image_from_snapshots_made_once_then_found_by_name():
    ids, provider = ecs_fleet(1)
    snapshot.run(params(cloud="alicloud", instance_ids=ids, snapshot_tag="rs", tags=None), rt=runtime(provider))
    first = image.run(image_params(ids), rt=runtime(provider))
    name = "rs-%s-snap" % ids[0]
    assert first["changed_ids"] == ids and first["images"][ids[0]]["name"] == name
    assert first["images"][ids[0]]["state"] == "available"
    assert first["images"][ids[0]]["snapshot_ids"] == sorted(provider.snapshots)
    assert [(d["type"], d["device"]) for d in provider.mappings[name]] == [("system", "/dev/xvda"), ("data", "/dev/xvdb")]
    assert provider.images[name]["tags"] == {"Name": name, "cloudfleet:image-name": "rs", "cloudfleet:instance-id": ids[0],
                                             "cloudfleet:snapshot-tag": "rs"}
    provider.calls = []
    second = image.run(image_params(ids), rt=runtime(provider))
    assert second["changed"] is False and second["image_ids"] == first["image_ids"]
    assert provider.calls_of("create_image_from_snapshots") == []


def test_image_from_snapshots_of_a_released_instance_still_works():
    ids, provider = ecs_fleet(1)
    snapshot.run(params(cloud="alicloud", instance_ids=ids, snapshot_tag="rs", tags=None), rt=runtime(provider))
    provider.instances[ids[0]].state = "gone"  # ECS forgets a released instance; its snapshots stay
    result = image.run(image_params(ids), rt=runtime(provider))
    assert result["changed_ids"] == ids and result["not_found_ids"] == []


def test_image_from_snapshots_refuses_an_instance_with_a_disk_not_snapshotted():
    ids, provider = ecs_fleet(2)
    snapshot.run(params(cloud="alicloud", instance_ids=ids, snapshot_tag="rs", tags=None), rt=runtime(provider))
    lost = [sid for sid, s in provider.snapshots.items() if s["tags"]["cloudfleet:instance-id"] == ids[0] and not s["root"]]
    provider.snapshots[lost[0]]["state"] = "error"
    with pytest.raises(TaskFailure) as exc:
        image.run(image_params(ids), rt=runtime(provider))
    assert [(f["id"], f["code"]) for f in exc.value.failures] == [(ids[0], "MissingSnapshots")]
    assert list(exc.value.result["image_ids"]) == [ids[1]]


def test_image_from_snapshots_waits_for_pending_snapshots_or_says_they_are_not_ready():
    ids, provider = ecs_fleet(1)
    snapshot.run(params(cloud="alicloud", instance_ids=ids, snapshot_tag="rs", tags=None, wait=False), rt=runtime(provider))
    assert {s["state"] for s in provider.snapshots.values()} == {"pending"}
    with pytest.raises(TaskFailure) as exc:
        image.run(image_params(ids, wait=False), rt=runtime(provider))
    assert exc.value.failures[0]["code"] == "SnapshotsNotReady" and provider.images == {}
    result = image.run(image_params(ids), rt=runtime(provider))  # wait: the fake's snapshots complete when read
    assert result["changed_ids"] == ids


def test_image_from_snapshots_check_mode_dry_runs_or_predicts_and_makes_nothing():
    ids, provider = ecs_fleet(2)
    snapshot.run(params(cloud="alicloud", instance_ids=ids[:1], snapshot_tag="rs", tags=None), rt=runtime(provider))
    provider.instances[ids[1]].state = "stopped"  # ECS would snapshot its disks now, so an image is predicted
    rt = runtime(provider)
    result = image.run(image_params(ids), check_mode=True, rt=rt)
    assert result["changed_ids"] == ids and provider.images == {}
    assert provider.calls_of("create_image_from_snapshots") == [("create_image_from_snapshots", ["rs-%s-snap" % ids[0]], True)]
    assert any(ids[1] in w and "predicted" in w for w in rt.warnings)


def test_image_from_snapshots_of_a_stopping_instance_without_snapshots_says_none_can_be_made():
    ids, provider = ecs_fleet(2)
    snapshot.run(params(cloud="alicloud", instance_ids=ids[:1], snapshot_tag="rs", tags=None), rt=runtime(provider))
    for check_mode in (True, False):
        provider.instances[ids[1]].state, provider.instances[ids[1]].age = "stopping", 0  # the fake moves on as it is read
        with pytest.raises(TaskFailure) as exc:
            image.run(image_params(ids), check_mode=check_mode, rt=runtime(provider))
        [failure] = exc.value.failures
        assert (failure["id"], failure["code"]) == (ids[1], "NoSnapshots")
        assert "the instance is stopping" in failure["message"] and "made before" in failure["message"]
        # the one with snapshots still gets its image (check mode: would get it)
        assert exc.value.result["changed_ids"] == [ids[0]]
        assert list(exc.value.result["image_ids"]) == ([] if check_mode else [ids[0]])


def test_snapshot_check_mode_on_ecs_predicts_the_refusal_of_a_stopping_or_never_started_instance():
    ids, provider = ecs_fleet(3)
    provider.instances[ids[1]].state = "stopped"
    provider.instances[ids[1]].start_time = None
    provider.instances[ids[2]].state = "stopped"
    with pytest.raises(TaskFailure) as exc:
        snapshot.run(params(cloud="alicloud", instance_ids=ids, snapshot_tag="rs", tags=None), check_mode=True,
                     rt=runtime(provider))
    assert [(f["id"], f["code"]) for f in exc.value.failures] == [
        (ids[0], "IncorrectInstanceStatus"), (ids[1], "IncorrectDiskStatus.NeverUsed")]
    assert exc.value.result["changed_ids"] == [ids[2]] and provider.snapshots == {}
    assert "make them ahead" in exc.value.failures[0]["message"]


@pytest.mark.parametrize("args, message", [
    (dict(cloud="aws", instance_ids=[aws_id(1)]), "cloud=alicloud only"),
    (dict(snapshot_tag=None), "snapshot_tag"),
    (dict(snapshot_tag="no way"), "snapshot_tag"),
    (dict(source="instance"), "goes with source: snapshots"),
])
def test_image_from_snapshots_input_errors_before_any_call(args, message):
    p = image_params([ecs_id(1)])
    p.update(args)
    with pytest.raises(InputError) as exc:
        image.run(p, rt=runtime(None))
    assert message in exc.value.message
