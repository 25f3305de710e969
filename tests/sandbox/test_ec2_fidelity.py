"""The EC2 side answers as documented AWS EC2 does, through the unmodified boto3 client over HTTP.

Each test names its source: the EC2 API reference (the same text is the documentation in botocore's
service-2.json), botocore's waiters-2.json, or EC2's own answers quoted in public issue threads.
"""
import random

import pytest
from botocore.exceptions import ClientError

from sandbox.ec2.testing import IMAGE, harness_for

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


@pytest.fixture
def ec2(request):
    return harness_for(request)


def _error(excinfo):
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def _zones(ec2, ids):
    return {i: inst["Placement"]["AvailabilityZone"] for i, inst in ec2.instances(ids).items()}


def _default_subnet(ec2, zone):
    [subnet] = ec2.client().describe_subnets(
        Filters=[{"Name": "availability-zone", "Values": [zone]}, {"Name": "default-for-az", "Values": ["true"]}],
    )["Subnets"]
    return subnet["SubnetId"]


def _protection_message(instance_id):
    return (f"The instance '{instance_id}' may not be terminated. "
            "Modify its 'disableApiTermination' instance attribute and try again.")


# --- 4. the instance answers: moto's XML, byte for byte, at a flat cost --------------------------

def _varied_fleet(ec2):
    """Instances that differ in every way the instance answers show."""
    client = ec2.client()
    vpc = client.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24",
                                  AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
    group = client.create_security_group(GroupName="web & <api>", Description="quoted \"text\"", VpcId=vpc)["GroupId"]
    client.create_key_pair(KeyName="deploy")
    ids = ec2.launch(2, TagSpecifications=[{"ResourceType": "instance", "Tags": [
        {"Key": "Name", "Value": "a & b <c>"}, {"Key": "team", "Value": ""}]}])
    ids += ec2.launch(1, Placement={"AvailabilityZone": "us-east-1b"}, DisableApiTermination=True,
                      HibernationOptions={"Configured": True}, DisableApiStop=True, KeyName="deploy",
                      UserData="echo hi", Monitoring={"Enabled": True}, EbsOptimized=True,
                      MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
                      BlockDeviceMappings=[{"DeviceName": "/dev/sdf",
                                            "Ebs": {"VolumeSize": 20, "DeleteOnTermination": False}}])
    ids += ec2.launch(1, ImageId="ami-b7e93bce", SubnetId=subnet, SecurityGroupIds=[group],
                      PrivateIpAddress="10.20.1.17")
    ids += ec2.launch(2, SubnetId=_default_subnet(ec2, "us-east-1c"))
    ec2.advance()
    client.stop_instances(InstanceIds=ids[:1])
    client.terminate_instances(InstanceIds=ids[-1:])
    ec2.advance()
    client.start_instances(InstanceIds=ids[:1])  # pending again
    return ids


def _moto_body(ec2, operation, result):
    """What moto 5.2.5's own EC2 serializer writes for `result` (the sandbox's is left out)."""
    from moto.core import serialize
    from moto.core.utils import get_service_model
    from moto.ec2.responses._base_response import EC2BaseResponse

    from sandbox.ec2 import moto_app, serializer

    model = get_service_model("ec2").operation_model(operation)

    def body(cls):
        picker = serialize.XFormedAttributePicker(
            response_transformers=EC2BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER)
        return cls(operation_model=model, value_picker=picker).serialize(result)["body"]

    with moto_app.MOTO_LOCK:
        return body(serialize.EC2Serializer), body(serializer.FastEC2Serializer)


