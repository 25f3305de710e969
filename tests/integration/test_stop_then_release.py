"""roles/stop_then_release through playbooks/stop_then_release.yml, with real ansible-playbook.

A mixed fleet on both clouds (running, stopped, protected, stuck, already released), the
inventory-driven form over 300 hosts (call counts from the sandbox's call log), the escalation of
stuck instances to force, and bad variables refused before any API call.
"""
import os
import sys

import pytest

import playrun
from cloudtest import CloudUnderTest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO, "playbooks", "stop_then_release.yml")
ROLE = "cloudfleet.lifecycle.stop_then_release : "
SUMMARY_TASK = ROLE + "Summarize"
MODULE_TASK_PREFIXES = tuple(ROLE + w for w in ("Read", "Stop", "Release", "Schedule", "Verify"))


def run_playbook(sandbox, tmp_path, playbook=PLAYBOOK, inventory=None, extra_vars=None, name="run"):
    """ansible-playbook on `playbook` with the sandbox's env; returns (rc, output, records)."""
    return playrun.run_playbook(sandbox, tmp_path, playbook, inventory=inventory or playrun.LOCALHOST,
                                extra_vars=extra_vars or {}, name=name)


def summary_of(records, output):
    found = [r["result"]["ansible_facts"]["stop_then_release_summary"] for r in records if r["task"] == SUMMARY_TASK]
    assert found, output[-4000:]
    return found[0]


def changed_tasks(records):
    return sorted({r["task"] for r in records if r["result"].get("changed")})


def release_everything(run_play, cloud, ids):
    run = run_play([{"name": "release", "cloudfleet.lifecycle.instance_release": cloud.module_args(instance_ids=ids, force=True)}])
    assert run.rc == 0, run.output


def fleet_list(*groups):
    return [{"cloud": c.name, "region": c.region, "instance_ids": ids} for c, ids in groups]


@pytest.fixture
def clouds(sandbox):
    return CloudUnderTest("aws", sandbox), CloudUnderTest("alicloud", sandbox)


def test_mixed_fleet_on_both_clouds_and_a_second_run_that_changes_nothing(sandbox, clouds, run_play, tmp_path):
    fleets = {}
    for cloud in clouds:
        running = cloud.launch(2)
        stopped = cloud.launch_stopped(1)
        protected = cloud.launch(1, protected=True)
        stuck = cloud.launch(1)
        cloud.stuck(stuck, "stopping", force_works=False)
        gone = cloud.launch(1)
        release_everything(run_play, cloud, gone)
        fleets[cloud.name] = dict(running=running, stopped=stopped, protected=protected, stuck=stuck, gone=gone)
    extra = {
        "stop_then_release_hosts": "localhost",
        "stop_then_release_instances": fleet_list(*[(c, sum(fleets[c.name].values(), [])) for c in clouds]),
        "stop_then_release_stuck_timeout": 2,
        "stop_then_release_force_timeout": 2,
    }
    for cloud in clouds:
        cloud.reset_calls()

    rc, output, records = run_playbook(sandbox, tmp_path, extra_vars=extra, name="first")
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    # EC2 still shows the instance released before the run (terminated); ECS forgot it at once: not found
    assert summary["counts"] == {"released": 6, "scheduled": 0, "protected": 2, "unstoppable": 2,
                                 "already_gone": 1, "not_found": 1, "failed": 0}, summary
    assert summary["changed"] is True
    aws, ali = clouds
    assert summary["ids"]["already_gone"] == fleets["aws"]["gone"] and summary["ids"]["not_found"] == fleets["alicloud"]["gone"]
    for cloud in clouds:
        f = fleets[cloud.name]
        assert set(summary["ids"]["released"]) >= set(f["running"] + f["stopped"])
        assert set(f["protected"]) <= set(summary["ids"]["protected"])
        assert set(f["stuck"]) <= set(summary["ids"]["unstoppable"])
        states = cloud.states(sum(f.values(), []))
        assert {states[i] for i in f["running"] + f["stopped"]} == {"terminated"}
        # one rule on both clouds: a protected instance is left running (EC2 protection is read first)
        assert states[f["protected"][0]] == "running"
        assert not [c for c in cloud.calls("StopInstances") if f["protected"][0] in cloud.ids_in(c)]
        assert states[f["stuck"][0]] == "stopping"
        # the stuck instance was never asked to be released
        for call in cloud.calls(cloud.release_action):
            assert f["stuck"][0] not in cloud.ids_in(call)
        # one stop call per cloud for the whole fleet (graceful), plus the escalation
        assert len([c for c in cloud.calls("StopInstances") if f["running"][0] in cloud.ids_in(c)]) == 1

    rc, output, records = run_playbook(sandbox, tmp_path, extra_vars=extra, name="second")
    assert rc == 0, output[-6000:]
    assert changed_tasks(records) == [], output[-6000:]
    summary = summary_of(records, output)
    assert summary["changed"] is False
    # EC2 shows its released instances as terminated; ECS no longer knows its own: not found, and still green
    assert summary["counts"] == {"released": 0, "scheduled": 0, "protected": 2, "unstoppable": 2,
                                 "already_gone": 4, "not_found": 4, "failed": 0}, summary
    assert summary["message"].startswith("nothing to change")


