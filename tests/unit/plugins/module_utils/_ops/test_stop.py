"""instance_stop: the decisions (changed / unchanged / refused / failed) on the fake provider."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import stop
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError, TaskFailure

from ..fakes import FakeClock, FakeInstance, FakeProvider, aws_id, ecs_id, fleet, params, runtime


def test_stop_decides_changed_and_unchanged():
    ids, provider = fleet("running", "stopped", "stopping")
    result = stop.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["changed"] is True
    assert result["changed_ids"] == [ids[0]]
    assert result["unchanged_ids"] == [ids[1], ids[2]]
    assert [r["state"] for r in result["instances"]] == ["stopped"] * 3
    assert provider.calls_of("stop") == [("stop", [ids[0]], False)]


def test_stop_twice_is_a_no_op():
    ids, provider = fleet("running", "running")
    stop.run(params(instance_ids=ids), rt=runtime(provider))
    provider.calls = []
    result = stop.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["changed"] is False and result["unchanged_ids"] == ids
    assert provider.calls_of("stop") == []


def test_stop_only_stopping_is_waited_not_an_error():
    ids, provider = fleet("stopping")
    result = stop.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["changed"] is False and result["instances"][0]["state"] == "stopped"
    assert provider.calls_of("stop") == []


def test_stop_pending_waits_for_running_then_stops():
    ids, provider = fleet("pending")
    result = stop.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["changed_ids"] == ids and result["instances"][0]["state"] == "stopped"
    assert provider.calls_of("stop") == [("stop", ids, False)]


def test_stop_500_ids_batches_calls():
    ids, provider = fleet(*(["running"] * 500))
    stop.run(params(instance_ids=ids), rt=runtime(provider))
    assert len(provider.calls_of("stop")) == 5
    describes = provider.calls_of("describe")
    assert all(len(c[1]) <= 100 for c in describes)
    # initial describe (5) + wait rounds, each at most 5 calls
    assert (len(describes) - 5) % 5 == 0


def test_stop_timeout_fails_naming_ids_and_advice():
    ids, provider = fleet("running", "running")
    provider.instances[ids[1]].stuck = True
    with pytest.raises(TaskFailure) as info:
        stop.run(params(instance_ids=ids, wait_timeout=20), rt=runtime(provider))
    exc = info.value
    assert ids[1] in exc.message and "stopping" in exc.message and "force: true" in exc.message
    assert [f["id"] for f in exc.failures] == [ids[1]] and exc.failures[0]["code"] == "WaitTimeout"
    assert exc.result["changed_ids"] == ids


def test_stop_no_wait_returns_current_state():
    ids, provider = fleet("running")
    result = stop.run(params(instance_ids=ids, wait=False), rt=runtime(provider))
    assert result["changed"] and result["instances"][0]["state"] in ("stopping", "stopped")


def test_stop_per_id_error_fails_naming_the_id_others_still_stopped():
    ids, provider = fleet("running", "running")
    provider.instances[ids[0]].hibernation = False
    with pytest.raises(TaskFailure) as info:
        stop.run(params(instance_ids=ids, hibernate=True), rt=runtime(provider))
    exc = info.value
    assert exc.failures == [{"id": ids[0], "code": "UnsupportedHibernationConfiguration", "message": "not configured", "request_id": "req-1"}]
    assert exc.error["code"] == "UnsupportedHibernationConfiguration"
    assert exc.result["changed_ids"] == [ids[1]]


def test_stop_terminated_is_a_failure():
    ids, provider = fleet("terminated")
    with pytest.raises(TaskFailure, match="cannot stop"):
        stop.run(params(instance_ids=ids), rt=runtime(provider))


def test_stop_check_mode_only_dry_runs():
    ids, provider = fleet("running", "stopped", "pending")
    result = stop.run(params(instance_ids=ids), check_mode=True, rt=runtime(provider))
    assert result["changed_ids"] == [ids[0], ids[2]]
    assert all(c[2] is True for c in provider.calls_of("stop"))
    assert provider.instances[ids[0]].state == "running"


@pytest.mark.parametrize("extra, message", [
    (dict(hibernate=True, force=True), "hibernate and force"),
    (dict(stopped_mode="keep_charging"), "stopped_mode is for cloud=alicloud"),
    (dict(instance_ids=[]), "empty"),
    (dict(instance_ids=["i-nothex!"]), "malformed"),
    (dict(wait_timeout=-1), "wait_timeout"),
])
def test_stop_bad_input_before_any_call(extra, message):
    provider = FakeProvider()
    p = params(instance_ids=[aws_id(1)])
    p.update(extra)
    with pytest.raises(InputError, match=message):
        stop.run(p, rt=runtime(provider))
    assert provider.calls == []


def test_stop_stopped_mode_ok_on_alicloud():
    ident = ecs_id(1)
    provider = FakeProvider(cloud="alicloud", instances={ident: FakeInstance("running")})
    result = stop.run(params("alicloud", instance_ids=[ident], stopped_mode="stop_charging"), rt=runtime(provider))
    assert result["changed_ids"] == [ident]


def test_fake_clock_is_used():
    clock = FakeClock()
    ids, provider = fleet("running")
    stop.run(params(instance_ids=ids), rt=runtime(provider, clock=clock))
    assert clock.now > 0
