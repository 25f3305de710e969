"""The ECS emulator driven by a client the collection never uses: the legacy aliyun-python-sdk-core with
aliyun-python-sdk-ecs's generated request classes and CommonRequest (HMAC-SHA1 signature in the query,
its own parameter encoding and its own error parsing), over HTTP. What this client sees is what it would
see from ECS: the pins are in requirements-dev.txt.
"""
import json

import pytest

core = pytest.importorskip("aliyunsdkcore")  # skip this suite only, should the pinned package be missing
from aliyunsdkcore.acs_exception.exceptions import ServerException  # noqa: E402
from aliyunsdkcore.client import AcsClient  # noqa: E402
from aliyunsdkcore.request import CommonRequest  # noqa: E402

ecs_requests = pytest.importorskip("aliyunsdkecs.request.v20140526")
from aliyunsdkecs.request.v20140526 import (  # noqa: E402
    DeleteInstancesRequest, DescribeInstancesRequest, RebootInstancesRequest, RunInstancesRequest,
    StartInstancesRequest, StopInstanceRequest, StopInstancesRequest)

from sandbox.control_client import control as _control  # noqa: E402
from sandbox.fleet import ECS_IMAGE, ECS_TYPE  # noqa: E402

R = "cn-hangzhou"
GHOST = "i-bp1nothere0000000000"


# fixtures `box`, `env`: tests/sandbox/conftest.py


def host_of(env):
    return env["ALIBABA_CLOUD_ECS_ENDPOINT"].partition("://")[2]


def legacy(env, secret=None):
    return AcsClient(env["ALIBABA_CLOUD_ACCESS_KEY_ID"], secret or env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], R)


def call(client, env, request):
    """Send a generated request or a CommonRequest to the sandbox; the parsed JSON answer."""
    request.set_endpoint(host_of(env))
    request.set_protocol_type("http")
    return json.loads(client.do_action_with_exception(request))


def server_error(client, env, request):
    with pytest.raises(ServerException) as info:
        call(client, env, request)
    return info.value


def advance(box, seconds=1.0):
    _control(box.ecs_url, "clock", {"advance_seconds": seconds})


def statuses(client, env, ids):
    request = DescribeInstancesRequest.DescribeInstancesRequest()
    request.set_InstanceIds(json.dumps(ids))
    request.set_PageSize(100)
    return {i["InstanceId"]: i["Status"] for i in call(client, env, request)["Instances"]["Instance"]}


def test_legacy_client_drives_launch_describe_stop_start_reboot_and_delete(box, env):
    """RunInstances, DescribeInstances, StopInstances (a dry run first: DRYRUN.SUCCESS, as the batch actions
    answer it; StopInstance's: DryRunOperation), StartInstances, RebootInstances and DeleteInstances through
    aliyun-python-sdk-ecs's generated requests (POST, InstanceId.N lists, JSON InstanceIds), and
    DescribeInstances through CommonRequest by GET."""
    client = legacy(env)
    run = RunInstancesRequest.RunInstancesRequest()
    run.set_ImageId(ECS_IMAGE)
    run.set_InstanceType(ECS_TYPE)
    run.set_Amount(2)
    run.set_InstanceName("legacy")
    ids = call(client, env, run)["InstanceIdSets"]["InstanceIdSet"]
    assert len(ids) == 2
    assert set(statuses(client, env, ids).values()) == {"Pending"}
    advance(box)
    assert set(statuses(client, env, ids).values()) == {"Running"}

    stop = StopInstancesRequest.StopInstancesRequest()
    stop.set_InstanceIds(ids)
    stop.set_DryRun(True)
    err = server_error(client, env, stop)
    assert (err.get_error_code(), err.get_http_status()) == ("DRYRUN.SUCCESS", 400)
    assert err.get_error_msg() == "This request is a dryrun request with successful result."
    assert err.get_request_id()
    single = StopInstanceRequest.StopInstanceRequest()
    single.set_InstanceId(ids[0])
    single.set_DryRun(True)
    assert server_error(client, env, single).get_error_code() == "DryRunOperation"
    stop = StopInstancesRequest.StopInstancesRequest()
    stop.set_InstanceIds(ids)
    rows = call(client, env, stop)["InstanceResponses"]["InstanceResponse"]
    assert [(r["InstanceId"], r["Code"], r["CurrentStatus"]) for r in rows] == [(i, "200", "Stopping") for i in ids]
    advance(box)
    assert set(statuses(client, env, ids).values()) == {"Stopped"}

    start = StartInstancesRequest.StartInstancesRequest()
    start.set_InstanceIds(ids)
    call(client, env, start)
    advance(box)
    reboot = RebootInstancesRequest.RebootInstancesRequest()
    reboot.set_InstanceIds(ids)
    reboot.set_ForceReboot(True)
    call(client, env, reboot)
    assert set(statuses(client, env, ids).values()) == {"Starting"}
    advance(box)

    common = CommonRequest(domain=host_of(env), version="2014-05-26", action_name="DescribeInstances")
    common.set_method("GET")
    common.add_query_param("RegionId", R)
    common.add_query_param("InstanceName", "legacy")
    answer = call(client, env, common)
    assert answer["TotalCount"] == 2
    record = answer["Instances"]["Instance"][0]
    assert (record["Status"], record["Cpu"], record["Memory"]) == ("Running", 2, 8192)
    assert record["OperationLocks"] == {"LockReason": []}

    delete = DeleteInstancesRequest.DeleteInstancesRequest()
    delete.set_InstanceIds(ids)
    delete.set_Force(True)
    call(client, env, delete)
    assert statuses(client, env, ids) == {}


def test_legacy_client_parses_the_sandbox_errors_without_crashing(box, env):
    """A wrong secret: the sandbox answers SignatureDoesNotMatch with "server string to sign is:<string>",
    which aliyun-python-sdk-core compares with its own string to sign (client.py _get_server_exception,
    `server_error_message.split(':')[1]`): equal, so it reports InvalidAccessKeySecret, HTTP 400 (before
    the sandbox carried the string, that split raised IndexError). An unknown instance is
    InvalidInstanceId.NotFound, 404, with the request id."""
    bad = legacy(env, secret="not-the-secret")
    err = server_error(bad, env, DescribeInstancesRequest.DescribeInstancesRequest())
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidAccessKeySecret", 400)
    logged = _control(box.ecs_url, "calls")
    assert (logged[-1]["action"], logged[-1]["error_code"]) == ("DescribeInstances", "SignatureDoesNotMatch")
    stop = StopInstancesRequest.StopInstancesRequest()
    stop.set_InstanceIds([GHOST])
    err = server_error(legacy(env), env, stop)
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidInstanceId.NotFound", 404)
    assert err.get_request_id()
