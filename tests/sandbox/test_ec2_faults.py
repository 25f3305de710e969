"""Injected faults on the EC2 side: EC2's error format, and botocore's standard retry mode
retrying throttling / 5xx before the error surfaces. Calls are counted from the call log."""
import json
import re

import botocore.retries.standard
import pytest
from botocore.exceptions import ClientError

from ec2_harness import harness_for


@pytest.fixture
def ec2(request):
    return harness_for(request)


@pytest.fixture
def backoffs(monkeypatch):
    """botocore's retry delays, recorded and skipped (the decision to retry stays botocore's)."""
    delays = []
    original = botocore.retries.standard.ExponentialBackoff.delay_amount

    def delay_amount(self, context):
        delays.append(original(self, context))
        return 0

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", delay_amount)
    return delays


def _statuses(ec2, action):
    return [(c["status"], c["error_code"]) for c in ec2.calls(action)]


def test_fault_body_is_ec2_xml(ec2):
    ec2.fault(action="DescribeInstances", code="RequestLimitExceeded", http_status=503, count=1,
              message="Request limit exceeded.")
    status, body = ec2.raw(b"Action=DescribeInstances&Version=2016-11-15")
    assert status == 503
    assert re.fullmatch(
        rb'<\?xml version="1.0" encoding="UTF-8"\?><Response><Errors><Error><Code>RequestLimitExceeded</Code>'
        rb"<Message>Request limit exceeded.</Message></Error></Errors>"
        rb"<RequestID>[0-9a-f-]{36}</RequestID></Response>", body), body
    assert _statuses(ec2, "DescribeInstances") == [(503, "RequestLimitExceeded")]


def test_throttling_is_retried_then_succeeds(ec2, backoffs):
    [iid] = ec2.running()
    ec2.fault(action="StopInstances", code="RequestLimitExceeded", http_status=400, count=2)
    response = ec2.client(max_attempts=3).stop_instances(InstanceIds=[iid])
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(backoffs) == 2
    assert _statuses(ec2, "StopInstances") == [(400, "RequestLimitExceeded")] * 2 + [(200, None)]
    assert ec2.state(iid) == ("stopping", 64)


def test_throttling_surfaces_after_max_attempts(ec2, backoffs):
    ec2.fault(action="DescribeInstances", code="RequestLimitExceeded", http_status=400, count=10)
    with pytest.raises(ClientError) as excinfo:
        ec2.client(max_attempts=4).describe_instances()
    assert excinfo.value.response["Error"]["Code"] == "RequestLimitExceeded"
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] == 3
    assert _statuses(ec2, "DescribeInstances") == [(400, "RequestLimitExceeded")] * 4
    # the fault keeps its remaining 6 uses
    for _ in range(6):
        with pytest.raises(ClientError):
            ec2.client(max_attempts=1).describe_instances()
    ec2.client(max_attempts=1).describe_instances()
    assert len(ec2.calls("DescribeInstances")) == 11


@pytest.mark.parametrize("code,status", [("InternalError", 500), ("Unavailable", 503)])
def test_server_errors_are_retried_then_surface(ec2, backoffs, code, status):
    ec2.fault(action="DescribeInstances", code=code, http_status=status, count=10)
    with pytest.raises(ClientError) as excinfo:
        ec2.client(max_attempts=3).describe_instances()
    assert excinfo.value.response["Error"]["Code"] == code
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert _statuses(ec2, "DescribeInstances") == [(status, code)] * 3


def test_server_error_once_then_success(ec2, backoffs):
    ec2.fault(action="*", code="InternalError", http_status=500, count=1)
    assert ec2.client(max_attempts=3).describe_instances()["Reservations"] == []
    assert _statuses(ec2, "DescribeInstances") == [(500, "InternalError"), (200, None)]


def test_client_error_fault_is_not_retried(ec2, backoffs):
    ec2.fault(action="StopInstances", code="UnauthorizedOperation", http_status=403, count=5)
    [iid] = ec2.running()
    with pytest.raises(ClientError) as excinfo:
        ec2.client(max_attempts=5).stop_instances(InstanceIds=[iid])
    assert excinfo.value.response["Error"]["Code"] == "UnauthorizedOperation"
    assert _statuses(ec2, "StopInstances") == [(403, "UnauthorizedOperation")]
    assert backoffs == []
    assert ec2.state(iid) == ("running", 16)  # a failed call did nothing


def test_fault_only_hits_its_action(ec2):
    ec2.fault(action="TerminateInstances", code="RequestLimitExceeded", http_status=400, count=1)
    ec2.running()
    assert [c["action"] for c in ec2.calls()] == ["RunInstances"]
    assert ec2.calls()[0]["status"] == 200


def _failed_pattern(ec2, calls):
    for _ in range(calls):
        ec2.raw(b"Action=DescribeRegions&Version=2016-11-15")
    return [c["status"] for c in ec2.calls("DescribeRegions")]


def test_seeded_rate_fault_fails_the_same_calls_every_time(ec2):
    patterns = []
    for _ in range(2):
        ec2.control("reset")
        ec2.fault(action="DescribeRegions", code="RequestLimitExceeded", http_status=400, rate=0.3, seed=7)
        patterns.append(_failed_pattern(ec2, 20))
    assert patterns[0] == patterns[1]
    assert 400 in patterns[0] and 200 in patterns[0]


@pytest.mark.parametrize("spec", [{"count": 1, "seed": 7}, {"rate": 0.3, "seed": "7"}, {"rate": 0.3, "seed": True}])
def test_seed_is_an_integer_for_a_rate_fault_only(ec2, spec):
    status, body = ec2.control("faults", dict({"code": "RequestLimitExceeded", "http_status": 400}, **spec))
    assert status == 400
    assert "'seed' is an integer, and only for a 'rate' fault" in json.dumps(body)
