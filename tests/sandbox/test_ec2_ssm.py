"""Systems Manager Run Command on the sandbox's EC2 port, through the unmodified boto3 `ssm`
client over HTTP: scripts really run, only on the instances asked; statuses, response codes and
output are the script's; errors, paging, the call log, faults, platforms, cancel and reset."""
import json
import os
import time

import pytest
from botocore.exceptions import ClientError

from ec2_harness import WINDOWS_IMAGE, harness_for

TERMINAL = {"Success", "Failed", "TimedOut", "Cancelled"}


@pytest.fixture
def ec2(request):
    return harness_for(request)


def _error(excinfo):
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def _send(ec2, ids, commands, document="AWS-RunShellScript", **parameters):
    params = {"commands": commands if isinstance(commands, list) else [commands]}
    params.update({k: [str(v)] for k, v in parameters.items()})
    return ec2.ssm().send_command(InstanceIds=ids, DocumentName=document, Parameters=params)["Command"]


def _wait(ec2, command_id, instance_id, statuses=TERMINAL, timeout=15.0):
    """Poll GetCommandInvocation until its Status is one of `statuses` (a bound on waiting only)."""
    deadline = time.monotonic() + timeout
    while True:
        invocation = ec2.ssm().get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        if invocation["Status"] in statuses:
            return invocation
        if time.monotonic() > deadline:
            raise AssertionError(f"still {invocation['Status']} after {timeout}s")
        time.sleep(0.05)


def _wait_all(ec2, command_id, ids):
    return {i: _wait(ec2, command_id, i) for i in ids}


def _invocations(ec2, **kwargs):
    return ec2.ssm().list_command_invocations(**kwargs)["CommandInvocations"]


def test_only_the_given_instances_are_targeted(ec2):
    ids = ec2.running(5)
    command = _send(ec2, ids[1:3], "echo hi from $SANDBOX_INSTANCE_ID")
    assert command["InstanceIds"] == ids[1:3]
    assert command["Status"] == "Pending" and command["TargetCount"] == 2
    results = _wait_all(ec2, command["CommandId"], ids[1:3])
    listed = _invocations(ec2, CommandId=command["CommandId"], Details=True)
    assert [i["InstanceId"] for i in listed] == ids[1:3]
    for invocation in listed:
        assert invocation["Status"] == "Success"
        assert invocation["CommandPlugins"][0]["Output"] == f"hi from {invocation['InstanceId']}\n"
    assert {i: r["StandardOutputContent"] for i, r in results.items()} == \
        {i: f"hi from {i}\n" for i in ids[1:3]}
    for other in ids[:1] + ids[3:]:
        assert _invocations(ec2, InstanceId=other) == []
        with pytest.raises(ClientError) as excinfo:
            ec2.ssm().get_command_invocation(CommandId=command["CommandId"], InstanceId=other)
        assert _error(excinfo)[:2] == ("InvocationDoesNotExist", 400)
    [listed_command] = ec2.ssm().list_commands()["Commands"]
    assert listed_command["Status"] == "Success" and listed_command["CompletedCount"] == 2


def test_output_and_response_code_are_the_scripts(ec2):
    [iid] = ec2.running()
    command = _send(ec2, [iid], ["echo hi", "exit 3"])
    invocation = _wait(ec2, command["CommandId"], iid)
    assert (invocation["Status"], invocation["StatusDetails"], invocation["ResponseCode"]) == ("Failed", "Failed", 3)
    assert invocation["StandardOutputContent"] == "hi\n"
    assert invocation["PluginName"] == "aws:runShellScript"
    assert invocation["ExecutionStartDateTime"] and invocation["ExecutionEndDateTime"]
    [listed] = _invocations(ec2, CommandId=command["CommandId"], Details=True)
    plugin = listed["CommandPlugins"][0]
    assert (plugin["Name"], plugin["Status"], plugin["ResponseCode"], plugin["Output"]) == \
        ("aws:runShellScript", "Failed", 3, "hi\n")
    assert _invocations(ec2, CommandId=command["CommandId"])[0]["CommandPlugins"] == []  # without Details
    assert ec2.ssm().list_commands(CommandId=command["CommandId"])["Commands"][0]["Status"] == "Failed"

    ok = _send(ec2, [iid], ["cd /tmp", "pwd", "echo $SANDBOX_INSTANCE_ID"], workingDirectory="/opt/app")
    done = _wait(ec2, ok["CommandId"], iid)
    assert (done["Status"], done["StatusDetails"], done["ResponseCode"]) == ("Success", "Success", 0)
    assert done["StandardOutputContent"].splitlines() == ["/tmp", iid]  # commands are lines of one script

    in_dir = _send(ec2, [iid], "pwd", workingDirectory="/opt/app")
    assert _wait(ec2, in_dir["CommandId"], iid)["StandardOutputContent"].rstrip().endswith("/opt/app")


