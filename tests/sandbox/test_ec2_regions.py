"""EC2 regions in the sandbox, through the unmodified boto3 client over HTTP.

moto keeps a backend per region (the region comes from the request's SigV4 credential scope); the
sandbox's additions (timed transitions, stuck rules, health and events, protection at launch, image
failures) must follow the instance's region too. Source: the EC2 API reference, "Regions and Zones"
(resources are tied to a region; an instance id of another region is InvalidInstanceID.NotFound).
"""
import pytest
from botocore.exceptions import ClientError

from ec2_harness import harness_for
from sandbox.fleet import ec2_client, ec2_states, launch_ec2, stop_ec2

HOME, AWAY = "us-east-1", "us-west-2"  # the env's AWS_REGION, and another one


@pytest.fixture
def ec2(request):
    return harness_for(request)


def _error(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_instance_of_one_region_is_not_found_from_another_and_not_stopped(ec2):
    """StopInstances and DescribeInstances sent to us-west-2 with a us-east-1 instance id answer
    InvalidInstanceID.NotFound (EC2 API reference, error codes), and the instance keeps running."""
    [iid] = launch_ec2(ec2.env, 1)
    ec2.advance()
    away = ec2_client(ec2.env, AWAY)
    assert _error(away.stop_instances, InstanceIds=[iid]) == ("InvalidInstanceID.NotFound", 400)
    assert _error(away.describe_instances, InstanceIds=[iid]) == ("InvalidInstanceID.NotFound", 400)
    assert away.describe_instances()["Reservations"] == []
    ec2.advance()
    assert ec2_states(ec2.env, [iid]) == {iid: "running"}
    assert ec2_states(ec2.env, [iid], region=HOME) == {iid: "running"}


def test_sandbox_additions_follow_the_instance_region(ec2):
    """What the sandbox adds around moto follows an instance launched in us-west-2: a stuck rule
    (SANDBOX.md control API) reaches it and holds its stop; health and events show in us-west-2's
    DescribeInstanceStatus (not found from us-east-1); termination protection given at launch is
    honoured there; and an image failure answers for it in its own region only."""
    [held, sick] = launch_ec2(ec2.env, 2, protected=True, region=AWAY)
    ec2.advance()
    away, home = ec2_client(ec2.env, AWAY), ec2_client(ec2.env, HOME)
    assert ec2_states(ec2.env, [held, sick], region=AWAY) == {held: "running", sick: "running"}

    status, body = ec2.control("stuck", {"instance_ids": [held], "state": "stopping"})
    assert status == 200, body
    stop_ec2(ec2.env, [held], region=AWAY)
    ec2.advance()
    assert ec2_states(ec2.env, [held], region=AWAY) == {held: "stopping"}

    assert ec2.control("health", {"instance_id": sick, "status": "impaired"})[0] == 200
    assert ec2.control("events", {"instance_id": sick, "code": "system-reboot",
                                  "not_before": "2030-01-01T00:00:00Z"})[0] == 200
    [row] = away.describe_instance_status(InstanceIds=[sick])["InstanceStatuses"]
    assert row["InstanceStatus"]["Status"] == "impaired"
    assert [e["Code"] for e in row["Events"]] == ["system-reboot"]
    assert _error(home.describe_instance_status, InstanceIds=[sick]) == ("InvalidInstanceID.NotFound", 400)

    assert _error(away.terminate_instances, InstanceIds=[sick]) == ("OperationNotPermitted", 400)
    assert _error(home.terminate_instances, InstanceIds=[sick]) == ("InvalidInstanceID.NotFound", 400)
    assert ec2_states(ec2.env, [sick], region=AWAY) == {sick: "running"}

    assert ec2.control("image_failures", {"instance_ids": [sick]})[0] == 200
    assert _error(home.create_image, InstanceId=sick, Name="far") == ("InvalidInstanceID.NotFound", 400)
    assert _error(away.create_image, InstanceId=sick, Name="far") == ("IncorrectInstanceState", 400)


def test_stuck_rule_for_an_id_no_region_has_is_still_refused(ec2):
    """The control API refuses a stuck rule for an unknown instance (400), whichever regions exist."""
    launch_ec2(ec2.env, 1, region=AWAY)
    status, body = ec2.control("stuck", {"instance_ids": ["i-0123456789abcdef0"], "state": "stopping"})
    assert status == 400 and "i-0123456789abcdef0" in body["error"]