def test_inventory_driven_300_hosts_make_one_stop_call_per_100_ids_per_cloud(sandbox, clouds, tmp_path):
    aws, ali = clouds
    ids = {aws.name: aws.launch(150), ali.name: ali.launch(150)}
    lines = ["[fleet]"]
    for cloud in clouds:
        lines += [f"{cloud.name}-{n:03d} instance_id={i} cloud={cloud.name} region={cloud.region}"
                  for n, i in enumerate(ids[cloud.name])]
    lines += ["", "[all:vars]", "ansible_connection=local", f"ansible_python_interpreter={sys.executable}", ""]
    for cloud in clouds:
        cloud.reset_calls()

    rc, output, records = run_playbook(sandbox, tmp_path, inventory="\n".join(lines),
                                       extra_vars={"stop_then_release_hosts": "fleet"}, name="inventory")
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["counts"]["released"] == 300, summary
    assert summary["counts"]["failed"] == 0
    for cloud in clouds:
        stops = cloud.calls("StopInstances")
        assert len(stops) == 2, [len(cloud.ids_in(c)) for c in stops]
        assert sorted(len(cloud.ids_in(c)) for c in stops) == [50, 100]
        assert len(cloud.calls(cloud.release_action)) == 2
        # a module process per cloud, not per host: describes are a handful of 100-id batches and polls
        describes = cloud.calls("DescribeInstances")
        assert len(describes) < 40, len(describes)
        assert set(cloud.states(ids[cloud.name]).values()) == {"terminated"}
    # each module task ran once for the whole play (run_once), not once per host
    for record in records:
        if record["task"].startswith(MODULE_TASK_PREFIXES):
            assert len([r for r in records if r["task"] == record["task"]]) == 1, record["task"]


def test_300_hosts_on_one_cloud_make_exactly_3_stop_calls(sandbox, tmp_path):
    cloud = CloudUnderTest("aws", sandbox)
    ids = cloud.launch(300)
    lines = [f"h{n:03d} instance_id={i} cloud=aws region={cloud.region}" for n, i in enumerate(ids)]
    lines += ["[all:vars]", "ansible_connection=local", f"ansible_python_interpreter={sys.executable}", ""]
    cloud.reset_calls()
    rc, output, records = run_playbook(sandbox, tmp_path, inventory="\n".join(lines), name="one-cloud")
    assert rc == 0, output[-6000:]
    assert summary_of(records, output)["counts"]["released"] == 300
    assert [len(cloud.ids_in(c)) for c in cloud.calls("StopInstances")] == [100, 100, 100]


