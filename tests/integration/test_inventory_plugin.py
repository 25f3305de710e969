"""The inventory plugin cloudfleet.lifecycle.instances, for real: `ansible-inventory --list` and
`ansible-playbook` with a source file against the in-process sandbox.

Hostvars, default groups, constructed features, hostnames preference, paging with exact call
counts (the sandbox's call log), the inventory cache, and clean errors without secrets.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

from sandbox import fleet

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
RECORD_FIELDS = {"instance_id", "cloud", "region", "state", "raw_state", "state_code", "auto_release_time",
                 "deletion_protection", "instance_type", "tags", "instance_name", "private_ip", "public_ip",
                 "private_dns_name", "public_dns_name", "zone", "vpc_id"}


def plain(value):
    """ansible-inventory marks API data as untrusted ({"__ansible_unsafe": x}); the plain value."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def tool_env(sandbox, tmp_path, **extra):
    env = dict(os.environ)
    env.update(sandbox.env())
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".cache", "collections"),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
    })
    env.update(extra)
    return env


class Inventory:
    def __init__(self, rc, output, data):
        self.rc, self.output, self.data = rc, output, data

    @property
    def hostvars(self):
        return self.data["_meta"]["hostvars"]

    def group(self, name):
        """Hosts of a group, its children's included."""
        entry = self.data.get(name) or {}
        hosts = list(entry.get("hosts", []))
        for child in entry.get("children", []):
            hosts += self.group(child)
        return sorted(set(hosts))


def write_source(tmp_path, config, name="fleet.cloudfleet.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(dict({"plugin": "cloudfleet.lifecycle.instances"}, **config), sort_keys=False))
    return path


def inventory_list(sandbox, tmp_path, config, name="fleet.cloudfleet.yml", extra_args=(), **env):
    path = write_source(tmp_path, config, name)
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list", *extra_args],
                          env=tool_env(sandbox, tmp_path, **env), cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=300)
    data = plain(json.loads(proc.stdout)) if proc.returncode == 0 else None
    return Inventory(proc.returncode, proc.stdout + proc.stderr, data)


BOTH = {"sources": [{"cloud": "aws", "regions": ["us-east-1"]}, {"cloud": "alicloud"}]}


def calls(cloud_url, action="DescribeInstances"):
    from sandbox.control_client import control
    return [c for c in control(cloud_url, "calls") if c["action"] == action]


def test_hostvars_and_default_groups_on_both_clouds(sandbox, tmp_path):
    env = sandbox.env()
    ec2 = fleet.launch_ec2(env, 3, tags={"team": "web", "Name": "web"})
    ecs = fleet.launch_ecs(env, 2, tags={"team": "db"}, protected=True)
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), ec2, {"running"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), ecs, {"Running"})
    fleet.stop_ec2(env, ec2[:1])
    fleet.stop_ecs(env, ecs[:1])
    fleet.wait_for(lambda ids: fleet.ec2_states(env, ids), ec2[:1], {"stopped"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), ecs[:1], {"Stopped"})

    inv = inventory_list(sandbox, tmp_path, BOTH)
    assert inv.rc == 0, inv.output
    assert "Traceback" not in inv.output
    assert sorted(inv.hostvars) == sorted(ec2 + ecs)
    for instance_id, hostvars in inv.hostvars.items():
        assert RECORD_FIELDS <= set(hostvars), hostvars
        assert hostvars["instance_id"] == instance_id
    web = inv.hostvars[ec2[1]]
    assert (web["cloud"], web["region"], web["state"], web["raw_state"], web["state_code"]) == (
        "aws", "us-east-1", "running", "running", 16)
    assert web["tags"] == {"team": "web", "Name": "web"} and web["instance_name"] == "web"
    assert web["instance_type"] == fleet.EC2_TYPE and web["private_ip"] and web["public_ip"]
    assert inv.hostvars[ec2[0]]["state"] == "stopped"
    db = inv.hostvars[ecs[0]]
    assert (db["cloud"], db["region"], db["state"], db["raw_state"], db["state_code"]) == (
        "alicloud", "cn-hangzhou", "stopped", "Stopped", None)
    assert db["deletion_protection"] is True and db["instance_type"] == fleet.ECS_TYPE and db["tags"] == {"team": "db"}

    assert inv.group("cloud_aws") == sorted(ec2) and inv.group("cloud_alicloud") == sorted(ecs)
    assert inv.group("region_us_east_1") == sorted(ec2) and inv.group("region_cn_hangzhou") == sorted(ecs)
    assert inv.group("state_stopped") == sorted([ec2[0], ecs[0]])
    assert inv.group("state_running") == sorted(ec2[1:] + ecs[1:])


