"""instance_start and instance_restart (issue 14) through real ansible-playbook against the sandbox, both clouds."""
from cloudtest import is_mutating
from test_command_then_restart import boots

START = "cloudfleet.lifecycle.instance_start"
RESTART = "cloudfleet.lifecycle.instance_restart"


def task(module, name, args, **extra):
    return dict({"name": name, module: args, "register": "out", "ignore_errors": True}, **extra)


def test_250_stopped_start_in_3_calls_and_a_second_run_only_reads(cloud, run_play):
    ids = cloud.launch_stopped(250)
    cloud.reset_calls()
    first = run_play([task(START, "start", cloud.module_args(instance_ids=ids))]).result("start")
    assert not first.get("failed"), first.get("msg")
    assert sorted(first["changed_ids"]) == sorted(ids) and {r["state"] for r in first["instances"]} == {"running"}
    assert [len(cloud.ids_in(c)) for c in cloud.calls("StartInstances")] == [100, 100, 50]
    assert set(cloud.states(ids).values()) == {"running"}
    cloud.reset_calls()
    second = run_play([task(START, "start", cloud.module_args(instance_ids=ids))]).result("start")
    assert second["changed"] is False and sorted(second["unchanged_ids"]) == sorted(ids)
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert {c["action"] for c in cloud.calls()} == {"DescribeInstances"}


def test_start_check_mode_makes_no_mutating_call(cloud, run_play):
    ids = cloud.launch_stopped(2)
    cloud.reset_calls()
    result = run_play([task(START, "start", cloud.module_args(instance_ids=ids), diff=True)], check=True).result("start")
    assert result["changed_ids"] == ids and result["failures"] == []
    assert result["diff"]["after"] == {i: {"state": "running"} for i in ids}
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert set(cloud.states(ids).values()) == {"stopped"}


def test_a_capacity_failure_on_3_ids_starts_the_rest_and_names_the_3(cloud, run_play):
    ids = cloud.launch_stopped(10)
    short = ids[2:5]
    code = "InsufficientInstanceCapacity" if cloud.is_aws else "OperationDenied.NoStock"
    cloud.faults(action="StartInstances", code=code, http_status=500 if cloud.is_aws else 403, count=1000, instance_ids=short)
    # retry_max_attempts 1: botocore retries a 5xx by itself, which would multiply the calls counted below
    result = run_play([task(START, "start", cloud.module_args(instance_ids=ids, retry_max_attempts=1))]).result("start")
    assert result["failed"] is True
    assert sorted(f["id"] for f in result["failures"]) == sorted(short) and {f["code"] for f in result["failures"]} == {code}
    assert sorted(result["changed_ids"]) == sorted(set(ids) - set(short))
    states = cloud.states(ids)
    assert {states[i] for i in short} == {"stopped"} and {states[i] for i in ids if i not in short} == {"running"}
    assert f"{code}: 3 instances" in result["msg"]
    if cloud.is_aws:  # EC2 refuses the batch whole: the module narrows it down by halves, not one call per id
        assert len(cloud.calls("StartInstances")) < 20
    else:  # ECS answers per instance (SuccessFirst): one call
        assert len(cloud.calls("StartInstances")) == 1


def test_restart_reboots_only_running_instances_and_the_sandbox_shows_it(sandbox, cloud, run_play):
    running = cloud.launch(3)
    stopped = cloud.launch_stopped(1)
    if not cloud.is_aws:
        sandbox.advance_clock(61)  # a new minute: ECS's StartTime (minute precision) can show the reboot
    before = boots(sandbox, cloud, running)
    cloud.reset_calls()
    result = run_play([task(RESTART, "restart", cloud.module_args(instance_ids=running + stopped))]).result("restart")
    assert result["failed"] is True
    assert result["changed_ids"] == running
    assert [(f["id"], f["code"]) for f in result["failures"]] == [(stopped[0], "IncorrectInstanceState")]
    assert all(stopped[0] not in cloud.ids_in(c) for c in cloud.calls("RebootInstances"))
    after = boots(sandbox, cloud, running)
    assert all(after[i] != before[i] for i in running), (before, after)
    assert {r["state"] for r in result["instances"] if r["id"] in running} == {"running"}
    assert set(result["reboots"]) == set(running)
    if cloud.is_aws:
        assert set(result["reboots"].values()) == {"accepted"}
    assert cloud.states(stopped) == {stopped[0]: "stopped"}


def test_restart_force_is_each_clouds_forced_reboot_and_check_mode_sends_only_a_dry_run(cloud, run_play):
    ids = cloud.launch(2)
    cloud.reset_calls()
    run = run_play([task(RESTART, "check", cloud.module_args(instance_ids=ids, force=True))], check=True)
    assert run.result("check")["changed_ids"] == ids
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    result = run_play([task(RESTART, "restart", cloud.module_args(instance_ids=ids, force=True))]).result("restart")
    assert not result.get("failed"), result
    reboot = [c for c in cloud.calls("RebootInstances") if is_mutating(c)]
    assert len(reboot) == 1
    if not cloud.is_aws:
        assert reboot[0]["params"]["ForceReboot"] in ("true", "True")


def test_restart_can_wait_for_healthy_status_checks(sandbox, cloud, run_play):
    ids = cloud.launch(1)
    result = run_play([task(RESTART, "restart", cloud.module_args(instance_ids=ids, wait_for_health=True))]).result("restart")
    assert not result.get("failed"), result
    assert result["instances"][0]["health"]["instance_status"] == "ok"
