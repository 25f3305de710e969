"""Helpers for the fault matrix: a small mixed fleet on both clouds, the role's run, and the
invariants every case checks from the sandbox's state and call log.

The call log records every API call, ours and the test's own SDK calls alike, in arrival order, so
the order of Stop/Start/Release calls on one id tells what state it was last sent towards.
"""
import json
import os
import threading
import time

from sandbox import fleet

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO, "playbooks", "stop_then_release.yml")
ROLE = "cloudfleet.lifecycle.stop_then_release : "
SUMMARY_TASK = ROLE + "Summarize"
SECRET_VARS = ("AWS_SECRET_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET")
LIFECYCLE = ("StopInstances", "StopInstance", "StartInstances", "StartInstance", "RebootInstances", "RebootInstance")


def launch_mixed(clouds, running=2, stopped=1, protected=1):
    """Per cloud: running, stopped and protected instances (a handful: the matrix stays quick)."""
    fleets = {}
    for cloud in clouds:
        fleets[cloud.name] = {
            "running": cloud.launch(running) if running else [],
            "stopped": cloud.launch_stopped(stopped) if stopped else [],
            "protected": cloud.launch(protected, protected=True) if protected else [],
        }
    return fleets


def all_ids(fleet_of_cloud):
    return [i for ids in fleet_of_cloud.values() for i in ids]


def role_vars(clouds, fleets, **extra):
    out = {
        "stop_then_release_hosts": "localhost",
        "stop_then_release_instances": [{"cloud": c.name, "region": c.region, "instance_ids": all_ids(fleets[c.name])}
                                        for c in clouds],
        "stop_then_release_stuck_timeout": 3,
        "stop_then_release_force_timeout": 3,
        "stop_then_release_release_timeout": 30,
    }
    out.update(extra)
    return out


def run_role(run_play, extra_vars, env_overrides=None, verbosity=0):
    return run_play(None, playbook=PLAYBOOK, extra_vars=extra_vars, env_overrides=env_overrides, verbosity=verbosity)


def summary(run):
    found = [r["result"]["ansible_facts"]["stop_then_release_summary"] for r in run.records if r["task"] == SUMMARY_TASK]
    assert found, run.output[-5000:]
    return found[0]


def has_summary(run):
    return any(r["task"] == SUMMARY_TASK for r in run.records)


def changed_tasks(run):
    return sorted({r["task"] for r in run.records if r["result"].get("changed")})


def is_forced(call):
    params = call["params"]
    return str(params.get("Force", params.get("ForceStop", "false"))).lower() == "true"


def is_dry_run(call):
    return str(call["params"].get("DryRun", "false")).lower() == "true"


def ok(call):
    return call["status"] < 400


def release_calls(cloud, calls):
    return [c for c in calls if c["action"] == cloud.release_action and ok(c) and not is_dry_run(c)]


def secrets_of(*envs):
    return {env[k] for env in envs for k in SECRET_VARS if env.get(k)}


def check_invariants(cloud, fleet_of_cloud, outputs, secrets, snapshot_map=None):
    """What every case must hold on one cloud, from the call log and the final states."""
    calls = cloud.calls()
    ids = all_ids(fleet_of_cloud)
    states = cloud.states(ids)
    # 1. every id in a successful, unforced release call had last been sent a stop (not a start,
    #    and not only launched): nothing running was released without force.
    for n, call in enumerate(calls):
        if call["action"] != cloud.release_action or not ok(call) or is_dry_run(call) or is_forced(call):
            continue
        for i in cloud.ids_in(call):
            before = [c for c in calls[:n] if c["action"] in LIFECYCLE and ok(c) and not is_dry_run(c) and i in cloud.ids_in(c)]
            assert before and before[-1]["action"].startswith("Stop"), (
                f"{cloud.name}: {i} released (call #{n}) while its last lifecycle call was "
                f"{before[-1]['action'] if before else 'its launch'}")
    # 2. no protected instance released
    for i in fleet_of_cloud.get("protected", []):
        assert states[i] != "terminated", f"{cloud.name}: protected {i} was released"
    # 3. with snapshot_before_release, every released instance of the fleet has its snapshots
    if snapshot_map is not None:
        for i in ids:
            if states[i] == "terminated" and i not in fleet_of_cloud.get("gone", []):
                assert snapshot_map.get(i), f"{cloud.name}: {i} released without snapshots: {snapshot_map}"
                assert snapshots_exist(cloud, snapshot_map[i]), (cloud.name, i, snapshot_map[i])
    # 4. no secret in any output
    for text in outputs:
        for secret in secrets:
            assert secret not in text, f"a secret appears in the output ({cloud.name})"
        assert "Traceback" not in text
    return states


