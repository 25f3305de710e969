"""instance_command through real ansible-playbook runs against the sandbox, on both clouds.

The scripts really run in the sandbox (ECS Cloud Assistant RunCommand, EC2 SSM SendCommand), each
with SANDBOX_INSTANCE_ID in its environment, so one script can succeed on some instances and fail
on others. Call counts come from the sandbox's call log; no test asserts wall-clock time.
"""
import base64

import pytest

from cloudtest import is_mutating

MODULE = "cloudfleet.lifecycle.instance_command"
COMMAND_ACTIONS = ("RunCommand", "SendCommand", "StopInstances", "RebootInstances", "StopInvocation", "CancelCommand")


def task(cloud, ids, name="run", **args):
    return {"name": name, MODULE: cloud.module_args(instance_ids=ids, **args), "register": "out"}


def send_action(cloud):
    return "SendCommand" if cloud.is_aws else "RunCommand"


def sends(cloud):
    return cloud.calls(send_action(cloud))


def ids_of(cloud, call):
    """The ids one logged call addressed; SSM's JSON protocol logs InstanceIds as a list."""
    value = call["params"].get("InstanceIds")
    return list(value) if isinstance(value, list) else cloud.ids_in(call)


def by_id(result):
    return {r["id"]: r for r in result["results"]}


def fail_on(ids, code=1):
    """A script that fails with `code` on exactly these instances and says where it ran."""
    return 'echo "ran on $SANDBOX_INSTANCE_ID"\ncase "$SANDBOX_INSTANCE_ID" in %s) exit %d;; esac\n' % ("|".join(ids), code)


def test_output_and_exit_codes_come_back_decoded(cloud, run_play):
    ids = cloud.launch(2)
    run = run_play([
        dict(task(cloud, ids[:1], name="fails", content="echo hello; exit 3"), ignore_errors=True),
        task(cloud, ids, name="succeeds", content="echo \"héllo from $SANDBOX_INSTANCE_ID\"\nprintf 'bad \\377 byte\\n'"),
    ])
    failed = run.result("fails")
    assert failed["failed"] is True
    got = failed["results"][0]
    assert (got["status"], got["exit_code"], got["output"], got["error_code"]) == ("failed", 3, "hello\n", "ExitCodeNonzero")
    assert got["invocation_id"] and got["wave"] == 1 and failed["failed_ids"] == ids[:1]
    assert failed["msg"].startswith("stopped after wave 1 of 1: 1 errors > max_errors 0; 0 instance(s) not started.")

    ok = run.result("succeeds")
    assert ok["changed"] is True and ok["succeeded_ids"] == ids and ok["changed_ids"] == ids
    for instance_id in ids:
        result = by_id(ok)[instance_id]
        assert (result["status"], result["exit_code"], result["error_code"]) == ("success", 0, None)
        assert result["output"] == "héllo from %s\nbad \ufffd byte\n" % instance_id
    assert [r["os_type"] for r in ok["instances"]] == ["linux", "linux"]
    if not cloud.is_aws:  # not plain-text safe: sent as Base64 of its UTF-8
        last = sends(cloud)[-1]["params"]
        assert last["ContentEncoding"] == "Base64"
        assert "héllo" in base64.b64decode(last["CommandContent"]).decode("utf-8")


