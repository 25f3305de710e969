"""roles/rolling_restart through playbooks/rolling_restart.yml, with real ansible-playbook against the sandbox.

Both clouds in one run, the list form and the inventory-driven form; every test asserts the role's
summary, the instances' states and exact call counts from the sandbox's call log: one mutating call
per wave and cloud+region group, never one per host. Then: concurrency 2 and max_errors 1 with
reboots failing on chosen instances (the sandbox's per-instance fault) stops launching waves after
the second failing wave; stop_start leaves the fleet running; start on a partly stopped fleet starts
only the stopped ones and a second run makes no mutating call; check mode makes none; bad variables
are refused before any call.
"""
import sys

import pytest

import playrun
from cloudtest import CloudUnderTest, is_mutating
from test_command_then_restart import boots

REPO = playrun.REPO
PLAYBOOK = f"{REPO}/playbooks/rolling_restart.yml"
ROLE = "cloudfleet.lifecycle.rolling_restart : "
SUMMARY_TASK = ROLE + "Summarize"
MODULE_TASKS = (ROLE + "Restart the wave's", ROLE + "Stop the wave's", ROLE + "Start the wave's")
TABLE_TASK = ROLE + "Show the result per instance"
FAIL_TASK = ROLE + "Fail if the run stopped on errors (or, with rolling_restart_fail_on_not_found, on unknown ids)"

pytestmark = pytest.mark.slow


def run_playbook(sandbox, tmp_path, extra_vars, inventory=playrun.LOCALHOST, check=False, name="run"):
    """ansible-playbook playbooks/rolling_restart.yml with the sandbox's env; (rc, output, records).

    A wave takes about a second on the sandbox: a 60 s wait_timeout turns a hang into a clear failure long
    before the 600 s process timeout.
    """
    extra_vars = dict({"rolling_restart_wait_timeout": 60}, **extra_vars)
    return playrun.run_playbook(sandbox, tmp_path, PLAYBOOK, inventory=inventory, extra_vars=extra_vars, name=name, check=check)


def summary_of(records, output):
    found = [r["result"]["ansible_facts"]["rolling_restart_summary"] for r in records if r["task"] == SUMMARY_TASK]
    assert len(found) == 1, output[-6000:]
    return found[0]


def module_calls(records):
    """The module calls that ran, each (host, item): a wave's task loops over its cloud+region groups."""
    return [(r["host"], item["item"]) for r in records if r["task"].startswith(MODULE_TASKS)
            for item in r["result"].get("results") or [] if not item.get("skipped")]


def fleet_list(*groups):
    return [{"cloud": c.name, "region": c.region, "instance_ids": ids} for c, ids in groups]


def mutating(cloud, action=None):
    """The ids of each mutating call (no DryRun) of `action` (or any), in call order."""
    return [cloud.ids_in(c) for c in cloud.calls(action) if is_mutating(c)]


def by_id(summary):
    return {r["id"]: r for r in summary["instances"]}


@pytest.fixture
def clouds(sandbox):
    return CloudUnderTest("aws", sandbox), CloudUnderTest("alicloud", sandbox)


