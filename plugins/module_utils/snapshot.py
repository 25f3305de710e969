# -*- coding: utf-8 -*-
# Copyright: cloudfleet.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instance_snapshot: snapshot every disk of many instances, tagged so a second run finds them.

Each snapshot carries cloudfleet:snapshot-tag=<snapshot_tag>, cloudfleet:instance-id and
cloudfleet:device. An instance whose every disk already has a snapshot with that tag is
unchanged; an instance with some disks covered gets snapshots of the others only.
A released instance whose snapshots exist is unchanged (the snapshots outlive it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.core import (
    Runtime, check_wait_timeout, finish, first_read,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.errors import failure
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.options import validate_ids
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.records import NOT_FOUND
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.resources import (
    DEVICE_TAG, INSTANCE_TAG, SNAPSHOT_TAG, check_name, check_tags, in_chunks, per_instance,
    resource_timeout_message, wait_failures, wait_resources,
)
from ansible_collections.cloudfleet.lifecycle.plugins.module_utils.waiting import WaitSpec

COMPLETED = WaitSpec("completed", ["completed"], ["error", "absent"],
                     "run the task again with a longer wait_timeout: snapshots already made are found by their tag, not made twice")


def validate(params):
    ids = validate_ids(params["cloud"], params.get("instance_ids"))
    tag = check_name("snapshot_tag", params.get("snapshot_tag"))
    extra = check_tags(params.get("tags"))
    check_wait_timeout(params)
    return ids, tag, extra


def tagger(tag, instance_id, extra):
    """tags(disk) for one instance's snapshots."""
    def tags(disk):
        out = dict(extra)
        out.update({"Name": "%s-%s" % (tag, instance_id), SNAPSHOT_TAG: tag, INSTANCE_TAG: instance_id})
        if disk.get("device"):
            out[DEVICE_TAG] = disk["device"]
        return out
    return tags


def group_by_instance(snapshots):
    grouped = {}
    for snap in snapshots:
        owner = snap["tags"].get(INSTANCE_TAG)
        if owner:
            grouped.setdefault(owner, []).append(snap)
    return grouped


def missing_disks(disks, existing):
    """The disks of an instance that no usable snapshot (not in error) covers yet."""
    covered = set(s["volume_id"] for s in existing if s["state"] != "error")
    return [d for d in disks if d["volume_id"] not in covered]


def public(snap):
    """A snapshot as the module returns it."""
    view = dict((k, snap.get(k)) for k in ("snapshot_id", "device", "volume_id", "state"))
    if "disk_id" in snap:
        view["disk_id"] = snap["disk_id"]
    return view


def run(params, check_mode=False, rt=None):
    rt = rt or Runtime()
    ids, tag, extra = validate(params)
    provider = rt.connect(params)
    records = first_read(provider, ids)
    existing = group_by_instance(provider.find_snapshots({SNAPSHOT_TAG: tag}))
    failures = []
    unchanged = []
    live = []
    for i in ids:
        usable = [s for s in existing.get(i, []) if s["state"] != "error"]
        if records[i]["state"] in ("terminated", NOT_FOUND):
            if usable:
                unchanged.append(i)  # released after its snapshots were made: they are what was asked
            elif records[i]["state"] == NOT_FOUND:
                continue  # not_found_ids
            else:
                failures.append(failure(i, "IncorrectInstanceState", "the instance is released and has no snapshot tagged %s" % tag))
        else:
            live.append(i)
    disks = in_chunks(provider.disks, live)
    todo = {}
    for i in live:
        missing = missing_disks(disks.get(i, []), existing.get(i, []))
        if missing:
            todo[i] = missing
        else:
            unchanged.append(i)
    snapshots = dict((i, [s for s in existing.get(i, []) if s["state"] != "error"]) for i in ids)

    if check_mode:
        predicted = []
        for i in [i for i in ids if i in todo]:
            if provider.snapshot_dry_run_supported():
                ok, dummy = per_instance(provider, failures, i, provider.create_snapshots, i, todo[i],
                                         len(todo[i]) == len(disks[i]), tagger(tag, i, extra), dry_run=True)
            else:
                ok = True  # ECS CreateSnapshot has no DryRun: predicted from DescribeDisks alone
            if ok:
                predicted.append(i)
        return finish(ids, records, predicted, unchanged, failures, "snapshot (check mode)", params=params, rt=rt,
                      extra={"snapshots": dict((i, [public(s) for s in v]) for i, v in snapshots.items())})

    changed = []
    for i in [i for i in ids if i in todo]:
        ok, made = per_instance(provider, failures, i, provider.create_snapshots, i, todo[i],
                                len(todo[i]) == len(disks[i]), tagger(tag, i, extra), dry_run=False)
        if ok:
            snapshots[i].extend(made)
            changed.append(i)

    notes = []
    owner = dict((s["snapshot_id"], i) for i, snaps in snapshots.items() for s in snaps)
    pending = [s["snapshot_id"] for snaps in snapshots.values() for s in snaps if s["state"] != "completed"]
    if params.get("wait") and pending:
        got = wait_resources(rt, provider.snapshot_states, pending, COMPLETED, params["wait_timeout"])
        for snaps in snapshots.values():
            for snap in snaps:
                if snap["snapshot_id"] in got.records:
                    snap["state"] = got.records[snap["snapshot_id"]]["state"]
        failures.extend(wait_failures("snapshot", COMPLETED, got, params["wait_timeout"], owner))
        if got.timed_out:
            notes.append(resource_timeout_message("snapshot", COMPLETED, got, params["wait_timeout"], owner))
    return finish(ids, records, changed, unchanged, failures, "snapshot", notes=notes, params=params, rt=rt,
                  extra={"snapshots": dict((i, [public(s) for s in v]) for i, v in snapshots.items())})
