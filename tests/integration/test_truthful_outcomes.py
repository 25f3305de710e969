"""Issue 12: what a run reports is what happened, the same way on both clouds.

Real ansible-playbook runs against the sandbox; each test asserts the sandbox's state and call log.
"""
import os

import pytest

import playrun
from cloudtest import CloudUnderTest, is_mutating
from sandbox import fleet
from sandbox.control_client import control

STOP = "cloudfleet.lifecycle.instance_stop"
RELEASE = "cloudfleet.lifecycle.instance_release"
AUTO = "cloudfleet.lifecycle.auto_release_time"
INFO = "cloudfleet.lifecycle.instance_state_info"
COMMAND = "cloudfleet.lifecycle.instance_command"
SNAPSHOT = "cloudfleet.lifecycle.instance_snapshot"
PLAYBOOK = os.path.join(playrun.REPO, "playbooks", "stop_then_release.yml")
ROLE = "cloudfleet.lifecycle.stop_then_release : "
OTHER_REGION = {"aws": "us-west-2", "alicloud": "cn-beijing"}


def task(module, name, args, **extra):
    return dict({"name": name, module: args, "register": "out", "ignore_errors": True}, **extra)


def summary_of(records, output):
    found = [r["result"]["ansible_facts"]["stop_then_release_summary"] for r in records if r["task"] == ROLE + "Summarize"]
    assert found, output[-5000:]
    return found[0]


def role_run(sandbox, tmp_path, extra, name="run", check=False, diff=False):
    extra = dict({"stop_then_release_hosts": "localhost"}, **extra)
    env = {"ANSIBLE_DIFF_ALWAYS": "1"} if diff else None
    return playrun.run_playbook(sandbox, tmp_path, PLAYBOOK, extra_vars=extra, name=name, check=check, env_overrides=env)


# ---------------------------------------------------------------- 1. unknown ids are not found, never terminated

def test_a_region_typo_is_not_found_not_released_and_the_instance_is_untouched(cloud, run_play):
    ids = cloud.launch_stopped(2)
    wrong = cloud.module_args(instance_ids=ids, region=OTHER_REGION[cloud.name])
    cloud.reset_calls()
    run = run_play([task(RELEASE, "release", wrong), task(INFO, "info", wrong)])
    release = run.result("release")
    assert not release.get("failed"), run.output[-3000:]
    assert release["changed"] is False and release["changed_ids"] == [] and release["unchanged_ids"] == []
    assert release["not_found_ids"] == ids
    assert {r["state"] for r in release["instances"]} == {"not-found"}
    info = run.result("info")
    assert info["not_found_ids"] == ids and {r["state"] for r in info["instances"]} == {"not-found"}
    assert f"2 instance id(s) not found in {cloud.name} {OTHER_REGION[cloud.name]}" in run.output
    assert "another region or account" in run.output
    assert [c for c in cloud.calls() if is_mutating(c)] == []
    assert set(cloud.states(ids).values()) == {"stopped"}


def test_an_ec2_id_under_alicloud_is_not_found(sandbox, run_play):
    aws, ali = CloudUnderTest("aws", sandbox), CloudUnderTest("alicloud", sandbox)
    ids = aws.launch_stopped(1)
    run = run_play([task(RELEASE, "release", ali.module_args(instance_ids=ids))])
    result = run.result("release")
    assert not result.get("failed") and result["not_found_ids"] == ids and result["instances"][0]["state"] == "not-found"
    assert aws.states(ids) == {ids[0]: "stopped"}


def test_fail_on_not_found_fails_and_names_the_ids_and_still_does_the_rest(cloud, run_play):
    here = cloud.launch_stopped(1)
    elsewhere = (fleet.launch_ec2 if cloud.is_aws else fleet.launch_ecs)(cloud.env, 1, region=OTHER_REGION[cloud.name])
    run = run_play([task(RELEASE, "release", cloud.module_args(instance_ids=here + elsewhere, fail_on_not_found=True))])
    result = run.result("release")
    assert result["failed"] is True
    assert [(f["id"], f["code"]) for f in result["failures"]] == [(elsewhere[0], "NotFound")]
    assert result["changed_ids"] == here and cloud.states(here) == {here[0]: "terminated"}
    assert "NotFound: 1 instance" in result["msg"] and elsewhere[0] in result["msg"]


def test_a_second_release_stays_green_and_reads_the_truth_on_each_cloud(cloud, run_play):
    ids = cloud.launch_stopped(2)
    first = run_play([task(RELEASE, "release", cloud.module_args(instance_ids=ids))]).result("release")
    assert first["changed_ids"] == ids and {r["state"] for r in first["instances"]} == {"terminated"}
    cloud.reset_calls()
    second = run_play([task(RELEASE, "release", cloud.module_args(instance_ids=ids))]).result("release")
    assert not second.get("failed") and second["changed"] is False
    if cloud.is_aws:  # EC2 still shows a terminated instance for a while
        assert second["unchanged_ids"] == ids and second["not_found_ids"] == []
    else:  # ECS forgets a released instance at once
        assert second["unchanged_ids"] == [] and second["not_found_ids"] == ids
    assert cloud.calls(cloud.release_action) == []


