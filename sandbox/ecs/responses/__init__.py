"""ECS wire format: read an RPC request, authenticate it, call the model, render JSON.

Split like moto's responses: this module is the WSGI side (read, authenticate, injected faults,
dispatch, errors in ECS's format); one module per resource (`instances`, `lifecycle`, `disks`,
`snapshots`, `images`, `regions`, `invocations`, as sandbox/ecs/models/ is laid out) holds the
handlers of its actions. A handler turns `Params` into plain model arguments and the model's answer
into the body ECS sends; it knows nothing of state beyond calling `EcsModel` methods.
"""
import json
import traceback
import uuid
from urllib.parse import parse_qsl

from sandbox.control import named_ids
from sandbox.ecs.models import REGION, REGIONS, EcsError, region_endpoint
from sandbox.ecs.params import Params
from sandbox.ecs.responses import disks, images, instances, invocations, lifecycle, regions, snapshots
from sandbox.ecs.responses.regions import check_region_param
from sandbox.ecs.signature import AuthError

VERSION = "2014-05-26"
HOST_ID = region_endpoint(REGION)  # an error's HostId when the request names no region the sandbox serves

# Wire fields that are signature or protocol plumbing, not API parameters (kept out of the call log).
BOILERPLATE = {"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
               "SignatureType", "Timestamp", "Format", "Version", "Action", "SecurityToken", "BearerToken"}
MAX_BODY = 1 << 20

# The batch actions that answer each instance on its own with BatchOptimization=SuccessFirst (their SDK
# request models: "SuccessFirst: ... each instance is started separately. The response contains the
# operation result for each instance"); an injected fault with instance_ids answers only those instances there.
PER_INSTANCE = frozenset({"StartInstances", "StopInstances", "RebootInstances"})

# What ECS answers with these codes, from the error tables of the StartInstance and StartInstances API
# references (AlibabaCloudDocs/ecs "intl.en-US/API Reference/Instances/StartInstance.md", SkyeYXL/ecs
# ".../StartInstances.md"; https://www.alibabacloud.com/help/doc-detail/25500.htm for the last two): the
# message of a fault with instance_ids and none of its own. Any other code keeps the fault's default message.
DOCUMENTED_MESSAGES = {
    "OperationDenied.NoStock": "The requested resource is sold out in the specified zone; try other types of "
                               "resources or other regions and zones.",  # 403, StartInstance and StartInstances
    "QuotaExceed.ElasticQuota": "No additional quota is available for the specified ECS instance type.",  # 403
    "InsufficientBalance": "Your account does not have enough balance.",  # 403, StartInstance and StartInstances
    "LackResource": "There's no enough resource on the specified capacity reservation.",  # 400, StartInstance
    "Invalid.PrivatePoolOptions.NoStock": "The PrivatePool has been used up.",  # 400, StartInstance
}

# Every action the sandbox serves -> its handler(model, params[, failing]).
HANDLERS = {**instances.HANDLERS, **lifecycle.HANDLERS, **disks.HANDLERS, **snapshots.HANDLERS, **images.HANDLERS,
            **regions.HANDLERS, **invocations.HANDLERS}


def _request_id():
    return str(uuid.uuid4()).upper()


def _respond(start_response, status, body):
    payload = json.dumps(body).encode()
    start_response(f"{status} {'OK' if status < 400 else 'Error'}",
                   [("Content-Type", "application/json;charset=utf-8"), ("Content-Length", str(len(payload)))])
    return [payload]


def error_body(request_id, code, message, host_id=HOST_ID):
    return {"RequestId": request_id, "HostId": host_id, "Code": code, "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Ecs"}


def _read_request(environ):
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(min(length, MAX_BODY)) if length > 0 else b""
    form = {}
    if body and "application/x-www-form-urlencoded" in (environ.get("CONTENT_TYPE") or ""):
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return query, body, form


