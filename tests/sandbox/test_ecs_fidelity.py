"""The ECS emulator answers as the ECS API reference documents, through the unmodified
alibabacloud_ecs20140526 client over HTTP. Each test's docstring names its source: the API reference
pages (doc-detail numbers as help.aliyun.com / alibabacloud.com give them) and the docstrings of the
SDK's models/_<action>_request.py and _<action>_response_body.py.
"""
import base64
import calendar
import json
import re
import time
import urllib.error
from urllib.parse import quote, quote_plus

import pytest
from alibabacloud_ecs20140526 import models as m
from darabonba.model import DaraModel

from sandbox.control_client import control as _control
from sandbox.fleet import ECS_IMAGE, ECS_TYPE, ecs_client, launch_ecs
from sandboxtest import advance, calls, error

R = "cn-hangzhou"
GHOST = "i-bp1nothere0000000000"
SLOW = 5.0  # transition seconds for tests that step the sandbox clock through each status
DRYRUN_MESSAGE = "This request is a dryrun request with successful result."
LOCKED_MESSAGE = "The specified operation is denied as your instance is locked for security reasons."


# fixtures `box`, `env`, `ecs`: tests/sandbox/conftest.py


def describe(ecs, ids, region=R, **kw):
    body = ecs.describe_instances(m.DescribeInstancesRequest(region_id=region, instance_ids=json.dumps(ids),
                                                             page_size=100, **kw)).body
    return {i.instance_id: i for i in body.instances.instance}


def statuses(ecs, ids):
    return {i: record.status for i, record in describe(ecs, ids).items()}


def running(box, env, count=1, **kw):
    """Launched and brought to Running by the sandbox clock (a launch is two transitions)."""
    ids = launch_ecs(env, count, **kw)
    advance(box, 2 * box.ctx.transition_seconds + 0.1)
    assert set(statuses_of(env, ids).values()) == {"Running"}
    return ids


def statuses_of(env, ids):
    return statuses(ecs_client(env), ids)


def stopped(box, env, ecs, count=1):
    ids = running(box, env, count)
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids))
    advance(box, box.ctx.transition_seconds + 0.1)
    assert set(statuses(ecs, ids).values()) == {"Stopped"}
    return ids


def lock(box, ids, reason="security"):
    return _control(box.ecs_url, "locks", {"instance_ids": ids, "reason": reason})


def control_error(url, route, body):
    with pytest.raises(urllib.error.HTTPError) as info:
        _control(url, route, body)
    return info.value.code, json.loads(info.value.read())


# ---- 1. dry runs of the batch actions ---------------------------------------------------------------

def test_batch_dry_run_all_together_answers_dry_run_success_or_the_first_error(box, env, ecs):
    """StopInstances, StartInstances and RebootInstances with DryRun=true and BatchOptimization AllTogether
    (the default): "The system checks the required parameters, request format, and instance status. If the
    check fails, the corresponding error is returned. If the check succeeds, DRYRUN.SUCCESS is returned"
    (the SDK docstrings of StopInstancesRequest.dry_run, StartInstancesRequest.dry_run,
    RebootInstancesRequest.dry_run; StopInstances doc-detail 155372, StartInstances 155374). Code and HTTP
    status from their error tables: 400 DRYRUN.SUCCESS "This request is a dryrun request with successful
    result."; it is an error in ECS's error format. Nothing changes."""
    ids = running(box, env, 2)
    before = len(calls(box))
    for call, request in [
        (ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=ids, dry_run=True)),
        (ecs.reboot_instances, m.RebootInstancesRequest(region_id=R, instance_id=ids, dry_run=True,
                                                        batch_optimization="AllTogether")),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code, err.data["Message"]) == ("DRYRUN.SUCCESS", 400, DRYRUN_MESSAGE)
        assert set(err.data) == {"RequestId", "HostId", "Code", "Message", "Recommend", "statusCode"}
    # the first real error: instance status, then existence
    err = error(ecs.start_instances, m.StartInstancesRequest(region_id=R, instance_id=ids, dry_run=True))
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)
    err = error(ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=[ids[0], GHOST], dry_run=True))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)
    err = error(ecs.stop_instances, m.StopInstancesRequest(region_id=R, dry_run=True))
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    advance(box, 1)
    assert statuses(ecs, ids) == {i: "Running" for i in ids}
    logged = calls(box)[before:]
    assert [c["error_code"] for c in logged[:5]] == ["DRYRUN.SUCCESS", "DRYRUN.SUCCESS", "IncorrectInstanceStatus",
                                                     "InvalidInstanceId.NotFound", "MissingParameter"]


