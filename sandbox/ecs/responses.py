"""ECS wire format: read an RPC request, authenticate it, call the model, render JSON.

One handler per action: it turns `Params` into model arguments and the model's answer into
the response body ECS sends. Knows nothing of state beyond calling `EcsModel` methods.
"""
import base64
import binascii
import json
import traceback
import uuid
from urllib.parse import parse_qsl

from sandbox.control import named_ids
from sandbox.ecs.command_handlers import COMMAND_HANDLERS
from sandbox.ecs.models import (LOCK_REASONS, PERIODS, POSTPAID, PREPAID, REGION, REGIONS, EcsError, check_region,
                                region_endpoint)
from sandbox.ecs.paging import Page
from sandbox.ecs.params import Params, bad, missing
from sandbox.ecs.signature import AuthError

VERSION = "2014-05-26"
HOST_ID = region_endpoint(REGION)  # an error's HostId when the request names no region the sandbox serves

# The actions whose SDK request model (alibabacloud_ecs20140526/models/_<action>_request.py) has a
# RegionId: True where its docstring says "This parameter is required.", False where it is optional.
# Such an action sees only that region's resources. An action not listed (StopInstance,
# StartInstance, RebootInstance, DeleteInstance, ModifyInstanceAttribute, CreateSnapshot,
# DescribeRegions) has no RegionId and addresses resources by id in any region.
REGION_PARAM = {
    "RunInstances": True, "DescribeInstances": True, "DescribeInstanceStatus": True,
    "DescribeInstancesFullStatus": True, "StopInstances": True, "StartInstances": True,
    "RebootInstances": True, "DeleteInstances": True, "ModifyInstanceAutoReleaseTime": False,
    "DescribeDisks": True, "DescribeSnapshots": True, "CreateImage": True, "DescribeImages": True,
    "DeleteImage": True, "RunCommand": True, "DescribeInvocationResults": True, "DescribeInvocations": True,
    "StopInvocation": True, "DescribeUserData": True,
}
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
            handler, target = HANDLERS.get(action) or COMMAND_HANDLERS.get(action), self.emulator.model
            if handler is None:
                raise EcsError("InvalidAction.NotFound", 404,
                               f"Specified api ({action}) is not found, please check your url and method.")
            _check_region(action, params)
            try:
                # failing: {instance id: EcsError}, a SuccessFirst batch call's instances an injected fault answers
                extra = {"failing": failing} if failing else {}
                result = handler(target, Params(params), **extra)
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


def _check_region(action, params):
    """RegionId before anything else: MissingParameter (400) where the SDK says it is required,
    InvalidRegionId.NotFound (404) for one the sandbox does not serve (models.check_region)."""
    required = REGION_PARAM.get(action)
    if required is None:
        return
    region = params.get("RegionId")
    if region in (None, ""):
        if required:
            raise missing("RegionId")
        return
    check_region(region)


# ---- handlers: Params -> model -> response body ---------------------------------------------

def _batch_mode(p):
    mode = p.str("BatchOptimization", choices=("AllTogether", "SuccessFirst")) or "AllTogether"
    return mode == "AllTogether"


def _region(p):
    """RegionId as the model takes it (None: any region); _check_region has vetted it."""
    return p.str("RegionId")


MAX_USER_DATA = 32 * 1024  # "The size of instance user data cannot exceed 32 KB before Base64 encoding"


def _user_data(p):
    """RunInstances' UserData "must be Base64-encoded", at most 32 KB before encoding (its SDK docstring).
    ECS's own codes for a malformed one are not in the references the sandbox follows: InvalidParameter."""
    raw = p.get("UserData")
    if raw in (None, ""):
        return ""
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise bad("UserData", raw[:40], " It must be Base64-encoded.")
    if len(decoded) > MAX_USER_DATA:
        raise bad("UserData", f"{len(decoded)} bytes", " At most 32 KB before Base64 encoding.")
    return raw