def test_output_limits_of_get_and_list(ec2):
    [iid] = ec2.running()
    command = _send(ec2, [iid], "head -c 30000 /dev/zero | tr '\\0' x")
    invocation = _wait(ec2, command["CommandId"], iid)
    assert invocation["StandardOutputContent"] == "x" * 24000  # the first 24,000 characters
    output = _invocations(ec2, CommandId=command["CommandId"], Details=True)[0]["CommandPlugins"][0]["Output"]
    assert len(output) <= 2500 and output.endswith("\n---Output truncated---") and output.startswith("xxx")


def test_execution_timeout_is_timed_out(ec2):
    [iid] = ec2.running()
    command = _send(ec2, [iid], "sleep 30", executionTimeout=1)
    assert _wait(ec2, command["CommandId"], iid, statuses={"InProgress"} | TERMINAL)["Status"] in \
        {"InProgress", "TimedOut"}
    invocation = _wait(ec2, command["CommandId"], iid)
    assert (invocation["Status"], invocation["StatusDetails"], invocation["ResponseCode"]) == \
        ("TimedOut", "Execution Timed Out", 137)
    assert ec2.ssm().list_commands(CommandId=command["CommandId"])["Commands"][0]["Status"] == "TimedOut"


def test_cancel_command_stops_the_script(ec2):
    [iid] = ec2.running()
    command = _send(ec2, [iid], "sleep 30")
    _wait(ec2, command["CommandId"], iid, statuses={"InProgress"})
    ec2.ssm().cancel_command(CommandId=command["CommandId"])
    invocation = _wait(ec2, command["CommandId"], iid)
    assert (invocation["Status"], invocation["StatusDetails"]) == ("Cancelled", "Cancelled")
    with pytest.raises(ClientError) as excinfo:
        ec2.ssm().cancel_command(CommandId="00000000-0000-0000-0000-000000000000")
    assert _error(excinfo)[0] == "InvalidCommandId"


def test_list_command_invocations_pages(ec2):
    ids = ec2.running(5)
    command = _send(ec2, ids, "true")
    _wait_all(ec2, command["CommandId"], ids)
    ssm = ec2.ssm()
    pages, token = [], None
    while True:
        kwargs = {"MaxResults": 2}  # every command's invocations, newest command first
        if token:
            kwargs["NextToken"] = token
        page = ssm.list_command_invocations(**kwargs)
        pages.append([i["InstanceId"] for i in page["CommandInvocations"]])
        if len(pages) == 1:
            _send(ec2, ids[:1], "true")  # a newer command between pages sorts first: no shift, no repeat
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    paged = [i["InstanceId"] for p in ssm.get_paginator("list_command_invocations").paginate(
        CommandId=command["CommandId"], PaginationConfig={"PageSize": 2}) for i in p["CommandInvocations"]]
    assert paged == ids
    assert len(_invocations(ec2)) == 6  # every command's invocations, newest command first
    assert _invocations(ec2)[0]["CommandId"] != command["CommandId"]
    with pytest.raises(ClientError) as excinfo:
        ssm.list_command_invocations(CommandId=command["CommandId"], NextToken="bogus")
    assert _error(excinfo)[:2] == ("InvalidNextToken", 400)
    commands = [c["CommandId"] for p in ssm.get_paginator("list_commands").paginate(
        PaginationConfig={"PageSize": 1}) for c in p["Commands"]]
    assert len(commands) == 2 and commands[1] == command["CommandId"]


@pytest.mark.parametrize("case", ["bad document", "unknown instance", "stopped instance", "pending instance",
                                  "malformed instance", "no commands", "unknown parameter", "bad timeout",
                                  "51 instances", "no instances"])
