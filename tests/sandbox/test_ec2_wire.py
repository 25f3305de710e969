"""The EC2 wire layer: the call log, malformed requests, crashes and credentials, all answered in
EC2's XML error format; concurrent clients on the threaded server."""
import re
import threading

import pytest
from botocore.exceptions import ClientError

from ec2_harness import harness_for

ERROR = re.compile(rb'^<\?xml version="1.0" encoding="UTF-8"\?><Response><Errors><Error><Code>([^<]+)</Code>'
                   rb"<Message>[^<]*</Message></Error></Errors><RequestID>[0-9a-f-]{36}</RequestID></Response>$")


@pytest.fixture
def ec2(request):
    return harness_for(request)


def test_call_log_counts_every_call_exactly(ec2):
    client = ec2.client()
    ids = ec2.launch(2, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "a"}]}])
    client.describe_instances(InstanceIds=ids)
    client.describe_instances(InstanceIds=ids)
    with pytest.raises(ClientError):
        client.start_instances(InstanceIds=["i-0123456789abcdef0"])
    calls = ec2.calls()
    assert [c["action"] for c in calls] == ["RunInstances", "DescribeInstances", "DescribeInstances", "StartInstances"]
    run = calls[0]
    assert run["status"] == 200 and run["error_code"] is None
    assert run["params"]["MinCount"] == "2"
    assert run["params"]["TagSpecification.1.Tag.1.Key"] == "team"
    assert not {"Action", "Version", "AWSAccessKeyId", "Signature"} & set(run["params"])
    assert calls[1]["params"] == {"InstanceId.1": ids[0], "InstanceId.2": ids[1]}
    assert calls[3]["status"] == 400 and calls[3]["error_code"] == "InvalidInstanceID.NotFound"
    # the control API itself is not an API call
    ec2.control("clock", {"advance_seconds": 1})
    assert len(ec2.calls()) == 4


@pytest.mark.parametrize("body,code", [
    (b"", b"MissingAction"),
    (b"Version=2016-11-15", b"MissingAction"),
    (b"Action=LaunchRockets&Version=2016-11-15", b"InvalidAction"),
    (b"Action=DescribeInstances&Version=2016-11-15&InstanceId.1=bogus", b"InvalidInstanceID.Malformed"),
    (b"Action=StopInstances&Version=2016-11-15&InstanceId.x=i-0123456789abcdef0", b"InvalidParameterValue"),
    (b"Action=StopInstances&Version=2016-11-15", b"MissingParameter"),
    (b"Action=DescribeInstances&\xff\xfe", b"MalformedQueryString"),
])
def test_malformed_requests_get_ec2_xml_errors(ec2, body, code):
    status, answer = ec2.raw(body)
    assert status == 400, answer
    match = ERROR.match(answer)
    assert match, answer
    assert match.group(1) == code
    assert b"Traceback" not in answer
    assert ec2.calls()[-1]["error_code"] == code.decode()
    assert ec2.client().describe_instances()["Reservations"] == []  # still serving


def test_moto_parameter_error_keeps_ec2_format(ec2):
    status, answer = ec2.raw(b"Action=DescribeInstanceAttribute&Version=2016-11-15"
                             b"&InstanceId=i-0123456789abcdef0&Attribute=colour")
    assert status == 400
    assert b"<Errors><Error><Code>" in answer


def test_crash_in_a_handler_is_an_ec2_internal_error(ec2, monkeypatch):
    from sandbox.ec2.models.lifecycle import RegionLifecycle

    def boom(*args, **kwargs):
        raise RuntimeError("handler bug")

    [iid] = ec2.running()
    monkeypatch.setattr(RegionLifecycle, "stop", boom)
    with pytest.raises(ClientError) as excinfo:
        ec2.client().stop_instances(InstanceIds=[iid])
    assert excinfo.value.response["Error"]["Code"] == "InternalError"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "handler bug" not in str(excinfo.value)
    monkeypatch.undo()
    ec2.client().stop_instances(InstanceIds=[iid])  # and the server goes on
    assert [(c["status"], c["error_code"]) for c in ec2.calls("StopInstances")] == [(500, "InternalError"), (200, None)]


def test_unknown_access_key_is_auth_failure(ec2):
    import boto3

    client = boto3.client("ec2", endpoint_url=ec2.url, region_name="us-east-1",
                          aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x")
    with pytest.raises(ClientError) as excinfo:
        client.describe_instances()
    assert excinfo.value.response["Error"]["Code"] == "AuthFailure"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


def test_concurrent_clients(ec2):
    import boto3

    errors = []

    def worker():
        try:
            client = boto3.client("ec2", endpoint_url=ec2.url, region_name="us-east-1",
                                  aws_access_key_id=ec2.env["AWS_ACCESS_KEY_ID"],
                                  aws_secret_access_key=ec2.env["AWS_SECRET_ACCESS_KEY"])
            ids = [i["InstanceId"] for i in client.run_instances(
                ImageId="ami-12c6146b", MinCount=5, MaxCount=5)["Instances"]]
            for _ in range(3):
                client.describe_instances(InstanceIds=ids)
                client.describe_instance_status(IncludeAllInstances=True)
            client.terminate_instances(InstanceIds=ids)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    calls = ec2.calls()
    assert len(calls) == 8 * 8
    assert all(c["status"] == 200 for c in calls)
    reservations = ec2.client().describe_instances()["Reservations"]
    assert sum(len(r["Instances"]) for r in reservations) == 40


def test_tags_on_unknown_instance_are_not_found(ec2):
    [iid] = ec2.running()
    client = ec2.client()
    with pytest.raises(ClientError) as excinfo:
        client.create_tags(Resources=[iid, "i-0123456789abcdef0"], Tags=[{"Key": "k", "Value": "v"}])
    assert excinfo.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"
    assert "i-0123456789abcdef0" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        client.create_tags(Resources=[iid], Tags=[{"Key": "k", "Value": "v"}], DryRun=True)
    assert excinfo.value.response["Error"]["Code"] == "DryRunOperation"
    assert "Tags" not in ec2.instances([iid])[iid]
    client.create_tags(Resources=[iid], Tags=[{"Key": "k", "Value": "v"}])
    assert ec2.instances([iid])[iid]["Tags"] == [{"Key": "k", "Value": "v"}]
    client.delete_tags(Resources=[iid], Tags=[{"Key": "k"}])
    assert ec2.instances([iid])[iid].get("Tags", []) == []


def test_wrong_secret_is_auth_failure(ec2):
    import boto3

    client = boto3.client("ec2", endpoint_url=ec2.url, region_name="us-east-1",
                          aws_access_key_id=ec2.env["AWS_ACCESS_KEY_ID"], aws_secret_access_key="not-the-secret")
    with pytest.raises(ClientError) as excinfo:
        client.describe_instances()
    assert excinfo.value.response["Error"]["Code"] == "AuthFailure"
    assert "not-the-secret" not in str(excinfo.value)
    assert ec2.calls()[-1]["error_code"] == "AuthFailure"


def test_request_ids_are_unique_uuids(ec2):
    client = ec2.client()
    first = client.describe_instances()["ResponseMetadata"]["RequestId"]
    second = client.describe_instances()["ResponseMetadata"]["RequestId"]
    assert first != second
    assert re.fullmatch(r"[0-9a-f-]{36}", first)
