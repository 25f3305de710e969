# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alibaba Cloud ECS through the generic OpenAPI client (call_api): API calls only.

The generated alibabacloud_ecs20140526 client is not imported on purpose: it costs ~0.6 s and
~70 MB (760 actions) for the 7 actions used here. Requests are built exactly as that client
builds them (RPC style, parameters in the query, version 2014-05-26).

Retries are darabonba's own RetryOptions on the client Config: Throttling*, ServiceUnavailable,
InternalError and any 5xx (ServerException) are retried with exponential backoff and equal jitter.
"""


import base64
import binascii
import json
import re
import traceback
import uuid

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import (
    AUTH, CONNECTION, DENIED, FATAL_KINDS, INITIALIZING, INVALID, NOT_FOUND, OTHER, PROTECTED, REGION, SERVICE, THROTTLED,
    WRONG_STATE,
    CloudError, InputError, connection_error, connection_reason,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.per_id import run_per_id
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import make_record, normalize_os_type, normalize_time
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import Capabilities

SDK_NAME = "alibabacloud_tea_openapi"
IMPORT_ERROR = None
try:
    from alibabacloud_tea_openapi import utils_models as open_api_models
    from alibabacloud_tea_openapi.client import Client as OpenApiClient
    from alibabacloud_tea_openapi.utils import Utils
    from darabonba.policy.retry import RetryOptions
    from darabonba.runtime import RuntimeOptions
    HAS_SDK = True
except ImportError:
    IMPORT_ERROR = traceback.format_exc()
    HAS_SDK = False

API_VERSION = "2014-05-26"
THROTTLING_CODES = ["Throttling", "Throttling.User", "Throttling.Api", "Throttling.Resource"]
SERVICE_CODES = ["ServiceUnavailable", "InternalError", "UnknownError"]
# What darabonba retries (RetryOptions below), besides any 5xx.
RETRY_CODES = THROTTLING_CODES + SERVICE_CODES


def _kinds(table):
    return dict((code, kind) for kind, codes in table.items() for code in codes)


# ECS's codes in the collection's kinds, classified here once (translate, _instance_responses).
ERROR_KINDS = _kinds({
    # the API's common errors (Alibaba Cloud OpenAPI "common error codes"): who you are, then what you may do
    AUTH: ["InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch", "InvalidCredentials"],
    DENIED: ["InvalidAccessKeyId", "Forbidden.RAM", "Forbidden", "InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed"],
    THROTTLED: THROTTLING_CODES,
    SERVICE: SERVICE_CODES,
    INVALID: ["MissingParameter"],
    REGION: ["InvalidRegionId.NotFound", "InvalidRegionId"],
    CONNECTION: ["ConnectionError"],
    # the error tables of StopInstance(s), StartInstance(s), RebootInstance(s), DeleteInstance(s), CreateSnapshot and
    # CreateImage: an instance (or its disk) in a state the call does not take; a new one not initialized yet
    WRONG_STATE: ["IncorrectInstanceStatus", "IncorrectDiskStatus.NeverUsed"],
    INITIALIZING: ["IncorrectInstanceStatus.Initializing"],
    # "The specified InstanceId does not exist." and its kin for disks, images and snapshots (the same error tables)
    NOT_FOUND: ["InvalidInstanceId.NotFound", "InvalidDiskId.NotFound", "InvalidImageId.NotFound", "InvalidSnapshotId.NotFound"],
})


def error_kind(code, message=None, http_status=None):
    """The kind of one ECS answer."""
    # DeleteInstance(s) refused by deletion protection: InvalidOperation.DeletionProtection (and its message)
    if "DeletionProtection" in (code or "") or "deletion protection" in (message or "").lower():
        return PROTECTED
    kind = ERROR_KINDS.get(code)
    if kind in FATAL_KINDS:
        return kind
    if (http_status or 0) >= 500:
        return SERVICE
    return kind or OTHER


def cloud_error(code, message, request_id=None, http_status=None, instance_id=None):
    """A CloudError with its kind and its operator's hint, as ECS said it."""
    return hinted(CloudError(code, message, request_id, instance_id, http_status, kind=error_kind(code, message, http_status)))