def test_list_form_restarts_both_clouds_in_waves_with_one_reboot_call_per_wave_and_group(sandbox, clouds, tmp_path):
    aws, ali = clouds
    ids = {c.name: c.launch(3) for c in clouds}
    sandbox.advance_clock(61)  # a new minute: ECS's StartTime (minute precision) can show the reboot
    before = {c.name: boots(sandbox, c, ids[c.name]) for c in clouds}
    for cloud in clouds:
        cloud.reset_calls()
    extra = {"rolling_restart_hosts": "localhost", "rolling_restart_concurrency": "2",
             "rolling_restart_instances": fleet_list((aws, ids["aws"]), (ali, ids["alicloud"]))}
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    a1, a2, a3 = ids["aws"]
    e1, e2, e3 = ids["alicloud"]
    # the waves run over the whole fleet in the order given, each split by cloud+region
    assert [w["instance_ids"] for w in summary["waves"]] == [[a1, a2], [a3, e1], [e2, e3]]
    assert [[(g["cloud"], g["instance_ids"]) for g in w["groups"]] for w in summary["waves"]] == [
        [("aws", [a1, a2])], [("aws", [a3]), ("alicloud", [e1])], [("alicloud", [e2, e3])]]
    assert [w["status"] for w in summary["waves"]] == ["succeeded"] * 3
    assert summary["counts"] == {"succeeded": 6, "failed": 0, "not_started": 0, "not_found": 0, "planned": 0}
    assert summary["failed"] is False and summary["changed"] is True and summary["action"] == "restart"
    rows = by_id(summary)
    assert [rows[i]["wave"] for i in ids["aws"] + ids["alicloud"]] == [1, 1, 2, 2, 3, 3]
    assert {rows[i]["state"] for i in rows} == {"running"}
    assert {rows[i]["reboot"] for i in ids["aws"]} == {"accepted"}
    assert {rows[i]["reboot"] for i in ids["alicloud"]} <= {"state", "start_time"}
    # exact calls: one RebootInstances per wave and group, nothing else mutating
    assert mutating(aws) == [[a1, a2], [a3]] and mutating(aws, "RebootInstances") == [[a1, a2], [a3]]
    assert mutating(ali) == [[e1], [e2, e3]]
    assert len(module_calls(records)) == 4
    # each instance really rebooted once, and runs
    for cloud in clouds:
        after = boots(sandbox, cloud, ids[cloud.name])
        for i in ids[cloud.name]:
            assert after[i] == before[cloud.name][i] + 1 if cloud.is_aws else after[i] > before[cloud.name][i], (i, before, after)
        assert set(cloud.states(ids[cloud.name]).values()) == {"running"}
    table = [r for r in records if r["task"] == TABLE_TASK][0]["result"]["msg"]
    assert table[0].split()[:5] == ["instance", "cloud", "region", "wave", "status"]
    assert any(line.startswith(e3) and " 3 succeeded " in line and "running" in line for line in table), table
    assert table[-1] == summary["message"]
    assert summary["message"].startswith("restart in waves of 2, max_errors 0: 6 targets, 3 of 3 waves ran, succeeded=6")


def test_inventory_driven_form_follows_the_inventory_order_with_one_call_per_wave_and_cloud(sandbox, clouds, tmp_path):
    aws, ali = clouds
    ids = {c.name: c.launch(2) for c in clouds}
    # interleaved in the inventory: the waves take the hosts in that order, across clouds
    order = [ids["aws"][0], ids["alicloud"][0], ids["aws"][1], ids["alicloud"][1]]
    cloud_of = {i: c for c in clouds for i in ids[c.name]}
    lines = ["[fleet]"] + [f"host{n} instance_id={i} cloud={cloud_of[i].name} region={cloud_of[i].region}"
                           for n, i in enumerate(order)]
    lines += ["[other]", f"spare instance_id={ids['aws'][0]}-not-targeted cloud=aws region={aws.region}",
              "", "[all:vars]", "ansible_connection=local", f"ansible_python_interpreter={sys.executable}", ""]
    for cloud in clouds:
        cloud.reset_calls()
    extra = {"rolling_restart_hosts": "fleet", "rolling_restart_concurrency": "50%"}
    rc, output, records = run_playbook(sandbox, tmp_path, extra, inventory="\n".join(lines), name="inventory")
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert [r["id"] for r in summary["instances"]] == order
    # 50% of 4 = 2 a wave: each wave has one instance of each cloud, so one call per cloud per wave
    assert [w["instance_ids"] for w in summary["waves"]] == [order[:2], order[2:]]
    assert summary["ids"]["succeeded"] == order
    assert mutating(aws, "RebootInstances") == [[ids["aws"][0]], [ids["aws"][1]]]
    assert mutating(ali, "RebootInstances") == [[ids["alicloud"][0]], [ids["alicloud"][1]]]
    # the first read: one DescribeInstances per cloud for the whole fleet, before any reboot
    first = [c for c in aws.calls() if c["action"] in ("DescribeInstances", "RebootInstances")][0]
    assert first["action"] == "DescribeInstances" and sorted(aws.ids_in(first)) == sorted(ids["aws"])
    # every task ran once for the play, on its first host, not once per host
    assert len(module_calls(records)) == 4
    assert {host for host, _item in module_calls(records)} == {"host0"}


