# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_stop: stop many instances in batches and wait until they are stopped.

stopped -> unchanged; stopping -> waited for, never an error (amazon.aws #1060), and with force
sent a forced stop first (an instance stuck in stopping);
pending -> waited until running, then stopped; terminated / shutting-down -> failure for that id;
an id the cloud does not know -> not_found_ids (a warning, or a failure with fail_on_not_found).
"""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    begin, check_wait_timeout, describer, finish, first_read, in_batches, reread, snapshot_records, state_diff,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import WRONG_STATE, InputError, failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import RUNNING, STOPPED, wait_outcome
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._providers.base import capabilities_for


def validate(params):
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    can = capabilities_for(params["cloud"])
    if params.get("hibernate") and params.get("force"):
        raise InputError("hibernate and force cannot be combined: a forced stop skips the hibernation the guest has to do")
    if params.get("hibernate") and not can.hibernate:
        # the only cloud without it is ECS: StopInstance's Hibernate is in invitational preview (see alicloud.CAPABILITIES)
        raise InputError("hibernate is not available on ECS: StopInstance's Hibernate parameter is in invitational preview; "
                         "stop without it, or use stopped_mode: stop_charging to stop the billing of computing resources")
    if params.get("stopped_mode") and not can.stopped_modes:
        raise InputError("stopped_mode is for cloud=alicloud only (ECS KeepCharging/StopCharging); EC2 has no such setting")
    check_wait_timeout(params)
    return ids


def run(params, check_mode=False, rt=None):
    rt, ids, provider, deadline = begin(params, rt, validate)
    waiter = rt.waiter()
    describe = describer(provider)
    records = first_read(provider, ids)
    before = snapshot_records(records)
    failures = []
    notes = []
    # force: true sends a stopping instance a forced stop too: that is the way out of stuck-in-stopping.
    force = bool(params.get("force"))
    unchanged = [i for i in ids if records[i]["state"] == "stopped" or (records[i]["state"] == "stopping" and not force)]
    to_stop = [i for i in ids if records[i]["state"] == "running" or (records[i]["state"] == "stopping" and force)]
    starting = [i for i in ids if records[i]["state"] == "pending"]
    for i in ids:
        if records[i]["state"] in ("terminated", "shutting-down"):
            failures.append(failure(i, "IncorrectInstanceState", "cannot stop an instance that is %s" % records[i]["state"]))
    stop_args = dict(force=params.get("force"), hibernate=params.get("hibernate"), stopped_mode=params.get("stopped_mode"))

    if check_mode:
        # DryRun on the running ones; a pending one would be waited for, then stopped the same way.
        dry = in_batches(provider.stop, to_stop, dry_run=True, **stop_args)
        failures.extend(e.failure() for e in dry.values())
        predicted = [i for i in ids if i in set(to_stop + starting) and i not in dry]
        after = dict((i, dict(records[i], state="stopped")) for i in predicted)
        return finish(ids, records, predicted, unchanged, failures, "stop (check mode)", params=params, rt=rt,
                      diff=state_diff(predicted, before, after))

    if starting:
        # A pending instance cannot be stopped yet: wait until it runs (or stops on its own).
        got = waiter(describe, starting, RUNNING, max(0, deadline - rt.clock()), known=records)
        records.update(got.records)
        to_stop.extend(got.arrived)
        unchanged.extend(i for i, state in got.failed.items() if state == "stopped")  # stopped by someone else: done
        got.failed = dict((i, state) for i, state in got.failed.items() if state != "stopped")
        wait_outcome(got, RUNNING, params["wait_timeout"], failures, notes, became="was pending, then became {state}",
                     still="still {state}: never reached running, so it was not stopped")

    stop_failures = in_batches(provider.stop, to_stop, dry_run=False, **stop_args)
    if stop_failures:
        # a wrong-state answer: the instance may have moved on its own between the read and the stop
        raced = [i for i, e in stop_failures.items() if e.kind == WRONG_STATE]
        if raced:
            now = reread(provider, raced)
            for i in raced:
                if now[i]["state"] in ("stopped", "stopping"):
                    del stop_failures[i]
                    records[i] = now[i]
                    unchanged.append(i)
        failures.extend(e.failure() for e in stop_failures.values())
    changed = [i for i in to_stop if i not in stop_failures]

    watch = [i for i in ids if i in set(changed) or (i in set(unchanged) and records[i]["state"] == "stopping")]
    if params.get("wait") and watch:
        got = waiter(describe, watch, STOPPED, max(0, deadline - rt.clock()))
        records.update(got.records)
        wait_outcome(got, STOPPED, params["wait_timeout"], failures, notes, became="became {state} while stopping")
    elif changed:
        records.update(reread(provider, changed))
    return finish(ids, records, changed, unchanged, failures, "stop", notes=notes, params=params, rt=rt,
                  diff=state_diff([i for i in ids if i in set(changed)], before, records))