def test_filters_keyed_groups_groups_compose_and_no_default_groups(sandbox, tmp_path):
    env = sandbox.env()
    web = fleet.launch_ec2(env, 2, tags={"team": "web", "tier": "front"})
    fleet.launch_ec2(env, 2, tags={"team": "batch"})
    db = fleet.launch_ecs(env, 2, tags={"team": "db", "tier": "back"})
    fleet.wait_for(lambda ids: fleet.ecs_states(env, ids), db, {"Running"})
    config = {
        "sources": [
            {"cloud": "aws", "regions": ["us-east-1"], "filters": {"tags": {"team": "web"}}},
            {"cloud": "alicloud", "filters": {"state": ["running"], "tags": {"tier": "back"}}},
        ],
        "default_groups": False,
        "keyed_groups": [{"key": "tags.team", "prefix": "team"}, {"key": "cloud", "prefix": "on"}],
        "groups": {"frontend": "tags.tier == 'front'", "ecs_db": "cloud == 'alicloud' and tags.team == 'db'"},
        "compose": {"fleet_label": "cloud ~ '/' ~ region", "ansible_host": "private_ip | default(instance_id, true)"},
    }
    inv = inventory_list(sandbox, tmp_path, config)
    assert inv.rc == 0, inv.output
    assert sorted(inv.hostvars) == sorted(web + db)  # the batch team is filtered out
    assert "cloud_aws" not in inv.data and "state_running" not in inv.data
    assert inv.group("team_web") == sorted(web) and inv.group("team_db") == sorted(db)
    assert inv.group("on_aws") == sorted(web) and inv.group("on_alicloud") == sorted(db)
    assert inv.group("frontend") == sorted(web) and inv.group("ecs_db") == sorted(db)
    assert inv.hostvars[web[0]]["fleet_label"] == "aws/us-east-1"
    assert inv.hostvars[db[0]]["fleet_label"] == "alicloud/cn-hangzhou"
    assert inv.hostvars[web[0]]["ansible_host"] == inv.hostvars[web[0]]["private_ip"]
    # the sandbox's ECS gives each instance a private address in its VPC, as ECS does
    assert inv.hostvars[db[0]]["private_ip"] and inv.hostvars[db[0]]["ansible_host"] == inv.hostvars[db[0]]["private_ip"]


def test_strict_fails_on_a_bad_expression_and_lax_skips_it(sandbox, tmp_path):
    fleet.launch_ec2(sandbox.env(), 1)
    config = {"sources": [{"cloud": "aws"}], "keyed_groups": [{"key": "tags.missing", "prefix": "x"}]}
    assert inventory_list(sandbox, tmp_path, config).rc == 0
    strict = inventory_list(sandbox, tmp_path, dict(config, strict=True))
    assert strict.rc != 0 and "missing" in strict.output


