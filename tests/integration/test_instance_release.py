"""instance_release through real ansible-playbook runs against the sandbox, on both clouds."""
from cloudtest import is_mutating

RELEASE = "cloudfleet.lifecycle.instance_release"


def release_task(cloud, ids, name="release", **args):
    return {"name": name, RELEASE: cloud.module_args(instance_ids=ids, **args), "register": "out", "ignore_errors": True}


def test_release_stopped_then_second_run_is_a_no_op(cloud, run_play):
    ids = cloud.launch_stopped(3)
    first = run_play([release_task(cloud, ids)])
    result = first.result("release")
    assert not result.get("failed"), first.output
    assert result["changed"] is True and sorted(result["changed_ids"]) == sorted(ids)
    assert {r["state"] for r in result["instances"]} == {"terminated"}
    assert set(cloud.states(ids).values()) == {"terminated"}

    cloud.reset_calls()
    second = run_play([release_task(cloud, ids)])
    result = second.result("release")
    assert not result.get("failed"), second.output
    assert result["changed"] is False
    if cloud.is_aws:  # EC2 still shows them terminated
        assert sorted(result["unchanged_ids"]) == sorted(ids) and {r["state"] for r in result["instances"]} == {"terminated"}
    else:  # ECS forgot them at once: not found, never "terminated" by guess, and still a green no-op
        assert sorted(result["not_found_ids"]) == sorted(ids) and {r["state"] for r in result["instances"]} == {"not-found"}
    assert cloud.calls(cloud.release_action) == []


def test_running_instances_are_refused_without_force(cloud, run_play):
    stopped = cloud.launch_stopped(1)
    running = cloud.launch(1)
    run = run_play([release_task(cloud, stopped + running)])
    result = run.result("release")
    assert result["failed"] is True
    assert running[0] in result["msg"] and "running" in result["msg"]
    assert stopped[0] not in result.get("failures", [{}])[0].get("id", "")
    assert cloud.states(running) == {running[0]: "running"}
    # the request never named the running instance
    assert all(running[0] not in cloud.ids_in(c) for c in cloud.calls(cloud.release_action))
    assert cloud.states(stopped) == {stopped[0]: "terminated"}


def test_force_releases_running_instances(cloud, run_play):
    running = cloud.launch(2)
    run = run_play([release_task(cloud, running, force=True)])
    result = run.result("release")
    assert not result.get("failed"), run.output
    assert sorted(result["changed_ids"]) == sorted(running)
    assert set(cloud.states(running).values()) == {"terminated"}


def test_protected_instances_are_refused_unless_protection_is_disabled(cloud, run_play):
    protected = cloud.launch(1, protected=True)
    cloud.stop(protected)
    cloud.wait(protected, {"stopped"})
    refused = run_play([release_task(cloud, protected)]).result("release")
    assert refused["failed"] is True
    assert protected[0] in refused["msg"] and "protection" in refused["msg"]
    assert refused["protected_ids"] == protected
    assert [f["code"] for f in refused["failures"]] == ["DeletionProtection"]
    assert cloud.states(protected) == {protected[0]: "stopped"}

    run = run_play([release_task(cloud, protected, disable_protection=True)])
    result = run.result("release")
    assert not result.get("failed"), run.output
    assert result["protection_disabled_ids"] == protected
    assert cloud.states(protected) == {protected[0]: "terminated"}


def test_check_mode_release_mutates_nothing(cloud, run_play):
    ids = cloud.launch_stopped(2)
    cloud.reset_calls()
    run = run_play([release_task(cloud, ids)], check=True)
    result = run.result("release")
    assert not result.get("failed"), run.output
    assert result["changed"] is True
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert set(cloud.states(ids).values()) == {"stopped"}
