"""Injected faults on chosen instances (`POST /_sandbox/faults` with "instance_ids"), through the unmodified
SDKs over HTTP: boto3 for EC2, alibabacloud_ecs20140526 for ECS. A fault with instance_ids applies only to
the calls that name one of its instances, as the clouds refuse a call for the instances they cannot serve:
EC2 fails such a call as a whole, an ECS batch call with BatchOptimization=SuccessFirst answers those
instances alone in its InstanceResponses. Each test's docstring names its source.
"""
import json
import re
import urllib.request

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from botocore.exceptions import ClientError

from ec2_harness import INSTANCE_TYPE, harness_for
from sandbox.fleet import launch_ecs
from sandboxtest import control_status

R = "cn-hangzhou"
NO_STOCK = ("OperationDenied.NoStock", 403,
            "The requested resource is sold out in the specified zone; try other types of resources or other "
            "regions and zones.")
QUOTA = ("QuotaExceed.ElasticQuota", 403, "No additional quota is available for the specified ECS instance type.")


# fixtures `box`, `env`, `ecs`: tests/sandbox/conftest.py

@pytest.fixture
def ec2(request):
    return harness_for(request)


def fault(url, **spec):
    status, body = control_status(url, "faults", spec)
    assert status == 200, body
    return body["fault"]


def ecs_calls(box, action):
    with urllib.request.urlopen(f"{box.ecs_url}/_sandbox/calls", timeout=10) as response:
        return [c for c in json.loads(response.read()) if c["action"] == action]


def advance(box, seconds):
    assert control_status(box.ecs_url, "clock", {"advance_seconds": seconds})[0] == 200


def ecs_statuses(ecs, ids):
    body = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids),
                                                             page_size=100)).body
    return {i.instance_id: i.status for i in body.instances.instance}


def ecs_stopped(box, env, ecs, count, mode="StopCharging"):
    """`count` ECS instances launched, brought to Running and stopped (economical mode by default) on the clock."""
    ids = launch_ecs(env, count)
    advance(box, 2 * box.ctx.transition_seconds + 0.1)
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids, stopped_mode=mode))
    advance(box, box.ctx.transition_seconds + 0.1)
    assert set(ecs_statuses(ecs, ids).values()) == {"Stopped"}
    return ids


def ecs_error(fn, *args):
    with pytest.raises(ClientException) as info:
        fn(*args)
    return info.value


def ec2_stopped(ec2, count):
    ids = ec2.running(count)
    ec2.client().stop_instances(InstanceIds=ids)
    ec2.advance()
    assert set(ec2.states(ids).values()) == {("stopped", 80)}
    return ids