def test_batch_dry_run_success_first_answers_only_dry_run_success(box, env, ecs):
    """"If you set BatchOptimization to SuccessFirst and DryRun to true, only DRYRUN.SUCCESS is returned
    regardless of whether the request passes the dry run" (StopInstances doc-detail 155372, StartInstances
    155374; the same note in the SDK docstrings of Stop/Start/RebootInstancesRequest.dry_run): a stop of an
    unknown id, a start of a Running instance and a reboot of a locked one all answer DRYRUN.SUCCESS."""
    ids = running(box, env, 2)
    lock(box, ids[1:])
    for call, request in [
        (ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=[ids[0], GHOST], dry_run=True,
                                                    batch_optimization="SuccessFirst")),
        (ecs.start_instances, m.StartInstancesRequest(region_id=R, instance_id=ids, dry_run=True,
                                                      batch_optimization="SuccessFirst")),
        (ecs.reboot_instances, m.RebootInstancesRequest(region_id=R, instance_id=ids[1:], dry_run=True,
                                                        batch_optimization="SuccessFirst")),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code, err.data["Message"]) == ("DRYRUN.SUCCESS", 400, DRYRUN_MESSAGE)
    advance(box, 1)
    assert statuses(ecs, ids) == {i: "Running" for i in ids}


def test_delete_instances_dry_run_does_not_query_resource_status(box, env, ecs):
    """DeleteInstancesRequest.dry_run (SDK docstring): "true: sends a check request without querying resource
    status. The check items include whether your AccessKey pair is valid, whether the RAM user is granted
    the required authorization, and whether the required parameters are specified ... If the check passes,
    the error code DRYRUN.SUCCESS is returned." So a Running instance without Force, a protected one and an
    unknown id all pass; a missing InstanceId does not. Status 400 from the DeleteInstances error table."""
    ids = running(box, env, 1)
    protected = running(box, env, 1, protected=True)
    err = error(ecs.delete_instances, m.DeleteInstancesRequest(region_id=R, instance_id=ids + protected + [GHOST],
                                                               dry_run=True))
    assert (err.code, err.status_code, err.data["Message"]) == ("DRYRUN.SUCCESS", 400, DRYRUN_MESSAGE)
    err = error(ecs.delete_instances, m.DeleteInstancesRequest(region_id=R, dry_run=True))
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    assert set(statuses(ecs, ids + protected).values()) == {"Running"}


def test_singular_actions_and_run_instances_keep_dry_run_operation(box, env, ecs):
    """StopInstance, StartInstance, RebootInstance, DeleteInstance and RunInstances: "If the check succeeds,
    the DryRunOperation error code is returned" (their SDK request docstrings), after the same checks a
    real call makes (DeleteInstance: "business limitations are met")."""
    run_ids, stopped_ids = running(box, env, 1), stopped(box, env, ecs, 1)
    for call, request in [
        (ecs.stop_instance, m.StopInstanceRequest(instance_id=run_ids[0], dry_run=True)),
        (ecs.reboot_instance, m.RebootInstanceRequest(instance_id=run_ids[0], dry_run=True)),
        (ecs.start_instance, m.StartInstanceRequest(instance_id=stopped_ids[0], dry_run=True)),
        (ecs.delete_instance, m.DeleteInstanceRequest(instance_id=stopped_ids[0], dry_run=True)),
        (ecs.run_instances, m.RunInstancesRequest(region_id=R, image_id=ECS_IMAGE, instance_type=ECS_TYPE,
                                                  dry_run=True)),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code) == ("DryRunOperation", 400), call
    err = error(ecs.delete_instance, m.DeleteInstanceRequest(instance_id=run_ids[0], dry_run=True))
    assert err.code == "IncorrectInstanceStatus"  # the singular dry run does check the status
    assert statuses(ecs, run_ids + stopped_ids) == {run_ids[0]: "Running", stopped_ids[0]: "Stopped"}


# ---- 2. launch: Pending -> Starting -> Running, and releases while initializing ------------------------

