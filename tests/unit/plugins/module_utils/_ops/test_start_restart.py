"""instance_start and instance_restart: the decisions, on the fake provider (issue 14)."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import restart
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import start
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError, TaskFailure

from ..fakes import FakeInstance, FakeProvider, aws_id, fleet, params, runtime


def test_start_starts_stopped_waits_for_stopping_and_leaves_running_alone():
    ids, provider = fleet("stopped", "stopping", "running", "pending")
    result = start.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["changed_ids"] == ids[:2] and result["unchanged_ids"] == ids[2:]
    assert [r["state"] for r in result["instances"]] == ["running"] * 4
    # the stopped one at once; the stopping one once it has stopped
    assert [c[1] for c in provider.calls_of("start")] == [[ids[0]], [ids[1]]]


def test_start_of_250_makes_3_calls_and_a_second_run_makes_none():
    ids = [aws_id(n) for n in range(1, 251)]
    provider = FakeProvider(instances=dict((i, FakeInstance("stopped")) for i in ids))
    start.run(params(instance_ids=ids), rt=runtime(provider))
    assert [len(c[1]) for c in provider.calls_of("start")] == [100, 100, 50]
    provider.calls = []
    again = start.run(params(instance_ids=ids), rt=runtime(provider))
    assert again["changed"] is False and provider.calls_of("start") == []


def test_a_start_refused_for_some_ids_starts_the_others_and_names_them():
    ids, provider = fleet("stopped", "stopped", "stopped", "stopped")
    provider.start_refusals = set(ids[1:3])
    with pytest.raises(TaskFailure) as exc:
        start.run(params(instance_ids=ids), rt=runtime(provider))
    assert [(f["id"], f["code"]) for f in exc.value.failures] == [
        (ids[1], "InsufficientInstanceCapacity"), (ids[2], "InsufficientInstanceCapacity")]
    assert exc.value.result["changed_ids"] == [ids[0], ids[3]]
    assert "InsufficientInstanceCapacity: 2 instances" in exc.value.message


def test_start_check_mode_sends_only_dry_runs():
    ids, provider = fleet("stopped", "running")
    result = start.run(params(instance_ids=ids), check_mode=True, rt=runtime(provider))
    assert result["changed_ids"] == ids[:1] and provider.calls_of("start", dry_run=False) == []
    assert result["diff"]["after"] == {ids[0]: {"state": "running"}}


def test_start_of_a_terminated_instance_fails_for_it_alone():
    ids, provider = fleet("terminated", "stopped")
    with pytest.raises(TaskFailure) as exc:
        start.run(params(instance_ids=ids), rt=runtime(provider))
    assert [f["id"] for f in exc.value.failures] == [ids[0]] and exc.value.result["changed_ids"] == [ids[1]]


def test_start_can_wait_for_health():
    ids, provider = fleet("stopped")
    result = start.run(params(instance_ids=ids, wait_for_health=True), rt=runtime(provider))
    assert result["instances"][0]["health"]["instance_status"] == "ok"
    assert provider.calls_of("health")


def test_wait_timeout_zero_is_refused_for_start_and_restart():
    for op in (start.run, restart.run):
        ids, provider = fleet("stopped")
        with pytest.raises(InputError, match="wait_timeout must be 1 or more seconds"):
            op(params(instance_ids=ids, wait_timeout=0), rt=runtime(provider))
        assert provider.calls == []


def test_restart_reboots_only_running_instances():
    ids, provider = fleet("running", "stopped", "running")
    with pytest.raises(TaskFailure) as exc:
        restart.run(params(instance_ids=ids), rt=runtime(provider))
    assert exc.value.result["changed_ids"] == [ids[0], ids[2]]
    assert [(f["id"], f["code"]) for f in exc.value.failures] == [(ids[1], "IncorrectInstanceState")]
    assert "instance_start" in exc.value.failures[0]["message"]
    assert [c[1] for c in provider.calls_of("reboot")] == [[ids[0], ids[2]]]


def test_an_ec2_reboot_is_the_calls_acceptance():
    ids, provider = fleet("running", "running")
    result = restart.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["reboots"] == {ids[0]: "accepted", ids[1]: "accepted"}
    assert all(provider.instances[i].boots == 1 for i in ids)


def test_an_ecs_reboot_is_seen_starting_then_running_again():
    ids, provider = fleet("running", "running", cloud="alicloud")
    result = restart.run(params("alicloud", instance_ids=ids), rt=runtime(provider))
    assert result["reboots"] == {ids[0]: "state", ids[1]: "state"}
    assert [r["state"] for r in result["instances"]] == ["running", "running"]
    assert [r["start_time"] for r in result["instances"]] == ["2026-01-01T01:01:00Z"] * 2


def test_an_ecs_reboot_too_quick_to_see_is_taken_on_the_calls_word_with_a_warning():
    ids, provider = fleet("running", cloud="alicloud")
    provider.quick_reboots = True
    rt = runtime(provider)
    result = restart.run(params("alicloud", instance_ids=ids), rt=rt)
    assert result["reboots"] == {ids[0]: "accepted"} and result["failures"] == []
    assert [w for w in rt.warnings if "was not seen" in w]


def test_restart_check_mode_is_a_dry_run():
    ids, provider = fleet("running", cloud="alicloud")
    result = restart.run(params("alicloud", instance_ids=ids), check_mode=True, rt=runtime(provider))
    assert result["changed_ids"] == ids and provider.calls_of("reboot", dry_run=False) == []
