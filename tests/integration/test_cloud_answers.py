"""Issue 13, the collection side: the modules read the clouds' documented answers right.

Real ansible-playbook runs against the sandbox, which answers as the API references document
(see tests/sandbox/test_ecs_fidelity.py and test_ec2_fidelity.py for each answer and its source).
"""
from cloudtest import CloudUnderTest, is_mutating
from sandbox import fleet
from sandbox.control_client import control

STOP = "cloudfleet.lifecycle.instance_stop"
RELEASE = "cloudfleet.lifecycle.instance_release"
AUTO = "cloudfleet.lifecycle.auto_release_time"


def task(module, name, args, **extra):
    return dict({"name": name, module: args, "register": "out", "ignore_errors": True}, **extra)


def test_ecs_check_mode_reads_dryrun_success_as_a_pass_and_checks_all_together(sandbox, run_play):
    """The batch calls answer a passing dry run DRYRUN.SUCCESS; with SuccessFirst they would answer only that."""
    ali = CloudUnderTest("alicloud", sandbox)
    running = ali.launch(2)
    stopped = ali.launch_stopped(1)
    ali.reset_calls()
    run = run_play([task(STOP, "stop", ali.module_args(instance_ids=running)),
                    task(RELEASE, "release", ali.module_args(instance_ids=stopped))], check=True)
    for name, ids in (("stop", running), ("release", stopped)):
        result = run.result(name)
        assert not result.get("failed"), result
        assert result["changed_ids"] == ids and result["failures"] == []
    dry = [c for c in ali.calls() if c["action"] in ("StopInstances", "DeleteInstances")]
    assert [(c["action"], c["error_code"]) for c in dry] == [("StopInstances", "DRYRUN.SUCCESS"), ("DeleteInstances", "DRYRUN.SUCCESS")]
    assert all("BatchOptimization" not in c["params"] for c in dry)
    assert [c for c in ali.calls() if is_mutating(c)] == []


def test_ecs_check_mode_still_names_an_instance_the_real_call_would_refuse(sandbox, run_play):
    """AllTogether dry runs check each instance: a security-locked one is refused for that id alone."""
    ali = CloudUnderTest("alicloud", sandbox)
    running = ali.launch(1)
    locked = ali.launch(1)
    control(ali.url, "locks", {"instance_ids": locked, "reason": "security"})
    result = run_play([task(STOP, "stop", ali.module_args(instance_ids=running + locked))], check=True).result("stop")
    assert result["failed"] is True and result["changed_ids"] == running
    assert [(f["id"], f["code"]) for f in result["failures"]] == [(locked[0], "InstanceLockedForSecurity")]


def test_a_security_locked_instance_is_reported_clearly_and_the_others_stop(sandbox, run_play):
    ali = CloudUnderTest("alicloud", sandbox)
    ids = ali.launch(3)
    control(ali.url, "locks", {"instance_ids": ids[:1], "reason": "security"})
    result = run_play([task(STOP, "stop", ali.module_args(instance_ids=ids))]).result("stop")
    assert result["failed"] is True and result["changed_ids"] == ids[1:]
    assert [(f["id"], f["code"]) for f in result["failures"]] == [(ids[0], "InstanceLockedForSecurity")]
    assert "locked for security reasons" in result["msg"]
    states = ali.states(ids)
    assert states[ids[0]] == "running" and {states[i] for i in ids[1:]} == {"stopped"}


def test_a_subscription_instance_is_refused_per_instance_with_a_reason(sandbox, run_play):
    ali = CloudUnderTest("alicloud", sandbox)
    prepaid = fleet.launch_ecs(ali.env, 1, prepaid=True)
    plain = ali.launch(1)
    ali.wait(prepaid, {"running"})
    run = run_play([task(AUTO, "schedule", ali.module_args(instance_ids=prepaid + plain, release_in="6h")),
                    task(STOP, "stop", ali.module_args(instance_ids=prepaid + plain)),
                    task(RELEASE, "release", ali.module_args(instance_ids=prepaid + plain))])
    schedule = run.result("schedule")
    assert schedule["failed"] is True and schedule["changed_ids"] == plain
    assert [(f["id"], f["code"]) for f in schedule["failures"]] == [(prepaid[0], "ChargeTypeViolation")]
    assert "subscription (PrePaid) instance" in schedule["failures"][0]["message"]
    release = run.result("release")
    assert release["changed_ids"] == plain
    assert [(f["id"], f["code"]) for f in release["failures"]] == [(prepaid[0], "ChargeTypeViolation")]
    assert ali.states(prepaid + plain) == {prepaid[0]: "stopped", plain[0]: "terminated"}


def test_a_forced_release_of_a_new_ecs_instance_waits_until_it_runs(sandbox, run_play):
    """DeleteInstances refuses a force release while the instance initializes (IncorrectInstanceStatus.Initializing)."""
    ali = CloudUnderTest("alicloud", sandbox)
    # Pending 5 s, then Starting 5 s: still initializing when the module asks, even on a busy machine where
    # ansible-playbook takes seconds to start
    sandbox.ctx.transition_seconds = 5
    ids = fleet.launch_ecs(ali.env, 1)
    result = run_play([task(RELEASE, "release", ali.module_args(instance_ids=ids, force=True))]).result("release")
    assert not result.get("failed"), result
    assert result["changed_ids"] == ids
    deletes = [(c["error_code"]) for c in ali.calls("DeleteInstances")]
    assert deletes[0] == "IncorrectInstanceStatus.Initializing" and deletes[-1] is None
    assert ali.states(ids) == {ids[0]: "terminated"}


def test_ec2_partial_termination_is_read_not_assumed(sandbox, run_play):
    """TerminateInstances naming a protected instance fails, yet terminates the other zones' instances (AWS's
    TerminateInstances reference): the module reports each instance as it ends, the protected one refused."""
    aws = CloudUnderTest("aws", sandbox)
    region = aws.region
    protected = fleet.launch_ec2(aws.env, 1, protected=True, zone=region + "a")
    same_zone = fleet.launch_ec2(aws.env, 1, zone=region + "a")
    other_zone = fleet.launch_ec2(aws.env, 2, zone=region + "b")
    ids = protected + same_zone + other_zone
    aws.wait(ids, {"running"})
    aws.stop(ids)
    aws.wait(ids, {"stopped"})
    aws.reset_calls()
    result = run_play([task(RELEASE, "release", aws.module_args(instance_ids=ids))]).result("release")
    assert result["failed"] is True
    assert result["protected_ids"] == protected
    assert sorted(result["changed_ids"]) == sorted(same_zone + other_zone)
    states = aws.states(ids)
    assert states[protected[0]] == "stopped" and {states[i] for i in same_zone + other_zone} == {"terminated"}
    first = aws.calls("TerminateInstances")[0]
    assert first["error_code"] == "OperationNotPermitted" and sorted(aws.ids_in(first)) == sorted(ids)
