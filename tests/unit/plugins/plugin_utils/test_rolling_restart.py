"""The rolling_restart role's decisions (plugins/plugin_utils/rolling_restart.py and its filters), on module-shaped results."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cloudfleet.lifecycle.plugins.filter.rolling_restart import FilterModule
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils import rolling_restart as logic

FILTERS = FilterModule().filters()
GOOD = {"action": "restart", "concurrency": "2", "max_errors": "1", "wait_timeout": 600, "wait_for_health": False,
        "force": False, "fail_on_error": True, "fail_on_not_found": False}
AWS = {"cloud": "aws", "region": "us-east-1"}
ALI = {"cloud": "alicloud", "region": "cn-hangzhou"}


def fleet(*groups):
    """[{cloud, region, instance_ids}] from (place, ids) pairs."""
    return [dict(place, instance_ids=list(ids)) for place, ids in groups]


def make_plan(groups, check_mode=False, **options):
    return logic.plan(dict(GOOD, **options), fleet(*groups), check_mode=check_mode)


def read(plan_, states):
    """instance_state_info's registered loop result: one item per read group, each id's state from `states`."""
    results = []
    for group in plan_["read_groups"]:
        records = [{"id": i, "cloud": group["cloud"], "region": group["region"], "state": states.get(i, "running")}
                   for i in group["instance_ids"]]
        results.append({"item": group, "instances": records, "changed": False,
                        "not_found_ids": [r["id"] for r in records if r["state"] == "not-found"]})
    return {"results": results, "changed": False}


def planned(groups, states=None, check_mode=False, **options):
    plan_ = make_plan(groups, check_mode=check_mode, **options)
    return logic.waves(plan_, read(plan_, states or {}))


def module_result(group, state="running", failures=(), changed=None, unchanged=(), not_found=(), reboots=None, **extra):
    """One loop item of a registered instance_restart / _stop / _start task for `group` (a wave's group)."""
    failed_ids = [f["id"] for f in failures]
    ids = [i for i in group["instance_ids"] if i not in not_found]
    changed = [i for i in ids if i not in failed_ids and i not in unchanged] if changed is None else list(changed)
    out = {"item": group, "changed": bool(changed), "changed_ids": changed, "unchanged_ids": list(unchanged),
           "not_found_ids": list(not_found), "failures": list(failures),
           "instances": [{"id": i, "state": state if i not in not_found else "not-found"} for i in group["instance_ids"]]}
    if failures:
        out.update(failed=True, msg="restart failed for %d instance(s)" % len(failures))
    if reboots is not None:
        out["reboots"] = reboots
    out.update(extra)
    return out


def whole_call_failure(group, code="AuthFailure", message="EC2 API error AuthFailure: AWS was not able to validate"):
    return {"item": group, "failed": True, "failures": [], "msg": message,
            "error": {"code": code, "message": "not valid", "request_id": "req-1"}}


def failure(i, code="IncorrectInstanceState", message="Injected fault"):
    return {"id": i, "code": code, "message": message, "request_id": "req-%s" % i}


def registered(*items):
    return {"results": list(items), "changed": any(i.get("changed") for i in items)}


def run_waves(plan_, outcomes, action_key="restart"):
    """Record every wave in order; outcomes: {wave number: [module results]} (a wave absent: everything succeeded)."""
    run = {}
    for wave in plan_["waves"]:
        items = outcomes.get(wave["wave"]) or [module_result(g) for g in wave["groups"]]
        run = logic.record(run, plan_, wave, **{action_key: registered(*items)})
    return run


AWS_IDS = ["i-a1", "i-a2", "i-a3"]
ALI_IDS = ["i-e1", "i-e2", "i-e3", "i-e4", "i-e5"]


# ---------------------------------------------------------------- inputs, before any call

@pytest.mark.parametrize("change, words", [
    ({"action": "reboot"}, "rolling_restart_action must be one of restart, stop_start, start, got 'reboot'"),
    ({"wait_timeout": 0}, "rolling_restart_wait_timeout must be 1 or more seconds, got 0"),
    ({"wait_timeout": "soon"}, "rolling_restart_wait_timeout must be 1 or more seconds"),
    ({"wait_timeout": True}, "rolling_restart_wait_timeout must be 1 or more seconds"),
    ({"force": "maybe"}, "rolling_restart_force must be true or false, got 'maybe'"),
    ({"action": "start", "force": "true"}, "a start has no force"),
])
def test_bad_inputs_are_refused_with_the_variable_named(change, words):
    with pytest.raises(InputError, match=words):
        logic.check_inputs(dict(GOOD, **change))


@pytest.mark.parametrize("value, expected", [("false", False), ("no", False), ("true", True), ("yes", True), (True, True), (0, False)])
def test_flags_given_as_strings_are_read_as_ansible_reads_them(value, expected):
    """-e x=false and AWX survey answers are strings: bool('false') would be True."""
    checked = logic.check_inputs(dict(GOOD, wait_for_health=value, fail_on_error=value, fail_on_not_found=value, force=value))
    assert [checked[k] for k in ("wait_for_health", "fail_on_error", "fail_on_not_found", "force")] == [expected] * 4


def test_a_wait_timeout_given_as_a_string_is_a_number():
    assert logic.check_inputs(dict(GOOD, wait_timeout="120"))["wait_timeout"] == 120


@pytest.mark.parametrize("change, words", [
    ({"concurrency": "0"}, "rolling_restart_concurrency must be a number of instances (1 or more) or a percentage from 1% to 100%, got '0'"),
    ({"concurrency": 0}, "rolling_restart_concurrency must be .* got '0'"),
    ({"concurrency": "ten"}, "rolling_restart_concurrency .* got 'ten'"),
    ({"concurrency": "0%"}, "rolling_restart_concurrency .* got '0%'"),
    ({"max_errors": "120%"}, "rolling_restart_max_errors must be a number of instances (0 or more) or a percentage from 0% to 100%, got '120%'"),
    ({"max_errors": "-1"}, "rolling_restart_max_errors .* got '-1'"),
    ({"max_errors": ""}, "rolling_restart_max_errors .* got ''"),
])
def test_the_rate_control_is_checked_with_instance_commands_rules(change, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)") if ".*" not in words else words):
        make_plan([(AWS, AWS_IDS)], **change)


def test_percentages_are_of_all_the_targets_rounded_down():
    plan_ = make_plan([(AWS, AWS_IDS), (ALI, ALI_IDS)], concurrency="25%", max_errors="30%")  # 8 targets
    assert plan_["concurrency"]["value"] == 2 and plan_["max_errors"]["value"] == 2
    assert make_plan([(AWS, AWS_IDS)], concurrency="10%")["concurrency"]["value"] == 1  # at least one a wave
    assert make_plan([(AWS, AWS_IDS)], concurrency=3, max_errors=0)["concurrency"]["value"] == 3  # ints from -e JSON


# ---------------------------------------------------------------- targets, in the order given

def test_targets_from_the_list_keep_their_order_across_clouds_and_each_id_once():
    plan_ = make_plan([(ALI, ["i-e2", "i-e1"]), (AWS, ["i-a1"]), (ALI, ["i-e3", "i-e2"])])
    assert [t["id"] for t in plan_["targets"]] == ["i-e2", "i-e1", "i-a1", "i-e3"]
    # one read per cloud+region, in the order each first appears
    assert plan_["read_groups"] == [dict(ALI, instance_ids=["i-e2", "i-e1", "i-e3"]), dict(AWS, instance_ids=["i-a1"])]


def test_targets_from_the_play_hosts_follow_the_inventory_order_and_skip_hosts_without_an_instance():
    hostvars = {"web2": {"instance_id": "i-e1", "cloud": "alicloud", "region": "cn-hangzhou"}, "db": {"other": 1},
                "web1": {"instance_id": "i-a1", "cloud": "aws", "region": "us-east-1"}}
    plan_ = logic.plan(GOOD, [], hostvars, ["web2", "db", "web1"])
    assert plan_["targets"] == [dict(ALI, id="i-e1"), dict(AWS, id="i-a1")]


@pytest.mark.parametrize("instances, hostvars, hosts, words", [
    ([], {"h": {"instance_id": "i-1"}}, ["h"], r"every instance needs cloud aws or alicloud .*: host h \(cloud None\)"),
    ([{"cloud": "gcp", "instance_ids": ["i-1"]}], {}, [], r"rolling_restart_instances\[1\] \(cloud 'gcp'\)"),
    ([{"cloud": "aws", "instance_ids": "i-1"}], {}, [], r"rolling_restart_instances\[1\].instance_ids must be a list"),
    ([{"cloud": "aws", "instance_ids": [""]}], {}, [], "an instance id must be a non-empty string"),
    ([], {"h": {"name": "x"}}, ["h"], "no targets: give rolling_restart_instances, or target hosts with an instance_id hostvar"),
])
def test_bad_targets_are_refused_before_any_call(instances, hostvars, hosts, words):
    with pytest.raises(InputError, match=words):
        logic.plan(GOOD, instances, hostvars, hosts)


# ---------------------------------------------------------------- waves, from the first read

def test_waves_run_over_the_whole_fleet_in_order_and_each_wave_is_split_by_cloud_and_region():
    plan_ = planned([(AWS, AWS_IDS), (ALI, ALI_IDS)])
    assert [w["instance_ids"] for w in plan_["waves"]] == [["i-a1", "i-a2"], ["i-a3", "i-e1"], ["i-e2", "i-e3"], ["i-e4", "i-e5"]]
    assert plan_["waves"][1]["groups"] == [dict(AWS, wave=2, instance_ids=["i-a3"]), dict(ALI, wave=2, instance_ids=["i-e1"])]
    assert plan_["before"]["rows"] == [] and not plan_["before"]["halted"]


def test_restart_waves_hold_only_running_instances_and_another_state_is_an_error_before_wave_1():
    plan_ = planned([(AWS, AWS_IDS)], {"i-a2": "stopped", "i-a3": "not-found"}, max_errors="1")
    assert [w["instance_ids"] for w in plan_["waves"]] == [["i-a1"]]
    rows = dict((r["id"], r) for r in plan_["before"]["rows"])
    assert rows["i-a2"]["status"] == "failed" and rows["i-a2"]["error_code"] == "IncorrectInstanceState"
    assert rows["i-a2"]["step"] == "read" and "stopped, not running: it was not restarted" in rows["i-a2"]["error_message"]
    assert rows["i-a3"]["status"] == "not_found" and rows["i-a3"]["error_code"] == "NotFound"
    assert plan_["before"]["errors"] == 1 and not plan_["before"]["halted"]  # not found is no error by default


def test_errors_before_wave_1_past_max_errors_start_no_wave_with_instance_commands_words():
    plan_ = planned([(AWS, AWS_IDS)], {"i-a2": "stopped"}, max_errors="0")
    assert plan_["before"]["halted"] is True and plan_["before"]["stopped_after_wave"] == 0
    assert plan_["before"]["stop_reason"] == "stopped before wave 1 of 1: 1 errors > max_errors 0"
    s = logic.summary({}, plan_)
    assert s["ids"]["not_started"] == ["i-a1", "i-a3"] and s["ids"]["failed"] == ["i-a2"] and s["failed"] is True
    assert s["waves"] == [{"wave": 1, "status": "not_started", "errors": 0, "instance_ids": ["i-a1", "i-a3"],
                           "groups": [dict(AWS, instance_ids=["i-a1", "i-a3"])]}]


def test_with_fail_on_not_found_an_unknown_id_is_an_error():
    plan_ = planned([(AWS, AWS_IDS)], {"i-a3": "not-found"}, max_errors="0", fail_on_not_found="true")
    assert plan_["before"]["halted"] is True and "1 errors > max_errors 0" in plan_["before"]["stop_reason"]


def test_start_waves_hold_only_what_is_not_running_and_a_running_target_needs_no_wave():
    states = {"i-a1": "running", "i-a2": "stopped", "i-a3": "stopping", "i-e1": "pending", "i-e2": "terminated"}
    plan_ = planned([(AWS, AWS_IDS), (ALI, ["i-e1", "i-e2", "i-e3"])], dict(states, **{"i-e3": "stopped"}),
                    action="start", max_errors="1")
    assert [w["instance_ids"] for w in plan_["waves"]] == [["i-a2", "i-a3"], ["i-e1", "i-e3"]]
    rows = dict((r["id"], r) for r in plan_["before"]["rows"])
    assert rows["i-a1"]["status"] == "succeeded" and rows["i-a1"]["wave"] is None and rows["i-a1"]["changed"] is False
    assert rows["i-e2"]["status"] == "failed" and "terminated: it cannot be started" in rows["i-e2"]["error_message"]


def test_a_second_start_over_a_running_fleet_plans_no_wave_at_all():
    plan_ = planned([(AWS, AWS_IDS), (ALI, ALI_IDS)], action="start")
    assert plan_["waves"] == []
    s = logic.summary({}, plan_)
    assert s["counts"]["succeeded"] == 8 and s["changed"] is False and s["failed"] is False
    assert "0 of 0 waves ran" in s["message"]


def test_stop_start_takes_running_and_stopped_instances_into_its_waves():
    plan_ = planned([(AWS, AWS_IDS)], {"i-a1": "stopped", "i-a2": "shutting-down"}, action="stop_start", max_errors="1")
    assert [w["instance_ids"] for w in plan_["waves"]] == [["i-a1", "i-a3"]]
    assert [(r["id"], r["status"]) for r in plan_["before"]["rows"]] == [("i-a2", "failed")]


def test_in_check_mode_what_needs_no_wave_is_planned_too():
    plan_ = planned([(AWS, AWS_IDS)], {"i-a1": "stopped"}, check_mode=True, action="start")
    assert [(r["id"], r["status"]) for r in plan_["before"]["rows"]] == [("i-a2", "planned"), ("i-a3", "planned")]


# ---------------------------------------------------------------- recording the waves: the rate control

def test_the_second_failing_wave_stops_the_run_and_the_rest_never_start():
    """concurrency 2, max_errors 1: a failure in wave 2 (1 error, within) and one in wave 3 (2 > 1): wave 4 never starts."""
    plan_ = planned([(AWS, AWS_IDS), (ALI, ALI_IDS)])
    waves = plan_["waves"]
    outcomes = {2: [module_result(waves[1]["groups"][0], failures=[failure("i-a3")]), module_result(waves[1]["groups"][1])],
                3: [module_result(waves[2]["groups"][0], failures=[failure("i-e3", "IncorrectInstanceStatus")],
                                  reboots={"i-e2": "state"})]}
    run = {}
    for wave in waves[:2]:
        run = logic.record(run, plan_, wave, restart=registered(*(outcomes.get(wave["wave"]) or
                                                                  [module_result(g) for g in wave["groups"]])))
        assert run["halted"] is False
    assert run["errors"] == 1
    run = logic.record(run, plan_, waves[2], restart=registered(*outcomes[3]))
    assert run["halted"] is True and run["stopped_after_wave"] == 3
    assert run["stop_reason"] == "stopped after wave 3 of 4: 2 errors > max_errors 1"
    # a wave after the stop is not recorded, whatever its (skipped) tasks registered
    assert logic.record(run, plan_, waves[3], restart=registered(module_result(waves[3]["groups"][0]))) == run
    s = logic.summary(run, plan_)
    assert s["ids"]["succeeded"] == ["i-a1", "i-a2", "i-e1", "i-e2"]
    assert s["ids"]["failed"] == ["i-a3", "i-e3"]
    assert s["ids"]["not_started"] == ["i-e4", "i-e5"]
    assert s["counts"] == {"succeeded": 4, "failed": 2, "not_started": 2, "not_found": 0, "planned": 0}
    assert [(w["wave"], w["status"], w["errors"]) for w in s["waves"]] == [
        (1, "succeeded", 0), (2, "failed", 1), (3, "failed", 1), (4, "not_started", 0)]
    by_id = dict((r["id"], r) for r in s["instances"])
    assert by_id["i-e4"]["error_message"] == "not started: stopped after wave 3 of 4: 2 errors > max_errors 1"
    assert by_id["i-e4"]["wave"] == 4 and by_id["i-e4"]["state"] is None
    assert by_id["i-e3"]["error_code"] == "IncorrectInstanceStatus" and by_id["i-e3"]["step"] == "restart"
    assert by_id["i-e3"]["request_id"] == "req-i-e3" and by_id["i-e3"]["state"] == "running"
    assert by_id["i-e2"]["reboot"] == "state" and by_id["i-e2"]["changed"] is True
    assert s["failed"] is True and s["stop_reason"] == run["stop_reason"]
    assert [f["id"] for f in s["failures"]] == ["i-a3", "i-e3"] and s["failures"][0]["wave"] == 2
    assert s["message"] == ("restart in waves of 2, max_errors 1: 8 targets, 3 of 4 waves ran, succeeded=4, failed=2, "
                            "not_started=2, not_found=0; stopped after wave 3 of 4: 2 errors > max_errors 1")
    message = logic.failure_message(s)
    assert message.startswith("rolling_restart: stopped after wave 3 of 4: 2 errors > max_errors 1. "
                              "Failed: i-a3, i-e3. Never started: i-e4, i-e5. First error: i-a3 IncorrectInstanceState")


def test_errors_within_max_errors_run_every_wave_and_do_not_fail_the_play():
    plan_ = planned([(AWS, AWS_IDS)], max_errors="1")
    run = run_waves(plan_, {1: [module_result(plan_["waves"][0]["groups"][0], failures=[failure("i-a1")])]})
    s = logic.summary(run, plan_)
    assert s["failed"] is False and s["ids"]["failed"] == ["i-a1"] and s["ids"]["succeeded"] == ["i-a2", "i-a3"]
    assert logic.failure_message(s) is None


def test_the_last_wave_past_max_errors_still_fails_the_run():
    plan_ = planned([(AWS, ["i-a1"])], max_errors="0")
    run = run_waves(plan_, {1: [module_result(plan_["waves"][0]["groups"][0], failures=[failure("i-a1")])]})
    assert run["stop_reason"] == "stopped after wave 1 of 1: 1 errors > max_errors 0"
    assert logic.summary(run, plan_)["failed"] is True


def test_a_call_that_failed_as_a_whole_fails_its_instances_and_stops_the_run_whatever_max_errors():
    plan_ = planned([(AWS, AWS_IDS), (ALI, ALI_IDS)], max_errors="100%")
    wave = plan_["waves"][1]
    run = logic.record({}, plan_, wave, restart=registered(whole_call_failure(wave["groups"][0]), module_result(wave["groups"][1])))
    assert run["halted"] is True
    assert run["stop_reason"] == ("stopped after wave 2 of 4: the EC2 us-east-1 RebootInstances call failed as a whole "
                                  "(AuthFailure): EC2 API error AuthFailure: AWS was not able to validate")
    rows = dict((r["id"], r) for r in run["rows"])
    assert rows["i-a3"]["status"] == "failed" and rows["i-a3"]["error_code"] == "AuthFailure" and rows["i-a3"]["request_id"] == "req-1"
    assert rows["i-e1"]["status"] == "succeeded"


def test_results_of_an_earlier_wave_are_never_taken_for_this_one():
    plan_ = planned([(AWS, AWS_IDS)], max_errors="0")
    first, second = plan_["waves"]
    stale = registered(module_result(first["groups"][0], failures=[failure("i-a1")]))
    run = logic.record({}, plan_, second, restart=stale)
    # nothing ran for wave 2 as far as the results say: no failure is made up, no success either
    assert [(r["id"], r["status"], r["state"]) for r in run["rows"]] == [("i-a3", "succeeded", None)]
    assert run["halted"] is False


def test_an_unknown_id_found_in_a_wave_is_not_found_not_failed():
    plan_ = planned([(AWS, ["i-a1", "i-a2"])])
    group = plan_["waves"][0]["groups"][0]
    run = logic.record({}, plan_, plan_["waves"][0], restart=registered(module_result(group, not_found=["i-a2"])))
    assert [(r["id"], r["status"]) for r in run["rows"]] == [("i-a1", "succeeded"), ("i-a2", "not_found")]
    assert run["errors"] == 0


# ---------------------------------------------------------------- stop_start

def test_stop_start_starts_what_the_stop_left_and_skips_a_group_whose_stop_failed_as_a_whole():
    plan_ = planned([(AWS, ["i-a1", "i-a2"]), (ALI, ["i-e1"])], action="stop_start", concurrency="3")
    aws, ali = plan_["waves"][0]["groups"]
    stop = registered(module_result(aws, state="stopped", not_found=["i-a2"]), whole_call_failure(ali, "InvalidAccessKeyId.NotFound"))
    assert logic.start_groups(plan_["waves"][0]["groups"], stop) == [dict(aws, instance_ids=["i-a1"])]
    # an instance whose stop failed is started all the same: the fleet is left running
    stop = registered(module_result(aws, state="running", failures=[failure("i-a1", "UnsupportedOperation")]))
    assert logic.start_groups([aws], stop) == [aws]
    # no stop result for this wave: nothing to start (never a stale one)
    assert logic.start_groups([aws], registered()) == []


def test_stop_start_rows_report_the_step_that_failed_and_the_state_after():
    plan_ = planned([(AWS, ["i-a1", "i-a2", "i-a3"])], action="stop_start", concurrency="3", max_errors="3")
    (group,) = plan_["waves"][0]["groups"]
    stop = registered(module_result(group, state="stopped", failures=[failure("i-a1", "UnsupportedOperation")], changed=["i-a2", "i-a3"]))
    start = registered(module_result(group, state="running", failures=[failure("i-a3", "InsufficientInstanceCapacity")],
                                     changed=["i-a2"]))
    run = logic.record({}, plan_, plan_["waves"][0], stop=stop, start=start)
    rows = dict((r["id"], r) for r in run["rows"])
    assert (rows["i-a1"]["status"], rows["i-a1"]["step"], rows["i-a1"]["error_code"]) == ("failed", "stop", "UnsupportedOperation")
    assert (rows["i-a2"]["status"], rows["i-a2"]["state"], rows["i-a2"]["changed"]) == ("succeeded", "running", True)
    assert (rows["i-a3"]["status"], rows["i-a3"]["step"]) == ("failed", "start")
    # the start failing as a whole after the stop: failed by the start, and left stopped
    start = registered(whole_call_failure(group, "RequestLimitExceeded"))
    run = logic.record({}, plan_, plan_["waves"][0], stop=stop, start=start)
    rows = dict((r["id"], r) for r in run["rows"])
    assert (rows["i-a2"]["status"], rows["i-a2"]["step"], rows["i-a2"]["state"]) == ("failed", "start", "stopped")
    assert "StartInstances call failed as a whole (RequestLimitExceeded)" in run["stop_reason"]


# ---------------------------------------------------------------- check mode, the summary, the closing failure

def test_check_mode_rows_are_planned_and_the_message_says_nothing_was_changed():
    plan_ = planned([(AWS, AWS_IDS), (ALI, ["i-e1"])], check_mode=True)
    run = run_waves(plan_, {})
    s = logic.summary(run, plan_)
    assert s["check_mode"] is True and s["counts"]["planned"] == 4 and s["counts"]["succeeded"] == 0
    assert s["message"].startswith("check mode, nothing was changed; restart in waves of 2, max_errors 1: 4 targets, "
                                   "2 of 2 waves planned, planned=4, failed=0")
    assert [w["status"] for w in s["waves"]] == ["planned", "planned"]
    assert "would restart" in s["table"][1]


def test_a_dry_run_refused_in_check_mode_is_a_failure_and_counts():
    plan_ = planned([(AWS, AWS_IDS)], check_mode=True, max_errors="0")
    run = run_waves(plan_, {1: [module_result(plan_["waves"][0]["groups"][0], failures=[failure("i-a1", "UnauthorizedOperation")])]})
    s = logic.summary(run, plan_)
    assert s["ids"] == {"succeeded": [], "failed": ["i-a1"], "not_started": ["i-a3"], "not_found": [], "planned": ["i-a2"]}


def test_the_table_has_a_line_per_instance_and_the_summary_every_target_once():
    plan_ = planned([(AWS, AWS_IDS), (ALI, ["i-e1"])], {"i-a1": "stopped", "i-a2": "not-found"}, action="start")
    run = run_waves(plan_, {}, action_key="start")
    s = logic.summary(run, plan_)
    assert [r["id"] for r in s["instances"]] == AWS_IDS + ["i-e1"]
    assert s["table"][0].split() == ["instance", "cloud", "region", "wave", "status", "state", "after", "note"]
    assert s["table"][1].split()[:6] == ["i-a1", "aws", "us-east-1", "1", "succeeded", "running"] and s["table"][1].endswith("started")
    assert s["table"][2].split()[:6] == ["i-a2", "aws", "us-east-1", "-", "not_found", "not-found"]
    assert s["table"][3].endswith("already running")
    assert s["changed_ids"] == ["i-a1"] and s["changed"] is True
    assert s["rate_control"] == {"targets": 4, "concurrency": 2, "max_errors": 1}


def test_the_closing_failure_follows_the_flags():
    plan_ = planned([(AWS, ["i-a1", "i-a2"])], {"i-a2": "not-found"}, max_errors="0")
    run = run_waves(plan_, {1: [module_result(plan_["waves"][0]["groups"][0], failures=[failure("i-a1")])]})
    s = logic.summary(run, plan_)
    assert logic.failure_message(s, fail_on_error=False) is None
    assert logic.failure_message(s, fail_on_error=False, fail_on_not_found=True) == (
        "rolling_restart: 1 instance id(s) not found (rolling_restart_fail_on_not_found): i-a2")
    assert FILTERS["rolling_restart_failure"](s, "false", "false") == ""
    assert FILTERS["rolling_restart_failure"](s, "true").startswith("rolling_restart: stopped after wave 1 of 1")


# ---------------------------------------------------------------- the filters as the role calls them

def test_the_filters_raise_ansible_errors_that_name_the_role_and_the_variable():
    with pytest.raises(AnsibleFilterError, match="rolling_restart: rolling_restart_concurrency must be"):
        FILTERS["rolling_restart_plan"](dict(GOOD, concurrency="0"), fleet((AWS, ["i-a1"])))
    with pytest.raises(AnsibleFilterError, match="rolling_restart: no targets"):
        FILTERS["rolling_restart_plan"](GOOD, [], {}, [])


def test_the_filters_chain_as_in_the_role():
    plan_ = FILTERS["rolling_restart_plan"](GOOD, fleet((AWS, ["i-a1"]), (ALI, ["i-e1"])), None, None, "False")
    plan_ = FILTERS["rolling_restart_waves"](plan_, read(plan_, {}))
    run = plan_["before"]
    (wave,) = plan_["waves"]
    run = FILTERS["rolling_restart_record"](run, plan_, wave, restart=registered(*[module_result(g) for g in wave["groups"]]),
                                            stop={"results": [], "skipped": True}, start={"results": [], "skipped": True})
    s = FILTERS["rolling_restart_summary"](run, plan_)
    assert s["ids"]["succeeded"] == ["i-a1", "i-e1"] and s["waves"][0]["groups"] == [dict(AWS, instance_ids=["i-a1"]),
                                                                                     dict(ALI, instance_ids=["i-e1"])]
