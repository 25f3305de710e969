"""The stop_then_release role's decisions (plugins/plugin_utils/stop_then_release.py), on module-shaped results."""
import datetime

import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils import stop_then_release as logic

NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.timezone.utc)
GOOD = {"stuck_timeout": 300, "force_timeout": 120, "release_timeout": 600, "snapshot_timeout": 1800,
        "release_mode": "now", "release_in": "", "release_at": ""}


def record(i, state, protection=None, auto_release_time=None, cloud="aws"):
    return {"id": i, "cloud": cloud, "region": "r", "state": state, "deletion_protection": protection,
            "auto_release_time": auto_release_time}


def result(group_ids, records, changed_ids=(), unchanged_ids=(), failures=(), cloud="aws", **extra):
    out = {"item": {"cloud": cloud, "region": "r", "instance_ids": list(group_ids)}, "instances": list(records),
           "changed_ids": list(changed_ids), "unchanged_ids": list(unchanged_ids), "failures": list(failures),
           "changed": bool(changed_ids)}
    out.update(extra)
    return out


# ---------------------------------------------------------------- inputs, before any call

@pytest.mark.parametrize("change, words", [
    ({"release_mode": "scheduled", "release_in": "6hours"}, "release_in '6hours' is not a duration"),
    ({"release_mode": "scheduled", "release_in": "10m"}, "too soon"),
    ({"release_mode": "scheduled", "release_at": "2026-12-03T13:00:00"}, "no time zone"),
    ({"release_mode": "scheduled"}, "exactly one of stop_then_release_release_in"),
    ({"release_mode": "scheduled", "release_in": "6h", "release_at": "2027-01-01T00:00:00Z"}, "exactly one"),
    ({"release_mode": "later"}, "release_mode must be now or scheduled"),
    ({"release_in": "6h"}, "go with release_mode scheduled"),
    ({"stuck_timeout": 0}, "stop_then_release_stuck_timeout must be 1 or more seconds"),
    ({"force_timeout": "soon"}, "stop_then_release_force_timeout must be 1 or more seconds"),
])
def test_bad_inputs_are_refused_with_the_modules_words(change, words):
    with pytest.raises(InputError, match=words):
        logic.check_inputs(dict(GOOD, **change), now=NOW)


def test_a_good_schedule_resolves_to_the_time_the_module_would_set():
    assert logic.check_inputs(dict(GOOD, release_mode="scheduled", release_in="6h"), now=NOW)["release_time"] == "2026-12-03T18:00:00Z"
    assert logic.check_inputs(GOOD, now=NOW)["release_time"] is None


@pytest.mark.parametrize("value, expected", [("false", False), ("no", False), ("true", True), (True, True), (0, False)])
def test_flags_given_as_strings_are_read_as_ansible_reads_them(value, expected):
    """-e x=false and AWX survey answers are strings: bool('false') would be True and stop protected instances."""
    assert logic.check_inputs(dict(GOOD, disable_protection=value), now=NOW)["disable_protection"] is expected


def test_a_flag_that_is_not_a_boolean_is_refused():
    with pytest.raises(InputError, match="stop_then_release_disable_protection must be true or false, got 'maybe'"):
        logic.check_inputs(dict(GOOD, disable_protection="maybe"), now=NOW)


def test_release_at_must_still_be_30_minutes_ahead_after_the_stop_may_have_taken_its_time():
    soon = "2026-12-03T12:35:00Z"  # 35 minutes ahead: fine now, too soon after 300 + 120 s of stopping
    with pytest.raises(InputError, match="may take up to 420 s"):
        logic.check_inputs(dict(GOOD, release_mode="scheduled", release_at=soon), now=NOW)
    assert logic.check_inputs(dict(GOOD, release_mode="scheduled", release_at="2026-12-03T12:45:00Z"), now=NOW)["release_time"]


def test_a_protected_instance_with_a_release_time_is_named_in_the_summary():
    plan = logic.plan([result(["i-1"], [record("i-1", "stopped", True, auto_release_time="2026-12-04T00:00:00Z")])])
    assert plan["protected_scheduled"] == {"i-1": "2026-12-04T00:00:00Z"}
    s = logic.summary(plan, logic.after_stop([]))
    assert "1 protected instance(s) keep a release time set earlier" in s["message"] and "i-1" in s["message"]


