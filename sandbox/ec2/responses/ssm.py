"""AWS Systems Manager's wire protocol on the EC2 port: AWS JSON 1.1.

boto3's `ssm` client with `endpoint_url=AWS_ENDPOINT_URL` sends `POST /` with
`X-Amz-Target: AmazonSSM.<Operation>`, `Content-Type: application/x-amz-json-1.1`, a JSON body
and a SigV4 signature for service `ssm`. Errors are HTTP 4xx/5xx with a JSON body
`{"__type": "<Code>", "message": "..."}` (botocore reads the code from `__type`).

Turns a WSGI environ into an `SsmRequest` and renders JSON bodies; one handler per operation
(`HANDLERS`) reads and checks the request's parameters and calls the Run Command model
(sandbox/ec2/models/ssm.py) with plain arguments. Knows nothing of commands or instances.

Sources of the parameter checks (botocore's SSM model 2014-11-06 is the wire contract):
- SSM API reference, SendCommand: InstanceIds "up to 50"; TimeoutSeconds 30..2592000; errors
  InvalidInstanceId, InvalidDocument, InvalidParameters, UnsupportedPlatformType, ...
"""
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sandbox.ec2.models.errors import SsmError
from sandbox.ec2.models.ssm import DOCUMENTS

TARGET_PREFIX = "AmazonSSM."
CONTENT_TYPE = "application/x-amz-json-1.1"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/([^/]+)/")

# What AWS answers for a key it does not know and for a signature made with the wrong secret,
# in the JSON protocols (botocore: UnrecognizedClientException / InvalidSignatureException).
UNRECOGNIZED_CLIENT = ("UnrecognizedClientException", "The security token included in the request is invalid.")
INVALID_SIGNATURE = ("InvalidSignatureException",
                     "The request signature we calculated does not match the signature you provided. Check your AWS "
                     "Secret Access Key and signing method. Consult the service documentation for details.")
INTERNAL_ERROR = ("InternalServerError", "An internal error occurred.")


@dataclass
class SsmRequest:
    action: str  # the operation name, from X-Amz-Target
    params: dict  # the JSON body
    body: bytes
    region: str = "us-east-1"
    access_key: str = None


def is_ssm(environ):
    return (environ.get("HTTP_X_AMZ_TARGET") or "").startswith(TARGET_PREFIX)


def read_request(environ):
    """Parse an SSM request. The operation is known before the body is parsed, so a malformed
    body is still logged under its operation."""
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    action = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
    region, access_key = "us-east-1", None
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        access_key, region = match.group(1), match.group(2)
    request = SsmRequest(action=action, params={}, body=b"", region=region, access_key=access_key)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    request.body = environ["wsgi.input"].read(length) if length > 0 else b""
    return request


def parse_body(request):
    """The JSON body as a dict (an empty body is `{}`); SerializationException otherwise."""
    if not request.body.strip():
        return {}
    try:
        params = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SsmError("SerializationException", "Start of structure or map found where not expected.")
    if not isinstance(params, dict):
        raise SsmError("SerializationException", "Start of list found where not expected.")
    return params


def request_id():
    return str(uuid.uuid4())


def headers(req_id):
    return [("Content-Type", CONTENT_TYPE), ("x-amzn-RequestId", req_id)]


def body(data):
    return json.dumps(data, separators=(",", ":")).encode()


def error_body(code, message):
    return body({"__type": code, "message": message})


# ---- handlers: the request's parameters -> the model -> the answer ---------------------------

MAX_INSTANCE_IDS = 50
MAX_RESULTS = 50
DEFAULT_EXECUTION_TIMEOUT = 3600
DEFAULT_TIMEOUT_SECONDS = 3600

_COMMAND_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_INSTANCE_ID = re.compile(r"^(i-(\w{8}|\w{17})|mi-\w{17})$")
_EXECUTION_TIMEOUT = re.compile(r"^([1-9][0-9]{0,4}|1[0-6][0-9]{4}|17[0-1][0-9]{3}|172[0-7][0-9]{2}|172800)$")
_DOCUMENT_VERSION = re.compile(r"^(\$LATEST|\$DEFAULT|[1-9][0-9]*)$")
_PARAMETERS = ("commands", "workingDirectory", "executionTimeout")


def validation_error(member, value, constraint):
    return SsmError("ValidationException",
                    f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                    f"{constraint}")