STOPPED_MODES = {"keep_charging": "KeepCharging", "stop_charging": "StopCharging"}
# ECS CreateSnapshot: "you cannot create snapshots for a disk" when its instance "has never been started" or "is not
# in the Stopped (Stopped) or Running (Running) state" (API reference, doc 25524). CreateImage, method 1: "The instance
# must be in the Running (Running) or Stopped (Stopped) state" (doc 25535).
SNAPSHOT_INSTANCE_STATES = ("running", "stopped")
IMAGE_INSTANCE_STATES = ("running", "stopped")

# What ECS can do, as the core asks it (see base.Capabilities).
CAPABILITIES = Capabilities(
    service="ECS",
    endpoint_setting="endpoint_url / ALIBABA_CLOUD_ECS_ENDPOINT",
    # ModifyInstanceAttribute, ModifyInstanceAutoReleaseTime and CreateSnapshot take no DryRun parameter
    dry_run_ops=frozenset(["stop", "start", "reboot", "terminate", "image", "launch", "delete_image"]),
    # StopInstance's Hibernate "is in invitational preview and is not available for use" (its SDK docstring)
    hibernate=False,
    stopped_modes=tuple(STOPPED_MODES),
    command_types=("RunShellScript", "RunPowerShellScript", "RunBatScript"),
    command_username=True,
    # the Cloud Assistant stops / reboots the instance itself on the script's exit code 193 / 194 (3009 / 3010)
    command_then="agent",
    # ECS goes Starting, then Running, and moves StartTime (minute precision)
    reboot_evidence="state_or_start_time",
    snapshot_states=SNAPSHOT_INSTANCE_STATES,
    image_from_snapshots=True,
    volume_swap=False,
    page_limits=(1, 100),  # DescribeInstances MaxResults
)

# ECS Status words onto the collection's states. ECS has no shutting-down; a released instance is simply gone,
# which reads as terminated.
ECS_STATES = {
    "pending": "pending",
    "starting": "pending",
    "running": "running",
    "stopping": "stopping",
    "stopped": "stopped",
    "released": "terminated",
    "deleted": "terminated",
    "absent": "terminated",
}


def ecs_state(status):
    """Normalize an ECS Status word (Pending, Starting, Running, Stopping, Stopped)."""
    if status is None:
        return "terminated"
    normalized = ECS_STATES.get(str(status).lower())
    if normalized is None:
        raise ValueError("unknown ECS instance status: %r" % (status,))
    return normalized


# The SDKs carry no list of ECS regions (the generated client's endpoint map names only special
# ones): the shape is checked here, the id itself by the API (InvalidRegionId.NotFound, never retried).
REGION_SHAPE = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


# What an ECS refusal means for the operator, said after the cloud's own message (codes and meanings from
# the error tables of StopInstance(s), DeleteInstance(s) and ModifyInstanceAutoReleaseTime).
HINTS = {
    "InstanceLockedForSecurity": "the instance is locked for security reasons (OperationLocks): ECS refuses changes to it "
                                 "until the lock is lifted",
    "ChargeTypeViolation": "a subscription (PrePaid) instance: ECS neither releases it nor schedules its release before "
                           "the subscription ends",
    "IncorrectInstanceStatus.Initializing": "the instance is still initializing after its launch",
    "InstanceExpired": "the subscription has expired: renew it before starting the instance",
}


def hinted(error):
    """The error with its operator's hint appended, when ECS's code has one."""
    if error.code in HINTS and HINTS[error.code] not in (error.message or ""):
        error.message = "%s (%s)" % (error.message, HINTS[error.code])
    return error


def translate(exc, endpoint=None):
    """A darabonba/Tea exception as CloudError: code, the cloud's own message, request id.

    No code means no answer: the endpoint could not be reached (the SDK wraps the HTTP library's
    error), said in the same words as on EC2."""
    code = getattr(exc, "code", None)
    if not code or code == "None":
        inner = getattr(exc, "inner_exception", None) or exc
        text = str(inner)
        if _NO_ANSWER.search(text) or isinstance(inner, (ConnectionError, TimeoutError, OSError)):
            return connection_error(endpoint or "the ECS endpoint", connection_reason(inner))
        # something answered, but not as ECS does (a proxy, a wrong port): say so, briefly
        return cloud_error("UnexpectedAnswer", "%s answered, but not as the ECS API does: %s"
                           % (endpoint or "the ECS endpoint", text.strip()[:200]))
    data = getattr(exc, "data", None) or {}
    message = data.get("Message") or data.get("message") or getattr(exc, "message", None) or str(exc)
    request_id = data.get("RequestId") or getattr(exc, "request_id", None)
    if request_id == "None":
        request_id = None
    return cloud_error(code, message, request_id, getattr(exc, "status_code", None))


