"""The command_then_restart role's decisions (plugins/plugin_utils/command_then_restart.py and its filters), on module-shaped results."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cloudfleet.lifecycle.plugins.filter.command_then_restart import FilterModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils import command_then_restart as logic

FILTERS = FilterModule().filters()
OPTIONS = {"then": "restart", "concurrency": 2, "max_errors": "0"}


def result(instance_id, status="success", wave=1, **more):
    """One of instance_command's per-instance results."""
    return dict({"id": instance_id, "status": status, "wave": wave, "raw_status": "Success", "exit_code": 0,
                 "then_exit_code": None, "output": "ok\n", "error_code": None, "error_message": None,
                 "invocation_id": "inv-1", "request_id": "req-1", "then_state": "running"}, **more)


def run(cloud, region, ids, results=(), failed=False, skipped=False, msg="", problem="", waves=(), instances=(),
        failures=(), changed=None):
    """A group's run as group.yml records it."""
    return {"cloud": cloud, "region": region, "instance_ids": list(ids), "skipped": skipped,
            "status": "not_started" if skipped else ("failed" if failed else "succeeded"), "failed": failed,
            "changed": bool(results) if changed is None else changed, "msg": msg, "problem": problem,
            "results": list(results), "instances": list(instances), "waves": list(waves), "failures": list(failures)}


# groups

def test_groups_from_the_list_keep_the_order_and_each_id_once():
    instances = [{"cloud": "alicloud", "region": "cn-hangzhou", "instance_ids": ["i-b", "i-a", "i-b"]},
                 {"cloud": "aws", "region": "us-east-1", "instance_ids": ["i-1"]},
                 {"cloud": "alicloud", "region": "cn-hangzhou", "instance_ids": ["i-c", "i-a"]}]
    assert logic.groups(instances) == [
        {"cloud": "alicloud", "region": "cn-hangzhou", "instance_ids": ["i-b", "i-a", "i-c"]},
        {"cloud": "aws", "region": "us-east-1", "instance_ids": ["i-1"]},
    ]


def test_groups_without_a_region_or_a_cloud_are_empty_strings():
    assert logic.groups([{"cloud": "aws", "region": None, "instance_ids": ["i-1"]}, {"instance_ids": ["i-2"]}]) == [
        {"cloud": "aws", "region": "", "instance_ids": ["i-1"]}, {"cloud": "", "region": "", "instance_ids": ["i-2"]}]


def test_groups_from_the_play_hosts_skip_hosts_without_an_instance_id():
    hostvars = {"web1": {"cloud": "aws", "region": "eu-west-1", "instance_id": "i-1"},
                "localhost": {},
                "web2": {"region": "eu-west-1", "instance_id": "i-2"},
                "web3": {"cloud": "aws", "region": "eu-west-1", "instance_id": "i-3"}}
    assert logic.groups([], hostvars, ["web1", "localhost", "web2", "web3"]) == [
        {"cloud": "aws", "region": "eu-west-1", "instance_ids": ["i-1", "i-3"]},
        {"cloud": "", "region": "eu-west-1", "instance_ids": ["i-2"]},
    ]


def test_no_targets_are_no_groups():
    assert logic.groups([], {}, []) == []


@pytest.mark.parametrize("instances, words", [
    ("i-1", "command_then_restart_instances must be a list"),
    (["i-1"], "command_then_restart_instances[0] must be a dict"),
    ([{"cloud": "aws", "instance_ids": "i-1"}], "command_then_restart_instances[0] must be a dict"),
])
def test_bad_lists_say_what_to_change(instances, words):
    with pytest.raises(InputError, match=words.replace("[", r"\[").replace("]", r"\]")):
        logic.groups(instances)
    with pytest.raises(AnsibleFilterError, match=r"^command_then_restart_instances"):
        FILTERS["command_then_restart_groups"](instances)


# summary

def test_summary_of_two_groups():
    runs = [run("aws", "us-east-1", ["i-1", "i-2"],
                [result("i-1"), result("i-2", status="failed", wave=2, exit_code=3, output="", error_message="exit 3")],
                failures=[{"id": "i-2", "kind": "command"}]),
            run("alicloud", "cn-hangzhou", ["i-3"], [result("i-3", status="timeout", output=None)])]
    summary = logic.summary(runs, OPTIONS)
    assert summary["message"] == ("then restart: 3 targets, succeeded=1, failed=2, not_started=0, not_found=0, "
                                  "unknown=0")
    assert summary["counts"] == {"succeeded": 1, "failed": 2, "not_started": 0, "not_found": 0, "unknown": 0,
                                 "planned": 0}
    assert summary["ids"]["failed"] == ["i-2", "i-3"]
    assert (summary["changed"], summary["failed"], summary["check_mode"]) == (True, False, False)
    assert (summary["concurrency"], summary["max_errors"], summary["targets"]) == ("2", "0", 3)
    assert summary["failures"] == [{"id": "i-2", "kind": "command"}]
    assert summary["groups"][0] == {"cloud": "aws", "region": "us-east-1", "status": "succeeded", "failed": False,
                                    "msg": "", "problem": "", "waves": []}
    assert list(summary["groups"][0]) == ["cloud", "region", "status", "failed", "msg", "problem", "waves"]
    assert summary["instances"][1] == {
        "id": "i-2", "cloud": "aws", "region": "us-east-1", "wave": 2, "status": "failed", "raw_status": "Success",
        "exit_code": 3, "then_exit_code": None, "output": "", "error_code": None, "error_message": "exit 3",
        "invocation_id": "inv-1", "request_id": "req-1", "state": "running"}
    assert summary["instances"][2]["output"] == ""


