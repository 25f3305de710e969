"""One record contract: every module's RETURN has the shared blocks of docs/shared_return.yml word for
word, and those say what records.make_record and the providers really build.

ansible-core has no doc fragments for RETURN (ansible/ansible#70910), so each module carries a copy;
when this fails, edit docs/shared_return.yml and run `python tools/sync_return_docs.py`.
"""
import inspect

import pytest
import yaml

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core import records
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import alicloud as provider_alicloud
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers import aws as provider_aws

from .module_docs import MODULE_NAMES, ROOT, literal, returns

SHARED = yaml.safe_load((ROOT / "docs" / "shared_return.yml").read_text())
RECORD = SHARED["record"]
SHAPE = ("type", "elements", "returned")
PYTHON_TYPES = {"str": str, "int": int, "bool": bool, "dict": dict, "list": list}
SYNC = "edit docs/shared_return.yml, then run python tools/sync_return_docs.py"


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_every_module_returns_the_record_word_for_word(name):
    instances = returns(name)["instances"]
    assert dict((k, instances.get(k)) for k in SHARED["instances"]) == SHARED["instances"]
    contains = instances.get("contains") or {}
    missing = [key for key in RECORD if key not in contains]
    assert not missing, "%s does not document %s: %s" % (name, ", ".join(missing), SYNC)
    for key, doc in RECORD.items():
        assert contains[key] == doc, "%s documents instances[].%s in words of its own: %s" % (name, key, SYNC)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_every_module_returns_the_outcome_keys_word_for_word_or_in_declared_words_of_its_own(name):
    documented = returns(name)
    own = SHARED["own_wording"].get(name, [])
    for key, doc in SHARED["outcome"].items():
        if key not in documented:
            assert key not in own, "own_wording names %s.%s, which it does not return" % (name, key)
        elif key in own:
            assert dict((k, documented[key].get(k)) for k in SHAPE) == dict((k, doc.get(k)) for k in SHAPE), (name, key)
        else:
            assert documented[key] == doc, "%s documents %s in words of its own: %s (or list it under own_wording)" % (name, key, SYNC)


def test_the_changing_modules_return_every_outcome_key():
    for name in MODULE_NAMES:
        if "changed_ids" in returns(name):
            assert set(SHARED["outcome"]) <= set(returns(name)), name


def test_the_documented_record_is_the_one_make_record_builds():
    record = records.make_record("i-0123456789abcdef0", "aws", "us-east-1", "running")
    assert list(record) == list(RECORD), "a record key without docs, or docs without a key: " + SYNC
    assert RECORD["state"]["choices"] == list(records.RECORD_STATES)


def test_the_samples_make_a_record_of_the_documented_types():
    # make_record's parameters are the record's keys, but for instance_id -> id.
    parameters = list(inspect.signature(records.make_record).parameters)
    assert [("id" if p == "instance_id" else p) for p in parameters] == list(RECORD)
    record = records.make_record(**dict((p, RECORD["id" if p == "instance_id" else p]["sample"]) for p in parameters))
    assert_documented_types(record)
    for blank in (records.make_record("i-1", "aws", "us-east-1", "running"), records.not_found_record("i-1", "aws", "r"),
                  records.absent_record("i-1", "alicloud", "r")):
        assert_documented_types(blank)


def test_the_providers_build_records_of_the_documented_keys_and_types():
    ec2 = provider_aws.Provider.__new__(provider_aws.Provider)
    ec2.region = "us-east-1"
    ecs = provider_alicloud.Provider.__new__(provider_alicloud.Provider)
    ecs.region = "cn-hangzhou"
    built = [
        ec2._record({"InstanceId": "i-0123456789abcdef0", "State": {"Code": 16, "Name": "running"}, "InstanceType": "t3.micro",
                     "Tags": [{"Key": "env", "Value": "test"}], "Platform": "windows"}),
        ecs._record({"InstanceId": "i-bp1abcdefghij0123456", "RegionId": "cn-hangzhou", "Status": "Running", "InstanceType": "ecs.g7.large",
                     "DeletionProtection": True, "AutoReleaseTime": "2026-12-01T06:00Z", "OSType": "linux",
                     "StartTime": "2026-12-03T06:00Z", "Tags": {"Tag": [{"TagKey": "env", "TagValue": "test"}]}}),
    ]
    for record in built:
        assert list(record) == list(RECORD)
        assert_documented_types(record)
    assert [r["os_type"] for r in built] == ["windows", "linux"]
    assert built[1]["start_time"] == "2026-12-03T06:00:00Z"


def assert_documented_types(record):
    for key, value in record.items():
        assert value is None or isinstance(value, PYTHON_TYPES[RECORD[key]["type"]]), (key, value)


def test_the_inventory_names_every_record_key_its_hosts_carry():
    doc = yaml.safe_load(literal(ROOT / "plugins" / "inventory" / "instances.py", "DOCUMENTATION"))
    description = " ".join(doc["description"])
    # Hosts carry the record with instance_id for id (inventory_source.host_vars).
    missing = [key for key in RECORD if "C(%s)" % ("instance_id" if key == "id" else key) not in description]
    assert not missing, "plugins/inventory/instances.py does not name %s" % ", ".join(missing)
    assert "cloudfleet.lifecycle.common.plugins" in doc["extends_documentation_fragment"]