def send_command(ssm, request):
    params = request.params
    document = _document(params)
    version = params.get("DocumentVersion")
    if version is not None and not _DOCUMENT_VERSION.match(str(version)):
        raise SsmError("InvalidDocumentVersion", f"Document version {version} is not valid.")
    if version not in (None, "$DEFAULT", "$LATEST", "1"):
        raise SsmError("InvalidDocumentVersion",
                       f"Document {document.name} does not have version {version}.")
    instance_ids = _targets(params)
    commands, working_dir, execution_timeout = _parameters(document, params.get("Parameters"))
    timeout_seconds = params.get("TimeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
    if not isinstance(timeout_seconds, int) or isinstance(timeout_seconds, bool) \
            or not 30 <= timeout_seconds <= 2592000:
        raise validation_error("timeoutSeconds", timeout_seconds,
                               "Member must have value between 30 and 2592000")
    comment = params.get("Comment") or ""
    if len(str(comment)) > 100:
        raise validation_error("comment", comment, "Member must have length less than or equal to 100")
    return ssm.send_command(
        request.region, document, instance_ids, commands, working_dir=working_dir,
        execution_timeout=execution_timeout, document_version=version or "$DEFAULT",
        timeout_seconds=timeout_seconds, comment=str(comment), parameters=params.get("Parameters") or {},
        max_concurrency=str(params.get("MaxConcurrency") or "50"), max_errors=str(params.get("MaxErrors") or "0"))


def _document(params):
    name = params.get("DocumentName")
    if not name:
        raise validation_error("documentName", "null", "Member must not be null")
    short = str(name).rsplit("document/", 1)[-1] if str(name).startswith("arn:") else str(name)
    document = DOCUMENTS.get(short)
    if document is None:
        raise SsmError("InvalidDocument", f"Document with name {name} does not exist.")
    return document


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


def cancel_command(ssm, request):
    command_id = request.params.get("CommandId")
    if not command_id:
        raise validation_error("commandId", "null", "Member must not be null")
    return ssm.cancel_command(command_id, request.params.get("InstanceIds"))


def get_command_invocation(ssm, request):
    params = request.params
    command_id, instance_id = params.get("CommandId"), params.get("InstanceId")
    if not command_id:
        raise validation_error("commandId", "null", "Member must not be null")
    if not instance_id:
        raise validation_error("instanceId", "null", "Member must not be null")
    if not _COMMAND_ID.match(str(command_id)):
        raise SsmError("InvalidCommandId", f"{command_id} is not a valid command id.")
    if not _INSTANCE_ID.match(str(instance_id)):
        raise SsmError("InvalidInstanceId", f"{instance_id} is not a valid instance id.")
    return ssm.get_command_invocation(command_id, instance_id, plugin=params.get("PluginName"))


def list_command_invocations(ssm, request):
    params = request.params
    command_id, instance_id = params.get("CommandId"), params.get("InstanceId")
    _check_list_ids(command_id, instance_id)
    limit = _max_results(params)
    details = params.get("Details") is True
    filters = _filters(params.get("Filters"))
    return ssm.list_command_invocations(command_id, instance_id, limit=limit, details=details, filters=filters,
                                        next_token=params.get("NextToken"))


def list_commands(ssm, request):
    params = request.params
    command_id, instance_id = params.get("CommandId"), params.get("InstanceId")
    _check_list_ids(command_id, instance_id)
    limit = _max_results(params)
    filters = _filters(params.get("Filters"))
    return ssm.list_commands(command_id, instance_id, limit=limit, filters=filters, next_token=params.get("NextToken"))


def _check_list_ids(command_id, instance_id):
    if command_id is not None and not _COMMAND_ID.match(str(command_id)):
        raise SsmError("InvalidCommandId", f"{command_id} is not a valid command id.")
    if instance_id is not None and not _INSTANCE_ID.match(str(instance_id)):
        raise SsmError("InvalidInstanceId", f"{instance_id} is not a valid instance id.")


def _max_results(params):
    limit = params.get("MaxResults", MAX_RESULTS)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_RESULTS:
        raise validation_error("maxResults", limit,
                               f"Member must have value less than or equal to {MAX_RESULTS}"
                               if isinstance(limit, int) and limit > MAX_RESULTS
                               else "Member must have value greater than or equal to 1")
    return limit


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


HANDLERS = {
    "SendCommand": send_command,
    "GetCommandInvocation": get_command_invocation,
    "ListCommandInvocations": list_command_invocations,
    "ListCommands": list_commands,
    "CancelCommand": cancel_command,
}
