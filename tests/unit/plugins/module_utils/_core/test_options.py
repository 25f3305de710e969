import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError, scrub
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import resolve_connection, validate_ids

from ..fakes import params


def conn_params(cloud, **kwargs):
    base = dict(cloud=cloud, region=None, access_key=None, secret_key=None, security_token=None, profile=None,
                endpoint_url=None, retry_max_attempts=8)
    base.update(kwargs)
    return base


AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "aws-secret", "AWS_SESSION_TOKEN": "aws-token",
    "AWS_PROFILE": "prof", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
}
ALI_ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIENV", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ali-secret",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "ali-token", "ALIBABA_CLOUD_REGION_ID": "cn-hangzhou",
    "ALIBABA_CLOUD_ECS_ENDPOINT": "http://127.0.0.1:6000",
}


def test_aws_reads_only_aws_variables():
    env = dict(AWS_ENV, **ALI_ENV)
    conn = resolve_connection(conn_params("aws"), env)
    assert conn["access_key"] == "AKIAENV"
    assert conn["secret_key"] == "aws-secret"
    assert conn["security_token"] == "aws-token"
    assert conn["profile"] == "prof"
    assert conn["region"] == "eu-west-1"
    assert conn["endpoint_url"] == "http://127.0.0.1:5000"


def test_aws_region_prefers_aws_region_over_default():
    conn = resolve_connection(conn_params("aws"), dict(AWS_ENV, AWS_REGION="us-west-2"))
    assert conn["region"] == "us-west-2"


def test_alicloud_reads_only_alibaba_variables():
    env = dict(AWS_ENV, **ALI_ENV)
    conn = resolve_connection(conn_params("alicloud"), env)
    assert conn["access_key"] == "LTAIENV"
    assert conn["secret_key"] == "ali-secret"
    assert conn["security_token"] == "ali-token"
    assert conn["region"] == "cn-hangzhou"
    assert conn["endpoint_url"] == "http://127.0.0.1:6000"
    assert conn["profile"] is None


def test_options_win_over_environment():
    conn = resolve_connection(conn_params("alicloud", region="cn-beijing", access_key="a", secret_key="b"), ALI_ENV)
    assert (conn["region"], conn["access_key"], conn["secret_key"]) == ("cn-beijing", "a", "b")


def test_alicloud_needs_a_region():
    with pytest.raises(InputError, match="region is required"):
        resolve_connection(conn_params("alicloud"), {})


def test_key_without_secret_is_refused():
    with pytest.raises(InputError, match="go together"):
        resolve_connection(conn_params("aws", access_key="AKIA"), {})


def test_bad_endpoint_is_refused():
    with pytest.raises(InputError, match="endpoint_url"):
        resolve_connection(conn_params("aws", endpoint_url="127.0.0.1:5000"), {})


def test_unknown_cloud_is_refused():
    with pytest.raises(InputError, match="cloud must be one of"):
        resolve_connection(conn_params("gcp"), {})


@pytest.mark.parametrize("good", ["i-0123abcd", "i-0123456789abcdef0"])
def test_ec2_ids_ok(good):
    assert validate_ids("aws", [good]) == [good]


@pytest.mark.parametrize("bad", ["i-0123abc", "i-0123456789ABCDEF0", "i-0123456789abcdef", "0123abcd", "i-", "i-bp1abcdefghij"])
def test_ec2_ids_malformed(bad):
    with pytest.raises(InputError, match="malformed") as info:
        validate_ids("aws", ["i-0123abcd", bad])
    assert bad in info.value.message


@pytest.mark.parametrize("good", ["i-bp1abcdefghij0123456", "i-0123456789"])
def test_ecs_ids_ok(good):
    assert validate_ids("alicloud", [good]) == [good]


@pytest.mark.parametrize("bad", ["i-short", "i-UPPERCASE1234", "bp1abcdefghij", "i-" + "a" * 31])
def test_ecs_ids_malformed(bad):
    with pytest.raises(InputError, match="malformed"):
        validate_ids("alicloud", [bad])


def test_empty_ids_refused_and_duplicates_dropped():
    with pytest.raises(InputError, match="empty"):
        validate_ids("aws", [])
    assert validate_ids("aws", ["i-0123abcd", "i-0123abcd"]) == ["i-0123abcd"]


def test_scrub_removes_secrets_everywhere():
    value = {"msg": "bad key s3cr3tvalue", "list": ["x s3cr3tvalue"], "n": 1}
    assert "s3cr3tvalue" not in repr(scrub(value, ["s3cr3tvalue", None]))


def test_fakes_params_are_complete():
    assert params()["cloud"] == "aws"
