"""playbooks/release_expired.yml: EC2 instances whose cloudfleet:auto-release-time tag has passed
are stopped and released, future ones and protected ones are kept, ECS ones are reported."""
import datetime

from cloudtest import CloudUnderTest
from sandbox import fleet
from test_stop_then_release import REPO, run_playbook

PLAYBOOK = f"{REPO}/playbooks/release_expired.yml"
TAG = "cloudfleet:auto-release-time"


def iso(delta):
    return (datetime.datetime.now(datetime.timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_of(records, output):
    found = [r["result"]["ansible_facts"]["release_expired_report"] for r in records if r["task"] == "Report what was done"]
    assert found, output[-4000:]
    return found[0]


def test_expired_ec2_instances_are_released_future_and_protected_kept(sandbox, run_play, tmp_path):
    aws = CloudUnderTest("aws", sandbox)
    ali = CloudUnderTest("alicloud", sandbox)
    past, future, untagged = aws.launch(2), aws.launch(1), aws.launch(1)
    protected = aws.launch(1, protected=True)
    client = fleet.ec2_client(aws.env)
    # the module refuses past times; EC2 tags are plain strings, so a past time is set directly
    client.create_tags(Resources=past + protected, Tags=[{"Key": TAG, "Value": iso(datetime.timedelta(minutes=-5))}])
    client.create_tags(Resources=future, Tags=[{"Key": TAG, "Value": iso(datetime.timedelta(hours=2))}])
    ecs_ids = ali.launch(2)
    run = run_play([{"name": "schedule", "cloudfleet.lifecycle.auto_release_time": ali.module_args(instance_ids=ecs_ids[:1], release_in="6h")}])
    assert run.rc == 0, run.output
    aws.reset_calls()
    ali.reset_calls()

    rc, output, records = run_playbook(sandbox, tmp_path, playbook=PLAYBOOK, name="first")
    assert rc == 0, output[-6000:]
    report = report_of(records, output)
    assert sorted(report["ec2_due"]) == sorted(past + protected)
    assert sorted(report["ec2_result"]["released"]) == sorted(past)
    assert report["ec2_result"]["protected"] == protected
    assert list(report["ec2_not_due"]) == future
    assert list(report["ecs_scheduled"]) == ecs_ids[:1]
    states = aws.states(past + future + untagged + protected)
    assert {states[i] for i in past} == {"terminated"}
    assert {states[i] for i in future + untagged} == {"running"}
    # the one rule for protected instances: left as they are, on EC2 too (its protection is read first)
    assert states[protected[0]] == "running"
    assert not [c for c in aws.calls("StopInstances") if protected[0] in aws.ids_in(c)]
    assert len(aws.calls("DescribeInstanceAttribute")) == len(past + protected)
    for call in aws.calls(aws.release_action):
        assert not set(aws.ids_in(call)) & set(future + untagged)
    assert [c for c in ali.calls() if not c["action"].startswith("Describe")] == []

    rc, output, records = run_playbook(sandbox, tmp_path, playbook=PLAYBOOK, name="second")
    assert rc == 0, output[-6000:]
    assert [r["task"] for r in records if r["result"].get("changed")] == []
    report = report_of(records, output)
    assert report["ec2_due"] == protected and report["ec2_result"]["protected"] == protected


def test_nothing_expired_changes_nothing(sandbox, tmp_path):
    aws = CloudUnderTest("aws", sandbox)
    ids = aws.launch(1)
    rc, output, records = run_playbook(sandbox, tmp_path, playbook=PLAYBOOK)
    assert rc == 0, output[-6000:]
    assert report_of(records, output)["ec2_due"] == []
    assert aws.states(ids)[ids[0]] == "running"


def test_a_protected_ecs_instance_with_a_release_time_is_called_out(sandbox, tmp_path):
    """ECS releases at the time whatever the protection (set here through the SDK, as another tool would)."""
    from alibabacloud_ecs20140526 import models

    ali = CloudUnderTest("alicloud", sandbox)
    protected = ali.launch(1, protected=True)
    client = fleet.ecs_client(ali.env)
    client.modify_instance_auto_release_time(models.ModifyInstanceAutoReleaseTimeRequest(
        region_id=ali.region, instance_id=protected[0], auto_release_time=iso(datetime.timedelta(hours=5))[:17] + "00Z"))
    rc, output, records = run_playbook(sandbox, tmp_path, playbook=PLAYBOOK)
    assert rc == 0, output[-6000:]
    report = report_of(records, output)
    assert list(report["ecs_protected_but_scheduled"]) == protected
    assert "ECS will release these protected instances at their auto-release time" in output
