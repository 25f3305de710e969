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


def test_image_path_replaces_the_stuck_and_leaves_the_rest(cloud, run_play):
    stuck, healthy = cloud.launch(2)
    cloud.stuck([stuck], "stopping")
    cloud.stop([stuck])
    cloud.reset_calls()
    run = run_play(role_tasks(cloud, [stuck, healthy]))
    assert run.rc == 0, run.output
    summary = run.result("summary")["replace_stuck_instance_result"]
    assert list(summary["replaced"]) == [stuck]
    clone_id = summary["replaced"][stuck]
    assert summary["not_stuck"] == [healthy] and summary["unresolved"] == []
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
    stuck = cloud.launch(1)[0]
    cloud.stuck([stuck], "stopping")
    cloud.stop([stuck])
    cloud.reset_calls()
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


def test_ecs_without_an_image_is_reported_unresolved_and_not_released(cloud, run_play):
    if cloud.is_aws:
        return
    stuck = cloud.launch(1)[0]
    cloud.stuck([stuck], "stopping")
    cloud.stop([stuck])
    control(cloud.url, "image_failures", {"instance_ids": [stuck]})
    cloud.reset_calls()
    run = run_play(role_tasks(cloud, [stuck]))
    assert run.rc != 0
    assert "not replaced" in run.output and stuck in run.output
    assert cloud.states([stuck])[stuck] == "stopping"
    assert launches(cloud) == []


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
