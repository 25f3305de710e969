# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS EC2 through boto3: API calls only. Retries are botocore's own (standard or adaptive mode)."""


import traceback
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import (
    AUTH, CAPACITY, CONNECTION, DENIED, FATAL_KINDS, INVALID, NOT_FOUND, OTHER, PROTECTED, SERVICE, THROTTLED, WRONG_STATE,
    CloudError, InputError, connection_error, connection_reason,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.per_id import ids_named_in, run_per_id
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import STATES, format_time, make_record, normalize_time
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import Capabilities

SDK_NAME = "boto3"
IMPORT_ERROR = None
try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoRegionError
    HAS_SDK = True
except ImportError:
    IMPORT_ERROR = traceback.format_exc()
    HAS_SDK = False

# What EC2 can do, as the core asks it (see base.Capabilities).
CAPABILITIES = Capabilities(
    service="EC2",
    endpoint_setting="endpoint_url / AWS_ENDPOINT_URL",
    # every mutating EC2 call takes DryRun (the auto-release time is a tag: CreateTags / DeleteTags do too)
    dry_run_ops=frozenset(["stop", "start", "reboot", "terminate", "protection", "auto_release", "snapshot", "image", "launch",
                           "delete_image"]),
    hibernate=True,
    stopped_modes=(),
    # SSM's AWS-RunShellScript / AWS-RunPowerShellScript, which run as root / SYSTEM and take no user
    command_types=("RunShellScript", "RunPowerShellScript"),
    command_username=False,
    # SSM has no "stop / reboot after the command": the module calls StopInstances / RebootInstances
    command_then="api",
    # EC2 stays running through a reboot and keeps its LaunchTime: the call's acceptance is the evidence
    reboot_evidence="accepted",
    snapshot_states=None,
    image_from_snapshots=False,
    volume_swap=True,
    page_limits=(5, 1000),  # DescribeInstances MaxResults
)

# EC2 state codes: only the low byte means anything; the high byte is internal (see reference 000).
EC2_STATE_CODES = {0: "pending", 16: "running", 32: "shutting-down", 48: "terminated", 64: "stopping", 80: "stopped"}


def ec2_state(code, name=None):
    """Normalize an EC2 state from its code (high byte ignored), falling back to its name."""
    if code is not None:
        try:
            low = int(code) & 0xFF
        except (TypeError, ValueError):
            low = None
        if low in EC2_STATE_CODES:
            return EC2_STATE_CODES[low]
    if name and name.lower() in STATES:
        return name.lower()
    raise ValueError("unknown EC2 instance state: code=%r name=%r" % (code, name))


def ec2_state_code(code):
    """The low byte of an EC2 state code, or None."""
    if code is None:
        return None
    return int(code) & 0xFF


# EC2 has no auto-release API: the time is kept in this tag (see auto_release_time docs).
AUTO_RELEASE_TAG = "cloudfleet:auto-release-time"
# EC2 has no batch read of DisableApiTermination: DescribeInstanceAttribute takes one instance.
# Reads run this many at a time (botocore clients are thread-safe; Describe calls have the
# highest request rate limit of EC2's API classes).
PROTECTION_READERS = 8


# --- errors: EC2's codes in the collection's kinds, classified here once (translate) ---
def _kinds(table):
    return dict((code, kind) for kind, codes in table.items() for code in codes)


ERROR_KINDS = _kinds({
    # the EC2 API reference's "Error codes", common client errors (every one comes as botocore's ClientError):
    # who you are; then what you may do. NoCredentialsError / PartialCredentialsError are botocore's own, before any request
    AUTH: ["AuthFailure", "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
           "NoCredentialsError", "PartialCredentialsError"],
    DENIED: ["UnauthorizedOperation", "OptInRequired", "ExpiredToken", "RequestExpired", "MissingAuthenticationToken", "Blocked"],
    THROTTLED: ["RequestLimitExceeded", "Throttling", "ThrottlingException"],
    INVALID: ["InvalidParameterValue", "InvalidParameterCombination", "MissingParameter", "UnknownParameter"],
    # "Server error codes"; no answer at all (after botocore's retries) is connection_error's
    SERVICE: ["InternalError", "ServiceUnavailable", "Unavailable"],
    CONNECTION: ["ConnectionError"],
    # "Client error codes for specific actions": ids EC2 does not know (it names them in the message), an AMI
    # gone or not usable, an instance in a state the call does not take
    NOT_FOUND: ["InvalidInstanceID.NotFound", "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"],
    WRONG_STATE: ["IncorrectInstanceState"],
    # 5xx that concern the instances named, not the service: split per id, never fatal (EC2 answers a
    # StartInstances it has no capacity for as a whole, naming no instance)
    CAPACITY: ["InsufficientInstanceCapacity", "InsufficientHostCapacity", "InsufficientReservedInstanceCapacity",
               "InsufficientCapacityOnOutpost"],
})

# A passing dry run is an error answer (EC2 "DryRunOperation: Request would have succeeded").
DRY_RUN_PASSED = "DryRunOperation"


def error_kind(code, message=None, http_status=None):
    """The kind of one EC2 answer."""
    # TerminateInstances refused by termination protection: "OperationNotPermitted ... 'disableApiTermination'"
    if code == "OperationNotPermitted" and "disableApiTermination" in (message or ""):
        return PROTECTED
    kind = ERROR_KINDS.get(code)
    if kind in FATAL_KINDS or kind == CAPACITY:
        return kind
    if http_status is not None and http_status >= 500:
        return SERVICE
    return kind or OTHER


def cloud_error(code, message, request_id=None, http_status=None, instance_id=None):
    """A CloudError with its kind, as EC2 said it."""
    return CloudError(code, message, request_id, instance_id, http_status, kind=error_kind(code, message, http_status))


def translate(exc):
    """botocore's exceptions as CloudError (code, message, request id, HTTP status, kind)."""
    if isinstance(exc, EndpointConnectionError):
        return connection_error(exc.kwargs.get("endpoint_url"), connection_reason(exc.kwargs.get("error")))
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        return cloud_error(error.get("Code", "Unknown"), error.get("Message", str(exc)), meta.get("RequestId"),
                           meta.get("HTTPStatusCode"))
    return cloud_error(type(exc).__name__, str(exc))


def sdk_call(method, **params):
    """One boto3 call: the one place botocore's exceptions become CloudError."""
    try:
        return method(**params)
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc)


