"""ECS emulator wire behaviour: both signatures, auth errors, faults, malformed requests, crashes."""
import json
import time
import uuid
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from alibabacloud_tea_openapi.utils import Utils

from sandbox.control_client import control as _control
from sandbox.fleet import ecs_client, launch_ecs
from sandboxtest import calls, error

R = "cn-hangzhou"
T = 0.3


# fixtures `box`, `env`, `ecs`: tests/sandbox/conftest.py


def _describe(client):
    return client.describe_instances(m.DescribeInstancesRequest(region_id=R))


def _raw(url, params, method="POST", data=None, headers=None):
    """Send a request as-is; return (status, parsed JSON body)."""
    request = urllib.request.Request(f"{url}/?{urlencode(params)}" if params else f"{url}/", data=data,
                                     method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _signed_v2(env, action="DescribeInstances", nonce="n-1", timestamp=None, **params):
    query = {"Action": action, "Format": "json", "Version": "2014-05-26", "RegionId": R,
             "Timestamp": timestamp or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "SignatureNonce": nonce,
             "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
             "AccessKeyId": env["ALIBABA_CLOUD_ACCESS_KEY_ID"], **params}
    query["Signature"] = Utils.get_rpcsignature(query, "POST", env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    return query


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_wrong_secret_and_unknown_key_are_refused_and_logged(box, env, algorithm):
    extra = {"signature_algorithm": algorithm} if algorithm else {}
    bad_secret = dict(env, ALIBABA_CLOUD_ACCESS_KEY_SECRET="not-the-secret")
    err = error(_describe, ecs_client(bad_secret, **extra))
    assert (err.code, err.status_code) == ("SignatureDoesNotMatch", 400)
    bad_key = dict(env, ALIBABA_CLOUD_ACCESS_KEY_ID="LTAINOSUCHKEY0000000")
    err = error(_describe, ecs_client(bad_key, **extra))
    assert (err.code, err.status_code) == ("InvalidAccessKeyId.NotFound", 404)
    assert _describe(ecs_client(env, **extra)).body.total_count == 0
    logged = calls(box)
    assert [(c["action"], c["status"], c["error_code"]) for c in logged] == [
        ("DescribeInstances", 400, "SignatureDoesNotMatch"),
        ("DescribeInstances", 404, "InvalidAccessKeyId.NotFound"),
        ("DescribeInstances", 200, None),
    ]
    assert logged[2]["params"] == {"RegionId": R}


def test_hmac_sha1_client_drives_the_whole_lifecycle(env):
    v2 = ecs_client(env, signature_algorithm="v2")
    ids = launch_ecs(env, 1)
    time.sleep(2 * T + 0.05)  # a launch is Pending, then Starting, then Running: two transitions
    v2.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids, force_stop=True))
    body = v2.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids))).body
    assert body.instances.instance[0].status == "Stopping"


def test_reused_nonce_and_stale_timestamp(box, env):
    query = _signed_v2(env, nonce=f"fixed-{uuid.uuid4()}")
    assert _raw(box.ecs_url, query)[0] == 200
    status, body = _raw(box.ecs_url, query)
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 16 * 60))
    status, body = _raw(box.ecs_url, _signed_v2(env, nonce=f"stale-{uuid.uuid4()}", timestamp=stale))
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Expired")
    # the advanced sandbox clock does not make fresh real-time stamps stale
    _control(box.ecs_url, "clock", {"advance_seconds": 3600})
    assert _describe(ecs_client(env)).body.total_count == 0
    assert _raw(box.ecs_url, _signed_v2(env, nonce=f"adv-{uuid.uuid4()}"))[0] == 200
    tampered = _signed_v2(env, nonce=f"tamper-{uuid.uuid4()}")
    tampered["RegionId"] = "cn-beijing"
    assert _raw(box.ecs_url, tampered)[1]["Code"] == "SignatureDoesNotMatch"


def test_unknown_action_and_version(box, env):
    status, body = _raw(box.ecs_url, _signed_v2(env, action="LaunchRockets", nonce=f"act-{uuid.uuid4()}"))
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    query = _signed_v2(env, nonce=f"ver-{uuid.uuid4()}", Version="2099-01-01")
    status, body = _raw(box.ecs_url, query)
    assert status == 400 and body["Code"] == "InvalidVersion"