# The HTTP library's words for "no answer" (refused, unreachable, unresolvable, timed out, cut off).
_NO_ANSWER = re.compile(r"Max retries exceeded|Failed to establish|NewConnectionError|Connection (refused|aborted|reset)"
                        r"|timed out|Name or service not known|Failed to resolve|RemoteDisconnected|No route to host", re.I)


def endpoint_parts(endpoint_url, region):
    """(protocol, host[:port]) for the client Config; the regional public endpoint by default."""
    if not endpoint_url:
        return "HTTPS", "ecs.%s.aliyuncs.com" % region
    match = re.match(r"^(https?)://([^/]+)/?$", endpoint_url.strip())
    if not match:
        raise cloud_error("InvalidEndpoint", "endpoint_url must look like http://host:port, got %r" % (endpoint_url,))
    return match.group(1).upper(), match.group(2)


def _tags(instance):
    tags = (instance.get("Tags") or {}).get("Tag") or []
    return dict((t.get("TagKey") or t.get("Key"), t.get("TagValue") or t.get("Value") or "") for t in tags)


def _health_word(value):
    """ECS 'InsufficientData' -> 'insufficient-data', 'Ok' -> 'ok' (EC2's vocabulary)."""
    if not value:
        return None
    return re.sub(r"(?<!^)([A-Z])", r"-\1", value).lower()


# --- disks, snapshots, images and launches (instance_snapshot, instance_image, instance_clone) ---
SNAPSHOT_STATES = {"progressing": "pending", "accomplished": "completed", "failed": "error"}
IMAGE_STATES = {"Creating": "pending", "Waiting": "pending", "Available": "available", "CreateFailed": "failed",
                "UnAvailable": "failed", "Deprecated": "available"}
ALL_IMAGE_STATUSES = "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated"


def _tag_query(tags):
    return [{"Key": k, "Value": str(v)} for k, v in tags.items()] or None


# A passing dry run is an error answer: DryRunOperation from the single-instance calls and RunInstances,
# DRYRUN.SUCCESS from the batch StopInstances / StartInstances / RebootInstances / DeleteInstances
# (the SDK docstrings of their DryRun parameters, and the API reference of StopInstances / StartInstances).
DRY_RUN_PASSED = frozenset(["DryRunOperation", "DRYRUN.SUCCESS"])