def ec2_error(fn, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(**kwargs)
    return info.value.response


# ---- EC2 --------------------------------------------------------------------------------------------------

def test_ec2_start_naming_a_faulted_id_fails_whole_and_the_others_start_without_it(ec2):
    """"You get the InsufficientInstanceCapacity error when you try to launch a new instance or restart a stopped
    instance" (EC2 User Guide, Troubleshooting instance launch issues, awsdocs/amazon-ec2-user-guide
    doc_source/troubleshooting-launch.md); the EC2 API reference's error codes list InsufficientInstanceCapacity
    among the server errors (5xx). StartInstances has no per-instance error in its answer (botocore's EC2 model:
    StartInstancesResult is StartingInstances alone), so the call fails as a whole and starts none. The message
    is EC2's, with the instance's type and zone ("We currently do not have sufficient <instance type> capacity in
    the Availability Zone you requested (<requested Availability Zone>). ... or choosing <list of Availability
    Zones ...>.", EC2 Auto Scaling User Guide, doc_source/ts-as-capacity.md). A start without that id is served."""
    ids = ec2_stopped(ec2, 4)
    shown = fault(ec2.url, action="StartInstances", code="InsufficientInstanceCapacity", http_status=500,
                  count=5, instance_ids=[ids[1]])
    assert shown["instance_ids"] == [ids[1]] and shown["count"] == 5
    client = ec2.client()
    error = ec2_error(client.start_instances, InstanceIds=ids)
    zones = [z["ZoneName"] for z in client.describe_availability_zones()["AvailabilityZones"]]
    [instance] = ec2.instances([ids[1]]).values()
    zone = instance["Placement"]["AvailabilityZone"]
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("InsufficientInstanceCapacity", 500)
    assert error["Error"]["Message"] == (
        f"We currently do not have sufficient {INSTANCE_TYPE} capacity in the Availability Zone you requested "
        f"({zone}). Our system will be working on provisioning additional capacity. You can currently get "
        f"{INSTANCE_TYPE} capacity by not specifying an Availability Zone in your request or choosing "
        f"{', '.join(z for z in zones if z != zone)}.")
    # EC2's XML error format, for a hand-made call that names the id too
    status, body = ec2.raw(f"Action=StartInstances&Version=2016-11-15&InstanceId.1={ids[1]}".encode())
    assert status == 500
    assert re.fullmatch(rb'<\?xml version="1.0" encoding="UTF-8"\?><Response><Errors><Error>'
                        rb"<Code>InsufficientInstanceCapacity</Code><Message>We currently do not have sufficient "
                        rb"[^<]+</Message></Error></Errors><RequestID>[0-9a-f-]{36}</RequestID></Response>", body), body
    ec2.advance()
    assert set(ec2.states(ids).values()) == {("stopped", 80)}  # nothing started
    others = [ids[0], ids[2], ids[3]]
    started = client.start_instances(InstanceIds=others)["StartingInstances"]
    assert [(s["InstanceId"], s["CurrentState"]["Name"]) for s in started] == [(i, "pending") for i in others]
    ec2.advance()
    assert ec2.states(ids) == {**{i: ("running", 16) for i in others}, ids[1]: ("stopped", 80)}
    assert [(c["status"], c["error_code"]) for c in ec2.calls("StartInstances")] == \
        [(500, "InsufficientInstanceCapacity")] * 2 + [(200, None)]


def test_ec2_count_is_spent_only_by_the_calls_naming_the_ids(ec2):
    """The fault's count is for the calls it applies to: a call that names none of its ids (by InstanceId.N, an
    instance-id filter value, or not at all) is served and leaves the count alone; one that names an id spends one,
    whatever else it names. Any action ("*") names instances the same way (botocore's EC2 model:
    DescribeInstancesRequest InstanceIds / Filters). A fault with a message of its own answers that message."""
    ids = ec2.running(3)
    client = ec2.client()
    fault(ec2.url, action="*", code="Unavailable", http_status=503, count=2, instance_ids=[ids[0]],
          message="The server is overloaded and can't handle the request.")
    for _ in range(3):
        client.describe_instances(InstanceIds=ids[1:])
        client.describe_instances()
        client.describe_instance_status(InstanceIds=[ids[2]])
    error = ec2_error(client.describe_instances, InstanceIds=[ids[1], ids[0]])
    assert (error["Error"]["Code"], error["Error"]["Message"]) == \
        ("Unavailable", "The server is overloaded and can't handle the request.")
    error = ec2_error(client.describe_instances, Filters=[{"Name": "instance-id", "Values": [ids[0]]}])
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
    client.describe_instances(InstanceIds=[ids[0]])  # spent
    assert client.stop_instances(InstanceIds=[ids[0]])["StoppingInstances"][0]["InstanceId"] == ids[0]
    assert [c["error_code"] for c in ec2.calls("DescribeInstances")] == [None] * 6 + ["Unavailable"] * 2 + [None]


def test_ec2_a_seeded_rate_fault_on_instances_draws_only_on_the_calls_naming_them(ec2):
    """A rate fault with instance_ids draws for the calls it applies to alone: the calls naming none of its ids in
    between do not change which of the naming calls fail (seeded, as a seeded rate fault is repeatable)."""
    ids = ec2.running(2)
    client = ec2.client()

    def pattern(interleave):
        assert control_status(ec2.url, "faults/clear", {})[0] == 200
        fault(ec2.url, action="DescribeInstances", code="RequestLimitExceeded", http_status=503, rate=0.5, seed=3,
              instance_ids=[ids[0]])
        failed = []
        for _ in range(12):
            for _ in range(interleave):
                client.describe_instances(InstanceIds=[ids[1]])
            try:
                client.describe_instances(InstanceIds=[ids[0]])
                failed.append(False)
            except ClientError:
                failed.append(True)
        return failed

    first = pattern(0)
    assert any(first) and not all(first)
    assert pattern(3) == first


# ---- ECS --------------------------------------------------------------------------------------------------

def test_ecs_success_first_start_answers_the_faulted_three_and_starts_the_seven(box, env, ecs):
    """StartInstances with BatchOptimization=SuccessFirst: "In this pattern, each instance is started separately.
    The response contains the operation result for each instance" (the SDK's StartInstancesRequest docstring).
    The three named instances get the fault's code in their InstanceResponse with empty statuses, as the
    StartInstances reference's sample answers an instance it does not start; OperationDenied.NoStock (403) and
    its message are StartInstances' and StartInstance's error table entry for a zone out of stock. The instances
    were stopped with StoppedMode=StopCharging: "ECS instances stopped in economical mode may fail to be started
    due to insufficient resources" (StartInstances reference, Precautions). The call itself succeeds (200)."""
    ids = ecs_stopped(box, env, ecs, 10)
    faulted = [ids[2], ids[5], ids[9]]
    fault(box.ecs_url, action="StartInstances", code="OperationDenied.NoStock", http_status=403, count=1,
          instance_ids=faulted)
    body = ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=ids,
                                                       batch_optimization="SuccessFirst")).body
    rows = [(r.instance_id, r.code, r.message, r.previous_status, r.current_status)
            for r in body.instance_responses.instance_response]
    assert rows == [(i, NO_STOCK[0], NO_STOCK[2], "", "") if i in faulted else (i, "200", "success", "Stopped",
                                                                                   "Starting") for i in ids]
    advance(box, box.ctx.transition_seconds + 0.1)
    assert ecs_statuses(ecs, ids) == {i: "Stopped" if i in faulted else "Running" for i in ids}
    assert [(c["status"], c["error_code"]) for c in ecs_calls(box, "StartInstances")] == [(200, None)]
    # count 1 is spent by that one call: the three start now
    body = ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=faulted,
                                                       batch_optimization="SuccessFirst")).body
    assert [r.code for r in body.instance_responses.instance_response] == ["200"] * 3