def test_stuck_without_working_force_is_reported_unstoppable_and_never_released(sandbox, cloud, tmp_path):
    ids = cloud.launch(2)
    cloud.stuck(ids[:1], "stopping", force_works=False)
    cloud.reset_calls()
    extra = {"stop_then_release_hosts": "localhost", "stop_then_release_instances": fleet_list((cloud, ids)),
             "stop_then_release_stuck_timeout": 2, "stop_then_release_force_timeout": 2}
    rc, output, records = run_playbook(sandbox, tmp_path, extra_vars=extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["ids"]["unstoppable"] == ids[:1]
    assert summary["ids"]["released"] == ids[1:]
    force = [r for r in records if r["task"] == ROLE + "Stop the stuck ones again with force"][0]
    assert force["status"] == "ok", force
    assert [r["item"]["instance_ids"] for r in force["result"]["results"]] == [ids[:1]]
    assert any(ids[0] in cloud.ids_in(c) and is_forced(c) for c in cloud.calls("StopInstances"))
    for call in cloud.calls(cloud.release_action):
        assert ids[0] not in cloud.ids_in(call)
    assert cloud.states(ids)[ids[0]] == "stopping"


def test_stuck_with_working_force_is_stopped_by_force_then_released(sandbox, cloud, tmp_path):
    ids = cloud.launch(2)
    cloud.stuck(ids[:1], "stopping", force_works=True)
    cloud.reset_calls()
    extra = {"stop_then_release_hosts": "localhost", "stop_then_release_instances": fleet_list((cloud, ids)),
             "stop_then_release_stuck_timeout": 2, "stop_then_release_force_timeout": 5}
    rc, output, records = run_playbook(sandbox, tmp_path, extra_vars=extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert sorted(summary["ids"]["released"]) == sorted(ids), summary
    assert summary["counts"]["unstoppable"] == 0
    assert set(cloud.states(ids).values()) == {"terminated"}
    assert any(ids[0] in cloud.ids_in(c) and is_forced(c) for c in cloud.calls("StopInstances"))


def is_forced(call):
    return str(call["params"].get("Force", call["params"].get("ForceStop"))).lower() == "true"


def test_snapshots_are_complete_before_release_and_a_second_run_changes_nothing(sandbox, cloud, tmp_path):
    ids = cloud.launch(2)
    cloud.reset_calls()
    extra = {"stop_then_release_hosts": "localhost", "stop_then_release_instances": fleet_list((cloud, ids)),
             "stop_then_release_snapshot_before_release": True, "stop_then_release_snapshot_tag": "before-release"}
    rc, output, records = run_playbook(sandbox, tmp_path, extra_vars=extra, name="first")
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert sorted(summary["ids"]["released"]) == sorted(ids)
    assert sorted(summary["snapshots"]) == sorted(ids) and all(summary["snapshots"][i] for i in ids), summary
    actions = [c["action"] for c in cloud.calls()]
    snapshot_action = "CreateSnapshots" if cloud.is_aws else "CreateSnapshot"
    assert snapshot_action in actions
    last_snapshot = max(n for n, a in enumerate(actions) if a == snapshot_action)
    assert last_snapshot < actions.index(cloud.release_action)
    rc, output, records = run_playbook(sandbox, tmp_path, extra_vars=extra, name="second")
    assert rc == 0, output[-6000:]
    assert changed_tasks(records) == []
    gone = summary_of(records, output)["counts"]
    assert (gone["already_gone"], gone["not_found"]) == ((2, 0) if cloud.is_aws else (0, 2)), gone


@pytest.mark.parametrize("bad, words", [
    ({"stop_then_release_release_mode": "later"}, "stop_then_release_release_mode"),
    ({"stop_then_release_stuck_timeout": "soon"}, "stop_then_release_stuck_timeout"),
    ({"stop_then_release_instances": [{"cloud": "gcp", "instance_ids": ["i-1"]}]}, "cloud"),
    ({"stop_then_release_instances": [{"cloud": "aws"}]}, "instance_ids"),
    ({"stop_then_release_release_mode": "scheduled"}, "release_in"),
])
def test_bad_variables_fail_before_any_api_call(sandbox, tmp_path, bad, words):
    aws = CloudUnderTest("aws", sandbox)
    ali = CloudUnderTest("alicloud", sandbox)
    extra = {"stop_then_release_hosts": "localhost",
             "stop_then_release_instances": [{"cloud": "aws", "region": aws.region, "instance_ids": ["i-0123456789abcdef0"]}]}
    extra.update(bad)
    rc, output, _ = run_playbook(sandbox, tmp_path, extra_vars=extra)
    assert rc != 0
    assert words in output
    assert aws.calls() == [] and ali.calls() == []


def test_scheduled_mode_sets_a_time_and_a_second_run_keeps_it(sandbox, cloud, tmp_path):
    ids = cloud.launch(2)
    extra = {"stop_then_release_hosts": "localhost", "stop_then_release_instances": fleet_list((cloud, ids)),
             "stop_then_release_release_mode": "scheduled", "stop_then_release_release_in": "6h"}
    rc, output, records = run_playbook(sandbox, tmp_path, extra_vars=extra, name="first")
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert sorted(summary["ids"]["scheduled"]) == sorted(ids) and summary["counts"]["released"] == 0
    assert set(cloud.states(ids).values()) == {"stopped"}
    assert cloud.calls(cloud.release_action) == []
    rc, output, records = run_playbook(sandbox, tmp_path, extra_vars=extra, name="second")
    assert rc == 0, output[-6000:]
    assert changed_tasks(records) == []
    summary = summary_of(records, output)
    assert summary["changed"] is False and sorted(summary["ids"]["scheduled"]) == sorted(ids)