def test_send_command_errors(ec2, case):
    [iid, stopped] = ec2.running(2)
    ec2.client().stop_instances(InstanceIds=[stopped])
    ec2.advance()
    [pending] = ec2.launch()
    kwargs = {"InstanceIds": [iid], "DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["true"]}}
    expected = {
        "bad document": (dict(DocumentName="AWS-RunBashScript"), "InvalidDocument"),
        "unknown instance": (dict(InstanceIds=[iid, "i-0123456789abcdef0"]), "InvalidInstanceId"),
        "stopped instance": (dict(InstanceIds=[stopped]), "InvalidInstanceId"),
        "pending instance": (dict(InstanceIds=[pending]), "InvalidInstanceId"),
        "malformed instance": (dict(InstanceIds=["bogus"]), "InvalidInstanceId"),
        "no commands": (dict(Parameters={"workingDirectory": ["/"]}), "InvalidParameters"),
        "unknown parameter": (dict(Parameters={"commands": ["true"], "shell": ["zsh"]}), "InvalidParameters"),
        "bad timeout": (dict(Parameters={"commands": ["true"], "executionTimeout": ["0"]}), "InvalidParameters"),
        "51 instances": (dict(InstanceIds=[f"i-{n:017x}" for n in range(51)]), "ValidationException"),
        "no instances": (dict(InstanceIds=[]), "ValidationException"),
    }
    change, code = expected[case]
    kwargs.update(change)
    with pytest.raises(ClientError) as excinfo:
        ec2.ssm().send_command(**kwargs)
    got, status, message = _error(excinfo)
    assert (got, status) == (code, 400), message
    if case == "unknown instance":
        assert message.startswith("Instances [[i-0123456789abcdef0]] not in a valid state for account ")
    assert ec2.ssm().list_commands()["Commands"] == []  # a refused command leaves nothing behind
    assert [(c["status"], c["error_code"]) for c in ec2.calls("SendCommand")] == [(400, code)]


def test_get_command_invocation_errors(ec2):
    [iid] = ec2.running()
    command = _send(ec2, [iid], "true")
    ssm = ec2.ssm()
    with pytest.raises(ClientError) as excinfo:
        ssm.get_command_invocation(CommandId="00000000-0000-0000-0000-000000000000", InstanceId=iid)
    assert _error(excinfo)[:2] == ("InvocationDoesNotExist", 400)
    with pytest.raises(ClientError) as excinfo:
        ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=iid, PluginName="aws:runPowerShellScript")
    assert _error(excinfo)[0] == "InvalidPluginName"
    with pytest.raises(ClientError) as excinfo:
        ssm.list_commands(CommandId="00000000-0000-0000-0000-000000000000")
    assert _error(excinfo)[0] == "InvalidCommandId"
    assert _invocations(ec2, CommandId="00000000-0000-0000-0000-000000000000") == []


def test_platform_mismatch_is_unsupported_platform_type(ec2):
    [linux] = ec2.running()
    [windows] = ec2.running(ImageId=WINDOWS_IMAGE)
    assert ec2.instances([windows])[windows]["Platform"] == "windows"
    assert "Platform" not in ec2.instances([linux])[linux]  # EC2 sends Platform for Windows only
    for document, ids, platform in [("AWS-RunShellScript", [windows], "Windows"),
                                    ("AWS-RunPowerShellScript", [linux], "Linux"),
                                    ("AWS-RunShellScript", [linux, windows], "Windows")]:
        with pytest.raises(ClientError) as excinfo:
            _send(ec2, ids, "echo hi", document=document)
        code, status, message = _error(excinfo)
        assert (code, status) == ("UnsupportedPlatformType", 400)
        assert message.endswith(f"of platform type {platform}")
    command = _send(ec2, [windows], ["Write-Output hi", "exit 5"], document="AWS-RunPowerShellScript")
    invocation = _wait(ec2, command["CommandId"], windows)
    assert (invocation["Status"], invocation["ResponseCode"], invocation["PluginName"]) == \
        ("Failed", 5, "aws:runPowerShellScript")
    assert invocation["StandardOutputContent"] == ""  # PowerShell is not run in the sandbox


