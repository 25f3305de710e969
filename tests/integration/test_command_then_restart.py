"""roles/command_then_restart through playbooks/command_then_restart.yml, with real ansible-playbook.

The scripts really run in the sandbox (ECS Cloud Assistant RunCommand, EC2 SSM SendCommand), each
with SANDBOX_INSTANCE_ID in its environment, so a script can succeed on some instances and fail on
others. Every test asserts the role's summary, the instances' states and exact call counts from the
sandbox's call log: the list form and the inventory-driven form on both clouds, then: restart and
then: stop, a script failing on 3 of 10 with max_errors 2 and concurrency 2 (stops launching waves),
a failed group that keeps the next cloud from starting, check mode, and bad variables refused
before any call.
"""
import json
import os
import sys

import pytest

import playrun
from cloudtest import CloudUnderTest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO, "playbooks", "command_then_restart.yml")
ROLE = "cloudfleet.lifecycle.command_then_restart : "
SUMMARY_TASK = ROLE + "Summarize"
MODULE_TASK_PREFIX = ROLE + "Run the command in waves"
LOCALHOST = playrun.LOCALHOST

pytestmark = pytest.mark.slow


def run_playbook(sandbox, tmp_path, extra_vars, inventory=LOCALHOST, check=False, name="run", env_overrides=None):
    """ansible-playbook playbooks/command_then_restart.yml with the sandbox's env; (rc, output, records).

    Waves take a second or two on the sandbox: a 60 s wait_timeout per wave turns a hang into a
    clear failure long before the 600 s process timeout.
    """
    extra_vars = dict({"command_then_restart_wait_timeout": 60}, **extra_vars)
    return playrun.run_playbook(sandbox, tmp_path, PLAYBOOK, inventory=inventory, extra_vars=extra_vars, name=name,
                                check=check, env_overrides=env_overrides)


def summary_of(records, output):
    found = [r["result"]["ansible_facts"]["command_then_restart_summary"] for r in records if r["task"] == SUMMARY_TASK]
    assert len(found) == 1, output[-6000:]
    return found[0]


def module_records(records):
    return [r for r in records if r["task"].startswith(MODULE_TASK_PREFIX) and r["status"] != "skipped"]


def fleet_list(*groups):
    return [{"cloud": c.name, "region": c.region, "instance_ids": ids} for c, ids in groups]


def run_action(cloud):
    return "SendCommand" if cloud.is_aws else "RunCommand"


def ids_of(call):
    """The instance ids one logged call addressed: query style (InstanceId.N), ECS JSON text, or SSM's JSON list."""
    params = call["params"]
    ids = [v for k, v in sorted(params.items(), key=lambda kv: _index(kv[0])) if k.startswith("InstanceId.") or k == "InstanceId"]
    value = params.get("InstanceIds")
    if isinstance(value, str):
        ids += json.loads(value)
    elif isinstance(value, list):
        ids += value
    return ids


def _index(key):
    tail = key.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def run_waves(cloud):
    """The ids of each run-command call, in call order: one call per wave."""
    return [ids_of(c) for c in cloud.calls(run_action(cloud))]


def restart_calls(cloud):
    """EC2 restarts through the EC2 API after the command; ECS through the exit code 194 (no API call)."""
    return [ids_of(c) for c in cloud.calls("RebootInstances")]


def success_exit(cloud, then="restart"):
    """The exit code a successful command reports: the script's own, 0, on both clouds (issue 12)."""
    return 0


def then_exit(cloud, then="restart"):
    """The code that carried `then` out: ECS's Cloud Assistant exit code (193 stop, 194 restart on Linux),
    returned by the wrapper when the script exited 0; none on EC2, where the module calls the API."""
    if cloud.is_aws or then == "none":
        return None
    return 193 if then == "stop" else 194


def boots(sandbox, cloud, ids):
    """Proof of a real reboot, from the sandbox's own state: EC2 counts accepted reboots (an EC2 reboot
    stays `running`); ECS records the clock time each instance last reached Running (a reboot goes
    through Starting, whether RebootInstances or the guest's exit 194 did it)."""
    if cloud.is_aws:
        reboots = sandbox.ec2.lifecycle(cloud.region).reboots
        return {i: reboots.get(i, 0) for i in ids}
    model = sandbox.ecs.model
    model.settle_all()
    return {i: model.instances[i].started for i in ids}