def test_a_script_failing_on_3_of_10_stops_launching_waves(cloud, run_play):
    ids = cloud.launch(10)
    failing = [ids[1], ids[2], ids[5]]  # waves of 2: errors 1, 2, then 3 > 2 after wave 3
    cloud.reset_calls()
    run = run_play([task(cloud, ids, content=fail_on(failing), concurrency="2", max_errors="2")])
    assert run.rc != 0
    result = run.result("run")
    assert result["msg"].startswith("stopped after wave 3 of 5: 3 errors > max_errors 2; 4 instance(s) not started.")
    calls = sends(cloud)
    assert len(calls) == 3
    assert [ids_of(cloud, c) for c in calls] == [ids[0:2], ids[2:4], ids[4:6]]
    assert result["waves"] == [ids[0:2], ids[2:4], ids[4:6]] and len(result["planned_waves"]) == 5
    assert result["failed_ids"] == failing
    assert result["succeeded_ids"] == [ids[0], ids[3], ids[4]]
    assert result["not_started_ids"] == ids[6:] == result["unchanged_ids"]
    assert result["changed_ids"] == ids[:6]
    results = by_id(result)
    for instance_id in ids[:6]:
        assert results[instance_id]["output"] == "ran on %s\n" % instance_id
    for instance_id in ids[6:]:
        assert (results[instance_id]["status"], results[instance_id]["wave"], results[instance_id]["invocation_id"]) == (
            "not_started", None, None)
    assert sorted(f["id"] for f in result["failures"]) == sorted(failing)
    assert {f["code"] for f in result["failures"]} == {"ExitCodeNonzero"}


def test_errors_within_max_errors_pass_with_a_warning(cloud, run_play):
    ids = cloud.launch(4)
    cloud.reset_calls()
    run = run_play([task(cloud, ids, content=fail_on(ids[:1]), concurrency="50%", max_errors="25%")])
    assert run.rc == 0, run.output
    result = run.result("run")
    assert result["failed_ids"] == ids[:1] and result["succeeded_ids"] == ids[1:]
    assert len(sends(cloud)) == 2
    assert any("within max_errors 25% (1)" in w for w in result.get("warnings", [])), result.get("warnings")


def test_then_stop_leaves_them_stopped(cloud, run_play):
    ids = cloud.launch(2)
    cloud.reset_calls()
    run = run_play([task(cloud, ids, content="echo bye", then="stop")])
    assert run.rc == 0, run.output
    result = run.result("run")
    for r in result["results"]:
        assert (r["status"], r["then_state"], r["error_code"]) == ("success", "stopped", None)
        # the script's own exit code on both clouds; ECS's agent code that stopped it is reported apart
        assert (r["exit_code"], r["then_exit_code"]) == ((0, None) if cloud.is_aws else (0, 193))
    assert set(cloud.states(ids).values()) == {"stopped"}
    assert {r["state"] for r in result["instances"]} == {"stopped"}
    stops = cloud.calls("StopInstances")
    if cloud.is_aws:  # EC2: the module stops them once the command succeeded
        assert [sorted(ids_of(cloud, c)) for c in stops] == [sorted(ids)]
    else:  # ECS: the agent stops them on exit 193; no API call
        assert stops == []
        assert "exit 193" in sends(cloud)[0]["params"]["CommandContent"]


def test_then_restart_leaves_them_running_after_a_real_reboot(cloud, sandbox, run_play):
    ids = cloud.launch(2)
    # ECS StartTime has minute precision: start the reboot in a later minute than the launch, so the
    # reboot is seen through StartTime even when it is quicker than the polls.
    sandbox.advance_clock(61)
    cloud.reset_calls()
    run = run_play([
        {"name": "before", "cloudfleet.lifecycle.instance_state_info": cloud.module_args(instance_ids=ids), "register": "b"},
        task(cloud, ids, content="uptime >/dev/null; echo rebooting", then="restart", concurrency="1"),
    ])
    assert run.rc == 0, run.output
    before = {r["id"]: r["start_time"] for r in run.result("before")["instances"]}
    result = run.result("run")
    for r in result["results"]:
        assert (r["status"], r["then_state"], r["output"]) == ("success", "running", "rebooting\n")
    assert set(cloud.states(ids).values()) == {"running"}
    assert len(sends(cloud)) == 2 and result["waves"] == [ids[:1], ids[1:]]
    if cloud.is_aws:  # EC2 keeps running through a reboot: RebootInstances is the proof
        assert [ids_of(cloud, c) for c in cloud.calls("RebootInstances")] == [ids[:1], ids[1:]]
    else:  # ECS: the agent reboots on exit 194, StartTime moves
        assert cloud.calls("RebootInstances") == []
        assert [(r["exit_code"], r["then_exit_code"]) for r in result["results"]] == [(0, 194), (0, 194)]
        after = {r["id"]: r["start_time"] for r in result["instances"]}
        assert all(after[i] and after[i] != before[i] for i in ids), (before, after)


