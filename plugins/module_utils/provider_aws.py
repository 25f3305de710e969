# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS EC2 through boto3: API calls only. Retries are botocore's own (standard or adaptive mode)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.errors import CloudError, InputError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.per_id import ids_named_in, run_per_id
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.records import (
    ec2_state, ec2_state_code, format_time, make_record, normalize_time,
)

SDK_NAME = "boto3"
IMPORT_ERROR = None
try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError
    HAS_SDK = True
except ImportError:
    IMPORT_ERROR = traceback.format_exc()
    HAS_SDK = False

# EC2 has no auto-release API: the time is kept in this tag (see auto_release_time docs).
AUTO_RELEASE_TAG = "cloudfleet:auto-release-time"

# Errors that would be the same for every id: never split a batch over them.
FATAL_CODES = frozenset([
    "AuthFailure", "InvalidClientTokenId", "UnauthorizedOperation", "SignatureDoesNotMatch", "OptInRequired",
    "UnrecognizedClientException", "ExpiredToken", "RequestExpired", "MissingAuthenticationToken", "Blocked",
    "RequestLimitExceeded", "Throttling", "ThrottlingException", "InternalError", "ServiceUnavailable", "Unavailable",
    "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter", "UnknownParameter",
])


def _is_fatal(error):
    return error.code in FATAL_CODES or error.instance_id is None and error.http_status is not None and error.http_status >= 500


def translate(exc):
    """botocore's exceptions as CloudError (code, message, request id, HTTP status)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        return CloudError(error.get("Code", "Unknown"), error.get("Message", str(exc)), meta.get("RequestId"),
                          http_status=meta.get("HTTPStatusCode"))
    return CloudError(type(exc).__name__, str(exc))


def _tags(instance):
    return dict((t["Key"], t.get("Value", "")) for t in instance.get("Tags") or [])


class Provider(object):
    cloud = "aws"

    def __init__(self, conn):
        session_args = {}
        if conn.get("access_key"):
            session_args.update(aws_access_key_id=conn["access_key"], aws_secret_access_key=conn["secret_key"],
                                aws_session_token=conn.get("security_token"))
        elif conn.get("profile"):
            session_args["profile_name"] = conn["profile"]
        if conn.get("region"):
            session_args["region_name"] = conn["region"]
        config = Config(retries={"mode": conn.get("retry_mode") or "standard", "max_attempts": conn.get("retry_max_attempts") or 8},
                        user_agent_extra="cloudfleet.lifecycle")
        try:
            session = boto3.session.Session(**session_args)
            self.client = session.client("ec2", endpoint_url=conn.get("endpoint_url") or None, config=config)
        except NoRegionError:
            raise InputError("region is required for cloud=aws (option region, AWS_REGION, AWS_DEFAULT_REGION or the profile)")
        except BotoCoreError as exc:
            raise translate(exc)
        self.region = self.client.meta.region_name

    def _call(self, operation, **kwargs):
        try:
            return getattr(self.client, operation)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc)

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
        )

    def describe(self, ids):
        """Ids EC2 does not know are dropped (EC2 names them in InvalidInstanceID.NotFound)."""
        remaining = list(ids)
        found = {}
        while remaining:
            try:
                response = self._call("describe_instances", InstanceIds=remaining)
            except CloudError as exc:
                missing = ids_named_in(exc.message, remaining) if exc.code == "InvalidInstanceID.NotFound" else []
                if not missing:
                    raise
                remaining = [i for i in remaining if i not in missing]
                continue
            for reservation in response.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    found[instance["InstanceId"]] = self._record(instance)
            break
        return found

    def list_instances(self, states=None, tags=None):
        filters = []
        if states:
            filters.append({"Name": "instance-state-name", "Values": list(states)})
        for key, value in (tags or {}).items():
            filters.append({"Name": "tag:%s" % key, "Values": [str(value)]})
        records = []
        try:
            for page in self.client.get_paginator("describe_instances").paginate(Filters=filters, PaginationConfig={"PageSize": 1000}):
                for reservation in page.get("Reservations", []):
                    for instance in reservation.get("Instances", []):
                        records.append(self._record(instance))
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc)
        return records

    def _mutate(self, operation, ids, dry_run, id_param="InstanceIds", **kwargs):
        def call(batch):
            try:
                params = dict(kwargs)
                params[id_param] = batch
                self._call(operation, DryRun=dry_run, **params)
            except CloudError as exc:
                if dry_run and exc.code == "DryRunOperation":
                    return {}
                raise
            return {}
        return run_per_id(call, ids, _is_fatal)

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
            try:
                self._call("modify_instance_attribute", InstanceId=batch[0], DryRun=dry_run,
                           DisableApiTermination={"Value": bool(enabled)})
            except CloudError as exc:
                if not (dry_run and exc.code == "DryRunOperation"):
                    raise
            return {}
        failures = {}
        for instance_id in ids:
            failures.update(run_per_id(call, [instance_id], _is_fatal))
        return failures

    def set_auto_release_time(self, ids, value, dry_run=False):
        if value is None:
            return self._mutate("delete_tags", ids, dry_run, id_param="Resources", Tags=[{"Key": AUTO_RELEASE_TAG}])
        return self._mutate("create_tags", ids, dry_run, id_param="Resources", Tags=[{"Key": AUTO_RELEASE_TAG, "Value": value}])

    def dry_run_supported(self, operation):
        return True

    def is_protection_error(self, error):
        return error.code == "OperationNotPermitted" and "disableApiTermination" in (error.message or "")

    def health(self, ids):
        remaining = list(ids)
        result = {}
        while remaining:
            try:
                response = self._call("describe_instance_status", InstanceIds=remaining, IncludeAllInstances=True)
            except CloudError as exc:
                missing = ids_named_in(exc.message, remaining) if exc.code == "InvalidInstanceID.NotFound" else []
                if not missing:
                    raise
                remaining = [i for i in remaining if i not in missing]
                continue
            for status in response.get("InstanceStatuses", []):
                result[status["InstanceId"]] = {
                    "instance_status": _status(status.get("InstanceStatus")),
                    "system_status": _status(status.get("SystemStatus")),
                    "events": [_event(e) for e in status.get("Events") or []],
                }
            break
        return result


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
