"""The EC2 side answers as documented AWS EC2 does, through the unmodified boto3 client over HTTP.

Each test names its source: the EC2 API reference (the same text is the documentation in botocore's
service-2.json), botocore's waiters-2.json, or EC2's own answers quoted in public issue threads.
"""
import random

import pytest
from botocore.exceptions import ClientError

from ec2_harness import IMAGE, harness_for

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


# --- 1. TerminateInstances and termination protection across Availability Zones -------------------

def test_terminate_spares_only_the_zone_of_a_protected_instance(ec2):
    """The TerminateInstances API reference's own example: A, B in us-east-1a (not protected), C in
    us-east-1b (protected), D in us-east-1b (not protected): "the request reports failure" - A and B
    "are successfully terminated", C and D "fail to terminate because at least one of the specified
    instances in us-east-1b (Instance C) is enabled for termination protection". E is launched into
    us-east-1c's default subnet (SubnetId, the other way to pick a zone) and is terminated too."""
    a, b = ec2.launch(2, Placement={"AvailabilityZone": "us-east-1a"})
    [c] = ec2.launch(1, Placement={"AvailabilityZone": "us-east-1b"}, DisableApiTermination=True)
    [d] = ec2.launch(1, Placement={"AvailabilityZone": "us-east-1b"})
    [e] = ec2.launch(1, SubnetId=_default_subnet(ec2, "us-east-1c"))
    ec2.advance()
    assert _zones(ec2, [a, b, c, d, e]) == {a: "us-east-1a", b: "us-east-1a", c: "us-east-1b", d: "us-east-1b",
                                            e: "us-east-1c"}

    with pytest.raises(ClientError) as excinfo:
        ec2.client().terminate_instances(InstanceIds=[a, b, c, d, e])
    assert _error(excinfo) == ("OperationNotPermitted", 400, _protection_message(c))
    assert ec2.states([a, b, c, d, e]) == {a: ("shutting-down", 32), b: ("shutting-down", 32), e: ("shutting-down", 32),
                                           c: ("running", 16), d: ("running", 16)}
    ec2.advance()
    assert ec2.states([a, b, c, d, e]) == {a: ("terminated", 48), b: ("terminated", 48), e: ("terminated", 48),
                                           c: ("running", 16), d: ("running", 16)}
    [call] = ec2.calls("TerminateInstances")
    assert (call["status"], call["error_code"]) == (400, "OperationNotPermitted")


def test_terminate_with_protected_instances_in_two_zones_names_them_and_spares_both(ec2):
    """Same rule (TerminateInstances API reference), two protected zones: the zone without a protected
    instance is terminated; the answer names every protected instance and says disableApiTermination
    (the collection recognises the refusal by that word)."""
    [guard_a, other_a] = ec2.launch(2, Placement={"AvailabilityZone": "us-east-1a"})
    [guard_b] = ec2.launch(1, Placement={"AvailabilityZone": "us-east-1b"}, DisableApiTermination=True)
    [free_c] = ec2.launch(1, Placement={"AvailabilityZone": "us-east-1c"})
    ec2.advance()
    ec2.client().modify_instance_attribute(InstanceId=guard_a, DisableApiTermination={"Value": True})

    with pytest.raises(ClientError) as excinfo:
        ec2.client().terminate_instances(InstanceIds=[free_c, guard_b, other_a, guard_a])
    code, status, message = _error(excinfo)
    assert (code, status) == ("OperationNotPermitted", 400)
    assert f"'{guard_b}'" in message and f"'{guard_a}'" in message and "disableApiTermination" in message
    assert ec2.states([guard_a, other_a, guard_b, free_c]) == {
        guard_a: ("running", 16), other_a: ("running", 16), guard_b: ("running", 16), free_c: ("shutting-down", 32)}