def test_hostnames_preference_first_non_empty_wins(sandbox, tmp_path):
    env = sandbox.env()
    named = fleet.launch_ec2(env, 1, tags={"Name": "web-1"})
    twins = fleet.launch_ec2(env, 2, tags={"Name": "twin"})
    unnamed = fleet.launch_ec2(env, 1)
    ecs = fleet.launch_ecs(env, 1)
    config = dict(BOTH, hostnames=["tag:Name", "private_ip", "instance_id"])
    inv = inventory_list(sandbox, tmp_path, config)
    assert inv.rc == 0, inv.output
    by_id = {hv["instance_id"]: host for host, hv in inv.hostvars.items()}
    assert by_id[named[0]] == "web-1"
    assert by_id[unnamed[0]] == inv.hostvars[by_id[unnamed[0]]]["private_ip"]  # no Name tag: the private ip
    assert by_id[ecs[0]] == inv.hostvars[by_id[ecs[0]]]["private_ip"]  # no Name tag: its private ip (ECS VPC address)
    nameless = inventory_list(sandbox, tmp_path, dict(BOTH, hostnames=["tag:Name", "instance_id"]))
    assert {hv["instance_id"]: h for h, hv in nameless.hostvars.items()}[ecs[0]] == ecs[0]  # no tag: the id
    # two instances named alike: the first keeps the name, the second its id, with a warning
    assert sorted(by_id[i] for i in twins) == sorted(["twin", by_id[twins[1]] if by_id[twins[0]] == "twin" else by_id[twins[0]]])
    assert "twin" in [by_id[i] for i in twins] and any(by_id[i] == i for i in twins)
    assert "hostname 'twin' is taken" in inv.output
    by_name = inventory_list(sandbox, tmp_path, dict(BOTH, hostnames=["name"]))
    assert {hv["instance_id"]: h for h, hv in by_name.hostvars.items()}[ecs[0]] == ecs[0]  # ECS InstanceName = id here


def launch_250(cloud, sandbox):
    env = sandbox.env()
    if cloud.is_aws:
        # One reservation each: EC2 (and moto) page by reservation, so this makes paging count instances.
        client = fleet.ec2_client(env)
        for _ in range(250):
            client.run_instances(ImageId=fleet.EC2_IMAGE, InstanceType=fleet.EC2_TYPE, MinCount=1, MaxCount=1)
    else:
        fleet.launch_ecs(env, 250)


@pytest.mark.parametrize("page_size", [100])
def test_paging_over_250_instances_with_exact_call_counts(cloud, sandbox, tmp_path, page_size):
    launch_250(cloud, sandbox)
    cloud.reset_calls()
    inv = inventory_list(sandbox, tmp_path, {"sources": [{"cloud": cloud.name}], "page_size": page_size})
    assert inv.rc == 0, inv.output
    assert len(inv.hostvars) == 250
    describes = cloud.calls("DescribeInstances")
    assert len(describes) == 3  # ceil(250 / 100)
    assert [c["params"].get("MaxResults") for c in describes] == [str(page_size)] * 3
    tokens = [c["params"].get("NextToken") for c in describes]
    assert not tokens[0] and tokens[1] and tokens[2] and tokens[1] != tokens[2]
    assert len(cloud.calls()) == 3  # nothing but the three pages


def test_ecs_small_pages(sandbox, tmp_path):
    fleet.launch_ecs(sandbox.env(), 25)
    sandbox.ecs.calls.clear()
    inv = inventory_list(sandbox, tmp_path, {"sources": [{"cloud": "alicloud"}], "page_size": 7})
    assert inv.rc == 0 and len(inv.hostvars) == 25
    assert len(calls(sandbox.ecs_url)) == 4  # ceil(25 / 7)


def test_cache_second_run_makes_no_api_call(sandbox, tmp_path):
    env = sandbox.env()
    ec2 = fleet.launch_ec2(env, 2)
    ecs = fleet.launch_ecs(env, 2)
    config = dict(BOTH, cache=True, cache_plugin="ansible.builtin.jsonfile",
                  cache_connection=str(tmp_path / "inventory-cache"), cache_timeout=600)
    sandbox.ec2.calls.clear()
    sandbox.ecs.calls.clear()
    first = inventory_list(sandbox, tmp_path, config)
    assert first.rc == 0, first.output
    assert len(calls(sandbox.ec2_url)) == 1 and len(calls(sandbox.ecs_url)) == 1
    sandbox.ec2.calls.clear()
    sandbox.ecs.calls.clear()
    second = inventory_list(sandbox, tmp_path, config)
    assert second.rc == 0, second.output
    assert sorted(second.hostvars) == sorted(ec2 + ecs) == sorted(first.hostvars)
    assert calls(sandbox.ec2_url, None) == [] and calls(sandbox.ecs_url, None) == []
    flushed = inventory_list(sandbox, tmp_path, config, extra_args=("--flush-cache",))
    assert flushed.rc == 0 and len(calls(sandbox.ec2_url)) == 1 and len(calls(sandbox.ecs_url)) == 1


