"""instance_release: the decisions on the fake provider."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import release
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import PROTECTED, CloudError, TaskFailure

from ..fakes import FakeInstance, FakeProvider, aws_id, ecs_id, fleet, params, runtime


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
        return dict((i, CloudError("OperationNotPermitted", "may not be terminated; disableApiTermination", "r", instance_id=i,
                                   kind=PROTECTED))
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
