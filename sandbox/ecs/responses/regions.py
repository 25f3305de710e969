"""RegionId, as every action reads it, and DescribeRegions."""
from sandbox.ecs.models import check_region
from sandbox.ecs.params import missing

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


def check_region_param(action, params):
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


def region_of(p):
    """RegionId as the model takes it (None: any region); check_region_param has vetted it."""
    return p.str("RegionId")


def describe_regions(model, p):
    # Parameters and their values: the SDK's DescribeRegionsRequest docstrings; no RegionId.
    p.str("InstanceChargeType", choices=("PrePaid", "PostPaid", "SpotWithPriceLimit", "SpotAsPriceGo"))
    p.str("ResourceType", choices=("instance", "disk", "reservedinstance", "scu"))
    language = p.str("AcceptLanguage", choices=("zh-CN", "zh-TW", "en-US", "ja", "fr", "de", "ko"))
    return {"Regions": {"Region": model.describe_regions(language)}}


HANDLERS = {
    "DescribeRegions": describe_regions,
}
