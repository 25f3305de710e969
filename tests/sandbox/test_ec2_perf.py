"""3000 instances: a batch of 100 ids must stay cheap to describe, stop and terminate.

2900 of the instances are launched in-process (bulk_launch) to keep the suite quick; the
batch calls under test all go over HTTP through boto3.
"""
import time

import pytest

from sandbox.ec2.testing import bulk_launch, harness_for


@pytest.fixture
def ec2(request):
    return harness_for(request)


def _timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def test_batches_of_100_stay_cheap_with_3000_instances(ec2, capsys):
    client = ec2.client()
    bulk_launch(ec2.sandbox.ec2, 1450)
    http_ids, launch = _timed(lambda: ec2.launch(100))
    bulk_launch(ec2.sandbox.ec2, 1450)
    ec2.advance()
    described, describe = _timed(lambda: client.describe_instances(InstanceIds=http_ids))
    assert sum(len(r["Instances"]) for r in described["Reservations"]) == 100
    stopped, stop = _timed(lambda: client.stop_instances(InstanceIds=http_ids))
    assert len(stopped["StoppingInstances"]) == 100
    _, status = _timed(lambda: client.describe_instance_status(InstanceIds=http_ids, IncludeAllInstances=True))
    ec2.advance()
    _, terminate = _timed(lambda: client.terminate_instances(InstanceIds=http_ids))
    _, describe_one = _timed(lambda: client.describe_instances(InstanceIds=http_ids[:1]))
    with capsys.disabled():
        print(f"\n[ec2 perf, 3000 instances] RunInstances(100) {launch * 1000:.0f} ms; per 100 ids: "
              f"DescribeInstances {describe * 1000:.0f} ms, StopInstances {stop * 1000:.0f} ms, "
              f"DescribeInstanceStatus {status * 1000:.0f} ms, TerminateInstances {terminate * 1000:.0f} ms; "
              f"DescribeInstances(1 id) {describe_one * 1000:.0f} ms")
    assert stop < 0.5
    assert terminate < 0.5
    assert describe < 1.5  # moto's serializer: ~3 ms an instance, not a scan
    assert describe_one < 0.2
