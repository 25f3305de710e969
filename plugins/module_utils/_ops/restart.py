# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_restart: reboot running instances in batches and see each reboot happen.

Only running instances are rebooted; any other state fails that id (a stopped one is started with
instance_start, not here). The two clouds show a reboot differently, so what counts as seen is
each cloud's (the provider's `capabilities.reboot_evidence`):

- ECS goes Starting, then Running, and moves StartTime: a poll that finds the instance not running,
  or a StartTime other than before, is the reboot (`state` / `start_time`). StartTime has minute
  precision, so a reboot quicker than the polls inside the same minute leaves no trace: after
  REBOOT_GRACE_SECONDS it is taken on RebootInstances' word (`accepted`), with a warning.
- EC2 keeps the instance `running` and its LaunchTime through a reboot; RebootInstances' acceptance
  is what there is (`accepted`; EC2 hard-reboots an instance that does not shut down cleanly within
  four minutes). With wait_for_health a status check seen not ok afterwards is recorded
  (`status_checks`), and the task waits until they are ok again.
"""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    begin, describer, finish, first_read, found_ids, in_batches, snapshot_records, state_diff, validate_batch,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import merged
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops.health import is_healthy, read_health
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import poll

REBOOT_GRACE_SECONDS = 10
GONE = ("terminated", "shutting-down")


validate = validate_batch


def run(params, check_mode=False, rt=None):
    rt, ids, provider, deadline = begin(params, rt, validate)
    force = bool(params.get("force"))
    records = first_read(provider, ids)
    before = snapshot_records(records)
    failures = []
    notes = []
    running = [i for i in found_ids(ids, records) if records[i]["state"] == "running"]
    for i in found_ids(ids, records):
        if records[i]["state"] != "running":
            failures.append(failure(i, "IncorrectInstanceState", "the instance is %s: only running instances are restarted "
                                    "(a stopped one is started with cloudfleet.lifecycle.instance_start)" % records[i]["state"]))

    if check_mode:
        dry = in_batches(provider.reboot, running, force=force, dry_run=True)
        failures.extend(e.failure() for e in dry.values())
        predicted = [i for i in running if i not in dry]
        after = dict((i, dict(records[i], start_time="(after the reboot)")) for i in predicted)
        return finish(ids, records, predicted, [], failures, "restart (check mode)", params=params, rt=rt,
                      diff=state_diff(predicted, before, after, keys=("state", "start_time")),
                      extra={"reboots": {}})

    errors = in_batches(provider.reboot, running, force=force, dry_run=False)
    failures.extend(e.failure() for e in errors.values())
    changed = [i for i in running if i not in errors]
    reboots = dict((i, "accepted") for i in changed)
    if params.get("wait") and changed:
        if provider.capabilities.reboot_evidence == "state_or_start_time":
            watch_reboots(rt, provider, changed, records, before, reboots, failures, notes, deadline, params["wait_timeout"])
        if params.get("wait_for_health"):
            healthy = [i for i in changed if records[i]["state"] == "running"]
            watch_health(rt, provider, healthy, records, reboots, failures, notes, deadline, params["wait_timeout"])
    return finish(ids, records, changed, [], failures, "restart", notes=notes, params=params, rt=rt,
                  diff=state_diff(changed, before, records, keys=("state", "start_time")), extra={"reboots": reboots})


def watch_reboots(rt, provider, ids, records, before, reboots, failures, notes, deadline, wait_timeout):
    """ECS: poll until each instance was seen rebooting (not running, or a new StartTime) and runs again."""
    describe = describer(provider)
    grace_until = rt.clock() + REBOOT_GRACE_SECONDS
    seen_down = set()
    unseen = set()

    def fetch(pending):
        return merged(describe, pending)

    def done(i, record):
        if record["state"] in GONE:
            return True
        if record["state"] != "running":
            seen_down.add(i)
            reboots[i] = "state"
            return False
        if i in seen_down:
            return True
        if record.get("start_time") and record.get("start_time") != before[i].get("start_time"):
            reboots[i] = "start_time"
            return True
        if rt.clock() >= grace_until:
            unseen.add(i)
            return True
        return False

    got = poll(fetch, ids, done, max(0, deadline - rt.clock()), clock=rt.clock, sleep=rt.sleep)
    for i in ids:
        record = got.values.get(i) or records[i]
        records[i] = record
        if record["state"] in GONE:
            failures.append(failure(i, "IncorrectInstanceState", "became %s instead of restarting" % record["state"]))
        elif i in got.unfinished:
            failures.append(failure(i, "WaitTimeout", "still %s, not running again, after %ss" % (record["state"], wait_timeout)
                                    if record["state"] != "running" else
                                    "no reboot seen within %ss: the instance runs with the same start time" % wait_timeout))
    if unseen:
        notes.append("the reboot of %s was not seen (ECS's StartTime has minute precision and no poll found it "
                     "starting): taken as done on RebootInstances' word" % ", ".join(i for i in ids if i in unseen))
        rt.warn(notes[-1])


def watch_health(rt, provider, ids, records, reboots, failures, notes, deadline, wait_timeout):
    """Status checks ok after the reboot; a check seen not ok on the way is the reboot's trace on EC2."""
    def fetch(pending):
        found = read_health(provider, pending)
        for i, health in found.items():
            if not is_healthy(health) and reboots.get(i) == "accepted":
                reboots[i] = "status_checks"
        return found

    got = poll(fetch, ids, lambda i, h: is_healthy(h), max(0, deadline - rt.clock()), clock=rt.clock, sleep=rt.sleep)
    for i in ids:
        records[i]["health"] = got.values.get(i)
        if i in got.unfinished:
            health = got.values.get(i) or {}
            failures.append(failure(i, "WaitTimeout", "running, but its status checks are not ok after %ss (instance %s, "
                                    "system %s)" % (wait_timeout, health.get("instance_status"), health.get("system_status"))))
    if got.unfinished:
        notes.append("timed out after %ss waiting for %d instance(s) to pass their status checks."
                     % (wait_timeout, len(got.unfinished)))