def test_terminate_with_an_unknown_id_terminates_nothing_in_any_zone(ec2):
    """TerminateInstances API reference: "If you specify multiple instances and the request fails (for
    example, because of a single incorrect instance ID), none of the instances are terminated" - in
    every zone, protected instance or not."""
    ids = [ec2.launch(1, Placement={"AvailabilityZone": zone})[0] for zone in ZONES]
    [guarded] = ec2.launch(1, Placement={"AvailabilityZone": "us-east-1a"}, DisableApiTermination=True)
    ec2.advance()
    unknown = "i-0123456789abcdef0"
    for request in (ids + [unknown], ids + [guarded, unknown]):
        with pytest.raises(ClientError) as excinfo:
            ec2.client().terminate_instances(InstanceIds=request)
        code, status, message = _error(excinfo)
        assert (code, status) == ("InvalidInstanceID.NotFound", 400) and unknown in message
    assert set(ec2.states(ids + [guarded]).values()) == {("running", 16)}


def test_terminate_within_one_zone_stays_all_or_nothing(ec2):
    """All in the protected instance's zone: "The specified instances that are in the same Availability
    Zone as the protected instance are not terminated" (TerminateInstances API reference)."""
    [guarded] = ec2.launch(1, Placement={"AvailabilityZone": "us-east-1b"}, DisableApiTermination=True)
    free = ec2.launch(3, Placement={"AvailabilityZone": "us-east-1b"})
    ec2.advance()
    with pytest.raises(ClientError) as excinfo:
        ec2.client().terminate_instances(InstanceIds=free + [guarded])
    assert _error(excinfo) == ("OperationNotPermitted", 400, _protection_message(guarded))
    assert set(ec2.states(free + [guarded]).values()) == {("running", 16)}


def test_fleet_launch_ec2_zone_keyword(ec2):
    """sandbox.fleet.launch_ec2(zone=...) launches into that Availability Zone (RunInstances
    Placement.AvailabilityZone); without it the sandbox uses the region's first zone."""
    from sandbox.fleet import launch_ec2

    placed = launch_ec2(ec2.env, 2, zone="us-east-1c")
    default = launch_ec2(ec2.env, 1)
    assert _zones(ec2, placed + default) == {placed[0]: "us-east-1c", placed[1]: "us-east-1c",
                                             default[0]: "us-east-1a"}


# --- 2. status checks initializing after an instance reaches running ------------------------------

def _checks(ec2, instance_id):
    response = ec2.client().describe_instance_status(InstanceIds=[instance_id], IncludeAllInstances=True)
    [row] = response["InstanceStatuses"]
    return row["InstanceStatus"], row["SystemStatus"]


def _summary(ec2, instance_id):
    instance, system = _checks(ec2, instance_id)
    return instance["Status"], system["Status"]


def test_status_checks_initialize_after_launch_start_and_reboot(ec2, monkeypatch):
    """DescribeInstanceStatus (InstanceStatusSummary.Status: ok | impaired | insufficient-data |
    not-applicable | initializing; InstanceStatusDetails.Status: passed | failed | insufficient-data |
    initializing - botocore's service-2.json): checks read initializing for a while after the instance
    reaches running - after a launch, a start, a reboot - then ok (what botocore's instance_status_ok
    waiter polls for). The while is ctx.status_check_seconds (serve --status-check-seconds)."""
    monkeypatch.setattr(ec2.sandbox.ctx, "status_check_seconds", 60.0)
    # transitions of 5 s, moved on by the sandbox clock: a busy machine must not finish one between two calls
    monkeypatch.setattr(ec2.sandbox.ctx, "transition_seconds", 5.0)
    [iid] = ec2.launch()
    assert _summary(ec2, iid) == ("not-applicable", "not-applicable")  # pending
    ec2.advance()
    instance, system = _checks(ec2, iid)
    assert instance == {"Status": "initializing", "Details": [{"Name": "reachability", "Status": "initializing"}]}
    assert system == {"Status": "initializing", "Details": [{"Name": "reachability", "Status": "initializing"}]}
    ec2.advance(59)
    assert _summary(ec2, iid) == ("initializing", "initializing")
    ec2.advance(2)
    instance, _ = _checks(ec2, iid)
    assert instance == {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}

    ec2.client().stop_instances(InstanceIds=[iid])
    ec2.advance()
    assert _summary(ec2, iid) == ("not-applicable", "not-applicable")
    ec2.client().start_instances(InstanceIds=[iid])
    ec2.advance()
    assert _summary(ec2, iid) == ("initializing", "initializing")
    ec2.advance(61)
    assert _summary(ec2, iid) == ("ok", "ok")

    ec2.client().reboot_instances(InstanceIds=[iid])
    assert ec2.state(iid) == ("running", 16)
    assert _summary(ec2, iid) == ("initializing", "initializing")
    ec2.advance(61)
    assert _summary(ec2, iid) == ("ok", "ok")


