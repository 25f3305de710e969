"""The regions the sandbox serves, and DescribeRegions."""
from sandbox.ecs.models.errors import EcsError

# The regions the sandbox serves: RegionId -> (LocalName in zh-CN, LocalName in English, zones, the
# first being the default zone). Region ids and English names as the ECS API reference for
# DescribeRegions gives them (https://www.alibabacloud.com/help/en/doc-detail/25609.htm), zone ids
# of the form <RegionId>-<letter> as ECS names its zones; the zh-CN names are the ones Alibaba
# Cloud's Chinese documentation uses. DescribeRegions' AcceptLanguage defaults to zh-CN (the SDK's
# DescribeRegionsRequest docstring); any other language is answered in English (a sandbox choice).
REGIONS = {
    "cn-hangzhou": ("华东1（杭州）", "China (Hangzhou)",
                    ("cn-hangzhou-i", "cn-hangzhou-h", "cn-hangzhou-j", "cn-hangzhou-k")),
    "cn-shanghai": ("华东2（上海）", "China (Shanghai)", ("cn-shanghai-l", "cn-shanghai-m", "cn-shanghai-n")),
    "cn-beijing": ("华北2（北京）", "China (Beijing)", ("cn-beijing-h", "cn-beijing-i", "cn-beijing-k", "cn-beijing-l")),
    "ap-southeast-1": ("新加坡", "Singapore", ("ap-southeast-1-c", "ap-southeast-1-a", "ap-southeast-1-b")),
}
REGION = "cn-hangzhou"  # the env file's ALIBABA_CLOUD_REGION_ID, and the region of a model call that names none
DEFAULT_ZONE = REGIONS[REGION][2][0]


def region_endpoint(region_id):
    """The regional endpoint, ecs.<RegionId>.aliyuncs.com (the form the ECS endpoint list gives)."""
    return f"ecs.{region_id}.aliyuncs.com"


def check_region(region_id):
    """InvalidRegionId.NotFound (404) for a RegionId the sandbox does not serve: the real service's
    answer, as quoted in kubernetes/cloud-provider-alibaba-cloud issue #81 ("Status Code: 404
    Code: InvalidRegionId.NotFound Message: The specified RegionId does not exist.")."""
    if region_id not in REGIONS:
        raise EcsError("InvalidRegionId.NotFound", 404, "The specified RegionId does not exist.")
    return region_id


class Regions:
    @staticmethod
    def describe_regions(language=None):
        """DescribeRegions' Region items (shape: the SDK's DescribeRegionsResponseBody)."""
        chinese = (language or "zh-CN") == "zh-CN"
        return [{"RegionId": region_id, "LocalName": zh if chinese else en,
                 "RegionEndpoint": region_endpoint(region_id), "Status": "available"}
                for region_id, (zh, en, _zones) in REGIONS.items()]
