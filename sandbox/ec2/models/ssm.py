"""AWS Systems Manager Run Command for the sandbox's EC2 instances: its own small model, no moto.

moto's SSM runs nothing and, given explicit InstanceIds, targets every instance in the region; here
a command runs only on the instances asked, through the sandbox's command engine
(`ctx.commands`, sandbox/commands.py), and its statuses, response codes and output are the
script's own.

Operations: SendCommand, GetCommandInvocation, ListCommandInvocations, ListCommands,
CancelCommand. Documents: AWS-RunShellScript (Linux, run with the engine's "sh") and
AWS-RunPowerShellScript (Windows, not run: the engine takes the exit code from a final `exit N`).

The model takes plain arguments: `sandbox.ec2.responses.ssm` reads and checks the request's
parameters (their sources are there) and calls it.

Sources, for the choices below (botocore's SSM model 2014-11-06 is the wire contract):
- InvalidInstanceId (API reference): the agent is not running or not registered, or the node is
  in an invalid state. Only a `running` instance has a running agent, so anything else (pending,
  stopping, stopped, shutting-down, terminated, unknown) is refused at SendCommand with the
  message real SSM gives: "Instances [[i-...]] not in a valid state for account N" (quoted in
  aws-samples/eks-security-compromised-cluster-remediation#12). The documented "Delayed" /
  "Delivery Timed Out" path (a node that goes away after the command was accepted) is not
  emulated.
- UnsupportedPlatformType (API reference): "The document doesn't support the platform type of
  the given managed node IDs", e.g. AWS-RunShellScript to a Windows node; real SSM refuses the
  whole SendCommand: "Cannot perform operation for instance id i-... of platform type Windows"
  (aws/aws-sdk-java#1209). The sandbox does the same when any given instance does not match.
- Statuses and StatusDetails: CommandInvocationStatus / CommandStatus enums and the
  StatusDetails documentation of GetCommandInvocation / Command ("In Progress",
  "Execution Timed Out", "Incomplete", ...).
- Output sizes: GetCommandInvocation StandardOutputContent is the first 24,000 characters,
  StandardErrorContent the first 8,000; CommandPlugin.Output is cut by the agent
  (amazon-ssm-agent agent/contracts TruncateOutput: 2400 characters, "\n---Output truncated---").
- ResponseCode: -1 while the command has not run (API reference). A script killed on
  executionTimeout or cancelled reports 137 on Linux, -1 on Windows (amazon-ssm-agent appconfig
  CommandStoppedPreemptivelyExitCode).

Not emulated: exit code 194 (real SSM reboots the node and runs the script again) and 3010
(reboot after success, status "Success" with a reboot) are ordinary exit codes here; our
modules restart instances with the EC2 API. MaxConcurrency (every invocation starts at once,
the engine limits how many scripts run in parallel), MaxErrors stopping further deliveries
("Terminated"), S3/CloudWatch output, notifications and Targets other than `InstanceIds`.
The engine interleaves stderr into stdout: StandardErrorContent is always empty.
"""
import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sandbox.ec2.models.errors import SsmError

GROUP = "ec2"  # the engine group of this cloud's scripts: Emulator.reset() resets it

STDOUT_CONTENT_MAX = 24000
PLUGIN_OUTPUT_MAX = 2400  # amazon-ssm-agent MaximumPluginOutputSize
_TRUNC_OUT = "\n---Output truncated---"
_TRUNC_ERR = "\n---Error truncated----"
_ERROR_TITLE = "\n----------ERROR-------\n"
ENGINE_MAX_OUTPUT = 64 * 1024  # kept by the engine (its last bytes); SSM shows the first 24,000
STOPPED_PREEMPTIVELY = {"linux": 137, "windows": -1}


@dataclass(frozen=True)
class Document:
    name: str
    plugin: str
    platform: str  # "linux" | "windows"
    shell: str  # the engine's shell


