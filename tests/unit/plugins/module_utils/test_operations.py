"""The cloud-neutral decisions (changed / unchanged / refused / failed) with a fake provider."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import auto_release
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import release
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import state_info
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import stop
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError, InputError, TaskFailure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.per_id import run_per_id

from .fakes import NOW, FakeClock, FakeInstance, FakeProvider, aws_id, ecs_id, fleet, params, runtime

# ---------------------------------------------------------------- stop

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


# ---------------------------------------------------------------- release

def test_release_only_stopped_refuses_others_but_releases_the_stopped():
    ids, provider = fleet("stopped", "running")
    with pytest.raises(TaskFailure) as info:
        release.run(params(instance_ids=ids), rt=runtime(provider))
    exc = info.value
    assert exc.result["changed_ids"] == [ids[0]]
    assert exc.failures[0]["id"] == ids[1] and "running" in exc.failures[0]["message"] and "force: true" in exc.failures[0]["message"]
    assert provider.instances[ids[1]].state == "running"
    assert provider.calls_of("terminate") == [("terminate", [ids[0]], False)]


def test_release_force_releases_running():
    ids, provider = fleet("running")
    result = release.run(params(instance_ids=ids, force=True), rt=runtime(provider))
    assert result["changed_ids"] == ids and result["instances"][0]["state"] == "terminated"


def test_release_terminated_is_unchanged_and_an_unknown_id_is_not_found_never_terminated():
    ids, provider = fleet("terminated")
    missing = aws_id(99)
    rt = runtime(provider)
    result = release.run(params(instance_ids=ids + [missing]), rt=rt)
    assert result["changed"] is False and result["unchanged_ids"] == ids
    assert result["not_found_ids"] == [missing]
    assert [r["state"] for r in result["instances"]] == ["terminated", "not-found"]
    assert provider.calls_of("terminate") == []
    assert len(rt.warnings) == 1 and missing in rt.warnings[0] and "another region or account" in rt.warnings[0]


def test_fail_on_not_found_makes_an_unknown_id_a_failure_and_still_releases_the_rest():
    ids, provider = fleet("stopped")
    missing = aws_id(99)
    with pytest.raises(TaskFailure) as exc:
        release.run(params(instance_ids=ids + [missing], fail_on_not_found=True), rt=runtime(provider))
    assert [(f["id"], f["code"]) for f in exc.value.failures] == [(missing, "NotFound")]
    assert exc.value.result["changed_ids"] == ids and exc.value.result["not_found_ids"] == [missing]
    assert provider.instances[ids[0]].state == "terminated"


def test_an_instance_that_vanishes_after_its_release_reads_terminated():
    """ECS forgets a released instance at once: this run released it, so it is terminated, not not-found."""
    ids, provider = fleet("stopped")
    original = provider.terminate

    def terminate_and_forget(batch, force=False, dry_run=False):
        failures = original(batch, force=force, dry_run=dry_run)
        if not dry_run:
            for i in batch:
                provider.instances[i].state = "gone"
        return failures
    provider.terminate = terminate_and_forget
    result = release.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["changed_ids"] == ids and result["not_found_ids"] == []
    assert [r["state"] for r in result["instances"]] == ["terminated"]


def test_a_refused_terminate_is_read_again_and_what_terminated_anyway_is_released():
    """EC2 fails a TerminateInstances naming a protected instance yet terminates the instances of other zones."""
    ids, provider = fleet("stopped", "stopped")
    protected = ids[0]
    provider.instances[protected].protected = True

    def terminate(batch, force=False, dry_run=False):
        provider.calls.append(("terminate", list(batch), dry_run))
        for i in batch:
            if i != protected and not dry_run:
                provider.instances[i].state = "shutting-down"
        return dict((i, CloudError("OperationNotPermitted", "may not be terminated; disableApiTermination", "r", instance_id=i))
                    for i in batch)
    provider.terminate = terminate
    with pytest.raises(TaskFailure) as exc:
        release.run(params(instance_ids=ids), rt=runtime(provider))
    assert exc.value.result["changed_ids"] == [ids[1]]
    assert exc.value.result["protected_ids"] == [protected]
    assert [f["id"] for f in exc.value.failures] == [protected]


def test_release_protected_refused_without_disable():
    ids, provider = fleet("stopped", protected=True)
    with pytest.raises(TaskFailure, match="disable_protection: true"):
        release.run(params(instance_ids=ids), rt=runtime(provider))
    assert provider.calls_of("terminate") == [] and provider.calls_of("protection") == []


def test_release_disable_protection_turns_it_off_first():
    ids, provider = fleet("stopped", protected=True)
    result = release.run(params(instance_ids=ids, disable_protection=True), rt=runtime(provider))
    assert result["protection_disabled_ids"] == ids and result["changed_ids"] == ids
    names = [c[0] for c in provider.calls if c[0] != "describe"]
    assert names == ["protection", "terminate"]


def test_release_protection_discovered_on_terminate_like_ec2():
    ids, provider = fleet("stopped", protected=True)
    provider.protection_in_describe = False
    with pytest.raises(TaskFailure) as info:
        release.run(params(instance_ids=ids), rt=runtime(provider))
    # one code on both clouds; the cloud's own code stays in the message
    assert info.value.failures[0]["code"] == "DeletionProtection"
    assert "OperationNotPermitted" in info.value.failures[0]["message"]
    assert info.value.result["protected_ids"] == ids
    assert info.value.result["instances"][0]["deletion_protection"] is True
    result = release.run(params(instance_ids=ids, disable_protection=True), rt=runtime(provider))
    assert result["protection_disabled_ids"] == ids and result["changed_ids"] == ids


def test_release_check_mode_skips_calls_without_dry_run():
    ident = ecs_id(1)
    provider = FakeProvider(cloud="alicloud", instances={ident: FakeInstance("stopped", protected=True)},
                            dry_run_ops=("stop", "terminate"))
    result = release.run(params("alicloud", instance_ids=[ident], disable_protection=True), check_mode=True, rt=runtime(provider))
    assert result["changed_ids"] == [ident] and result["protection_disabled_ids"] == [ident]
    assert provider.calls_of("protection") == []
    assert all(c[2] for c in provider.calls_of("terminate"))
    assert provider.instances[ident].protected is True


# ---------------------------------------------------------------- auto_release_time

def test_auto_release_sets_then_unchanged():
    ids, provider = fleet("running", "stopped")
    p = params(instance_ids=ids, release_at="2026-12-01T06:00:45Z", state="present")
    result = auto_release.run(p, rt=runtime(provider, now=lambda: NOW))
    assert result["changed_ids"] == ids and result["auto_release_time"] == "2026-12-01T06:00:00Z"
    assert [r["auto_release_time"] for r in result["instances"]] == ["2026-12-01T06:00:00Z"] * 2
    again = auto_release.run(p, rt=runtime(provider, now=lambda: NOW))
    assert again["changed"] is False and again["unchanged_ids"] == ids


def test_auto_release_cancel():
    ids, provider = fleet("running", auto_release_time="2026-12-01T06:00:00Z")
    result = auto_release.run(params(instance_ids=ids, state="absent"), rt=runtime(provider, now=lambda: NOW))
    assert result["changed_ids"] == ids and result["instances"][0]["auto_release_time"] is None


def test_auto_release_bad_time_before_any_call():
    provider = FakeProvider()
    with pytest.raises(InputError, match="too soon"):
        auto_release.run(params(instance_ids=[aws_id(1)], release_in="10m", state="present"), rt=runtime(provider, now=lambda: NOW))
    assert provider.calls == []


def test_auto_release_check_mode_without_dry_run_api_makes_no_call():
    ident = ecs_id(1)
    provider = FakeProvider(cloud="alicloud", instances={ident: FakeInstance("running")}, dry_run_ops=("stop",))
    result = auto_release.run(params("alicloud", instance_ids=[ident], release_in="6h", state="present"),
                              check_mode=True, rt=runtime(provider, now=lambda: NOW))
    assert result["changed_ids"] == [ident]
    assert provider.calls_of("auto_release") == []


def test_auto_release_on_terminated_fails():
    ids, provider = fleet("terminated")
    with pytest.raises(TaskFailure, match="nothing left to release"):
        auto_release.run(params(instance_ids=ids, release_in="6h", state="present"), rt=runtime(provider, now=lambda: NOW))


# ---------------------------------------------------------------- state_info

def test_state_info_by_ids_with_health():
    ids, provider = fleet("running", "terminated")
    result = state_info.run(params(instance_ids=ids + [aws_id(77)], filters=None, include_health=True), rt=runtime(provider))
    assert result["changed"] is False
    assert [r["state"] for r in result["instances"]] == ["running", "terminated", "not-found"]
    assert result["not_found_ids"] == [aws_id(77)]
    assert result["instances"][0]["health"]["instance_status"] == "ok"
    assert result["instances"][2]["health"] == {"instance_status": None, "system_status": None, "events": []}
    assert provider.calls_of("health") == [("health", [ids[0]], False)]


def test_state_info_filters():
    ids, provider = fleet("running", "stopped")
    result = state_info.run(params(instance_ids=None, filters={"state": "stopped"}), rt=runtime(provider))
    assert [r["id"] for r in result["instances"]] == [ids[1]]


@pytest.mark.parametrize("filters, message", [
    ({"colour": "red"}, "unknown filter"),
    ({"state": "asleep"}, "unknown state"),
    ({"tags": "env=prod"}, "filters.tags"),
])
def test_state_info_bad_filters(filters, message):
    with pytest.raises(InputError, match=message):
        state_info.run(params(instance_ids=None, filters=filters), rt=runtime(FakeProvider()))


# ---------------------------------------------------------------- per-id attribution of batch errors

def test_per_id_splits_out_named_ids_and_retries_the_rest():
    sent = []

    def call(ids):
        sent.append(list(ids))
        bad = [i for i in ids if i in ("i-0000000b", "i-0000000c")]
        if bad:
            raise CloudError("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist" % ", ".join(bad), "r")
        return {}
    failures = run_per_id(call, ["i-0000000a", "i-0000000b", "i-0000000c", "i-0000000d"], lambda e: False)
    assert sorted(failures) == ["i-0000000b", "i-0000000c"]
    assert failures["i-0000000b"].instance_id == "i-0000000b"
    assert sent[-1] == ["i-0000000a", "i-0000000d"]


def test_per_id_fatal_errors_are_not_split():
    def call(ids):
        raise CloudError("AuthFailure", "bad credentials", "r")
    with pytest.raises(CloudError):
        run_per_id(call, ["i-0000000a", "i-0000000b"], lambda e: e.code == "AuthFailure")


def test_per_id_unnamed_error_falls_back_to_single_calls():
    sent = []

    def call(ids):
        sent.append(list(ids))
        if "i-0000000b" in ids:
            raise CloudError("IncorrectInstanceState", "something is off", "r")
        return {}
    failures = run_per_id(call, ["i-0000000a", "i-0000000b"], lambda e: False)
    assert list(failures) == ["i-0000000b"]
    assert ["i-0000000a"] in sent


def test_per_id_unnamed_error_is_narrowed_down_by_halves_not_one_call_per_id():
    """3 refused ids among 100 (EC2 InsufficientInstanceCapacity names no instance): about 3 * log2(100) calls."""
    ids = ["i-%08x" % n for n in range(100)]
    refused = {ids[5], ids[50], ids[77]}
    sent = []

    def call(batch):
        sent.append(list(batch))
        if refused & set(batch):
            raise CloudError("InsufficientInstanceCapacity", "We currently do not have sufficient capacity", "r", http_status=500)
        return {}
    failures = run_per_id(call, ids, lambda e: False)
    assert set(failures) == refused and all(f.code == "InsufficientInstanceCapacity" for f in failures.values())
    assert len(sent) < 45, len(sent)
    succeeded = set(i for batch in sent for i in batch if not refused & set(batch))
    assert succeeded == set(ids) - refused  # every other id went through in some call


def test_fake_clock_is_used():
    clock = FakeClock()
    ids, provider = fleet("running")
    stop.run(params(instance_ids=ids), rt=runtime(provider, clock=clock))
    assert clock.now > 0