def sdk_pages(client, operation, **params):
    """Every page of a boto3 paginator, botocore's exceptions as CloudError (the pages are fetched as they are read)."""
    pages = iter(client.get_paginator(operation).paginate(**params))
    while True:
        try:
            page = next(pages)
        except StopIteration:
            return
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc)
        yield page


def _tags(instance):
    return dict((t["Key"], t.get("Value", "")) for t in instance.get("Tags") or [])


# --- disks, snapshots, images and launches (instance_snapshot, instance_image, instance_clone) ---
# EC2 snapshot / image / volume states in the collection's words.
SNAPSHOT_STATES = {"pending": "pending", "completed": "completed", "error": "error", "recoverable": "pending",
                   "recovering": "pending"}
IMAGE_STATES = {"pending": "pending", "available": "available", "failed": "failed", "invalid": "failed",
                "error": "failed", "deregistered": "absent", "disabled": "failed", "transient": "pending"}


def _tag_list(tags):
    return [{"Key": k, "Value": str(v)} for k, v in tags.items()]


def _spec(resource, tags):
    return [{"ResourceType": resource, "Tags": _tag_list(tags)}] if tags else []


class Ec2Resources(object):
    """The resource calls, mixed into Provider below (kept apart to keep each part readable)."""

    def details(self, ids):
        """{id: launch configuration and disks} for the ids EC2 knows (<= 100 ids)."""
        found = {}
        for instance in self._describe_known(ids):
            root = instance.get("RootDeviceName")
            disks = []
            for mapping in instance.get("BlockDeviceMappings") or []:
                if "Ebs" in mapping:
                    disks.append({"volume_id": mapping["Ebs"]["VolumeId"], "device": mapping["DeviceName"],
                                  "root": mapping["DeviceName"] == root})
            found[instance["InstanceId"]] = {
                "record": self._record(instance),
                "instance_type": instance.get("InstanceType"),
                "image_id": instance.get("ImageId"),
                "subnet_id": instance.get("SubnetId"),
                "security_group_ids": [g["GroupId"] for g in instance.get("SecurityGroups") or []],
                "key_name": instance.get("KeyName"),
                "zone": (instance.get("Placement") or {}).get("AvailabilityZone"),
                "root_device": root,
                "tags": _tags(instance),
                "disks": disks,
            }
        return found

    def disks(self, ids):
        return dict((i, d["disks"]) for i, d in self.details(ids).items())

    def find_tagged(self, key, values, states=("pending", "running", "stopping", "stopped")):
        """Records of the instances in `states` whose tag `key` has one of `values`."""
        records = []
        values = list(values)
        for start in range(0, len(values), 100):
            filters = [{"Name": "tag:%s" % key, "Values": values[start:start + 100]},
                       {"Name": "instance-state-name", "Values": list(states)}]
            for page in self._pages("describe_instances", Filters=filters):
                for reservation in page.get("Reservations", []):
                    records.extend(self._record(i) for i in reservation.get("Instances", []))
        return records

    # snapshots
    @staticmethod
    def snapshot_refusal(record):
        return None  # CreateSnapshot(s) has DryRun: check mode asks EC2 instead of predicting

    def create_snapshots(self, instance_id, disks, whole, tags, dry_run=False):
        """Snapshot `disks` of one instance: all at once (CreateSnapshots) when `whole`, else one call per volume.

        tags(disk) gives each snapshot's tags. Returns [{snapshot_id, volume_id, device, state}].
        """
        by_volume = dict((d["volume_id"], d) for d in disks)
        made = []
        if whole:
            common = tags({"device": None, "volume_id": None})
            response = self._dry_call("create_snapshots", dry_run, TagSpecifications=_spec("snapshot", common),
                                      InstanceSpecification={"InstanceId": instance_id, "ExcludeBootVolume": False})
            for snap in (response or {}).get("Snapshots") or []:
                disk = by_volume.get(snap.get("VolumeId"), {"volume_id": snap.get("VolumeId"), "device": None})
                extra = dict((k, v) for k, v in tags(disk).items() if common.get(k) != v)
                if extra:
                    self._call("create_tags", Resources=[snap["SnapshotId"]], Tags=_tag_list(extra))
                made.append(self._snapshot_view(snap, disk))
            return made
        for disk in disks:
            snap = self._dry_call("create_snapshot", dry_run, VolumeId=disk["volume_id"], TagSpecifications=_spec("snapshot", tags(disk)))
            if snap is None:
                return []  # the dry run of the first volume passed: that is the answer
            made.append(self._snapshot_view(snap, disk))
        return made

    @staticmethod
    def _snapshot_view(snap, disk=None):
        tags = _tags(snap)
        return {"snapshot_id": snap["SnapshotId"], "volume_id": snap.get("VolumeId") or (disk or {}).get("volume_id"),
                "device": (disk or {}).get("device") or tags.get("cloudfleet:device"),
                "state": SNAPSHOT_STATES.get(snap.get("State") or "pending", "pending"), "tags": tags}

    def find_snapshots(self, tags):
        """Our snapshots carrying every tag in `tags`."""
        filters = [{"Name": "tag:%s" % k, "Values": [str(v)]} for k, v in tags.items()]
        found = []
        for page in self._pages("describe_snapshots", OwnerIds=["self"], Filters=filters):
            found.extend(self._snapshot_view(s) for s in page.get("Snapshots") or [])
        return found

    def snapshot_states(self, snapshot_ids):
        response = self._call("describe_snapshots", SnapshotIds=list(snapshot_ids))
        return dict((s["SnapshotId"], {"state": SNAPSHOT_STATES.get(s.get("State"), "pending")})
                    for s in response.get("Snapshots") or [])

    # images
    def find_images(self, names):
        """{name: {image_id, name, state, snapshot_ids}} for our images with these names."""
        found = {}
        for start in range(0, len(names), 100):
            response = self._call("describe_images", Owners=["self"], Filters=[{"Name": "name", "Values": list(names[start:start + 100])}])
            for image in response.get("Images") or []:
                view = self._image_view(image)
                if view["state"] != "absent":
                    found[view["name"]] = view
        return found

    @staticmethod
    def image_refusal(record):
        return None  # EC2's own refusal message says what is wrong

    @staticmethod
    def _image_view(image):
        snapshots = [m["Ebs"]["SnapshotId"] for m in image.get("BlockDeviceMappings") or [] if (m.get("Ebs") or {}).get("SnapshotId")]
        return {"image_id": image["ImageId"], "name": image.get("Name"), "state": IMAGE_STATES.get(image.get("State"), "pending"),
                "snapshot_ids": snapshots}

    def create_image(self, instance_id, name, tags, dry_run=False):
        """CreateImage with NoReboot: the instance is not rebooted (it may be stuck). Returns the image id."""
        response = self._dry_call("create_image", dry_run, InstanceId=instance_id, Name=name, NoReboot=True,
                                  Description="cloudfleet.lifecycle image of %s" % instance_id,
                                  TagSpecifications=_spec("image", tags) + _spec("snapshot", tags))
        return None if response is None else response["ImageId"]

    def image_states(self, image_ids):
        found = dict((i, {"state": "absent"}) for i in image_ids)
        try:
            response = self._call("describe_images", ImageIds=list(image_ids))
        except CloudError as exc:
            if exc.kind == NOT_FOUND:
                return found
            raise
        for image in response.get("Images") or []:
            found[image["ImageId"]] = {"state": IMAGE_STATES.get(image.get("State"), "pending")}
        return found

    def delete_image(self, image, delete_snapshots=False, dry_run=False):
        if self._dry_call("deregister_image", dry_run, ImageId=image["image_id"]) is None:
            return  # the dry run passed
        if delete_snapshots:
            for snapshot_id in image.get("snapshot_ids") or []:
                if self._dry_call("delete_snapshot", dry_run, SnapshotId=snapshot_id) is None:
                    return

    # launches
    def launch(self, config, image_id, tags, client_token, dry_run=False):
        """One instance like `config` (details()) from `image_id`; returns its id (None in a dry run)."""
        args = dict(ImageId=image_id, InstanceType=config["instance_type"], MinCount=1, MaxCount=1,
                    TagSpecifications=_spec("instance", tags), ClientToken=client_token)
        if config.get("subnet_id"):
            args["SubnetId"] = config["subnet_id"]
        if config.get("security_group_ids"):
            args["SecurityGroupIds"] = list(config["security_group_ids"])
        if config.get("key_name"):
            args["KeyName"] = config["key_name"]
        response = self._dry_call("run_instances", dry_run, **args)
        return None if response is None else response["Instances"][0]["InstanceId"]

    def start(self, ids, dry_run=False):
        return self._mutate("start_instances", ids, dry_run)

    # volumes (the EC2 volume-swap fallback)
    def find_volumes(self, tags):
        filters = [{"Name": "tag:%s" % k, "Values": [str(v)]} for k, v in tags.items()]
        found = []
        for page in self._pages("describe_volumes", Filters=filters):
            found.extend(self._volume_view(v) for v in page.get("Volumes") or [])
        return found

    @staticmethod
    def _volume_view(volume):
        attachments = [{"instance_id": a.get("InstanceId"), "device": a.get("Device"), "state": a.get("State")}
                       for a in volume.get("Attachments") or []]
        return {"volume_id": volume["VolumeId"], "state": volume.get("State"), "tags": _tags(volume), "attachments": attachments}

    def volume_states(self, volume_ids):
        response = self._call("describe_volumes", VolumeIds=list(volume_ids))
        return dict((v["VolumeId"], self._volume_view(v)) for v in response.get("Volumes") or [])

    def create_volume(self, snapshot_id, zone, tags, dry_run=False):
        response = self._dry_call("create_volume", dry_run, SnapshotId=snapshot_id, AvailabilityZone=zone,
                                  TagSpecifications=_spec("volume", tags))
        return None if response is None else response["VolumeId"]

    def attach_volume(self, volume_id, instance_id, device):
        self._call("attach_volume", VolumeId=volume_id, InstanceId=instance_id, Device=device)

    def detach_volume(self, volume_id, instance_id, device):
        self._call("detach_volume", VolumeId=volume_id, InstanceId=instance_id, Device=device)

    def delete_volume(self, volume_id):
        self._call("delete_volume", VolumeId=volume_id)


