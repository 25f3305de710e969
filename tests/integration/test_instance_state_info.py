"""instance_state_info: normalized records, filters and health on both clouds."""
from sandbox.control_client import control

INFO = "cloudfleet.lifecycle.instance_state_info"


def test_records_by_ids_and_never_changed(cloud, run_play):
    running = cloud.launch(2, tags={"team": "blue"})
    stopped = cloud.launch_stopped(1)
    run = run_play([{"name": "info", INFO: cloud.module_args(instance_ids=running + stopped)}])
    result = run.result("info")
    assert result["changed"] is False
    states = {r["id"]: r["state"] for r in result["instances"]}
    assert states == {running[0]: "running", running[1]: "running", stopped[0]: "stopped"}
    assert result["instances"][0]["tags"] == {"team": "blue"}


def test_filters_by_state_and_tags(cloud, run_play):
    blue = cloud.launch(2, tags={"team": "blue"})
    cloud.launch(1, tags={"team": "red"})
    blue_stopped = cloud.launch_stopped(1, tags={"team": "blue"})
    run = run_play([{"name": "info", INFO: cloud.module_args(filters={"state": "running", "tags": {"team": "blue"}})}])
    result = run.result("info")
    assert sorted(r["id"] for r in result["instances"]) == sorted(blue)
    assert blue_stopped[0] not in [r["id"] for r in result["instances"]]


def test_health_reports_events_and_impaired_status_in_one_shape(cloud, run_play):
    ids = cloud.launch(2)
    control(cloud.url, "events", {"instance_id": ids[0], "code": "system-maintenance",
                                   "not_before": "2026-12-01T06:00:00Z", "not_after": "2026-12-01T08:00:00Z",
                                   "description": "host maintenance"})
    control(cloud.url, "health", {"instance_id": ids[1], "status": "impaired"})
    run = run_play([{"name": "info", INFO: cloud.module_args(instance_ids=ids, include_health=True)}])
    health = {r["id"]: r["health"] for r in run.result("info")["instances"]}
    assert len(health[ids[0]]["events"]) == 1
    event = health[ids[0]]["events"][0]
    assert event["not_before"].startswith("2026-12-01T06:00")
    assert set(event) >= {"code", "description", "not_before", "not_after"}
    assert health[ids[1]]["events"] == []
    assert "impaired" in (health[ids[1]]["instance_status"], health[ids[1]]["system_status"])
    assert health[ids[0]]["instance_status"] == "ok"


def test_released_ids_read_as_the_cloud_shows_them(cloud, run_play):
    """EC2 shows a terminated instance for a while; ECS forgets a released one at once: not-found, never a guess."""
    ids = cloud.launch_stopped(1)
    run_play([{"name": "release", "cloudfleet.lifecycle.instance_release": cloud.module_args(instance_ids=ids)}])
    run = run_play([{"name": "info", INFO: cloud.module_args(instance_ids=ids)}])
    result = run.result("info")
    assert [r["state"] for r in result["instances"]] == ["terminated" if cloud.is_aws else "not-found"]
    assert result["not_found_ids"] == ([] if cloud.is_aws else ids)
