"""instance_state_info: reads, health and filters on the fake provider."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import state_info
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError

from ..fakes import FakeProvider, aws_id, fleet, params, runtime


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
