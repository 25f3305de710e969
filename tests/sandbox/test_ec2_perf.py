"""3000 instances: batches of 100 ids are described, stopped and terminated correctly.

How fast is for `make bench`; a test asserts no wall-clock limit.

2900 of the instances are launched in-process (bulk_launch) to keep the suite quick; the
batch calls under test all go over HTTP through boto3.
"""
import pytest

from ec2_harness import bulk_launch, harness_for


@pytest.fixture
def ec2(request):
    return harness_for(request)


def test_batches_of_100_are_right_with_3000_instances(ec2):
    client = ec2.client()
    bulk_launch(ec2.sandbox.ec2, 1450)
    http_ids = ec2.launch(100)
    bulk_launch(ec2.sandbox.ec2, 1450)
    ec2.advance()
    described = client.describe_instances(InstanceIds=http_ids)
    assert sorted(i["InstanceId"] for r in described["Reservations"] for i in r["Instances"]) == sorted(http_ids)
    stopped = client.stop_instances(InstanceIds=http_ids)
    assert {i["CurrentState"]["Name"] for i in stopped["StoppingInstances"]} == {"stopping"}
    assert len(stopped["StoppingInstances"]) == 100
    status = client.describe_instance_status(InstanceIds=http_ids, IncludeAllInstances=True)
    assert len(status["InstanceStatuses"]) == 100
    ec2.advance()
    terminated = client.terminate_instances(InstanceIds=http_ids)
    assert {i["PreviousState"]["Name"] for i in terminated["TerminatingInstances"]} == {"stopped"}
    one = client.describe_instances(InstanceIds=http_ids[:1])
    assert [i["InstanceId"] for r in one["Reservations"] for i in r["Instances"]] == http_ids[:1]