# --- commands (instance_command): SSM Run Command, a second boto3 client from the same session ---
SSM_DOCUMENTS = {"RunShellScript": "AWS-RunShellScript", "RunPowerShellScript": "AWS-RunPowerShellScript"}
SSM_MAX_IDS = 50  # SendCommand takes at most 50 InstanceIds
SSM_PAGE_SIZE = 50  # ListCommandInvocations MaxResults: at most 50
# CommandInvocation.Status in the collection's words; Pending, InProgress, Delayed, Cancelling are still on their way.
SSM_STATUSES = {"Success": "success", "Failed": "failed", "TimedOut": "timeout", "Cancelled": "cancelled"}
SSM_RUNNING = frozenset(["Pending", "InProgress", "Delayed", "Cancelling"])
# StatusDetails that mean the command never ran on the node (not a failure of the script).
SSM_NOT_DELIVERED = frozenset(["Undeliverable", "InvalidPlatform", "AccessDenied"])


def normalize_ssm_invocation(invocation):
    """One ListCommandInvocations entry (Details=true) as {status, raw_status, exit_code, output, error_code, error_message}.

    status is None while the invocation is still on its way. The output is the plugin's Output,
    which SSM cuts at 2500 characters (stdout, then stderr after a '----------ERROR-------' line).
    """
    raw = invocation.get("Status")
    details = (invocation.get("StatusDetails") or "").replace(" ", "") or None
    plugins = invocation.get("CommandPlugins") or []
    if details in SSM_NOT_DELIVERED:
        status = "error"
    elif raw in SSM_STATUSES:
        status = SSM_STATUSES[raw]
    elif raw in SSM_RUNNING or raw is None:
        status = None
    else:
        status = "error"
    code = plugins[0].get("ResponseCode") if plugins else None
    # An exit code means something only for a script that ran to its end (-1: not run; a timeout reports the kill's 137).
    exit_code = int(code) if status in ("success", "failed") and code is not None and int(code) != -1 else None
    return {
        "status": status,
        "raw_status": raw,
        "exit_code": exit_code,
        "output": "".join(p.get("Output") or "" for p in plugins),
        # StatusDetails when it says more than Status (ExecutionTimedOut, DeliveryTimedOut, Undeliverable, ...).
        "error_code": details if status not in (None, "success") and details and details != raw else None,
        "error_message": None,
    }