def test_ecs_all_together_fails_whole_and_starts_none(box, env, ecs):
    """StartInstances with AllTogether (the default): "if all instances are started, a success message is
    returned. If any instance fails validation, all instances fail to start and a failed message is returned"
    (StartInstancesRequest docstring): the fault's code and HTTP status in ECS's error format ({"RequestId",
    "HostId", "Code", "Message", "Recommend"}), nothing started. The singular StartInstance fails when it names a
    faulted id and is served otherwise; QuotaExceed.ElasticQuota (403) is another code StartInstance's error table
    gives for a start ("No additional quota is available for the specified ECS instance type.")."""
    ids = ecs_stopped(box, env, ecs, 10, mode="KeepCharging")
    faulted = ids[:3]
    fault(box.ecs_url, action="StartInstances", code=NO_STOCK[0], http_status=NO_STOCK[1], count=3,
          instance_ids=faulted)
    for request in (m.StartInstancesRequest(region_id=R, instance_id=ids),
                    m.StartInstancesRequest(region_id=R, instance_id=ids[2:], batch_optimization="AllTogether")):
        err = ecs_error(ecs.start_instances, request)
        assert (err.code, err.status_code, err.data["Message"]) == NO_STOCK
        assert set(err.data) == {"RequestId", "HostId", "Code", "Message", "Recommend", "statusCode"}
    advance(box, box.ctx.transition_seconds + 0.1)
    assert set(ecs_statuses(ecs, ids).values()) == {"Stopped"}
    fault(box.ecs_url, action="StartInstance", code=QUOTA[0], http_status=QUOTA[1], count=1, instance_ids=[ids[0]])
    err = ecs_error(ecs.start_instance, m.StartInstanceRequest(instance_id=ids[0]))
    assert (err.code, err.status_code, err.data["Message"]) == QUOTA
    ecs.start_instance(m.StartInstanceRequest(instance_id=ids[3]))
    # the StartInstances fault has one use left: a call without its ids is served, one with them is not
    ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=ids[4:]))
    assert ecs_error(ecs.start_instances, m.StartInstancesRequest(region_id=R, instance_id=ids[:1])).code == NO_STOCK[0]
    ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=ids[:3]))
    advance(box, box.ctx.transition_seconds + 0.1)
    assert set(ecs_statuses(ecs, ids).values()) == {"Running"}