def test_a_launch_goes_pending_then_starting_then_running(box, env, ecs):
    """"Pending: after an instance is created, it is in this state before it enters the Starting state.
    Starting: after an instance is created, started, or restarted, it is in this state before it enters the
    Running state" (Instance lifecycle, doc-detail 25380). Each step lasts the transition time; StartTime
    is set when it first reaches Running (DescribeInstances: "The time when the instance was last started")."""
    box.ctx.transition_seconds = SLOW
    [iid] = launch_ecs(env, 1)
    record = describe(ecs, [iid])[iid]
    assert (record.status, record.start_time) == ("Pending", "")
    advance(box, SLOW + 0.1)
    record = describe(ecs, [iid])[iid]
    assert (record.status, record.start_time) == ("Starting", "")
    full = ecs.describe_instances_full_status(m.DescribeInstancesFullStatusRequest(region_id=R, instance_id=[iid]))
    assert full.body.instance_full_status_set.instance_full_status_type[0].health_status.name == "Initializing"
    advance(box, SLOW)
    record = describe(ecs, [iid])[iid]
    assert record.status == "Running" and record.start_time
    # a long jump settles both steps at once, as reads are lazy
    [other] = launch_ecs(env, 1)
    advance(box, 3 * SLOW)
    assert statuses(ecs, [other]) == {other: "Running"}


def test_force_release_of_an_initializing_instance_is_refused(box, env, ecs):
    """DeleteInstance / DeleteInstances with Force=true on an instance still initializing after its launch
    (Pending, or Starting before it ever ran) answer 403 IncorrectInstanceStatus.Initializing, "The specified
    instance status does not support this operation." (DeleteInstance error table, whose description reads
    "The specified instance cannot be released at this time. Try again later."; DeleteInstances lists the
    same code). Once Running, Force releases it. A Starting instance that was started before (StartInstances
    on a Stopped one) is not initializing: doc-detail 25380 names Starting for "created, started, or
    restarted" and Force releases an instance "even when it is not in the Stopped status"
    (shared/reference/001, "Release an instance"), so it is released."""
    box.ctx.transition_seconds = SLOW
    ids = launch_ecs(env, 2)
    for call, request in [
        (ecs.delete_instance, m.DeleteInstanceRequest(instance_id=ids[0], force=True)),
        (ecs.delete_instances, m.DeleteInstancesRequest(region_id=R, instance_id=ids, force=True)),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code) == ("IncorrectInstanceStatus.Initializing", 403)
        assert err.data["Message"] == "The specified instance status does not support this operation."
    advance(box, SLOW + 0.1)
    assert set(statuses(ecs, ids).values()) == {"Starting"}
    err = error(ecs.delete_instance, m.DeleteInstanceRequest(instance_id=ids[0], force=True))
    assert err.code == "IncorrectInstanceStatus.Initializing"
    err = error(ecs.delete_instance, m.DeleteInstanceRequest(instance_id=ids[0]))  # no Force: not Stopped
    assert err.code == "IncorrectInstanceStatus"
    advance(box, SLOW)
    ecs.delete_instance(m.DeleteInstanceRequest(instance_id=ids[0], force=True))
    assert list(statuses(ecs, ids)) == [ids[1]]
    # stopped, then started again: Starting, but not initializing
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids[1:]))
    advance(box, SLOW + 0.1)
    ecs.start_instances(m.StartInstancesRequest(region_id=R, instance_id=ids[1:]))
    assert statuses(ecs, ids[1:]) == {ids[1]: "Starting"}
    ecs.delete_instances(m.DeleteInstancesRequest(region_id=R, instance_id=ids[1:], force=True))
    assert statuses(ecs, ids) == {}


# ---- 3. DescribeInstances' shape, DescribeUserData ----------------------------------------------------

# Fields the SDK model has that ECS returns only in some cases (DescribeInstances reference): SpotDuration
# and SpotInterruptionBehavior for spot instances, DeploymentSetGroupNo in a deployment set, ISP not at all
# (invitational preview).
CONDITIONAL = {"spot_duration", "spot_interruption_behavior", "deployment_set_group_no", "isp"}


def unset_fields(model, path=""):
    """Every field of an SDK response model (and of the models nested in it) that the answer left unset."""
    missing = []
    for name, value in vars(model).items():
        if name in CONDITIONAL:
            continue
        if value is None:
            missing.append(path + name)
        elif isinstance(value, DaraModel):
            missing += unset_fields(value, f"{path}{name}.")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, DaraModel):
                    missing += unset_fields(item, f"{path}{name}[{index}].")
    return missing