class EcsResources(object):
    """The resource calls, mixed into Provider below (kept apart to keep each part readable)."""

    def _pages(self, action, query, path):
        """Every item of a PageNumber/PageSize list (DescribeDisks, DescribeSnapshots, DescribeImages)."""
        items = []
        number = 1
        while True:
            body = self._call(action, dict(query, RegionId=self.region, PageNumber=number, PageSize=100))
            page = body
            for key in path:
                page = (page or {}).get(key) or {}
            page = page or []
            items.extend(page)
            total = int(body.get("TotalCount") or 0)
            if not page or len(items) >= total:
                return items
            number += 1

    def details(self, ids):
        """{id: launch configuration and disks} for the ids ECS knows (<= 100 ids)."""
        found = {}
        token = None
        while True:
            body = self._call("DescribeInstances", {"RegionId": self.region, "InstanceIds": json.dumps(list(ids)),
                                                    "MaxResults": 100, "NextToken": token})
            for instance in (body.get("Instances") or {}).get("Instance") or []:
                vpc = instance.get("VpcAttributes") or {}
                found[instance["InstanceId"]] = {
                    "record": self._record(instance),
                    "instance_type": instance.get("InstanceType"),
                    "image_id": instance.get("ImageId"),
                    "subnet_id": vpc.get("VSwitchId") or None,
                    "security_group_ids": list((instance.get("SecurityGroupIds") or {}).get("SecurityGroupId") or []),
                    "key_name": instance.get("KeyPairName") or None,
                    "zone": instance.get("ZoneId"),
                    "name": instance.get("InstanceName"),
                    "root_device": None,
                    "tags": _tags(instance),
                }
            token = body.get("NextToken")
            if not token:
                return found

    def disks(self, ids):
        """{id: [{disk_id, volume_id, device, root}]}: one DescribeDisks per instance (it takes one InstanceId)."""
        result = {}
        for instance_id in ids:
            disks = self._pages("DescribeDisks", {"InstanceId": instance_id}, ("Disks", "Disk"))
            result[instance_id] = [{"disk_id": d["DiskId"], "volume_id": d["DiskId"], "device": d.get("Device"),
                                    "root": d.get("Type") == "system"} for d in disks]
        return result

    def find_tagged(self, key, values, states=("pending", "running", "stopping", "stopped")):
        """Records of the instances in `states` whose tag `key` has one of `values` (one listing by tag key)."""
        wanted = set(values)
        records = (record for record, _raw in self._describe_pages({"Tag": [{"Key": key}]}))
        return [r for r in records if r["tags"].get(key) in wanted and r["state"] in states]

    # snapshots
    @staticmethod
    def snapshot_refusal(record):
        """(code, why) when ECS would refuse CreateSnapshot for this instance's disks (the error table's codes).

        CreateSnapshot has no DryRun: check mode predicts this from the record instead."""
        word = record.get("raw_state") or record["state"]
        if record["state"] not in SNAPSHOT_INSTANCE_STATES:
            return "IncorrectInstanceStatus", ("the instance is %s, and ECS makes no snapshot of a disk whose instance is not "
                                               "Running or Stopped" % word)
        if record["state"] == "stopped" and not record.get("start_time"):
            return "IncorrectDiskStatus.NeverUsed", ("the instance has never been started, and ECS makes no snapshot of a disk "
                                                     "never used")
        return None

    def create_snapshots(self, instance_id, disks, whole, tags, dry_run=False):
        """One CreateSnapshot per disk (ECS has no per-instance call that tags each snapshot)."""
        if dry_run:
            return []
        made = []
        for disk in disks:
            body = self._call("CreateSnapshot", {"DiskId": disk["disk_id"], "Tag": _tag_query(tags(disk))})
            made.append({"snapshot_id": body["SnapshotId"], "disk_id": disk["disk_id"], "volume_id": disk["disk_id"],
                         "device": disk.get("device"), "state": "pending", "tags": tags(disk)})
        return made

    @staticmethod
    def _snapshot_view(snap):
        tags = _tags(snap)
        size = snap.get("SourceDiskSize")
        return {"snapshot_id": snap["SnapshotId"], "disk_id": snap.get("SourceDiskId"), "volume_id": snap.get("SourceDiskId"),
                "device": tags.get("cloudfleet:device"), "state": SNAPSHOT_STATES.get(snap.get("Status"), "pending"),
                "tags": tags, "root": snap.get("SourceDiskType") == "system",
                "size": int(size) if str(size or "").isdigit() else None, "created": snap.get("CreationTime") or ""}

    def find_snapshots(self, tags):
        """Our snapshots carrying every tag in `tags` (filtered here too: the Tag filter is best effort)."""
        items = self._pages("DescribeSnapshots", {"Status": "all", "Tag": _tag_query(tags)}, ("Snapshots", "Snapshot"))
        views = [self._snapshot_view(s) for s in items]
        return [v for v in views if all(v["tags"].get(k) == str(val) for k, val in tags.items())]

    def snapshot_states(self, snapshot_ids):
        items = self._pages("DescribeSnapshots", {"Status": "all", "SnapshotIds": json.dumps(list(snapshot_ids))},
                            ("Snapshots", "Snapshot"))
        return dict((s["SnapshotId"], {"state": SNAPSHOT_STATES.get(s.get("Status"), "pending")}) for s in items)

    # images
    def _images(self, query):
        items = self._pages("DescribeImages", dict(query, Status=ALL_IMAGE_STATUSES, ImageOwnerAlias="self"), ("Images", "Image"))
        return [self._image_view(i) for i in items]

    @staticmethod
    def _image_view(image):
        """An image with the snapshots behind it (DescribeImages DiskDeviceMappings: Type, Device, Size in GiB, SnapshotId)."""
        mappings = (image.get("DiskDeviceMappings") or {}).get("DiskDeviceMapping") or []
        disks = [{"type": m.get("Type"), "device": m.get("Device"), "size": int(m["Size"]) if str(m.get("Size") or "").isdigit() else None,
                  "snapshot_id": m.get("SnapshotId") or None} for m in mappings]
        return {"image_id": image["ImageId"], "name": image.get("ImageName"), "state": IMAGE_STATES.get(image.get("Status"), "pending"),
                "snapshot_ids": [d["snapshot_id"] for d in disks if d["snapshot_id"]], "disks": disks}

    def find_images(self, names):
        found = {}
        for name in names:  # DescribeImages takes one ImageName
            for image in self._images({"ImageName": name}):
                if image["name"] == name:
                    found[name] = image
        return found

    def create_image(self, instance_id, name, tags, dry_run=False):
        body = self._dry_call("CreateImage", {"RegionId": self.region, "InstanceId": instance_id, "ImageName": name,
                                              "Description": "cloudfleet.lifecycle image of %s" % instance_id,
                                              "Tag": _tag_query(tags)}, dry_run)
        return None if body is None else body["ImageId"]

    @staticmethod
    def image_refusal(record):
        if record["state"] in IMAGE_INSTANCE_STATES:
            return None
        return "the instance is %s, and ECS makes no image of an instance that is not Running or Stopped" % (
            record.get("raw_state") or record["state"])

    def create_image_from_snapshots(self, name, mapping, tags, client_token, dry_run=False):
        """CreateImage with DiskDeviceMapping.N (SnapshotId, DiskType, Device): the system disk's snapshot and the data
        disks' (the reference's third way; each disk's Size defaults to its snapshot's). `mapping` as
        image.plan_mapping gives it. The ClientToken makes the SDK's retries one image."""
        query = {"RegionId": self.region, "ImageName": name, "Description": "cloudfleet.lifecycle image from snapshots",
                 "DiskDeviceMapping": [dict((k, v) for k, v in (("SnapshotId", d["snapshot_id"]), ("DiskType", d["type"]),
                                                                ("Device", d.get("device"))) if v) for d in mapping],
                 "Tag": _tag_query(tags), "ClientToken": client_token}
        body = self._dry_call("CreateImage", query, dry_run)
        return None if body is None else body["ImageId"]

    def image_states(self, image_ids):
        found = dict((i, {"state": "absent"}) for i in image_ids)
        for image in self._images({"ImageId": ",".join(image_ids)}):
            found[image["image_id"]] = {"state": image["state"]}
        return found

    def delete_image(self, image, delete_snapshots=False, dry_run=False):
        self._dry_call("DeleteImage", {"RegionId": self.region, "ImageId": image["image_id"]}, dry_run)

    # launches
    def launch(self, config, image_id, tags, client_token, dry_run=False):
        query = {"RegionId": self.region, "ImageId": image_id, "InstanceType": config["instance_type"], "Amount": 1,
                 "VSwitchId": config.get("subnet_id"), "SecurityGroupIds": list(config.get("security_group_ids") or []) or None,
                 "KeyPairName": config.get("key_name"), "ZoneId": config.get("zone"), "Tag": _tag_query(tags),
                 "ClientToken": client_token}
        body = self._dry_call("RunInstances", query, dry_run)
        if body is None:
            return None
        return ((body.get("InstanceIdSets") or {}).get("InstanceIdSet") or [None])[0]

    def start(self, ids, dry_run=False):
        return self._mutate("StartInstances", ids, {"RegionId": self.region, "BatchOptimization": "SuccessFirst"}, dry_run)