def test_with_disable_protection_a_protected_instance_is_never_taken_as_scheduled_already():
    read = [result(["i-1"], [record("i-1", "running", True, auto_release_time="2026-12-04T00:00:00Z")])]
    plan = logic.plan(read, disable_protection=True)
    assert plan["unprotect"] == ["i-1"]
    stop = [result(["i-1"], [record("i-1", "stopped", True, auto_release_time="2026-12-04T00:00:00Z")], changed_ids=["i-1"])]
    assert logic.after_stop(stop, unprotect=plan["unprotect"])["to_release"][0]["scheduled_ids"] == []


def test_a_schedule_refused_because_the_instance_vanished_is_already_gone_not_failed():
    plan = logic.plan([result(["i-1"], [record("i-1", "running")])])
    after = logic.after_stop([result(["i-1"], [record("i-1", "stopped")])])
    schedule = [result(["i-1"], [record("i-1", "terminated")],
                       failures=[{"id": "i-1", "code": "IncorrectInstanceState", "message": "nothing left to release"}])]
    s = logic.summary(plan, after, schedule_results=schedule, release_mode="scheduled")
    assert s["ids"]["already_gone"] == ["i-1"] and s["ids"]["failed"] == []


# ---------------------------------------------------------------- groups

def test_groups_from_the_list_are_sorted_and_unique():
    groups = logic.groups_of([{"cloud": "aws", "region": "us-east-1", "instance_ids": ["i-2", "i-1", "i-2"]},
                              {"cloud": "alicloud", "region": "cn-hangzhou", "instance_ids": ["i-a"]}])
    assert groups == [{"cloud": "alicloud", "region": "cn-hangzhou", "instance_ids": ["i-a"]},
                      {"cloud": "aws", "region": "us-east-1", "instance_ids": ["i-2", "i-1"]}]


def test_groups_from_hosts_skip_hosts_without_an_instance_and_name_a_host_without_a_cloud():
    hostvars = {"a": {"instance_id": "i-1", "cloud": "aws", "region": "us-east-1"}, "b": {"other": 1},
                "c": {"instance_id": "i-2", "cloud": "aws", "region": "us-east-1"}}
    assert logic.groups_of([], hostvars, ["a", "b", "c"]) == [{"cloud": "aws", "region": "us-east-1", "instance_ids": ["i-1", "i-2"]}]
    with pytest.raises(InputError, match=r"host d \(cloud None\)"):
        logic.groups_of([], {"d": {"instance_id": "i-3"}}, ["d"])


# ---------------------------------------------------------------- plan: one rule for protection

def test_plan_leaves_protected_instances_alone_on_both_clouds():
    read = [result(["i-1", "i-2", "i-3", "i-4"], [record("i-1", "running"), record("i-2", "running", True),
                                                  record("i-3", "terminated"), record("i-4", "not-found")]),
            result(["i-a"], [record("i-a", "stopped", True, cloud="alicloud")], cloud="alicloud")]
    plan = logic.plan(read)
    assert plan["to_stop"] == [{"cloud": "aws", "region": "r", "instance_ids": ["i-1"]}]
    assert plan["protected"] == ["i-2", "i-a"]
    assert plan["already_gone"] == ["i-3"] and plan["not_found"] == ["i-4"]
    assert [g["instance_ids"] for g in logic.plan(read, disable_protection=True)["to_stop"]] == [["i-1", "i-2"], ["i-a"]]


# ---------------------------------------------------------------- after the stop

def test_after_stop_keeps_only_stopped_and_reports_stuck_as_unstoppable():
    stop = [result(["i-1", "i-2", "i-3"], [record("i-1", "stopped"), record("i-2", "stopping"), record("i-3", "running")],
                   changed_ids=["i-1", "i-2"], failures=[{"id": "i-2", "code": "WaitTimeout", "message": "m"},
                                                         {"id": "i-3", "code": "IncorrectInstanceState", "message": "m"}])]
    assert logic.stuck(stop) == [{"cloud": "aws", "region": "r", "instance_ids": ["i-2"]}]
    force = [result(["i-2"], [record("i-2", "stopping")], failures=[{"id": "i-2", "code": "WaitTimeout", "message": "m"}])]
    after = logic.after_stop(stop, force)
    assert after["to_release"] == [{"cloud": "aws", "region": "r", "instance_ids": ["i-1"], "scheduled_ids": []}]
    assert after["unstoppable"] == ["i-2"]
    assert [f["id"] for f in after["failures"]] == ["i-3"]


def test_after_stop_in_check_mode_goes_on_with_what_would_be_stopped():
    stop = [result(["i-1", "i-2", "i-3"], [record("i-1", "running"), record("i-2", "stopped"), record("i-3", "running")],
                   changed_ids=["i-1", "i-3"], unchanged_ids=["i-2"],
                   failures=[{"id": "i-3", "code": "UnauthorizedOperation", "message": "m"}])]
    after = logic.after_stop(stop, [], check_mode=True)
    assert after["would_stop"] == ["i-1"] and after["unstoppable"] == []
    assert after["to_release"][0]["instance_ids"] == ["i-1", "i-2"]