def script_failing_on(bad_ids, code=3):
    return (
        'case "$SANDBOX_INSTANCE_ID" in\n'
        f'  {"|".join(bad_ids) or "none"}) echo "failing on $SANDBOX_INSTANCE_ID"; exit {code};;\n'
        "esac\n"
        'echo "ok on $SANDBOX_INSTANCE_ID"\n'
    )


@pytest.fixture
def clouds(sandbox):
    return CloudUnderTest("aws", sandbox), CloudUnderTest("alicloud", sandbox)


def test_list_form_on_both_clouds_runs_in_waves_then_restarts_each_wave(sandbox, clouds, tmp_path):
    ids = {c.name: c.launch(3) for c in clouds}
    before = {c.name: boots(sandbox, c, ids[c.name]) for c in clouds}
    for cloud in clouds:
        cloud.reset_calls()
    extra = {
        "command_then_restart_hosts": "localhost",
        "command_then_restart_instances": fleet_list(*[(c, ids[c.name]) for c in clouds]),
        "command_then_restart_content": 'echo "hello from $SANDBOX_INSTANCE_ID"\necho second line\n',
        "command_then_restart_concurrency": "2",
    }
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["changed"] is True and summary["failed"] is False
    assert summary["then"] == "restart"
    assert summary["counts"] == {"succeeded": 6, "failed": 0, "not_started": 0, "not_found": 0, "unknown": 0, "planned": 0}, summary
    by_id = {r["id"]: r for r in summary["instances"]}
    for cloud in clouds:
        first, second, third = ids[cloud.name]
        assert [by_id[i]["wave"] for i in ids[cloud.name]] == [1, 1, 2]
        for i in ids[cloud.name]:
            assert by_id[i]["status"] == "success" and by_id[i]["exit_code"] == success_exit(cloud)
            assert by_id[i]["then_exit_code"] == then_exit(cloud)
            assert by_id[i]["output"].splitlines() == [f"hello from {i}", "second line"], by_id[i]
            assert by_id[i]["state"] == "running"
        assert set(cloud.states(ids[cloud.name]).values()) == {"running"}
        # each instance really rebooted once (EC2: one accepted reboot; ECS: reached Running again later)
        after = boots(sandbox, cloud, ids[cloud.name])
        for i in ids[cloud.name]:
            assert after[i] == before[cloud.name][i] + 1 if cloud.is_aws else after[i] > before[cloud.name][i], (i, after, before)
        # one run-command call per wave, in order, then each wave restarted before the next started
        assert run_waves(cloud) == [[first, second], [third]]
        if cloud.is_aws:
            assert restart_calls(cloud) == [[first, second], [third]]
            actions = [c["action"] for c in cloud.calls() if c["action"] in ("SendCommand", "RebootInstances")]
            assert actions == ["SendCommand", "RebootInstances", "SendCommand", "RebootInstances"]
        else:
            assert restart_calls(cloud) == []
    # one module call per cloud+region group, not per instance
    assert len(module_records(records)) == 2
    table = [r for r in records if r["task"] == ROLE + "Show the result per instance"][0]["result"]["msg"]
    assert any(line.startswith(ids["alicloud"][0]) and "hello from" in line and "running" in line for line in table), table


