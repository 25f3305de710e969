import datetime

import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core import records
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import alicloud, aws
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import chunks, unique


@pytest.mark.parametrize("code, expected", [
    (0, "pending"), (16, "running"), (32, "shutting-down"), (48, "terminated"), (64, "stopping"), (80, "stopped"),
    (256 + 16, "running"), (0x1200 + 80, "stopped"), (65535 - 255 + 64, "stopping"), (2 ** 15 + 48, "terminated"),
])
def test_ec2_state_uses_low_byte_only(code, expected):
    assert aws.ec2_state(code, "ignored") == expected
    assert aws.ec2_state_code(code) in aws.EC2_STATE_CODES


def test_ec2_state_falls_back_to_name_and_rejects_unknown():
    assert aws.ec2_state(None, "Stopped") == "stopped"
    with pytest.raises(ValueError):
        aws.ec2_state(7, "weird")


@pytest.mark.parametrize("status, expected", [
    ("Pending", "pending"), ("Starting", "pending"), ("Running", "running"), ("Stopping", "stopping"),
    ("Stopped", "stopped"), (None, "terminated"), ("Released", "terminated"),
])
def test_ecs_state(status, expected):
    assert alicloud.ecs_state(status) == expected


def test_ecs_unknown_status_is_an_error():
    with pytest.raises(ValueError):
        alicloud.ecs_state("Exploded")


def test_make_record_has_the_contract_keys():
    record = records.make_record("i-1", "aws", "us-east-1", "running")
    assert set(record) >= {"id", "cloud", "region", "state", "raw_state", "state_code", "auto_release_time",
                           "deletion_protection", "instance_type", "tags"}
    assert records.absent_record("i-1", "alicloud", "cn-hangzhou")["state"] == "terminated"


@pytest.mark.parametrize("text, expected", [
    ("2026-12-01T06:00Z", "2026-12-01T06:00:00Z"),  # ECS's own AutoReleaseTime format
    ("2026-12-01T06:00:59Z", "2026-12-01T06:00:59Z"),
    ("2026-12-01T14:00:00+08:00", "2026-12-01T06:00:00Z"),
    ("", None), (None, None), ("garbage", None),
])
def test_normalize_time(text, expected):
    assert records.normalize_time(text) == expected


def test_parse_time_needs_a_zone():
    with pytest.raises(ValueError, match="no time zone"):
        records.parse_time("2026-12-01T06:00:00")


def test_format_time():
    value = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert records.format_time(value) == "2026-01-02T03:04:05Z"


def test_chunks_of_at_most_100():
    ids = ["i-%d" % n for n in range(250)]
    parts = chunks(ids)
    assert [len(p) for p in parts] == [100, 100, 50]
    assert sum(parts, []) == ids
    assert chunks([]) == []
    assert [len(p) for p in chunks(ids[:100])] == [100]


def test_chunks_rejects_bad_size():
    with pytest.raises(ValueError):
        chunks([1], 0)


def test_unique_keeps_first_order():
    assert unique(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
