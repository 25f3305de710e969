"""EC2 instance lifecycle in the sandbox, through the unmodified boto3 client over HTTP:
timed transitions, state codes, protection at launch, hibernation, stuck states, reset."""
import re
import time

import pytest
from botocore.exceptions import ClientError

from ec2_harness import harness_for


@pytest.fixture
def ec2(request):
    return harness_for(request)


def _error(excinfo):
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def _change(response, key):
    item = response[key][0]
    return (item["PreviousState"]["Name"], item["PreviousState"]["Code"] & 0xFF,
            item["CurrentState"]["Name"], item["CurrentState"]["Code"] & 0xFF)


def test_launch_is_pending_for_the_configured_time_then_running(ec2):
    ec2.sandbox.ctx.transition_seconds = 0.4
    started = time.monotonic()
    response = ec2.client().run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=2, MaxCount=2)
    ids = [i["InstanceId"] for i in response["Instances"]]
    assert [i["State"] for i in response["Instances"]] == [{"Code": 0, "Name": "pending"}] * 2
    assert set(ec2.states(ids).values()) == {("pending", 0)}
    ec2.wait_for(ids, "running")
    # pending lasted at least the configured time (an upper bound would be a wall-clock limit)
    assert time.monotonic() - started >= 0.4
    assert set(ec2.states(ids).values()) == {("running", 16)}


def test_stop_goes_stopping_then_stopped_with_user_initiated_reason(ec2):
    [iid] = ec2.running()
    started = time.monotonic()  # before the call: load on the machine can only lengthen what is measured
    response = ec2.client().stop_instances(InstanceIds=[iid])
    assert _change(response, "StoppingInstances") == ("running", 16, "stopping", 64)
    assert ec2.state(iid) == ("stopping", 64)
    ec2.wait_for([iid], "stopped")
    assert time.monotonic() - started >= 0.29  # the whole 0.3 s transition lies inside
    instance = ec2.instances([iid])[iid]
    assert instance["State"] == {"Code": 80, "Name": "stopped"}
    assert instance["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    assert re.fullmatch(r"User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)", instance["StateTransitionReason"])


def test_start_goes_pending_then_running(ec2):
    [iid] = ec2.running()
    ec2.client().stop_instances(InstanceIds=[iid])
    ec2.advance()
    response = ec2.client().start_instances(InstanceIds=[iid])
    assert _change(response, "StartingInstances") == ("stopped", 80, "pending", 0)
    assert ec2.state(iid) == ("pending", 0)
    ec2.advance()
    assert ec2.state(iid) == ("running", 16)
    assert ec2.instances([iid])[iid].get("StateTransitionReason", "") == ""


def test_terminate_goes_shutting_down_then_terminated(ec2):
    [iid] = ec2.running()
    response = ec2.client().terminate_instances(InstanceIds=[iid])
    assert _change(response, "TerminatingInstances") == ("running", 16, "shutting-down", 32)
    assert ec2.state(iid) == ("shutting-down", 32)
    ec2.advance()
    assert ec2.state(iid) == ("terminated", 48)
    again = ec2.client().terminate_instances(InstanceIds=[iid])
    assert _change(again, "TerminatingInstances") == ("terminated", 48, "terminated", 48)


def test_transition_time_is_read_when_the_transition_starts(ec2):
    [iid] = ec2.running()
    ec2.sandbox.ctx.transition_seconds = 100
    ec2.client().stop_instances(InstanceIds=[iid])
    ec2.sandbox.ctx.transition_seconds = 0  # does not shorten a transition already under way
    ec2.advance(50)
    assert ec2.state(iid) == ("stopping", 64)
    ec2.advance(50.5)
    assert ec2.state(iid) == ("stopped", 80)
    ec2.client().start_instances(InstanceIds=[iid])  # 0 s: due at the next request
    assert ec2.state(iid) == ("running", 16)


def test_stop_is_idempotent_on_stopping_and_stopped(ec2):
    [iid] = ec2.running()
    client = ec2.client()
    client.stop_instances(InstanceIds=[iid])
    assert _change(client.stop_instances(InstanceIds=[iid]), "StoppingInstances") == ("stopping", 64, "stopping", 64)
    ec2.advance()
    assert _change(client.stop_instances(InstanceIds=[iid]), "StoppingInstances") == ("stopped", 80, "stopped", 80)
    assert ec2.state(iid) == ("stopped", 80)


