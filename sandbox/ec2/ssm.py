"""AWS Systems Manager Run Command for the sandbox's EC2 instances: its own small model, no moto.

moto's SSM runs nothing and, given explicit InstanceIds, targets every instance in the region; here
a command runs only on the instances asked, through the sandbox's command engine
(`ctx.commands`, sandbox/commands.py), and its statuses, response codes and output are the
script's own.

Operations: SendCommand, GetCommandInvocation, ListCommandInvocations, ListCommands,
CancelCommand. Documents: AWS-RunShellScript (Linux, run with the engine's "sh") and
AWS-RunPowerShellScript (Windows, not run: the engine takes the exit code from a final `exit N`).

Sources, for the choices below (botocore's SSM model 2014-11-06 is the wire contract):
- SSM API reference, SendCommand: InstanceIds "up to 50"; TimeoutSeconds 30..2592000; errors
  InvalidInstanceId, InvalidDocument, InvalidParameters, UnsupportedPlatformType, ...
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
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sandbox.ec2.errors import SsmError

GROUP = "ec2"  # the engine group of this cloud's scripts: Emulator.reset() resets it

MAX_INSTANCE_IDS = 50
MAX_RESULTS = 50
STDOUT_CONTENT_MAX = 24000
PLUGIN_OUTPUT_MAX = 2400  # amazon-ssm-agent MaximumPluginOutputSize
_TRUNC_OUT = "\n---Output truncated---"
_TRUNC_ERR = "\n---Error truncated----"
_ERROR_TITLE = "\n----------ERROR-------\n"
ENGINE_MAX_OUTPUT = 64 * 1024  # kept by the engine (its last bytes); SSM shows the first 24,000
DEFAULT_EXECUTION_TIMEOUT = 3600
DEFAULT_TIMEOUT_SECONDS = 3600
STOPPED_PREEMPTIVELY = {"linux": 137, "windows": -1}

_COMMAND_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_INSTANCE_ID = re.compile(r"^(i-(\w{8}|\w{17})|mi-\w{17})$")
_EXECUTION_TIMEOUT = re.compile(r"^([1-9][0-9]{0,4}|1[0-6][0-9]{4}|17[0-1][0-9]{3}|172[0-7][0-9]{2}|172800)$")
_DOCUMENT_VERSION = re.compile(r"^(\$LATEST|\$DEFAULT|[1-9][0-9]*)$")


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
_PARAMETERS = ("commands", "workingDirectory", "executionTimeout")
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


def validation_error(member, value, constraint):
    return SsmError("ValidationException",
                    f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                    f"{constraint}")


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

    def __init__(self, ctx, account_id):
        self.ctx = ctx
        self.account_id = account_id
        self._lock = threading.Lock()
        self._commands = {}  # command id -> Command, in send order
        self._seq = 0

    def reset(self):
        """Forget every command (the engine's reset of the "ec2" group kills their scripts)."""
        with self._lock:
            self._commands.clear()

    # --- SendCommand ------------------------------------------------------------------------
    def send_command(self, params, region, describe):
        """`describe(region, ids)` -> {id: (state name, platform)} for the ids EC2 knows."""
        document = self._document(params)
        version = params.get("DocumentVersion")
        if version is not None and not _DOCUMENT_VERSION.match(str(version)):
            raise SsmError("InvalidDocumentVersion", f"Document version {version} is not valid.")
        if version not in (None, "$DEFAULT", "$LATEST", "1"):
            raise SsmError("InvalidDocumentVersion",
                           f"Document {document.name} does not have version {version}.")
        instance_ids = self._targets(params)
        commands, working_dir, execution_timeout = self._parameters(document, params.get("Parameters"))
        timeout_seconds = params.get("TimeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
        if not isinstance(timeout_seconds, int) or isinstance(timeout_seconds, bool) \
                or not 30 <= timeout_seconds <= 2592000:
            raise validation_error("timeoutSeconds", timeout_seconds,
                                   "Member must have value between 30 and 2592000")
        comment = params.get("Comment") or ""
        if len(str(comment)) > 100:
            raise validation_error("comment", comment, "Member must have length less than or equal to 100")

        known = describe(region, instance_ids)
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
                document_version=version or "$DEFAULT", comment=str(comment),
                parameters=params.get("Parameters") or {}, instance_ids=list(instance_ids), requested_at=now,
                timeout_seconds=timeout_seconds, execution_timeout=execution_timeout,
                max_concurrency=str(params.get("MaxConcurrency") or "50"),
                max_errors=str(params.get("MaxErrors") or "0"),
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

    @staticmethod
    def _document(params):
        name = params.get("DocumentName")
        if not name:
            raise validation_error("documentName", "null", "Member must not be null")
        short = str(name).rsplit("document/", 1)[-1] if str(name).startswith("arn:") else str(name)
        document = DOCUMENTS.get(short)
        if document is None:
            raise SsmError("InvalidDocument", f"Document with name {name} does not exist.")
        return document

    @staticmethod
    def _targets(params):
        instance_ids = params.get("InstanceIds") or []
        for target in params.get("Targets") or []:
            if not isinstance(target, dict) or target.get("Key") != "InstanceIds":
                raise SsmError("InvalidParameters",
                               "The sandbox targets instances by InstanceIds only (Targets Key=InstanceIds).")
            instance_ids = list(instance_ids) + list(target.get("Values") or [])
        if not isinstance(instance_ids, list) or not all(isinstance(i, str) for i in instance_ids):
            raise SsmError("SerializationException", "InstanceIds must be a list of strings.")
        if not instance_ids:
            raise SsmError("ValidationException", "Either InstanceIds or Targets must be specified.")
        if len(instance_ids) > MAX_INSTANCE_IDS:
            raise validation_error("instanceIds", instance_ids,
                                   f"Member must have length less than or equal to {MAX_INSTANCE_IDS}")
        malformed = [i for i in instance_ids if not _INSTANCE_ID.match(i)]
        if malformed:
            raise SsmError("InvalidInstanceId", f"Instances [[{', '.join(malformed)}]] not in a valid state for "
                                                f"account (malformed instance id)")
        return list(dict.fromkeys(instance_ids))

    @staticmethod
    def _parameters(document, parameters):
        parameters = parameters or {}
        if not isinstance(parameters, dict):
            raise SsmError("SerializationException", "Parameters must be a map of string lists.")
        unknown = [k for k in parameters if k not in _PARAMETERS]
        if unknown:
            raise SsmError("InvalidParameters",
                           f"Parameter \"{unknown[0]}\" is not defined in document {document.name}.")
        for key, value in parameters.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SsmError("InvalidParameters", f"Parameter \"{key}\" must be a list of strings.")
        commands = parameters.get("commands")
        if not commands:
            raise SsmError("InvalidParameters", f"Parameter \"commands\" is required by document {document.name}.")
        working_dir = (parameters.get("workingDirectory") or [""])[0] or None
        raw_timeout = (parameters.get("executionTimeout") or [str(DEFAULT_EXECUTION_TIMEOUT)])[0]
        if not _EXECUTION_TIMEOUT.match(raw_timeout):
            raise SsmError("InvalidParameters",
                           f"Parameter \"executionTimeout\" \"{raw_timeout}\" failed to satisfy constraint: an "
                           "integer between 1 and 172800 (seconds).")
        return commands, working_dir, int(raw_timeout)

    # --- CancelCommand ----------------------------------------------------------------------
    def cancel_command(self, params):
        command = self._command(params.get("CommandId"))
        ids = params.get("InstanceIds") or list(command.invocations)
        with self._lock:
            invocations = [command.invocations[i] for i in ids if i in command.invocations]
            for invocation in invocations:
                invocation.cancel_requested = True
        for invocation in invocations:
            self.ctx.commands.cancel(invocation.execution)
        return {}

    # --- reading ----------------------------------------------------------------------------
    def get_command_invocation(self, params):
        command_id, instance_id = params.get("CommandId"), params.get("InstanceId")
        if not command_id:
            raise validation_error("commandId", "null", "Member must not be null")
        if not instance_id:
            raise validation_error("instanceId", "null", "Member must not be null")
        if not _COMMAND_ID.match(str(command_id)):
            raise SsmError("InvalidCommandId", f"{command_id} is not a valid command id.")
        if not _INSTANCE_ID.match(str(instance_id)):
            raise SsmError("InvalidInstanceId", f"{instance_id} is not a valid instance id.")
        with self._lock:
            command = self._commands.get(command_id)
            invocation = command.invocations.get(instance_id) if command else None
        if invocation is None:
            raise SsmError("InvocationDoesNotExist",
                           "An invocation with the given command id and instance id does not exist.")
        plugin = params.get("PluginName")
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

    def list_command_invocations(self, params):
        command_id, instance_id = params.get("CommandId"), params.get("InstanceId")
        self._check_list_ids(command_id, instance_id)
        limit = self._max_results(params)
        details = params.get("Details") is True
        filters = self._filters(params.get("Filters"))
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
        page, token = self._page(entries, params.get("NextToken"), limit, "invocations")
        result = {"CommandInvocations": page}
        if token:
            result["NextToken"] = token
        return result

    def list_commands(self, params):
        command_id, instance_id = params.get("CommandId"), params.get("InstanceId")
        self._check_list_ids(command_id, instance_id)
        limit = self._max_results(params)
        filters = self._filters(params.get("Filters"))
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
        page, token = self._page(entries, params.get("NextToken"), limit, "commands")
        result = {"Commands": page}
        if token:
            result["NextToken"] = token
        return result

    # --- helpers ----------------------------------------------------------------------------
    def _command(self, command_id):
        if not command_id:
            raise validation_error("commandId", "null", "Member must not be null")
        with self._lock:
            command = self._commands.get(command_id)
        if command is None:
            raise SsmError("InvalidCommandId", f"{command_id} is not a valid command id.")
        return command

    @staticmethod
    def _check_list_ids(command_id, instance_id):
        if command_id is not None and not _COMMAND_ID.match(str(command_id)):
            raise SsmError("InvalidCommandId", f"{command_id} is not a valid command id.")
        if instance_id is not None and not _INSTANCE_ID.match(str(instance_id)):
            raise SsmError("InvalidInstanceId", f"{instance_id} is not a valid instance id.")

    @staticmethod
    def _max_results(params):
        limit = params.get("MaxResults", MAX_RESULTS)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_RESULTS:
            raise validation_error("maxResults", limit,
                                   f"Member must have value less than or equal to {MAX_RESULTS}"
                                   if isinstance(limit, int) and limit > MAX_RESULTS
                                   else "Member must have value greater than or equal to 1")
        return limit

    @staticmethod
    def _filters(filters):
        parsed = []
        for item in filters or []:
            key, value = (item or {}).get("key"), (item or {}).get("value")
            if key not in ("InvokedAfter", "InvokedBefore", "Status", "ExecutionStage", "DocumentName"):
                raise SsmError("InvalidFilterKey", f"The filter key {key} is not valid.")
            if key in ("InvokedAfter", "InvokedBefore"):
                try:
                    value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                    if value.tzinfo is None:
                        value = value.replace(tzinfo=timezone.utc)
                    value = value.timestamp()
                except ValueError:
                    raise validation_error("filters.value", value, "Member must be an ISO 8601 date and time")
            parsed.append((key, value))
        return parsed

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