def test_inventory_driven_form_targets_the_hosts_with_one_call_per_cloud(sandbox, clouds, tmp_path):
    ids = {c.name: c.launch(3) for c in clouds}
    lines = ["[fleet]"]
    for cloud in clouds:
        lines += [f"{cloud.name}-{n} instance_id={i} cloud={cloud.name} region={cloud.region}"
                  for n, i in enumerate(ids[cloud.name])]
    lines += ["[other]", f"spare instance_id={ids['aws'][0]}-not-targeted cloud=aws region=us-east-1",
              "", "[all:vars]", "ansible_connection=local", f"ansible_python_interpreter={sys.executable}", ""]
    for cloud in clouds:
        cloud.reset_calls()
    extra = {"command_then_restart_hosts": "fleet", "command_then_restart_content": "echo inventory $SANDBOX_INSTANCE_ID",
             "command_then_restart_then": "none", "command_then_restart_concurrency": "50%"}
    rc, output, records = run_playbook(sandbox, tmp_path, extra, inventory="\n".join(lines), name="inventory")
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert sorted(summary["ids"]["succeeded"]) == sorted(ids["aws"] + ids["alicloud"]), summary
    assert [(g["cloud"], g["status"]) for g in summary["groups"]] == [("aws", "succeeded"), ("alicloud", "succeeded")]
    for cloud in clouds:
        # 50% of 3 = 1 a wave (rounded down): three waves, and then: none restarts nothing
        assert run_waves(cloud) == [[i] for i in ids[cloud.name]]
        assert restart_calls(cloud) == [] and cloud.calls("StopInstances") == []
    for r in summary["instances"]:
        assert r["output"].strip() == f"inventory {r['id']}"
    assert len(module_records(records)) == 2
    # every module task ran once for the play, on the first host, not once per host
    assert {r["host"] for r in module_records(records)} == {"aws-0"}


def test_script_failing_on_3_of_10_stops_launching_waves_past_max_errors(sandbox, cloud, tmp_path):
    ids = cloud.launch(10)
    bad = [ids[1], ids[2], ids[4]]
    before = boots(sandbox, cloud, ids)
    cloud.reset_calls()
    extra = {
        "command_then_restart_hosts": "localhost",
        "command_then_restart_instances": fleet_list((cloud, ids)),
        "command_then_restart_content": script_failing_on(bad),
        "command_then_restart_concurrency": "2",
        "command_then_restart_max_errors": "2",
    }
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc != 0, output[-6000:]
    summary = summary_of(records, output)
    # waves [0,1] (1 error), [2,3] (2 errors: still within max_errors 2), [4,5] (3 errors > 2): no wave 4
    assert summary["failed"] is True
    assert summary["ids"]["succeeded"] == [ids[0], ids[3], ids[5]], summary
    assert summary["ids"]["failed"] == bad
    assert summary["ids"]["not_started"] == ids[6:]
    assert summary["counts"] == {"succeeded": 3, "failed": 3, "not_started": 4, "not_found": 0, "unknown": 0, "planned": 0}
    by_id = {r["id"]: r for r in summary["instances"]}
    for i in bad:
        assert by_id[i]["exit_code"] == 3 and by_id[i]["output"].strip() == f"failing on {i}", by_id[i]
    for i in (ids[0], ids[3], ids[5]):
        assert by_id[i]["output"].strip() == f"ok on {i}" and by_id[i]["state"] == "running"
        assert by_id[i]["exit_code"] == success_exit(cloud)
    assert [by_id[i]["wave"] for i in ids[:6]] == [1, 1, 2, 2, 3, 3]
    # exact calls: three waves ran, nothing was ever sent to the 4 that never started
    assert run_waves(cloud) == [ids[0:2], ids[2:4], ids[4:6]]
    if cloud.is_aws:
        assert restart_calls(cloud) == [[ids[0]], [ids[3]], [ids[5]]]
    else:
        assert restart_calls(cloud) == []
    for call in cloud.calls():
        assert not set(ids_of(call)) & set(ids[6:]) or call["action"].startswith(("Describe", "Get", "List")), call
    assert set(cloud.states(ids).values()) == {"running"}
    # only the successful ones rebooted; a failed command leaves its instance alone
    after = boots(sandbox, cloud, ids)
    assert sorted(i for i in ids if after[i] != before[i]) == sorted([ids[0], ids[3], ids[5]])
    # the play fails after the report, and says which
    fail = [r for r in records if r["task"] == ROLE + "Fail if a group exceeded max_errors or failed as a whole"][0]
    assert fail["status"] == "failed"
    assert "Failed: " + ", ".join(bad) in fail["result"]["msg"]
    assert "Never started: " + ", ".join(ids[6:]) in fail["result"]["msg"]