def test_stop_of_terminated_or_pending_instance_is_incorrect_state(ec2):
    [done] = ec2.running()
    ec2.client().terminate_instances(InstanceIds=[done])
    ec2.advance()
    [fresh] = ec2.launch()
    for iid in (done, fresh):
        with pytest.raises(ClientError) as excinfo:
            ec2.client().stop_instances(InstanceIds=[iid])
        assert _error(excinfo)[:2] == ("IncorrectInstanceState", 400)
    assert ec2.state(fresh) == ("pending", 0)


def test_dry_run_changes_nothing(ec2):
    [iid] = ec2.running()
    for call in ("stop_instances", "terminate_instances", "start_instances"):
        with pytest.raises(ClientError) as excinfo:
            getattr(ec2.client(), call)(InstanceIds=[iid], DryRun=True)
        assert _error(excinfo)[:2] == ("DryRunOperation", 412)
    assert ec2.state(iid) == ("running", 16)


def test_hibernate_only_when_configured_at_launch(ec2):
    [plain] = ec2.running()
    [sleepy] = ec2.running(HibernationOptions={"Configured": True})
    with pytest.raises(ClientError) as excinfo:
        ec2.client().stop_instances(InstanceIds=[plain], Hibernate=True)
    assert _error(excinfo)[:2] == ("UnsupportedHibernationConfiguration", 400)
    # a mixed call fails as a whole
    with pytest.raises(ClientError):
        ec2.client().stop_instances(InstanceIds=[sleepy, plain], Hibernate=True)
    assert ec2.states([plain, sleepy]) == {plain: ("running", 16), sleepy: ("running", 16)}

    response = ec2.client().stop_instances(InstanceIds=[sleepy], Hibernate=True)
    assert _change(response, "StoppingInstances") == ("running", 16, "stopping", 64)
    ec2.advance()
    instance = ec2.instances([sleepy])[sleepy]
    assert instance["State"]["Name"] == "stopped"
    assert instance["StateReason"]["Code"] == "Client.UserInitiatedHibernate"
    assert instance["HibernationOptions"] == {"Configured": True}


def test_force_stop_is_accepted(ec2):
    [iid] = ec2.running()
    response = ec2.client().stop_instances(InstanceIds=[iid], Force=True)
    assert _change(response, "StoppingInstances") == ("running", 16, "stopping", 64)
    ec2.advance()
    assert ec2.state(iid) == ("stopped", 80)


def test_termination_protection_given_at_launch(ec2):
    [guarded, free] = ec2.running(2, DisableApiTermination=True)[:1] + ec2.running()
    client = ec2.client()
    attribute = client.describe_instance_attribute(InstanceId=guarded, Attribute="disableApiTermination")
    assert attribute["DisableApiTermination"] == {"Value": True}
    with pytest.raises(ClientError) as excinfo:
        client.terminate_instances(InstanceIds=[free, guarded])
    code, status, message = _error(excinfo)
    assert (code, status) == ("OperationNotPermitted", 400)
    assert message == (f"The instance '{guarded}' may not be terminated. "
                       "Modify its 'disableApiTermination' instance attribute and try again.")
    assert ec2.states([guarded, free]) == {guarded: ("running", 16), free: ("running", 16)}  # all or nothing

    client.modify_instance_attribute(InstanceId=guarded, DisableApiTermination={"Value": False})
    attribute = client.describe_instance_attribute(InstanceId=guarded, Attribute="disableApiTermination")
    assert attribute["DisableApiTermination"] == {"Value": False}
    client.terminate_instances(InstanceIds=[guarded])
    assert ec2.state(guarded) == ("shutting-down", 32)


def test_protection_can_be_set_after_launch(ec2):
    [iid] = ec2.running()
    client = ec2.client()
    client.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": True})
    with pytest.raises(ClientError) as excinfo:
        client.terminate_instances(InstanceIds=[iid])
    assert _error(excinfo)[0] == "OperationNotPermitted"


def test_stop_protection_given_at_launch(ec2):
    [iid] = ec2.running(DisableApiStop=True)
    client = ec2.client()
    assert client.describe_instance_attribute(InstanceId=iid, Attribute="disableApiStop")["DisableApiStop"] == {"Value": True}
    with pytest.raises(ClientError) as excinfo:
        client.stop_instances(InstanceIds=[iid])
    code, status, message = _error(excinfo)
    assert (code, status) == ("OperationNotPermitted", 400)
    assert "may not be stopped" in message and "disableApiStop" in message
    assert ec2.state(iid) == ("running", 16)
    client.modify_instance_attribute(InstanceId=iid, DisableApiStop={"Value": False})
    client.stop_instances(InstanceIds=[iid])
    assert ec2.state(iid) == ("stopping", 64)
    # stop protection does not prevent termination
    ec2.advance()
    client.terminate_instances(InstanceIds=[iid])