def test_describe_instances_fills_every_field_of_the_sdk_model(box, env, ecs):
    """Every field of the SDK's DescribeInstancesResponseBodyInstancesInstance (and of its nested models) is
    in the answer, with values derived from the instance as the DescribeInstances reference defines them
    (doc-detail 25506 and its response example): Cpu and Memory (MiB) of the instance type, InstanceTypeFamily,
    OSName (Chinese) / OSNameEn, HostName "iZ<id>Z" by default, ExpiredTime 2099-12-31T15:59Z for a
    pay-as-you-go instance, OperationLocks {"LockReason": []}, the primary ENI with the private address,
    InternetChargeType PayByTraffic and SpotStrategy NoSpot (RunInstances' defaults), and RunInstances'
    Description, HostName, KeyPairName and InternetMaxBandwidthOut (a public IP when it is > 0)."""
    ids = running(box, env, 1)
    record = describe(ecs, ids)[ids[0]]
    assert unset_fields(record) == []
    assert (record.cpu, record.memory, record.instance_type_family) == (2, 8192, "ecs.g7")
    assert (record.gpuamount, record.gpuspec, record.io_optimized, record.device_available) == (0, "", True, True)
    assert record.osname_en == "Alibaba Cloud Linux 3.2104 LTS 64 bit"
    assert record.osname == "Alibaba Cloud Linux 3.2104 LTS 64位"
    assert record.host_name == "iZ" + ids[0][2:] + "Z"
    assert (record.instance_charge_type, record.expired_time) == ("PostPaid", "2099-12-31T15:59Z")
    assert record.operation_locks.lock_reason == []
    assert (record.internet_charge_type, record.spot_strategy, record.key_pair_name) == ("PayByTraffic", "NoSpot", "")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", record.serial_number)
    [eni] = record.network_interfaces.network_interface
    assert eni.type == "Primary" and eni.network_interface_id.startswith("eni-")
    assert eni.mac_address.startswith("00:16:3e:")
    assert [eni.primary_ip_address] == record.vpc_attributes.private_ip_address.ip_address
    assert record.inner_ip_address.ip_address == [] and record.public_ip_address.ip_address == []
    # what RunInstances was given shows, and a GPU type reports its GPUs
    body = ecs.run_instances(m.RunInstancesRequest(
        region_id=R, image_id=ECS_IMAGE, instance_type="ecs.gn6i-c4g1.xlarge", v_switch_id="vsw-a",
        security_group_id="sg-a", description="render farm", host_name="node-${instance_id}",
        key_pair_name="ops", internet_max_bandwidth_out=5, internet_charge_type="PayByBandwidth")).body
    [gpu] = body.instance_id_sets.instance_id_set
    record = describe(ecs, [gpu])[gpu]
    assert unset_fields(record) == []
    assert (record.cpu, record.memory, record.gpuamount, record.gpuspec) == (4, 15360, 1, "NVIDIA T4")
    assert (record.description, record.host_name, record.key_pair_name) == ("render farm", f"node-{gpu}", "ops")
    assert (record.internet_max_bandwidth_out, record.internet_max_bandwidth_in) == (5, 10)
    assert record.internet_charge_type == "PayByBandwidth" and len(record.public_ip_address.ip_address) == 1
    # a Windows image: the default hostname is cut to Windows' 15 characters (RunInstances HostName docstring)
    [win] = launch_ecs(env, 1, windows=True)
    assert len(describe(ecs, [win])[win].host_name) == 15


def test_describe_user_data_answers_what_run_instances_was_given(box, env, ecs):
    """RunInstances' UserData "must be Base64-encoded ... cannot exceed 32 KB before Base64 encoding" (its SDK
    docstring); DescribeUserData answers InstanceId, RegionId and UserData, "If no user data exists for the
    instance, an empty string is returned" (DescribeUserDataResponseBody); its InstanceId and RegionId are
    required (DescribeUserDataRequest). ModifyInstanceAttribute's UserData replaces it. A malformed UserData
    is InvalidParameter (the references give no code the sandbox could check: a sandbox choice)."""
    script = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()
    body = ecs.run_instances(m.RunInstancesRequest(region_id=R, image_id=ECS_IMAGE, instance_type=ECS_TYPE,
                                                   user_data=script)).body
    [with_data] = body.instance_id_sets.instance_id_set
    [without] = launch_ecs(env, 1)
    answer = ecs.describe_user_data(m.DescribeUserDataRequest(region_id=R, instance_id=with_data)).body
    assert (answer.instance_id, answer.region_id, answer.user_data) == (with_data, R, script)
    assert ecs.describe_user_data(m.DescribeUserDataRequest(region_id=R, instance_id=without)).body.user_data == ""
    again = base64.b64encode(b"#!/bin/sh\necho again\n").decode()
    ecs.modify_instance_attribute(m.ModifyInstanceAttributeRequest(instance_id=without, user_data=again))
    assert ecs.describe_user_data(m.DescribeUserDataRequest(region_id=R, instance_id=without)).body.user_data == again
    err = error(ecs.describe_user_data, m.DescribeUserDataRequest(region_id=R, instance_id=GHOST))
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)
    err = error(ecs.describe_user_data, m.DescribeUserDataRequest(instance_id=with_data))
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    err = error(ecs.run_instances, m.RunInstancesRequest(region_id=R, image_id=ECS_IMAGE, instance_type=ECS_TYPE,
                                                         user_data="not base64 at all!"))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    too_big = base64.b64encode(b"x" * (32 * 1024 + 1)).decode()
    err = error(ecs.run_instances, m.RunInstancesRequest(region_id=R, image_id=ECS_IMAGE, instance_type=ECS_TYPE,
                                                         user_data=too_big))
    assert err.code == "InvalidParameter"


