"""instance_stop force: true on an instance stuck in stopping sends it a forced stop (the documented way out)."""
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import stop

from ..fakes import FakeInstance, FakeProvider, aws_id, params, runtime


def test_force_sends_a_stopping_instance_a_forced_stop():
    ids = [aws_id(1), aws_id(2)]
    provider = FakeProvider(instances={ids[0]: FakeInstance("stopping"), ids[1]: FakeInstance("stopped")})
    result = stop.run(params(instance_ids=ids, force=True), rt=runtime(provider))
    assert provider.calls_of("stop") == [("stop", [ids[0]], False)]
    assert result["changed_ids"] == [ids[0]] and result["unchanged_ids"] == [ids[1]]


def test_without_force_a_stopping_instance_is_only_waited_for():
    ids = [aws_id(1)]
    provider = FakeProvider(instances={ids[0]: FakeInstance("stopping")})
    result = stop.run(params(instance_ids=ids), rt=runtime(provider))
    assert provider.calls_of("stop") == [] and result["unchanged_ids"] == ids