def test_an_instance_released_by_someone_else_meanwhile_is_gone_not_failed():
    stop = [result(["i-1"], [record("i-1", "terminated")], failures=[{"id": "i-1", "code": "IncorrectInstanceState", "message": "m"}])]
    after = logic.after_stop(stop)
    assert after["gone"] == ["i-1"] and after["failures"] == [] and after["to_release"] == []


# ---------------------------------------------------------------- summary

def test_summary_of_a_run_puts_each_instance_in_one_list():
    read = [result(["i-1", "i-2", "i-3", "i-4"], [record("i-1", "running"), record("i-2", "running", True),
                                                  record("i-3", "terminated"), record("i-4", "not-found")])]
    plan = logic.plan(read)
    stop = [result(["i-1"], [record("i-1", "stopped")], changed_ids=["i-1"])]
    after = logic.after_stop(stop)
    release = [result(["i-1"], [record("i-1", "terminated")], changed_ids=["i-1"], protected_ids=[], not_found_ids=[])]
    s = logic.summary(plan, after, stop_results=stop, release_results=release)
    assert s["ids"] == {"released": ["i-1"], "scheduled": [], "protected": ["i-2"], "unstoppable": [],
                        "already_gone": ["i-3"], "not_found": ["i-4"], "failed": []}
    assert s["changed"] is True and s["check_mode"] is False
    assert s["message"] == "changed: released=1, scheduled=0, protected=1, unstoppable=0, already_gone=1, not_found=1, failed=0"
    assert logic.failure_message(s) is None
    assert "1 instance id(s) not found" in logic.failure_message(s, fail_on_not_found=True)


def test_summary_in_check_mode_says_what_would_happen():
    read = [result(["i-1", "i-2"], [record("i-1", "running"), record("i-2", "stopped")])]
    plan = logic.plan(read)
    stop = [result(["i-1", "i-2"], [record("i-1", "running"), record("i-2", "stopped")], changed_ids=["i-1"], unchanged_ids=["i-2"])]
    after = logic.after_stop(stop, [], check_mode=True)
    release = [result(["i-1", "i-2"], [record("i-1", "running"), record("i-2", "stopped")], changed_ids=["i-1", "i-2"])]
    s = logic.summary(plan, after, stop_results=stop, release_results=release, check_mode=True)
    assert s["ids"] == {"would_stop": ["i-1"], "would_release": ["i-1", "i-2"], "would_schedule": [], "protected": [],
                        "already_gone": [], "not_found": [], "failed": []}
    assert s["message"].startswith("check mode, nothing was changed; would change: would_stop=1, would_release=2")


def test_a_scheduled_release_refused_for_protection_is_protected_not_failed_and_not_scheduled():
    plan = logic.plan([result(["i-1", "i-2"], [record("i-1", "stopped"), record("i-2", "stopped")])])
    after = logic.after_stop([result(["i-1", "i-2"], [record("i-1", "stopped"), record("i-2", "stopped")])])
    schedule = [result(["i-1", "i-2"], [], changed_ids=["i-1"], protected_ids=["i-2"],
                       failures=[{"id": "i-2", "code": "DeletionProtection", "message": "m"}])]
    s = logic.summary(plan, after, schedule_results=schedule, release_mode="scheduled")
    assert s["ids"]["scheduled"] == ["i-1"] and s["ids"]["protected"] == ["i-2"] and s["ids"]["failed"] == []


def test_an_instance_that_vanished_after_the_first_read_is_already_gone_not_not_found():
    plan = logic.plan([result(["i-1"], [record("i-1", "running")])])
    after = logic.after_stop([result(["i-1"], [record("i-1", "not-found")])])
    s = logic.summary(plan, after)
    assert s["ids"]["already_gone"] == ["i-1"] and s["ids"]["not_found"] == []


def test_released_but_not_terminated_is_failed_and_named():
    plan = logic.plan([result(["i-1"], [record("i-1", "stopped")])])
    after = logic.after_stop([result(["i-1"], [record("i-1", "stopped")])])
    release = [result(["i-1"], [record("i-1", "shutting-down")], changed_ids=["i-1"])]
    s = logic.summary(plan, after, release_results=release)
    assert s["ids"]["failed"] == ["i-1"] and s["ids"]["released"] == []
    assert "not terminated after release: i-1" in logic.failure_message(s)
