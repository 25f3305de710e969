"""The providers' pure helpers: endpoint parsing, error translation, per-id answers. No network."""
import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import alicloud as provider_alicloud
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import aws as provider_aws
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import (
    CAPACITY, PROTECTED, WRONG_STATE, CloudError, InputError, is_fatal,
)


def test_ecs_endpoint_from_url():
    assert provider_alicloud.endpoint_parts("http://127.0.0.1:35177", "cn-hangzhou") == ("HTTP", "127.0.0.1:35177")
    assert provider_alicloud.endpoint_parts("https://ecs.cn-beijing.aliyuncs.com/", "cn-beijing") == ("HTTPS", "ecs.cn-beijing.aliyuncs.com")
    assert provider_alicloud.endpoint_parts(None, "cn-shanghai") == ("HTTPS", "ecs.cn-shanghai.aliyuncs.com")


class TeaLikeError(Exception):
    def __init__(self, code, data, status_code=400):
        super().__init__("code: %s, %s request id: %s" % (status_code, data.get("Message"), data.get("RequestId")))
        self.code = code
        self.data = data
        self.status_code = status_code
        self.message = str(self)
        self.request_id = data.get("RequestId")


def test_ecs_translate_uses_the_clouds_own_message_and_request_id():
    error = provider_alicloud.translate(TeaLikeError("IncorrectInstanceStatus", {
        "Code": "IncorrectInstanceStatus", "Message": "The current status of the resource does not support this operation.",
        "RequestId": "3C6DEAB4"}))
    assert (error.code, error.message, error.request_id, error.http_status) == (
        "IncorrectInstanceStatus", "The current status of the resource does not support this operation.", "3C6DEAB4", 400)


def test_ecs_translate_network_error():
    error = provider_alicloud.translate(ConnectionRefusedError("refused"))
    assert error.code == "ConnectionError" and "refused" in error.message


class WrappedConnectionError(Exception):
    """darabonba's UnretryableException: no code, the HTTP library's error inside."""
    code = None

    def __init__(self, inner):
        super().__init__("retry context")
        self.inner_exception = inner


def test_ecs_connection_error_names_the_endpoint_and_the_reason_not_a_repr():
    inner = Exception("HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: /?RegionId=cn-hangzhou "
                      "(Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=1): Failed to establish a new "
                      "connection: [Errno 111] Connection refused\"))")
    error = provider_alicloud.translate(WrappedConnectionError(inner), "http://127.0.0.1:1")
    assert (error.code, error.message) == ("ConnectionError", "could not connect to http://127.0.0.1:1 (connection refused)")


def test_ec2_connection_error_is_said_the_same_way():
    error = provider_aws.translate(EndpointConnectionError(endpoint_url="http://127.0.0.1:1/",
                                                           error="[Errno 111] Connection refused"))
    assert (error.code, error.message) == ("ConnectionError", "could not connect to http://127.0.0.1:1/ (connection refused)")


def test_ec2_region_botocore_does_not_know_is_refused_with_examples():
    session = boto3.session.Session()
    provider_aws.check_region(session, "us-east-1")
    provider_aws.check_region(session, "cn-north-1")  # another partition
    with pytest.raises(InputError, match=r"region 'us-east-9' is not an EC2 region that botocore .* \(for example us-east-1"):
        provider_aws.check_region(session, "us-east-9")


def test_ecs_region_of_the_wrong_shape_is_refused_before_any_call():
    with pytest.raises(InputError, match="not an ECS region id"):
        provider_alicloud.Provider({"cloud": "alicloud", "region": "Hangzhou 1", "endpoint_url": "http://127.0.0.1:1"})


def test_ecs_batch_answers_per_instance():
    failures = provider_alicloud.Provider._instance_responses({"RequestId": "R", "InstanceResponses": {"InstanceResponse": [
        {"InstanceId": "i-bp1aaaaaaaaaa", "Code": "200", "Message": "success"},
        {"InstanceId": "i-bp1bbbbbbbbbb", "Code": "IncorrectInstanceStatus", "Message": "not running"},
    ]}})
    assert list(failures) == ["i-bp1bbbbbbbbbb"]
    assert failures["i-bp1bbbbbbbbbb"].failure() == {"id": "i-bp1bbbbbbbbbb", "code": "IncorrectInstanceStatus", "message": "not running", "request_id": "R"}


def test_ecs_health_words_match_ec2():
    assert provider_alicloud._health_word("InsufficientData") == "insufficient-data"
    assert provider_alicloud._health_word("Ok") == "ok"
    assert provider_alicloud._health_word(None) is None


def test_ecs_fatal_errors():
    assert is_fatal(provider_alicloud.cloud_error("InvalidAccessKeyId.NotFound", "x"))
    assert is_fatal(provider_alicloud.cloud_error("Whatever", "x", http_status=503))
    assert not is_fatal(provider_alicloud.cloud_error("IncorrectInstanceStatus", "x", http_status=403))
    assert provider_alicloud.cloud_error("IncorrectInstanceStatus", "x", http_status=403).kind == WRONG_STATE