def test_call_log_faults_and_credentials(ec2):
    [iid] = ec2.running()
    ec2.fault(action="SendCommand", code="ThrottlingException", http_status=400, count=1, message="Rate exceeded")
    with pytest.raises(ClientError) as excinfo:
        _send(ec2, [iid], "true")
    assert _error(excinfo) == ("ThrottlingException", 400, "Rate exceeded")
    command = _send(ec2, [iid], "echo one")
    _wait(ec2, command["CommandId"], iid)
    calls = [c for c in ec2.calls() if c["action"] not in ("RunInstances", "DescribeInstances")]
    actions = [(c["action"], c["status"], c["error_code"]) for c in calls]
    assert actions[:2] == [("SendCommand", 400, "ThrottlingException"), ("SendCommand", 200, None)]
    assert set(actions[2:]) == {("GetCommandInvocation", 200, None)}
    assert calls[1]["params"]["InstanceIds"] == [iid]
    assert calls[1]["params"]["DocumentName"] == "AWS-RunShellScript"
    assert calls[1]["params"]["Parameters"] == {"commands": ["echo one"]}
    assert len(ec2.calls("SendCommand")) == 2

    import boto3

    for key, secret, code in [(ec2.env["AWS_ACCESS_KEY_ID"], "wrong-secret", "InvalidSignatureException"),
                              ("AKIAUNKNOWN000000000", ec2.env["AWS_SECRET_ACCESS_KEY"],
                               "UnrecognizedClientException")]:
        client = boto3.client("ssm", endpoint_url=ec2.url, region_name="us-east-1", aws_access_key_id=key,
                              aws_secret_access_key=secret)
        with pytest.raises(ClientError) as excinfo:
            client.list_commands()
        assert _error(excinfo)[:2] == (code, 400)
        assert ec2.calls()[-1]["action"] == "ListCommands" and ec2.calls()[-1]["error_code"] == code


@pytest.mark.parametrize("target,body,code", [
    ("AmazonSSM.LaunchRockets", b"{}", "UnknownOperationException"),
    ("AmazonSSM.SendCommand", b"{not json", "SerializationException"),
    ("AmazonSSM.SendCommand", b'{"DocumentName": "AWS-RunShellScript"}', "ValidationException"),
])
def test_json_error_format(ec2, target, body, code):
    status, answer = ec2.raw(body, content_type="application/x-amz-json-1.1", headers={"X-Amz-Target": target})
    assert status == 400
    error = json.loads(answer)
    assert set(error) == {"__type", "message"} and error["__type"] == code
    assert ec2.calls()[-1]["error_code"] == code


def test_reset_kills_a_running_script_and_forgets_commands(ec2, tmp_path):
    [iid] = ec2.running()
    pid_file = tmp_path / "pid"
    command = _send(ec2, [iid], f"echo $$ > {pid_file}; sleep 60")
    deadline = time.monotonic() + 10
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the script never started"
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    status, _ = ec2.control("reset")
    assert status == 200
    deadline = time.monotonic() + 10
    while _alive(pid):
        assert time.monotonic() < deadline, "the script survived the reset"
        time.sleep(0.05)
    with pytest.raises(ClientError) as excinfo:
        ec2.ssm().get_command_invocation(CommandId=command["CommandId"], InstanceId=iid)
    assert _error(excinfo)[0] == "InvocationDoesNotExist"
    assert ec2.ssm().list_commands()["Commands"] == []


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_reboot_keeps_running_and_is_counted(ec2):
    [iid, other] = ec2.running(2)
    ec2.client().reboot_instances(InstanceIds=[iid])
    ec2.client().reboot_instances(InstanceIds=[iid])
    assert ec2.state(iid) == ("running", 16)
    assert ec2.sandbox.ec2.lifecycle().reboots == {iid: 2}
    assert [c["params"] for c in ec2.calls("RebootInstances")] == [{"InstanceId.1": iid}] * 2
    ec2.client().stop_instances(InstanceIds=[other])
    with pytest.raises(ClientError) as excinfo:
        ec2.client().reboot_instances(InstanceIds=[other])
    assert _error(excinfo)[0] == "IncorrectInstanceState"
    assert ec2.sandbox.ec2.lifecycle().reboots == {iid: 2}
