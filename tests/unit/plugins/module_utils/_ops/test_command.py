"""instance_command's core on a fake provider: validation, waves, max_errors, then, timeouts, check mode."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import command
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError, InputError, TaskFailure

from ..fakes import FakeClock, FakeInstance, FakeProvider, aws_id, ecs_id, params, runtime


def cmd_params(cloud="aws", ids=(), **kwargs):
    base = dict(instance_ids=list(ids), content="echo hello", command_type="RunShellScript", timeout=60, working_dir=None,
                username=None, then="none", concurrency="10", max_errors="0", wait_timeout=600)
    base.update(kwargs)
    p = params(cloud, **base)
    for key in ("wait", "force"):
        p.pop(key)
    return p


def fleet(cloud="aws", n=3, **kwargs):
    make = aws_id if cloud == "aws" else ecs_id
    ids = [make(k + 1) for k in range(n)]
    provider = FakeProvider(cloud=cloud, instances=dict((i, FakeInstance("running", **kwargs)) for i in ids))
    return ids, provider


def run(provider, p, check_mode=False, clock=None):
    warnings = []
    result = command.run(p, check_mode=check_mode, rt=runtime(provider, clock=clock), warn=warnings.append)
    return result, warnings


def by_id(result):
    return dict((r["id"], r) for r in result["results"])


# --- validation: exact messages, before any API call ---

class NoProvider:
    def __call__(self, conn):
        raise AssertionError("no API call may happen before the input is valid")


@pytest.mark.parametrize("cloud, change, message", [
    ("aws", dict(content="  \n\t"), "content is empty: give the script to run on the instances"),
    ("aws", dict(content=None), "content is empty: give the script to run on the instances"),
    ("aws", dict(command_type="RunPythonScript"),
     "command_type must be one of RunShellScript, RunPowerShellScript, RunBatScript, got 'RunPythonScript'"),
    ("aws", dict(command_type="RunBatScript"),
     "command_type RunBatScript is for cloud=alicloud only; on aws use RunShellScript (AWS-RunShellScript) or "
     "RunPowerShellScript (AWS-RunPowerShellScript)"),
    ("aws", dict(username="app"),
     "username is for cloud=alicloud only: SSM's AWS-RunShellScript and AWS-RunPowerShellScript run as root / SYSTEM and take no user"),
    ("aws", dict(then="reboot"), "then must be one of none, stop, restart, got 'reboot'"),
    ("aws", dict(timeout=0), "timeout must be 1 or more seconds, got 0"),
    ("alicloud", dict(timeout=-5), "timeout must be 1 or more seconds, got -5"),
    ("aws", dict(wait_timeout=0), "wait_timeout must be 1 or more seconds, got 0"),
    ("aws", dict(concurrency="0"), "concurrency must be a number of instances (1 or more) or a percentage from 1% to 100%, got '0'"),
    ("aws", dict(concurrency="0%"), "concurrency must be a number of instances (1 or more) or a percentage from 1% to 100%, got '0%'"),
    ("aws", dict(concurrency="150%"),
     "concurrency must be a number of instances (1 or more) or a percentage from 1% to 100%, got '150%'"),
    ("aws", dict(concurrency="all"), "concurrency must be a number of instances (1 or more) or a percentage from 1% to 100%, got 'all'"),
    ("aws", dict(max_errors="-1"), "max_errors must be a number of instances (0 or more) or a percentage from 0% to 100%, got '-1'"),
    ("aws", dict(max_errors="few"), "max_errors must be a number of instances (0 or more) or a percentage from 0% to 100%, got 'few'"),
    ("alicloud", dict(then="restart", content="#!/usr/bin/env python3\nprint(1)\n"),
     "then: restart on alicloud needs a shell script (the restart is its exit code 194), but content starts with '#!' naming "
     "python3; run that program from a shell script instead"),
])
def test_bad_input_fails_before_any_call(cloud, change, message):
    make = aws_id if cloud == "aws" else ecs_id
    p = cmd_params(cloud, [make(1)], **change)
    rt = runtime(None)
    rt.provider_factory = NoProvider()
    with pytest.raises(InputError) as info:
        command.run(p, rt=rt)
    assert info.value.message == message


def test_bat_and_username_are_fine_on_alicloud():
    ids, provider = fleet("alicloud", 1, os_type="windows")
    result, _w = run(provider, cmd_params("alicloud", ids, command_type="RunBatScript", username="Administrator"))
    assert result["succeeded_ids"] == ids
    assert provider.calls_of("run_command")[0][2]["username"] == "Administrator"


def test_os_mismatch_names_the_ids_before_any_mutating_call():
    ids, provider = fleet("aws", 3)
    provider.instances[ids[1]].os_type = "windows"
    provider.instances[ids[2]].os_type = "windows"
    with pytest.raises(InputError) as info:
        run(provider, cmd_params("aws", ids))
    assert info.value.message == "command_type RunShellScript is for linux instances, but these are windows: %s, %s" % (ids[1], ids[2])
    assert [c[0] for c in provider.calls] == ["describe"]
    with pytest.raises(InputError) as info:
        run(provider, cmd_params("aws", ids, command_type="RunPowerShellScript"))
    assert info.value.message == "command_type RunPowerShellScript is for windows instances, but these are linux: %s" % ids[0]


# --- waves and max_errors ---

def test_output_and_exit_codes_per_instance_in_input_order():
    ids, provider = fleet("aws", 3, output="hello\n")
    provider.instances[ids[1]].exit_code = 3
    with pytest.raises(TaskFailure) as info:  # max_errors 0: one failure fails the task
        run(provider, cmd_params("aws", list(reversed(ids)), concurrency="10"))
    result = info.value.result
    assert [r["id"] for r in result["results"]] == list(reversed(ids))
    got = by_id(result)
    assert (got[ids[1]]["status"], got[ids[1]]["exit_code"], got[ids[1]]["output"]) == ("failed", 3, "hello\n")
    assert (got[ids[1]]["error_code"], got[ids[1]]["error_message"]) == ("ExitCodeNonzero", "the command exited with 3")
    assert got[ids[0]]["status"] == "success" and got[ids[0]]["exit_code"] == 0 and got[ids[0]]["error_code"] is None
    assert got[ids[0]]["invocation_id"] == "inv-1" and got[ids[0]]["wave"] == 1
    assert info.value.message.startswith("stopped after wave 1 of 1: 1 errors > max_errors 0; 0 instance(s) not started.")
    assert info.value.failures == [{"id": ids[1], "code": "ExitCodeNonzero", "message": "the command exited with 3", "request_id": None}]


def test_stops_launching_waves_once_errors_exceed_max_errors():
    ids, provider = fleet("alicloud", 10)
    for k in (1, 2, 5):  # waves of 2: [0,1] [2,3] [4,5] [6,7] [8,9]; errors 1, 2, 3 > 2 after wave 3
        provider.instances[ids[k]].exit_code = 1
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("alicloud", ids, concurrency="2", max_errors="2"))
    result = info.value.result
    assert [c[1] for c in provider.calls_of("run_command")] == [ids[0:2], ids[2:4], ids[4:6]]
    assert result["waves"] == [ids[0:2], ids[2:4], ids[4:6]]
    assert result["planned_waves"] == [ids[k:k + 2] for k in range(0, 10, 2)]
    assert result["failed_ids"] == [ids[1], ids[2], ids[5]]
    assert result["succeeded_ids"] == [ids[0], ids[3], ids[4]]
    assert result["not_started_ids"] == ids[6:] == result["unchanged_ids"]
    assert result["changed_ids"] == ids[:6] and result["changed"] is True
    assert all(by_id(result)[i]["wave"] is None and by_id(result)[i]["status"] == "not_started" for i in ids[6:])
    assert info.value.message.startswith("stopped after wave 3 of 5: 3 errors > max_errors 2; 4 instance(s) not started.")
    assert result["rate_control"] == {"targets": 10, "concurrency": 2, "max_errors": 2}


def test_errors_within_max_errors_do_not_fail_but_warn():
    ids, provider = fleet("aws", 4)
    provider.instances[ids[2]].exit_code = 7
    result, warnings = run(provider, cmd_params("aws", ids, concurrency="50%", max_errors="25%"))
    assert result["waves"] == [ids[:2], ids[2:]]
    assert result["failed_ids"] == [ids[2]] and len(result["failures"]) == 1
    assert warnings and warnings[0].startswith("the command failed on 1 of 4 instance(s), within max_errors 25% (1):")


def test_instances_not_running_are_errors_and_never_sent():
    ids, provider = fleet("aws", 3)
    provider.instances[ids[0]].state = "stopped"
    result, warnings = run(provider, cmd_params("aws", ids, max_errors="1"))
    assert provider.calls_of("run_command")[0][1] == ids[1:]
    got = by_id(result)[ids[0]]
    assert (got["status"], got["error_code"], got["wave"], got["invocation_id"]) == ("error", "IncorrectInstanceState", None, None)
    assert result["unchanged_ids"] == [ids[0]] and result["not_started_ids"] == []
    assert warnings


def test_too_many_instances_not_running_start_no_wave():
    ids, provider = fleet("aws", 3)
    provider.instances[ids[0]].state = "stopped"
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("aws", ids))
    assert provider.calls_of("run_command") == []
    assert info.value.message.startswith("stopped before wave 1 of 1: 1 errors > max_errors 0; 2 instance(s) not started.")


def test_a_wave_bigger_than_a_call_takes_is_sent_in_api_sized_calls_and_polled_per_invocation():
    ids, provider = fleet("aws", 120)
    provider.command_batch_size = 50  # SSM SendCommand
    result, _w = run(provider, cmd_params("aws", ids, concurrency="100%"))
    assert [len(c[1]) for c in provider.calls_of("run_command")] == [50, 50, 20]
    polls = provider.calls_of("command_results")
    assert len(polls) == 3 * 2  # one listing per invocation and round, two rounds
    assert len(result["succeeded_ids"]) == 120 and result["waves"] == [ids]


def test_commands_that_never_finish_fail_with_wait_timeout_and_the_clock_is_fake():
    ids, provider = fleet("aws", 2)
    provider.command_rounds = 10 ** 6
    clock = FakeClock()
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("aws", ids, wait_timeout=30), clock=clock)
    got = by_id(info.value.result)[ids[0]]
    assert (got["status"], got["error_code"], got["raw_status"]) == ("error", "WaitTimeout", "Running")
    assert clock.now <= 30.01
    assert clock.sleeps[0] <= 0.625 and max(clock.sleeps) <= 6.25  # 0.5 s growing, capped at 5 s (+-25 % jitter)


def test_cloud_timeout_is_reported_as_timeout():
    ids, provider = fleet("alicloud", 1, raw_status="Timeout")
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("alicloud", ids))
    got = by_id(info.value.result)[ids[0]]
    assert (got["status"], got["error_code"], got["exit_code"]) == ("timeout", "ExecutionTimeout", None)


def test_a_refused_send_keeps_what_ran_and_lists_what_never_started():
    ids, provider = fleet("alicloud", 6)
    provider.send_error = (2, CloudError("InvalidInstance.NotRunning", "agent not running", "req-9"))
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("alicloud", ids, concurrency="2", max_errors="5"))
    result = info.value.result
    got = by_id(result)
    assert [got[i]["status"] for i in ids] == ["success", "success", "error", "error", "not_started", "not_started"]
    assert (got[ids[2]]["error_code"], got[ids[2]]["request_id"]) == ("InvalidInstance.NotRunning", "req-9")
    assert result["changed_ids"] == ids[:2] and result["not_started_ids"] == ids[4:]
    assert info.value.error == {"code": "InvalidInstance.NotRunning", "message": "agent not running", "request_id": "req-9"}
    assert info.value.message.startswith("wave 2 of 3 stopped on an API error InvalidInstance.NotRunning: agent not running "
                                         "(request id req-9). 2 instance(s) not started.")


def test_a_failing_poll_marks_the_unknown_results_and_stops():
    ids, provider = fleet("aws", 2)
    provider.results_error = CloudError("ThrottlingException", "Rate exceeded", "req-1")
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("aws", ids, concurrency="1", max_errors="5"))
    result = info.value.result
    assert [r["status"] for r in result["results"]] == ["error", "not_started"]
    assert result["results"][0]["invocation_id"] == "inv-1" and result["changed_ids"] == ids[:1]


def test_check_mode_plans_the_waves_and_sends_nothing():
    ids, provider = fleet("aws", 5)
    provider.instances[ids[4]].state = "stopped"
    result, _w = run(provider, cmd_params("aws", ids, concurrency="2", max_errors="1", then="restart"), check_mode=True)
    assert [c[0] for c in provider.calls] == ["describe"]
    assert result["changed"] is True and result["waves"] == [ids[0:2], ids[2:4]] == result["planned_waves"]
    assert result["changed_ids"] == ids[:4] and result["unchanged_ids"] == [ids[4]]
    assert [r["wave"] for r in result["results"]] == [1, 1, 2, 2, None]
    assert [r["status"] for r in result["results"]] == ["not_started"] * 4 + ["error"]


def test_check_mode_with_nothing_running_changes_nothing():
    ids, provider = fleet("aws", 2)
    for i in ids:
        provider.instances[i].state = "stopped"
    result, _w = run(provider, cmd_params("aws", ids, max_errors="100%"), check_mode=True)
    assert result["changed"] is False and result["waves"] == []


# --- then ---

def test_then_restart_on_alicloud_reports_the_scripts_own_exit_code_and_waits_for_a_seen_reboot():
    ids, provider = fleet("alicloud", 2)
    result, _w = run(provider, cmd_params("alicloud", ids, then="restart", concurrency="1"))
    sent = provider.calls_of("run_command")[0][2]["content"]
    assert sent.rstrip().endswith('exit "$__cf_rc"') and "exit 194" in sent
    assert provider.calls_of("reboot") == [] and provider.calls_of("stop") == []
    for r in result["results"]:
        # exit_code is the script's own (0, as EC2 reports it); the agent's 194 that carried out then is apart
        assert (r["status"], r["exit_code"], r["then_exit_code"], r["then_state"], r["error_code"]) == \
            ("success", 0, 194, "running", None)
    assert all(provider.instances[i].boots == 1 for i in ids)
    assert [rec["start_time"] for rec in result["instances"]] == ["2026-01-01T00:01:00Z"] * 2


def test_then_stop_on_alicloud_waits_until_stopped():
    ids, provider = fleet("alicloud", 2)
    result, _w = run(provider, cmd_params("alicloud", ids, then="stop"))
    assert [(r["status"], r["exit_code"], r["then_exit_code"], r["then_state"]) for r in result["results"]] == \
        [("success", 0, 193, "stopped")] * 2
    assert [rec["state"] for rec in result["instances"]] == ["stopped", "stopped"]


def test_then_is_not_carried_out_for_failed_commands():
    ids, provider = fleet("alicloud", 2)
    provider.instances[ids[1]].exit_code = 5
    result, _w = run(provider, cmd_params("alicloud", ids, then="stop", max_errors="1"))
    got = by_id(result)
    assert (got[ids[1]]["status"], got[ids[1]]["exit_code"], got[ids[1]]["then_state"]) == ("failed", 5, None)
    assert provider.instances[ids[1]].state == "running" and got[ids[0]]["then_state"] == "stopped"


def test_windows_script_that_exits_0_early_is_then_not_run():
    ids, provider = fleet("alicloud", 1, os_type="windows")
    provider.instances[ids[0]].skips_then = True
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("alicloud", ids, command_type="RunPowerShellScript", content="Write-Output hi; exit 0",
                                 then="restart"))
    got = by_id(info.value.result)[ids[0]]
    assert (got["status"], got["error_code"], got["exit_code"]) == ("error", "ThenNotRun", 0)


def test_restart_that_is_never_seen_times_out():
    ids, provider = fleet("alicloud", 1)
    provider._agent_then = lambda inst, then: None  # the agent never reboots
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("alicloud", ids, then="restart", wait_timeout=20))
    got = by_id(info.value.result)[ids[0]]
    assert (got["status"], got["error_code"], got["then_state"]) == ("error", "WaitTimeout", "running")
    assert "no reboot was seen" in got["error_message"]


def test_a_restart_that_cannot_show_in_a_minute_precise_start_time_is_taken_on_the_agents_word():
    ids, provider = fleet("alicloud", 2)
    provider.command_started_at = "2026-01-01T00:00:40Z"  # same minute as the instances' StartTime
    provider.instances[ids[1]].start_time = "2025-12-31T23:59:00Z"  # an earlier minute: must show its reboot
    provider._agent_then = lambda inst, then: None  # a reboot quicker than any poll: nothing to see
    clock = FakeClock()
    with pytest.raises(TaskFailure) as info:
        run(provider, cmd_params("alicloud", ids, then="restart", max_errors="0", wait_timeout=60), clock=clock)
    got = by_id(info.value.result)
    assert (got[ids[0]]["status"], got[ids[0]]["then_state"]) == ("success", "running")
    assert (got[ids[1]]["status"], got[ids[1]]["error_code"]) == ("error", "WaitTimeout")

    ids, provider = fleet("alicloud", 1)
    provider.command_started_at = "2026-01-01T00:00:40Z"
    provider._agent_then = lambda inst, then: None
    clock = FakeClock()
    result, warnings = run(provider, cmd_params("alicloud", ids, then="restart"), clock=clock)
    assert result["results"][0]["status"] == "success" and 10 <= clock.now < 20
    assert warnings == ["the reboot of %s could not be seen (started less than a minute before the command, and ECS's "
                        "StartTime has minute precision); taken as restarted on the Cloud Assistant's exit code 194" % ids[0]]


def test_then_on_aws_calls_reboot_and_stop_for_the_successes_only():
    ids, provider = fleet("aws", 3)
    provider.instances[ids[0]].exit_code = 1
    result, _w = run(provider, cmd_params("aws", ids, then="restart", max_errors="1"))
    assert provider.calls_of("reboot") == [("reboot", ids[1:], False)]
    assert "exit 194" not in provider.calls_of("run_command")[0][2]["content"]
    assert [r["then_state"] for r in result["results"]] == [None, "running", "running"]

    ids, provider = fleet("aws", 2)
    result, _w = run(provider, cmd_params("aws", ids, then="stop"))
    assert provider.calls_of("stop") == [("stop", ids, False)]
    assert [r["then_state"] for r in result["results"]] == ["stopped", "stopped"]


def test_request_carries_the_options():
    ids, provider = fleet("alicloud", 1)
    run(provider, cmd_params("alicloud", ids, timeout=120, working_dir="/opt/app", username="app", wait_timeout=900))
    request = provider.calls_of("run_command")[0][2]
    assert request == {"type": "RunShellScript", "content": "echo hello", "timeout": 120, "working_dir": "/opt/app",
                       "username": "app", "delivery_timeout": 900}
