"""per_id: a batch call's whole-call error attributed to the ids it concerns."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.per_id import run_per_id


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