def test_stuck_in_stopping_normal_stop_does_not_move_it(ec2):
    [iid] = ec2.running()
    status, _ = ec2.control("stuck", {"instance_ids": [iid], "state": "stopping"})
    assert status == 200
    ec2.client().stop_instances(InstanceIds=[iid])
    ec2.advance(60)
    assert ec2.state(iid) == ("stopping", 64)
    response = ec2.client().stop_instances(InstanceIds=[iid])
    assert _change(response, "StoppingInstances") == ("stopping", 64, "stopping", 64)
    ec2.advance(60)
    assert ec2.state(iid) == ("stopping", 64)
    # force does not help when the rule says it does not
    ec2.client().stop_instances(InstanceIds=[iid], Force=True)
    ec2.advance(60)
    assert ec2.state(iid) == ("stopping", 64)


def test_stuck_in_stopping_force_moves_it_when_force_works(ec2):
    [iid] = ec2.running()
    ec2.client().stop_instances(InstanceIds=[iid])
    # stuck while already stopping: the transition under way is held too
    status, _ = ec2.control("stuck", {"instance_ids": [iid], "state": "stopping", "force_works": True})
    assert status == 200
    ec2.advance(60)
    assert ec2.state(iid) == ("stopping", 64)
    response = ec2.client().stop_instances(InstanceIds=[iid], Force=True)
    assert _change(response, "StoppingInstances") == ("stopping", 64, "stopping", 64)
    ec2.advance()
    assert ec2.state(iid) == ("stopped", 80)


def test_stuck_for_unknown_instance_is_a_control_error(ec2):
    status, body = ec2.control("stuck", {"instance_ids": ["i-0123456789abcdef0"], "state": "stopping"})
    assert status == 400
    assert "i-0123456789abcdef0" in body["error"]


def test_unknown_instance_ids(ec2):
    [iid] = ec2.running()
    client = ec2.client()
    for call in ("stop_instances", "start_instances", "terminate_instances", "describe_instances"):
        with pytest.raises(ClientError) as excinfo:
            getattr(client, call)(InstanceIds=[iid, "i-0123456789abcdef0"])
        assert _error(excinfo)[:2] == ("InvalidInstanceID.NotFound", 400), call
        with pytest.raises(ClientError) as excinfo:
            getattr(client, call)(InstanceIds=["i-nope"])
        assert _error(excinfo)[:2] == ("InvalidInstanceID.Malformed", 400), call
    assert ec2.state(iid) == ("running", 16)


def test_reset_forgets_instances(ec2):
    ids = ec2.running(3)
    status, _ = ec2.control("reset")
    assert status == 200
    assert ec2.client().describe_instances()["Reservations"] == []
    with pytest.raises(ClientError) as excinfo:
        ec2.client().describe_instances(InstanceIds=ids[:1])
    assert _error(excinfo)[0] == "InvalidInstanceID.NotFound"
    assert [c["action"] for c in ec2.calls()] == ["DescribeInstances", "DescribeInstances"]
    # and the sandbox works as before
    [new] = ec2.launch()
    assert ec2.state(new) == ("pending", 0)


def test_reboot_only_a_running_instance(ec2):
    [up, down] = ec2.running(2)
    ec2.client().stop_instances(InstanceIds=[down])
    ec2.advance()
    ec2.client().reboot_instances(InstanceIds=[up])
    assert ec2.state(up) == ("running", 16)
    with pytest.raises(ClientError) as excinfo:
        ec2.client().reboot_instances(InstanceIds=[down])
    assert _error(excinfo)[:2] == ("IncorrectInstanceState", 400)
    assert ec2.state(down) == ("stopped", 80)


def test_describe_filters_by_state_name(ec2):
    [up, down] = ec2.running(2)
    ec2.client().stop_instances(InstanceIds=[down])
    response = ec2.client().describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["stopping"]}])
    assert [i["InstanceId"] for r in response["Reservations"] for i in r["Instances"]] == [down]
