# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting until running instances are healthy: EC2 instance and system status checks both `ok`
(DescribeInstanceStatus; they read `initializing` for minutes after a start, a launch or a reboot),
ECS HealthStatus `Ok` (DescribeInstancesFullStatus, reported as both statuses)."""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.batching import merged
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.waiting import poll

HEALTHY = frozenset(["ok"])


def is_healthy(health):
    return bool(health) and health.get("instance_status") in HEALTHY and health.get("system_status") in HEALTHY


def read_health(provider, ids):
    return merged(provider.health, ids)


def wait_healthy(rt, provider, ids, records, timeout, notes, wait_timeout):
    """Poll the health of `ids` until each is healthy or `timeout` runs out; each record gets `health`.

    Returns the failures: WaitTimeout for an instance whose checks are not ok in time, naming them.
    """
    if not ids:
        return []
    got = poll(lambda pending: read_health(provider, pending), ids, lambda i, h: is_healthy(h), timeout,
               clock=rt.clock, sleep=rt.sleep)
    failures = []
    for i in ids:
        health = got.values.get(i)
        records[i]["health"] = health
        if i in got.unfinished:
            failures.append(failure(i, "WaitTimeout", "running, but its status checks are not ok after %ss (instance %s, "
                                    "system %s)" % (wait_timeout, (health or {}).get("instance_status"),
                                                    (health or {}).get("system_status"))))
    if got.unfinished:
        notes.append("timed out after %ss waiting for %d instance(s) to pass their status checks: %s."
                     % (wait_timeout, len(got.unfinished), ", ".join(got.unfinished[:50])))
    return failures
