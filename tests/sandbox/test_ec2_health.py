"""DescribeInstanceStatus: scheduled events and impaired status checks from the control API."""
from datetime import datetime, timezone

import pytest

from ec2_harness import harness_for


@pytest.fixture
def ec2(request):
    return harness_for(request)


def _statuses(ec2, ids, **kwargs):
    response = ec2.client().describe_instance_status(InstanceIds=ids, **kwargs)
    return {s["InstanceId"]: s for s in response["InstanceStatuses"]}


def test_running_instance_is_ok_with_no_events(ec2):
    [iid] = ec2.running()
    status = _statuses(ec2, [iid])[iid]
    assert status["InstanceState"] == {"Code": 16, "Name": "running"}
    assert status["InstanceStatus"]["Status"] == "ok"
    assert status["SystemStatus"]["Status"] == "ok"
    assert status.get("Events", []) == []


def test_scheduled_events_are_reported(ec2):
    [iid, other] = ec2.running(2)
    status, _ = ec2.control("events", {"instance_id": iid, "code": "system-maintenance",
                                       "not_before": "2026-12-01T02:00:00Z", "not_after": "2026-12-01T04:00:00Z",
                                       "description": "scheduled host maintenance"})
    assert status == 200
    ec2.control("events", {"instance_id": iid, "code": "instance-retirement", "not_before": "2026-12-24T00:00:00Z"})
    statuses = _statuses(ec2, [iid, other])
    events = statuses[iid]["Events"]
    assert [e["Code"] for e in events] == ["system-maintenance", "instance-retirement"]
    first = events[0]
    assert first["Description"] == "scheduled host maintenance"
    assert first["NotBefore"] == datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    assert first["NotAfter"] == datetime(2026, 12, 1, 4, 0, tzinfo=timezone.utc)
    assert first["InstanceEventId"].startswith("instance-event-")
    assert events[1]["Description"]  # EC2 always describes an event
    assert "NotAfter" not in events[1]
    assert statuses[other].get("Events", []) == []
    # the events read the same on every call
    assert _statuses(ec2, [iid])[iid]["Events"] == events


def test_impaired_health_is_reported(ec2):
    [sick, well] = ec2.running(2)
    status, _ = ec2.control("health", {"instance_id": sick, "status": "impaired"})
    assert status == 200
    statuses = _statuses(ec2, [sick, well])
    for check in ("InstanceStatus", "SystemStatus"):
        assert statuses[sick][check]["Status"] == "impaired"
        assert statuses[sick][check]["Details"][0]["Name"] == "reachability"
        assert statuses[sick][check]["Details"][0]["Status"] == "failed"
        assert statuses[well][check]["Status"] == "ok"


def test_include_all_instances(ec2):
    running, stopped = ec2.running(2)
    ec2.client().stop_instances(InstanceIds=[stopped])
    ec2.advance()
    ec2.control("events", {"instance_id": stopped, "code": "instance-stop", "not_before": "2026-12-01T00:00:00Z"})
    only_running = ec2.client().describe_instance_status()["InstanceStatuses"]
    assert [s["InstanceId"] for s in only_running] == [running]
    everything = {s["InstanceId"]: s for s in ec2.client().describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]}
    assert set(everything) == {running, stopped}
    assert everything[stopped]["InstanceState"]["Name"] == "stopped"
    assert everything[stopped]["InstanceStatus"]["Status"] == "not-applicable"
    assert [e["Code"] for e in everything[stopped]["Events"]] == ["instance-stop"]
    assert _statuses(ec2, [stopped]) == {}  # by id, a stopped instance needs IncludeAllInstances too