def test_status_check_time_counts_from_reaching_running(ec2, monkeypatch):
    """The initializing time runs from the moment the instance reached running (a long clock jump over
    the pending state does not restart it), and is read then: changing the setting later does not
    move a check already under way (as --transition-seconds, SANDBOX.md)."""
    monkeypatch.setattr(ec2.sandbox.ctx, "status_check_seconds", 30.0)
    [iid] = ec2.launch()
    ec2.advance(ec2.sandbox.ctx.transition_seconds + 31)  # running since ~31 s ago
    assert _summary(ec2, iid) == ("ok", "ok")
    [other] = ec2.launch()
    ec2.advance()
    ec2.sandbox.ctx.status_check_seconds = 0.0
    assert _summary(ec2, other) == ("initializing", "initializing")
    ec2.advance(31)
    assert _summary(ec2, other) == ("ok", "ok")


def test_health_override_wins_over_initializing(ec2, monkeypatch):
    """POST /_sandbox/health (SANDBOX.md control API) reports impaired whatever the checks' timer says."""
    monkeypatch.setattr(ec2.sandbox.ctx, "status_check_seconds", 300.0)
    [sick, fresh] = ec2.running(2)
    assert ec2.control("health", {"instance_id": sick, "status": "impaired"})[0] == 200
    assert _summary(ec2, sick) == ("impaired", "impaired")
    assert _summary(ec2, fresh) == ("initializing", "initializing")


def test_status_checks_read_ok_at_once_by_default(ec2):
    """The default (0 s) keeps every suite quick: running means ok, as before."""
    assert ec2.sandbox.ctx.status_check_seconds == 0.0
    [iid] = ec2.running()
    assert _summary(ec2, iid) == ("ok", "ok")


def test_serve_status_check_seconds_flag(tmp_path):
    """`python -m sandbox serve --status-check-seconds S` sets the initializing time; a negative one is
    refused (exit 2), as --transition-seconds is."""
    import os
    import subprocess
    import sys
    import time

    import boto3

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    command = [sys.executable, "-m", "sandbox", "serve", "--ec2-port", "0", "--ecs-port", "0",
               "--transition-seconds", "0", "--env-file", str(tmp_path / "env")]
    refused = subprocess.run(command + ["--status-check-seconds", "-1"], cwd=root, capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 2 and "--status-check-seconds" in refused.stderr
    process = subprocess.Popen(command + ["--status-check-seconds", "600"], cwd=root, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "env").exists():
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        env = dict(line.rstrip("\n").split("=", 1) for line in open(tmp_path / "env"))
        client = boto3.client("ec2", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                              aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
        [instance] = client.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"]
        client.get_waiter("instance_running").wait(InstanceIds=[instance["InstanceId"]],
                                                   WaiterConfig={"Delay": 0.05, "MaxAttempts": 100})
        [row] = client.describe_instance_status(InstanceIds=[instance["InstanceId"]])["InstanceStatuses"]
        assert (row["InstanceStatus"]["Status"], row["SystemStatus"]["Status"]) == ("initializing", "initializing")
    finally:
        process.terminate()
        process.wait(15)


# --- 3. the hibernation refusal -------------------------------------------------------------------

def test_hibernation_refusal_ends_with_the_instance_id(ec2):
    """StopInstances Hibernate=true on an instance launched without hibernation: EC2 answers
    UnsupportedHibernationConfiguration "The instance can't be hibernated because it was not configured
    at launch for hibernation: i-..." (a real answer, quoted in aws-solutions/instance-scheduler-on-aws
    issue #510), and the instance keeps running."""
    [iid] = ec2.running()
    with pytest.raises(ClientError) as excinfo:
        ec2.client().stop_instances(InstanceIds=[iid], Hibernate=True)
    assert _error(excinfo) == (
        "UnsupportedHibernationConfiguration", 400,
        f"The instance can't be hibernated because it was not configured at launch for hibernation: {iid}")
    assert ec2.state(iid) == ("running", 16)


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
    from sandbox.ec2.models.health import status_views

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
