"""playbooks/stop_then_release.yml the way AWX runs it: through ansible-runner (the engine of AWX
jobs), with the cloudfleet.lifecycle.instances inventory plugin against the sandbox, and split into
slices the way AWX job slicing splits an inventory (slice k of N gets every Nth host from k).

The job's result is read from ansible-runner's job events, as AWX reads it; the sandbox's call log
proves what was released, and how many times.
"""
import json
import os
import sys

import ansible_runner
import pytest
import yaml

from sandbox import fleet
from sandbox.control_client import control

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
PLAYBOOK = os.path.join(REPO, "playbooks", "stop_then_release.yml")
SUMMARY_TASK = ("stop_then_release", "Summarize")  # (role, task) as the job events name them


@pytest.fixture
def playbook(monkeypatch):
    # ansible-runner finds ansible-playbook / ansible-inventory on PATH, as in an EE.
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ.get("PATH", ""))
    if not os.path.exists(PLAYBOOK):
        pytest.skip("playbooks/stop_then_release.yml not there yet")
    return PLAYBOOK


def job_env(sandbox, tmp_path):
    """What an AWX job gets: the credentials' env vars (here the sandbox's), the EE's collections."""
    env = dict(sandbox.env())
    env.update({
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".cache", "collections"),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",  # AWX sets it: a broken source fails the job
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
    })
    return env


def write_source(tmp_path, tag):
    path = tmp_path / "fleet.cloudfleet.yml"
    path.write_text(yaml.safe_dump({
        "plugin": "cloudfleet.lifecycle.instances",
        "sources": [{"cloud": "aws", "filters": {"tags": {"job": tag}}},
                    {"cloud": "alicloud", "filters": {"tags": {"job": tag}}}],
    }, sort_keys=False))
    return path


def run_job(sandbox, tmp_path, playbook, source, name, limit=None, extravars=None):
    private = tmp_path / name
    private.mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(private), playbook=playbook, inventory=str(source), limit=limit,
        envvars=job_env(sandbox, tmp_path), extravars=extravars or {},
        quiet=True, timeout=600,
    )
    return runner


def job_output(runner):
    return "".join(e.get("stdout", "") + "\n" for e in runner.events)


def summary_from_events(runner):
    """The role's summary, from the job events (runner_on_ok of the Summarize task)."""
    found = [e["event_data"]["res"]["ansible_facts"]["stop_then_release_summary"] for e in runner.events
             if e.get("event") == "runner_on_ok"
             and (e["event_data"].get("role"), e["event_data"].get("task")) == SUMMARY_TASK]
    assert len(found) == 1, job_output(runner)[-4000:]
    return found[0]


def released_ids(sandbox):
    """Every id named in a release call (EC2 TerminateInstances, ECS DeleteInstances), repeats kept."""
    ids = []
    for url, action in ((sandbox.ec2_url, "TerminateInstances"), (sandbox.ecs_url, "DeleteInstances")):
        for call in control(url, "calls"):
            if call["action"] != action or call["params"].get("DryRun") in ("true", "True", True):
                continue
            params = call["params"]
            ids += [v for k, v in params.items() if k.startswith("InstanceId.") or k == "InstanceId"]
            if "InstanceIds" in params:
                ids += json.loads(params["InstanceIds"])
    return ids


def launch(sandbox, ec2_count, ecs_count, tag, ecs_protected=0):
    env = sandbox.env()
    ec2 = fleet.launch_ec2(env, ec2_count, tags={"job": tag})
    ecs = fleet.launch_ecs(env, ecs_count, tags={"job": tag})
    protected = fleet.launch_ecs(env, ecs_protected, tags={"job": tag}, protected=True) if ecs_protected else []
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), ec2, {"running"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), ecs + protected, {"Running"})
    return ec2, ecs, protected


def test_stop_then_release_through_ansible_runner_with_the_inventory_plugin(sandbox, tmp_path, playbook):
    ec2, ecs, protected = launch(sandbox, 3, 3, "awx", ecs_protected=1)
    fleet.launch_ec2(sandbox.env(), 2, tags={"job": "other"})  # not in the source's filter: untouched
    runner = run_job(sandbox, tmp_path, playbook, write_source(tmp_path, "awx"), "job")
    assert runner.status == "successful" and runner.rc == 0, job_output(runner)[-4000:]
    stats = [e for e in runner.events if e.get("event") == "playbook_on_stats"][0]["event_data"]
    assert not stats.get("failures") and not stats.get("dark")
    summary = summary_from_events(runner)
    assert sorted(summary["ids"]["released"]) == sorted(ec2 + ecs)
    assert summary["ids"]["protected"] == protected
    assert summary["counts"]["failed"] == 0
    assert sorted(released_ids(sandbox)) == sorted(ec2 + ecs)
    env = sandbox.env()
    assert set(fleet.ec2_states(env, ec2).values()) == {"terminated"}
    assert set(fleet.ecs_states(env, ecs).values()) == {"Released"}
    assert set(fleet.ecs_states(env, protected).values()) == {"Running"}  # known protected: left alone


def test_two_job_slices_release_the_fleet_exactly_once(sandbox, tmp_path, playbook):
    ec2, ecs, _ = launch(sandbox, 5, 4, "sliced")
    source = write_source(tmp_path, "sliced")
    # The inventory update AWX runs before a job: ansible-inventory over the source, through runner.
    out, err = ansible_runner.interface.get_inventory(
        "list", [str(source)], response_format="json", envvars=job_env(sandbox, tmp_path),
        quiet=True)
    hosts = sorted(out["_meta"]["hostvars"])
    assert hosts == sorted(ec2 + ecs), err
    # AWX job slicing: slice k of N runs the job over every Nth host starting at k.
    slices = [hosts[k::2] for k in range(2)]
    summaries = []
    for number, hosts_of_slice in enumerate(slices):
        runner = run_job(sandbox, tmp_path, playbook, source, f"slice{number}", limit=",".join(hosts_of_slice))
        assert runner.status == "successful", job_output(runner)[-4000:]
        summaries.append(summary_from_events(runner))
        assert sorted(summaries[-1]["ids"]["released"]) == sorted(hosts_of_slice)
    released = released_ids(sandbox)
    assert sorted(released) == sorted(ec2 + ecs)  # together exactly the fleet, each instance once
    assert len(released) == len(set(released))
    assert not set(summaries[0]["ids"]["released"]) & set(summaries[1]["ids"]["released"])
