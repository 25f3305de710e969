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


def jittered(delay, rand=random.random):
    """delay +/- 25 %, so that many tasks polling the same API do not fall into step."""
    return delay * (0.75 + 0.5 * rand())


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
    deadline = clock() + max(0, timeout)
    records = dict(known or {})
    waiting = list(ids)
    polls = 0
    delay = first_delay
    judge_known = known is not None and all(i in records for i in waiting)
    seen = set()  # ids described since the last sleep

    def settled(i):
        return records[i]["state"] in spec.target or records[i]["state"] in spec.failure

    while True:
        if judge_known:
            judge_known = False
            seen.update(waiting)
        else:
            probe = waiting[:MAX_BATCH]
            records.update(describe(probe))
            polls += 1
            seen.update(probe)
        moving = [i for i in waiting if i in seen and not settled(i)]
        waiting = [i for i in waiting if i not in records or not settled(i)]
        if not waiting:
            break
        if not moving:
            continue  # the probe settled: look at the next ids at once
        remaining = deadline - clock()
        if remaining <= 0:
            for chunk in chunks([i for i in waiting if i not in seen]):
                records.update(describe(chunk))
                polls += 1
            waiting = [i for i in waiting if not settled(i)]
            break
        sleep(min(jittered(delay, rand), remaining))
        seen = set()
        delay = min(delay * 1.5, max_delay)
    failed = dict((i, records[i]["state"]) for i in ids if records[i]["state"] in spec.failure)
    timed_out = dict((i, records[i]["state"]) for i in waiting)
    arrived = [i for i in ids if records[i]["state"] in spec.target]
    return WaitResult(records, arrived, failed, timed_out, polls)


def timeout_message(spec, result, timeout):
    """The task message for a wait that did not finish: each id with its state, and what to do."""
    parts = ["%s (%s)" % (i, s) for i, s in sorted(result.timed_out.items())]
    shown = parts[:50]
    if len(parts) > 50:
        shown.append("... and %d more" % (len(parts) - 50))
    return "timed out after %ss waiting for %d instance(s) to be %s: %s. To go on: %s." % (
        timeout, len(parts), spec.name, ", ".join(shown), spec.advice)


class PollResult(object):
    def __init__(self, values, finished, unfinished, polls):
        self.values = values  # id -> latest value fetched
        self.finished = finished  # ids done, in the order asked
        self.unfinished = unfinished  # ids not done at the deadline
        self.polls = polls  # fetch rounds made


def poll(fetch, ids, done, timeout, clock=time.monotonic, sleep=time.sleep, rand=random.random,
         first_delay=0.5, max_delay=5.0):
    """The loop of wait_for for anything that is not an instance state (command results, reboots).

    fetch(ids) -> {id: value} for the ids still waited for (it batches as its API wants; an id it
    has no answer for yet is simply left out); done(id, value) -> bool. Polls at once, then after
    0.5 s, growing by half each round up to `max_delay` (jittered), until every id is done or
    `timeout` seconds pass.
    """
    deadline = clock() + max(0, timeout)
    values = {}
    waiting = list(ids)
    rounds = 0
    delay = first_delay
    while True:
        if waiting:
            values.update(fetch(list(waiting)))
            rounds += 1
        waiting = [i for i in waiting if not (i in values and done(i, values[i]))]
        remaining = deadline - clock()
        if not waiting or remaining <= 0:
            break
        sleep(min(jittered(delay, rand), remaining))
        delay = min(delay * 1.5, max_delay)
    unfinished = set(waiting)
    return PollResult(values, [i for i in ids if i not in unfinished], [i for i in ids if i in unfinished], rounds)