def _subscription(p):
    """InstanceChargeType PrePaid|PostPaid (default PostPaid); Period "takes effect and is required only
    when InstanceChargeType is PrePaid", PeriodUnit Week|Month (default Month), Period from the values
    the RunInstances SDK docstrings give per unit."""
    charge_type = p.str("InstanceChargeType", choices=(PREPAID, POSTPAID)) or POSTPAID
    unit = p.str("PeriodUnit", choices=tuple(PERIODS)) or "Month"
    period = p.int("Period")
    p.bool("AutoRenew")
    p.int("AutoRenewPeriod")
    if charge_type == PREPAID:
        if period is None:
            raise missing("Period")
        if period not in PERIODS[unit]:
            raise bad("Period", str(period), f" With PeriodUnit {unit} it is one of "
                                             f"{', '.join(str(n) for n in PERIODS[unit])}.")
    return charge_type, period, unit


def run_instances(model, p):
    image_id = p.str("ImageId", required=True)
    instance_type = p.str("InstanceType", required=True)
    groups = p.indexed("SecurityGroupIds") or ([p.str("SecurityGroupId")] if p.str("SecurityGroupId") else [])
    for group in groups:
        if not group.startswith("sg-"):
            raise bad("SecurityGroupId", group, " It must start with sg-.")
    data_disks = []
    for record in p.records("DataDisk"):
        size = Params(record).int("Size", 40, 20, 32768)
        data_disks.append({"Size": size, "Category": record.get("Category", "cloud_essd")})
    system = p.sub("SystemDisk")
    if "Size" in system:
        system["Size"] = Params(system).int("Size", 40, 20, 2048)
    charge_type, period, period_unit = _subscription(p)
    spot = p.str("SpotStrategy", choices=("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo")) or "NoSpot"
    if charge_type == PREPAID:
        spot = "NoSpot"  # SpotStrategy "takes effect only when InstanceChargeType is PostPaid"
    io_optimized = p.str("IoOptimized", choices=("none", "optimized"))
    p.str("Password")
    ids = model.run_instances(
        image_id, instance_type, amount=p.int("Amount", 1, 1, 100),
        vswitch_id=p.str("VSwitchId", prefix="vsw-"), security_group_ids=groups,
        instance_name=p.str("InstanceName"), tags=dict((k, v or "") for k, v in p.tags()),
        deletion_protection=p.bool("DeletionProtection"), auto_release_time=p.str("AutoReleaseTime"),
        zone_id=p.str("ZoneId"), system_disk=system, data_disks=data_disks, dry_run=p.bool("DryRun"),
        region=_region(p), charge_type=charge_type, period=period, period_unit=period_unit,
        description=p.str("Description"), host_name=p.str("HostName"), user_data=_user_data(p),
        key_pair_name=p.str("KeyPairName"),
        internet_charge_type=p.str("InternetChargeType", choices=("PayByBandwidth", "PayByTraffic")),
        bandwidth_out=p.int("InternetMaxBandwidthOut", 0, 0, 100),
        bandwidth_in=p.int("InternetMaxBandwidthIn", None, 1, 10000), spot_strategy=spot,
        spot_price_limit=p.float("SpotPriceLimit", 0.0), io_optimized=io_optimized != "none",
    )
    return {"InstanceIdSets": {"InstanceIdSet": ids}, "OrderId": "", "TradePrice": 0.0}


STATUSES = ("Pending", "Running", "Starting", "Stopping", "Stopped")  # DescribeInstancesRequest.status docstring


def _listed(p, name, values, code, message):
    """A filter value DescribeInstances does not know is answered with the code of its error table (404)."""
    value = p.str(name)
    if value is not None and value not in values:
        raise EcsError(code, 404, message)
    return value


