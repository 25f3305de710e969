"""describe, list_instances and health: the same answers from every provider."""
import re

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import ID_PATTERNS
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.records import STATES, make_record

RECORD_KEYS = set(make_record("i-1", "aws", "r", "running"))
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
HEALTH_WORDS = {None, "ok", "impaired", "insufficient-data", "not-applicable", "initializing"}


def assert_record(subject, record, instance_id, state):
    assert set(record) == RECORD_KEYS
    assert record["id"] == instance_id and ID_PATTERNS[subject.cloud].match(instance_id)
    assert record["cloud"] == subject.cloud and record["region"] == subject.provider.region
    assert record["state"] == state and state in STATES
    assert isinstance(record["tags"], dict)
    assert record["os_type"] in ("linux", "windows")
    assert record["start_time"] is None or TIME.match(record["start_time"])
    assert record["auto_release_time"] is None or TIME.match(record["auto_release_time"])


def test_describe_answers_the_known_ids_and_leaves_the_unknown_out(subject):
    running = subject.launch(2, tags={"team": "web"})
    stopped = subject.launch(1, state="stopped")
    found = subject.provider.describe(running + stopped + [subject.unknown_id()])
    assert set(found) == set(running + stopped)
    for i in running:
        assert_record(subject, found[i], i, "running")
        assert found[i]["tags"].get("team") == "web"
        assert found[i]["state_code"] == subject.expect["state_code_of_running"]
    assert_record(subject, found[stopped[0]], stopped[0], "stopped")


def test_describe_of_unknown_ids_only_is_empty_not_an_error(subject):
    assert subject.provider.describe([subject.unknown_id()]) == {}


def test_records_say_protection_only_where_the_cloud_reports_it(subject):
    plain = subject.launch(1)
    protected = subject.launch(1, protected=True)
    found = subject.provider.describe(plain + protected)
    if subject.expect["protection_in_describe"]:
        assert (found[plain[0]]["deletion_protection"], found[protected[0]]["deletion_protection"]) == (False, True)
    else:
        assert (found[plain[0]]["deletion_protection"], found[protected[0]]["deletion_protection"]) == (None, None)
    assert subject.provider.read_protection(plain + protected + [subject.unknown_id()]) == {plain[0]: False, protected[0]: True}


def test_records_tell_windows_from_linux(subject):
    linux = subject.launch(1)
    windows = subject.launch(1, windows=True)
    found = subject.provider.describe(linux + windows)
    assert (found[linux[0]]["os_type"], found[windows[0]]["os_type"]) == ("linux", "windows")


def test_list_instances_filters_by_state_and_tags(subject):
    web = subject.launch(2, tags={"team": "web"})
    web_stopped = subject.launch(1, state="stopped", tags={"team": "web"})
    db = subject.launch(1, tags={"team": "db"})

    def listed(**filters):
        records = subject.provider.list_instances(**filters)
        for record in records:
            assert set(record) == RECORD_KEYS
        return sorted(r["id"] for r in records)

    assert listed() == sorted(web + web_stopped + db)
    assert listed(states=["running"]) == sorted(web + db)
    assert listed(states=["stopped"]) == web_stopped
    assert listed(tags={"team": "web"}) == sorted(web + web_stopped)
    assert listed(states=["running"], tags={"team": "web"}) == sorted(web)
    assert listed(states=["running", "stopped"], tags={"team": "nobody"}) == []


def test_health_has_one_shape_and_leaves_unknown_ids_out(subject):
    ids = subject.launch(1) + subject.launch(1, state="stopped")  # a stopped instance has a health too
    subject.schedule_event(ids[0], "SystemMaintenance.Reboot", "maintenance", "2030-01-01T00:00:00Z")
    health = subject.provider.health(ids + [subject.unknown_id()])
    assert set(health) == set(ids)
    for i in ids:
        assert set(health[i]) == {"instance_status", "system_status", "events"}
        assert health[i]["instance_status"] in HEALTH_WORDS and health[i]["system_status"] in HEALTH_WORDS
    assert health[ids[1]]["events"] == []
    [event] = health[ids[0]]["events"]
    assert set(event) == {"code", "description", "not_before", "not_after"}
    assert (event["code"], event["description"], event["not_before"]) == (
        "SystemMaintenance.Reboot", "maintenance", "2030-01-01T00:00:00Z")