# --- commands (instance_command): Cloud Assistant RunCommand / DescribeInvocationResults ---
ECS_COMMAND_MAX_IDS = 100  # RunCommand InstanceId.N: 1 to 100
ECS_RESULTS_PAGE_SIZE = 50  # DescribeInvocationResults MaxResults: at most 50
# InvocationStatus (per instance) in the collection's words; Pending, Scheduled, Running, Stopping are on their way.
ECS_STATUSES = {"Success": "success", "Failed": "failed", "Timeout": "timeout", "Cancelled": "cancelled",
                "Terminated": "cancelled", "Stopped": "cancelled", "Invalid": "error", "Aborted": "error", "Error": "error"}
ECS_RUNNING = frozenset(["Pending", "Scheduled", "Running", "Stopping"])


def plain_text_safe(content):
    """True when the content can go as ContentEncoding=PlainText: printable ASCII, newlines and tabs only."""
    return all(c in "\n\r\t" or " " <= c <= "~" for c in content)


def encode_content(content):
    """(CommandContent, ContentEncoding): plain text when safe, else Base64 of its UTF-8 bytes."""
    if plain_text_safe(content):
        return content, "PlainText"
    return base64.b64encode(content.encode("utf-8")).decode("ascii"), "Base64"


def decode_output(text):
    """DescribeInvocationResults Output (Base64 by default) as text: UTF-8, undecodable bytes replaced."""
    if not text:
        return ""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text
    return data.decode("utf-8", errors="replace")


