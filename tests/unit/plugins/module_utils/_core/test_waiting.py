import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import describer
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import STOPPED, TERMINATED, WaitSpec, timeout_message, wait_for

from ..fakes import FakeClock, FakeInstance, FakeProvider, aws_id


def run_wait(provider, ids, spec, timeout, clock=None):
    clock = clock or FakeClock()
    result = wait_for(describer(provider), ids, spec, timeout, clock=clock.clock, sleep=clock.sleep, rand=lambda: 0.5)
    return result, clock


def test_wait_arrives_and_polls_in_batches_of_100():
    ids = [aws_id(n) for n in range(250)]
    provider = FakeProvider(instances=dict((i, FakeInstance("stopping")) for i in ids))
    result = run_wait(provider, ids, STOPPED, 60)[0]
    assert result.ok and sorted(result.arrived) == sorted(ids)
    rounds = provider.calls_of("describe")
    assert all(len(c[1]) <= 100 for c in rounds)
    assert result.polls == len(rounds) == 6  # 2 rounds x 3 calls


def test_only_ids_still_waiting_are_described_again():
    fast, slow = aws_id(1), aws_id(2)
    provider = FakeProvider(instances={fast: FakeInstance("stopped"), slow: FakeInstance("stopping")})
    run_wait(provider, [fast, slow], STOPPED, 60)
    assert provider.calls_of("describe")[-1][1] == [slow]


def test_timeout_names_each_id_with_its_state():
    stuck, ok = aws_id(1), aws_id(2)
    provider = FakeProvider(instances={stuck: FakeInstance("stopping", stuck=True), ok: FakeInstance("stopping")})
    result, clock = run_wait(provider, [stuck, ok], STOPPED, 30)
    assert result.timed_out == {stuck: "stopping"}
    assert ok in result.arrived
    assert clock.now == pytest.approx(30)
    message = timeout_message(STOPPED, result, 30)
    assert stuck in message and "stopping" in message and "force: true" in message and "replace" in message


def test_failure_state_ends_the_wait_for_that_id():
    gone = aws_id(3)
    provider = FakeProvider(instances={gone: FakeInstance("shutting-down")})
    result = run_wait(provider, [gone], STOPPED, 60)[0]
    assert not result.timed_out
    assert result.failed[gone] in ("shutting-down", "terminated")


def test_absent_ids_count_as_terminated():
    missing = aws_id(4)
    result = run_wait(FakeProvider(), [missing], TERMINATED, 10)[0]
    assert result.arrived == [missing]


def test_sleeps_are_jittered_grow_and_are_capped():
    provider = FakeProvider(instances={aws_id(5): FakeInstance("stopping", stuck=True)})
    spec = WaitSpec("stopped", ["stopped"])
    clock = FakeClock()
    wait_for(describer(provider), [aws_id(5)], spec, 100, clock=clock.clock, sleep=clock.sleep, rand=lambda: 1.0)
    assert clock.sleeps[0] == pytest.approx(0.5 * 1.25)
    assert max(clock.sleeps) <= 5.0 * 1.25
    assert clock.sleeps[1] > clock.sleeps[0]


def test_zero_timeout_polls_once():
    provider = FakeProvider(instances={aws_id(6): FakeInstance("stopping", stuck=True)})
    result, clock = run_wait(provider, [aws_id(6)], STOPPED, 0)
    assert result.polls == 1 and result.timed_out and clock.sleeps == []


class TimedFleet:
    """Instances that all reach `state` at t = `at` on the fake clock (as ids sent in one call do)."""

    def __init__(self, ids, clock, at, before="stopping", state="stopped", late=()):
        self.ids, self.clock, self.at, self.before, self.state, self.late = ids, clock, at, before, state, set(late)
        self.calls = []

    def describe(self, ids):
        assert len(ids) <= 100
        self.calls.append(list(ids))
        arrived = self.clock.now >= self.at
        return dict((i, {"id": i, "state": self.state if arrived and i not in self.late else self.before}) for i in ids)


def test_a_fleet_moving_together_costs_one_probe_per_sleep_plus_one_describe_per_100():
    clock = FakeClock()
    ids = [aws_id(n) for n in range(500)]
    fleet = TimedFleet(ids, clock, at=1.0)
    result = wait_for(fleet.describe, ids, STOPPED, 60, clock=clock.clock, sleep=clock.sleep, rand=lambda: 0.5)
    assert result.ok and result.arrived == ids
    # probes of the first 100 at t=0, 0.5 (both stopping), 1.25 (stopped), then the other 400 at once
    assert [len(c) for c in fleet.calls] == [100, 100, 100, 100, 100, 100, 100]
    assert fleet.calls[0] == fleet.calls[1] == fleet.calls[2] == ids[:100]
    assert len(clock.sleeps) == 2 and result.polls == 7


def test_a_probe_timeout_still_describes_every_id_once_before_reporting():
    clock = FakeClock()
    ids = [aws_id(n) for n in range(250)]
    stuck = ids[3]
    fleet = TimedFleet(ids, clock, at=1.0, late=[stuck])
    result = wait_for(fleet.describe, ids, STOPPED, 10, clock=clock.clock, sleep=clock.sleep, rand=lambda: 0.5)
    assert result.timed_out == {stuck: "stopping"}
    assert sorted(result.arrived) == sorted(i for i in ids if i != stuck)
    described = set(i for call in fleet.calls for i in call)
    assert described == set(ids)
