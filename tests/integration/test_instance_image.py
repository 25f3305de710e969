"""instance_image through real ansible-playbook runs against the sandbox, on both clouds."""
from cloudtest import is_mutating
from sandbox.control_client import control

IMAGE = "cloudfleet.lifecycle.instance_image"


def image_task(cloud, ids, name="image", **args):
    args.setdefault("name", "replace-stuck")
    return {"name": name, IMAGE: cloud.module_args(instance_ids=ids, **args), "register": "out"}


def test_image_made_without_reboot_once_then_deleted(cloud, run_play):
    ids = cloud.launch(2)
    cloud.reset_calls()
    first = run_play([image_task(cloud, ids)])
    assert first.rc == 0, first.output
    result = first.result("image")
    assert result["changed"] is True and sorted(result["changed_ids"]) == sorted(ids)
    for instance_id in ids:
        image = result["images"][instance_id]
        assert image["state"] == "available" and image["name"] == f"replace-stuck-{instance_id}"
        assert result["image_ids"][instance_id] == image["image_id"]
    creates = cloud.calls("CreateImage")
    assert len(creates) == 2
    if cloud.is_aws:
        assert all(c["params"]["NoReboot"] == "true" for c in creates)
    assert set(cloud.states(ids).values()) == {"running"}  # never rebooted, never stopped

    cloud.reset_calls()
    second = run_play([image_task(cloud, ids)])
    assert second.rc == 0, second.output
    assert second.result("image")["changed"] is False
    assert second.result("image")["image_ids"] == result["image_ids"]
    assert cloud.calls("CreateImage") == []

    third = run_play([image_task(cloud, ids, state="absent", delete_snapshots=cloud.is_aws)])
    assert third.rc == 0, third.output
    assert sorted(third.result("image")["changed_ids"]) == sorted(ids)
    assert run_play([image_task(cloud, ids, state="absent")]).result("image")["changed"] is False


def test_check_mode_sends_dry_run_only(cloud, run_play):
    ids = cloud.launch(1)
    cloud.reset_calls()
    run = run_play([image_task(cloud, ids)], check=True)
    assert run.rc == 0, run.output
    assert run.result("image")["changed"] is True
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    dry = cloud.calls("CreateImage")
    assert len(dry) == 1 and dry[0]["params"]["DryRun"] in ("true", "True")


def test_an_instance_no_image_can_be_made_of_fails_alone(cloud, run_play):
    failing, fine = cloud.launch(2)
    control(cloud.url, "image_failures", {"instance_ids": [failing]})
    run = run_play([image_task(cloud, [failing, fine])])
    assert run.rc != 0
    result = run.result("image")
    assert [f["id"] for f in result["failures"]] == [failing]
    assert failing in result["msg"]
    assert list(result["image_ids"]) == [fine]