def describe_instances(model, p):
    page = Page.from_params(p.raw)
    instances, paging = model.describe_instances(
        page, instance_ids=p.json_ids("InstanceIds"),
        # DescribeInstances error table: 404 InvalidStatus.NotFound "The specified Status is not found",
        # 404 InvalidInstanceChargeType.NotFound, 404 InvalidLockReason.NotFound
        status=_listed(p, "Status", STATUSES, "InvalidStatus.NotFound", "The specified Status is not found"),
        charge_type=_listed(p, "InstanceChargeType", (PREPAID, POSTPAID), "InvalidInstanceChargeType.NotFound",
                            "The InstanceChargeType does not exist in our records"),
        lock_reason=_listed(p, "LockReason", LOCK_REASONS, "InvalidLockReason.NotFound",
                            "The specified LockReason is not found"),
        name=p.str("InstanceName"), tags=p.tags(), zone_id=p.str("ZoneId"), vswitch_id=p.str("VSwitchId"),
        image_id=p.str("ImageId"), instance_type=p.str("InstanceType"), region=_region(p),
    )
    return {"Instances": {"Instance": instances}, **paging}


def describe_instance_status(model, p):
    page = Page.from_params(p.raw, max_size=50)
    ids = p.ids("InstanceId", required=False) or None
    statuses, paging = model.describe_instance_status(page, instance_ids=ids, zone_id=p.str("ZoneId"),
                                                      region=_region(p))
    return {"InstanceStatuses": {"InstanceStatus": statuses}, **paging}


def describe_instances_full_status(model, p):
    page = Page.from_params(p.raw)
    rows, paging = model.describe_full_status(
        page, instance_ids=p.ids("InstanceId", required=False) or None,
        status=p.str("Status", choices=("Pending", "Running", "Starting", "Stopping", "Stopped")),
        health=p.str("HealthStatus"), region=_region(p),
    )
    return {"InstanceFullStatusSet": {"InstanceFullStatusType": rows}, **paging}


def _instance_responses(responses):
    return {"InstanceResponses": {"InstanceResponse": responses}}


def _per_instance(instance_ids, failing, act):
    """A batch call's InstanceResponses: `act` (the model's batch method) for the instances no injected
    fault answers, and for those in `failing` ({instance id: EcsError}, EcsApi._take_fault) the fault's Code
    and Message with empty statuses, as the model answers an instance it does not act on; in request order."""
    if not failing:
        return act(instance_ids)
    acted = iter(act([i for i in instance_ids if i not in failing]))
    return [{"InstanceId": i, "Code": failing[i].code, "Message": failing[i].message, "PreviousStatus": "",
             "CurrentStatus": ""} if i in failing else next(acted) for i in instance_ids]


def stop_instances(model, p, failing=None):
    return _instance_responses(_per_instance(p.ids("InstanceId"), failing, lambda ids: model.stop_instances(
        ids, force=p.bool("ForceStop"), stopped_mode=p.str("StoppedMode", choices=("KeepCharging", "StopCharging")),
        all_together=_batch_mode(p), dry_run=p.bool("DryRun"), region=_region(p))))


def stop_instance(model, p):
    hibernate = p.bool("Hibernate")  # refused by the model: see EcsModel._no_hibernation
    p.bool("ConfirmStop")
    model.stop_instances([p.str("InstanceId", required=True)], force=p.bool("ForceStop"),
                         stopped_mode=p.str("StoppedMode", choices=("KeepCharging", "StopCharging")),
                         dry_run=p.bool("DryRun"), singular=True, hibernate=hibernate)


def start_instances(model, p, failing=None):
    return _instance_responses(_per_instance(p.ids("InstanceId"), failing, lambda ids: model.start_instances(
        ids, all_together=_batch_mode(p), dry_run=p.bool("DryRun"), region=_region(p))))


def start_instance(model, p):
    p.bool("InitLocalDisk")
    model.start_instances([p.str("InstanceId", required=True)], dry_run=p.bool("DryRun"), singular=True)


def reboot_instances(model, p, failing=None):
    return _instance_responses(_per_instance(p.ids("InstanceId"), failing, lambda ids: model.reboot_instances(
        ids, force=p.bool("ForceReboot"), all_together=_batch_mode(p), dry_run=p.bool("DryRun"),
        region=_region(p))))


def reboot_instance(model, p):
    model.reboot_instances([p.str("InstanceId", required=True)], force=p.bool("ForceStop"), dry_run=p.bool("DryRun"),
                           singular=True)