def test_the_calls_of_ali_instance_state_stopped_work(box, env, ecs):
    """community.general.ali_instance, state: stopped (plugins/modules/ali_instance.py main() and
    modify_instance()): DescribeInstances by InstanceIds, StopInstances of those not stopped, then for each
    instance DescribeUserData and ModifyInstanceAttribute with its name, description, host name and user
    data (the module reads instance.description and instance.host_name). Made here with the SDK's request
    models, as the module's library sends those actions."""
    ids = running(box, env, 2)
    instances = describe(ecs, ids)
    targets = [i for i, record in instances.items() if record.status != "Stopped"]
    body = ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=targets, force_stop=False)).body
    assert [r.code for r in body.instance_responses.instance_response] == ["200", "200"]
    new_data = base64.b64encode(b"echo stopped").decode()
    for iid, record in instances.items():
        user_data = ecs.describe_user_data(m.DescribeUserDataRequest(region_id=R, instance_id=iid)).body.user_data
        assert user_data == ""
        ecs.modify_instance_attribute(m.ModifyInstanceAttributeRequest(
            instance_id=iid, instance_name=record.instance_name, description=record.description or "managed",
            host_name=record.host_name, user_data=new_data))
    advance(box, box.ctx.transition_seconds + 0.1)
    after = describe(ecs, ids)
    assert {r.status for r in after.values()} == {"Stopped"}
    assert {r.description for r in after.values()} == {"managed"}
    assert ecs.describe_user_data(m.DescribeUserDataRequest(region_id=R, instance_id=ids[0])).body.user_data == new_data


# ---- 4. security locks -------------------------------------------------------------------------------

