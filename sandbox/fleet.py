"""Launch fleets on the sandbox through the unmodified SDKs, as a user's code would.

Used by `python -m sandbox seed` (the demo) and by the integration tests. `env` is the
env-file content as a dict (see `Sandbox.env()`). Every helper takes an optional `region`
(default: the env's AWS_REGION / ALIBABA_CLOUD_REGION_ID), so a test can work in another region.
"""
import time

# Two of moto's default AMIs. moto gives an instance its AMI's platform (ami-12c6146b, the image
# used before, is Windows Server), and always attaches the root volume at /dev/sda1 whatever the
# AMI's RootDeviceName says: the Linux image must have /dev/sda1 as its root device too, or the
# instance's root volume is not the device its RootDeviceName names.
EC2_IMAGE = "ami-785db401"  # ubuntu-xenial-16.04-amd64-server-20170721 (Linux, root /dev/sda1)
EC2_WINDOWS_IMAGE = "ami-b7e93bce"  # Windows_Server-2016-English-Full-Base (Platform: windows)
EC2_TYPE = "t3.micro"
ECS_IMAGE = "aliyun_3_x64_20G_alibase_20240819.vhd"
ECS_WINDOWS_IMAGE = "win2022_21H2_x64_dtc_en-us_40G_alibase_20240815.vhd"  # OSType windows
ECS_TYPE = "ecs.g7.large"
ECS_VSWITCH = "vsw-sandbox0001"
ECS_SECURITY_GROUP = "sg-sandbox0001"


def ec2_region(env, region=None):
    return region or env.get("AWS_REGION", "us-east-1")


def ecs_region(env, region=None):
    return region or env.get("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")


def ec2_client(env, region=None):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "ec2",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=ec2_region(env, region),
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )


def ecs_client(env, region=None, **config):
    """The Config's region_id only names the endpoint to the SDK; a request's own RegionId picks the region."""
    from alibabacloud_ecs20140526.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    scheme, _, host = env["ALIBABA_CLOUD_ECS_ENDPOINT"].partition("://")
    return Client(Config(
        access_key_id=env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        access_key_secret=env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        region_id=ecs_region(env, region),
        endpoint=host,
        protocol=scheme,
        **config,
    ))


def _ec2_tag_spec(tags):
    if not tags:
        return []
    return [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def launch_ec2(env, count, protected=False, hibernation=False, tags=None, stop_protected=False, windows=False,
               region=None, zone=None):
    """Launch `count` EC2 instances (Linux, or Windows with `windows=True`); ids in launch order.
    `zone`: an Availability Zone of the region (Placement.AvailabilityZone), e.g. "us-east-1b";
    by default EC2 picks one (the sandbox: the region's first, us-east-1a)."""
    client = ec2_client(env, region)
    ids = []
    remaining = count
    while remaining > 0:
        amount = min(remaining, 100)
        kwargs = dict(ImageId=EC2_WINDOWS_IMAGE if windows else EC2_IMAGE, InstanceType=EC2_TYPE,
                      MinCount=amount, MaxCount=amount, TagSpecifications=_ec2_tag_spec(tags))
        if protected:
            kwargs["DisableApiTermination"] = True
        if stop_protected:
            kwargs["DisableApiStop"] = True
        if hibernation:
            kwargs["HibernationOptions"] = {"Configured": True}
        if zone:
            kwargs["Placement"] = {"AvailabilityZone": zone}
        response = client.run_instances(**kwargs)
        ids += [i["InstanceId"] for i in response["Instances"]]
        remaining -= amount
    return ids


def launch_ecs(env, count, protected=False, tags=None, windows=False, region=None, prepaid=False):
    """Launch `count` ECS instances (Linux, or Windows with `windows=True`); ids in launch order.
    `prepaid=True` makes subscription instances (InstanceChargeType PrePaid, one month)."""
    from alibabacloud_ecs20140526 import models

    client = ecs_client(env, region)
    ids = []
    remaining = count
    while remaining > 0:
        amount = min(remaining, 100)
        request = models.RunInstancesRequest(
            region_id=ecs_region(env, region),
            image_id=ECS_WINDOWS_IMAGE if windows else ECS_IMAGE, instance_type=ECS_TYPE, v_switch_id=ECS_VSWITCH,
            security_group_id=ECS_SECURITY_GROUP, amount=amount, deletion_protection=protected,
            tag=[models.RunInstancesRequestTag(key=k, value=v) for k, v in (tags or {}).items()] or None,
        )
        if prepaid:
            request.instance_charge_type, request.period, request.period_unit = "PrePaid", 1, "Month"
        response = client.run_instances(request)
        ids += list(response.body.instance_id_sets.instance_id_set)
        remaining -= amount
    return ids


def ec2_states(env, ids, region=None):
    client = ec2_client(env, region)
    states = {}
    for start in range(0, len(ids), 100):
        for reservation in client.describe_instances(InstanceIds=ids[start:start + 100])["Reservations"]:
            for instance in reservation["Instances"]:
                states[instance["InstanceId"]] = instance["State"]["Name"]
    return states


def ecs_states(env, ids, region=None):
    """Status per id; a released instance (or one of another region) is absent from
    DescribeInstances and reads 'Released'."""
    import json

    from alibabacloud_ecs20140526 import models

    client = ecs_client(env, region)
    states = {i: "Released" for i in ids}
    for start in range(0, len(ids), 100):
        request = models.DescribeInstancesRequest(
            region_id=ecs_region(env, region),
            instance_ids=json.dumps(ids[start:start + 100]), page_size=100,
        )
        for instance in client.describe_instances(request).body.instances.instance:
            states[instance.instance_id] = instance.status
    return states


def wait_for(read_states, ids, wanted, timeout=30.0):
    """Poll until every id reads one of `wanted`; returns the last states."""
    deadline = time.monotonic() + timeout
    while True:
        states = read_states(ids)
        if all(states.get(i) in wanted for i in ids):
            return states
        if time.monotonic() > deadline:
            raise TimeoutError(f"not {wanted}: { {i: s for i, s in states.items() if s not in wanted} }")
        time.sleep(0.05)


def stop_ec2(env, ids, region=None):
    ec2_client(env, region).stop_instances(InstanceIds=ids)


def stop_ecs(env, ids, region=None):
    from alibabacloud_ecs20140526 import models

    client = ecs_client(env, region)
    for start in range(0, len(ids), 100):
        client.stop_instances(models.StopInstancesRequest(
            region_id=ecs_region(env, region), instance_id=ids[start:start + 100]))