def test_ecs_restart_is_seen_by_polling_when_the_reboot_takes_a_while(sandbox, run_play):
    from cloudtest import CloudUnderTest

    cloud = CloudUnderTest("alicloud", sandbox)
    ids = cloud.launch(1)
    sandbox.ctx.transition_seconds = 3  # no clock jump: the reboot is seen as Starting by a poll
    run = run_play([task(cloud, ids, content="true", then="restart")])
    assert run.rc == 0, run.output
    assert run.result("run")["results"][0]["then_state"] == "running"


def test_ecs_quick_reboot_in_the_launch_minute_is_taken_on_the_agents_word(sandbox, run_play):
    from cloudtest import CloudUnderTest

    cloud = CloudUnderTest("alicloud", sandbox)
    ids = cloud.launch(1)  # no clock jump, 0.3 s transitions: the reboot is over before any poll
    run = run_play([
        {"name": "before", "cloudfleet.lifecycle.instance_state_info": cloud.module_args(instance_ids=ids), "register": "b"},
        task(cloud, ids, content="true", then="restart"),
    ])
    assert run.rc == 0, run.output
    result = run.result("run")
    assert (result["results"][0]["status"], result["results"][0]["then_state"]) == ("success", "running")
    moved = result["instances"][0]["start_time"] != run.result("before")["instances"][0]["start_time"]
    warned = any("taken as restarted on the Cloud Assistant's exit code 194" in w and ids[0] in w
                 for w in result.get("warnings", []))
    assert moved or warned  # a minute boundary between launch and reboot makes it visible after all


def test_ecs_windows_powershell_restart_uses_3010(sandbox, run_play):
    from cloudtest import CloudUnderTest

    cloud = CloudUnderTest("alicloud", sandbox)
    ids = cloud.launch(1, windows=True)
    sandbox.advance_clock(61)
    run = run_play([task(cloud, ids, content="Write-Output hi", command_type="RunPowerShellScript", then="restart")])
    assert run.rc == 0, run.output
    result = run.result("run")["results"][0]
    assert (result["status"], result["exit_code"], result["then_exit_code"], result["then_state"]) == ("success", 0, 3010, "running")
    assert cloud.calls("RunCommand")[0]["params"]["CommandContent"].rstrip().endswith("exit 3010")


def test_command_timeouts_are_reported_as_timeout(cloud, run_play):
    ids = cloud.launch(1)
    run = run_play([task(cloud, ids, content="echo started; sleep 30", timeout=1)])
    assert run.rc != 0
    result = run.result("run")["results"][0]
    assert result["status"] == "timeout" and result["exit_code"] is None
    assert result["error_code"] in ("ExecutionTimeout", "ExecutionTimedOut")


def test_not_running_instances_are_never_sent(cloud, run_play):
    ids = cloud.launch(3)
    cloud.stop(ids[:1])
    cloud.wait(ids[:1], {"stopped"})
    cloud.reset_calls()
    run = run_play([task(cloud, ids, content="true", max_errors="1")])
    assert run.rc == 0, run.output
    result = run.result("run")
    assert [ids_of(cloud, c) for c in sends(cloud)] == [ids[1:]]
    got = by_id(result)[ids[0]]
    assert (got["status"], got["error_code"], got["wave"]) == ("error", "IncorrectInstanceState", None)
    assert result["unchanged_ids"] == ids[:1]


def test_check_mode_makes_no_mutating_call(cloud, run_play):
    ids = cloud.launch(3)
    cloud.reset_calls()
    run = run_play([task(cloud, ids, content="touch /tmp/x", then="restart", concurrency="2")], check=True)
    assert run.rc == 0, run.output
    result = run.result("run")
    assert result["changed"] is True and result["waves"] == [ids[:2], ids[2:]]
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert not [c for c in cloud.calls() if c["action"] in COMMAND_ACTIONS]
    assert set(cloud.states(ids).values()) == {"running"}


