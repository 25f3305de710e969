"""The EC2 side driven by clients the collection never uses: boto3's resource API and botocore's
waiters, unmodified, over HTTP.

The waiters are botocore's own (data/ec2/2016-11-15/waiters-2.json): what they poll, which states
they accept or fail on, and the errors they retry on are theirs; the sandbox must answer so that
they end the way they would on EC2. Only their delays are shortened (WaiterConfig, as a user may).

The AWS CLI is tested apart (test_ec2_aws_cli.py), from a venv of its own: no awscli release pins
botocore 1.44.5 (awscli 1.45.N requires botocore==1.43.N; 1.46.x carries its own copy, 1.43.62), so
it cannot share the collection's venv.
"""
import time

import pytest
from botocore.exceptions import ClientError, WaiterError

from ec2_harness import IMAGE, INSTANCE_TYPE, harness_for

FAST = {"Delay": 0.05, "MaxAttempts": 200}  # 10 s at most, polling every 50 ms


@pytest.fixture
def ec2(request):
    return harness_for(request)


@pytest.fixture
def resource(ec2):
    import boto3

    return boto3.resource("ec2", endpoint_url=ec2.url, region_name=ec2.env["AWS_REGION"],
                          aws_access_key_id=ec2.env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=ec2.env["AWS_SECRET_ACCESS_KEY"])


def test_resource_api_lifecycle(ec2, resource):
    """boto3's resource API: create_instances, wait_until_running, stop / wait_until_stopped, start,
    terminate / wait_until_terminated, attributes read off the loaded resource (DescribeInstances)."""
    instances = resource.create_instances(
        ImageId=IMAGE, InstanceType=INSTANCE_TYPE, MinCount=2, MaxCount=2,
        Placement={"AvailabilityZone": "us-east-1b"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "foreign"}]}])
    assert [i.state["Name"] for i in instances] == ["pending", "pending"]
    first, second = instances
    first.wait_until_running(WaiterConfig=FAST)
    first.reload()
    assert first.state == {"Code": 16, "Name": "running"}
    assert first.placement["AvailabilityZone"] == "us-east-1b"
    assert first.image_id == IMAGE and first.instance_type == INSTANCE_TYPE
    assert first.tags == [{"Key": "team", "Value": "foreign"}]
    assert first.vpc_id and first.subnet_id and first.private_ip_address
    assert first.describe_attribute(Attribute="disableApiTermination")["DisableApiTermination"] == {"Value": False}

    response = first.stop()
    assert response["StoppingInstances"][0]["CurrentState"]["Name"] == "stopping"
    first.wait_until_stopped(WaiterConfig=FAST)
    first.reload()
    assert first.state["Name"] == "stopped"
    assert first.state_reason["Code"] == "Client.UserInitiatedShutdown"
    first.start()
    first.wait_until_running(WaiterConfig=FAST)

    running = {i.id for i in resource.instances.filter(
        Filters=[{"Name": "tag:team", "Values": ["foreign"]}, {"Name": "instance-state-name", "Values": ["running"]}])}
    assert first.id in running
    for instance in instances:
        instance.terminate()
    for instance in instances:
        instance.wait_until_terminated(WaiterConfig=FAST)
    assert {i.id: i.state["Name"] for i in resource.instances.filter(InstanceIds=[first.id, second.id])} == {
        first.id: "terminated", second.id: "terminated"}


def test_resource_api_sees_protection_refusals(ec2, resource):
    """A protected instance's terminate() raises OperationNotPermitted (TerminateInstances API
    reference, termination protection); modify_attribute lifts it and terminate() then works."""
    [instance] = resource.create_instances(ImageId=IMAGE, InstanceType=INSTANCE_TYPE, MinCount=1, MaxCount=1,
                                           DisableApiTermination=True)
    instance.wait_until_running(WaiterConfig=FAST)
    with pytest.raises(ClientError) as excinfo:
        instance.terminate()
    assert excinfo.value.response["Error"]["Code"] == "OperationNotPermitted"
    instance.modify_attribute(DisableApiTermination={"Value": False})
    instance.terminate()
    instance.wait_until_terminated(WaiterConfig=FAST)