def test_concurrency_2_max_errors_1_stops_launching_waves_after_the_second_failing_wave(sandbox, clouds, tmp_path):
    """Waves [a1 a2] [a3 e1] [e2 e3] [e4 e5]: a3's reboot fails in wave 2 (1 error, within max_errors 1), e3's in
    wave 3 (2 errors > 1): wave 4 never starts. Each faulted instance shares its call with none (EC2, which fails
    a call naming it as a whole) or with a healthy one (ECS, which answers per instance with SuccessFirst)."""
    aws, ali = clouds
    a1, a2, a3 = aws.launch(3)
    e1, e2, e3, e4, e5 = ali.launch(5)
    sandbox.advance_clock(61)
    before = {"aws": boots(sandbox, aws, [a1, a2, a3]), "alicloud": boots(sandbox, ali, [e1, e2, e3, e4, e5])}
    aws.faults(action="RebootInstances", code="IncorrectInstanceState", http_status=400, count=1000, instance_ids=[a3])
    ali.faults(action="RebootInstances", code="IncorrectInstanceStatus", http_status=403, count=1000, instance_ids=[e3])
    for cloud in clouds:
        cloud.reset_calls()
    extra = {"rolling_restart_hosts": "localhost", "rolling_restart_concurrency": "2", "rolling_restart_max_errors": "1",
             "rolling_restart_instances": fleet_list((aws, [a1, a2, a3]), (ali, [e1, e2, e3, e4, e5]))}
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc != 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["failed"] is True
    assert summary["ids"]["succeeded"] == [a1, a2, e1, e2]
    assert summary["ids"]["failed"] == [a3, e3]
    assert summary["ids"]["not_started"] == [e4, e5]
    assert summary["counts"] == {"succeeded": 4, "failed": 2, "not_started": 2, "not_found": 0, "planned": 0}
    assert [(w["wave"], w["status"], w["errors"]) for w in summary["waves"]] == [
        (1, "succeeded", 0), (2, "failed", 1), (3, "failed", 1), (4, "not_started", 0)]
    assert summary["stopped_after_wave"] == 3 and summary["errors"] == 2
    assert summary["stop_reason"] == "stopped after wave 3 of 4: 2 errors > max_errors 1"
    rows = by_id(summary)
    assert (rows[a3]["error_code"], rows[a3]["step"], rows[a3]["wave"]) == ("IncorrectInstanceState", "restart", 2)
    assert (rows[e3]["error_code"], rows[e3]["step"], rows[e3]["wave"]) == ("IncorrectInstanceStatus", "restart", 3)
    assert rows[a3]["request_id"] and rows[e3]["request_id"]
    for i in (e4, e5):
        assert rows[i]["wave"] == 4 and rows[i]["error_message"] == "not started: " + summary["stop_reason"]
    assert [f["id"] for f in summary["failures"]] == [a3, e3]
    # exact calls: one RebootInstances per wave and group; nothing mutating ever named e4 or e5
    assert mutating(aws, "RebootInstances") == [[a1, a2], [a3]]
    assert mutating(ali, "RebootInstances") == [[e1], [e2, e3]]
    for cloud in clouds:
        assert [c for c in mutating(cloud) if set(c) & {e4, e5}] == []
    assert len(module_calls(records)) == 4
    # only the ones that succeeded rebooted; the fleet still runs
    after = {"aws": boots(sandbox, aws, [a1, a2, a3]), "alicloud": boots(sandbox, ali, [e1, e2, e3, e4, e5])}
    rebooted = [i for c in ("aws", "alicloud") for i in after[c] if after[c][i] != before[c][i]]
    assert sorted(rebooted) == sorted([a1, a2, e1, e2])
    assert set(aws.states([a1, a2, a3]).values()) == {"running"} and set(ali.states([e1, e2, e3, e4, e5]).values()) == {"running"}
    # the play fails after the summary and the table, and says which
    fail = [r for r in records if r["task"] == FAIL_TASK][0]
    assert fail["status"] == "failed"
    assert fail["result"]["msg"].startswith("rolling_restart: stopped after wave 3 of 4: 2 errors > max_errors 1. "
                                            f"Failed: {a3}, {e3}. Never started: {e4}, {e5}.")
    table = [r for r in records if r["task"] == TABLE_TASK][0]["result"]["msg"]
    assert any(line.startswith(e4) and "not_started" in line for line in table), table


def test_fail_on_error_false_as_a_string_still_stops_the_waves_but_ends_green(sandbox, clouds, tmp_path):
    aws, _ = clouds
    running = aws.launch(2)
    stopped = aws.launch_stopped(1)
    aws.reset_calls()
    extra = {"rolling_restart_hosts": "localhost", "rolling_restart_concurrency": "1", "rolling_restart_fail_on_error": "false",
             "rolling_restart_instances": fleet_list((aws, stopped + running))}
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    # a stopped instance cannot be restarted: an error before wave 1 (0 > max_errors 0), so no wave starts
    assert summary["failed"] is True and summary["stop_reason"] == "stopped before wave 1 of 2: 1 errors > max_errors 0"
    assert summary["ids"]["failed"] == stopped and summary["ids"]["not_started"] == running
    assert by_id(summary)[stopped[0]]["step"] == "read" and by_id(summary)[stopped[0]]["state"] == "stopped"
    assert mutating(aws) == [] and module_calls(records) == []


