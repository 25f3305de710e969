"""instance_command's pure parts on the providers' side: the ECS content encoding, and the result shapes of
ECS DescribeInvocationResults and SSM ListCommandInvocations."""
import base64

import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.alicloud import (
    decode_output, encode_content, normalize_ecs_result, plain_text_safe,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.aws import normalize_ssm_invocation


# --- ECS content encoding ---

@pytest.mark.parametrize("content, safe", [
    ("echo hello\n\tls -l\r\n", True), ("echo ~!@#$%^&*()", True), ("echo héllo", False), ("echo \x1b[1m", False),
    ("echo 你好", False), ("printf '\\0'", True), ("a\x00b", False),
])
def test_plain_text_or_base64(content, safe):
    assert plain_text_safe(content) is safe
    sent, encoding = encode_content(content)
    if safe:
        assert (sent, encoding) == (content, "PlainText")
    else:
        assert encoding == "Base64" and base64.b64decode(sent).decode("utf-8") == content


def test_output_is_decoded_from_base64_with_bad_bytes_replaced():
    assert decode_output(base64.b64encode(b"hello\n").decode()) == "hello\n"
    assert decode_output(base64.b64encode("héllo".encode()).decode()) == "héllo"
    assert decode_output(base64.b64encode(b"bad \xff byte").decode()) == "bad \ufffd byte"
    assert decode_output("") == "" and decode_output(None) == ""
    assert decode_output("not base64!") == "not base64!"


# --- ECS DescribeInvocationResults ---

def ecs_item(status, exit_code=0, output=b"", **extra):
    item = {"InstanceId": "i-bp1", "InvokeId": "t-1", "InvocationStatus": status, "ExitCode": exit_code,
            "Output": base64.b64encode(output).decode(), "ErrorCode": "", "ErrorInfo": ""}
    item.update(extra)
    return item


@pytest.mark.parametrize("item, expected", [
    (ecs_item("Success", 0, b"hello\n"), ("success", 0, "hello\n", None)),
    (ecs_item("Failed", 3, b"hello\n", ErrorCode="ExitCodeNonzero", ErrorInfo="exit code not zero"),
     ("failed", 3, "hello\n", "ExitCodeNonzero")),
    (ecs_item("Timeout", None, ErrorCode="ExecutionTimeout"), ("timeout", None, "", "ExecutionTimeout")),
    (ecs_item("Running", 0), (None, None, "", None)),
    (ecs_item("Pending", 0), (None, None, "", None)),
    (ecs_item("Stopping", 0), (None, None, "", None)),
    (ecs_item("Aborted", 0, ErrorCode="InstanceNotRunning", ErrorInfo="the instance is not running when create task"),
     ("error", None, "", "InstanceNotRunning")),
    (ecs_item("Invalid", None, ErrorCode="DirectoryNotExists"), ("error", None, "", "DirectoryNotExists")),
    (ecs_item("Error", None), ("error", None, "", None)),
    (ecs_item("Cancelled", None), ("cancelled", None, "", None)),
    (ecs_item("Terminated", None), ("cancelled", None, "", None)),
    (ecs_item("SomethingNew", 1), ("error", None, "", None)),
    (ecs_item("Failed", 193, ErrorCode="ExitCodeNonzero"), ("failed", 193, "", "ExitCodeNonzero")),  # a then exit code
])
def test_ecs_result_shape(item, expected):
    got = normalize_ecs_result(item)
    assert (got["status"], got["exit_code"], got["output"], got["error_code"]) == expected
    assert got["raw_status"] == item["InvocationStatus"]


def test_ecs_result_keeps_when_the_script_started():
    assert normalize_ecs_result(ecs_item("Success", StartTime="2026-11-22T07:45:30Z"))["started_at"] == "2026-11-22T07:45:30Z"
    assert normalize_ecs_result(ecs_item("Pending", StartTime=""))["started_at"] is None


def test_ecs_error_info_is_the_message():
    got = normalize_ecs_result(ecs_item("Aborted", ErrorCode="ClientNotRunning", ErrorInfo="the aliyun service is not running"))
    assert got["error_message"] == "the aliyun service is not running"


# --- SSM ListCommandInvocations (Details=true) ---

def ssm_item(status, details=None, code=0, output="", plugins=True):
    item = {"CommandId": "c-1", "InstanceId": "i-0123456789abcdef0", "Status": status, "StatusDetails": details or status}
    if plugins:
        item["CommandPlugins"] = [{"Name": "aws:runShellScript", "Status": status, "ResponseCode": code, "Output": output}]
    return item


@pytest.mark.parametrize("item, expected", [
    (ssm_item("Success", code=0, output="hello\n"), ("success", 0, "hello\n", None)),
    (ssm_item("Failed", code=3, output="hello\n"), ("failed", 3, "hello\n", None)),
    (ssm_item("TimedOut", "ExecutionTimedOut", code=-1), ("timeout", None, "", "ExecutionTimedOut")),
    (ssm_item("TimedOut", "ExecutionTimedOut", code=137, output="started\n"), ("timeout", None, "started\n", "ExecutionTimedOut")),
    (ssm_item("TimedOut", "DeliveryTimedOut", code=-1), ("timeout", None, "", "DeliveryTimedOut")),
    (ssm_item("InProgress", "InProgress", code=-1), (None, None, "", None)),
    (ssm_item("Pending", plugins=False), (None, None, "", None)),
    (ssm_item("Delayed"), (None, None, "", None)),
    (ssm_item("Failed", "Undeliverable", code=-1), ("error", None, "", "Undeliverable")),
    (ssm_item("Cancelled", "Terminated", code=-1), ("cancelled", None, "", "Terminated")),
    (ssm_item("Cancelled", "Cancelled", code=-1), ("cancelled", None, "", None)),
])
def test_ssm_invocation_shape(item, expected):
    got = normalize_ssm_invocation(item)
    assert (got["status"], got["exit_code"], got["output"], got["error_code"]) == expected
    assert got["raw_status"] == item["Status"]


def test_ssm_details_with_spaces_are_one_word():
    assert normalize_ssm_invocation(ssm_item("TimedOut", "Execution Timed Out", code=-1))["error_code"] == "ExecutionTimedOut"
