# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for many instances at once. A wait is data (WaitSpec); one loop serves every module.

One poll round describes only the ids still on their way, at most 100 per call, so 500 ids cost
at most 5 calls a round. Neither cloud SDK has a batch waiter that reports which ids are
late (ECS has no waiters at all), so this is written here once.
"""


import random
import time

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import MAX_BATCH, chunks
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import failure


class WaitSpec(object):
    """What to wait for: states that count as arrived, states that end the wait as failed."""

    def __init__(self, name, target, failure=(), advice=""):
        self.name = name
        self.target = frozenset(target)
        self.failure = frozenset(failure)
        self.advice = advice


class WaitResult(object):
    def __init__(self, records, arrived, failed, timed_out, polls):
        self.records = records  # id -> latest record
        self.arrived = arrived  # ids in a target state
        self.failed = failed  # id -> state, for ids that reached a failure state
        self.timed_out = timed_out  # id -> state, for ids still on their way at the deadline
        self.polls = polls  # describe calls made

    @property
    def ok(self):
        return not self.failed and not self.timed_out


# Every wait the collection makes, in one table: (target states, states that end it as failed, what to do on a timeout).
STOPPED = WaitSpec(
    "stopped", ["stopped"], ["terminated", "shutting-down"],
    "stop them again with force: true, or replace a stuck instance (image or snapshot it, launch a replacement, "
    "verify it, then release the stuck one)",
)
RUNNING = WaitSpec("running", ["running"], ["terminated", "shutting-down", "stopped"], "check the instances' console output and events")
TERMINATED = WaitSpec(
    "terminated", ["terminated"], [],
    "release them again with force: true; an instance stuck shutting-down needs the cloud's support",
)
SNAPSHOT_COMPLETED = WaitSpec(
    "completed", ["completed"], ["error", "absent"],
    "run the task again with a longer wait_timeout: snapshots already made are found by their tag, not made twice")
IMAGE_AVAILABLE = WaitSpec(
    "available", ["available"], ["failed", "absent"],
    "run the task again with a longer wait_timeout: an image being created is found by its name, not made twice")
VOLUME_READY = WaitSpec("available", ["available", "in-use"], ["error", "deleting", "deleted", "absent"], "run the task again")
VOLUME_DETACHED = WaitSpec("detached", ["available"], ["error", "deleting", "deleted", "absent"], "run the task again")
VOLUME_ATTACHED = WaitSpec("attached", ["in-use"], ["error", "deleting", "deleted", "absent"], "run the task again")


def jittered(delay, rand=random.random):
    """delay +/- 25 %, so that many tasks polling the same API do not fall into step."""
    return delay * (0.75 + 0.5 * rand())


def _rounds(fetch, ids, done, timeout, clock, sleep, rand, first_delay, max_delay, batch=None, known=None):
    """The one polling loop: ({id: latest value}, ids still waited for at the deadline, fetch calls made).

    A round fetches the ids still waited for (only the first `batch` of them when batch is set) and sleeps
    only if one of the ids it asked about is not done yet; when all of those are done, the next ones are
    asked at once. Delays start at `first_delay` and grow by half up to `max_delay`, jittered. With `known`
    values for every id, the first round judges them without a fetch. At the deadline the ids not asked
    about since the last sleep are fetched once, so that what is reported is what the cloud said.
    """
    deadline = clock() + max(0, timeout)
    values = dict(known or {})
    waiting = list(ids)
    rounds = 0
    delay = first_delay
    judge_known = known is not None and all(i in values for i in waiting)
    asked_since_sleep = set()
    while waiting:
        if judge_known:
            judge_known = False
            asked = list(waiting)
        else:
            asked = waiting[:batch] if batch else list(waiting)
            values.update(fetch(asked))
            rounds += 1
        asked_since_sleep.update(asked)
        waiting = [i for i in waiting if not (i in values and done(i, values[i]))]
        if not waiting or not set(asked) & set(waiting):
            continue  # all asked are done: ask the next ones at once (or stop when none are left)
        remaining = deadline - clock()
        if remaining <= 0:
            for chunk in chunks([i for i in waiting if i not in asked_since_sleep], batch or MAX_BATCH):
                values.update(fetch(chunk))
                rounds += 1
            waiting = [i for i in waiting if not (i in values and done(i, values[i]))]
            break
        sleep(min(jittered(delay, rand), remaining))
        asked_since_sleep = set()
        delay = min(delay * 1.5, max_delay)
    return values, waiting, rounds


def wait_for(describe, ids, spec, timeout, known=None, clock=time.monotonic, sleep=time.sleep, rand=random.random,
             first_delay=0.5, max_delay=5.0):
    """Poll until every id is in spec.target or spec.failure, or until `timeout` seconds pass.

    describe(ids) takes at most 100 ids and returns {id: record} for all of them (absent ids as
    terminated). `known` records, if given, are judged before the first poll.

    Ids sent in the same calls move together, so a round describes only a probe: the first 100 ids
    still on their way. When the whole probe has settled, the next 100 are described at once, with
    no sleep; the wait sleeps only while the probe still has ids moving. 500 ids that all stop
    within one sleep cost 1 describe per sleep plus 5, not 5 per sleep. At the deadline the ids not
    yet seen are described once, so every state reported is one the cloud gave.
    """
    def settled(i, record):
        return record["state"] in spec.target or record["state"] in spec.failure

    records, waiting, polls = _rounds(describe, ids, settled, timeout, clock, sleep, rand, first_delay, max_delay,
                                      batch=MAX_BATCH, known=known)
    failed = dict((i, records[i]["state"]) for i in ids if records[i]["state"] in spec.failure)
    timed_out = dict((i, records[i]["state"]) for i in waiting)
    arrived = [i for i in ids if records[i]["state"] in spec.target]
    return WaitResult(records, arrived, failed, timed_out, polls)


def timeout_message(spec, result, timeout, kind="instance", owner=None):
    """The task message for a wait that did not finish: each id with its state (and its instance, for a resource
    `owner` maps to one), and what to do."""
    owner = owner or {}
    parts = ["%s (%s%s)" % (i, s, ", of %s" % owner[i] if i in owner else "") for i, s in sorted(result.timed_out.items())]
    shown = parts[:50]
    if len(parts) > 50:
        shown.append("... and %d more" % (len(parts) - 50))
    return "timed out after %ss waiting for %d %s(s) to be %s: %s. To go on: %s." % (
        timeout, len(parts), kind, spec.name, ", ".join(shown), spec.advice)


def wait_outcome(result, spec, timeout, failures, notes, became="became {state}", still="still {state} after {timeout}s",
                 failed_code="IncorrectInstanceState", kind="instance", owner=None, who=None):
    """A wait's result as the task reports it, into `failures` and `notes`: a failure per id that ended in a
    failure state (`became`) or is late (`still`, code WaitTimeout), and one note naming the late ones.

    `who(id)` is the instance a failure is for (a clone's source, a snapshot's instance); the messages are
    formatted with {id}, {state} and {timeout}.
    """
    who = who or (lambda i: i)
    for i, state in sorted(result.failed.items()):
        failures.append(failure(who(i), failed_code, became.format(id=i, state=state, timeout=timeout)))
    for i, state in sorted(result.timed_out.items()):
        failures.append(failure(who(i), "WaitTimeout", still.format(id=i, state=state, timeout=timeout)))
    if result.timed_out:
        notes.append(timeout_message(spec, result, timeout, kind, owner))


class PollResult(object):
    def __init__(self, values, finished, unfinished, polls):
        self.values = values  # id -> latest value fetched
        self.finished = finished  # ids done, in the order asked
        self.unfinished = unfinished  # ids not done at the deadline
        self.polls = polls  # fetch rounds made


def poll(fetch, ids, done, timeout, clock=time.monotonic, sleep=time.sleep, rand=random.random,
         first_delay=0.5, max_delay=5.0):
    """The loop of wait_for for anything that is not an instance state (command results, reboots, health).

    fetch(ids) -> {id: value} for the ids still waited for (it batches as its API wants; an id it
    has no answer for yet is simply left out); done(id, value) -> bool. Polls at once, then after
    0.5 s, growing by half each round up to `max_delay` (jittered), until every id is done or
    `timeout` seconds pass.
    """
    values, waiting, rounds = _rounds(fetch, ids, done, timeout, clock, sleep, rand, first_delay, max_delay)
    unfinished = set(waiting)
    return PollResult(values, [i for i in ids if i not in unfinished], [i for i in ids if i in unfinished], rounds)
