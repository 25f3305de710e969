"""Cloud Assistant state: RunCommand invocations and their per-instance results.

Scripts really run, through the sandbox's command engine (`ctx.commands`, sandbox/commands.py);
this part of the model keeps what ECS reports about them. It holds the model's one lock, so an
invocation and the instances it touches are always seen together.

Sources (Alibaba Cloud ECS OpenAPI 2014-05-26 and the Cloud Assistant agent):
- RunCommand: parameters and defaults as the alibabacloud_ecs20140526 SDK documents them
  (InstanceId.N 1..100, Timeout default 60, ContentEncoding PlainText|Base64 case-insensitive
  and anything else taken as PlainText, RepeatMode Once|Period|NextRebootOnly|EveryReboot|DryRun,
  content at most 24 KB once Base64-encoded); error codes from the RunCommand/InvokeCommand
  error tables: InvalidCmdType.NotFound 403, InvalidInstance.NotFound 404,
  InvalidInstance.NotMatch 403 (command type vs OS type, and "check whether the status of the
  instance meets the conditions", i.e. not Running), InstanceIds.ExceedLimit 403,
  CmdContent.ExceedLimit 403, CmdName.ExceedLimit 403, CmdDesc.ExceedLimit 403,
  Username.ExceedLimit 403, InvalidParameter.WorkingDir 400, InvalidRepeatMode.NotFound 404,
  ClientToken: InvalidClientToken.Malformed 400, IdempotentParameterMismatch 403.
- DescribeInvocationResults / DescribeInvocations: per-instance InvocationStatus Pending,
  Running, Success, Failed, Timeout, Error, Cancelled, Terminated; ErrorCode ExitCodeNonzero,
  ExecutionTimeout, ExecutionException, ExecutionInterrupted, InstanceReleased; the overall
  status rule (Running while any instance runs; Success when every instance is Success or
  stopped and one is Success; Failed when all failed or stopped; PartialFailed otherwise);
  Output Base64 unless ContentEncoding=PlainText; Dropped = bytes cut from a 24 KB output.
- Exit 193 / 194 (Linux) and 3009 / 3010 (Windows): the reference document "Stop or restart an
  instance by using a Cloud Assistant command" (shared/reference/002). What is reported comes
  from the agent's source (github.com/aliyun/aliyun_assist_client, agent/taskengine/basetask.go
  Task.Run and host/processor.go SideEffect): the final result is sent as an ordinary
  "finished" result carrying the exit code, and only then is the instance powered off or
  rebooted. So the result reads Failed / ExitCodeNonzero / ExitCode 193 (a non-zero exit, as
  the docs define Failed), and the stop or reboot begins after that result is visible.

Sandbox choices (documented where ECS is silent):
- Only RepeatMode=Once runs; the other documented modes (and Frequency) answer
  Operation.Forbidden 403 saying the sandbox does not schedule commands.
- A timed-out or killed script reports ExitCode -1 (what Go, the agent's language, reports
  for a process killed by a signal).
- Timeout is accepted from 1 s (ECS documents no minimum for RunCommand) up to 86400 s.
- Windows command types are not run (see sandbox/commands.py): exit code from a final
  `exit N` line, empty output.
- WorkingDir defaults to /root (Linux), mapped inside the instance's scratch dir.
- A script whose instance is released while it runs is killed and reads Failed /
  InstanceReleased; one whose instance stops under it, Failed / ExecutionInterrupted.
- An invocation belongs to its RunCommand's RegionId (required there, as in the other three
  actions, by the SDK's request models): RunCommand finds only that region's instances (one of
  another region is InvalidInstance.NotFound, as an unknown id), DescribeInvocation(s|Results)
  list only that region's invocations and StopInvocation finds only them (InvalidInvokeId.NotFound).
"""
import base64
import binascii
import itertools

from sandbox import commands as engine
from sandbox.ecs.models.base import RUNNING, iso_second
from sandbox.ecs.models.errors import EcsError
from sandbox.ecs.models.regions import REGION

