"""Instances on the wire: RunInstances, DescribeInstances, DescribeInstanceStatus,
DescribeInstancesFullStatus, DeleteInstance(s), ModifyInstanceAutoReleaseTime, ModifyInstanceAttribute,
DescribeUserData."""
import base64
import binascii

from sandbox.ecs.models import LOCK_REASONS, PERIODS, POSTPAID, PREPAID, EcsError
from sandbox.ecs.paging import Page
from sandbox.ecs.params import Params, bad, missing
from sandbox.ecs.responses.regions import region_of

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
        region=region_of(p), charge_type=charge_type, period=period, period_unit=period_unit,
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
        image_id=p.str("ImageId"), instance_type=p.str("InstanceType"), region=region_of(p),
    )
    return {"Instances": {"Instance": instances}, **paging}


def describe_instance_status(model, p):
    page = Page.from_params(p.raw, max_size=50)
    ids = p.ids("InstanceId", required=False) or None
    statuses, paging = model.describe_instance_status(page, instance_ids=ids, zone_id=p.str("ZoneId"),
                                                      region=region_of(p))
    return {"InstanceStatuses": {"InstanceStatus": statuses}, **paging}


def describe_instances_full_status(model, p):
    page = Page.from_params(p.raw)
    rows, paging = model.describe_full_status(
        page, instance_ids=p.ids("InstanceId", required=False) or None,
        status=p.str("Status", choices=("Pending", "Running", "Starting", "Stopping", "Stopped")),
        health=p.str("HealthStatus"), region=region_of(p),
    )
    return {"InstanceFullStatusSet": {"InstanceFullStatusType": rows}, **paging}


def delete_instances(model, p):
    p.bool("ForceStop")
    p.str("ClientToken")
    model.delete_instances(p.ids("InstanceId"), force=p.bool("Force"), dry_run=p.bool("DryRun"), region=region_of(p),
                           terminate_subscription=p.bool("TerminateSubscription"))


def delete_instance(model, p):
    p.bool("ForceStop")
    model.delete_instances([p.str("InstanceId", required=True)], force=p.bool("Force"), dry_run=p.bool("DryRun"),
                           singular=True, terminate_subscription=p.bool("TerminateSubscription"))


def modify_instance_auto_release_time(model, p):
    # RegionId is optional here (the SDK's docstring does not say required): scoped when given
    model.set_auto_release_time(p.str("InstanceId", required=True), p.str("AutoReleaseTime"), region=region_of(p))


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
    return {"InstanceId": instance_id, "RegionId": region_of(p),
            "UserData": model.describe_user_data(instance_id, region=region_of(p))}


HANDLERS = {
    "RunInstances": run_instances,
    "DescribeInstances": describe_instances,
    "DescribeInstanceStatus": describe_instance_status,
    "DescribeInstancesFullStatus": describe_instances_full_status,
    "DeleteInstances": delete_instances,
    "DeleteInstance": delete_instance,
    "ModifyInstanceAutoReleaseTime": modify_instance_auto_release_time,
    "ModifyInstanceAttribute": modify_instance_attribute,
    "DescribeUserData": describe_user_data,
}