def test_a_timeout_is_reported_as_such_and_counts_as_an_error(sandbox, cloud, tmp_path):
    ids = cloud.launch(2)
    extra = {
        "command_then_restart_hosts": "localhost",
        "command_then_restart_instances": fleet_list((cloud, ids)),
        "command_then_restart_content": script_failing_on([]).replace("esac\n", f'esac\n[ "$SANDBOX_INSTANCE_ID" = {ids[1]} ] && sleep 30\n'),
        "command_then_restart_timeout": 2,
        "command_then_restart_max_errors": "1",
    }
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc == 0, output[-6000:]  # one error, within max_errors 1
    summary = summary_of(records, output)
    by_id = {r["id"]: r for r in summary["instances"]}
    assert by_id[ids[0]]["status"] == "success"
    assert by_id[ids[1]]["status"] == "timeout" and by_id[ids[1]]["exit_code"] is None, by_id[ids[1]]
    assert summary["ids"]["failed"] == ids[1:]
    table = [r for r in records if r["task"] == ROLE + "Show the result per instance"][0]["result"]["msg"]
    assert any(line.startswith(ids[1]) and " timeout " in line for line in table), table


def test_a_failed_group_keeps_the_next_cloud_from_starting(sandbox, clouds, tmp_path):
    aws, ali = clouds
    ids = {c.name: c.launch(2) for c in clouds}
    for cloud in clouds:
        cloud.reset_calls()
    extra = {
        "command_then_restart_hosts": "localhost",
        "command_then_restart_instances": fleet_list((aws, ids["aws"]), (ali, ids["alicloud"])),
        "command_then_restart_content": script_failing_on(ids["aws"][:1], code=1),
        "command_then_restart_concurrency": "1",
    }
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc != 0, output[-6000:]
    summary = summary_of(records, output)
    assert [(g["cloud"], g["status"]) for g in summary["groups"]] == [("aws", "failed"), ("alicloud", "not_started")]
    assert summary["ids"]["failed"] == ids["aws"][:1]
    assert summary["ids"]["not_started"] == ids["aws"][1:] + ids["alicloud"]
    assert run_waves(aws) == [ids["aws"][:1]]
    assert ali.calls("RunCommand") == []
    assert len(module_records(records)) == 1


def test_then_stop_leaves_them_stopped(sandbox, clouds, tmp_path):
    ids = {c.name: c.launch(2) for c in clouds}
    for cloud in clouds:
        cloud.reset_calls()
    extra = {
        "command_then_restart_hosts": "localhost",
        "command_then_restart_instances": fleet_list(*[(c, ids[c.name]) for c in clouds]),
        "command_then_restart_content": "echo stopping soon",
        "command_then_restart_then": "stop",
    }
    rc, output, records = run_playbook(sandbox, tmp_path, extra)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["counts"]["succeeded"] == 4
    assert {r["state"] for r in summary["instances"]} == {"stopped"}
    assert {(r["cloud"], r["exit_code"], r["then_exit_code"]) for r in summary["instances"]} == {("aws", 0, None), ("alicloud", 0, 193)}
    for cloud in clouds:
        assert set(cloud.states(ids[cloud.name]).values()) == {"stopped"}
        assert run_waves(cloud) == [ids[cloud.name]]
        # EC2 stops through the EC2 API after the command; ECS through the exit code 193
        assert len(cloud.calls("StopInstances")) == (1 if cloud.is_aws else 0)
        assert restart_calls(cloud) == []


def test_check_mode_runs_nothing_and_reports_the_planned_waves(sandbox, clouds, tmp_path):
    ids = {c.name: c.launch(3) for c in clouds}
    for cloud in clouds:
        cloud.reset_calls()
    extra = {
        "command_then_restart_hosts": "localhost",
        "command_then_restart_instances": fleet_list(*[(c, ids[c.name]) for c in clouds]),
        "command_then_restart_content": "echo never",
        "command_then_restart_concurrency": "2",
    }
    rc, output, records = run_playbook(sandbox, tmp_path, extra, check=True)
    assert rc == 0, output[-6000:]
    summary = summary_of(records, output)
    assert summary["check_mode"] is True
    assert summary["counts"]["planned"] == 6 and summary["counts"]["succeeded"] == 0
    assert [g["waves"] for g in summary["groups"]] == [[ids[c.name][:2], ids[c.name][2:]] for c in clouds]
    for cloud in clouds:
        mutating = [c for c in cloud.calls() if not c["action"].startswith(("Describe", "Get", "List"))
                    and str(c["params"].get("DryRun")).lower() != "true"]
        assert mutating == [], mutating
        assert set(cloud.states(ids[cloud.name]).values()) == {"running"}