COMMAND_TYPES = {"RunShellScript": "sh", "RunPowerShellScript": "powershell", "RunBatScript": "bat"}
WINDOWS_TYPES = ("RunPowerShellScript", "RunBatScript")
REPEAT_MODES = ("Once", "Period", "NextRebootOnly", "EveryReboot", "DryRun")
MAX_INSTANCES = 100
MAX_CONTENT_BASE64 = 24 * 1024
MAX_OUTPUT = 24 * 1024
STOP_EXIT_CODES = {"linux": 193, "windows": 3009}
REBOOT_EXIT_CODES = {"linux": 194, "windows": 3010}
KILLED_EXIT_CODE = -1

# The words ECS uses in ErrorInfo for each ErrorCode.
ERROR_INFO = {
    "ExitCodeNonzero": "The command execution exit code is not zero.",
    "ExecutionTimeout": "The command execution has been timeout.",
    "ExecutionException": "The command execution got an exception.",
    "ExecutionInterrupted": "The command task was interrupted.",
    "InstanceReleased": "The specified instance was released during task execution.",
}


def forbidden(code, message):
    return EcsError(code, 403, message)


def decode_content(content, encoding):
    """CommandContent as text. ECS: Base64 (any case) decodes, any other value is PlainText."""
    if (encoding or "").lower() != "base64":
        return content
    try:
        return base64.b64decode(content.encode(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise EcsError("InvalidParameter", 400, "The specified parameter CommandContent is not valid Base64.")


def encode_text(text, encoding):
    """Output/CommandContent in a response: Base64 unless PlainText was asked for."""
    if (encoding or "").lower() == "plaintext":
        return text
    return base64.b64encode(text.encode("utf-8")).decode()


class InvokeRecord:
    """One instance's part of an invocation."""

    def __init__(self, seq, instance_id, execution):
        self.seq = seq
        self.instance_id = instance_id
        self.execution = execution
        self.error_code = ""  # set when the sandbox ends it for a reason of its own
        self.status = None  # overrides the engine's status once set (Failed when released/interrupted)
        self.ended_at = None  # when the sandbox ended it for that reason

    def invocation_status(self):
        if self.status:
            return self.status
        execution = self.execution
        state = execution.status
        if state == engine.PENDING:
            return "Pending"
        if state == engine.RUNNING:
            return "Running"
        if state == engine.FINISHED:
            return "Success" if execution.exit_code == 0 else "Failed"
        if state == engine.TIMEOUT:
            return "Timeout"
        if state == engine.CANCELLED:
            return "Terminated" if execution.started_at is not None else "Cancelled"
        return "Error"

    def code(self):
        if self.error_code:
            return self.error_code
        return {"Failed": "ExitCodeNonzero", "Timeout": "ExecutionTimeout",
                "Error": "ExecutionException"}.get(self.invocation_status(), "")

    def exit_code(self):
        execution = self.execution
        if execution.status == engine.FINISHED and not self.error_code:
            return execution.exit_code if execution.exit_code >= 0 else KILLED_EXIT_CODE
        if execution.status in (engine.PENDING, engine.RUNNING) and not self.status:
            return 0
        return KILLED_EXIT_CODE if execution.started_at is not None else 0


# InvokeRecordStatus, the coarse per-instance word, for each detailed InvocationStatus.
RECORD_STATUS = {"Pending": "Running", "Running": "Running", "Stopping": "Stopping", "Success": "Finished",
                 "Failed": "Failed", "Timeout": "Failed", "Error": "Failed", "Cancelled": "Stopped",
                 "Terminated": "Stopped"}
STOPPED_WORDS = ("Cancelled", "Terminated")
FAILED_WORDS = ("Failed", "Timeout", "Error", "Invalid", "Aborted")


def overall_status(words):
    """The invocation's InvocationStatus from its instances' statuses, as ECS documents it."""
    if any(w == "Stopping" for w in words):
        return "Stopping"
    if any(w == "Running" for w in words):
        return "Running"
    if any(w == "Pending" for w in words):
        return "Pending"
    if all(w in STOPPED_WORDS for w in words):
        return "Stopped"
    if all(w in ("Success",) + STOPPED_WORDS for w in words):
        return "Success"
    if all(w in FAILED_WORDS + STOPPED_WORDS for w in words):
        return "Failed"
    return "PartialFailed"


def legacy_invoke_status(overall):
    """InvokeStatus, the older overall word (Running | Finished | Failed | Stopped | Stopping)."""
    return {"Pending": "Running", "Running": "Running", "Stopping": "Stopping", "Stopped": "Stopped",
            "Failed": "Failed"}.get(overall, "Finished")


class Invocation:
    def __init__(self, seq, invoke_id, command_id, command_type, content, name, description, timeout,
                 working_dir, username, keep_command, created, region=REGION):
        self.seq = seq
        self.region = region  # RunCommand's RegionId
        self.invoke_id, self.command_id = invoke_id, command_id
        self.command_type, self.content = command_type, content
        self.name, self.description = name, description
        self.timeout, self.working_dir, self.username = timeout, working_dir, username
        self.keep_command = keep_command
        self.created = created
        self.records = []  # InvokeRecord per instance, in request order


class Invocations:
    """RunCommand and what DescribeInvocation(s|Results) and StopInvocation read and change. Its
    methods take the model's lock themselves (`with self.lock`), without the auto-release the
    instance actions' `locked` carries out first."""

    def _reset_invocations(self):
        self.invocations = {}  # invoke id -> Invocation, in creation order
        self._client_tokens = {}  # ClientToken -> (request fingerprint, invoke id, command id)
        self._invocation_record_seq = itertools.count(1)
        self._invocation_seq = itertools.count(1)

    # ---- RunCommand --------------------------------------------------------------------------

    def run_command(self, instance_ids, command_type, content, timeout=60, working_dir=None, username=None,
                    name=None, description=None, repeat_mode=None, frequency=None, keep_command=False,
                    client_token=None, fingerprint=None, region=REGION):
        """(InvokeId, CommandId). A repeated ClientToken with the same request returns the first
        answer and runs nothing (so an SDK retry runs the script once); with another request it is
        IdempotentParameterMismatch, as ECS documents."""
        if client_token is not None and (len(client_token) > 64 or not client_token.isascii()):
            raise EcsError("InvalidClientToken.Malformed", 400, "The specified parameter clientToken is not valid.")
        if command_type not in COMMAND_TYPES:
            raise forbidden("InvalidCmdType.NotFound", "The specified command type does not exist.")
        if repeat_mode is not None and repeat_mode not in REPEAT_MODES:
            raise EcsError("InvalidRepeatMode.NotFound", 404, "The specified repeat mode does not exist.")
        if frequency or (repeat_mode or "Once") != "Once":
            raise forbidden("Operation.Forbidden", "The operation is not permitted. The sandbox runs commands "
                                                   "once only (RepeatMode=Once, no Frequency).")
        if len(base64.b64encode(content.encode("utf-8"))) > MAX_CONTENT_BASE64:
            raise forbidden("CmdContent.ExceedLimit", "The maximum length of a command is exceeded.")
        if name and len(name) > 128:
            raise forbidden("CmdName.ExceedLimit", "The length of the command name exceeds the upper limit.")
        if description and len(description) > 512:
            raise forbidden("CmdDesc.ExceedLimit", "The length of the command description exceeds the upper limit.")
        if username and len(username) > 255:
            raise forbidden("Username.ExceedLimit", "The length of the username exceeds the upper limit.")
        if working_dir and len(working_dir) > 200:
            raise EcsError("InvalidParameter.WorkingDir", 400, "The specified parameter WorkingDir is not valid.")
        if len(instance_ids) > MAX_INSTANCES:
            raise forbidden("InstanceIds.ExceedLimit", "The number of instance IDs exceeds the upper limit.")
        with self.lock:  # one critical section: two retries with one token cannot both run
            seen = self._client_tokens.get(client_token) if client_token is not None else None
            if seen is not None:
                if seen[0] != fingerprint:
                    raise forbidden("IdempotentParameterMismatch",
                                    "The specified parameter has changed while using an already used clientToken.")
                return seen[1], seen[2]
            instances = [self._command_target(i, command_type, region) for i in dict.fromkeys(instance_ids)]
            windows = command_type in WINDOWS_TYPES
            invocation = Invocation(
                next(self._invocation_seq), self._new_id("t-", self.invocations), self._new_id("c-", ()),
                command_type, content, name or "", description or "", timeout,
                working_dir or ("C:\\Windows\\system32" if windows else "/root"),
                username or ("System" if windows else "root"), keep_command, self._now(), region=region)
            self.invocations[invocation.invoke_id] = invocation
            for inst in instances:
                execution = self.ctx.commands.start(
                    inst.id, content, COMMAND_TYPES[command_type], timeout, working_dir=invocation.working_dir,
                    max_output=MAX_OUTPUT, on_done=self._on_done, group="ecs")
                invocation.records.append(InvokeRecord(next(self._invocation_record_seq), inst.id, execution))
            if client_token is not None:
                self._client_tokens[client_token] = (fingerprint, invocation.invoke_id, invocation.command_id)
            return invocation.invoke_id, invocation.command_id

    def _command_target(self, instance_id, command_type, region=None):
        try:
            inst = self._get(instance_id, region)
        except EcsError:
            raise EcsError("InvalidInstance.NotFound", 404, "The specified instance does not exist.")
        if inst.status != RUNNING:
            raise forbidden("InvalidInstance.NotMatch", "The specified instance type does not match the command. "
                                                        f"(instance {instance_id} is {inst.status}, not Running)")
        windows_type = command_type in WINDOWS_TYPES
        if windows_type != (inst.os_type == "windows"):
            raise forbidden("InvalidInstance.NotMatch", "The specified instance type does not match the command. "
                                                        f"({command_type} on a {inst.os_type} instance)")
        return inst

    def _on_done(self, execution):
        """Exit 193/194 (3009/3010 on Windows): stop or reboot, now that the result is visible."""
        if execution.status != engine.FINISHED:
            return
        with self.lock:
            inst = self.instances.get(execution.instance_id)
            if inst is None or not self._owns(execution):
                return
            if execution.exit_code == STOP_EXIT_CODES.get(inst.os_type):
                self.stop_from_guest(inst.id)
            elif execution.exit_code == REBOOT_EXIT_CODES.get(inst.os_type):
                self.reboot_from_guest(inst.id)

    def _owns(self, execution):
        """False for an execution of an invocation forgotten by a reset."""
        return any(r.execution is execution for inv in self.invocations.values() for r in inv.records
                   if r.instance_id == execution.instance_id)

    # ---- keeping results honest -------------------------------------------------------------

    def _reconcile(self, record):
        """A script outlives neither its instance nor the instance being stopped under it."""
        if record.status or record.execution.status not in (engine.PENDING, engine.RUNNING):
            return
        inst = self.instances.get(record.instance_id)
        if inst is None:
            record.status, record.error_code = "Failed", "InstanceReleased"
        elif self._settle(inst) != RUNNING:
            record.status, record.error_code = "Failed", "ExecutionInterrupted"
        else:
            return
        record.ended_at = self._now()
        self.ctx.commands.cancel(record.execution)

    # ---- rendering ----------------------------------------------------------------------------

    def _result_fields(self, invocation, record, encoding, times_key="FinishedTime"):
        self._reconcile(record)
        execution = record.execution
        word = record.invocation_status()
        code = record.code()
        # the engine sets status last: once it is final, output and times are already there
        ended = record.ended_at or (execution.finished_at if execution.status not in (engine.PENDING, engine.RUNNING)
                                    else None)
        stopped = word in STOPPED_WORDS
        return {
            "InstanceId": record.instance_id, "InvocationStatus": word,
            "ExitCode": record.exit_code(), "ErrorCode": code, "ErrorInfo": ERROR_INFO.get(code, ""),
            "Output": encode_text(execution.output, encoding), "Dropped": execution.dropped,
            "StartTime": iso_second(execution.started_at) if execution.started_at else "",
            times_key: iso_second(ended) if ended and not stopped else "",
            "StopTime": iso_second(ended) if ended and stopped else "",
            "Repeats": 1 if execution.started_at else 0,
        }

    def _invocation_rows(self, invoke_id=None, instance_id=None, command_id=None, region=None):
        for invocation in self.invocations.values():
            if (region is not None and invocation.region != region) \
                    or (invoke_id and invocation.invoke_id != invoke_id) \
                    or (command_id and invocation.command_id != command_id):
                continue
            for record in invocation.records:
                if instance_id and record.instance_id != instance_id:
                    continue
                yield invocation, record

    def describe_results(self, page, invoke_id=None, instance_id=None, command_id=None, record_status=None,
                         encoding=None, region=None):
        with self.lock:
            rows = []
            for invocation, record in self._invocation_rows(invoke_id, instance_id, command_id, region):
                fields = self._result_fields(invocation, record, encoding)
                fields["InvokeRecordStatus"] = RECORD_STATUS[fields["InvocationStatus"]]
                if record_status and record_status not in (fields["InvokeRecordStatus"], fields["InvocationStatus"]):
                    continue
                rows.append((record.seq, {
                    "InvokeId": invocation.invoke_id, "CommandId": invocation.command_id,
                    "Username": invocation.username, "ContainerId": "", "ContainerName": "", "Launcher": "",
                    "TerminationMode": "ProcessTree", "Tags": {"Tag": []}, **fields}))
            items, paging = page.apply(rows, key=lambda row: row[0])
            return [fields for _, fields in items], paging

    def describe_invocations(self, page, invoke_id=None, instance_id=None, command_id=None, command_name=None,
                             command_type=None, invoke_status=None, include_output=False, encoding=None,
                             region=None):
        with self.lock:
            out = []
            for invocation in self.invocations.values():
                if (region is not None and invocation.region != region) or \
                        (invoke_id and invocation.invoke_id != invoke_id) or \
                        (command_id and invocation.command_id != command_id) or \
                        (command_type and invocation.command_type != command_type) or \
                        (command_name and not instance_id and invocation.name != command_name):
                    continue
                records = [r for r in invocation.records if not instance_id or r.instance_id == instance_id]
                if not records:
                    continue
                instances = []
                for record in records:
                    fields = self._result_fields(invocation, record, encoding, times_key="FinishTime")
                    if not include_output:
                        fields["Output"] = ""
                    fields["InstanceInvokeStatus"] = RECORD_STATUS[fields["InvocationStatus"]]
                    fields["CreationTime"] = iso_second(invocation.created)
                    fields["UpdateTime"] = fields["FinishTime"] or fields["StopTime"] or fields["StartTime"] \
                        or fields["CreationTime"]
                    fields["Timed"] = False
                    instances.append(fields)
                overall = overall_status([f["InvocationStatus"] for f in instances])
                if invoke_status and invoke_status not in (overall, legacy_invoke_status(overall)):
                    continue
                out.append((invocation.seq, {
                    "InvokeId": invocation.invoke_id, "CommandId": invocation.command_id,
                    "CommandName": invocation.name, "CommandDescription": invocation.description,
                    "CommandType": invocation.command_type,
                    "CommandContent": encode_text(invocation.content, encoding),
                    "CreationTime": iso_second(invocation.created), "Frequency": "", "RepeatMode": "Once",
                    "Timed": False, "Timeout": invocation.timeout, "Username": invocation.username,
                    "WorkingDir": invocation.working_dir, "Parameters": "{}", "ContainerId": "",
                    "ContainerName": "", "Launcher": "", "TerminationMode": "ProcessTree",
                    "InvocationStatus": overall, "InvokeStatus": legacy_invoke_status(overall),
                    "InvokeInstances": {"InvokeInstance": instances}, "Tags": {"Tag": []},
                }))
            items, paging = page.apply(out, key=lambda row: row[0])
            return [body for _, body in items], paging

    # ---- StopInvocation -----------------------------------------------------------------------

    def stop_invocation(self, invoke_id, instance_ids=None, region=None):
        with self.lock:
            invocation = self.invocations.get(invoke_id)
            if invocation is None or (region is not None and invocation.region != region):
                raise EcsError("InvalidInvokeId.NotFound", 404, "The specified invoke ID does not exist.")
            wanted = set(instance_ids or [])
            executions = [r.execution for r in invocation.records if not wanted or r.instance_id in wanted]
        for execution in executions:  # outside the lock: a cancel may finish and call back into it
            self.ctx.commands.cancel(execution)