def test_instance_answers_are_moto_bytes(ec2):
    """The sandbox writes DescribeInstances / RunInstances / DescribeInstanceStatus itself (moto's
    generic serializer cost ~0.2 s per 100 instances) - the same bytes as moto's serializer, for
    instances that differ in zone, subnet, VPC, groups, tags (with XML's special characters), key,
    protection, hibernation, monitoring, metadata options, volumes, platform and state; and over HTTP
    the answer is those bytes with the request id filled in."""
    from sandbox.ec2.health import status_views

    ids = _varied_fleet(ec2)
    lifecycle = ec2.sandbox.ec2.lifecycle()
    reservations = lifecycle.reservations_for(ids)
    moto, fast = _moto_body(ec2, "DescribeInstances", {"Reservations": reservations, "NextToken": None})
    assert fast == moto
    assert "a &amp; b &lt;c&gt;" in fast and "<key>team</key><value/>" in fast
    for reservation in reservations:
        moto, fast = _moto_body(ec2, "RunInstances", reservation)
        assert fast == moto
    ec2.control("events", {"instance_id": ids[1], "code": "system-reboot", "not_before": "2030-01-01T00:00:00Z"})
    ec2.control("health", {"instance_id": ids[2], "status": "impaired"})
    views = status_views([lifecycle.index[i] for i in ids], ec2.sandbox.ec2.overrides, ec2.sandbox.ctx.clock.now())
    moto, fast = _moto_body(ec2, "DescribeInstanceStatus", {"InstanceStatuses": views})
    assert fast == moto

    query = "&".join(f"InstanceId.{n}={i}" for n, i in enumerate(ids, 1))
    status, wire_body = ec2.raw(f"Action=DescribeInstances&Version=2016-11-15&{query}".encode())
    assert status == 200
    moto, _ = _moto_body(ec2, "DescribeInstances", {"Reservations": lifecycle.reservations_for(ids), "NextToken": None})
    head, _, rest = wire_body.decode().partition("<requestId>")
    request_id, _, tail = rest.partition("</requestId>")
    assert len(request_id) == 36 and head + "<requestId>request-id</requestId>" + tail == moto


def test_10000_instances_launched_in_batches_describe_right(ec2):
    """10,000 instances launched over HTTP in 100 RunInstances of 100 (across us-east-1a/b/c: moto's
    default subnet of a zone has ~4,000 addresses) are all there, in their zones, and DescribeInstances
    of 100 ids answers exactly those, one launch or scattered; the call log counts every call. How fast
    (flat with the region's size) is bench/sandbox_speed.py's measurement: no wall-clock limit here."""
    client = ec2.client()
    batches = []
    for n in range(100):
        zone = ZONES[n % 3]
        response = client.run_instances(ImageId=IMAGE, InstanceType="t3.micro", MinCount=100, MaxCount=100,
                                        Placement={"AvailabilityZone": zone},
                                        TagSpecifications=[{"ResourceType": "instance",
                                                            "Tags": [{"Key": "batch", "Value": str(n)}]}])
        batch = [i["InstanceId"] for i in response["Instances"]]
        assert len(batch) == 100 and {i["Placement"]["AvailabilityZone"] for i in response["Instances"]} == {zone}
        batches.append(batch)
    everything = [i for batch in batches for i in batch]
    assert len(set(everything)) == 10000
    ec2.advance()

    rng = random.Random(7)
    picks = [(n, batches[n]) for n in (0, 1, 2, 49, 98, 99)] + [(None, rng.sample(everything, 100)) for _ in range(4)]
    zone_of = {i: ZONES[n % 3] for n, batch in enumerate(batches) for i in batch}
    for n, wanted in picks:
        answer = client.describe_instances(InstanceIds=wanted)
        got = {i["InstanceId"]: i for r in answer["Reservations"] for i in r["Instances"]}
        assert sorted(got) == sorted(wanted)
        assert {i: g["Placement"]["AvailabilityZone"] for i, g in got.items()} == {i: zone_of[i] for i in wanted}
        assert {g["State"]["Name"] for g in got.values()} == {"running"}
        if n is not None:
            assert len(answer["Reservations"]) == 1
            assert {t["Value"] for g in got.values() for t in g["Tags"]} == {str(n)}
    counts = {}
    for call in ec2.calls():
        counts[(call["action"], call["status"])] = counts.get((call["action"], call["status"]), 0) + 1
    assert counts == {("RunInstances", 200): 100, ("DescribeInstances", 200): len(picks)}