def test_unknown_ids_are_not_found_and_fail_the_play_only_with_fail_on_not_found(sandbox, clouds, tmp_path):
    aws, ali = clouds
    ids = {"aws": aws.launch(1), "alicloud": ali.launch(1)}
    unknown = {"aws": "i-0123456789abcdef0", "alicloud": "i-bp1abcdefghij0123456"}
    targets = fleet_list((aws, ids["aws"] + [unknown["aws"]]), (ali, ids["alicloud"] + [unknown["alicloud"]]))
    extra = {"rolling_restart_hosts": "localhost", "rolling_restart_instances": targets, "rolling_restart_action": "start"}
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["ids"]["not_found"] == [unknown["aws"], unknown["alicloud"]]
    assert summary["ids"]["succeeded"] == [ids["aws"][0], ids["alicloud"][0]]
    assert by_id(summary)[unknown["aws"]]["state"] == "not-found"
    rc, output, records = run_playbook(sandbox, tmp_path, dict(extra, rolling_restart_fail_on_not_found="true"), name="strict")
    assert rc != 0
    fail = [r for r in records if r["task"] == FAIL_TASK][0]["result"]["msg"]
    assert "2 instance id(s) not found (rolling_restart_fail_on_not_found)" in fail and unknown["alicloud"] in fail


def test_stop_start_stops_then_starts_each_wave_and_leaves_the_fleet_running(sandbox, clouds, tmp_path):
    aws, ali = clouds
    ids = {c.name: c.launch(2) for c in clouds}
    for cloud in clouds:
        cloud.reset_calls()
    extra = {"rolling_restart_hosts": "localhost", "rolling_restart_action": "stop_start", "rolling_restart_concurrency": "2",
             "rolling_restart_instances": fleet_list((aws, ids["aws"]), (ali, ids["alicloud"]))}
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["counts"]["succeeded"] == 4 and summary["failed"] is False
    assert {r["state"] for r in summary["instances"]} == {"running"} and all(r["changed"] for r in summary["instances"])
    for cloud in clouds:
        assert set(cloud.states(ids[cloud.name]).values()) == {"running"}
        # one wave per cloud here: one stop, then one start, and nothing else mutating
        assert [(c["action"], cloud.ids_in(c)) for c in cloud.calls() if is_mutating(c)] == [
            ("StopInstances", ids[cloud.name]), ("StartInstances", ids[cloud.name])]
    assert len(module_calls(records)) == 4


def test_start_on_a_partly_stopped_fleet_starts_only_the_stopped_ones_and_a_second_run_changes_nothing(sandbox, clouds, tmp_path):
    aws, ali = clouds
    running = {c.name: c.launch(2) for c in clouds}
    stopped = {c.name: c.launch_stopped(3) for c in clouds}
    for cloud in clouds:
        cloud.reset_calls()
    targets = fleet_list(*[(c, running[c.name][:1] + stopped[c.name] + running[c.name][1:]) for c in clouds])
    extra = {"rolling_restart_hosts": "localhost", "rolling_restart_action": "start", "rolling_restart_concurrency": "2",
             "rolling_restart_instances": targets}
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    # only the stopped ones go into waves (2 at a time over both clouds); the running ones need none
    all_stopped = stopped["aws"] + stopped["alicloud"]
    assert [w["instance_ids"] for w in summary["waves"]] == [all_stopped[0:2], all_stopped[2:4], all_stopped[4:6]]
    assert summary["changed_ids"] == all_stopped and summary["counts"]["succeeded"] == 10
    rows = by_id(summary)
    assert all(rows[i]["wave"] is None and not rows[i]["changed"] for c in clouds for i in running[c.name])
    assert mutating(aws, "StartInstances") == [stopped["aws"][:2], stopped["aws"][2:]]
    assert mutating(ali, "StartInstances") == [stopped["alicloud"][:1], stopped["alicloud"][1:]]
    for cloud in clouds:
        assert set(cloud.states(running[cloud.name] + stopped[cloud.name]).values()) == {"running"}
        assert [c["action"] for c in cloud.calls() if is_mutating(c)] == ["StartInstances"] * 2
        cloud.reset_calls()
    rc, output, records = run_playbook(sandbox, tmp_path, extra, name="again")
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["changed"] is False and summary["waves"] == [] and summary["counts"]["succeeded"] == 10
    for cloud in clouds:
        assert [c for c in cloud.calls() if is_mutating(c)] == []
        assert {c["action"] for c in cloud.calls()} == {"DescribeInstances"}
    assert module_calls(records) == []
    assert "changed=0" in output


