"""auto_release_time on both clouds: set, read back, unchanged on re-run, cancel."""
import datetime

from cloudtest import is_mutating

AUTO = "cloudfleet.lifecycle.auto_release_time"
INFO = "cloudfleet.lifecycle.instance_state_info"


def in_hours(hours):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return moment.replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def auto_task(cloud, ids, name="auto", **args):
    return {"name": name, AUTO: cloud.module_args(instance_ids=ids, **args), "ignore_errors": True}


def test_set_read_back_unchanged_then_cancel(cloud, run_play):
    ids = cloud.launch(2)
    when = in_hours(6)
    first = run_play([
        auto_task(cloud, ids, release_at=when),
        {"name": "info", INFO: cloud.module_args(instance_ids=ids)},
    ])
    result = first.result("auto")
    assert not result.get("failed"), first.output
    assert result["changed"] is True and sorted(result["changed_ids"]) == sorted(ids)
    assert {r["auto_release_time"] for r in first.result("info")["instances"]} == {when}

    second = run_play([auto_task(cloud, ids, release_at=when)])
    assert second.result("auto")["changed"] is False

    cancel = run_play([auto_task(cloud, ids, state="absent"), {"name": "info", INFO: cloud.module_args(instance_ids=ids)}])
    assert cancel.result("auto")["changed"] is True
    assert {r["auto_release_time"] for r in cancel.result("info")["instances"]} == {None}
    again = run_play([auto_task(cloud, ids, state="absent")])
    assert again.result("auto")["changed"] is False


def test_release_in_is_rounded_up_to_the_minute(cloud, run_play):
    """release_in counts from now and rounds up, so `90m` is never less than 90 minutes ahead."""
    ids = cloud.launch(1)
    # The module's "now" lies between these two; the run itself takes seconds.
    before = datetime.datetime.now(datetime.timezone.utc)
    run = run_play([auto_task(cloud, ids, release_in="90m")])
    after = datetime.datetime.now(datetime.timezone.utc)
    result = run.result("auto")
    assert not result.get("failed"), run.output
    value = result["instances"][0]["auto_release_time"]
    assert value.endswith(":00Z")
    moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert before + datetime.timedelta(minutes=90) <= moment <= after + datetime.timedelta(minutes=91)


def test_check_mode_sets_nothing(cloud, run_play):
    ids = cloud.launch(1)
    cloud.reset_calls()
    run = run_play([auto_task(cloud, ids, release_in="6h")], check=True)
    assert run.result("auto")["changed"] is True
    assert [c for c in cloud.calls() if is_mutating(c)] == []


def test_ecs_really_releases_when_the_clock_passes(sandbox, run_play):
    from cloudtest import CloudUnderTest

    ecs = CloudUnderTest("alicloud", sandbox)
    ids = ecs.launch(1)
    run = run_play([auto_task(ecs, ids, release_in="1h")])
    assert run.result("auto")["changed"] is True
    ecs.sandbox.advance_clock(2 * 3600)
    assert ecs.states(ids) == {ids[0]: "terminated"}
