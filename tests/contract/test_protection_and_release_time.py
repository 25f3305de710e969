"""set_deletion_protection and set_auto_release_time, read back through the provider's own reads."""
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import PROTECTED


def test_protection_set_reads_back_and_guards_the_release(subject):
    ids = subject.launch(2, state="stopped")
    assert subject.provider.set_deletion_protection(ids, True) == {}
    assert subject.provider.read_protection(ids) == dict.fromkeys(ids, True)
    if subject.expect["protection_in_describe"]:
        assert [r["deletion_protection"] for r in subject.provider.describe(ids).values()] == [True, True]
    failures = subject.provider.terminate(ids)
    assert sorted(failures) == sorted(ids) and all(e.kind == PROTECTED for e in failures.values())

    assert subject.provider.set_deletion_protection(ids[:1], False) == {}
    assert subject.provider.read_protection(ids) == {ids[0]: False, ids[1]: True}
    assert subject.provider.terminate(ids[:1]) == {}


def test_protection_of_an_unknown_id_fails_alone(subject):
    ids = subject.launch(1)
    unknown = subject.unknown_id()
    failures = subject.provider.set_deletion_protection(ids + [unknown], True)
    assert dict((i, e.code) for i, e in failures.items()) == {unknown: subject.expect["not_found_code"]}
    assert subject.provider.read_protection(ids) == {ids[0]: True}


def test_auto_release_time_set_reads_back_and_cancels(subject, release_time):
    ids = subject.launch(2)
    assert subject.provider.set_auto_release_time(ids, release_time) == {}
    assert [r["auto_release_time"] for r in subject.provider.describe(ids).values()] == [release_time] * 2
    assert subject.provider.set_auto_release_time(ids[:1], None) == {}
    found = subject.provider.describe(ids)
    assert (found[ids[0]]["auto_release_time"], found[ids[1]]["auto_release_time"]) == (None, release_time)


def test_auto_release_time_of_an_unknown_id_fails_alone(subject, release_time):
    ids = subject.launch(1)
    unknown = subject.unknown_id()
    failures = subject.provider.set_auto_release_time(ids + [unknown], release_time)
    assert dict((i, e.code) for i, e in failures.items()) == {unknown: subject.expect["not_found_code"]}
    assert subject.provider.describe(ids)[ids[0]]["auto_release_time"] == release_time