def test_generic_call_api_client_and_unknown_action(env):
    from alibabacloud_tea_openapi.client import Client
    from alibabacloud_tea_openapi.utils_models import Config, OpenApiRequest, Params
    from darabonba.runtime import RuntimeOptions

    scheme, _, host = env["ALIBABA_CLOUD_ECS_ENDPOINT"].partition("://")
    client = Client(Config(access_key_id=env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                           access_key_secret=env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                           endpoint=host, protocol=scheme, region_id=R))

    def call(action, query):
        params = Params(action=action, version="2014-05-26", protocol="HTTPS", pathname="/", method="POST",
                        auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
        return client.call_api(params, OpenApiRequest(query=Utils.query(query)), RuntimeOptions())

    result = call("DescribeInstances", {"RegionId": R, "PageSize": 5})
    assert result["statusCode"] == 200 and result["body"]["TotalCount"] == 0 and result["body"]["RequestId"]
    with pytest.raises(ClientException) as info:
        call("NoSuchAction", {"RegionId": R})
    assert (info.value.code, info.value.status_code) == ("InvalidAction.NotFound", 404)
    assert info.value.data["RequestId"] == info.value.request_id


def test_injected_faults_surface_with_their_code_and_are_logged(box, env, ecs):
    ids = launch_ecs(env, 1)
    _control(box.ecs_url, "faults", {"action": "StopInstances", "code": "Throttling", "http_status": 400, "count": 2})
    for _ in range(2):
        err = error(ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=ids, force_stop=True))
        assert (err.code, err.status_code) == ("Throttling", 400)
    _describe(ecs)  # other actions are not affected
    _control(box.ecs_url, "faults", {"action": "*", "code": "ServiceUnavailable", "http_status": 503, "count": 1})
    with pytest.raises(ServerException) as info:
        _describe(ecs)
    assert (info.value.code, info.value.status_code) == ("ServiceUnavailable", 503)
    logged = [(c["action"], c["status"], c["error_code"]) for c in calls(box)][1:]
    assert logged == [("StopInstances", 400, "Throttling"), ("StopInstances", 400, "Throttling"),
                      ("DescribeInstances", 200, None), ("DescribeInstances", 503, "ServiceUnavailable")]
    body = ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, instance_ids=json.dumps(ids))).body
    assert body.instances.instance[0].status in ("Pending", "Running")  # the faulted stops did nothing


@pytest.mark.parametrize("params,data,method", [
    ({"foo": "bar", "Action": "StopInstances"}, None, "POST"),
    ({"Signature": "%%%", "AccessKeyId": "x"}, None, "POST"),
    (None, b"\xff\xfe junk", "POST"),
    (None, None, "GET"),
])
def test_malformed_requests_get_json_errors(box, params, data, method):
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if data else {}
    status, body = _raw(box.ecs_url, params, method=method, data=data, headers=headers)
    assert 400 <= status < 500
    assert body["Code"] and body["RequestId"] and "Traceback" not in body["Message"]


def test_malformed_authorization_header(box):
    status, body = _raw(box.ecs_url, {"RegionId": R}, headers={
        "Authorization": "ACS3-HMAC-SHA256 garbage", "x-acs-action": "DescribeInstances"})
    assert status == 400 and body["Code"] == "IncompleteSignature"


def test_a_handler_crash_is_internal_error_and_the_server_keeps_serving(box, ecs, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("bug in the emulator")

    monkeypatch.setattr(box.ecs.model, "describe_instances", boom)
    with pytest.raises(ServerException) as info:
        _describe(ecs)
    assert (info.value.code, info.value.status_code) == ("InternalError", 500)
    monkeypatch.undo()
    assert _describe(ecs).body.total_count == 0
    assert [c["error_code"] for c in calls(box)] == ["InternalError", None]


def test_env_has_the_contract_keys(box):
    env_vars = box.ecs.env("http://127.0.0.1:1")
    assert env_vars["ALIBABA_CLOUD_ECS_ENDPOINT"] == "http://127.0.0.1:1"
    assert env_vars["ALIBABA_CLOUD_ACCESS_KEY_ID"].startswith("LTAI")
    assert env_vars["ALIBABA_CLOUD_REGION_ID"] == R and env_vars["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