class EcsApi:
    """The WSGI side of the emulator; `emulator` gives calls, faults, verifier and model."""

    def __init__(self, emulator):
        self.emulator = emulator

    def __call__(self, environ, start_response):
        request_id = _request_id()
        action, params = "", {}
        try:
            query, body, form = _read_request(environ)
            action = environ.get("HTTP_X_ACS_ACTION") or query.get("Action") or form.get("Action") or ""
            params = {k: v for k, v in {**query, **form}.items() if k not in BOILERPLATE}
            self.emulator.verifier.verify(environ, query, body, form)
        except AuthError as err:
            return self._error(start_response, request_id, action, params, err)
        except Exception:  # a request we cannot even read is still answered in ECS's format
            traceback.print_exc()
            return self._error(start_response, request_id, action, params,
                               EcsError("InvalidParameter", 400, "The request could not be read."))
        fault, failing = self._take_fault(action, params)
        if fault is not None:
            return self._error(start_response, request_id, action, params, _fault_error(fault))
        try:
            version = environ.get("HTTP_X_ACS_VERSION") or query.get("Version") or form.get("Version")
            if version != VERSION:
                raise EcsError("InvalidVersion", 400, f"Specified parameter Version ({version}) is not valid.")
            handler = HANDLERS.get(action)
            if handler is None:
                raise EcsError("InvalidAction.NotFound", 404,
                               f"Specified api ({action}) is not found, please check your url and method.")
            check_region_param(action, params)
            try:
                # failing: {instance id: EcsError}, a SuccessFirst batch call's instances an injected fault answers
                extra = {"failing": failing} if failing else {}
                result = handler(self.emulator.model, Params(params), **extra)
            finally:
                if not action.startswith("Describe"):  # it may have changed what a state file keeps
                    self.emulator.touch()
        except EcsError as err:
            return self._error(start_response, request_id, action, params, err)
        except Exception:  # a handler crash: ECS's 500, and the server keeps serving
            traceback.print_exc()
            return self._error(start_response, request_id, action, params,
                               EcsError("InternalError", 500, "The request processing has failed due to some "
                                                              "unknown error, exception or failure."))
        self.emulator.calls.record(action, params, 200, None)
        return _respond(start_response, 200, {"RequestId": request_id, **(result or {})})

    def _take_fault(self, action, params):
        """(the injected fault that fails this call as a whole, or None; {instance id: EcsError} for the
        instances of a SuccessFirst batch call that a fault with instance_ids answers on their own).

        - StartInstances, StopInstances, RebootInstances with BatchOptimization=SuccessFirst: each named
          instance of such a fault gets its code and message in its InstanceResponse (Code/Message, empty
          statuses, as the StartInstances reference's sample answers an unknown id), the others are acted
          on (the SDK request models: "SuccessFirst: In this pattern, each instance is started separately.
          The response contains the operation result for each instance."). With DryRun only DRYRUN.SUCCESS
          is answered ("If the BatchOptimization parameter is set to SuccessFirst, the dry run with
          DryRun=true returns only DRYRUN.SUCCESS"), so such a fault has no instance to answer and is not
          spent. A fault without instance_ids fails the call as a whole, as before.
          This is how a test shows what StartInstances' reference warns of ("ECS instances stopped in
          economical mode may fail to be started due to insufficient resources"; StopInstances' StoppedMode
          docstring: StopCharging releases the compute resources, so "the instance may fail to start due to
          insufficient resources"): the sandbox starts a StopCharging instance like any other unless a
          fault names it, e.g. {"action": "StartInstances", "code": "OperationDenied.NoStock",
          "http_status": 403, "count": 1, "instance_ids": [...]} (the capacity codes StartInstance(s)
          document: DOCUMENTED_MESSAGES).
        - Those calls with AllTogether (the default) and every other call, the singular StartInstance,
          StopInstance, RebootInstance included: a fault applies when the call names one of its ids, and
          the call fails as a whole in ECS's JSON error format, nothing acted on ("AllTogether: ... If any
          instance fails validation, all instances fail to start and a failed message is returned.").
        """
        faults = self.emulator.faults
        if action in PER_INSTANCE and params.get("BatchOptimization") == "SuccessFirst":
            if str(params.get("DryRun", "")).lower() == "true":
                return faults.take(action), {}
            fault, failing = faults.take_split(action, Params(params).indexed("InstanceId"))
            return fault, {instance_id: _fault_error(f) for instance_id, f in failing.items()}
        return faults.take(action, named_ids(params)), {}

    def _error(self, start_response, request_id, action, params, err):
        self.emulator.calls.record(action, params, err.http_status, err.code)
        region = params.get("RegionId")
        host_id = region_endpoint(region) if region in REGIONS else HOST_ID
        return _respond(start_response, err.http_status, error_body(request_id, err.code, err.message, host_id))


def _fault_error(fault):
    """An injected fault as an EcsError; one with instance_ids and no message of its own says what ECS
    says for its code when the references give it (DOCUMENTED_MESSAGES)."""
    message = fault.message
    if fault.instance_ids is not None and not fault.message_given:
        message = DOCUMENTED_MESSAGES.get(fault.code, message)
    return EcsError(fault.code, fault.http_status, message)