def test_a_security_lock_refuses_what_ecs_refuses_and_shows_in_describe_instances(box, env, ecs):
    """POST /_sandbox/locks puts OperationLocks.LockReason "security" on instances. "API behavior when an
    instance is locked for security reasons" (doc-detail 25695): StartInstance, RebootInstance(s),
    ModifyInstanceAttribute, ModifyInstanceAutoReleaseTime and CreateImage from the instance fail with
    InstanceLockedForSecurity; DeleteInstance(s), DescribeInstances, DescribeInstanceStatus, DescribeUserData
    and DescribeDisks are unaffected; CreateSnapshot of its In_use disks fails (the table's earlier version).
    StopInstance(s) and StartInstances: "You cannot call this operation to stop/start ECS instances that are
    locked for security reasons" (their references, updated 2025-12; doc 25695 lists StopInstance as
    unaffected: the sandbox follows the stricter reading). 403 and the message from the StopInstance and
    DeleteInstance error tables. With BatchOptimization=SuccessFirst the refusal is per instance."""
    ids = running(box, env, 2)
    free = running(box, env, 1)
    assert lock(box, ids) == {"locks": ids, "reason": "security"}
    record = describe(ecs, ids)[ids[0]]
    assert [(r.lock_reason, r.lock_msg) for r in record.operation_locks.lock_reason] == [("security", "")]
    assert set(describe(ecs, ids + free, lock_reason="security")) == set(ids)
    release = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(box.ctx.clock.now() + 3600))
    disk = ecs.describe_disks(m.DescribeDisksRequest(region_id=R, instance_id=ids[0])).body.disks.disk[0]
    for call, request in [
        (ecs.stop_instance, m.StopInstanceRequest(instance_id=ids[0])),
        (ecs.stop_instances, m.StopInstancesRequest(region_id=R, instance_id=ids)),
        (ecs.reboot_instance, m.RebootInstanceRequest(instance_id=ids[0])),
        (ecs.reboot_instances, m.RebootInstancesRequest(region_id=R, instance_id=ids + free)),
        (ecs.reboot_instances, m.RebootInstancesRequest(region_id=R, instance_id=ids, dry_run=True)),
        (ecs.modify_instance_attribute, m.ModifyInstanceAttributeRequest(instance_id=ids[0], instance_name="x")),
        (ecs.modify_instance_auto_release_time, m.ModifyInstanceAutoReleaseTimeRequest(
            instance_id=ids[0], auto_release_time=release)),
        (ecs.create_image, m.CreateImageRequest(region_id=R, instance_id=ids[0], image_name="from-locked")),
        (ecs.create_snapshot, m.CreateSnapshotRequest(disk_id=disk.disk_id)),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code, err.data["Message"]) == ("InstanceLockedForSecurity", 403,
                                                                     LOCKED_MESSAGE), call
    body = ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=[ids[0]] + free,
                                                     batch_optimization="SuccessFirst")).body
    rows = {r.instance_id: r.code for r in body.instance_responses.instance_response}
    assert rows == {ids[0]: "InstanceLockedForSecurity", free[0]: "200"}
    # reads are unaffected
    assert ecs.describe_user_data(m.DescribeUserDataRequest(region_id=R, instance_id=ids[0])).body.user_data == ""
    status = ecs.describe_instance_status(m.DescribeInstanceStatusRequest(region_id=R, instance_id=ids)).body
    assert {s.status for s in status.instance_statuses.instance_status} == {"Running"}
    # a locked Stopped instance does not start (StartInstance / StartInstances)
    lock(box, ids, None)
    ecs.stop_instances(m.StopInstancesRequest(region_id=R, instance_id=ids))
    advance(box, box.ctx.transition_seconds + 0.1)
    lock(box, ids)
    for call, request in [(ecs.start_instance, m.StartInstanceRequest(instance_id=ids[0])),
                          (ecs.start_instances, m.StartInstancesRequest(region_id=R, instance_id=ids))]:
        assert error(call, request).code == "InstanceLockedForSecurity"
    # a release is unaffected, and unlocking lets the others through again
    ecs.delete_instance(m.DeleteInstanceRequest(instance_id=ids[0]))
    assert lock(box, ids[1:], None) == {"locks": ids[1:], "reason": None}
    assert describe(ecs, ids[1:])[ids[1]].operation_locks.lock_reason == []
    ecs.start_instance(m.StartInstanceRequest(instance_id=ids[1]))
    assert statuses(ecs, ids) == {ids[1]: "Starting"}


def test_the_locks_control_route_validates_its_body(box, env):
    """The control route answers 400 for an unknown id, a reason DescribeInstances does not document
    (DescribeInstancesRequest.lock_reason: financial, security, Recycling, dedicatedhostfinancial, refunded)
    or a missing field, and sets nothing; it exists on the ECS port only."""
    ids = launch_ecs(env, 1)
    for body in [{"instance_ids": ids + [GHOST], "reason": "security"}, {"instance_ids": ids, "reason": "nope"},
                 {"instance_ids": ids}, {"instance_ids": [], "reason": "security"}]:
        status, answer = control_error(box.ecs_url, "locks", body)
        assert status == 400 and answer["error"], body
    assert box.ecs.model.instances[ids[0]].locks == []
    assert lock(box, ids, "financial")["reason"] == "financial"
    status, _ = control_error(box.ec2_url, "locks", {"instance_ids": ["i-0abc"], "reason": "security"})
    assert status == 404


# ---- 5. subscription instances ----------------------------------------------------------------------

def expected_expiry(created, months):
    """Independently of the emulator: a month later (day clamped), up to the next 16:00Z (midnight UTC+8),
    as the DescribeInstances reference's example reads (created 2017-12-10T04:04Z for a week, ExpiredTime
    2017-12-17T16:00Z)."""
    t = time.gmtime(created)
    year, month = t.tm_year + (t.tm_mon - 1 + months) // 12, (t.tm_mon - 1 + months) % 12 + 1
    day = min(t.tm_mday, calendar.monthrange(year, month)[1])
    end = calendar.timegm((year, month, day, t.tm_hour, t.tm_min, t.tm_sec))
    sixteen = calendar.timegm((year, month, day, 16, 0, 0))
    return sixteen if end <= sixteen else sixteen + 86400