class Ec2Commands(object):
    """SendCommand / ListCommandInvocations / RebootInstances, mixed into Provider below."""

    command_batch_size = SSM_MAX_IDS
    _ssm = None

    @property
    def ssm(self):
        """The SSM client, made on first use: the other modules never pay for it."""
        if self._ssm is None:
            self._ssm = sdk_call(self._session.client, service_name="ssm", **self._client_args)
        return self._ssm

    def _ssm_call(self, operation, **params):
        return sdk_call(getattr(self.ssm, operation), **params)

    def run_command(self, ids, command):
        """Send one command to <= 50 instances; returns the CommandId. A refusal is a whole-call CloudError.

        MaxConcurrency/MaxErrors are 100%: the collection runs its own waves, SSM must not cancel
        invocations of this call on its own. The delivery timeout follows the module's wait.
        """
        parameters = {"commands": [command["content"]], "executionTimeout": [str(command["timeout"])]}
        if command.get("working_dir"):
            parameters["workingDirectory"] = [command["working_dir"]]
        response = self._ssm_call(
            "send_command", InstanceIds=list(ids), DocumentName=SSM_DOCUMENTS[command["type"]], Parameters=parameters,
            Comment="cloudfleet.lifecycle.instance_command", MaxConcurrency="100%", MaxErrors="100%",
            TimeoutSeconds=max(30, min(int(command.get("delivery_timeout") or 3600), 2592000)))
        return response["Command"]["CommandId"]

    def command_results(self, invocation_id, ids):
        """{id: normalized result} for the instances of one command, <= 50 a page; ids SSM does not list yet are left out."""
        wanted = set(ids)
        found = {}
        for page in sdk_pages(self.ssm, "list_command_invocations", CommandId=invocation_id, Details=True,
                              PaginationConfig={"PageSize": SSM_PAGE_SIZE}):
            for invocation in page.get("CommandInvocations") or []:
                if invocation.get("InstanceId") in wanted:
                    found[invocation["InstanceId"]] = normalize_ssm_invocation(invocation)
        return found

    def reboot(self, ids, dry_run=False, force=False):
        """RebootInstances (<= 100 ids). EC2 has no forced reboot: "If an instance does not cleanly shut down
        within four minutes, Amazon EC2 performs a hard reboot" (its API reference), so force sends the same call."""
        return self._mutate("reboot_instances", ids, dry_run)


