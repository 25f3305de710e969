# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""auto_release_time: set or cancel the time at which instances are released.

ECS: ModifyInstanceAutoReleaseTime, read back from DescribeInstances.AutoReleaseTime.
EC2 has no such API: the time is the tag cloudfleet:auto-release-time (same format), which
instance_state_info reports the same way and playbooks/release_expired.yml acts on.

Protection: ECS carries out a scheduled release even when deletion protection is on (protection
guards DeleteInstance(s) only), so scheduling the release of a protected instance would release
it. A protected instance is refused (DeletionProtection, listed in protected_ids) unless
disable_protection, which turns protection off first: the instance then says what will happen
to it. EC2's termination protection is read (DescribeInstanceAttribute, one call per instance,
in parallel) only for the instances that would get a time. Cancelling is always allowed.
"""


from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.core import (
    Runtime, finish, first_read, found_ids, in_batches, read_protection, reread, snapshot_records, state_diff,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.errors import CloudError, InputError, failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils._core.release_times import resolve_release_time

PROTECTED_MESSAGE = ("deletion protection is on, and a scheduled release ignores it (the cloud releases the instance at "
                     "that time); set disable_protection: true to turn protection off and schedule the release")


def validate(params, now):
    """(ids, desired time or None to cancel); every check happens before any API call."""
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    if params.get("state", "present") == "absent":
        if params.get("release_at") is not None or params.get("release_in") is not None:
            raise InputError("state: absent cancels the automatic release; do not give release_at or release_in with it")
        if params.get("disable_protection"):
            raise InputError("disable_protection goes with state: present; cancelling a release needs no change of protection")
        return ids, None
    return ids, resolve_release_time(params.get("release_at"), params.get("release_in"), now=now)


def run(params, check_mode=False, rt=None):
    rt = rt or Runtime()
    ids, desired = validate(params, rt.now())
    provider = rt.connect(params)
    records = first_read(provider, ids)
    before = snapshot_records(records)
    failures = []
    live = []
    for i in found_ids(ids, records):
        if records[i]["state"] in ("terminated", "shutting-down"):
            failures.append(failure(i, "IncorrectInstanceState", "instance is %s: there is nothing left to release" % records[i]["state"]))
        else:
            live.append(i)
    to_unprotect, refused = [], []
    if desired is not None:
        # Every live instance, the already scheduled ones too: a protected instance that already has this
        # time would be released at it just the same.
        read_protection(provider, records, live)
        flagged = [i for i in live if records[i]["deletion_protection"] is True]
        if params.get("disable_protection"):
            to_unprotect = flagged
        else:
            refused = flagged
            failures.extend(failure(i, "DeletionProtection", refusal(records[i], desired)) for i in refused)
            live = [i for i in live if i not in refused]
    unchanged = [i for i in live if records[i]["auto_release_time"] == desired and i not in to_unprotect]
    to_change = [i for i in live if i not in unchanged]
    to_schedule = [i for i in to_change if records[i]["auto_release_time"] != desired]
    extra = {"auto_release_time": desired, "protected_ids": refused}

    if check_mode:
        errors = {}
        if to_unprotect and "protection" in provider.capabilities.dry_run_ops:
            errors.update(in_batches(provider.set_deletion_protection, to_unprotect, enabled=False, dry_run=True))
        if "auto_release" in provider.capabilities.dry_run_ops:
            errors.update(in_batches(provider.set_auto_release_time, [i for i in to_schedule if i not in errors],
                                     value=desired, dry_run=True))
        failures.extend(e.failure() for e in errors.values())
        predicted = [i for i in to_change if i not in errors]
        after = dict((i, dict(records[i], auto_release_time=desired,
                              deletion_protection=False if i in to_unprotect else records[i]["deletion_protection"]))
                     for i in predicted)
        extra["protection_disabled_ids"] = [i for i in to_unprotect if i in predicted]
        return finish(ids, records, predicted, unchanged, failures, "auto_release_time (check mode)", extra=extra,
                      params=params, rt=rt, diff=state_diff(predicted, before, after, keys=("auto_release_time", "deletion_protection")))

    disabled = []
    if to_unprotect:
        errors = in_batches(provider.set_deletion_protection, to_unprotect, enabled=False, dry_run=False)
        failures.extend(e.failure() for e in errors.values())
        disabled = [i for i in to_unprotect if i not in errors]
        to_change = [i for i in to_change if i not in errors]
        to_schedule = [i for i in to_schedule if i not in errors]
    try:
        errors = in_batches(provider.set_auto_release_time, to_schedule, value=desired, dry_run=False)
    except CloudError:
        # Nothing lost on failure: the whole call failed, so no instance keeps protection off for nothing.
        restore_protection(provider, records, disabled, failures)
        raise
    failures.extend(e.failure() for e in errors.values())
    changed = [i for i in to_change if i not in errors]
    # Nothing lost on failure: an instance whose schedule was refused gets its protection back.
    restore = [i for i in disabled if i in errors]
    if restore:
        kept_off = restore_protection(provider, records, restore, failures)
        disabled = [i for i in disabled if i not in restore or i in kept_off]
    if changed:
        # Read back: the cloud's own answer is what we report, and it must be what was asked.
        known = dict((i, records[i]["deletion_protection"]) for i in changed)
        records.update(reread(provider, changed))
        for i in changed:
            if records[i]["deletion_protection"] is None:
                records[i]["deletion_protection"] = False if i in disabled else known[i]
            if records[i]["auto_release_time"] != desired:
                failures.append(failure(i, "ReadBackMismatch", "asked for %s, the cloud reports %s" % (desired, records[i]["auto_release_time"])))
            elif desired is not None and records[i]["deletion_protection"] is True:
                failures.append(failure(i, "DeletionProtection", "protection was turned on while its release was being "
                                        "scheduled: the cloud will release it at %s all the same; cancel with state: absent "
                                        "if it must stay" % desired))
    extra["protection_disabled_ids"] = disabled
    return finish(ids, records, changed, unchanged, failures, "auto_release_time", extra=extra, params=params, rt=rt,
                  diff=state_diff(changed, before, records, keys=("auto_release_time", "deletion_protection")))


def refusal(record, desired):
    if record["auto_release_time"]:
        return ("deletion protection is on, and the instance already has a release time (%s) that the cloud carries out "
                "whatever the protection; cancel it with state: absent, or set disable_protection: true to turn "
                "protection off and schedule the release" % record["auto_release_time"])
    return PROTECTED_MESSAGE


def restore_protection(provider, records, ids, failures):
    """Turn protection back on for `ids` (best effort); the ids it stays off for, each also a failure."""
    if not ids:
        return []
    try:
        errors = in_batches(provider.set_deletion_protection, ids, enabled=True, dry_run=False)
    except CloudError as exc:
        errors = dict((i, exc.for_instance(i)) for i in ids)
    for i in ids:
        if i in errors:
            records[i]["deletion_protection"] = False
            failures.append(failure(i, "ProtectionNotRestored", "the release could not be scheduled and protection, "
                                    "turned off for it, could not be turned on again: %s" % errors[i].message))
        else:
            records[i]["deletion_protection"] = True
    return [i for i in ids if i in errors]