def test_a_prepaid_instance_has_an_expired_time_and_is_not_released(box, env, ecs):
    """RunInstances InstanceChargeType=PrePaid with Period and PeriodUnit (their SDK docstrings: Period
    "takes effect and is required only when InstanceChargeType is PrePaid"; Week 1-4, Month 1-9, 12, 24, 36,
    48, 60) makes a subscription instance with an ExpiredTime. DeleteInstance "releases a pay-as-you-go
    instance or an expired subscription instance": DeleteInstance(s), with Force or not, answer 403
    ChargeTypeViolation "The operation is not permitted due to charge type of the instance." (DeleteInstance
    error table; DeleteInstances lists the code), as does ModifyInstanceAutoReleaseTime (for "a pay-as-you-go
    or spot instance"; its error table: 403 ChargeTypeViolation). DescribeInstances filters by
    InstanceChargeType; an unknown one is 404 InvalidInstanceChargeType.NotFound (its error table)."""
    before = box.ctx.clock.now()
    [sub] = running(box, env, 1, prepaid=True)
    [payg] = running(box, env, 1)
    record = describe(ecs, [sub])[sub]
    assert record.instance_charge_type == "PrePaid"
    created = before  # launched within a second of `before`; ExpiredTime is at a day boundary
    assert record.expired_time == time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(expected_expiry(created, 1)))
    for call, request in [
        (ecs.delete_instance, m.DeleteInstanceRequest(instance_id=sub, force=True)),
        (ecs.delete_instances, m.DeleteInstancesRequest(region_id=R, instance_id=[sub, payg], force=True)),
        (ecs.modify_instance_auto_release_time, m.ModifyInstanceAutoReleaseTimeRequest(
            instance_id=sub, auto_release_time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(before + 7200)))),
    ]:
        err = error(call, request)
        assert (err.code, err.status_code) == ("ChargeTypeViolation", 403), call
        assert err.data["Message"] == "The operation is not permitted due to charge type of the instance."
    assert set(describe(ecs, [sub, payg], instance_charge_type="PrePaid")) == {sub}
    assert set(describe(ecs, [sub, payg], instance_charge_type="PostPaid")) == {payg}
    err = error(ecs.describe_instances, m.DescribeInstancesRequest(region_id=R, instance_charge_type="Monthly"))
    assert (err.code, err.status_code) == ("InvalidInstanceChargeType.NotFound", 404)
    base = dict(region_id=R, image_id=ECS_IMAGE, instance_type=ECS_TYPE, instance_charge_type="PrePaid")
    err = error(ecs.run_instances, m.RunInstancesRequest(**base))
    assert (err.code, err.status_code) == ("MissingParameter", 400)
    err = error(ecs.run_instances, m.RunInstancesRequest(period=10, **base))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    [weekly] = ecs.run_instances(m.RunInstancesRequest(period=2, period_unit="Week", **base)).body \
        .instance_id_sets.instance_id_set
    expires = describe(ecs, [weekly])[weekly].expired_time
    assert expires.endswith("T16:00Z")


def test_an_expired_subscription_is_stopped_and_released_only_with_terminate_subscription(box, env, ecs):
    """When a subscription ends the instance is Expired, which the API reports as Stopped (Instance
    lifecycle, doc-detail 25380); StartInstance(s) then answer 403 InstanceExpired (their error tables).
    DeleteInstance releases it only with TerminateSubscription=true ("Specifies whether to release an
    expired subscription instance", DeleteInstanceRequest docstring); without it, ChargeTypeViolation."""
    [sub] = running(box, env, 1, prepaid=True)
    record = describe(ecs, [sub])[sub]
    expires = calendar.timegm(time.strptime(record.expired_time, "%Y-%m-%dT%H:%MZ"))
    advance(box, expires - box.ctx.clock.now() + 60)
    assert statuses(ecs, [sub]) == {sub: "Stopped"}
    err = error(ecs.start_instances, m.StartInstancesRequest(region_id=R, instance_id=[sub]))
    assert (err.code, err.status_code) == ("InstanceExpired", 403)
    err = error(ecs.delete_instance, m.DeleteInstanceRequest(instance_id=sub))
    assert err.code == "ChargeTypeViolation"
    ecs.delete_instance(m.DeleteInstanceRequest(instance_id=sub, terminate_subscription=True))
    assert statuses(ecs, [sub]) == {}


# ---- 6. smaller answers --------------------------------------------------------------------------------

