"""dry_run=True: every provider answers {} for what would pass, sends only DryRun calls (or none, where the
API has no DryRun) and changes nothing."""
import pytest


def snapshot(subject, ids):
    return subject.provider.describe(ids)


@pytest.mark.parametrize("operation, state", [
    ("stop", "running"), ("start", "stopped"), ("reboot", "running"), ("terminate", "stopped"),
])
def test_a_dry_run_changes_nothing_and_sends_only_dry_runs(subject, operation, state):
    ids = subject.launch(2, state=state)
    before = snapshot(subject, ids)
    subject.reset_calls()
    assert getattr(subject.provider, operation)(ids, dry_run=True) == {}
    calls = subject.calls(operation)
    assert calls and all(c.dry_run for c in calls), calls
    subject.settle()
    assert snapshot(subject, ids) == before


def test_a_dry_run_refuses_a_wrong_state_only_where_the_cloud_checks_states(subject):
    """ECS checks every instance's status in an AllTogether dry run; EC2's DryRun checks permissions only."""
    running = subject.launch(1)
    stopped = subject.launch(1, state="stopped")
    failures = subject.provider.reboot(running + stopped, dry_run=True)
    expected = {stopped[0]: subject.expect["wrong_state_code"]} if subject.expect["dry_run_checks_state"] else {}
    assert dict((i, e.code) for i, e in failures.items()) == expected
    subject.settle()
    assert dict((i, r["state"]) for i, r in snapshot(subject, running + stopped).items()) == {
        running[0]: "running", stopped[0]: "stopped"}


def test_a_dry_run_release_of_a_protected_instance_passes_as_the_clouds_do(subject):
    """Neither cloud's dry run of the release reads protection (EC2 checks permissions, ECS DeleteInstances
    answers DRYRUN.SUCCESS): the core learns protection from read_protection, not from a dry run."""
    protected = subject.launch(1, state="stopped", protected=True)
    assert subject.provider.terminate(protected, dry_run=True) == {}
    subject.settle()
    assert snapshot(subject, protected)[protected[0]]["state"] == "stopped"


@pytest.mark.parametrize("operation", ["protection", "auto_release"])
def test_modify_dry_runs_are_sent_only_where_the_api_has_them(subject, operation, release_time):
    ids = subject.launch(2)
    before = snapshot(subject, ids)
    subject.reset_calls()
    if operation == "protection":
        answer = subject.provider.set_deletion_protection(ids, True, dry_run=True)
    else:
        answer = subject.provider.set_auto_release_time(ids, release_time, dry_run=True)
    assert answer == {}
    supported = subject.expect["dry_run_supported"][operation]
    assert (operation in subject.provider.capabilities.dry_run_ops) is supported
    calls = subject.calls(operation)
    assert all(c.dry_run for c in calls) and (len(calls) > 0) is supported, calls
    assert snapshot(subject, ids) == before
    assert subject.provider.read_protection(ids) == dict.fromkeys(ids, False)


@pytest.mark.parametrize("operation", ["stop", "terminate"])
def test_stop_and_release_always_have_a_dry_run(subject, operation):
    assert operation in subject.provider.capabilities.dry_run_ops