@pytest.mark.parametrize("config, words", [
    ({"sources": [{"cloud": "gcp"}]}, "sources[1]: cloud must be one of aws, alicloud"),
    ({"sources": [{"cloud": "aws"}, {"cloud": "alicloud", "region": "cn-hangzhou"}]}, "sources[2]: unknown key(s) region"),
    ({"sources": [{"cloud": "aws", "filters": {"state": "up"}}]}, "unknown state(s) up"),
    ({"sources": [{"cloud": "aws", "endpoint_url": "localhost:1"}]}, "endpoint_url must be a URL"),
    ({"sources": [{"cloud": "alicloud", "profile": "default"}]}, "profile is an AWS option"),
    ({"sources": [{"cloud": "aws"}], "page_size": 0}, "page_size must be a positive number"),
    ({"sources": "aws"}, "sources"),
    ({}, "sources"),
])
def test_bad_source_file_is_a_clear_error(sandbox, tmp_path, config, words):
    inv = inventory_list(sandbox, tmp_path, config)
    assert inv.rc != 0
    assert words in inv.output, inv.output
    assert "Traceback" not in inv.output


def test_not_yaml_mapping_is_a_clear_error(sandbox, tmp_path):
    path = tmp_path / "broken.cloudfleet.yml"
    path.write_text("plugin: cloudfleet.lifecycle.instances\nsources: [cloud: aws\n")
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list"],
                          env=tool_env(sandbox, tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stdout + proc.stderr


def test_wrong_credentials_error_names_the_code_not_the_secret(cloud, sandbox, tmp_path):
    cloud.launch(1)
    env = sandbox.env()
    real_secret = env["AWS_SECRET_ACCESS_KEY" if cloud.is_aws else "ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    real_key = env["AWS_ACCESS_KEY_ID" if cloud.is_aws else "ALIBABA_CLOUD_ACCESS_KEY_ID"]
    wrong = "WrongSecretWrongSecret0123456789abcdefXYZ"
    config = {"sources": [{"cloud": cloud.name, "access_key": real_key, "secret_key": wrong}]}
    inv = inventory_list(sandbox, tmp_path, config, extra_args=("-vvv",))
    assert inv.rc != 0
    assert f"sources[1] (cloud={cloud.name}" in inv.output, inv.output
    assert ("AuthFailure" if cloud.is_aws else "SignatureDoesNotMatch") in inv.output, inv.output
    assert wrong not in inv.output and real_secret not in inv.output
    assert "Traceback" not in inv.output


def test_playbook_over_inventory_hosts(sandbox, tmp_path):
    env = sandbox.env()
    ec2 = fleet.launch_ec2(env, 2, tags={"team": "web"})
    ecs = fleet.launch_ecs(env, 2, tags={"team": "web"})
    fleet.launch_ec2(env, 1, tags={"team": "other"})
    source = write_source(tmp_path, {"sources": [{"cloud": "aws", "regions": ["us-east-1"], "filters": {"tags": {"team": "web"}}},
                                                 {"cloud": "alicloud", "filters": {"tags": {"team": "web"}}}]})
    play = [{
        "name": "read the fleet the inventory lists", "hosts": "cloud_aws:cloud_alicloud", "gather_facts": False,
        "tasks": [{
            "name": "state of each cloud's hosts, once, from localhost",
            "cloudfleet.lifecycle.instance_state_info": {
                "cloud": "{{ item }}",
                "region": "{{ hostvars[groups['cloud_' ~ item][0]].region }}",
                "instance_ids": "{{ groups['cloud_' ~ item] | map('extract', hostvars, 'instance_id') | list }}",
            },
            "loop": ["aws", "alicloud"], "run_once": True, "delegate_to": "localhost", "register": "fleet_state",
        }, {
            "name": "show", "ansible.builtin.debug": {
                "msg": "{{ fleet_state.results | map(attribute='instances') | flatten | map(attribute='id') | sort | join(',') }}"},
            "run_once": True,
        }],
    }]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(source), str(playbook)],
                          env=tool_env(sandbox, tmp_path), cwd=str(tmp_path), capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert ",".join(sorted(ec2 + ecs)) in output
