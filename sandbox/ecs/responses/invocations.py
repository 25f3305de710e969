"""Wire side of Cloud Assistant: RunCommand, DescribeInvocationResults, DescribeInvocations,
StopInvocation. Params in, the model's `Invocations` part (sandbox/ecs/models/invocations.py) called, ECS body out.

RegionId is required by all four (their SDK request models say so) and has been checked
(missing, unknown) by regions.check_region_param before a handler runs; each passes it on, so an
invocation lives in the region of its RunCommand."""
from sandbox.ecs.models.invocations import decode_content
from sandbox.ecs.paging import Page
from sandbox.ecs.params import bad, missing

MAX_PAGE = 50  # DescribeInvocation(s|Results): PageSize and MaxResults at most 50, default 10


def _timeout(p):
    value = p.int("Timeout", 60)
    if not 1 <= value <= 86400:
        raise bad("Timeout", str(value), " It must be between 1 and 86400 seconds.")
    return value


def run_command(model, p):
    region = p.str("RegionId", required=True)
    command_type = p.str("Type", required=True)
    raw = p.get("CommandContent")
    if raw in (None, ""):
        raise missing("CommandContent")
    content = decode_content(raw, p.get("ContentEncoding"))
    if not content.strip():
        raise bad("CommandContent", raw, " The command content is empty.")
    instance_ids = p.indexed("InstanceId")
    if not instance_ids:
        raise missing("InstanceId")
    p.bool("EnableParameter")
    invoke_id, command_id = model.run_command(
        instance_ids, command_type, content, timeout=_timeout(p), working_dir=p.str("WorkingDir"),
        username=p.str("Username"), name=p.str("Name"), description=p.str("Description"),
        repeat_mode=p.str("RepeatMode"), frequency=p.str("Frequency"), keep_command=p.bool("KeepCommand"),
        client_token=p.str("ClientToken"), region=region,
        fingerprint=tuple(sorted((k, v) for k, v in p.raw.items() if k != "ClientToken")))
    return {"InvokeId": invoke_id, "CommandId": command_id}


def describe_invocation_results(model, p):
    region = p.str("RegionId", required=True)
    if p.bool("IncludeHistory"):
        raise bad("IncludeHistory", "true", " The sandbox keeps no history of scheduled commands.")
    rows, paging = model.describe_results(
        Page.from_params(p.raw, max_size=MAX_PAGE), invoke_id=p.str("InvokeId"), instance_id=p.str("InstanceId"),
        command_id=p.str("CommandId"),
        record_status=p.str("InvokeRecordStatus", choices=("Running", "Finished", "Success", "Failed",
                                                           "PartialFailed", "Stopped", "Stopping")),
        encoding=p.get("ContentEncoding"), region=region)
    return {"Invocation": {"InvocationResults": {"InvocationResult": rows}, **paging}}


def describe_invocations(model, p):
    region = p.str("RegionId", required=True)
    include_output = p.bool("IncludeOutput")
    if include_output and not (p.str("InvokeId") or p.str("InstanceId")):
        raise missing("InvokeId")
    rows, paging = model.describe_invocations(
        Page.from_params(p.raw, max_size=MAX_PAGE), invoke_id=p.str("InvokeId"), instance_id=p.str("InstanceId"),
        command_id=p.str("CommandId"), command_name=p.str("CommandName"),
        command_type=p.str("CommandType", choices=("RunShellScript", "RunPowerShellScript", "RunBatScript")),
        invoke_status=p.str("InvokeStatus"), include_output=include_output, encoding=p.get("ContentEncoding"),
        region=region)
    return {"Invocations": {"Invocation": rows}, **paging}


def stop_invocation(model, p):
    region = p.str("RegionId", required=True)
    model.stop_invocation(p.str("InvokeId", required=True), p.ids("InstanceId", required=False, limit=50),
                                region=region)


HANDLERS = {
    "RunCommand": run_command,
    "DescribeInvocationResults": describe_invocation_results,
    "DescribeInvocations": describe_invocations,
    "StopInvocation": stop_invocation,
}