class Provider(Ec2Commands, Ec2Resources):
    cloud = "aws"
    capabilities = CAPABILITIES

    def __init__(self, conn):
        session_args = {}
        if conn.get("access_key"):
            session_args.update(aws_access_key_id=conn["access_key"], aws_secret_access_key=conn["secret_key"],
                                aws_session_token=conn.get("security_token"))
        elif conn.get("profile"):
            session_args["profile_name"] = conn["profile"]
        if conn.get("region"):
            session_args["region_name"] = conn["region"]
        # total_max_attempts counts the first try too, as retry_max_attempts is documented ("tried in all");
        # botocore's max_attempts would add one more.
        config = Config(retries={"mode": conn.get("retry_mode") or "standard",
                                 "total_max_attempts": conn.get("retry_max_attempts") or 8},
                        user_agent_extra="cloudfleet.lifecycle")
        try:
            session = boto3.session.Session(**session_args)
            self._session, self._client_args = session, dict(endpoint_url=conn.get("endpoint_url") or None, config=config)
            self.client = session.client("ec2", **self._client_args)
        except NoRegionError:
            raise InputError("region is required for cloud=aws (option region, AWS_REGION, AWS_DEFAULT_REGION or the profile)")
        except BotoCoreError as exc:
            raise translate(exc)
        self.region = self.client.meta.region_name
        check_region(session, self.region)

    # The one call path: every EC2 call goes through _call, _pages or _dry_call, errors classified once.
    def _call(self, operation, **params):
        return sdk_call(getattr(self.client, operation), **params)

    def _pages(self, operation, **params):
        return sdk_pages(self.client, operation, **params)

    def _dry_call(self, operation, dry_run, **params):
        """A call that takes DryRun: its answer, or None when it was a dry run that would have succeeded."""
        try:
            return self._call(operation, DryRun=dry_run, **params)
        except CloudError as exc:
            if dry_run and exc.code == DRY_RUN_PASSED:
                return None
            raise

    def _record(self, instance):
        state = instance.get("State") or {}
        tags = _tags(instance)
        return make_record(
            instance["InstanceId"], "aws", self.region,
            ec2_state(state.get("Code"), state.get("Name")),
            raw_state=state.get("Name"),
            state_code=ec2_state_code(state.get("Code")),
            auto_release_time=normalize_time(tags.get(AUTO_RELEASE_TAG)),
            # DescribeInstances does not report DisableApiTermination; unknown until a call says.
            deletion_protection=None,
            instance_type=instance.get("InstanceType"),
            tags=tags,
            # EC2 Platform is "windows" for Windows and absent for everything else.
            os_type="windows" if str(instance.get("Platform") or "").lower() == "windows" else "linux",
            start_time=_time(instance.get("LaunchTime")),
        )

    def describe(self, ids):
        """Ids EC2 does not know are dropped (EC2 names them in InvalidInstanceID.NotFound)."""
        return dict((instance["InstanceId"], self._record(instance)) for instance in self._describe_known(ids))

    def _call_known(self, operation, ids, **params):
        """The answer to a read of `ids` (<= 100) for the ids EC2 knows, or None when it knows none: EC2 fails the
        whole call naming the unknown ids (InvalidInstanceID.NotFound), so those are dropped and it is asked again."""
        remaining = list(ids)
        while remaining:
            try:
                return self._call(operation, InstanceIds=remaining, **params)
            except CloudError as exc:
                missing = ids_named_in(exc.message, remaining) if exc.kind == NOT_FOUND else []
                if not missing:
                    raise
                remaining = [i for i in remaining if i not in missing]
        return None

    def _describe_known(self, ids):
        """The raw instances EC2 knows among `ids` (<= 100)."""
        response = self._call_known("describe_instances", ids) or {}
        for reservation in response.get("Reservations", []):
            yield from reservation.get("Instances", [])

    def iter_instances(self, states=None, tags=None, page_size=1000):
        """Every instance matching the filters, page by page, as (record, raw API dict) pairs."""
        filters = []
        if states:
            filters.append({"Name": "instance-state-name", "Values": list(states)})
        for key, value in (tags or {}).items():
            filters.append({"Name": "tag:%s" % key, "Values": [str(value)]})
        for page in self._pages("describe_instances", Filters=filters, PaginationConfig={"PageSize": page_size}):
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    yield self._record(instance), instance

    def list_instances(self, states=None, tags=None):
        return [record for record, _raw in self.iter_instances(states, tags)]

    @staticmethod
    def host_extras(raw):
        return host_extras(raw)

    def _mutate(self, operation, ids, dry_run, id_param="InstanceIds", **kwargs):
        def call(batch):
            params = dict(kwargs)
            params[id_param] = batch
            self._dry_call(operation, dry_run, **params)
            return {}
        return run_per_id(call, ids)

    def stop(self, ids, force=False, hibernate=False, stopped_mode=None, dry_run=False):
        extra = {"Force": bool(force)}
        if hibernate:
            extra["Hibernate"] = True
        return self._mutate("stop_instances", ids, dry_run, **extra)

    def terminate(self, ids, force=False, dry_run=False):
        # EC2 terminates from any state: `force` is decided by the core, there is no API flag.
        return self._mutate("terminate_instances", ids, dry_run)

    def set_deletion_protection(self, ids, enabled, dry_run=False):
        def call(batch):  # ModifyInstanceAttribute takes one instance, as a string
            self._dry_call("modify_instance_attribute", dry_run, InstanceId=batch[0], DisableApiTermination={"Value": bool(enabled)})
            return {}
        failures = {}
        for instance_id in ids:
            failures.update(run_per_id(call, [instance_id]))
        return failures

    def set_auto_release_time(self, ids, value, dry_run=False):
        if value is None:
            return self._mutate("delete_tags", ids, dry_run, id_param="Resources", Tags=[{"Key": AUTO_RELEASE_TAG}])
        return self._mutate("create_tags", ids, dry_run, id_param="Resources", Tags=[{"Key": AUTO_RELEASE_TAG, "Value": value}])

    def read_protection(self, ids):
        """{id: bool}: termination protection (DisableApiTermination), one DescribeInstanceAttribute per
        instance, PROTECTION_READERS at a time. An id EC2 does not know is left out."""
        def one(instance_id):
            try:
                response = self._call("describe_instance_attribute", InstanceId=instance_id, Attribute="disableApiTermination")
            except CloudError as exc:
                if exc.kind == NOT_FOUND:
                    return instance_id, None
                raise
            return instance_id, bool((response.get("DisableApiTermination") or {}).get("Value"))
        ids = list(ids)
        if not ids:
            return {}
        pool = ThreadPoolExecutor(max_workers=min(PROTECTION_READERS, len(ids)))
        try:
            futures = [pool.submit(one, i) for i in ids]
            answers = [f.result() for f in futures]
        except CloudError:
            # one refusal (UnauthorizedOperation, throttling after the retries) is the same for all: stop sending
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return dict((i, value) for i, value in answers if value is not None)

    def health(self, ids):
        response = self._call_known("describe_instance_status", ids, IncludeAllInstances=True) or {}
        return dict((status["InstanceId"], {
            "instance_status": _status(status.get("InstanceStatus")),
            "system_status": _status(status.get("SystemStatus")),
            "events": [_event(e) for e in status.get("Events") or []],
        }) for status in response.get("InstanceStatuses", []))


