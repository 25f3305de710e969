# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""auto_release_time: set or cancel the time at which instances are released.

ECS: ModifyInstanceAutoReleaseTime, read back from DescribeInstances.AutoReleaseTime.
EC2 has no such API: the time is the tag cloudfleet:auto-release-time (same format), which
instance_state_info reports the same way and a reaper can act on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.core import Runtime, describe_all, finish, in_batches
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.errors import InputError, failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.release_times import resolve_release_time


def validate(params, now):
    """(ids, desired time or None to cancel); every check happens before any API call."""
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    if params.get("state", "present") == "absent":
        if params.get("release_at") is not None or params.get("release_in") is not None:
            raise InputError("state: absent cancels the automatic release; do not give release_at or release_in with it")
        return ids, None
    return ids, resolve_release_time(params.get("release_at"), params.get("release_in"), now=now)


def run(params, check_mode=False, rt=None):
    rt = rt or Runtime()
    ids, desired = validate(params, rt.now())
    provider = rt.connect(params)
    records = describe_all(provider, ids)
    failures = []
    for i in ids:
        if records[i]["state"] in ("terminated", "shutting-down"):
            failures.append(failure(i, "IncorrectInstanceState", "instance is %s: there is nothing left to release" % records[i]["state"]))
    live = [i for i in ids if records[i]["state"] not in ("terminated", "shutting-down")]
    unchanged = [i for i in live if records[i]["auto_release_time"] == desired]
    to_change = [i for i in live if i not in unchanged]
    extra = {"auto_release_time": desired}

    if check_mode:
        errors = {}
        if provider.dry_run_supported("auto_release"):
            errors = in_batches(provider.set_auto_release_time, to_change, value=desired, dry_run=True)
        failures.extend(e.failure() for e in errors.values())
        return finish(ids, records, [i for i in to_change if i not in errors], unchanged, failures,
                      "auto_release_time (check mode)", extra=extra)

    errors = in_batches(provider.set_auto_release_time, to_change, value=desired, dry_run=False)
    failures.extend(e.failure() for e in errors.values())
    changed = [i for i in to_change if i not in errors]
    if changed:
        # Read back: the cloud's own answer is what we report, and it must be what was asked.
        records.update(describe_all(provider, changed))
        for i in changed:
            if records[i]["auto_release_time"] != desired:
                failures.append(failure(i, "ReadBackMismatch", "asked for %s, the cloud reports %s" % (desired, records[i]["auto_release_time"])))
    return finish(ids, records, changed, unchanged, failures, "auto_release_time", extra=extra)
