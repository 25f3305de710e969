"""Issue 12: what a module reports is what happened (not found, protection, check mode, wait 0, messages)."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import (
    auto_release, clone, command, image, release, snapshot, state_info, stop,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import stop as stop_module
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import (
    INITIALIZING, CloudError, InputError, TaskFailure, connection_reason, describe_failures,
)

from .fakes import NOW, FakeInstance, FakeProvider, ResourceProvider, aws_id, ecs_id, fleet, params, runtime


# ---------------------------------------------------------------- 1. not found, never terminated

@pytest.mark.parametrize("operation, extra", [
    (stop.run, {}),
    (release.run, {}),
    (auto_release.run, {"release_in": "6h", "state": "present"}),
])
def test_an_unknown_id_is_not_found_in_every_changing_module_and_warned_about(operation, extra):
    ids, provider = fleet("stopped")
    missing = aws_id(500)
    rt = runtime(provider, now=lambda: NOW)
    result = operation(params(instance_ids=ids + [missing], **extra), rt=rt)
    assert result["not_found_ids"] == [missing]
    assert missing not in result["changed_ids"] + result["unchanged_ids"]
    record = [r for r in result["instances"] if r["id"] == missing][0]
    assert record["state"] == "not-found" and record["raw_state"] is None
    assert [w for w in rt.warnings if missing in w and "released earlier" in w]
    # nothing was sent for it
    assert all(missing not in c[1] for c in provider.calls if c[0] not in ("describe",))


def test_a_fleet_of_only_unknown_ids_is_ok_and_unchanged_by_default():
    provider = FakeProvider(instances={})
    ids = [aws_id(1), aws_id(2)]
    result = release.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["changed"] is False and result["failures"] == [] and result["not_found_ids"] == ids


def test_fail_on_not_found_fails_state_info_with_the_ids():
    ids, provider = fleet("running")
    with pytest.raises(TaskFailure) as exc:
        state_info.run(params(instance_ids=ids + [aws_id(9)], filters=None, fail_on_not_found=True), rt=runtime(provider))
    assert [f["id"] for f in exc.value.failures] == [aws_id(9)]
    assert "not found" in exc.value.message and "fail_on_not_found: true" not in exc.value.message


def test_fail_on_not_found_without_ids_is_refused_before_any_call():
    provider = FakeProvider()
    with pytest.raises(InputError, match="instance_ids"):
        state_info.run(params(instance_ids=None, filters={"state": "running"}, fail_on_not_found=True), rt=runtime(provider))
    assert provider.calls == []


def test_instance_command_reports_an_unknown_target_as_not_found_not_as_an_error():
    ids, provider = fleet("running", cloud="alicloud")
    missing = ecs_id(77)
    rt = runtime(provider)
    result = command.run(dict(params("alicloud", instance_ids=ids + [missing]), content="true", command_type="RunShellScript",
                              timeout=60, then="none", concurrency="10", max_errors="0"), rt=rt)
    assert result["not_found_ids"] == [missing] and result["failed_ids"] == []
    assert [r["status"] for r in result["results"]] == ["success", "not_found"]
    assert [c[1] for c in provider.calls_of("run_command")] == [ids]


@pytest.mark.parametrize("operation, extra", [
    (snapshot.run, {"snapshot_tag": "t1", "tags": None}),
    (image.run, {"name": "img", "state": "present", "tags": None, "delete_snapshots": False}),
    (clone.run, {"source": "image", "image_ids": {}, "snapshot_tag": None, "tags": None}),
])
def test_resource_modules_report_an_unknown_source_as_not_found(operation, extra):
    provider = ResourceProvider(instances={})
    missing = aws_id(3)
    result = operation(params(instance_ids=[missing], **extra), rt=runtime(provider))
    assert result["not_found_ids"] == [missing] and result["failures"] == []


# ---------------------------------------------------------------- 2. protection and scheduled release

def test_auto_release_refuses_a_protected_instance_and_schedules_the_rest():
    ids, provider = fleet("stopped", "stopped", cloud="alicloud")
    provider.instances[ids[0]].protected = True
    with pytest.raises(TaskFailure) as exc:
        auto_release.run(params("alicloud", instance_ids=ids, release_in="6h", state="present"),
                         rt=runtime(provider, now=lambda: NOW))
    result = exc.value.result
    assert result["protected_ids"] == [ids[0]] and result["changed_ids"] == [ids[1]]
    assert [(f["id"], f["code"]) for f in exc.value.failures] == [(ids[0], "DeletionProtection")]
    assert provider.instances[ids[0]].auto_release_time is None
    assert [c[1] for c in provider.calls_of("auto_release")] == [[ids[1]]]


def test_auto_release_disable_protection_turns_it_off_then_schedules():
    ids, provider = fleet("stopped", cloud="alicloud", protected=True)
    result = auto_release.run(params("alicloud", instance_ids=ids, release_in="6h", state="present", disable_protection=True),
                              rt=runtime(provider, now=lambda: NOW))
    assert result["protection_disabled_ids"] == ids and result["changed_ids"] == ids
    names = [c[0] for c in provider.calls if c[0] in ("protection", "auto_release")]
    assert names == ["protection", "auto_release"]
    assert provider.instances[ids[0]].protected is False and provider.instances[ids[0]].auto_release_time


def test_a_refused_schedule_gives_the_instance_its_protection_back():
    ids, provider = fleet("stopped", cloud="alicloud", protected=True)
    provider.set_auto_release_time = lambda batch, value, dry_run=False: dict(
        (i, CloudError("InvalidAutoReleaseTime.Malformed", "too soon", "r", instance_id=i)) for i in batch)
    with pytest.raises(TaskFailure) as exc:
        auto_release.run(params("alicloud", instance_ids=ids, release_in="6h", state="present", disable_protection=True),
                         rt=runtime(provider, now=lambda: NOW))
    assert provider.instances[ids[0]].protected is True
    assert [c[0] for c in provider.calls if c[0] == "protection"] == ["protection", "protection"]
    assert exc.value.result["protection_disabled_ids"] == [] and exc.value.result["changed_ids"] == []


def test_auto_release_on_ec2_reads_protection_of_every_live_instance_and_refuses_one_already_scheduled():
    """A protected instance that already has the asked time would be released at it just the same."""
    ids, provider = fleet("stopped", "stopped", "terminated")
    provider.protection_in_describe = False
    provider.instances[ids[1]].auto_release_time = "2026-11-22T10:00:00Z"
    provider.instances[ids[1]].protected = True
    with pytest.raises(TaskFailure) as exc:
        auto_release.run(params(instance_ids=ids, release_at="2026-11-22T10:00:00Z", state="present"),
                         rt=runtime(provider, now=lambda: NOW))
    assert [c[1] for c in provider.calls_of("read_protection")] == [[ids[0]], [ids[1]]]  # not the terminated one
    assert exc.value.result["protected_ids"] == [ids[1]] and exc.value.result["unchanged_ids"] == []
    assert "already has a release time (2026-11-22T10:00:00Z)" in [f for f in exc.value.failures if f["id"] == ids[1]][0]["message"]


def test_a_whole_call_error_after_protection_was_turned_off_turns_it_back_on():
    ids, provider = fleet("stopped", cloud="alicloud", protected=True)

    def refuse(batch, value, dry_run=False):
        raise CloudError("ServiceUnavailable", "try later", "r", http_status=503)
    provider.set_auto_release_time = refuse
    with pytest.raises(CloudError):
        auto_release.run(params("alicloud", instance_ids=ids, release_in="6h", state="present", disable_protection=True),
                         rt=runtime(provider, now=lambda: NOW))
    assert provider.instances[ids[0]].protected is True


def test_cancelling_a_release_is_allowed_on_a_protected_instance():
    ids, provider = fleet("stopped", protected=True, auto_release_time="2026-11-22T10:00:00Z")
    result = auto_release.run(params(instance_ids=ids, state="absent"), rt=runtime(provider, now=lambda: NOW))
    assert result["changed_ids"] == ids and provider.calls_of("read_protection") == []


# ---------------------------------------------------------------- 3. EC2 protection is read where it matters

def test_state_info_include_protection_fills_ec2_protection_for_live_instances_only():
    ids, provider = fleet("running", "terminated")
    provider.protection_in_describe = False
    provider.instances[ids[0]].protected = True
    result = state_info.run(params(instance_ids=ids, filters=None, include_protection=True), rt=runtime(provider))
    assert [r["deletion_protection"] for r in result["instances"]] == [True, None]
    assert [c[1] for c in provider.calls_of("read_protection")] == [[ids[0]]]


def test_release_check_mode_predicts_ec2_protection_refusals():
    ids, provider = fleet("stopped", "stopped")
    provider.protection_in_describe = False
    provider.instances[ids[0]].protected = True
    with pytest.raises(TaskFailure) as exc:
        release.run(params(instance_ids=ids), check_mode=True, rt=runtime(provider))
    assert exc.value.result["protected_ids"] == [ids[0]] and exc.value.result["changed_ids"] == [ids[1]]
    assert provider.calls_of("terminate", dry_run=False) == []


# ---------------------------------------------------------------- 5. check mode says what would happen

def test_check_mode_diff_shows_the_planned_states():
    ids, provider = fleet("running", "stopped")
    result = stop.run(params(instance_ids=ids), check_mode=True, rt=runtime(provider))
    assert result["diff"] == {"before": {ids[0]: {"state": "running"}}, "after": {ids[0]: {"state": "stopped"}}}
    assert provider.calls_of("stop", dry_run=False) == []


def test_release_diff_after_a_real_run_is_what_the_cloud_reads():
    ids, provider = fleet("stopped")
    result = release.run(params(instance_ids=ids), rt=runtime(provider))
    assert result["diff"] == {"before": {ids[0]: {"state": "stopped"}}, "after": {ids[0]: {"state": "terminated"}}}


# ---------------------------------------------------------------- 6. wait_timeout 0

@pytest.mark.parametrize("operation, extra", [
    (stop.run, {}),
    (release.run, {}),
    (snapshot.run, {"snapshot_tag": "t1", "tags": None}),
    (image.run, {"name": "img", "state": "present", "tags": None, "delete_snapshots": False}),
    (clone.run, {"source": "image", "image_ids": {}, "snapshot_tag": None, "tags": None}),
])
def test_wait_timeout_zero_is_refused_before_any_call(operation, extra):
    ids, provider = fleet("running")
    with pytest.raises(InputError, match="wait_timeout must be 1 or more seconds, got 0; to send the call and not wait, set wait: false"):
        operation(params(instance_ids=ids, wait_timeout=0, **extra), rt=runtime(provider))
    assert provider.calls == []


# ---------------------------------------------------------------- 8. messages

def test_failures_are_grouped_by_code_in_the_message():
    failures = [{"id": "i-%03d" % n, "code": "DeletionProtection", "message": "protection is on"} for n in range(100)]
    failures.append({"id": "i-x", "code": "IncorrectInstanceState", "message": "instance is running"})
    text = describe_failures(failures)
    assert text.startswith("DeletionProtection: 100 instances (protection is on): i-000, i-001")
    assert "and 90 more" in text and text.count("protection is on") == 1
    assert "IncorrectInstanceState: 1 instance (instance is running): i-x" in text
    assert len(text) < 400


def test_different_messages_of_one_code_show_one_as_an_example():
    failures = [{"id": "i-1", "code": "IncorrectInstanceState", "message": "instance is running"},
                {"id": "i-2", "code": "IncorrectInstanceState", "message": "instance is pending"}]
    assert describe_failures(failures) == "IncorrectInstanceState: 2 instances (e.g. instance is running): i-1, i-2"


@pytest.mark.parametrize("text, reason", [
    ("HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: /?x (Caused by NewConnectionError("
     "\"HTTPConnection(host='127.0.0.1', port=1): Failed to establish a new connection: [Errno 111] Connection refused\"))",
     "connection refused"),
    ("Failed to resolve 'ecs.us-east-9.aliyuncs.com' ([Errno -2] Name or service not known)", "name or service not known"),
    ("Read timed out. (read timeout=30)", "timed out"),
])
def test_connection_errors_say_why_in_a_few_words(text, reason):
    assert connection_reason(text) == reason


# ---------------------------------------------------------------- issue 13, collection side

def test_ecs_hibernate_is_refused_before_any_call():
    ids, provider = fleet("running", cloud="alicloud")
    with pytest.raises(InputError, match="hibernate is not available on ECS"):
        stop.run(params("alicloud", instance_ids=ids, hibernate=True), rt=runtime(provider))
    assert provider.calls == []


def test_a_force_release_of_an_initializing_ecs_instance_waits_until_it_runs_then_releases_it():
    ids, provider = fleet("pending", cloud="alicloud")
    original = provider.terminate

    def terminate(batch, force=False, dry_run=False):
        if any(provider.instances[i].state == "pending" for i in batch):
            provider.calls.append(("terminate", list(batch), dry_run))
            return dict((i, CloudError("IncorrectInstanceStatus.Initializing", "The instance is initializing.", "r", instance_id=i,
                                       kind=INITIALIZING))
                        for i in batch)
        return original(batch, force=force, dry_run=dry_run)
    provider.terminate = terminate
    result = release.run(params("alicloud", instance_ids=ids, force=True), rt=runtime(provider))
    assert result["changed_ids"] == ids and result["failures"] == []
    assert [c[1] for c in provider.calls_of("terminate")] == [ids, ids]
    assert provider.instances[ids[0]].state == "terminated"


def test_an_instance_released_by_someone_else_just_before_our_call_is_not_counted_as_ours():
    ids, provider = fleet("stopped", "stopped", cloud="alicloud")

    def terminate(batch, force=False, dry_run=False):
        provider.calls.append(("terminate", list(batch), dry_run))
        provider.instances[ids[0]].state = "gone"  # someone else's release got there first
        provider.instances[ids[1]].state = "shutting-down"
        return {ids[0]: CloudError("InvalidInstanceId.NotFound", "The specified InstanceId does not exist.", "r", instance_id=ids[0])}
    provider.terminate = terminate
    result = release.run(params("alicloud", instance_ids=ids), rt=runtime(provider))
    assert result["changed_ids"] == [ids[1]] and result["not_found_ids"] == [ids[0]] and result["failures"] == []


def test_a_whole_call_error_on_release_turns_protection_back_on():
    ids, provider = fleet("stopped", cloud="alicloud", protected=True)

    def terminate(batch, force=False, dry_run=False):
        raise CloudError("ServiceUnavailable", "try later", "r", http_status=503)
    provider.terminate = terminate
    with pytest.raises(CloudError):
        release.run(params("alicloud", instance_ids=ids, disable_protection=True), rt=runtime(provider))
    assert provider.instances[ids[0]].protected is True


def test_a_whole_call_error_on_a_later_batch_keeps_what_the_earlier_batches_did():
    ids = [aws_id(n) for n in range(1, 151)]
    provider = FakeProvider(instances=dict((i, FakeInstance("running")) for i in ids))
    original = provider.stop

    def stop(batch, **kwargs):
        if len(provider.calls_of("stop")) == 1:  # the second batch
            provider.calls.append(("stop", list(batch), kwargs.get("dry_run")))
            raise CloudError("RequestLimitExceeded", "Request limit exceeded.", "r", http_status=503)
        return original(batch, **kwargs)
    provider.stop = stop
    with pytest.raises(TaskFailure) as exc:
        stop_module.run(params(instance_ids=ids), rt=runtime(provider))
    result = exc.value.result
    assert result["changed_ids"] == ids[:100] and {r["state"] for r in result["instances"][:100]} == {"stopped"}
    assert [f["id"] for f in exc.value.failures] == ids[100:]
    assert exc.value.failures[0]["code"] == "RequestLimitExceeded" and "after 1 batch(es) went through" in exc.value.failures[0]["message"]