def test_connection_options_per_cloud_reach_the_module_and_the_secrets_stay_out(sandbox, clouds, tmp_path):
    aws, ali = clouds
    ids = {c.name: c.launch(1) for c in clouds}
    env = sandbox.env()
    dead = "http://127.0.0.1:9"  # the environment's endpoints lead nowhere: only the role's options can work
    extra = {
        "command_then_restart_hosts": "localhost",
        "command_then_restart_instances": fleet_list(*[(c, ids[c.name]) for c in clouds]),
        "command_then_restart_content": "echo connected",
        "command_then_restart_then": "none",
        "command_then_restart_connection": {
            "aws": {"endpoint_url": env["AWS_ENDPOINT_URL"], "access_key": env["AWS_ACCESS_KEY_ID"],
                    "secret_key": env["AWS_SECRET_ACCESS_KEY"]},
            "alicloud": {"endpoint_url": env["ALIBABA_CLOUD_ECS_ENDPOINT"], "access_key": env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                         "secret_key": env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]},
        },
    }
    overrides = {"AWS_ENDPOINT_URL": dead, "ALIBABA_CLOUD_ECS_ENDPOINT": dead,
                 "AWS_SECRET_ACCESS_KEY": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""}
    rc, output, records = run_playbook(sandbox, tmp_path, extra, env_overrides=overrides)
    assert rc == 0, output[-6000:]
    assert summary_of(records, output)["counts"]["succeeded"] == 2
    for secret in (env["AWS_SECRET_ACCESS_KEY"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]):
        assert secret not in output
        assert secret not in json.dumps(records)


@pytest.mark.parametrize("bad, words", [
    ({"command_then_restart_content": "  "}, "command_then_restart_content is empty"),
    ({"command_then_restart_concurrency": "0"}, "got '0'"),
    ({"command_then_restart_concurrency": "ten"}, "got 'ten'"),
    ({"command_then_restart_concurrency": 0}, "got '0'"),
    ({"command_then_restart_max_errors": "120%"}, "got '120%'"),
    ({"command_then_restart_timeout": 0}, "must be positive seconds"),
    ({"command_then_restart_then": "reboot"}, "command_then_restart_then"),
    ({"command_then_restart_command_type": "RunBatScript"}, "RunBatScript and command_then_restart_username are ECS only"),
    ({"command_then_restart_username": "app"}, "RunBatScript and command_then_restart_username are ECS only"),
    ({"command_then_restart_instances": [{"cloud": "gcp", "instance_ids": ["i-1"]}]}, "cloud"),
    ({"command_then_restart_instances": []}, "no targets"),
])
def test_bad_variables_fail_before_any_api_call(sandbox, clouds, tmp_path, bad, words):
    aws, ali = clouds
    extra = {"command_then_restart_hosts": "localhost", "command_then_restart_content": "echo hi",
             "command_then_restart_instances": [{"cloud": "aws", "region": aws.region, "instance_ids": ["i-0123456789abcdef0"]},
                                                {"cloud": "alicloud", "region": ali.region, "instance_ids": ["i-bp1abcdefghij0123456"]}]}
    extra.update(bad)
    rc, output, _ = run_playbook(sandbox, tmp_path, extra)
    assert rc != 0
    assert words in output, output[-4000:]
    assert aws.calls() == [] and ali.calls() == []


def test_content_is_required(sandbox, clouds, tmp_path):
    aws, ali = clouds
    extra = {"command_then_restart_hosts": "localhost",
             "command_then_restart_instances": [{"cloud": "aws", "region": aws.region, "instance_ids": ["i-0123456789abcdef0"]}]}
    rc, output, _ = run_playbook(sandbox, tmp_path, extra)
    assert rc != 0 and "command_then_restart_content" in output, output[-4000:]
    assert aws.calls() == [] and ali.calls() == []