def test_ec2_translate_client_error():
    exc = ClientError({"Error": {"Code": "AuthFailure", "Message": "AWS was not able to validate"},
                       "ResponseMetadata": {"RequestId": "req-9", "HTTPStatusCode": 401}}, "DescribeInstances")
    error = provider_aws.translate(exc)
    assert (error.code, error.message, error.request_id, error.http_status) == ("AuthFailure", "AWS was not able to validate", "req-9", 401)
    assert is_fatal(error)


def test_ec2_protection_error_is_recognised():
    error = provider_aws.cloud_error("OperationNotPermitted",
                                     "The instance 'i-0123abcd' may not be terminated. Modify its 'disableApiTermination' instance attribute")
    assert error.kind == PROTECTED
    assert provider_aws.cloud_error("OperationNotPermitted", "something else").kind != PROTECTED


def test_ec2_record_reads_auto_release_tag_and_low_byte():
    provider = provider_aws.Provider.__new__(provider_aws.Provider)
    provider.region = "us-east-1"
    record = provider._record({"InstanceId": "i-0123abcd", "State": {"Code": 256 + 80, "Name": "stopped"}, "InstanceType": "t3.micro",
                               "Tags": [{"Key": provider_aws.AUTO_RELEASE_TAG, "Value": "2026-12-01T06:00:00Z"}]})
    assert (record["state"], record["state_code"], record["auto_release_time"]) == ("stopped", 80, "2026-12-01T06:00:00Z")


class FakeRpcClient:
    """Stands in for the OpenAPI client: records each query and answers a dry run as the real ECS does."""

    def __init__(self, code):
        self.code = code
        self.queries = []

    def __call__(self, action, query):
        self.queries.append((action, dict(query)))
        raise CloudError(self.code, "Request validation has been passed with DryRun flag set.", "r", http_status=400)


@pytest.mark.parametrize("code", ["DRYRUN.SUCCESS", "DryRunOperation"])
def test_ecs_batch_dry_run_passes_on_either_code_and_is_sent_all_together(code):
    provider = provider_alicloud.Provider.__new__(provider_alicloud.Provider)
    provider.region = "cn-hangzhou"
    fake = FakeRpcClient(code)
    provider._call = fake
    assert provider.stop(["i-bp1abcdefghij0123456"], dry_run=True) == {}
    action, query = fake.queries[0]
    # with SuccessFirst a batch dry run answers DRYRUN.SUCCESS whatever the instances' state
    assert action == "StopInstances" and query["DryRun"] is True and "BatchOptimization" not in query


def test_ecs_an_answer_that_is_not_ecs_is_not_called_a_connection_failure():
    error = provider_alicloud.translate(WrappedConnectionError(ValueError("Failed to parse the value as json format")),
                                        "http://127.0.0.1:8080")
    assert error.code == "UnexpectedAnswer"
    assert error.message.startswith("http://127.0.0.1:8080 answered, but not as the ECS API does")


def test_ec2_protection_reads_stop_at_the_first_refusal():
    import threading
    import time

    provider = provider_aws.Provider.__new__(provider_aws.Provider)
    calls = []
    lock = threading.Lock()

    def refuse(operation, **kwargs):
        with lock:
            calls.append(kwargs["InstanceId"])
        time.sleep(0.01)  # an API round trip: the refusal is back long before 200 reads are sent
        raise CloudError("UnauthorizedOperation", "You are not authorized to perform this operation.", "r", http_status=403)
    provider._call = refuse
    with pytest.raises(CloudError, match="UnauthorizedOperation"):
        provider.read_protection(["i-%017x" % n for n in range(200)])
    assert len(calls) <= 50, len(calls)


@pytest.mark.parametrize("code, words", [
    ("InstanceLockedForSecurity", "locked for security reasons"),
    ("ChargeTypeViolation", "subscription (PrePaid) instance"),
])
def test_ecs_refusals_that_need_explaining_say_what_they_mean(code, words):
    error = provider_alicloud.translate(TeaLikeError(code, {"Code": code, "Message": "The operation is denied.", "RequestId": "R"}, 403))
    assert error.code == code and error.message.startswith("The operation is denied. (") and words in error.message
    body = {"RequestId": "R", "InstanceResponses": {"InstanceResponse": [
        {"InstanceId": "i-bp1abcdefghij0123456", "Code": code, "Message": "The operation is denied."}]}}
    per_id = provider_alicloud.Provider._instance_responses(body)
    assert words in per_id["i-bp1abcdefghij0123456"].message


def test_ec2_capacity_errors_are_split_per_instance_not_fatal():
    error = provider_aws.cloud_error("InsufficientInstanceCapacity", "We currently do not have sufficient capacity", "r", http_status=500)
    assert error.kind == CAPACITY and is_fatal(error) is False
    assert is_fatal(provider_aws.cloud_error("InternalError", "oops", "r", http_status=500)) is True


def test_ec2_no_answer_is_fatal_as_on_ecs():
    """A dead endpoint is the same for every id: never split a batch over it (ECS never did)."""
    error = provider_aws.translate(EndpointConnectionError(endpoint_url="http://127.0.0.1:1/", error="[Errno 111] Connection refused"))
    assert is_fatal(error)