def _int_or_none(value):
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


def normalize_ecs_result(item):
    """One InvocationResult as {status, raw_status, exit_code, output, error_code, error_message}; status None while on its way."""
    raw = item.get("InvocationStatus")
    if raw in ECS_RUNNING or raw is None:
        status = None
    else:
        status = ECS_STATUSES.get(raw, "error")
    return {
        "status": status,
        "raw_status": raw,
        # An exit code means something only for a script that ran to its end (-1 is the agent's word for killed).
        "exit_code": _int_or_none(item.get("ExitCode")) if status in ("success", "failed") else None,
        "output": decode_output(item.get("Output")),
        "error_code": (item.get("ErrorCode") or None) if status not in (None, "success") else None,
        "error_message": (item.get("ErrorInfo") or None) if status not in (None, "success") else None,
        # when the script started on the instance (seconds; the restart rule compares StartTime with it)
        "started_at": normalize_time(item.get("StartTime")),
    }


class EcsCommands(object):
    """RunCommand / DescribeInvocationResults / RebootInstances, mixed into Provider below."""

    command_batch_size = ECS_COMMAND_MAX_IDS

    def run_command(self, ids, command):
        """Run one command on <= 100 instances; returns the InvokeId. A refusal is a whole-call CloudError.

        A ClientToken makes the SDK's retries of this call idempotent (the command runs once).
        """
        content, encoding = encode_content(command["content"])
        body = self._call("RunCommand", {
            "RegionId": self.region, "Type": command["type"], "CommandContent": content, "ContentEncoding": encoding,
            "Timeout": int(command["timeout"]), "WorkingDir": command.get("working_dir") or None,
            "Username": command.get("username") or None, "InstanceId": list(ids), "ClientToken": str(uuid.uuid4()),
        })
        return body["InvokeId"]

    def command_results(self, invocation_id, ids):
        """{id: normalized result} for the instances of one invocation, <= 50 a page (NextToken)."""
        wanted = set(ids)
        found = {}
        token = None
        while True:
            body = self._call("DescribeInvocationResults", {
                "RegionId": self.region, "InvokeId": invocation_id, "ContentEncoding": "Base64",
                "MaxResults": ECS_RESULTS_PAGE_SIZE, "NextToken": token,
            })
            invocation = body.get("Invocation") or {}
            for item in (invocation.get("InvocationResults") or {}).get("InvocationResult") or []:
                if item.get("InstanceId") in wanted:
                    found[item["InstanceId"]] = normalize_ecs_result(item)
            token = invocation.get("NextToken") or body.get("NextToken")
            if not token:
                return found

    def reboot(self, ids, dry_run=False, force=False):
        """RebootInstances (<= 100 ids); force is ForceReboot (like a power cycle: unwritten data is lost)."""
        return self._mutate("RebootInstances", ids, {"RegionId": self.region, "ForceReboot": bool(force),
                                                     "BatchOptimization": "SuccessFirst"}, dry_run)