def delete_instances(model, p):
    p.bool("ForceStop")
    p.str("ClientToken")
    model.delete_instances(p.ids("InstanceId"), force=p.bool("Force"), dry_run=p.bool("DryRun"), region=_region(p),
                           terminate_subscription=p.bool("TerminateSubscription"))


def delete_instance(model, p):
    p.bool("ForceStop")
    model.delete_instances([p.str("InstanceId", required=True)], force=p.bool("Force"), dry_run=p.bool("DryRun"),
                           singular=True, terminate_subscription=p.bool("TerminateSubscription"))


def modify_instance_auto_release_time(model, p):
    # RegionId is optional here (the SDK's docstring does not say required): scoped when given
    model.set_auto_release_time(p.str("InstanceId", required=True), p.str("AutoReleaseTime"), region=_region(p))


def modify_instance_attribute(model, p):
    protection = p.bool("DeletionProtection", default=None) if p.get("DeletionProtection") not in (None, "") else None
    model.modify_instance_attribute(p.str("InstanceId", required=True), deletion_protection=protection,
                                    instance_name=p.str("InstanceName"), description=p.get("Description"),
                                    host_name=p.str("HostName"), user_data=p.get("UserData"),
                                    password=p.str("Password"))


def describe_user_data(model, p):
    """DescribeUserData: InstanceId and RegionId required (its SDK request model); the body has
    InstanceId, RegionId and UserData (its response model)."""
    instance_id = p.str("InstanceId", required=True)
    return {"InstanceId": instance_id, "RegionId": _region(p),
            "UserData": model.describe_user_data(instance_id, region=_region(p))}


def describe_disks(model, p):
    disks, paging = model.describe_disks(
        Page.from_params(p.raw), instance_id=p.str("InstanceId"), disk_ids=p.json_ids("DiskIds"),
        disk_type=p.str("DiskType", choices=("all", "system", "data")), region=_region(p))
    return {"Disks": {"Disk": disks}, **paging}


def create_snapshot(model, p):
    snapshot_id = model.create_snapshot(p.str("DiskId", required=True), name=p.str("SnapshotName"),
                                        tags=dict((k, v or "") for k, v in p.tags()))
    return {"SnapshotId": snapshot_id}


def describe_snapshots(model, p):
    snapshots, paging = model.describe_snapshots(
        Page.from_params(p.raw), snapshot_ids=p.json_ids("SnapshotIds"), disk_id=p.str("DiskId"),
        instance_id=p.str("InstanceId"), status=p.str("Status", choices=("progressing", "accomplished", "failed", "all")),
        name=p.str("SnapshotName"), region=_region(p))
    return {"Snapshots": {"Snapshot": snapshots}, **paging}


# CreateImage's Platform and Architecture values (the SDK's CreateImageRequest docstrings); a value not listed is
# InvalidPlatform.Malformed / InvalidArchitecture.Malformed (400), the reference's error table.
IMAGE_PLATFORMS = (
    "Aliyun", "Anolis", "CentOS", "Ubuntu", "CoreOS", "SUSE", "Debian", "OpenSUSE", "FreeBSD", "RedHat", "Kylin", "UOS",
    "Fedora", "Fedora CoreOS", "CentOS Stream", "AlmaLinux", "Rocky Linux", "Gentoo", "Customized Linux", "Others Linux",
    "Windows Server 2022", "Windows Server 2019", "Windows Server 2016", "Windows Server 2012", "Windows Server 2008",
    "Windows Server 2003",
)


def _disk_device_mappings(p):
    """DiskDeviceMapping.N.{SnapshotId, Size, Device, DiskType} as the model takes them. DiskType is system | data
    (SDK docstring; another value is InvalidDiskType.ValueNotSupported), Size an integer of GiB
    (InvalidSize.ValueNotSupported otherwise)."""
    out = []
    for record in p.records("DiskDeviceMapping"):
        disk_type = record.get("DiskType") or None
        if disk_type not in (None, "system", "data"):
            raise EcsError("InvalidDiskType.ValueNotSupported", 400, "The specified disk type is not supported.")
        size = record.get("Size")
        if size not in (None, ""):
            try:
                size = int(size)
            except ValueError:
                raise EcsError("InvalidSize.ValueNotSupported", 400,
                               "The specified parameter DiskDeviceMapping.n.Size beyond the permitted range.")
        out.append({"snapshot_id": record.get("SnapshotId") or None, "size": size if size != "" else None,
                    "device": record.get("Device") or None, "disk_type": disk_type})
    return out


