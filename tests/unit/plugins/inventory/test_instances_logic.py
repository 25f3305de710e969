"""Pure logic of the inventory plugin: hostnames, group names, source checks, host variables."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.inventory.instances import InventoryModule
from ansible_collections.cloudfleet.lifecycle.plugins.plugin_utils import inventory_source as src
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import alicloud, aws

HOST = {
    "instance_id": "i-0123456789abcdef0", "cloud": "aws", "region": "us-east-1", "state": "running",
    "tags": {"Name": "web-1", "team": "a", "empty": ""}, "instance_name": "web-1",
    "private_ip": "10.0.0.5", "public_ip": None,
}


@pytest.mark.parametrize("preferences, expected", [
    (None, "i-0123456789abcdef0"),
    (["instance_id"], "i-0123456789abcdef0"),
    (["tag:Name", "instance_id"], "web-1"),
    (["name"], "web-1"),
    (["public_ip", "private_ip"], "10.0.0.5"),
    (["tag:empty", "tag:missing", "private_ip"], "10.0.0.5"),
    (["public_ip", "tag:missing"], "i-0123456789abcdef0"),  # none has a value: the id
    (["tags", "instance_id"], "i-0123456789abcdef0"),  # a dict is never a hostname
])
def test_hostname_preference_first_non_empty_wins(preferences, expected):
    assert src.choose_hostname(HOST, preferences) == expected


@pytest.mark.parametrize("name, safe", [
    ("region_us-east-1", "region_us_east_1"),
    ("region_cn-hangzhou", "region_cn_hangzhou"),
    ("state_shutting-down", "state_shutting_down"),
    ("team_a.b c/d", "team_a_b_c_d"),
    ("cloud_aws", "cloud_aws"),
])
def test_group_names_are_sanitised(name, safe):
    assert src.safe_group_name(name) == safe


def test_default_groups_cloud_region_state():
    assert src.default_group_names(HOST) == ["cloud_aws", "region_us_east_1", "state_running"]
    assert src.default_group_names(dict(HOST, cloud="alicloud", region="cn-hangzhou", state="shutting-down")) == [
        "cloud_alicloud", "region_cn_hangzhou", "state_shutting_down"]


def test_check_sources_normalizes_regions_and_filters():
    checked = src.check_sources([
        {"cloud": "aws", "regions": "us-east-1", "filters": {"state": "running", "tags": {"team": 1}}},
        {"cloud": "alicloud"},
    ])
    assert checked[0]["regions"] == ["us-east-1"]
    assert checked[0]["states"] == ["running"] and checked[0]["tags"] == {"team": "1"}
    assert checked[1]["regions"] == [None] and checked[1]["states"] is None and checked[1]["tags"] == {}


@pytest.mark.parametrize("sources, words", [
    ([], "non-empty list"),
    ("aws", "non-empty list"),
    (["aws"], "sources[1] must be a dict"),
    ([{"cloud": "gcp"}], "sources[1]: cloud must be one of aws, alicloud"),
    ([{"cloud": "aws"}, {"cloud": "aws", "region": "x"}], "sources[2]: unknown key(s) region"),
    ([{"cloud": "aws", "regions": [1]}], "regions must be a list"),
    ([{"cloud": "aws", "filters": {"state": "up"}}], "sources[1]: filters.state: unknown state(s) up"),
    ([{"cloud": "aws", "filters": {"zone": "a"}}], "unknown filter(s) zone"),
])
def test_check_sources_names_what_is_wrong(sources, words):
    with pytest.raises(InputError) as err:
        src.check_sources(sources)
    assert words in err.value.message


def test_connection_uses_source_options_then_environment():
    env = {"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
    conn = src.connection({"cloud": "aws"}, "eu-west-1", env)
    assert (conn["access_key"], conn["secret_key"], conn["region"], conn["endpoint_url"]) == (
        "AKIAENV", "env-secret", "eu-west-1", "http://127.0.0.1:1")
    conn = src.connection({"cloud": "aws", "access_key": "AKIAOWN", "secret_key": "own"}, None, env)
    assert (conn["access_key"], conn["secret_key"]) == ("AKIAOWN", "own")
    with pytest.raises(InputError, match="region is required"):
        src.connection({"cloud": "alicloud"}, None, {})


def test_secrets_of_sources_and_environment():
    secrets = src.secrets_of([{"cloud": "aws", "secret_key": "s1"}, {"cloud": "alicloud", "security_token": "t1"}],
                             {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s2", "AWS_ACCESS_KEY_ID": "not-a-secret"})
    assert sorted(secrets) == ["s1", "s2", "t1"]


def test_host_vars_record_with_instance_id_and_addresses():
    record = {"id": "i-bp1aaaaaaaaaaaaaaaaa", "cloud": "alicloud", "region": "cn-hangzhou", "state": "stopped",
              "raw_state": "Stopped", "state_code": None, "auto_release_time": None, "deletion_protection": True,
              "instance_type": "ecs.g7.large", "tags": {}}
    instance = {"InstanceName": "db-1", "HostName": "db-1.local", "ZoneId": "cn-hangzhou-i",
                "VpcAttributes": {"VpcId": "vpc-1", "PrivateIpAddress": {"IpAddress": ["172.16.0.9"]}},
                "PublicIpAddress": {"IpAddress": []}, "EipAddress": {"IpAddress": "47.1.2.3"}}
    hostvars = src.host_vars(record, alicloud.host_extras(instance))
    assert "id" not in hostvars and hostvars["instance_id"] == "i-bp1aaaaaaaaaaaaaaaaa"
    assert (hostvars["instance_name"], hostvars["private_ip"], hostvars["public_ip"], hostvars["zone"]) == (
        "db-1", "172.16.0.9", "47.1.2.3", "cn-hangzhou-i")
    assert hostvars["deletion_protection"] is True and hostvars["raw_state"] == "Stopped"


def test_ec2_extras_without_addresses():
    extras = aws.host_extras({"Tags": [{"Key": "team", "Value": "a"}], "Placement": {"AvailabilityZone": "us-east-1a"}})
    assert extras["instance_name"] is None and extras["private_ip"] is None and extras["zone"] == "us-east-1a"


@pytest.mark.parametrize("count, page, calls", [(250, 100, 3), (0, 100, 1), (100, 100, 1), (250, 7, 36)])
def test_expected_calls(count, page, calls):
    assert src.expected_calls(count, page) == calls


@pytest.mark.parametrize("size, cloud, clamped", [(100, "aws", 100), (1, "aws", 5), (5000, "aws", 1000),
                                                  (500, "alicloud", 100), (1, "alicloud", 1)])
def test_page_size_is_kept_within_api_limits(size, cloud, clamped):
    assert src.check_page_size(size, cloud) == clamped


@pytest.mark.parametrize("name, accepted", [
    ("prod.cloudfleet.yml", True), ("cloudfleet.yaml", True), ("instances.yml", True), ("x.instances.yaml", True),
    ("prod.aws_ec2.yml", False), ("instances.json", False), ("hosts.ini", False),
])
def test_verify_file_accepts_our_names_only(tmp_path, name, accepted):
    path = tmp_path / name
    path.write_text("plugin: cloudfleet.lifecycle.instances\n")
    assert bool(InventoryModule().verify_file(str(path))) is accepted