class Provider(EcsCommands, EcsResources):
    cloud = "alicloud"
    capabilities = CAPABILITIES

    def __init__(self, conn):
        self.region = conn["region"]
        if not REGION_SHAPE.match(self.region or ""):
            raise InputError("region %r is not an ECS region id (like cn-hangzhou or ap-southeast-1)" % (self.region,))
        self.protocol, endpoint = endpoint_parts(conn.get("endpoint_url"), self.region)
        self.endpoint_url = "%s://%s" % (self.protocol.lower(), endpoint)
        retry = RetryOptions({
            "retryable": True,
            "retryCondition": [{
                "maxAttempts": conn.get("retry_max_attempts") or 8,
                "errorCode": RETRY_CODES,
                "exception": ["ServerException", "ThrottlingException"],
                "backoff": {"policy": "EqualJitter", "period": 200, "cap": 10000},
                "maxDelay": 20000,
            }],
        })
        config = open_api_models.Config(
            access_key_id=conn.get("access_key"),
            access_key_secret=conn.get("secret_key"),
            security_token=conn.get("security_token"),
            region_id=self.region,
            endpoint=endpoint,
            protocol=self.protocol,
            retry_options=retry,
            connect_timeout=5000,
            read_timeout=30000,
            user_agent="cloudfleet.lifecycle",
        )
        self.client = OpenApiClient(config)

    def _call(self, action, query):
        params = open_api_models.Params(
            action=action, version=API_VERSION, protocol=self.protocol, pathname="/", method="POST",
            auth_type="AK", style="RPC", req_body_type="formData", body_type="json",
        )
        request = open_api_models.OpenApiRequest(query=Utils.query(dict((k, v) for k, v in query.items() if v is not None)))
        try:
            response = self.client.call_api(params, request, RuntimeOptions())
        except Exception as exc:  # every SDK error type, translated; nothing escapes as a traceback
            raise translate(exc, self.endpoint_url)
        return (response or {}).get("body") or {}

    def _dry_call(self, action, query, dry_run):
        """A call that takes DryRun: its body, or None when it was a dry run that would have succeeded."""
        if dry_run:
            query = dict(query, DryRun=True)
        try:
            return self._call(action, query)
        except CloudError as exc:
            if dry_run and exc.code in DRY_RUN_PASSED:
                return None
            raise

    def _record(self, instance):
        return make_record(
            instance["InstanceId"], "alicloud", instance.get("RegionId") or self.region,
            ecs_state(instance.get("Status")),
            raw_state=instance.get("Status"),
            state_code=None,
            auto_release_time=normalize_time(instance.get("AutoReleaseTime")),
            deletion_protection=instance.get("DeletionProtection"),
            instance_type=instance.get("InstanceType"),
            tags=_tags(instance),
            os_type=normalize_os_type(instance.get("OSType")),
            start_time=normalize_time(instance.get("StartTime")),
        )

    def _describe_pages(self, query, page_size=100):
        """DescribeInstances page by page (NextToken), as (record, raw API dict) pairs."""
        token = None
        while True:
            page = dict(query, RegionId=self.region, MaxResults=page_size, NextToken=token)
            body = self._call("DescribeInstances", page)
            for instance in (body.get("Instances") or {}).get("Instance") or []:
                yield self._record(instance), instance
            token = body.get("NextToken")
            if not token:
                return

    def describe(self, ids):
        """Ids ECS does not return are released (ECS forgets them)."""
        return dict((record["id"], record) for record, _raw in self._describe_pages({"InstanceIds": json.dumps(list(ids))}))

    def iter_instances(self, states=None, tags=None, page_size=100):
        """Every instance matching the filters, as (record, raw API dict) pairs (ECS filters states here)."""
        query = {}
        if tags:
            query["Tag"] = [{"Key": k, "Value": str(v)} for k, v in tags.items()]
        for record, raw in self._describe_pages(query, page_size):
            if not states or record["state"] in states:
                yield record, raw

    def list_instances(self, states=None, tags=None):
        return [record for record, _raw in self.iter_instances(states, tags)]

    @staticmethod
    def host_extras(raw):
        return host_extras(raw)

    def _mutate(self, action, ids, query, dry_run, id_param="InstanceId", batch=True):
        def call(chunk):
            request = dict(query)
            request[id_param] = list(chunk) if batch else chunk[0]
            if dry_run and request.get("BatchOptimization") == "SuccessFirst":
                # "If you set BatchOptimization to SuccessFirst and DryRun to true, only DRYRUN.SUCCESS is
                # returned regardless of whether the request passes the dry run" (StopInstances reference):
                # a check-mode call must be AllTogether to check anything.
                del request["BatchOptimization"]
            body = self._dry_call(action, request, dry_run)
            return {} if body is None else self._instance_responses(body)
        if batch:
            return run_per_id(call, ids)
        failures = {}
        for instance_id in ids:
            failures.update(run_per_id(call, [instance_id]))
        return failures

    @staticmethod
    def _instance_responses(body):
        """Per-id results of a batch call with BatchOptimization=SuccessFirst."""
        failures = {}
        for item in (body.get("InstanceResponses") or {}).get("InstanceResponse") or []:
            if str(item.get("Code", "200")) != "200":
                failures[item["InstanceId"]] = cloud_error(item.get("Code"), item.get("Message"), body.get("RequestId"),
                                                           instance_id=item["InstanceId"])
        return failures

    def stop(self, ids, force=False, hibernate=False, stopped_mode=None, dry_run=False):
        # hibernate never gets here: ECS's Hibernate is not available (instance_stop refuses it before any call)
        mode = STOPPED_MODES.get(stopped_mode) if stopped_mode else None
        query = {"RegionId": self.region, "ForceStop": bool(force), "StoppedMode": mode, "BatchOptimization": "SuccessFirst"}
        return self._mutate("StopInstances", ids, query, dry_run)

    def terminate(self, ids, force=False, dry_run=False):
        return self._mutate("DeleteInstances", ids, {"RegionId": self.region, "Force": bool(force)}, dry_run)

    def set_deletion_protection(self, ids, enabled, dry_run=False):
        if dry_run:
            return {}  # no DryRun in this API: the core never gets here in check mode
        return self._mutate("ModifyInstanceAttribute", ids, {"DeletionProtection": bool(enabled)}, False, batch=False)

    def set_auto_release_time(self, ids, value, dry_run=False):
        if dry_run:
            return {}  # no DryRun in this API: the core never gets here in check mode
        # No AutoReleaseTime parameter at all cancels the automatic release (reference 001).
        return self._mutate("ModifyInstanceAutoReleaseTime", ids, {"RegionId": self.region, "AutoReleaseTime": value}, False, batch=False)

    def read_protection(self, ids):
        """{id: bool}: DescribeInstances reports DeletionProtection already; read again only where it was missing."""
        found = {}
        for start in range(0, len(ids), 100):
            for i, record in self.describe(list(ids)[start:start + 100]).items():
                if record["deletion_protection"] is not None:
                    found[i] = bool(record["deletion_protection"])
        return found

    def health(self, ids):
        body = self._call("DescribeInstancesFullStatus", {"RegionId": self.region, "InstanceId": list(ids), "PageSize": 100})
        result = {}
        for item in (body.get("InstanceFullStatusSet") or {}).get("InstanceFullStatusType") or []:
            status = _health_word((item.get("HealthStatus") or {}).get("Name"))
            events = (item.get("ScheduledSystemEventSet") or {}).get("ScheduledSystemEventType") or []
            result[item["InstanceId"]] = {
                # ECS reports one health status covering instance and host.
                "instance_status": status,
                "system_status": status,
                "events": [{
                    "code": (e.get("EventType") or {}).get("Name"),
                    "description": e.get("Reason"),
                    "not_before": normalize_time(e.get("NotBefore")),
                    "not_after": None,
                } for e in events],
            }
        return result


def _first(values):
    for value in values or []:
        if value:
            return value
    return None


def host_extras(instance):
    """The inventory's host variables beyond the record, from one DescribeInstances instance."""
    vpc = instance.get("VpcAttributes") or {}
    private = _first((vpc.get("PrivateIpAddress") or {}).get("IpAddress")) or \
        _first((instance.get("InnerIpAddress") or {}).get("IpAddress"))
    public = _first((instance.get("PublicIpAddress") or {}).get("IpAddress")) or \
        (instance.get("EipAddress") or {}).get("IpAddress") or None
    return {
        "instance_name": instance.get("InstanceName") or None,
        "private_ip": private,
        "public_ip": public,
        "private_dns_name": instance.get("HostName") or None,
        "public_dns_name": None,
        "zone": instance.get("ZoneId") or None,
        "vpc_id": vpc.get("VpcId") or None,
    }