def test_the_role_reports_not_found_apart_and_can_fail_on_it(sandbox, cloud, tmp_path):
    ids = cloud.launch(1)
    elsewhere = (fleet.launch_ec2 if cloud.is_aws else fleet.launch_ecs)(cloud.env, 1, region=OTHER_REGION[cloud.name])
    extra = {"stop_then_release_instances": [{"cloud": cloud.name, "region": cloud.region, "instance_ids": ids + elsewhere}]}
    rc, output, records = role_run(sandbox, tmp_path, extra)
    assert rc == 0, output[-5000:]
    summary = summary_of(records, output)
    assert summary["ids"]["released"] == ids and summary["ids"]["not_found"] == elsewhere
    assert summary["counts"]["already_gone"] == 0
    rc, output, records = role_run(sandbox, tmp_path, dict(extra, stop_then_release_fail_on_not_found=True), name="strict")
    assert rc != 0
    # ECS forgot the instance the first run released: it is not found now too; EC2 shows it terminated
    count = 1 if cloud.is_aws else 2
    assert f"{count} instance id(s) not found (stop_then_release_fail_on_not_found): " in output
    assert elsewhere[0] in output.split("stop_then_release_fail_on_not_found): ")[1].splitlines()[0]


def test_instance_command_does_not_run_on_an_unknown_id_and_says_so(cloud, run_play):
    ids = cloud.launch(1)
    missing = (fleet.launch_ec2 if cloud.is_aws else fleet.launch_ecs)(cloud.env, 1, region=OTHER_REGION[cloud.name])
    run = run_play([task(COMMAND, "command", cloud.module_args(instance_ids=ids + missing, content="echo hi"))])
    result = run.result("command")
    assert not result.get("failed"), run.output[-3000:]
    assert result["not_found_ids"] == missing and result["succeeded_ids"] == ids
    assert [r["status"] for r in result["results"]] == ["success", "not_found"]


# ---------------------------------------------------------------- 2. protected instances are not scheduled for release

def test_auto_release_time_refuses_protected_instances_unless_asked(cloud, run_play, sandbox):
    protected = cloud.launch(1, protected=True)
    plain = cloud.launch(1)
    cloud.reset_calls()
    run = run_play([task(AUTO, "schedule", cloud.module_args(instance_ids=protected + plain, release_in="6h"))])
    result = run.result("schedule")
    assert result["failed"] is True
    assert result["protected_ids"] == protected and result["changed_ids"] == plain
    assert [(f["id"], f["code"]) for f in result["failures"]] == [(protected[0], "DeletionProtection")]
    assert "DeletionProtection: 1 instance" in result["msg"]
    scheduling = "CreateTags" if cloud.is_aws else "ModifyInstanceAutoReleaseTime"
    assert all(protected[0] not in cloud.ids_in(c) and protected[0] not in str(c["params"]) for c in cloud.calls(scheduling))
    if cloud.is_aws:  # EC2 protection is read for the instances that would get a time, one call each
        assert len(cloud.calls("DescribeInstanceAttribute")) == 2
    # when the time comes, the protected instance is still there (the plain one is released on ECS)
    control(cloud.url, "clock", {"advance_seconds": 7 * 3600})
    assert cloud.states(protected)[protected[0]] == "running"

    # the sandbox clock is 7 hours ahead now: ask for a time ahead of it
    allowed = run_play([task(AUTO, "schedule", cloud.module_args(instance_ids=protected, release_in="8h",
                                                                  disable_protection=True))]).result("schedule")
    assert not allowed.get("failed"), allowed
    assert allowed["protection_disabled_ids"] == protected and allowed["changed_ids"] == protected
    assert allowed["instances"][0]["deletion_protection"] is False and allowed["instances"][0]["auto_release_time"]


# ---------------------------------------------------------------- 4. role inputs are checked before the first call

@pytest.mark.parametrize("check", [False, True])
def test_a_bad_release_in_fails_the_role_before_anything_is_stopped(sandbox, cloud, tmp_path, check):
    ids = cloud.launch(2)
    cloud.reset_calls()
    extra = {"stop_then_release_instances": [{"cloud": cloud.name, "region": cloud.region, "instance_ids": ids}],
             "stop_then_release_release_mode": "scheduled", "stop_then_release_release_in": "6hours"}
    rc, output, _records = role_run(sandbox, tmp_path, extra, check=check)
    assert rc != 0
    assert "release_in '6hours' is not a duration" in output
    assert cloud.calls() == []
    assert set(cloud.states(ids).values()) == {"running"}


# ---------------------------------------------------------------- 5. check mode says what would happen