BAD_INPUTS = [
    (dict(content="   "), "content is empty: give the script to run on the instances"),
    (dict(content="true", concurrency="0"),
     "concurrency must be a number of instances (1 or more) or a percentage from 1% to 100%, got '0'"),
    (dict(content="true", concurrency="101%"),
     "concurrency must be a number of instances (1 or more) or a percentage from 1% to 100%, got '101%'"),
    (dict(content="true", max_errors="-1"),
     "max_errors must be a number of instances (0 or more) or a percentage from 0% to 100%, got '-1'"),
    (dict(content="true", timeout=0), "timeout must be 1 or more seconds, got 0"),
    (dict(content="true", command_type="RunPython"),
     "value of command_type must be one of: RunShellScript, RunPowerShellScript, RunBatScript, got: RunPython"),
]
AWS_ONLY = [
    (dict(content="dir", command_type="RunBatScript"),
     "command_type RunBatScript is for cloud=alicloud only; on aws use RunShellScript (AWS-RunShellScript) or "
     "RunPowerShellScript (AWS-RunPowerShellScript)"),
    (dict(content="true", username="app"),
     "username is for cloud=alicloud only: SSM's AWS-RunShellScript and AWS-RunPowerShellScript run as root / SYSTEM and "
     "take no user"),
]


def test_bad_inputs_give_the_exact_message_with_zero_api_calls(cloud, run_play):
    ids = cloud.launch(1)
    cases = BAD_INPUTS + (AWS_ONLY if cloud.is_aws else [])
    cloud.reset_calls()
    run = run_play([dict(task(cloud, ids, name="bad %d" % n, **args), ignore_errors=True) for n, (args, _m) in enumerate(cases)])
    for n, (_args, message) in enumerate(cases):
        result = run.result("bad %d" % n)
        assert result["failed"] is True and result["msg"] == message, (n, result["msg"])
        assert "Traceback" not in str(result)
    assert cloud.calls() == []


def test_command_type_that_does_not_fit_the_os_is_refused_naming_the_ids(cloud, run_play):
    linux = cloud.launch(1)
    windows = cloud.launch(2, windows=True)
    cloud.reset_calls()
    run = run_play([
        dict(task(cloud, linux + windows, name="shell", content="uname"), ignore_errors=True),
        dict(task(cloud, linux + windows, name="powershell", content="Get-Date", command_type="RunPowerShellScript"),
             ignore_errors=True),
    ])
    assert run.result("shell")["msg"] == "command_type RunShellScript is for linux instances, but these are windows: %s" % (
        ", ".join(windows))
    assert run.result("powershell")["msg"] == (
        "command_type RunPowerShellScript is for windows instances, but these are linux: %s" % linux[0])
    assert {c["action"] for c in cloud.calls()} == {"DescribeInstances"}


def test_a_refused_call_fails_clearly_and_lists_what_never_started(cloud, run_play):
    ids = cloud.launch(4)
    cloud.reset_calls()
    code = "InvalidInstanceId" if cloud.is_aws else "InvalidInstance.NotMatch"
    cloud.faults(action=send_action(cloud), code=code, http_status=400 if cloud.is_aws else 403, count=1)
    run = run_play([task(cloud, ids, content="echo ok", concurrency="2", max_errors="4")])
    assert run.rc != 0
    result = run.result("run")
    assert result["msg"].startswith("wave 1 of 2 stopped on an API error %s: " % code), result["msg"]
    assert "2 instance(s) not started." in result["msg"]
    assert result["error"]["code"] == code
    assert [r["status"] for r in result["results"]] == ["error", "error", "not_started", "not_started"]
    assert [r["error_code"] for r in result["results"][:2]] == [code, code]
    assert result["not_started_ids"] == ids[2:] and result["changed_ids"] == [] and result["changed"] is False
    assert len(sends(cloud)) == 1
    assert set(cloud.states(ids).values()) == {"running"}
