"""A batch of ids (at most 100 a call) costs one API call, or one per id where the API takes one id."""
import pytest

BATCH = 100


def calls_of(subject, operation, ids, action):
    """What `action` answered; asserts its calls named each id once, at most BATCH a call, in the calls expected."""
    subject.reset_calls()
    answer = action()
    calls = subject.calls(operation)
    assert all(len(c.ids) <= BATCH for c in calls), calls
    assert sorted(i for c in calls for i in c.ids) == sorted(ids), operation
    assert len(calls) == (1 if subject.expect["calls"][operation] == "one" else len(ids)), (operation, calls)
    return answer


def test_a_batch_of_100_is_one_call_of_each_batch_operation(subject):
    ids = subject.launch(BATCH)
    provider = subject.provider
    assert len(calls_of(subject, "describe", ids, lambda: provider.describe(ids))) == BATCH
    assert len(calls_of(subject, "health", ids, lambda: provider.health(ids))) == BATCH
    assert sorted(r["id"] for r in provider.list_instances(states=["running"])) == sorted(ids)  # every page
    assert calls_of(subject, "reboot", ids, lambda: provider.reboot(ids)) == {}
    subject.settle()
    assert calls_of(subject, "stop", ids, lambda: provider.stop(ids)) == {}
    subject.settle()
    assert calls_of(subject, "start", ids, lambda: provider.start(ids)) == {}
    subject.settle()
    assert calls_of(subject, "terminate", ids, lambda: provider.terminate(ids, force=True)) == {}
    subject.settle()
    assert provider.list_instances(states=["pending", "running", "stopping", "stopped"]) == []


@pytest.mark.parametrize("operation", ["protection", "auto_release"])
def test_the_modify_calls_are_one_a_batch_or_one_an_id_as_the_api_takes_them(subject, operation, release_time):
    ids = subject.launch(3)

    def action():
        if operation == "protection":
            return subject.provider.set_deletion_protection(ids, True)
        return subject.provider.set_auto_release_time(ids, release_time)
    assert calls_of(subject, operation, ids, action) == {}