def test_role_check_mode_says_what_would_happen_and_changes_nothing(sandbox, clouds_fleet, tmp_path):
    clouds, fleets, extra = clouds_fleet
    for cloud in clouds:
        cloud.reset_calls()
    rc, output, records = role_run(sandbox, tmp_path, extra, check=True, diff=True)
    assert rc == 0, output[-5000:]
    summary = summary_of(records, output)
    assert summary["check_mode"] is True
    assert summary["counts"] == {"would_stop": 4, "would_release": 6, "would_schedule": 0, "protected": 2,
                                 "already_gone": 0, "not_found": 0, "failed": 0}, summary
    for cloud in clouds:
        f = fleets[cloud.name]
        assert set(f["running"]) <= set(summary["ids"]["would_stop"])
        assert set(f["running"] + f["stopped"]) <= set(summary["ids"]["would_release"])
        assert f["protected"][0] in summary["ids"]["protected"]
        assert [c for c in cloud.calls() if is_mutating(c)] == [], cloud.name
        # the stop and the release were asked with DryRun
        assert {c["action"] for c in cloud.calls() if not c["action"].startswith("Describe")} == {"StopInstances", cloud.release_action}
        states = cloud.states(sum(f.values(), []))
        assert [states[i] for i in f["running"] + f["protected"]] == ["running"] * 3
    # --diff shows each planned state change
    assert '"state": "stopped"' in output and '"state": "terminated"' in output
    assert "check mode, nothing was changed; would change: would_stop=4, would_release=6" in output


@pytest.fixture
def clouds_fleet(sandbox):
    clouds = CloudUnderTest("aws", sandbox), CloudUnderTest("alicloud", sandbox)
    fleets = {}
    for cloud in clouds:
        fleets[cloud.name] = {"running": cloud.launch(2), "stopped": cloud.launch_stopped(1),
                              "protected": cloud.launch(1, protected=True)}
    extra = {"stop_then_release_instances": [{"cloud": c.name, "region": c.region, "instance_ids": sum(fleets[c.name].values(), [])}
                                             for c in clouds]}
    return clouds, fleets, extra


def test_module_check_mode_with_diff_shows_the_plan(cloud, run_play):
    ids = cloud.launch(1)
    cloud.reset_calls()
    run = run_play([task(STOP, "stop", cloud.module_args(instance_ids=ids), diff=True)], check=True)
    result = run.result("stop")
    assert result["changed_ids"] == ids
    assert result["diff"] == {"before": {ids[0]: {"state": "running"}}, "after": {ids[0]: {"state": "stopped"}}}
    assert [c for c in cloud.calls() if is_mutating(c)] == []


# ---------------------------------------------------------------- 6. wait_timeout 0 is refused before any call

@pytest.mark.parametrize("module, extra", [(STOP, {}), (RELEASE, {}), (SNAPSHOT, {"snapshot_tag": "tag1"})])
def test_wait_timeout_zero_is_refused_before_any_call(cloud, run_play, module, extra):
    ids = cloud.launch(1)
    cloud.reset_calls()
    result = run_play([task(module, "go", cloud.module_args(instance_ids=ids, wait_timeout=0, **extra))]).result("go")
    assert result["failed"] is True
    assert "wait_timeout must be 1 or more seconds, got 0; to send the call and not wait, set wait: false" in result["msg"]
    assert cloud.calls() == []


# ---------------------------------------------------------------- 8. failure output

def test_a_failure_over_many_ids_is_grouped_by_code(cloud, run_play):
    ids = cloud.launch_stopped(30, protected=True)
    run = run_play([task(RELEASE, "release", cloud.module_args(instance_ids=ids))])
    result = run.result("release")
    assert result["failed"] is True and len(result["failures"]) == 30
    assert result["msg"].count("DeletionProtection: 30 instances") == 1, result["msg"]
    assert "and 20 more" in result["msg"] and len(result["msg"]) < 800, result["msg"]


def test_an_unreachable_ecs_endpoint_is_said_plainly(sandbox, run_play):
    ali = CloudUnderTest("alicloud", sandbox)
    result = run_play([task(INFO, "info", ali.module_args(instance_ids=["i-bp1abcdefghij0123456"],
                                                           endpoint_url="http://127.0.0.1:9"))]).result("info")
    assert result["failed"] is True
    assert result["msg"].startswith("ECS: could not connect to http://127.0.0.1:9 (connection refused)"), result["msg"]
    assert "HTTPConnectionPool" not in result["msg"]


@pytest.mark.parametrize("cloud_name, region, calls", [("aws", "us-east-9", 0), ("alicloud", "cn-nowhere-9", 1)])
def test_a_wrong_region_name_fails_fast(sandbox, run_play, cloud_name, region, calls):
    cloud = CloudUnderTest(cloud_name, sandbox)
    ids = cloud.launch(1)
    cloud.reset_calls()
    result = run_play([task(STOP, "stop", cloud.module_args(instance_ids=ids, region=region))]).result("stop")
    assert result["failed"] is True
    if cloud.is_aws:  # botocore's own list of regions: refused before any call
        assert "'us-east-9' is not an EC2 region that botocore" in result["msg"]
    else:  # no SDK list of ECS regions: the API's answer, never retried
        assert "InvalidRegionId.NotFound" in result["msg"] and "Check region" in result["msg"]
    assert len(cloud.calls()) == calls
    assert cloud.states(ids) == {ids[0]: "running"}