def snapshots_exist(cloud, snapshot_ids):
    if cloud.is_aws:
        found = fleet.ec2_client(cloud.env).describe_snapshots(SnapshotIds=snapshot_ids)["Snapshots"]
        return sorted(s["SnapshotId"] for s in found) == sorted(snapshot_ids)
    from alibabacloud_ecs20140526 import models

    request = models.DescribeSnapshotsRequest(region_id=cloud.region, snapshot_ids=json.dumps(snapshot_ids), page_size=100)
    found = fleet.ecs_client(cloud.env).describe_snapshots(request).body.snapshots.snapshot
    return sorted(s.snapshot_id for s in found) == sorted(snapshot_ids)


def check_second_run(cloud, calls_before, calls_after, gone_before, stopped_before, snapshotted_before):
    """A second run repeats no finished step: no release for gone ids, no stop for stopped ids,
    no new snapshot for an instance that has its snapshots."""
    new = calls_after[len(calls_before):]
    for call in new:
        if not ok(call) or is_dry_run(call):
            continue
        touched = set(cloud.ids_in(call))
        if call["action"] == cloud.release_action:
            assert not touched & set(gone_before), f"{cloud.name}: release sent again for gone {touched & set(gone_before)}"
        if call["action"] == "StopInstances" and not is_forced(call):
            assert not touched & set(stopped_before), f"{cloud.name}: stop sent again for stopped {touched & set(stopped_before)}"
        if call["action"] in ("CreateSnapshots", "CreateSnapshot"):
            assert not snapshotted_before, f"{cloud.name}: a second snapshot was taken: {call['params']}"


def start_instance(cloud, instance_id):
    if cloud.is_aws:
        fleet.ec2_client(cloud.env).start_instances(InstanceIds=[instance_id])
    else:
        from alibabacloud_ecs20140526 import models

        fleet.ecs_client(cloud.env).start_instance(models.StartInstanceRequest(instance_id=instance_id))


def release_instance(cloud, instance_id):
    if cloud.is_aws:
        fleet.ec2_client(cloud.env).terminate_instances(InstanceIds=[instance_id])
    else:
        from alibabacloud_ecs20140526 import models

        fleet.ecs_client(cloud.env).delete_instances(models.DeleteInstancesRequest(
            region_id=cloud.region, instance_id=[instance_id], force=True))


class Meddler(threading.Thread):
    """Someone else: once the role has stopped `victim` (and polled it since, so its wait has seen
    it stopped), do `act(cloud, victim)`, while a stuck instance keeps the role waiting."""

    def __init__(self, cloud, victim, act, timeout=60):
        super().__init__(daemon=True)
        self.cloud, self.victim, self.act, self.timeout = cloud, victim, act, timeout
        self.done = threading.Event()
        self.error = None

    def run(self):
        try:
            deadline = time.monotonic() + self.timeout
            while not any(self.victim in self.cloud.ids_in(c) for c in self.cloud.calls("StopInstances")):
                assert time.monotonic() < deadline, "the role never stopped the victim"
                time.sleep(0.1)
            while self.cloud.states([self.victim])[self.victim] != "stopped":
                assert time.monotonic() < deadline, "the victim never read stopped"
                time.sleep(0.1)
            mark = len(self.cloud.calls())
            # two describe calls from the role after it read stopped here: its wait has seen it
            while len([c for c in self.cloud.calls()[mark:] if c["action"] == "DescribeInstances"]) < 2:
                assert time.monotonic() < deadline, "the role stopped polling"
                time.sleep(0.05)
            self.act(self.cloud, self.victim)
        except Exception as exc:  # reported by the test
            self.error = exc
        finally:
            self.done.set()