def create_image(model, p):
    """InstanceId, DiskDeviceMapping.N or SnapshotId (that priority, see EcsModel.create_image); none of them is
    MissingParameter with the reference's message."""
    instance_id, snapshot_id, mappings = p.str("InstanceId"), p.str("SnapshotId"), _disk_device_mappings(p)
    if not instance_id and not snapshot_id and not mappings:
        raise EcsError("MissingParameter", 400, "The input parameter SnapshotId or InstanceId or DiskDeviceMapping that "
                                                "is mandatory for processing this request is not supplied.")
    platform = p.get("Platform") or None
    if platform is not None and platform not in IMAGE_PLATFORMS:
        raise EcsError("InvalidPlatform.Malformed", 400, "The specified Platform is wrongly formed.")
    if p.get("Architecture") not in (None, "", "i386", "x86_64", "arm64"):
        raise EcsError("InvalidArchitecture.Malformed", 400, "The specified Architecture is wrongly formed.")
    p.str("Description")
    p.str("ClientToken")
    image_id = model.create_image(instance_id=instance_id, snapshot_id=snapshot_id, mappings=mappings,
                                  name=p.str("ImageName"), tags=dict((k, v or "") for k, v in p.tags()),
                                  dry_run=p.bool("DryRun"), region=_region(p), platform=platform)
    return {"ImageId": image_id}


def describe_images(model, p):
    ids = [i for i in (p.str("ImageId") or "").split(",") if i] or None
    statuses = tuple(s for s in (p.str("Status") or "Available").split(",") if s)
    for status in statuses:
        if status not in ("Creating", "Waiting", "Available", "UnAvailable", "CreateFailed", "Deprecated"):
            raise bad("Status", status)
    images, paging = model.describe_images(
        Page.from_params(p.raw), image_ids=ids, name=p.str("ImageName"), statuses=statuses,
        owner=p.str("ImageOwnerAlias", choices=("system", "self", "others", "marketplace")), region=_region(p))
    return {"Images": {"Image": images}, "RegionId": _region(p), **paging}


def delete_image(model, p):
    p.bool("Force")
    model.delete_image(p.str("ImageId", required=True), dry_run=p.bool("DryRun"), region=_region(p))


def describe_regions(model, p):
    # Parameters and their values: the SDK's DescribeRegionsRequest docstrings; no RegionId.
    p.str("InstanceChargeType", choices=("PrePaid", "PostPaid", "SpotWithPriceLimit", "SpotAsPriceGo"))
    p.str("ResourceType", choices=("instance", "disk", "reservedinstance", "scu"))
    language = p.str("AcceptLanguage", choices=("zh-CN", "zh-TW", "en-US", "ja", "fr", "de", "ko"))
    return {"Regions": {"Region": model.describe_regions(language)}}


HANDLERS = {
    "RunInstances": run_instances,
    "DescribeInstances": describe_instances,
    "DescribeInstanceStatus": describe_instance_status,
    "DescribeInstancesFullStatus": describe_instances_full_status,
    "StopInstances": stop_instances,
    "StopInstance": stop_instance,
    "StartInstances": start_instances,
    "StartInstance": start_instance,
    "RebootInstances": reboot_instances,
    "RebootInstance": reboot_instance,
    "DeleteInstances": delete_instances,
    "DeleteInstance": delete_instance,
    "ModifyInstanceAutoReleaseTime": modify_instance_auto_release_time,
    "ModifyInstanceAttribute": modify_instance_attribute,
    "DescribeUserData": describe_user_data,
    "DescribeDisks": describe_disks,
    "CreateSnapshot": create_snapshot,
    "DescribeSnapshots": describe_snapshots,
    "CreateImage": create_image,
    "DescribeImages": describe_images,
    "DeleteImage": delete_image,
    "DescribeRegions": describe_regions,
}