def test_check_mode_plans_the_waves_and_sends_only_dry_runs(sandbox, clouds, tmp_path):
    aws, ali = clouds
    ids = {c.name: c.launch(3) for c in clouds}
    for cloud in clouds:
        cloud.reset_calls()
    for action, call in (("restart", "RebootInstances"), ("stop_start", "StopInstances")):
        extra = {"rolling_restart_hosts": "localhost", "rolling_restart_concurrency": "2", "rolling_restart_action": action,
                 "rolling_restart_instances": fleet_list((aws, ids["aws"]), (ali, ids["alicloud"]))}
        rc, output, records = run_playbook(sandbox, tmp_path, extra, check=True, name=action)
        assert rc == 0, output[-6000:]
        summary = summary_of(records, output)
        assert summary["check_mode"] is True and summary["counts"]["planned"] == 6 and summary["counts"]["succeeded"] == 0
        assert [w["status"] for w in summary["waves"]] == ["planned"] * 3
        assert summary["message"].startswith("check mode, nothing was changed; ")
        for cloud in clouds:
            assert [c for c in cloud.calls() if is_mutating(c)] == []
            # the dry runs: one per wave and group, as the real run would send
            dry = [cloud.ids_in(c) for c in cloud.calls(call)]
            assert dry == ([ids["aws"][:2], ids["aws"][2:]] if cloud.is_aws else [ids["alicloud"][:1], ids["alicloud"][1:]])
            assert set(cloud.states(ids[cloud.name]).values()) == {"running"}
            cloud.reset_calls()


def test_wait_for_health_waits_for_the_status_checks_before_the_next_wave(sandbox, clouds, tmp_path):
    aws, _ = clouds
    ids = aws.launch_stopped(2)
    aws.reset_calls()
    sandbox.ctx.status_check_seconds = 1.0
    try:
        extra = {"rolling_restart_hosts": "localhost", "rolling_restart_action": "start", "rolling_restart_concurrency": "1",
                 "rolling_restart_wait_for_health": "true", "rolling_restart_instances": fleet_list((aws, ids))}
        rc, output, records = run_playbook(sandbox, tmp_path, extra)
    finally:
        sandbox.ctx.status_check_seconds = 0.0
    assert rc == 0, output[-6000:]
    assert summary_of(records, output)["ids"]["succeeded"] == ids
    # wave 1 started, its status checks were read (initializing, then ok) before wave 2's start
    actions = [c["action"] for c in aws.calls() if c["action"] in ("StartInstances", "DescribeInstanceStatus")]
    second = actions.index("StartInstances", 1)
    assert actions[0] == "StartInstances" and actions[1:second].count("DescribeInstanceStatus") >= 2, actions
    assert actions.count("StartInstances") == 2


@pytest.mark.parametrize("bad, words", [
    ({"rolling_restart_action": "reboot"}, "rolling_restart_action"),
    ({"rolling_restart_concurrency": "0"}, "rolling_restart_concurrency must be a number of instances (1 or more)"),
    ({"rolling_restart_concurrency": "ten"}, "got 'ten'"),
    ({"rolling_restart_concurrency": 0}, "got '0'"),
    ({"rolling_restart_max_errors": "120%"}, "rolling_restart_max_errors must be a number of instances (0 or more)"),
    ({"rolling_restart_wait_timeout": 0}, "rolling_restart_wait_timeout must be 1 or more seconds"),
    ({"rolling_restart_action": "start", "rolling_restart_force": "true"}, "a start has no force"),
    ({"rolling_restart_wait_for_health": "maybe"}, "rolling_restart_wait_for_health"),
    ({"rolling_restart_instances": [{"cloud": "gcp", "instance_ids": ["i-1"]}]}, "cloud"),
    ({"rolling_restart_instances": []}, "no targets: give rolling_restart_instances"),
])
def test_bad_variables_fail_before_any_api_call(sandbox, clouds, tmp_path, bad, words):
    aws, ali = clouds
    extra = {"rolling_restart_hosts": "localhost",
             "rolling_restart_instances": [{"cloud": "aws", "region": aws.region, "instance_ids": ["i-0123456789abcdef0"]},
                                           {"cloud": "alicloud", "region": ali.region, "instance_ids": ["i-bp1abcdefghij0123456"]}]}
    extra.update(bad)
    for check in (False, True):
        rc, output, _ = run_playbook(sandbox, tmp_path, extra, check=check, name="check" if check else "run")
        assert rc != 0
        assert words in output, output[-4000:]
        assert aws.calls() == [] and ali.calls() == []