def test_ecs_count_is_spent_only_by_the_calls_a_fault_applies_to(box, env, ecs):
    """A fault's count goes to the calls it applies to, one per call: a SuccessFirst start naming none of its ids
    leaves it; a SuccessFirst dry run answers only DRYRUN.SUCCESS ("If the BatchOptimization parameter is set to
    SuccessFirst, the dry run with DryRun=true returns only DRYRUN.SUCCESS", StartInstancesRequest docstring) and
    leaves it too. Two faults on different instances answer each its own in one SuccessFirst call; a fault without
    instance_ids still fails the whole call first. StopInstances and RebootInstances answer per instance alike
    (their SDK request docstrings: SuccessFirst "Each operation in the batch is executed independently")."""
    ids = ecs_stopped(box, env, ecs, 4)
    a, b, c, d = ids
    fault(box.ecs_url, action="StartInstances", code=NO_STOCK[0], http_status=NO_STOCK[1], count=1, instance_ids=[a])
    fault(box.ecs_url, action="StartInstances", code=QUOTA[0], http_status=QUOTA[1], count=1, instance_ids=[b, a])

    def start(*chosen, **kw):
        body = ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=list(chosen),
                                                           batch_optimization="SuccessFirst", **kw)).body
        return {r.instance_id: r.code for r in body.instance_responses.instance_response}

    assert start(c) == {c: "200"}
    err = ecs_error(ecs.start_instances, m.StartInstancesRequest(region_id=R, instance_id=[a, b], dry_run=True,
                                                                 batch_optimization="SuccessFirst"))
    assert err.code == "DRYRUN.SUCCESS"
    # a is NoStock's (the first fault added that names it), b QuotaExceed's; d starts; both faults are spent
    assert start(a, b, d) == {a: NO_STOCK[0], b: QUOTA[0], d: "200"}
    assert start(a, b) == {a: "200", b: "200"}
    advance(box, box.ctx.transition_seconds + 0.1)
    assert set(ecs_statuses(ecs, ids).values()) == {"Running"}
    # per instance on StopInstances / RebootInstances; a fault without instance_ids comes first and fails whole
    fault(box.ecs_url, action="*", code=NO_STOCK[0], http_status=NO_STOCK[1], count=2, instance_ids=[d])
    body = ecs.reboot_instances(m.RebootInstancesRequest(region_id=R, instance_id=[c, d],
                                                         batch_optimization="SuccessFirst")).body
    assert [(r.instance_id, r.code) for r in body.instance_responses.instance_response] == [(c, "200"), (d, NO_STOCK[0])]
    fault(box.ecs_url, action="StopInstances", code="Throttling", http_status=400, count=1)
    err = ecs_error(ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=[a, d],
                                                               batch_optimization="SuccessFirst"))
    assert err.code == "Throttling"
    body = ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=[a, d],
                                                     batch_optimization="SuccessFirst")).body
    assert [(r.instance_id, r.code) for r in body.instance_responses.instance_response] == [(a, "200"), (d, NO_STOCK[0])]
    advance(box, box.ctx.transition_seconds + 0.1)
    assert ecs_statuses(ecs, ids) == {a: "Stopped", b: "Running", c: "Running", d: "Running"}
    # DescribeInstances names d in its InstanceIds JSON array: the "*" fault is spent, so it is served
    assert d in ecs_statuses(ecs, [d])


# ---- the control API --------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["i-0123456789abcdef0", [], [""], [1], [None], {"id": "i-1"}, None])
def test_a_bad_instance_ids_is_refused_and_adds_no_fault(box, ecs, ec2, bad):
    """"instance_ids" is optional; when given it is a non-empty list of instance id strings. Anything else is
    answered 400 with the reason, on both ports, and no fault is added: the very calls it would have hit are
    served."""
    spec = {"action": "DescribeRegions", "code": "Unavailable", "http_status": 503, "count": 1, "instance_ids": bad}
    for url in (ec2.url, box.ecs_url):
        status, body = control_status(url, "faults", spec)
        assert status == 400
        assert body == {"error": "'instance_ids' must be a non-empty list of instance id strings"}
    ec2.client().describe_regions()
    ecs.describe_regions(m.DescribeRegionsRequest())


def test_clear_drops_instance_faults_and_the_answer_shows_them(box, env, ecs, ec2):
    """POST /_sandbox/faults answers the fault it added, instance_ids included (null for a fault on every call);
    POST /_sandbox/faults/clear drops faults with instance_ids too."""
    ids = ecs_stopped(box, env, ecs, 2)
    shown = fault(box.ecs_url, action="StartInstances", code=NO_STOCK[0], http_status=403, count=1,
                  instance_ids=[ids[0], ids[0], ids[1]])
    assert shown == {"action": "StartInstances", "code": NO_STOCK[0], "http_status": 403, "count": 1, "rate": None,
                     "message": f"Injected fault: {NO_STOCK[0]}", "seed": None, "instance_ids": ids}
    assert fault(ec2.url, code="Unavailable", http_status=503, count=1)["instance_ids"] is None
    assert control_status(box.ecs_url, "faults/clear", {}) == (200, {"faults": []})
    assert control_status(ec2.url, "faults/clear", {}) == (200, {"faults": []})
    ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=ids))
    ec2.client().describe_regions()
