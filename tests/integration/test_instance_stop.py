"""instance_stop through real ansible-playbook runs against the sandbox, on both clouds."""
from cloudtest import is_mutating

STOP = "cloudfleet.lifecycle.instance_stop"


def stop_task(cloud, ids, name="stop", **args):
    return {"name": name, STOP: cloud.module_args(instance_ids=ids, **args), "register": "out"}


def test_stop_is_changed_once_then_unchanged(cloud, run_play):
    ids = cloud.launch(3)
    first = run_play([stop_task(cloud, ids)])
    assert first.rc == 0, first.output
    result = first.result("stop")
    assert result["changed"] is True
    assert sorted(result["changed_ids"]) == sorted(ids)
    assert result["unchanged_ids"] == []
    assert {r["id"]: r["state"] for r in result["instances"]} == {i: "stopped" for i in ids}
    assert set(cloud.states(ids).values()) == {"stopped"}

    cloud.reset_calls()
    second = run_play([stop_task(cloud, ids)])
    assert second.rc == 0, second.output
    result = second.result("stop")
    assert result["changed"] is False
    assert sorted(result["unchanged_ids"]) == sorted(ids)
    assert cloud.calls(cloud.stop_action) == []


def test_record_has_the_contract_fields(cloud, run_play):
    ids = cloud.launch(1)
    run = run_play([stop_task(cloud, ids)])
    record = run.result("stop")["instances"][0]
    for key in ("id", "cloud", "region", "state", "raw_state", "state_code", "auto_release_time",
                "deletion_protection", "instance_type", "tags"):
        assert key in record, key
    assert record["cloud"] == cloud.name and record["region"] == cloud.region
    if cloud.is_aws:
        assert (record["raw_state"], record["state_code"]) == ("stopped", 80)
    else:
        assert (record["raw_state"], record["state_code"]) == ("Stopped", None)


def test_check_mode_sends_dry_run_and_mutates_nothing(cloud, run_play):
    ids = cloud.launch(2)
    cloud.reset_calls()
    run = run_play([stop_task(cloud, ids)], check=True)
    assert run.rc == 0, run.output
    assert run.result("stop")["changed"] is True
    calls = cloud.calls()
    assert [c for c in calls if is_mutating(c)] == []
    dry_runs = cloud.calls(cloud.stop_action)
    assert dry_runs and all(c["params"].get("DryRun") in ("true", "True") for c in dry_runs)
    assert set(cloud.states(ids).values()) == {"running"}


def test_250_ids_take_three_stop_calls_and_batched_polls(cloud, run_play):
    ids = cloud.launch(250)
    cloud.reset_calls()
    run = run_play([stop_task(cloud, ids)])
    assert run.rc == 0, run.output
    stops = cloud.calls(cloud.stop_action)
    assert len(stops) == 3
    assert sorted(i for c in stops for i in cloud.ids_in(c)) == sorted(ids)
    describes = cloud.calls(cloud.describe_action)
    assert describes and all(len(cloud.ids_in(c)) <= 100 for c in describes)
    # polls go by the hundred (a round re-reads only the ids still moving): never one call per instance
    assert len(describes) < 25
    assert set(cloud.states(ids).values()) == {"stopped"}


def test_already_stopping_instances_are_waited_for(cloud, sandbox, run_play):
    ids = cloud.launch(2)
    sandbox.ctx.transition_seconds = 3
    cloud.stop(ids)
    assert set(cloud.states(ids).values()) == {"stopping"}
    run = run_play([stop_task(cloud, ids)])
    assert run.rc == 0, run.output
    result = run.result("stop")
    assert {r["state"] for r in result["instances"]} == {"stopped"}


def test_wait_timeout_fails_and_names_the_stuck_ids(cloud, run_play):
    ids = cloud.launch(3)
    stuck = ids[:2]
    cloud.stuck(stuck, "stopping")
    run = run_play([stop_task(cloud, ids, wait_timeout=3)])
    assert run.rc != 0
    result = run.result("stop")
    assert result["failed"] is True
    for instance_id in stuck:
        assert instance_id in result["msg"]
    assert ids[2] not in result["msg"]
    assert "stopping" in result["msg"]
    assert "force" in result["msg"]


def test_throttling_on_30_percent_of_calls_still_converges(cloud, run_play):
    ids = cloud.launch(20)
    # seeded: which calls fail is repeatable, and the first two do (draws 0.24, 0.10)
    cloud.faults(action="*", code=cloud.throttle_code, http_status=cloud.throttle_status, rate=0.3, seed=4)
    run = run_play([stop_task(cloud, ids)])
    assert run.rc == 0, run.output
    assert any(c["error_code"] == cloud.throttle_code for c in cloud.calls())
    cloud.clear_faults()  # the test's own reads below do not retry
    assert set(cloud.states(ids).values()) == {"stopped"}
