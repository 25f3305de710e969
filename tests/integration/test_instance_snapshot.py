"""instance_snapshot through real ansible-playbook runs against the sandbox, on both clouds."""
from cloudtest import is_mutating

SNAPSHOT = "cloudfleet.lifecycle.instance_snapshot"
CREATE = {"aws": "CreateSnapshots", "alicloud": "CreateSnapshot"}


def snapshot_task(cloud, ids, name="snapshot", **args):
    return {"name": name, SNAPSHOT: cloud.module_args(instance_ids=ids, **args), "register": "out"}


def test_snapshot_changed_then_unchanged_and_tagged(cloud, run_play):
    ids = cloud.launch(2)
    first = run_play([snapshot_task(cloud, ids, snapshot_tag="before-release", tags={"owner": "ops"})])
    assert first.rc == 0, first.output
    result = first.result("snapshot")
    assert result["changed"] is True and sorted(result["changed_ids"]) == sorted(ids)
    snaps = result["snapshots"]
    assert sorted(snaps) == sorted(ids)
    for instance_id in ids:
        assert snaps[instance_id], snaps
        for snap in snaps[instance_id]:
            assert snap["state"] == "completed" and snap["device"] and snap["volume_id"] and snap["snapshot_id"]
    # the tags, read straight from the cloud
    tags = snapshot_tags(cloud)
    assert len(tags) == sum(len(v) for v in snaps.values())
    for instance_id in ids:
        for snap in snaps[instance_id]:
            t = tags[snap["snapshot_id"]]
            assert t["cloudfleet:instance-id"] == instance_id
            assert t["cloudfleet:device"] == snap["device"]
            assert t["cloudfleet:snapshot-tag"] == "before-release"
            assert t["owner"] == "ops"

    cloud.reset_calls()
    second = run_play([snapshot_task(cloud, ids, snapshot_tag="before-release")])
    assert second.rc == 0, second.output
    result = second.result("snapshot")
    assert result["changed"] is False and sorted(result["unchanged_ids"]) == sorted(ids)
    assert cloud.calls(CREATE[cloud.name]) == []
    assert {i: [s["snapshot_id"] for s in v] for i, v in result["snapshots"].items()} == \
        {i: [s["snapshot_id"] for s in v] for i, v in snaps.items()}


def test_check_mode_makes_no_mutating_call(cloud, run_play):
    ids = cloud.launch(2)
    cloud.reset_calls()
    run = run_play([snapshot_task(cloud, ids, snapshot_tag="dry")], check=True)
    assert run.rc == 0, run.output
    assert run.result("snapshot")["changed"] is True
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert snapshot_tags(cloud) == {}
    if cloud.is_aws:
        dry = cloud.calls("CreateSnapshots")
        assert len(dry) == 2 and all(c["params"].get("DryRun") == "true" for c in dry)


def test_bad_tag_fails_before_any_call(cloud, run_play):
    ids = cloud.launch(1)
    cloud.reset_calls()
    run = run_play([snapshot_task(cloud, ids, snapshot_tag="has space")])
    assert run.rc != 0
    assert "snapshot_tag" in run.result("snapshot")["msg"]
    assert cloud.calls() == []


def test_released_instance_with_snapshots_is_unchanged(cloud, run_play):
    ids = cloud.launch(1)
    assert run_play([snapshot_task(cloud, ids, snapshot_tag="keep")]).rc == 0
    release = {"name": "release", "cloudfleet.lifecycle.instance_release": cloud.module_args(instance_ids=ids, force=True)}
    run = run_play([release, snapshot_task(cloud, ids, snapshot_tag="keep")])
    assert run.rc == 0, run.output
    assert run.result("snapshot")["unchanged_ids"] == ids


def snapshot_tags(cloud):
    """{snapshot id: tags} of every snapshot this collection made (moto's own AMIs have snapshots too)."""
    if cloud.is_aws:
        from sandbox.fleet import ec2_client

        snaps = ec2_client(cloud.env).describe_snapshots(
            OwnerIds=["self"], Filters=[{"Name": "tag-key", "Values": ["cloudfleet:snapshot-tag"]}])["Snapshots"]
        return {s["SnapshotId"]: {t["Key"]: t["Value"] for t in s.get("Tags") or []} for s in snaps}
    model = cloud.emulator.model
    return {s.id: dict(s.tags) for s in model.snapshots.values()}