def known_regions(session):
    """Every EC2 region of every partition this botocore knows (its endpoints data)."""
    regions = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("ec2", partition_name=partition))
    return regions


def check_region(session, region):
    """A region botocore does not know fails before any call (it would cost retries and end in an
    unrelated error); a new region needs a newer botocore."""
    known = known_regions(session)
    if known and region not in known:
        prefix = str(region).split("-", maxsplit=1)[0]
        close = sorted(r for r in known if r.split("-", maxsplit=1)[0] == prefix)[:8] or sorted(known)[:8]
        raise InputError("region %r is not an EC2 region that botocore %s knows (for example %s); check the spelling, "
                         "or upgrade botocore if the region is new" % (region, botocore.__version__, ", ".join(close)))


def _status(block):
    value = (block or {}).get("Status")
    return value.lower() if value else None


def _time(value):
    if value is None:
        return None
    if hasattr(value, "strftime"):
        return format_time(value)
    return normalize_time(str(value))


def _event(event):
    return {
        "code": event.get("Code"),
        "description": event.get("Description"),
        "not_before": _time(event.get("NotBefore")),
        "not_after": _time(event.get("NotAfter")),
    }


def host_extras(instance):
    """The inventory's host variables beyond the record, from one DescribeInstances instance."""
    return {
        "instance_name": _tags(instance).get("Name") or None,
        "private_ip": instance.get("PrivateIpAddress") or None,
        "public_ip": instance.get("PublicIpAddress") or None,
        "private_dns_name": instance.get("PrivateDnsName") or None,
        "public_dns_name": instance.get("PublicDnsName") or None,
        "zone": (instance.get("Placement") or {}).get("AvailabilityZone"),
        "vpc_id": instance.get("VpcId") or None,
    }