def test_a_failed_group_stops_the_next_and_the_message_says_why():
    runs = [run("aws", "us-east-1", ["i-1"], failed=True, msg="AuthFailure", problem="aws us-east-1: AuthFailure",
                instances=[{"id": "i-1", "state": "running"}], waves=[["i-1"]]),
            run("alicloud", "cn-hangzhou", ["i-2"], skipped=True, msg="not started: an earlier group failed")]
    summary = logic.summary(runs, OPTIONS)
    assert [(r["id"], r["status"], r["error_message"], r["wave"], r["state"]) for r in summary["instances"]] == [
        ("i-1", "unknown", "the call failed as a whole: AuthFailure", 1, "running"),
        ("i-2", "not_started", "not started: an earlier group failed", None, None)]
    assert summary["failed"] is True and summary["changed"] is False
    assert summary["message"] == ("then restart: 2 targets, succeeded=0, failed=0, not_started=1, not_found=0, "
                                  "unknown=1; aws us-east-1: AuthFailure")


def test_check_mode_plans_only_the_targets_with_a_wave():
    runs = [run("aws", "us-east-1", ["i-1", "i-2", "i-3"],
                [result("i-1", status="not_started", error_message="dry run"),
                 result("i-2", status="not_started", wave=None, error_message="not running"),
                 result("i-3", status="not_found", wave=None)],
                waves=[{"wave": 1, "instance_ids": ["i-1"]}], changed=False)]
    summary = FILTERS["command_then_restart_summary"](runs, OPTIONS, "yes")
    assert [(r["status"], r["error_message"]) for r in summary["instances"]] == [
        ("planned", "check mode: nothing ran"), ("not_started", "not running"), ("not_found", "")]
    assert summary["check_mode"] is True
    assert summary["message"] == ("check mode, then restart: 3 targets, succeeded=0, failed=0, not_started=1, "
                                  "not_found=1, unknown=0, planned=1")


def test_a_row_without_a_result_takes_its_wave_from_the_plan():
    runs = [run("aws", "us-east-1", ["i-1", "i-2"], failed=True, msg="boom", problem="aws us-east-1: boom",
                waves=[{"instance_ids": ["i-1"]}, {"wave": 7, "instance_ids": ["i-2"]}])]
    assert [r["wave"] for r in logic.summary(runs, OPTIONS)["instances"]] == [1, 7]


def test_summary_of_bad_input():
    with pytest.raises(AnsibleFilterError, match="the runs must be a list"):
        FILTERS["command_then_restart_summary"]("nope", OPTIONS)
    with pytest.raises(AnsibleFilterError, match="command_then_restart_summary"):
        FILTERS["command_then_restart_summary"]([], OPTIONS, "maybe")


# table

def test_table_lines():
    runs = [run("aws", "us-east-1", ["i-1", "i-2", "i-3"],
                [result("i-1", output="\n  first\nsecond\n"),
                 result("i-2", status="failed", exit_code=None, output="", error_message="x" * 90, then_state=None)],
                instances=[{"id": "i-2", "state": "stopped"}], failed=True, msg="m", problem="aws us-east-1: m")]
    lines = logic.table(logic.summary(runs, OPTIONS))
    assert lines == [
        "instance                 cloud    wave status       exit state after output (first line)",
        "i-1                      aws         1 success         0 running     first",
        "i-2                      aws         1 failed          - stopped     " + "x" * 77 + "...",
        "i-3                      aws         - unknown         - -           the call failed as a whole: m",
        "then restart: 3 targets, succeeded=1, failed=1, not_started=0, not_found=0, unknown=1; aws us-east-1: m",
    ]
    assert FILTERS["command_then_restart_table"](logic.summary(runs, OPTIONS)) == lines


# failure

def test_failure_names_the_problems_and_the_ids():
    runs = [run("aws", "us-east-1", ["i-1"], failed=True, msg="AuthFailure", problem="aws us-east-1: AuthFailure"),
            run("alicloud", "cn-hangzhou", ["i-2", "i-3"], skipped=True)]
    assert FILTERS["command_then_restart_failure"](logic.summary(runs, OPTIONS)) == (
        "command_then_restart: 1 group(s) failed - aws us-east-1: AuthFailure. Failed: none. "
        "Never started: i-2, i-3. Unknown (the call failed as a whole): i-1.")


def test_failure_without_unknown_ids_ends_as_the_role_always_did():
    runs = [run("aws", "us-east-1", ["i-1", "i-2"], [result("i-1"), result("i-2", status="error")], failed=True,
                problem="aws us-east-1: 1 errors > max_errors 0")]
    assert logic.failure_message(logic.summary(runs, OPTIONS)) == (
        "command_then_restart: 1 group(s) failed - aws us-east-1: 1 errors > max_errors 0. Failed: i-2. "
        "Never started: none. ")
