"""stop, start, reboot, terminate: per-id failure maps; an id the call cannot serve fails alone, the others go."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import NOT_FOUND, PROTECTED, WRONG_STATE


def states(subject, ids):
    return dict((i, r["state"]) for i, r in subject.provider.describe(ids).items())


def codes(failures):
    return dict((i, e.code) for i, e in failures.items())


def assert_failures_are_per_id(failures):
    for instance_id, error in failures.items():
        assert error.instance_id == instance_id and error.code and error.message


@pytest.mark.parametrize("operation, state, arrives", [("stop", "running", "stopped"), ("start", "stopped", "running")])
def test_an_unknown_id_fails_alone_and_the_others_go(subject, operation, state, arrives):
    ids = subject.launch(2, state=state)
    unknown = subject.unknown_id()
    failures = getattr(subject.provider, operation)(ids + [unknown])
    assert codes(failures) == {unknown: subject.expect["not_found_code"]}
    assert_failures_are_per_id(failures)
    subject.settle()
    assert states(subject, ids) == dict.fromkeys(ids, arrives)


def test_stop_of_a_stopped_instance_fails_alone_where_the_cloud_refuses_it(subject):
    running = subject.launch(1)
    stopped = subject.launch(1, state="stopped")
    failures = subject.provider.stop(running + stopped)
    expected = {stopped[0]: subject.expect["wrong_state_code"]} if subject.expect["stop_of_stopped_fails"] else {}
    assert codes(failures) == expected
    subject.settle()
    assert states(subject, running + stopped) == dict.fromkeys(running + stopped, "stopped")


def test_start_of_a_running_instance_fails_alone_where_the_cloud_refuses_it(subject):
    stopped = subject.launch(1, state="stopped")
    running = subject.launch(1)
    failures = subject.provider.start(stopped + running)
    expected = {running[0]: subject.expect["wrong_state_code"]} if subject.expect["start_of_running_fails"] else {}
    assert codes(failures) == expected
    assert states(subject, running) == {running[0]: "running"}  # refused, or answered as done: it stays running
    subject.settle()
    assert states(subject, stopped + running) == dict.fromkeys(stopped + running, "running")


def test_reboot_fails_a_stopped_instance_alone_and_reboots_the_running(subject):
    running = subject.launch(2)
    stopped = subject.launch(1, state="stopped")
    unknown = subject.unknown_id()
    failures = subject.provider.reboot(running + stopped + [unknown])
    assert codes(failures) == {stopped[0]: subject.expect["wrong_state_code"], unknown: subject.expect["not_found_code"]}
    assert_failures_are_per_id(failures)
    assert (failures[stopped[0]].kind, failures[unknown].kind) == (WRONG_STATE, NOT_FOUND)
    assert subject.provider.capabilities.reboot_evidence == subject.expect["reboot_evidence"]
    assert states(subject, running) == dict.fromkeys(running, subject.expect["running_just_after_reboot"])
    subject.settle()
    assert states(subject, running + stopped) == dict(dict.fromkeys(running, "running"), **{stopped[0]: "stopped"})


def released(subject, ids):
    """What describe answers for released ids: terminated, or nothing (ECS forgets them)."""
    reads = subject.expect["released_reads"]
    return dict.fromkeys(ids, reads) if reads else {}


def test_terminate_fails_a_protected_id_alone_and_releases_the_others(subject):
    ids = subject.launch(2, state="stopped")
    protected = subject.launch(1, state="stopped", protected=True)
    unknown = subject.unknown_id()
    failures = subject.provider.terminate(ids + protected + [unknown])
    assert sorted(failures) == sorted(protected + [unknown])
    assert failures[unknown].code == subject.expect["not_found_code"]
    assert_failures_are_per_id(failures)
    assert (failures[protected[0]].kind, failures[unknown].kind) == (PROTECTED, NOT_FOUND)
    subject.settle()
    assert states(subject, ids + protected) == dict(released(subject, ids), **{protected[0]: "stopped"})


def test_terminate_of_a_running_instance_needs_force_where_the_cloud_says_so(subject):
    stopped = subject.launch(1, state="stopped")
    running = subject.launch(1)
    failures = subject.provider.terminate(stopped + running)
    if subject.expect["terminate_needs_stopped"]:
        assert codes(failures) == {running[0]: subject.expect["wrong_state_code"]}
        assert subject.provider.terminate(running, force=True) == {}
    else:
        assert failures == {}
    subject.settle()
    assert states(subject, stopped + running) == released(subject, stopped + running)