def test_stop_instance_with_hibernate_is_refused(box, env, ecs):
    """StopInstanceRequest.hibernate: "This parameter is in invitational preview and is not available for use"
    (SDK docstring; the StopInstance reference: "not publicly available"), and no sandbox instance has
    hibernation configured (DescribeInstances HibernationOptions.Configured false). StopInstance's error
    table has the code for that: 403 HibernationConfigured.NotEnabled, "The instance hibernation configured
    option is not enabled.". The instance is found first (an unknown id is still not found)."""
    ids = running(box, env, 1)
    for dry_run in (False, True):
        err = error(ecs.stop_instance, m.StopInstanceRequest(instance_id=ids[0], hibernate=True, dry_run=dry_run))
        assert (err.code, err.status_code) == ("HibernationConfigured.NotEnabled", 403)
        assert err.data["Message"] == "The instance hibernation configured option is not enabled."
    err = error(ecs.stop_instance, m.StopInstanceRequest(instance_id=GHOST, hibernate=True))
    assert err.code == "InvalidInstanceId.NotFound"
    assert describe(ecs, ids)[ids[0]].hibernation_options.configured is False
    advance(box, 1)
    assert statuses(ecs, ids) == {ids[0]: "Running"}


def test_describe_instances_unknown_filter_values_are_not_found(box, ecs):
    """DescribeInstances error table: 404 InvalidStatus.NotFound "The specified Status is not found", 404
    InvalidLockReason.NotFound "The specified LockReason is not found"; Status takes Pending, Running,
    Starting, Stopping, Stopped (DescribeInstancesRequest.status docstring)."""
    err = error(ecs.describe_instances, m.DescribeInstancesRequest(region_id=R, status="Sleeping"))
    assert (err.code, err.status_code, err.data["Message"]) == ("InvalidStatus.NotFound", 404,
                                                                 "The specified Status is not found")
    err = error(ecs.describe_instances, m.DescribeInstancesRequest(region_id=R, lock_reason="bored"))
    assert (err.code, err.status_code) == ("InvalidLockReason.NotFound", 404)
    for status in ("Pending", "Running", "Starting", "Stopping", "Stopped"):
        assert ecs.describe_instances(m.DescribeInstancesRequest(region_id=R, status=status)).body.total_count == 0


def _legacy_string_to_sign(method, params):
    """The string to sign as RPC signature version 1.0 defines it (and aliyun-python-sdk-core's
    rpc_signature_composer builds it): METHOD&%2F&percentEncode(sorted, percent-encoded query)."""
    canonical = "&".join(f"{quote(k, safe='~')}={quote(str(v), safe='~')}" for k, v in sorted(params.items()))
    return f"{method}&%2F&{quote_plus(canonical, safe='~')}"


def test_signature_does_not_match_carries_the_server_string_to_sign(box, env):
    """The real service's SignatureDoesNotMatch Message ends with the string it signed: "Specified signature
    is not matched with our calculation. server string to sign is:<string>" (the prefix
    aliyun/alibaba-cloud-sdk-go matches in sdk/errors/signature_does_not_match_wrapper.go). The legacy
    aliyun-python-sdk-core splits it on ':' (client.py _get_server_exception): the part after the colon is
    the server's string to sign, equal to the client's when only the secret is wrong."""
    import uuid
    from urllib.request import Request, urlopen
    from urllib.parse import urlencode

    params = {"Action": "DescribeInstances", "Format": "JSON", "Version": "2014-05-26", "RegionId": R,
              "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "SignatureNonce": str(uuid.uuid4()),
              "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
              "AccessKeyId": env["ALIBABA_CLOUD_ACCESS_KEY_ID"], "Signature": "bm90IHRoZSBzaWduYXR1cmU="}
    with pytest.raises(urllib.error.HTTPError) as info:
        urlopen(Request(f"{box.ecs_url}/?{urlencode(params)}", method="POST"), timeout=10)
    body = json.loads(info.value.read())
    assert (info.value.code, body["Code"]) == (400, "SignatureDoesNotMatch")
    prefix = "Specified signature is not matched with our calculation. server string to sign is:"
    assert body["Message"].startswith(prefix)
    unsigned = {k: v for k, v in params.items() if k != "Signature"}
    assert body["Message"].split(":")[1] == _legacy_string_to_sign("POST", unsigned)
    # the ACS3 signature's mismatch carries that scheme's string to sign
    bad = ecs_client(dict(env, ALIBABA_CLOUD_ACCESS_KEY_SECRET="wrong"))
    err = error(bad.describe_instances, m.DescribeInstancesRequest(region_id=R))
    assert err.code == "SignatureDoesNotMatch"
    assert err.data["Message"].startswith(prefix + "ACS3-HMAC-SHA256\n")
