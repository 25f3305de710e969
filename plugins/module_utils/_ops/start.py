# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_start: start many instances in batches and wait until they run (and, if asked, are healthy).

running -> unchanged; pending -> waited for (unchanged); stopping -> waited until stopped, then
started; stopped -> started (an EC2 instance that hibernated resumes); terminated / shutting-down ->
failure for that id; an id the cloud does not know -> not_found_ids. A start the cloud refuses for
an instance (EC2 InsufficientInstanceCapacity, ECS OperationDenied.NoStock for a StopCharging
instance whose resources are gone, ...) fails that id alone: the others start.
"""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    begin, describer, finish, first_read, in_batches, reread, snapshot_records, state_diff, validate_batch,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import WRONG_STATE, failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._ops.health import wait_healthy
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import RUNNING, STOPPED, wait_outcome


validate = validate_batch


def start_batch(provider, records, ids, unchanged):
    """Start `ids`; {id: CloudError} for the refused ones. One started by someone else meanwhile is not a failure."""
    errors = in_batches(provider.start, ids, dry_run=False)
    # a wrong-state answer: the instance may have moved on its own between the read and the start
    raced = [i for i, e in errors.items() if e.kind == WRONG_STATE]
    if raced:
        now = reread(provider, raced)
        for i in raced:
            if now[i]["state"] in ("pending", "running"):
                del errors[i]
                records[i] = now[i]
                unchanged.append(i)
    return errors


def run(params, check_mode=False, rt=None):
    rt, ids, provider, deadline = begin(params, rt, validate)
    waiter = rt.waiter()
    describe = describer(provider)
    records = first_read(provider, ids)
    before = snapshot_records(records)
    failures = []
    notes = []
    state = dict((i, records[i]["state"]) for i in ids)
    unchanged = [i for i in ids if state[i] in ("running", "pending")]
    to_start = [i for i in ids if state[i] == "stopped"]
    stopping = [i for i in ids if state[i] == "stopping"]
    for i in ids:
        if state[i] in ("terminated", "shutting-down"):
            failures.append(failure(i, "IncorrectInstanceState", "cannot start an instance that is %s" % state[i]))

    if check_mode:
        dry = in_batches(provider.start, to_start, dry_run=True)
        failures.extend(e.failure() for e in dry.values())
        predicted = [i for i in ids if i in set(to_start + stopping) and i not in dry]
        after = dict((i, dict(records[i], state="running")) for i in predicted)
        return finish(ids, records, predicted, unchanged, failures, "start (check mode)", params=params, rt=rt,
                      diff=state_diff(predicted, before, after))

    # The stopped ones first: a stopping one must not hold them back.
    start_failures = start_batch(provider, records, to_start, unchanged)
    if stopping:
        # A stopping instance cannot be started yet: wait until it is stopped (or ends elsewhere).
        got = waiter(describe, stopping, STOPPED, max(0, deadline - rt.clock()), known=records)
        records.update(got.records)
        wait_outcome(got, STOPPED, params["wait_timeout"], failures, notes, became="was stopping, then became {state}",
                     still="still {state}: never reached stopped, so it was not started")
        start_failures.update(start_batch(provider, records, got.arrived, unchanged))
        to_start = [i for i in ids if i in set(to_start) or i in set(got.arrived)]
    failures.extend(e.failure() for e in start_failures.values())
    changed = [i for i in to_start if i not in start_failures and i not in set(unchanged)]

    watch = [i for i in ids if i in set(changed) or (i in set(unchanged) and records[i]["state"] == "pending")]
    if params.get("wait") and watch:
        got = waiter(describe, watch, RUNNING, max(0, deadline - rt.clock()))
        records.update(got.records)
        wait_outcome(got, RUNNING, params["wait_timeout"], failures, notes, became="became {state} while starting")
        if params.get("wait_for_health"):
            running = [i for i in ids if records[i]["state"] == "running"]
            failures.extend(wait_healthy(rt, provider, running, records, max(0, deadline - rt.clock()), notes,
                                         params["wait_timeout"]))
    elif changed:
        records.update(reread(provider, changed))
    return finish(ids, records, changed, unchanged, failures, "start", notes=notes, params=params, rt=rt,
                  diff=state_diff([i for i in ids if i in set(changed)], before, records))