def test_waiters_running_stopped_terminated(ec2):
    """botocore's instance_running (success when all are running), instance_stopped and
    instance_terminated waiters end in success through the sandbox's timed transitions."""
    client = ec2.client()
    ids = ec2.launch(3)
    client.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=FAST)
    assert set(ec2.states(ids).values()) == {("running", 16)}
    client.stop_instances(InstanceIds=ids[:2])
    client.get_waiter("instance_stopped").wait(InstanceIds=ids[:2], WaiterConfig=FAST)
    client.terminate_instances(InstanceIds=ids)
    client.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=FAST)
    assert set(ec2.states(ids).values()) == {("terminated", 48)}
    assert all(c["status"] == 200 for c in ec2.calls())


def test_waiters_fail_on_the_states_they_fail_on(ec2):
    """waiters-2.json: instance_stopped fails at once on a `pending` instance, instance_running on a
    `stopping` one ("pathAny" failure acceptors) - the sandbox reports those transitional states."""
    client = ec2.client()
    [fresh] = ec2.launch()
    with pytest.raises(WaiterError) as excinfo:
        client.get_waiter("instance_stopped").wait(InstanceIds=[fresh], WaiterConfig=FAST)
    assert "terminal failure state" in str(excinfo.value)
    [up] = ec2.running()
    client.stop_instances(InstanceIds=[up])
    with pytest.raises(WaiterError) as excinfo:
        client.get_waiter("instance_running").wait(InstanceIds=[up], WaiterConfig=FAST)
    assert "terminal failure state" in str(excinfo.value)
    assert len(ec2.calls("DescribeInstances")) == 2  # one poll each: the failure was immediate


def test_instance_running_waiter_retries_not_found(ec2):
    """waiters-2.json: instance_running retries on InvalidInstanceID.NotFound (an id EC2 does not
    know yet); the sandbox answers that error for an unknown id, so the waiter polls to the end."""
    client = ec2.client()
    with pytest.raises(WaiterError) as excinfo:
        client.get_waiter("instance_running").wait(InstanceIds=["i-0123456789abcdef0"],
                                                    WaiterConfig={"Delay": 0.01, "MaxAttempts": 3})
    assert "Max attempts exceeded" in str(excinfo.value)
    assert [c["error_code"] for c in ec2.calls("DescribeInstances")] == ["InvalidInstanceID.NotFound"] * 3


def test_instance_status_ok_waiter_waits_out_initializing(ec2, monkeypatch):
    """botocore's instance_status_ok waiter (DescribeInstanceStatus, success when every
    InstanceStatus.Status is ok) keeps polling while the checks read initializing - here 1 s of real
    time after running (ctx.status_check_seconds) - and ends when they read ok; system_status_ok the same."""
    monkeypatch.setattr(ec2.sandbox.ctx, "status_check_seconds", 1.0)
    client = ec2.client()
    ids = ec2.launch(2)
    client.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=FAST)
    reached = time.monotonic()
    client.get_waiter("instance_status_ok").wait(InstanceIds=ids, WaiterConfig=FAST)
    assert time.monotonic() - reached >= 0.5  # it had to wait (an upper bound would be a wall-clock limit)
    polls = ec2.calls("DescribeInstanceStatus")
    assert len(polls) >= 2 and all(c["status"] == 200 for c in polls)
    statuses = client.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    assert {(s["InstanceStatus"]["Status"], s["SystemStatus"]["Status"]) for s in statuses} == {("ok", "ok")}
    client.get_waiter("system_status_ok").wait(InstanceIds=ids, WaiterConfig=FAST)

    client.reboot_instances(InstanceIds=ids[:1])  # the checks start over
    [row] = client.describe_instance_status(InstanceIds=ids[:1])["InstanceStatuses"]
    assert row["InstanceStatus"]["Status"] == "initializing"
    client.get_waiter("instance_status_ok").wait(InstanceIds=ids[:1], WaiterConfig=FAST)
