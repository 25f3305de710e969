"""auto_release_time: the decisions on the fake provider."""
import pytest

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops import auto_release
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import InputError, TaskFailure

from ..fakes import NOW, FakeInstance, FakeProvider, aws_id, ecs_id, fleet, params, runtime


def test_auto_release_sets_then_unchanged():
    ids, provider = fleet("running", "stopped")
    p = params(instance_ids=ids, release_at="2026-12-01T06:00:45Z", state="present")
    result = auto_release.run(p, rt=runtime(provider, now=lambda: NOW))
    assert result["changed_ids"] == ids and result["auto_release_time"] == "2026-12-01T06:00:00Z"
    assert [r["auto_release_time"] for r in result["instances"]] == ["2026-12-01T06:00:00Z"] * 2
    again = auto_release.run(p, rt=runtime(provider, now=lambda: NOW))
    assert again["changed"] is False and again["unchanged_ids"] == ids


def test_auto_release_cancel():
    ids, provider = fleet("running", auto_release_time="2026-12-01T06:00:00Z")
    result = auto_release.run(params(instance_ids=ids, state="absent"), rt=runtime(provider, now=lambda: NOW))
    assert result["changed_ids"] == ids and result["instances"][0]["auto_release_time"] is None


def test_auto_release_bad_time_before_any_call():
    provider = FakeProvider()
    with pytest.raises(InputError, match="too soon"):
        auto_release.run(params(instance_ids=[aws_id(1)], release_in="10m", state="present"), rt=runtime(provider, now=lambda: NOW))
    assert provider.calls == []


def test_auto_release_check_mode_without_dry_run_api_makes_no_call():
    ident = ecs_id(1)
    provider = FakeProvider(cloud="alicloud", instances={ident: FakeInstance("running")}, dry_run_ops=("stop",))
    result = auto_release.run(params("alicloud", instance_ids=[ident], release_in="6h", state="present"),
                              check_mode=True, rt=runtime(provider, now=lambda: NOW))
    assert result["changed_ids"] == [ident]
    assert provider.calls_of("auto_release") == []


def test_auto_release_on_terminated_fails():
    ids, provider = fleet("terminated")
    with pytest.raises(TaskFailure, match="nothing left to release"):
        auto_release.run(params(instance_ids=ids, release_in="6h", state="present"), rt=runtime(provider, now=lambda: NOW))