DOCUMENTS = {d.name: d for d in (
    Document("AWS-RunShellScript", "aws:runShellScript", "linux", "sh"),
    Document("AWS-RunPowerShellScript", "aws:runPowerShellScript", "windows", "powershell"),
)}
_PLATFORM_NAMES = {"linux": "Linux", "windows": "Windows"}


@dataclass
class Invocation:
    instance_id: str
    platform: str
    execution: object  # sandbox.commands.Execution
    cancel_requested: bool = False


@dataclass
class Command:
    seq: int
    command_id: str
    region: str
    document: Document
    document_version: str
    comment: str
    parameters: dict
    instance_ids: list
    requested_at: float
    timeout_seconds: int
    execution_timeout: int
    max_concurrency: str
    max_errors: str
    invocations: dict = field(default_factory=dict)  # instance id -> Invocation, in InstanceIds order


def _iso(epoch):
    """ExecutionStartDateTime / ExecutionEndDateTime: ISO 8601 strings (not timestamps)."""
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{int(epoch * 1000) % 1000:03d}Z"


def _elapsed(start, end):
    if start is None or end is None:
        return ""
    return f"PT{max(0.0, end - start):.3f}S"


def truncate_output(stdout, stderr, capacity=PLUGIN_OUTPUT_MAX):
    """The agent's TruncateOutput: stdout, then stderr after an ERROR title, within `capacity`."""
    title = _ERROR_TITLE if stderr else ""
    space = capacity - len(title)
    out_len, err_len = len(stdout), len(stderr)
    if out_len + err_len < space:
        return stdout + title + stderr
    if out_len > space // 2 and err_len > space // 2:
        size = space - len(_TRUNC_ERR) - len(_TRUNC_OUT)
        return stdout[:size // 2] + _TRUNC_OUT + title + stderr[:size // 2] + _TRUNC_ERR
    if out_len < space // 2:
        size = space - len(_TRUNC_ERR)
        return stdout + title + stderr[:size - out_len] + _TRUNC_ERR
    size = space - len(_TRUNC_OUT)
    return stdout[:size - err_len] + _TRUNC_OUT + title + stderr


def _max_errors_allowed(max_errors, target_count):
    value = str(max_errors or "0")
    try:
        if value.endswith("%"):
            return int(target_count * int(value[:-1]) / 100)
        return int(value)
    except ValueError:
        return 0


class SsmModel:
    """Commands and their invocations for one sandbox account; thread-safe."""

    def __init__(self, ctx, account_id, describe_instances):
        """`describe_instances(region, ids)` -> {id: (EC2 state name, "linux" | "windows")} for the ids EC2 knows."""
        self.ctx = ctx
        self.account_id = account_id
        self._describe_instances = describe_instances
        self._lock = threading.Lock()
        self._commands = {}  # command id -> Command, in send order
        self._seq = 0

    def reset(self):
        """Forget every command (the engine's reset of the "ec2" group kills their scripts)."""
        with self._lock:
            self._commands.clear()

    # --- SendCommand ------------------------------------------------------------------------
    def send_command(self, region, document, instance_ids, commands, working_dir=None,
                     execution_timeout=3600, document_version="$DEFAULT", timeout_seconds=3600, comment="",
                     parameters=None, max_concurrency="50", max_errors="0"):
        """Run `commands` (the document's `commands` parameter) on `instance_ids`, which must be running
        and of the document's platform; `parameters` is kept as the command shows them."""
        known = self._describe_instances(region, instance_ids)
        not_ready = [i for i in instance_ids if known.get(i, (None, None))[0] != "running"]
        if not_ready:
            raise SsmError("InvalidInstanceId",
                           f"Instances [[{', '.join(not_ready)}]] not in a valid state for account {self.account_id}")
        for instance_id in instance_ids:
            platform = known[instance_id][1]
            if platform != document.platform:
                raise SsmError("UnsupportedPlatformType",
                               f"Cannot perform operation for instance id {instance_id} of platform type "
                               f"{_PLATFORM_NAMES[platform]}")

        now = self.ctx.clock.now()
        content = "\n".join(commands)
        with self._lock:
            self._seq += 1
            command = Command(
                seq=self._seq, command_id=str(uuid.uuid4()), region=region, document=document,
                document_version=document_version, comment=comment, parameters=parameters or {},
                instance_ids=list(instance_ids), requested_at=now, timeout_seconds=timeout_seconds,
                execution_timeout=execution_timeout, max_concurrency=max_concurrency, max_errors=max_errors,
            )
            self._commands[command.command_id] = command
            for instance_id in instance_ids:
                execution = self.ctx.commands.start(
                    instance_id, content, document.shell, timeout=execution_timeout, working_dir=working_dir,
                    max_output=ENGINE_MAX_OUTPUT, group=GROUP)
                command.invocations[instance_id] = Invocation(instance_id, known[instance_id][1], execution)
            view = self._command_view(command)
        # SendCommand answers with the command as received: Pending, nothing completed yet.
        view.update(Status="Pending", StatusDetails="Pending", CompletedCount=0, ErrorCount=0)
        return {"Command": view}

    # --- CancelCommand ----------------------------------------------------------------------
    def cancel_command(self, command_id, instance_ids=None):
        """Cancel the command's invocations on `instance_ids` (None or empty: all of them)."""
        command = self._command(command_id)
        ids = instance_ids or list(command.invocations)
        with self._lock:
            invocations = [command.invocations[i] for i in ids if i in command.invocations]
            for invocation in invocations:
                invocation.cancel_requested = True
        for invocation in invocations:
            self.ctx.commands.cancel(invocation.execution)
        return {}

    # --- reading ----------------------------------------------------------------------------
    def get_command_invocation(self, command_id, instance_id, plugin=None):
        with self._lock:
            command = self._commands.get(command_id)
            invocation = command.invocations.get(instance_id) if command else None
        if invocation is None:
            raise SsmError("InvocationDoesNotExist",
                           "An invocation with the given command id and instance id does not exist.")
        if plugin is not None and plugin != command.document.plugin:
            raise SsmError("InvalidPluginName", f"The plugin name {plugin} is not valid for this invocation.")
        view = self._invocation_state(command, invocation)
        return {
            "CommandId": command.command_id,
            "InstanceId": instance_id,
            "Comment": command.comment,
            "DocumentName": command.document.name,
            "DocumentVersion": command.document_version,
            "PluginName": command.document.plugin,
            "ResponseCode": view["code"],
            "ExecutionStartDateTime": _iso(view["start"]),
            "ExecutionElapsedTime": _elapsed(view["start"], view["end"]),
            "ExecutionEndDateTime": _iso(view["end"]),
            "Status": view["status"],
            "StatusDetails": view["details"],
            "StandardOutputContent": view["stdout"][:STDOUT_CONTENT_MAX] if view["terminal"] else "",
            "StandardOutputUrl": "",
            "StandardErrorContent": "",
            "StandardErrorUrl": "",
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
        }

    def list_command_invocations(self, command_id=None, instance_id=None, limit=50, details=False, filters=(),
                                 next_token=None):
        """`filters`: [(key, value)], the InvokedAfter/InvokedBefore values as epoch seconds."""
        with self._lock:
            # An unknown (well-formed) CommandId lists nothing: SSM's lists are eventually consistent
            # and a command just sent may not be listed yet either.
            if command_id:
                commands = [self._commands[command_id]] if command_id in self._commands else []
            else:
                commands = list(self._commands.values())
            rows = [((-c.seq, index), c, inv) for c in commands for index, inv in enumerate(c.invocations.values())
                    if instance_id in (None, inv.instance_id)]
        rows.sort(key=lambda row: row[0])
        entries = []
        for key, command, invocation in rows:
            state = self._invocation_state(command, invocation)
            if self._matches(filters, command, state):
                entries.append((key, self._invocation_view(command, invocation, state, details)))
        page, token = self._page(entries, next_token, limit, "invocations")
        result = {"CommandInvocations": page}
        if token:
            result["NextToken"] = token
        return result

    def list_commands(self, command_id=None, instance_id=None, limit=50, filters=(), next_token=None):
        with self._lock:
            if command_id:
                if command_id not in self._commands:
                    raise SsmError("InvalidCommandId", f"{command_id} is not a valid command id.")
                commands = [self._commands[command_id]]
            else:
                commands = list(self._commands.values())
            commands = [c for c in commands if instance_id in (None, *c.invocations)]
        commands.sort(key=lambda c: -c.seq)
        entries = []
        for command in commands:
            view = self._command_view(command)
            state = {"status": view["Status"], "terminal": view["Status"] not in ("Pending", "InProgress",
                                                                               "Cancelling")}
            if self._matches(filters, command, state):
                entries.append(((-command.seq, 0), view))
        page, token = self._page(entries, next_token, limit, "commands")
        result = {"Commands": page}
        if token:
            result["NextToken"] = token
        return result

    # --- helpers ----------------------------------------------------------------------------
    def _command(self, command_id):
        with self._lock:
            command = self._commands.get(command_id)
        if command is None:
            raise SsmError("InvalidCommandId", f"{command_id} is not a valid command id.")
        return command

    @staticmethod
    def _matches(filters, command, state):
        for key, value in filters:
            if key == "InvokedAfter" and not command.requested_at >= value:
                return False
            if key == "InvokedBefore" and not command.requested_at <= value:
                return False
            if key == "Status" and state["status"] != value:
                return False
            if key == "DocumentName" and command.document.name != value:
                return False
            if key == "ExecutionStage" and (value == "Complete") != state["terminal"]:
                return False
        return True

    @staticmethod
    def _page(entries, token, limit, kind):
        """Keyset paging: the token holds the key of the last entry returned, so commands sent
        between two pages (they sort first) neither shift nor repeat entries."""
        start = 0
        if token:
            try:
                data = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
                if data.get("k") != kind:
                    raise ValueError(kind)
                after = tuple(data["a"])
            except (ValueError, KeyError, TypeError):
                raise SsmError("InvalidNextToken", "The specified token isn't valid.")
            start = next((n for n, (key, _) in enumerate(entries) if key > after), len(entries))
        page = entries[start:start + limit]
        more = start + limit < len(entries)
        next_token = base64.urlsafe_b64encode(
            json.dumps({"k": kind, "a": list(page[-1][0])}).encode()).decode() if more and page else None
        return [view for _, view in page], next_token

    def _invocation_state(self, command, invocation):
        """Status, StatusDetails, ResponseCode and output of one invocation, from its execution."""
        execution = invocation.execution
        stopped_code = STOPPED_PREEMPTIVELY[invocation.platform]
        state = {"start": execution.started_at, "end": None, "stdout": "", "terminal": False, "code": -1}
        if not execution.done.is_set():  # the engine sets done after every other field
            if invocation.cancel_requested:
                state.update(status="Cancelling", details="Cancelling")
            elif execution.started_at is None:
                state.update(status="Pending", details="Pending")
            else:
                state.update(status="InProgress", details="In Progress")
            return state
        state.update(terminal=True, end=execution.finished_at, stdout=execution.output or "")
        status = execution.status
        if status == "finished":
            code = execution.exit_code
            code = -1 if code is None or code < 0 else code  # killed by a signal: the agent reports -1
            state.update(code=code, status="Success" if code == 0 else "Failed",
                         details="Success" if code == 0 else "Failed")
        elif status == "timeout":
            state.update(code=stopped_code, status="TimedOut", details="Execution Timed Out")
        elif status == "cancelled":
            state.update(code=stopped_code if execution.started_at is not None else -1,
                         status="Cancelled", details="Cancelled")
        else:  # "error": the engine could not run it
            state.update(status="Failed", details="Failed")
        return state

    def _invocation_view(self, command, invocation, state, details):
        view = {
            "CommandId": command.command_id,
            "InstanceId": invocation.instance_id,
            "InstanceName": "",
            "Comment": command.comment,
            "DocumentName": command.document.name,
            "DocumentVersion": command.document_version,
            "RequestedDateTime": command.requested_at,
            "Status": state["status"],
            "StatusDetails": state["details"],
            "TraceOutput": "",
            "StandardOutputUrl": "",
            "StandardErrorUrl": "",
            "CommandPlugins": [],
            "ServiceRole": "",
            "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
        }
        if details:
            plugin = {
                "Name": command.document.plugin,
                "Status": state["status"] if state["status"] not in ("Cancelling", "Delayed") else "InProgress",
                "StatusDetails": state["details"],
                "ResponseCode": state["code"],
                "Output": truncate_output(state["stdout"], "") if state["terminal"] else "",
                "StandardOutputUrl": "",
                "StandardErrorUrl": "",
                "OutputS3Region": command.region,
                "OutputS3BucketName": "",
                "OutputS3KeyPrefix": "",
            }
            if state["start"] is not None:
                plugin["ResponseStartDateTime"] = state["start"]
            if state["end"] is not None:
                plugin["ResponseFinishDateTime"] = state["end"]
            view["CommandPlugins"] = [plugin]
        return view

    def _command_view(self, command):
        states = [self._invocation_state(command, inv) for inv in command.invocations.values()]
        status, details = self._aggregate(command, states)
        completed = sum(1 for s in states if s["terminal"])
        errors = sum(1 for s in states if s["status"] in ("Failed", "TimedOut"))
        return {
            "CommandId": command.command_id,
            "DocumentName": command.document.name,
            "DocumentVersion": command.document_version,
            "Comment": command.comment,
            "ExpiresAfter": command.requested_at + command.timeout_seconds + command.execution_timeout,
            "Parameters": command.parameters,
            "InstanceIds": list(command.instance_ids),
            "Targets": [],
            "RequestedDateTime": command.requested_at,
            "Status": status,
            "StatusDetails": details,
            "OutputS3Region": command.region,
            "OutputS3BucketName": "",
            "OutputS3KeyPrefix": "",
            "MaxConcurrency": command.max_concurrency,
            "MaxErrors": command.max_errors,
            "TargetCount": len(states),
            "CompletedCount": completed,
            "ErrorCount": errors,
            "DeliveryTimedOutCount": 0,
            "ServiceRole": "",
            "NotificationConfig": {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""},
            "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
            "TimeoutSeconds": command.timeout_seconds,
        }

    @staticmethod
    def _aggregate(command, states):
        """Command.Status / StatusDetails from its invocations (see Command.StatusDetails' documentation)."""
        if not all(s["terminal"] for s in states):
            if any(s["status"] == "Cancelling" for s in states):
                return "Cancelling", "Cancelling"
            if all(s["status"] == "Pending" for s in states):
                return "Pending", "Pending"
            return "InProgress", "In Progress"
        statuses = [s["status"] for s in states]
        if all(s == "Success" for s in statuses):
            return "Success", "Success"
        if any(s == "Cancelled" for s in statuses):
            return "Cancelled", "Cancelled"
        failed = [s for s in statuses if s in ("Failed", "TimedOut")]
        if len(failed) >= _max_errors_allowed(command.max_errors, len(states)):  # "MaxErrors or more"
            if all(s == "TimedOut" for s in failed):
                return "TimedOut", "Execution Timed Out"
            return "Failed", "Failed"
        # "Incomplete": attempted everywhere, not enough failures for Failed. CommandStatus has no
        # Incomplete value; the sandbox reports it as Failed with StatusDetails Incomplete.
        return "Failed", "Incomplete"
